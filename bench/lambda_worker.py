"""One Kisi worker "Lambda instance" for the rate-limit benchmark: its own process (its own pacer,
as on AWS), polling the command queue on a moto server with the event source's semantics and
invoking the real worker handler, until the stop file appears.

    python -m bench.lambda_worker <queue url> <queue arn> <stop file>

The environment (the function's variables, AWS_ENDPOINT_URL, credentials) comes from the parent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import bench.support  # noqa: F401 - puts the layers and the local runtime on sys.path


def main(argv: list[str] | None = None) -> None:
    import boto3

    from local_runtime.sqs_poller import SqsEventSourcePoller
    from local_runtime.template import function_handler

    queue_url, queue_arn, stop_file = argv if argv is not None else sys.argv[1:]
    poller = SqsEventSourcePoller(
        boto3.client("sqs"), queue_url, queue_arn, function_handler("KisiWorkerFunction")
    )
    stop = Path(stop_file)
    while not stop.exists():
        poller.poll_once(wait_seconds=1)


if __name__ == "__main__":
    main()
