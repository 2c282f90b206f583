"""Stand-in for hooks-endpoints' domain/webhooks.py (ISSUE11.md's shape), replaced when that
branch is merged."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from rendezvous.domain.events import WebhookEvent

DeliveryState = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class WebhookEndpoint:
    tenant_id: str
    endpoint_id: str
    url: str
    events: tuple[str, ...]
    description: str
    sealed_secret: str
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class DeliveryAttempt:
    number: int
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str


@dataclass(frozen=True)
class Delivery:
    tenant_id: str
    endpoint_id: str
    delivery_id: str
    event: WebhookEvent
    state: DeliveryState
    attempts: tuple[DeliveryAttempt, ...]
    next_attempt_at: datetime | None


def url_problem(url: str, resolved_addresses: list[str], allow_loopback: bool) -> str | None:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "credentials in the URL"
    addresses = [ipaddress.ip_address(a) for a in resolved_addresses]
    if not addresses:
        return "the host does not resolve"
    loopback_http = parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if loopback_http and allow_loopback and all(a.is_loopback for a in addresses):
        return None
    if parts.scheme != "https":
        return "must be https"
    if any(not a.is_global for a in addresses):
        return "the host resolves to a non-public address"
    return None
