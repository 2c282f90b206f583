"""The deliverer through its real handler: SQS records as the pipe and the retry schedules
put them, the real HTTP adapter against a receiver on loopback, retries as EventBridge
Scheduler schedules in moto, partial batch failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook

from infra.template import LocalStack
from rendezvous.adapters.aws import client
from rendezvous.adapters.webhook_http import HttpWebhookPoster
from rendezvous.adapters.webhook_retries import retry_schedule_name
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.staff import StaffMember
from rendezvous.domain.webhook_delivery import delivery_id_of
from rendezvous.domain.webhook_endpoints import EndpointValues
from rendezvous.domain.webhooks import WebhookEndpoint
from rendezvous.runtime import Runtime
from tests.support.aws import at, make_runtime
from tests.support.events import invoke, sample
from tests.support.webhooks_memory import MemoryDeliveryLog, MemoryEndpoints, PlainSealer

DELIVERER = "WebhookDelivererFunction"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
EVENT_ID = "evt_ZRAK57HCAWAT5EQT25HZ1ME1SF"  # in events/sqs_webhook_event.json
DELIVERY_ID = delivery_id_of(EVENT_ID, "crm")


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    with HTTPServer(host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def log(runtime: Runtime, receiver: HTTPServer) -> MemoryDeliveryLog:
    """The clinic's endpoint `crm` at the receiver; endpoints and the log in memory (their
    DynamoDB repositories have their own tests), poster and Scheduler real."""
    context = {"tenant_id": "clinic-1", "endpoint_id": "crm"}
    endpoint = WebhookEndpoint(
        "clinic-1",
        "crm",
        receiver.url_for("/hooks"),
        ("appointment.confirmed",),
        "",
        PlainSealer().seal(SECRET, context),
        at("2030-01-01T00:00:00Z"),
        at("2030-01-01T00:00:00Z"),
        1,
    )
    delivery_log = MemoryDeliveryLog()
    runtime.override(
        webhook_endpoints=MemoryEndpoints([endpoint]),
        delivery_log=delivery_log,
        secret_sealer=PlainSealer(),
        webhook_poster=HttpWebhookPoster(allow_loopback=True),
    )
    return delivery_log


def retry_schedules(runtime: Runtime) -> dict[str, dict[str, Any]]:
    scheduler = client("scheduler")
    group = runtime.settings.webhook_retry_group
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return {n: dict(scheduler.get_schedule(Name=n, GroupName=group)) for n in names}


def test_a_pipe_record_is_posted_signed_and_reports_no_failure(
    log: MemoryDeliveryLog, receiver: HTTPServer
) -> None:
    receiver.expect_oneshot_request("/hooks", method="POST").respond_with_data("", status=204)

    answer = invoke(DELIVERER, sample("sqs_webhook_event.json"))

    ((request, _),) = receiver.log
    body = Webhook(SECRET).verify(request.get_data(), dict(request.headers))
    assert answer == {"batchItemFailures": []}
    assert request.headers["webhook-id"] == EVENT_ID
    assert (body["type"], body["data"]["appointment_id"]) == ("appointment.confirmed", "appt-1001")
    delivery = log.get("clinic-1", "crm", DELIVERY_ID)
    assert delivery is not None
    assert delivery.state == "delivered"


def test_a_failing_endpoint_gets_a_retry_schedule_that_puts_the_delivery_on_its_queue(
    runtime: Runtime, log: MemoryDeliveryLog, receiver: HTTPServer
) -> None:
    receiver.expect_request("/hooks").respond_with_data("busy", status=503)

    answer = invoke(DELIVERER, sample("sqs_webhook_event.json"))

    schedules = retry_schedules(runtime)
    schedule = schedules[retry_schedule_name(DELIVERY_ID, 2)]
    assert answer == {"batchItemFailures": []}
    assert list(schedules) == [retry_schedule_name(DELIVERY_ID, 2)]
    assert schedule["Target"]["Arn"] == runtime.settings.webhook_retry_target_arn
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert json.loads(schedule["Target"]["Input"]) == {
        "tenant_id": "clinic-1",
        "endpoint_id": "crm",
        "delivery_id": DELIVERY_ID,
        "attempt": 2,
    }


def test_the_scheduled_retry_attempts_again_with_the_same_id(
    runtime: Runtime, log: MemoryDeliveryLog, receiver: HTTPServer
) -> None:
    receiver.expect_ordered_request("/hooks").respond_with_data("busy", status=503)
    receiver.expect_ordered_request("/hooks").respond_with_data("ok")
    invoke(DELIVERER, sample("sqs_webhook_event.json"))
    retry = sample("sqs_webhook_delivery.json")
    (schedule,) = retry_schedules(runtime).values()
    retry["Records"][0]["body"] = schedule["Target"]["Input"]

    answer = invoke(DELIVERER, retry)

    assert answer == {"batchItemFailures": []}
    assert [r.headers["webhook-id"] for r, _ in receiver.log] == [EVENT_ID, EVENT_ID]
    delivery = log.get("clinic-1", "crm", DELIVERY_ID)
    assert delivery is not None
    assert [a.status_code for a in delivery.attempts] == [503, 200]


def test_a_record_that_cannot_be_read_fails_alone(
    log: MemoryDeliveryLog, receiver: HTTPServer
) -> None:
    receiver.expect_request("/hooks").respond_with_data("ok")
    event = sample("sqs_webhook_event.json")
    good = event["Records"][0]
    bad = {**good, "messageId": "bad-1", "body": '{"delivery_id": 7}'}
    event["Records"] = [bad, good]

    answer = invoke(DELIVERER, event)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}
    assert len(receiver.log) == 1


def test_with_the_real_repositories_and_kms_an_endpoint_made_by_a_manager_gets_the_event(
    stack: LocalStack, clock: FixedClock, receiver: HTTPServer
) -> None:
    runtime = make_runtime(stack, clock, webhook_allow_loopback=True)
    registration = runtime.webhook_endpoint_service().put(
        StaffMember("clinic-1", "ana@harbor.example"),
        "crm",
        EndpointValues(receiver.url_for("/hooks"), ("appointment.confirmed",)),
    )
    receiver.expect_oneshot_request("/hooks", method="POST").respond_with_data("", status=204)

    answer = invoke(DELIVERER, sample("sqs_webhook_event.json"))

    ((request, _),) = receiver.log
    assert registration.secret is not None
    assert answer == {"batchItemFailures": []}
    assert Webhook(registration.secret).verify(request.get_data(), dict(request.headers))
    delivery = runtime.delivery_log().get("clinic-1", "crm", DELIVERY_ID)
    assert delivery is not None
    assert delivery.state == "delivered"
    assert [(a.number, a.status_code) for a in delivery.attempts] == [(1, 204)]
