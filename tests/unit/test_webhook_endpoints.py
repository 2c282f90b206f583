"""WebhookEndpointService through in-memory ports: the secret made once and sealed under
its endpoint, the upsert that survives a concurrent create, the domain's own checks, and
retry by hand (reopen, then enqueue)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.domain.activity import ActivityEntry
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import (
    ConcurrentModification,
    DeliveryPending,
    InvalidEndpoint,
    NotFound,
)
from rendezvous.domain.events import EventType, WebhookEvent
from rendezvous.domain.staff import StaffMember
from rendezvous.domain.webhook_endpoints import EndpointValues, WebhookEndpointService
from rendezvous.domain.webhooks import Delivery, WebhookEndpoint
from tests.support.webhooks_memory import MemoryDeliveryLog

NOW = datetime(2030, 1, 10, 17, 0, tzinfo=UTC)
MANAGER = StaffMember("clinic-1", "ines@harbor.example")
VALUES = EndpointValues("https://hooks.example.com/in", ("appointment.confirmed",), "desk")


@dataclass
class Endpoints:
    stored: dict[tuple[str, str], WebhookEndpoint] = field(default_factory=dict)
    audit: list[ActivityEntry] = field(default_factory=list)
    # Someone else's create that lands between our read and our write, once.
    racing: WebhookEndpoint | None = None

    def endpoints(self, tenant_id: str) -> list[WebhookEndpoint]:
        return [e for (t, _), e in sorted(self.stored.items()) if t == tenant_id]

    def endpoints_for(self, tenant_id: str, event_type: str) -> list[WebhookEndpoint]:
        return [e for e in self.endpoints(tenant_id) if e.subscribes_to(event_type)]

    def get_endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        return self.stored.get((tenant_id, endpoint_id))

    def create_endpoint(
        self, endpoint: WebhookEndpoint, *, limit: int, audit: ActivityEntry
    ) -> None:
        if self.racing is not None:
            self.stored[(endpoint.tenant_id, endpoint.endpoint_id)] = self.racing
            self.racing = None
        key = (endpoint.tenant_id, endpoint.endpoint_id)
        if key in self.stored:
            raise ConcurrentModification("exists")
        self.stored[key] = endpoint
        self.audit.append(audit)

    def update_endpoint(
        self, endpoint: WebhookEndpoint, *, expected_version: int, audit: ActivityEntry
    ) -> None:
        key = (endpoint.tenant_id, endpoint.endpoint_id)
        if self.stored[key].version != expected_version:
            raise ConcurrentModification("changed")
        self.stored[key] = endpoint
        self.audit.append(audit)

    def delete_endpoint(self, tenant_id: str, endpoint_id: str, *, audit: ActivityEntry) -> bool:
        if self.stored.pop((tenant_id, endpoint_id), None) is None:
            return False
        self.audit.append(audit)
        return True


class Deliveries(MemoryDeliveryLog):
    """The deliverer's in-memory log, and the retry by hand a manager's service adds."""

    def reopen(
        self,
        tenant_id: str,
        endpoint_id: str,
        delivery_id: str,
        *,
        stale_before: datetime,
        audit: ActivityEntry,
    ) -> Delivery:
        found = self.get(tenant_id, endpoint_id, delivery_id)
        if found is None:
            raise NotFound("no such delivery")
        due = found.next_attempt_at
        if found.state == "pending" and (due is None or due >= stale_before):
            raise ConcurrentModification("pending")
        reopened = replace(found, state="pending", next_attempt_at=audit.at)
        self.stored[self._key(found)] = reopened
        return reopened


class Sealer:
    def seal(self, secret: str, context: dict[str, str]) -> str:
        return f"sealed({secret}|{context['tenant_id']}|{context['endpoint_id']})"

    def open(self, sealed: str, context: dict[str, str]) -> str:
        raise AssertionError("the manager's service never opens a secret")


class Resolver:
    def addresses(self, host: str) -> list[str]:
        return {"hooks.example.com": ["93.184.215.14"]}.get(host, ["10.0.0.1"])


@dataclass
class Queue:
    sent: list[str] = field(default_factory=list)

    def enqueue(self, delivery: Delivery) -> None:
        self.sent.append(delivery.delivery_id)


@pytest.fixture
def parts() -> tuple[Endpoints, Deliveries, Queue]:
    return Endpoints(), Deliveries(), Queue()


@pytest.fixture
def service(parts: tuple[Endpoints, Deliveries, Queue]) -> WebhookEndpointService:
    endpoints, deliveries, queue = parts
    secrets = iter(["whsec_first", "whsec_second"])
    return WebhookEndpointService(
        endpoints,
        deliveries,
        Sealer(),
        Resolver(),
        queue,
        FixedClock(NOW),
        make_secret=lambda: next(secrets),
    )


def test_a_new_endpoint_gets_a_secret_sealed_under_its_tenant_and_id(
    service: WebhookEndpointService, parts: tuple[Endpoints, Deliveries, Queue]
) -> None:
    made = service.put(MANAGER, "desk", VALUES)

    assert (made.created, made.secret) == (True, "whsec_first")
    assert made.endpoint.sealed_secret == "sealed(whsec_first|clinic-1|desk)"
    assert made.endpoint.version == 1
    assert [e.event.value for e in parts[0].audit] == ["webhook_created"]


def test_a_repeated_event_type_counts_once(service: WebhookEndpointService) -> None:
    made = service.put(
        MANAGER, "desk", replace(VALUES, events=("message.failed", "message.failed"))
    )

    assert made.endpoint.events == ("message.failed",)


def test_a_create_that_loses_a_race_updates_the_winner_and_shows_no_secret(
    service: WebhookEndpointService, parts: tuple[Endpoints, Deliveries, Queue]
) -> None:
    endpoints = parts[0]
    winner = WebhookEndpoint(
        "clinic-1",
        "desk",
        "https://hooks.example.com/old",
        ("message.failed",),
        "",
        "sealed(w)",
        NOW,
        NOW,
        1,
    )
    endpoints.racing = winner

    result = service.put(MANAGER, "desk", VALUES)

    assert (result.created, result.secret) == (False, None)
    assert result.endpoint.sealed_secret == "sealed(w)"
    assert result.endpoint.url == VALUES.url
    assert result.endpoint.version == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (replace(VALUES, events=()), "events"),
        (replace(VALUES, events=("appointment.exploded",)), "events"),
        (replace(VALUES, description="x" * 201), "description"),
        (replace(VALUES, url="https://internal.example.com/"), "url"),
    ],
)
def test_the_domain_refuses_what_the_http_model_would_too(
    service: WebhookEndpointService,
    parts: tuple[Endpoints, Deliveries, Queue],
    values: EndpointValues,
    field: str,
) -> None:
    with pytest.raises(InvalidEndpoint) as refused:
        service.put(MANAGER, "desk", values)

    assert [f for f, _ in refused.value.problems] == [field]
    assert parts[0].stored == {}


def test_retry_reopens_then_enqueues_and_a_second_click_is_refused(
    service: WebhookEndpointService, parts: tuple[Endpoints, Deliveries, Queue]
) -> None:
    service.put(MANAGER, "desk", VALUES)
    _, deliveries, queue = parts
    event = WebhookEvent("evt_1", "clinic-1", EventType.MESSAGE_FAILED, NOW - timedelta(days=1))
    deliveries.begin(Delivery("clinic-1", "desk", "dlv_1", event, "failed", (), None))

    retried = service.retry(MANAGER, "desk", "dlv_1")
    with pytest.raises(DeliveryPending):
        service.retry(MANAGER, "desk", "dlv_1")

    assert (retried.state, retried.next_attempt_at) == ("pending", NOW)
    assert queue.sent == ["dlv_1"]


def test_deliveries_of_an_unknown_endpoint_are_404(service: WebhookEndpointService) -> None:
    with pytest.raises(NotFound):
        service.delivery_page("clinic-1", "nope", 10, None)
