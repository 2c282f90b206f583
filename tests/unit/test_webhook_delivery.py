"""The deliverer's rules through in-memory ports: fan-out, idempotent repeats, the retry
plan (full jitter, at least 24 hours, then failed) and retries by hand."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.domain.clock import FixedClock
from rendezvous.domain.events import EventType, WebhookEvent
from rendezvous.domain.webhook_delivery import (
    CLAIM_LEASE,
    RETRY_BASES,
    RETRY_SPAN,
    DeliveryRef,
    WebhookDeliverer,
    delivery_id_of,
    retry_delay,
    webhook_body,
)
from rendezvous.domain.webhooks import WebhookEndpoint
from tests.support.webhooks_memory import (
    MemoryDeliveryLog,
    MemoryEndpoints,
    PlainSealer,
    RecordedRetries,
    ScriptedPoster,
)

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def endpoint(endpoint_id: str, events: tuple[str, ...], tenant: str = "harbor") -> WebhookEndpoint:
    context = {"tenant_id": tenant, "endpoint_id": endpoint_id}
    return WebhookEndpoint(
        tenant_id=tenant,
        endpoint_id=endpoint_id,
        url=f"https://{endpoint_id}.example/hooks",
        events=events,
        description="",
        sealed_secret=PlainSealer().seal(SECRET, context),
        created_at=T0,
        updated_at=T0,
        version=1,
    )


EVENT = WebhookEvent(
    event_id="evt_01JDZ8X3K2M4N5P6Q7R8S9T0VW",
    tenant_id="harbor",
    type=EventType.APPOINTMENT_CONFIRMED,
    occurred_at=T0,
    data={"appointment_id": "first-visit", "by": "customer", "name": "Ana López"},
    appointment_id="first-visit",
)


class Deliverer:
    def __init__(self, *endpoints: WebhookEndpoint, draw: float = 0.5) -> None:
        self.clock = FixedClock(T0)
        self.log = MemoryDeliveryLog()
        self.poster = ScriptedPoster()
        self.retries = RecordedRetries()
        self.service = WebhookDeliverer(
            MemoryEndpoints(list(endpoints)),
            self.log,
            PlainSealer(),
            self.poster,
            self.retries,
            self.clock,
            lambda: draw,
        )

    def due_retry(self, delivery_id: str, attempt: int) -> DeliveryRef:
        self.clock.set(self.retries.planned[(delivery_id, attempt)])
        return DeliveryRef("harbor", "crm", delivery_id, attempt)


def test_an_event_reaches_each_subscribed_endpoint_once_with_its_id_and_body() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)), endpoint("bi", ("message.failed",)))

    results = d.service.fan_out(EVENT)

    assert [(r.endpoint_id, r.outcome, r.status_code) for r in results] == [
        ("crm", "delivered", 200)
    ]
    ((url, webhook_id, body, secret),) = d.poster.posts
    assert (url, webhook_id, secret) == ("https://crm.example/hooks", EVENT.event_id, SECRET)
    assert json.loads(body) == {
        "type": "appointment.confirmed",
        "timestamp": "2026-11-27T09:00:00.000Z",
        "data": EVENT.data,
    }


def test_another_tenants_endpoint_gets_nothing() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",), tenant="lumiere"))

    assert d.service.fan_out(EVENT) == []
    assert d.poster.posts == []


def test_the_same_event_twice_posts_once_and_plans_its_retry_once() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([500])

    first = d.service.fan_out(EVENT)
    again = d.service.fan_out(EVENT)

    assert [r.outcome for r in first] == ["retry_planned"]
    assert [r.outcome for r in again] == ["skipped"]
    assert len(d.poster.posts) == 1
    assert list(d.retries.planned) == [(delivery_id_of(EVENT.event_id, "crm"), 2)]


def test_a_failing_endpoint_is_retried_with_the_same_id_until_it_recovers() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([503, None])
    delivery_id = delivery_id_of(EVENT.event_id, "crm")

    d.service.fan_out(EVENT)
    second = d.service.retry(d.due_retry(delivery_id, 2))
    third = d.service.retry(d.due_retry(delivery_id, 3))

    assert (second.outcome, third.outcome) == ("retry_planned", "delivered")
    assert {post[1] for post in d.poster.posts} == {EVENT.event_id}
    assert len({post[2] for post in d.poster.posts}) == 1
    stored = d.log.get("harbor", "crm", delivery_id)
    assert stored is not None
    assert stored.state == "delivered"
    assert [(a.number, a.status_code, a.error) for a in stored.attempts] == [
        (1, 503, None),
        (2, None, "timed out"),
        (3, 200, None),
    ]


def test_a_retry_message_received_twice_attempts_once() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([500])
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    d.service.fan_out(EVENT)
    ref = d.due_retry(delivery_id, 2)

    outcomes = [d.service.retry(ref).outcome, d.service.retry(ref).outcome]

    assert outcomes == ["delivered", "skipped"]
    assert len(d.poster.posts) == 2


def test_retries_go_on_for_at_least_a_day_then_the_delivery_fails() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)), draw=0.999)
    d.poster.script.extend([500] * 100)
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    outcome = d.service.fan_out(EVENT)[0].outcome
    attempt = 1
    while outcome == "retry_planned":
        attempt += 1
        outcome = d.service.retry(d.due_retry(delivery_id, attempt)).outcome

    stored = d.log.get("harbor", "crm", delivery_id)
    assert stored is not None
    assert stored.state == "failed"
    assert outcome == "failed"
    assert stored.attempts[-1].at - stored.attempts[0].at >= RETRY_SPAN
    assert stored.next_attempt_at is None


def test_full_jitter_draws_each_delay_between_zero_and_its_exponential_base() -> None:
    assert retry_delay(1, lambda: 0.0) == timedelta(0)
    assert retry_delay(1, lambda: 0.5) == timedelta(seconds=15)
    assert retry_delay(3, lambda: 0.5) == RETRY_BASES[2] / 2
    assert retry_delay(50, lambda: 0.5) == timedelta(hours=4)
    assert all(b2 > b1 for b1, b2 in itertools.pairwise(RETRY_BASES))


def test_a_retry_by_hand_attempts_a_reopened_delivery_once_more() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([500])
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    d.service.fan_out(EVENT)

    result = d.service.retry(DeliveryRef("harbor", "crm", delivery_id))

    assert (result.outcome, result.attempt) == ("delivered", 2)


def test_a_retry_by_hand_received_twice_posts_once() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([500])
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    d.service.fan_out(EVENT)
    ref = DeliveryRef("harbor", "crm", delivery_id)

    outcomes = [d.service.retry(ref).outcome, d.service.retry(ref).outcome]

    assert outcomes == ["delivered", "skipped"]
    assert len(d.poster.posts) == 2


def test_a_retry_by_hand_that_fails_plans_no_automatic_retries() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([500, 500])
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    d.service.fan_out(EVENT)

    result = d.service.retry(DeliveryRef("harbor", "crm", delivery_id))

    assert result.outcome == "failed"
    assert list(d.retries.planned) == [(delivery_id, 2)]


def test_a_retry_for_a_deleted_endpoint_is_skipped() -> None:
    d = Deliverer()

    result = d.service.retry(DeliveryRef("harbor", "gone", "dlv_x", 2))

    assert result.outcome == "skipped"
    assert d.poster.posts == []


@pytest.mark.parametrize("data", [{"note": "café ☕"}, {"n": 1, "nested": {"a": [1, 2]}}])
def test_the_body_is_compact_json_with_the_events_own_timestamp(data: dict[str, object]) -> None:
    event = WebhookEvent("evt_1", "harbor", EventType.QUEUE_ITEM_OPENED, T0, data, None)

    body = webhook_body(event)

    assert json.loads(body) == {
        "type": "queue.item_opened",
        "timestamp": "2026-11-27T09:00:00.000Z",
        "data": data,
    }
    assert ", " not in body


def test_the_same_event_received_again_while_its_first_post_is_under_way_posts_once() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    meanwhile: list[list[str]] = []
    d.poster.during_post = lambda: meanwhile.append([r.outcome for r in d.service.fan_out(EVENT)])

    first = d.service.fan_out(EVENT)

    assert [r.outcome for r in first] == ["delivered"]
    assert meanwhile == [["skipped"]]
    assert len(d.poster.posts) == 1


def test_a_retry_message_received_again_while_its_post_is_under_way_posts_once() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    d.poster.script.extend([500])
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    d.service.fan_out(EVENT)
    ref = d.due_retry(delivery_id, 2)
    meanwhile: list[str] = []
    d.poster.during_post = lambda: meanwhile.append(d.service.retry(ref).outcome)

    outcome = d.service.retry(ref).outcome

    assert (outcome, meanwhile) == ("delivered", ["skipped"])
    assert len(d.poster.posts) == 2


def test_an_attempt_whose_claimant_vanished_is_attempted_once_its_lease_is_over() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)))
    delivery_id = delivery_id_of(EVENT.event_id, "crm")
    stored = d.log.stored
    d.service.fan_out(EVENT)
    # As if the receive that claimed attempt 1 died before logging it.
    key = ("harbor", "crm", delivery_id)
    stored[key] = replace(stored[key], state="pending", attempts=())
    d.log.claims[key] = (1, T0 + CLAIM_LEASE)

    d.clock.set(T0 + CLAIM_LEASE / 2)
    early = d.service.fan_out(EVENT)
    d.clock.set(T0 + CLAIM_LEASE + timedelta(seconds=1))
    late = d.service.fan_out(EVENT)

    assert ([r.outcome for r in early], [r.outcome for r in late]) == (["skipped"], ["delivered"])
    assert len(d.poster.posts) == 2


def test_a_retry_is_planned_after_the_attempt_ends_never_in_the_past() -> None:
    d = Deliverer(endpoint("crm", ("appointment.confirmed",)), draw=0.1)
    d.poster.script.extend([None])  # a timeout: the attempt took its 10 s
    d.poster.during_post = lambda: d.clock.advance(seconds=10)
    delivery_id = delivery_id_of(EVENT.event_id, "crm")

    d.service.fan_out(EVENT)

    # Full jitter drew 3 s of the first retry's 30: counted from when the attempt ended.
    assert d.retries.planned[(delivery_id, 2)] == T0 + timedelta(seconds=13)
