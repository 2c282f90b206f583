"""`make backfill` on moto: appointments saved the way code before issue 13 left them
(written by the repository, then stripped of tpk/tsk), then indexed; items per second for
the dry run, a run in 1 and in 4 segments, and a second run that finds nothing.
moto is in-process and single-threaded, so this times the migration's own code and moto's,
not DynamoDB (whose limit is the table's write capacity).

    python -m benchmarks.backfill --appointments 2000
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import boto3

from infra.backfill import Counts, backfill
from infra.template import REGION
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from tests.integration.test_backfill import (
    DAY_15,
    NOW,
    appointment,
    saved_the_old_way,
    strip_day_keys,
)
from tests.support.aws import clinic, dynamo_store, make_runtime, moto_stack, seed_tenant


def timed(
    store: DynamoAppointmentStore, label: str, *, dry_run: bool = False, segments: int = 1
) -> Counts:
    db = boto3.client("dynamodb", region_name=REGION)
    started = time.perf_counter()
    counts = backfill(db, store._table, dry_run=dry_run, segments=segments)
    seconds = time.perf_counter() - started
    print(
        f"{label}: {counts.line()} in {seconds:.2f} s:"
        f" {counts.scanned / seconds:.0f} items/s scanned,"
        f" {counts.lacking / seconds:.0f} appointments/s"
    )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backfill")
    parser.add_argument("--appointments", type=int, default=2000)
    args = parser.parse_args()
    with moto_stack() as stack:
        store = dynamo_store(make_runtime(stack, FixedClock(NOW)))
        seed_tenant(store, clinic())
        appointments = [
            appointment(n, DAY_15 + timedelta(minutes=n)) for n in range(args.appointments)
        ]
        saved_the_old_way(store, *appointments)
        timed(store, "dry run", dry_run=True)
        timed(store, "run, 1 segment")
        timed(store, "again")
        for a in appointments:
            strip_day_keys(store, a)
        timed(store, "run, 4 segments", segments=4)
        print(f"listed on their day afterwards: {count_listed(store)}")


def count_listed(store: DynamoAppointmentStore) -> int:
    total, after = 0, None
    end = DAY_15 + timedelta(days=3)
    while True:
        found, more = store.appointments_starting("clinic-1", DAY_15, end, limit=500, after=after)
        total += len(found)
        if not more:
            return total
        after = (found[-1].starts_at, found[-1].appointment_id)


if __name__ == "__main__":
    main()
