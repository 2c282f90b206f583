from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from twilio.rest import Client

from infra.local.sandbox import SandboxConfig, SandboxServer
from infra.template import LocalStack
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.runtime import Runtime, reset_runtime
from tests.support.aws import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    at,
    clinic,
    dynamo_store,
    empty_stack,
    make_runtime,
    moto_stack,
    seed_tenant,
)

GATEWAY_BACKOFF_SECONDS = 0.001


@pytest.fixture(scope="module")
def provisioned_stack() -> Iterator[LocalStack]:
    """The template stood up in moto once per test module, which costs more than a test;
    torn down after it, so modules that start moto themselves get a fresh one."""
    with moto_stack() as local:
        yield local


@pytest.fixture
def stack(provisioned_stack: LocalStack) -> Iterator[LocalStack]:
    empty_stack(provisioned_stack)
    try:
        yield provisioned_stack
    finally:
        reset_runtime()


@pytest.fixture
def clock() -> FixedClock:
    # A Thursday morning at the clinic (America/Los_Angeles).
    return FixedClock(at("2030-01-10T09:00:00-08:00"))


@pytest.fixture
def runtime(stack: LocalStack, clock: FixedClock, request: pytest.FixtureRequest) -> Runtime:
    """The functions' wiring; tests that use the sandbox send through it over real HTTP."""
    # The gateway's pauses between its tries are pinned by test_twilio_gateway.py, where a
    # recorder stands in for sleep; here they would only be waited out (0.25 s, then 0.5 s).
    backoff = GATEWAY_BACKOFF_SECONDS
    if "sandbox" in request.fixturenames:
        sandbox: SandboxServer = request.getfixturevalue("sandbox")
        return make_runtime(
            stack, clock, twilio_api_base_url=sandbox.base_url, twilio_backoff_seconds=backoff
        )
    # Never the real Twilio: without a sandbox, sends go to a port that refuses at once.
    return make_runtime(
        stack, clock, twilio_api_base_url="http://127.0.0.1:9", twilio_backoff_seconds=backoff
    )


@pytest.fixture
def store(runtime: Runtime) -> DynamoAppointmentStore:
    store = dynamo_store(runtime)
    seed_tenant(store, clinic())
    seed_tenant(
        store,
        clinic(
            tenant_id="salon-1",
            name="Rue Salon",
            phone_number="+33612345678",
            timezone="Europe/Paris",
            locale="fr",
        ),
    )
    return store


@pytest.fixture
def schedules(runtime: Runtime) -> Any:
    client = boto3.client("scheduler")
    group = runtime.settings.schedule_group

    def listing() -> dict[str, Any]:
        names = [s["Name"] for s in client.list_schedules(GroupName=group)["Schedules"]]
        return {n: client.get_schedule(Name=n, GroupName=group) for n in names}

    return listing


@pytest.fixture
def outbound(runtime: Runtime) -> Any:
    client = boto3.client("sqs")
    url = runtime.settings.outbound_queue_url

    def drain() -> list[Any]:
        messages: list[Any] = []
        while True:
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            batch = got.get("Messages", [])
            if not batch:
                return messages
            for m in batch:
                client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            messages.extend(batch)

    return drain


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def twilio(sandbox: SandboxServer) -> Client:
    """The official client, pointed at the sandbox: what reached the customer's phone."""
    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.api.base_url = sandbox.base_url
    return client
