"""Cold start: how long importing each function's handler module takes in a fresh interpreter, with
the import path Lambda gives it (the function's folder, then the layers' content, then the
packages), beside a bare `import boto3`; the median of several runs with compiled bytecode (as
pip leaves the layers' packages), and the first run, which compiles everything. One more run under
`python -X importtime` names the heaviest top-level imports, and the modules each function loads
that it may not need (the webhook has no business with the Kisi client or httpx).

Wall-clock figures: noisy on a shared machine, compare them with the boto3 baseline of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.support import FAKE_AWS_ENVIRONMENT, PROJECT_ROOT, QUIET_ENVIRONMENT, Report, median

BENCH = "cold_start"
LAYER_ROOTS = [
    PROJECT_ROOT / "layers" / name for name in ("kisi_client", "pushpress_client", "access_core")
]
# Modules worth knowing about when they are loaded: the Kisi client and its HTTP stack.
WATCHED = ("kisi_client", "httpx", "access_core.membership.worker", "access_core.admin.service")
# What a function must not load: the webhook only stores state and queues commands.
NOT_NEEDED = {"webhook": ("kisi_client", "httpx")}
# The environment the template gives the functions (values do not matter for an import).
FUNCTION_ENVIRONMENT = {
    "STAGE": "bench",
    "TABLE_NAME": "bench-table",
    "IDEMPOTENCY_TABLE_NAME": "bench-idempotency",
    "COMMAND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench.fifo",
    "SSM_PREFIX": "/kisi-access-bridge/bench",
    "KISI_BASE_URL": "https://api.kisi.io",
    "POWERTOOLS_SERVICE_NAME": "bench",
}

_PROBE = """
import json, sys, time
started = time.perf_counter()
import {module}
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "loaded": [m for m in {watched!r} if m in sys.modules]}}))
"""


def functions() -> dict[str, tuple[Path, str]]:
    """Each function of the template: (its code folder, its handler module)."""
    from local_runtime.template import load_template, resources_of_type

    found = {}
    for resource in resources_of_type(load_template(), "AWS::Serverless::Function").values():
        properties = resource["Properties"]
        folder = (PROJECT_ROOT / properties["CodeUri"]).resolve()
        found[folder.name] = (folder, properties["Handler"].rsplit(".", 1)[0])
    return dict(sorted(found.items()))


def _probe(
    module: str, roots: list[Path], bytecode: Path, *, importtime: bool = False
) -> tuple[dict[str, Any], str]:
    """Import `module` in a fresh interpreter; compiled bytecode goes to (and comes from)
    `bytecode`, never into the source tree."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"))
    }
    environment |= FAKE_AWS_ENVIRONMENT | QUIET_ENVIRONMENT | FUNCTION_ENVIRONMENT
    environment["PYTHONPATH"] = os.pathsep.join(str(root) for root in roots)
    environment["PYTHONPYCACHEPREFIX"] = str(bytecode)
    command = [sys.executable, "-P"]
    if importtime:
        command += ["-X", "importtime"]
    command += ["-c", _PROBE.format(module=module, watched=WATCHED)]
    done = subprocess.run(
        command, env=environment, cwd=roots[0], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def heaviest_imports(importtime_log: str, most: int = 6) -> list[tuple[str, float]]:
    """The packages whose modules took the most time to import (their own time, summed over
    every module of the package, in seconds), heaviest first."""
    microseconds: Counter[str] = Counter()
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|", 2)
        microseconds[name.strip().split(".", 1)[0]] += int(own)
    return [(package, us / 1e6) for package, us in microseconds.most_common(most)]


def run(*, repeats: int = 5) -> Report:
    report = Report(BENCH)
    with tempfile.TemporaryDirectory(prefix="bench-bytecode-") as bytecode_dir:
        bytecode = Path(bytecode_dir)

        def timed(module: str, roots: list[Path]) -> tuple[float, float]:
            """(first import, compiling every module; median of `repeats` with bytecode)."""
            first = _probe(module, roots, bytecode)[0]["seconds"]
            warm = [_probe(module, roots, bytecode)[0]["seconds"] for _ in range(repeats)]
            return first, median(warm)

        _, baseline = timed("boto3", [PROJECT_ROOT / "bench"])
        report.figure("baseline.import_boto3_ms", baseline * 1000, f"median of {repeats}")
        for name, (folder, module) in functions().items():
            roots = [folder, *LAYER_ROOTS]
            first, seconds = timed(module, roots)
            report.figure(
                f"{name}.import_ms", seconds * 1000, f"import {module}, median of {repeats}"
            )
            report.figure(f"{name}.ratio_to_boto3", seconds / baseline, "1.0 = as heavy as boto3")
            report.figure(
                f"{name}.import_ms_compiling", first * 1000, "once, without bytecode (.pyc)"
            )
            probe, log = _probe(module, roots, bytecode, importtime=True)
            heavy = ", ".join(f"{pkg} {sec * 1000:.0f}" for pkg, sec in heaviest_imports(log))
            report.figure(
                f"{name}.heaviest_imports_ms", heavy, "own import time by package (-X importtime)"
            )
            loaded = probe["loaded"]
            report.figure(f"{name}.loads", ", ".join(loaded) or "-", f"of {', '.join(WATCHED)}")
            unneeded = [m for m in NOT_NEEDED.get(name, ()) if m in loaded]
            if unneeded:
                report.figure(f"{name}.unneeded_imports", ", ".join(unneeded), "should be lazy")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="runs per module (median)")
    parser.add_argument("--quick", action="store_true", help="one run per module")
    args = parser.parse_args(argv)
    run(repeats=1 if args.quick else args.repeats)


if __name__ == "__main__":
    main()
