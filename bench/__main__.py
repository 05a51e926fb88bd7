"""`python -m bench [--quick] [name ...]`: every benchmark (or those named), one after the other,
each in a fresh interpreter (its own moto, emulator and Kisi pacers). Each prints one line per
figure; nothing here passes or fails on time. `make bench` runs this."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bench.support import IMPORT_ROOTS

# kisi_calls also runs bench.sync_cost (the sync's own benchmark) when it exists.
BENCHMARKS = (
    "kisi_calls",
    "platform_sync",
    "webhook_ingestion",
    "unlock_path",
    "rate_limit",
    "cold_start",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(str(root) for root in IMPORT_ROOTS)
    # The functions' log lines would drown the figures.
    environment["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    failed = []
    started = time.monotonic()
    for name in args.names or BENCHMARKS:
        print(f"## bench.{name}", flush=True)
        command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        if subprocess.run(command, env=environment, check=False).returncode != 0:
            failed.append(name)
    print(f"## {time.monotonic() - started:.0f} s in all", flush=True)
    if failed:
        print(f"## failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
