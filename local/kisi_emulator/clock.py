"""Injectable time: the emulator kit's clocks (``emulator_kit.clock``), under the name its
importers know. The rate limiter, fault windows, timestamps and `valid_from`/`valid_until` all
read the emulator's clock, so tests move time forward instead of sleeping."""

from emulator_kit.clock import Clock, ManualClock, SystemClock

__all__ = ["Clock", "ManualClock", "SystemClock"]
