"""Memory per booking of the local stack (`python -m infra.local` in a subprocess).

Books N appointments over HTTP on 127.0.0.1 (each one a DynamoDB transaction, schedules
and a confirmation sent through SQS to the Twilio sandbox), then reports the stack's
resident memory before and after and the growth per booking.

    python -m benchmarks.memory_per_booking --bookings 1000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

from benchmarks.process_stats import rss_mb
from tests.support import local_stack

HTTP_TIMEOUT = 30.0
WARM_UP = 20  # first requests import and warm every function; not growth per booking


def book(stack: local_stack.LocalStackProcess, token: str, n: int, starts_at: str) -> None:
    answer = requests.put(
        stack.url(f"/v1/appointments/bench-{n:05d}"),
        headers={"Authorization": f"Bearer {token}"},
        json={
            "customer": {"phone": f"+1415555{n % 10_000:04d}", "name": f"Customer {n}"},
            "starts_at": starts_at,
            "location": "Harbor Clinic",
        },
        timeout=HTTP_TIMEOUT,
    )
    if answer.status_code != 201:
        raise RuntimeError(f"booking {n} answered {answer.status_code}: {answer.text}")


def measure(bookings: int, budget_seconds: float) -> str:
    with tempfile.TemporaryDirectory() as folder:
        stack = local_stack.start(Path(folder))
        try:
            pid = stack.process.pid
            token = stack.tenants[0].booking_token
            clock = requests.get(stack.url("/_local/clock"), timeout=HTTP_TIMEOUT).json()["now"]

            starts_at = (datetime.fromisoformat(clock) + timedelta(days=5)).isoformat()
            for n in range(WARM_UP):
                book(stack, token, bookings + n, starts_at)
            before = rss_mb(pid)
            started = time.monotonic()
            done = 0
            for n in range(bookings):
                if time.monotonic() - started > budget_seconds:
                    break
                book(stack, token, n, starts_at)
                done += 1
            elapsed = time.monotonic() - started
            after = rss_mb(pid)
        finally:
            stopping = time.monotonic()
            try:
                local_stack.stop(stack)
                stopped = f"stopped in {time.monotonic() - stopping:.1f} s"
            except AssertionError:
                stopped = "ignored SIGTERM and was killed"
    per = (after - before) / max(done, 1)
    note = "" if done == bookings else f" (stopped at the {budget_seconds:.0f} s budget)"
    return (
        f"{done} bookings through the local stack in {elapsed:.1f} s{note} "
        f"({elapsed / max(done, 1) * 1000:.0f} ms each): RSS {before:.0f} MB before, "
        f"{after:.0f} MB after, {per:.3f} MB per booking; the stack {stopped}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--budget-seconds", type=float, default=600.0)
    args = parser.parse_args()
    print(measure(args.bookings, args.budget_seconds), flush=True)


if __name__ == "__main__":
    main()
