"""The operator's redrive: SQS's own StartMessageMoveTask moves what waits in the outbound
dead-letter queue back to the outbound queue, where the sender sends each text once (or
records why not). Against AWS give the queue's ARN (the stack output
OutboundDeadLetterQueueArn); without one it redrives the running local stack.

    python -m infra.redrive --source-arn arn:aws:sqs:...:rendezvous-OutboundDeadLetterQueue
    python -m infra.redrive                      # the local stack (`make redrive`)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from infra.template import ACCOUNT_ID, REGION, STACK_NAME

LOCAL_DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{STACK_NAME}-OutboundDeadLetterQueue"
WAIT_SECONDS = 300.0


def local_client(credentials: Path) -> Any:
    """An SQS client on the local stack's moto, never on an AWS account."""
    try:
        endpoint = json.loads(credentials.read_text(encoding="utf-8"))["aws_endpoint_url"]
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(f"no running local stack found ({credentials}): start `make run`") from exc
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder
    )


def redrive(sqs: Any, source_arn: str, wait_seconds: float = WAIT_SECONDS) -> dict[str, Any]:
    """Start the move and wait until SQS says it is over; returns the task as SQS lists it."""
    handle = sqs.start_message_move_task(SourceArn=source_arn)["TaskHandle"]
    deadline = time.monotonic() + wait_seconds
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=10)["Results"]
        task: dict[str, Any] = next(t for t in tasks if t.get("TaskHandle") == handle)
        if task["Status"] != "RUNNING" or time.monotonic() > deadline:
            return task
        time.sleep(2.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.redrive", description=__doc__)
    parser.add_argument("--source-arn", help="the outbound dead-letter queue's ARN (AWS)")
    parser.add_argument(
        "--credentials",
        type=Path,
        default=Path(os.environ.get("RENDEZVOUS_LOCAL_DIR") or ".local") / "credentials.json",
        help="the local stack's credentials file (without --source-arn; default from"
        " RENDEZVOUS_LOCAL_DIR, as `make run` writes it)",
    )
    args = parser.parse_args(argv)
    if args.source_arn:
        sqs, source_arn = boto3.client("sqs"), args.source_arn
    else:
        sqs, source_arn = local_client(args.credentials), LOCAL_DLQ_ARN
    task = redrive(sqs, source_arn)
    print(
        f"{task['Status']}: {task.get('ApproximateNumberOfMessagesMoved', 0)} message(s) moved "
        f"from {source_arn} back to its source queue"
    )
    return 0 if task["Status"] == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main())
