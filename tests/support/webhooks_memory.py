"""In-memory ports of the webhook deliverer, with the conditions their repositories keep
(one delivery per id, one log line per attempt number)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.ports import PostOutcome
from rendezvous.domain.webhooks import Delivery, DeliveryAttempt, WebhookEndpoint

DeliveryKey = tuple[str, str, str]


@dataclass
class MemoryEndpoints:
    endpoints: list[WebhookEndpoint] = field(default_factory=list)

    def endpoints_for(self, tenant_id: str, event_type: str) -> list[WebhookEndpoint]:
        return [e for e in self.endpoints if e.tenant_id == tenant_id and event_type in e.events]

    def get_endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        found = [
            e for e in self.endpoints if (e.tenant_id, e.endpoint_id) == (tenant_id, endpoint_id)
        ]
        return found[0] if found else None


class PlainSealer:
    """Seals as "sealed:<context>:<secret>", and opens only with the same context."""

    def seal(self, secret: str, context: dict[str, str]) -> str:
        return f"sealed:{sorted(context.items())}:{secret}"

    def open(self, sealed: str, context: dict[str, str]) -> str:
        prefix = f"sealed:{sorted(context.items())}:"
        if not sealed.startswith(prefix):
            raise ValueError("wrong encryption context")
        return sealed[len(prefix) :]


@dataclass
class MemoryDeliveryLog:
    stored: dict[DeliveryKey, Delivery] = field(default_factory=dict)
    # Which attempt of a delivery is claimed, until when.
    claims: dict[DeliveryKey, tuple[int, datetime]] = field(default_factory=dict)

    @staticmethod
    def _key(delivery: Delivery) -> DeliveryKey:
        return (delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id)

    def begin(self, delivery: Delivery) -> bool:
        if self._key(delivery) in self.stored:
            return False
        self.stored[self._key(delivery)] = delivery
        return True

    def get(self, tenant_id: str, endpoint_id: str, delivery_id: str) -> Delivery | None:
        return self.stored.get((tenant_id, endpoint_id, delivery_id))

    def deliveries(
        self, tenant_id: str, endpoint_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        found = [d for (t, e, _), d in self.stored.items() if (t, e) == (tenant_id, endpoint_id)]
        return found[:limit], None

    def claim_attempt(
        self, delivery: Delivery, number: int, now: datetime, until: datetime
    ) -> bool:
        key = self._key(delivery)
        if len(self.stored[key].attempts) != number - 1:
            return False
        claimed, expires = self.claims.get(key, (0, now))
        if claimed >= number and expires >= now:
            return False
        self.claims[key] = (number, until)
        return True

    def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt) -> Delivery:
        stored = self.stored[self._key(delivery)]
        if len(stored.attempts) != attempt.number - 1:
            raise ConcurrentModification(f"attempt {attempt.number} is logged already")
        self.stored[self._key(delivery)] = delivery
        return delivery


@dataclass
class ScriptedPoster:
    """Answers each POST with the next status of its script (then 200); keeps what it got."""

    script: deque[int | None] = field(default_factory=deque)
    posts: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Run once while the next POST is under way: a second receive of the same message.
    during_post: Callable[[], object] | None = None

    def post(self, url: str, webhook_id: str, body: str, secret: str) -> PostOutcome:
        self.posts.append((url, webhook_id, body, secret))
        meanwhile, self.during_post = self.during_post, None
        if meanwhile is not None:
            meanwhile()
        status = self.script.popleft() if self.script else 200
        error = None if status is not None else "timed out"
        return PostOutcome(status, 12, error, "" if status is None else f"answer {status}")


@dataclass
class RecordedRetries:
    planned: dict[tuple[str, int], datetime] = field(default_factory=dict)

    def schedule_retry(self, delivery: Delivery, attempt: int, at: datetime) -> None:
        self.planned.setdefault((delivery.delivery_id, attempt), at)
