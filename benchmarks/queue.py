"""The human queue under load.

1. 50 staff members claim the same item at once, through the local stack over HTTP
   (`python -m infra.local` in a subprocess): exactly one may win.
2. 10,000 queued items listed page by page (the sparse `by_queue` index, in moto made from
   template.yaml): read units per page, as DynamoDB reports them and from the items' sizes.

    python -m benchmarks.queue
"""

from __future__ import annotations

import math
import statistics
import tempfile
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import requests

from benchmarks.calls_per_reminder import item_size
from rendezvous.adapters.dynamodb.table import QUEUE_INDEX, deserialize, serialize
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import QueueIntent, QueueItem, QueueStatus
from tests.support import local_stack
from tests.support.aws import at, dynamo_queue, make_runtime, moto_stack

CLAIMERS = 50
ITEMS = 10_000


def concurrent_claims() -> Counter[int]:
    with tempfile.TemporaryDirectory() as folder:
        stack = local_stack.start(Path(folder))
        try:
            tenant = stack.tenants[0]
            sent = requests.post(
                f"{stack.twilio_base_url}/sandbox/phone/send",
                json={
                    "from": "+14155550142",
                    "to": tenant.phone_number,
                    "body": "Can someone call me back?",
                },
                timeout=30,
            )
            sent.raise_for_status()
            staff = {"Authorization": f"Bearer {tenant.staff_token}"}
            page = requests.get(stack.url("/v1/queue?status=open"), headers=staff, timeout=30)
            item_id = page.json()["items"][0]["item_id"]
            tokens = [
                requests.post(
                    stack.url("/_local/token"),
                    timeout=30,
                    json={
                        "tenant_id": tenant.tenant_id,
                        "role": "staff",
                        "sub": f"staff-{n:02d}",
                    },
                ).json()["token"]
                for n in range(CLAIMERS)
            ]
            barrier = threading.Barrier(CLAIMERS)
            statuses: Counter[int] = Counter()
            lock = threading.Lock()

            def claim(token: str) -> None:
                barrier.wait(timeout=30)
                answer = requests.post(
                    stack.url(f"/v1/queue/{item_id}/claim"),
                    timeout=60,
                    headers={"Authorization": f"Bearer {token}"},
                )
                with lock:
                    statuses[answer.status_code] += 1

            threads = [threading.Thread(target=claim, args=(t,)) for t in tokens]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            holder = requests.get(
                stack.url(f"/v1/queue/{item_id}"), headers=staff, timeout=30
            ).json()["item"]["claimed_by"]
            print(
                f"{CLAIMERS} concurrent claims of one item through the local stack: "
                + ", ".join(f"{n} x HTTP {s}" for s, n in sorted(statuses.items()))
                + f"; holder {holder}"
            )
            return statuses
        finally:
            local_stack.stop(stack)


def listing() -> None:
    with moto_stack() as stack:
        clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
        runtime = make_runtime(stack, clock)
        queue = dynamo_queue(runtime)
        client = boto3.client("dynamodb")
        table = runtime.settings.table_name
        start = clock.now()
        for first in range(0, ITEMS, 25):
            batch: list[Any] = []
            for n in range(first, min(first + 25, ITEMS)):
                created = start + timedelta(seconds=n)
                item = QueueItem(
                    tenant_id="clinic-1",
                    item_id=f"{n:020x}",
                    intent=QueueIntent.QUESTION,
                    phone=f"+1415555{n % 10000:04d}",
                    recipient_key=f"{n:024x}",
                    appointment_id=f"appt-{n}",
                    created_at=created,
                    updated_at=created,
                    due_by=created + timedelta(hours=2),
                    last_message_at=created,
                    message_count=1,
                    preview="Hi, can I move my appointment to Friday "
                    "afternoon? Something came up at work.",
                    acknowledged=True,
                )
                batch.append({"PutRequest": {"Item": serialize(queue._item(item, 90))}})
            client.batch_write_item(RequestItems={table: batch})

        for limit in (25, 100):
            reported: list[float] = []
            computed: list[float] = []
            cursor: dict[str, Any] | None = None
            seen = 0
            while True:
                kwargs: dict[str, Any] = {
                    "TableName": table,
                    "IndexName": QUEUE_INDEX,
                    "KeyConditionExpression": "qpk = :q",
                    "ExpressionAttributeValues": serialize(
                        {":q": f"T#clinic-1#QS#{QueueStatus.OPEN.value}"}
                    ),
                    "Limit": limit,
                    "ReturnConsumedCapacity": "TOTAL",
                }
                if cursor:
                    kwargs["ExclusiveStartKey"] = cursor
                page = client.query(**kwargs)
                rows = [deserialize(i) for i in page["Items"]]
                seen += len(rows)
                reported.append(float(page["ConsumedCapacity"]["CapacityUnits"]))
                # Eventually consistent (every GSI read): half a unit per 4 KB read.
                computed.append(math.ceil(sum(item_size(r) for r in rows) / 4096) * 0.5)
                cursor = page.get("LastEvaluatedKey")
                if not cursor:
                    break
            sizes = [item_size(deserialize(i)) for i in page["Items"]] or [0]
            print(
                f"listing {seen} open items, {limit} a page: {len(reported)} pages; read units "
                f"per page: DynamoDB (moto) reports {statistics.mean(reported):.2f}, item "
                f"sizes give {statistics.mean(computed):.2f} (items ~{max(sizes)} bytes)"
            )


def main() -> None:
    outcome = concurrent_claims()
    assert outcome[200] == 1, f"expected exactly one winner, got {dict(outcome)}"
    listing()


if __name__ == "__main__":
    main()
