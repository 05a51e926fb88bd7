"""Kisi's rate limit: 5 requests per second per Kisi user, shared by all of that user's keys,
enforced with the emulator kit's sliding-window limiter (the PushPress emulator's too, per API
key)."""

from emulator_kit.rate_limit import REQUESTS_PER_SECOND, WINDOW_SECONDS, SlidingWindowLimiter

__all__ = ["REQUESTS_PER_SECOND", "WINDOW_SECONDS", "SlidingWindowLimiter"]
