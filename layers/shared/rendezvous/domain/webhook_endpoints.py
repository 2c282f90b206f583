"""A manager's webhook endpoints (CONTRACT.md, Outbound webhooks): register or change one
(an idempotent upsert: the same PUT twice is one endpoint and one secret), list, delete,
read an endpoint's deliveries and retry one by hand.

The signing secret is made and sealed when an endpoint is made, answered that once, and
never changed by an update; a lost answer means deleting the endpoint and making it
again. Every change is written with its audit entry (who, what before and after, never
the secret) in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from rendezvous.domain.activity import ActivityEntry, ActivityEvent, SettingChange
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import (
    ConcurrentModification,
    Conflict,
    DeliveryPending,
    InvalidEndpoint,
    NotFound,
)
from rendezvous.domain.ports import (
    DeliveryHistory,
    DeliveryQueue,
    HostResolver,
    SecretSealer,
    WebhookEndpointStore,
)
from rendezvous.domain.staff import StaffMember
from rendezvous.domain.webhooks import (
    DESCRIPTION_MAX,
    MAX_ENDPOINTS_PER_TENANT,
    SUBSCRIBABLE,
    Delivery,
    WebhookEndpoint,
    new_secret,
    url_host,
    url_problem,
)

# A pending delivery whose attempt is this overdue lost its planned attempt (a schedule or
# queue message that never came): a manager may retry it by hand.
STALE_PENDING = timedelta(minutes=15)
# Concurrent PUTs of one endpoint: each re-reads and applies its values, last one wins.
UPSERT_TRIES = 3


@dataclass(frozen=True)
class EndpointValues:
    """What a manager sets on an endpoint."""

    url: str
    events: tuple[str, ...]
    description: str = ""

    def as_document(self) -> dict[str, Any]:
        return {"url": self.url, "events": list(self.events), "description": self.description}


@dataclass(frozen=True)
class Registration:
    endpoint: WebhookEndpoint
    created: bool
    # The plain signing secret: only when this call made the endpoint.
    secret: str | None = None


def _document(endpoint: WebhookEndpoint | None) -> dict[str, Any]:
    if endpoint is None:
        return {}
    return EndpointValues(endpoint.url, endpoint.events, endpoint.description).as_document()


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, SettingChange]:
    return {
        name: SettingChange(before=before.get(name), after=after.get(name))
        for name in ("url", "events", "description")
        if before.get(name) != after.get(name)
    }


def secret_context(tenant_id: str, endpoint_id: str) -> dict[str, str]:
    """What a sealed secret is bound to: it opens only for its own tenant and endpoint."""
    return {"tenant_id": tenant_id, "endpoint_id": endpoint_id}


@dataclass
class WebhookEndpointService:
    endpoints: WebhookEndpointStore
    deliveries: DeliveryHistory
    sealer: SecretSealer
    resolver: HostResolver
    queue: DeliveryQueue
    clock: Clock
    allow_loopback: bool = False
    make_secret: Callable[[], str] = new_secret

    # ---- endpoints ------------------------------------------------------------------------
    def put(self, manager: StaffMember, endpoint_id: str, values: EndpointValues) -> Registration:
        """Make the endpoint, or bring it to `values`."""
        values = replace(values, events=tuple(dict.fromkeys(values.events)))
        self._check(values)
        for _ in range(UPSERT_TRIES):
            current = self.endpoints.get_endpoint(manager.tenant_id, endpoint_id)
            try:
                if current is None:
                    return self._create(manager, endpoint_id, values)
                return self._update(manager, current, values)
            except ConcurrentModification:
                continue  # made or changed meanwhile: read it again
        raise Conflict("the endpoint is being changed by someone else: try again")

    def _check(self, values: EndpointValues) -> None:
        problems: list[tuple[str, str]] = []
        if not values.events:
            problems.append(("events", "name at least one event type"))
        problems.extend(
            ("events", f"{name} is not an event type")
            for name in values.events
            if name not in SUBSCRIBABLE
        )
        if len(values.description) > DESCRIPTION_MAX:
            problems.append(("description", f"at most {DESCRIPTION_MAX} characters"))
        if problems:
            raise InvalidEndpoint(problems)
        self.check_url(values.url)

    def check_url(self, url: str) -> None:
        """CONTRACT.md's URL rules, on the addresses the host resolves to now."""
        host = url_host(url)
        addresses = self.resolver.addresses(host) if host else []
        problem = url_problem(url, addresses, self.allow_loopback)
        if problem:
            raise InvalidEndpoint([("url", problem)])

    def _create(
        self, manager: StaffMember, endpoint_id: str, values: EndpointValues
    ) -> Registration:
        now = self.clock.now()
        secret = self.make_secret()
        endpoint = WebhookEndpoint(
            tenant_id=manager.tenant_id,
            endpoint_id=endpoint_id,
            url=values.url,
            events=values.events,
            description=values.description,
            sealed_secret=self.sealer.seal(secret, secret_context(manager.tenant_id, endpoint_id)),
            created_at=now,
            updated_at=now,
            version=1,
        )
        audit = ActivityEntry(
            event=ActivityEvent.WEBHOOK_CREATED,
            actor=manager.staff_id,
            at=now,
            endpoint_id=endpoint_id,
            changes=_changes({}, values.as_document()),
        )
        self.endpoints.create_endpoint(endpoint, limit=MAX_ENDPOINTS_PER_TENANT, audit=audit)
        return Registration(endpoint, created=True, secret=secret)

    def _update(
        self, manager: StaffMember, current: WebhookEndpoint, values: EndpointValues
    ) -> Registration:
        changes = _changes(_document(current), values.as_document())
        if not changes:
            return Registration(current, created=False)
        now = self.clock.now()
        changed = replace(
            current,
            url=values.url,
            events=values.events,
            description=values.description,
            updated_at=now,
            version=current.version + 1,
        )
        audit = ActivityEntry(
            event=ActivityEvent.WEBHOOK_CHANGED,
            actor=manager.staff_id,
            at=now,
            endpoint_id=current.endpoint_id,
            changes=changes,
        )
        self.endpoints.update_endpoint(changed, expected_version=current.version, audit=audit)
        return Registration(changed, created=False)

    def endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
        found = self.endpoints.get_endpoint(tenant_id, endpoint_id)
        if found is None:
            raise NotFound("no such webhook endpoint")
        return found

    def all_endpoints(self, tenant_id: str) -> list[WebhookEndpoint]:
        return self.endpoints.endpoints(tenant_id)

    def delete(self, manager: StaffMember, endpoint_id: str) -> None:
        """Remove the endpoint: nothing more is delivered to it (retries planned for it find
        it gone). Its delivery log expires on its own."""
        current = self.endpoint(manager.tenant_id, endpoint_id)
        audit = ActivityEntry(
            event=ActivityEvent.WEBHOOK_DELETED,
            actor=manager.staff_id,
            at=self.clock.now(),
            endpoint_id=endpoint_id,
            changes=_changes(_document(current), {}),
        )
        if not self.endpoints.delete_endpoint(manager.tenant_id, endpoint_id, audit=audit):
            raise NotFound("no such webhook endpoint")

    # ---- deliveries -----------------------------------------------------------------------
    def delivery_page(
        self, tenant_id: str, endpoint_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        self.endpoint(tenant_id, endpoint_id)
        return self.deliveries.deliveries(tenant_id, endpoint_id, limit, cursor)

    def retry(self, manager: StaffMember, endpoint_id: str, delivery_id: str) -> Delivery:
        """One more attempt of a delivered or failed delivery (or of a pending one whose
        planned attempt was lost), now. A second retry while it is pending is a conflict,
        so a double click sends once."""
        self.endpoint(manager.tenant_id, endpoint_id)
        now = self.clock.now()
        audit = ActivityEntry(
            event=ActivityEvent.WEBHOOK_RETRIED,
            actor=manager.staff_id,
            at=now,
            endpoint_id=endpoint_id,
            delivery_id=delivery_id,
        )
        try:
            delivery = self.deliveries.reopen(
                manager.tenant_id,
                endpoint_id,
                delivery_id,
                stale_before=now - STALE_PENDING,
                audit=audit,
            )
        except ConcurrentModification:
            raise DeliveryPending(
                "the delivery is pending: its retries are still running"
            ) from None
        self.queue.enqueue(delivery)
        return delivery
