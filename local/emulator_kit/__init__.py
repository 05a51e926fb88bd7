"""What the API emulators share (kisi_emulator, pushpress_emulator): the machinery of a stateful
emulator over real HTTP, each emulator keeping its API's own wire format, state and routes.

- ``clock``: injectable time (``SystemClock``, ``ManualClock``);
- ``rate_limit``: ``SlidingWindowLimiter``, a per-identity sliding 1 s window;
- ``wire``: ``EmulatorRequest``, ``EmulatorResponse`` and ``EmulatorError`` (an answer raised
  below a handler), independent of the transport;
- ``routes``: ``Route`` and ``RouteTable``, one routing table of API and control endpoints;
- ``faults``: ``FaultInjector``, seeded, windowed faults that decide a ``FaultPlan`` per request;
- ``emulator``: ``ApiEmulator``, the base that routes a request, applies the faults, the lock and
  the call count, and serves the fault, count and clock part of the Python API;
- ``control_api``: the control endpoints every emulator has (health, reset, seed, faults,
  counts, config, clock);
- ``server``: the emulator on a loopback ``ThreadingHTTPServer`` in a background thread;
- ``cli``: what ``python -m <emulator>`` shares (arguments, seed choice, serving until a signal);
- ``testing``: an in-process httpx transport, pytest fixtures, the CLI as a subprocess.
"""
