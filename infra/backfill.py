"""One-off migration for issue 13: put appointments saved before the day index existed
into `by_time` (tpk `T#<tenant>#AD#<UTC day of starts_at>`, tsk `<start>#<id>`), so the
day and week lists (`GET /v1/appointments?from=&to=`) show them.

    make backfill TABLE=<DataTableName output> [REGION=eu-west-1] [DRY_RUN=1] [SEGMENTS=4]
    python -m infra.backfill --table <name> [--region R] [--dry-run] [--page-size N]

A Scan, which nothing else in Rendezvous does: the items to find are exactly those no index
holds, and every item of the table has to be looked at once, so reading the table once is
the cheapest a one-off can be. It reads the appointments only (sk = "A", without tpk, the
filter applied by DynamoDB) and only the attributes the keys are made of: no customer, so
no phone number is read or printed. `--segments` splits the Scan (Segment/TotalSegments)
over threads.

Each appointment is indexed with one UpdateItem whose keys come from the adapter's own
`day_keys`, conditioned on the item still lacking tpk (a save since has written the keys
of its own, newer start) and still starting when it did when read (a save by code older
than the index moved it; and an item deleted meanwhile has no start, so the UpdateItem
does not make a stub of it). An item refused by its condition is counted and left alone; running the
migration again indexes whatever a refused one still lacks and changes nothing else.
Progress goes to stderr, the counts to stdout.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import TypeAdapter

from rendezvous.adapters.dynamodb.table import condition_failed, day_keys, deserialize, values_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_SEGMENTS = 16
# Parsed as the Appointment model parses its own starts_at.
_instant = TypeAdapter(datetime)


@dataclass
class Counts:
    """What a run found and did; shared by the segments' threads under its lock."""

    scanned: int = 0  # items DynamoDB read (filtered out ones included)
    lacking: int = 0  # appointments without the day index
    indexed: int = 0
    changed_meanwhile: int = 0  # deleted, saved or moved between the Scan and the update
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: int) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def line(self) -> str:
        return (
            f"scanned {self.scanned} item(s); {self.lacking} appointment(s) lacked the day index:"
            f" {self.indexed} indexed, {self.changed_meanwhile} changed meanwhile"
        )


def _scan_request(table: str, page_size: int, segment: int, segments: int) -> dict[str, Any]:
    return {
        "TableName": table,
        "Limit": page_size,
        "Segment": segment,
        "TotalSegments": segments,
        "FilterExpression": "sk = :a AND attribute_not_exists(tpk)",
        "ProjectionExpression": "pk, sk, tenant_id, appointment_id, starts_at",
        "ExpressionAttributeValues": values_of({":a": "A"}),
    }


def index_one(db: DynamoDBClient, table: str, item: dict[str, Any]) -> bool:
    """Write one appointment's day keys; False when its condition refused (see above)."""
    starts_at = _instant.validate_python(item["starts_at"])
    keys = day_keys(item["tenant_id"], starts_at, item["appointment_id"])
    try:
        db.update_item(
            TableName=table,
            Key={"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}},
            UpdateExpression="SET tpk = :tpk, tsk = :tsk",
            ConditionExpression="attribute_not_exists(tpk) AND starts_at = :read",
            ExpressionAttributeValues=values_of(
                {":tpk": keys["tpk"], ":tsk": keys["tsk"], ":read": item["starts_at"]}
            ),
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def backfill_segment(
    db: DynamoDBClient,
    table: str,
    counts: Counts,
    *,
    page_size: int = PAGE_SIZE,
    segment: int = 0,
    segments: int = 1,
    dry_run: bool = False,
    progress: TextIO | None = None,
) -> None:
    request = _scan_request(table, page_size, segment, segments)
    started = time.monotonic()
    while True:
        page = db.scan(**request)
        items = [deserialize(raw) for raw in page.get("Items", [])]
        indexed = 0
        if not dry_run:
            indexed = sum(index_one(db, table, item) for item in items)
        counts.add(
            scanned=page.get("ScannedCount", 0),
            lacking=len(items),
            indexed=indexed,
            changed_meanwhile=0 if dry_run else len(items) - indexed,
        )
        if progress is not None:
            rate = counts.scanned / max(time.monotonic() - started, 1e-9)
            print(
                f"segment {segment}/{segments}: {counts.line()} ({rate:.0f} items/s)", file=progress
            )
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def backfill(
    db: DynamoDBClient,
    table: str,
    *,
    page_size: int = PAGE_SIZE,
    segments: int = 1,
    dry_run: bool = False,
    progress: TextIO | None = None,
) -> Counts:
    """Index every appointment the table holds without the day keys; `dry_run` only counts."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size {page_size}: 1 to {MAX_PAGE_SIZE}")
    if not 1 <= segments <= MAX_SEGMENTS:
        raise ValueError(f"segments {segments}: 1 to {MAX_SEGMENTS}")
    counts = Counts()
    with ThreadPoolExecutor(max_workers=segments) as pool:
        runs = [
            pool.submit(
                backfill_segment,
                db,
                table,
                counts,
                page_size=page_size,
                segment=segment,
                segments=segments,
                dry_run=dry_run,
                progress=progress,
            )
            for segment in range(segments)
        ]
        for run in runs:
            run.result()
    return counts


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(
        prog="python -m infra.backfill",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--table", required=True, help="the stack's DataTableName output")
    parser.add_argument("--region", help="the table's region (default: the AWS profile's)")
    parser.add_argument(
        "--page-size", type=int, default=PAGE_SIZE, help="items each Scan call reads at most"
    )
    parser.add_argument(
        "--segments", type=int, default=1, help="parallel Scan segments (threads), 1 to 16"
    )
    parser.add_argument("--dry-run", action="store_true", help="count only, write nothing")
    args = parser.parse_args(argv)
    # Standard retries back off on throttling instead of failing the run half-way.
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    db = boto3.Session(region_name=args.region).client("dynamodb", config=config)
    try:
        counts = backfill(
            db,
            args.table,
            page_size=args.page_size,
            segments=args.segments,
            dry_run=args.dry_run,
            progress=sys.stderr,
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(("dry run: " if args.dry_run else "") + counts.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
