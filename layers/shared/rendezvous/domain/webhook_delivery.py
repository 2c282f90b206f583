"""Delivering webhook events to a tenant's endpoints: fan-out, one attempt at a time, and
the retry plan (exponential backoff with full jitter for at least a day, then failed).

An attempt is claimed before its POST (a lease on its number), logged before its retry is
planned, and each step is idempotent (the claim and the log are conditional on the attempt
number, the retry schedule's name is deterministic), so a queue message received twice,
even by two invocations at once, neither posts twice nor plans twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.ports import (
    DeliveryLog,
    DeliveryRetries,
    SecretSealer,
    WebhookEndpoints,
    WebhookPoster,
)
from rendezvous.domain.webhooks import Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint

# The base delay before retry n (the n-th entry); later retries keep the last. Each actual
# delay is drawn uniformly from [0, base] ("full jitter"), so endpoints that failed together
# (an outage) are not all retried in the same second when they come back.
RETRY_BASES: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
# A delivery is retried until its first attempt is this old; jitter makes the number of
# attempts vary, never the span (CONTRACT: "for at least 24 hours").
RETRY_SPAN = timedelta(hours=24)
# How long a claimed attempt is left to its claimant: longer than a POST may take (10 s),
# shorter than the queues' visibility timeout, so the message of a claimant that died comes
# back after the lease and makes the attempt.
CLAIM_LEASE = timedelta(minutes=1)

Outcome = Literal["delivered", "retry_planned", "failed", "skipped"]


def delivery_id_of(event_id: str, endpoint_id: str) -> str:
    """One delivery per event and endpoint, whoever computes it: a repeated fan-out finds
    the delivery it already began."""
    digest = hashlib.sha256(f"{event_id}\n{endpoint_id}".encode()).hexdigest()
    return "dlv_" + digest[:26]


def webhook_body(event: WebhookEvent) -> str:
    """The body of every attempt of an event (`WebhookEvent.body`, compact JSON): the same
    bytes each time, so a receiver may compare retries by `webhook-id` alone."""
    return json.dumps(event.body(), separators=(",", ":"), ensure_ascii=False)


def retry_delay(retry_number: int, draw: Callable[[], float]) -> timedelta:
    """The pause before retry `retry_number` (1 = the first retry): full jitter over the
    exponential base. `draw` returns a float in [0, 1)."""
    base = RETRY_BASES[min(retry_number, len(RETRY_BASES)) - 1]
    return base * draw()


@dataclass(frozen=True)
class DeliveryRef:
    """What the deliveries queue carries: one delivery to attempt. `attempt` is the number
    a scheduled retry is for; None is a retry by hand (one attempt of a reopened delivery;
    if it fails, the delivery is failed again, with no automatic retries)."""

    tenant_id: str
    endpoint_id: str
    delivery_id: str
    attempt: int | None = None


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: str
    endpoint_id: str
    outcome: Outcome
    attempt: int | None = None
    status_code: int | None = None


class WebhookDeliverer:
    def __init__(
        self,
        endpoints: WebhookEndpoints,
        log: DeliveryLog,
        sealer: SecretSealer,
        poster: WebhookPoster,
        retries: DeliveryRetries,
        clock: Clock,
        draw: Callable[[], float],
    ) -> None:
        self._endpoints = endpoints
        self._log = log
        self._sealer = sealer
        self._poster = poster
        self._retries = retries
        self._clock = clock
        self._draw = draw

    def fan_out(self, event: WebhookEvent) -> list[DeliveryResult]:
        """Begin one delivery per endpoint subscribed to the event's type and attempt it.
        A repeat of the event (the pipe or the queue delivering twice) attempts only the
        deliveries that have no attempt yet, and re-plans the retry of the others."""
        results = []
        for endpoint in self._endpoints.endpoints_for(event.tenant_id, event.type):
            delivery = Delivery(
                tenant_id=event.tenant_id,
                endpoint_id=endpoint.endpoint_id,
                delivery_id=delivery_id_of(event.event_id, endpoint.endpoint_id),
                event=event,
                state="pending",
                attempts=(),
                next_attempt_at=self._clock.now(),
            )
            if not self._log.begin(delivery):
                found = self._log.get(
                    delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id
                )
                if found is None:
                    raise ConcurrentModification(f"delivery {delivery.delivery_id} vanished")
                if found.attempts:
                    results.append(self._resume(found))
                    continue
                delivery = found
            results.append(self._attempt(delivery, endpoint, automatic=True))
        return results

    def retry(self, ref: DeliveryRef) -> DeliveryResult:
        """Attempt a delivery again: a scheduled retry (only if it is still the attempt that
        is due) or a retry by hand (one attempt; a failure leaves it failed)."""
        delivery = self._log.get(ref.tenant_id, ref.endpoint_id, ref.delivery_id)
        endpoint = self._endpoints.get_endpoint(ref.tenant_id, ref.endpoint_id)
        if delivery is None or endpoint is None:
            return DeliveryResult(ref.delivery_id, ref.endpoint_id, "skipped")
        if ref.attempt is None:
            # A manager's retry reopened it (pending again); settled means this message
            # was received before and its attempt is done.
            if delivery.state != "pending":
                return DeliveryResult(ref.delivery_id, ref.endpoint_id, "skipped")
            return self._attempt(delivery, endpoint, automatic=False)
        if delivery.state != "pending" or len(delivery.attempts) >= ref.attempt:
            # Already attempted (a duplicate message) or settled since.
            return self._resume(delivery)
        return self._attempt(delivery, endpoint, automatic=True)

    def _attempt(
        self, delivery: Delivery, endpoint: WebhookEndpoint, *, automatic: bool
    ) -> DeliveryResult:
        number = len(delivery.attempts) + 1
        started = self._clock.now()
        if not self._log.claim_attempt(delivery, number, started, started + CLAIM_LEASE):
            # Another receive of the same message is making (or made) this attempt.
            return DeliveryResult(delivery.delivery_id, delivery.endpoint_id, "skipped", number)
        context = {"tenant_id": endpoint.tenant_id, "endpoint_id": endpoint.endpoint_id}
        secret = self._sealer.open(endpoint.sealed_secret, context)
        sent = self._poster.post(
            endpoint.url, delivery.event.event_id, webhook_body(delivery.event), secret
        )
        attempt = DeliveryAttempt(
            number=number,
            at=started,
            status_code=sent.status_code,
            duration_ms=sent.duration_ms,
            error=sent.error,
            response_excerpt=sent.response_excerpt[:256],
        )
        first_at = delivery.attempts[0].at if delivery.attempts else started
        state: DeliveryState
        next_at: datetime | None
        if sent.delivered:
            state, next_at = "delivered", None
        elif automatic and started - first_at < RETRY_SPAN:
            # From the attempt's end: from its start, a short draw after a slow attempt
            # (a 10 s timeout, a first retry drawn under 30 s) would plan it in the past.
            state, next_at = "pending", self._clock.now() + retry_delay(number, self._draw)
        else:
            state, next_at = "failed", None
        updated = replace(
            delivery,
            state=state,
            attempts=(*delivery.attempts, attempt),
            next_attempt_at=next_at,
        )
        try:
            updated = self._log.record_attempt(updated, attempt)
        except ConcurrentModification:
            # Another receive of the same message logged this attempt first.
            return DeliveryResult(delivery.delivery_id, delivery.endpoint_id, "skipped", number)
        if next_at is not None:
            self._retries.schedule_retry(updated, number + 1, next_at)
            outcome: Outcome = "retry_planned"
        else:
            outcome = "delivered" if state == "delivered" else "failed"
        return DeliveryResult(
            delivery.delivery_id, delivery.endpoint_id, outcome, number, sent.status_code
        )

    def _resume(self, delivery: Delivery) -> DeliveryResult:
        """A delivery met again after its last attempt was logged: make sure its retry is
        planned (the crash window between logging and scheduling), nothing else."""
        number = len(delivery.attempts)
        if delivery.state == "pending" and delivery.next_attempt_at is not None:
            self._retries.schedule_retry(delivery, number + 1, delivery.next_attempt_at)
        return DeliveryResult(delivery.delivery_id, delivery.endpoint_id, "skipped", number)
