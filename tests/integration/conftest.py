from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.template import LocalStack
from rendezvous.adapters.dynamodb_store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.runtime import Runtime
from tests.support.aws import at, clinic, make_runtime, moto_stack, seed_tenant


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with moto_stack() as local:
        yield local


@pytest.fixture
def clock() -> FixedClock:
    # A Thursday morning at the clinic (America/Los_Angeles).
    return FixedClock(at("2030-01-10T09:00:00-08:00"))


@pytest.fixture
def runtime(stack: LocalStack, clock: FixedClock) -> Runtime:
    return make_runtime(stack, clock)


@pytest.fixture
def store(runtime: Runtime) -> DynamoAppointmentStore:
    store: DynamoAppointmentStore = runtime.store()
    seed_tenant(store, clinic())
    seed_tenant(
        store,
        clinic(tenant_id="salon-1", name="Rue Salon", phone_number="+33612345678",
               timezone="Europe/Paris", locale="fr"),
    )
    return store


@pytest.fixture
def schedules(runtime: Runtime) -> Any:
    client = boto3.client("scheduler")
    group = runtime.settings.schedule_group

    def listing() -> dict[str, dict[str, Any]]:
        names = [s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"]]
        return {n: client.get_schedule(Name=n, GroupName=group) for n in names}

    return listing


@pytest.fixture
def outbound(runtime: Runtime) -> Any:
    client = boto3.client("sqs")
    url = runtime.settings.outbound_queue_url

    def drain() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            batch = got.get("Messages", [])
            if not batch:
                return messages
            for m in batch:
                client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            messages.extend(batch)

    return drain
