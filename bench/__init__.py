"""Benchmarks: Kisi calls, AWS round trips, Kisi's rate limit, the unlock path and cold starts.
`make bench` (or `python -m bench`) runs them all; each prints one line per figure."""
