"""Outbound webhooks: a tenant's endpoints, the deliveries of events to them, and the rules
an endpoint's URL must keep (CONTRACT.md, Outbound webhooks).

`url_problem` is pure: the caller resolves the host and passes the addresses, so the same
rule is checked when a manager registers a URL and again by the deliverer on the
addresses it is about to connect to (DNS can change between the two).
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal
from urllib.parse import urlsplit

from rendezvous.domain.events import EventType, WebhookEvent

# Standard Webhooks' secret format: the prefix, then base64 of the key's bytes.
SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - a format prefix, not a secret
SECRET_BYTES: Final = 24
MAX_ENDPOINTS_PER_TENANT: Final = 10
DESCRIPTION_MAX: Final = 200
URL_MAX: Final = 2048
RESPONSE_EXCERPT_MAX: Final = 256
SUBSCRIBABLE: Final = tuple(t.value for t in EventType)

DeliveryState = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where a tenant's booking system hears about the event types it subscribed to.

    `sealed_secret` is the signing secret encrypted under the tenant's and endpoint's ids
    (SecretSealer); the plain secret is shown once, when the endpoint is made.
    """

    tenant_id: str
    endpoint_id: str
    url: str
    events: tuple[str, ...]
    description: str
    sealed_secret: str
    created_at: datetime
    updated_at: datetime
    version: int

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in self.events


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of a delivery: when, what answered (None: no answer, `error` says why),
    how long it took, and the start of the answer's body."""

    number: int
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one endpoint, with every attempt made so far."""

    tenant_id: str
    endpoint_id: str
    delivery_id: str
    event: WebhookEvent
    state: DeliveryState
    attempts: tuple[DeliveryAttempt, ...]
    next_attempt_at: datetime | None


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes one: `whsec_` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# ---- the URL rules ------------------------------------------------------------------------

# Names that never lead to a public host: RFC 6761/6762 special-use names and the suffixes
# clouds give their internal hosts (metadata.google.internal).
_SPECIAL_SUFFIXES: Final = (
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "invalid",
    "test",
    "example",
    "onion",
)
_METADATA: Final = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure instance metadata
        "169.254.170.2",  # ECS task metadata and credentials
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
    )
)
_SHARED_V4: Final = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL: Final = ipaddress.ip_network("64:ff9b:1::/48")
_LABEL_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and leads to: IPv4-mapped, NAT64, 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_problem(address: Address) -> str | None:
    """What kind of non-public address this is; None for a public one. Each class is named
    on its own rather than left to `is_global`, whose lists change between Python versions."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_v4(address)
        if embedded is not None:
            problem = address_problem(embedded)
            return f"{problem} (it leads to {embedded})" if problem else None
        if address in _NAT64_LOCAL:
            return "private"
    if address in _METADATA:
        return "cloud metadata"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_V4:
        return "shared (carrier-grade NAT)"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
    if not address.is_global:
        return "non-public"
    return None


def _name_problem(host: str) -> str | None:
    """What is wrong with a host that is not an IP literal; None for a plain DNS name."""
    name = host.removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(
        0 < len(label) <= 63
        and set(label) <= _LABEL_CHARS
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    ):
        return "the host is not a valid DNS name"
    if labels[-1].isdigit() or labels[-1].startswith("0x"):
        # 2130706433, 0x7f.1, 0177.0.0.1, 127.1: IPv4 in a form resolvers read differently.
        return "write an IPv4 address as four decimal numbers (like 203.0.113.7)"
    if len(labels) < 2:
        return "the host must be a fully qualified domain name"
    if any(name == s or name.endswith("." + s) for s in _SPECIAL_SUFFIXES):
        return f"{name} is a special-use name, not a public host"
    return None


def url_host(url: str) -> str | None:
    """The host name a URL's check needs resolved: None when there is nothing to resolve
    (an IP literal, or a URL too broken to have a host)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host or _literal(host) is not None:
        return None
    return host


def url_problem(
    url: str, resolved_addresses: Sequence[str], allow_loopback: bool = False
) -> str | None:
    """Why an endpoint may not have this URL (CONTRACT.md: https to a public address, no
    credentials), or None. `resolved_addresses` are what its host name resolves to (an IP
    literal is checked as written); `allow_loopback` (the local stack only) also accepts
    http or https to 127.0.0.1."""
    if len(url) > URL_MAX:
        return f"at most {URL_MAX} characters"
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        return (
            "printable ASCII without spaces: percent-encode the rest, and write an "
            "international domain name in its xn-- form"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL with a valid host and port (1 to 65535)"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return "must start with https://"
    if "@" in parts.netloc:
        return "must not carry credentials (user:password@)"
    host = parts.hostname
    if not host:
        return "has no host"
    if port == 0:
        return "the port must be 1 to 65535"
    if parts.fragment:
        return "must not have a #fragment"
    if allow_loopback and host == "127.0.0.1":
        return None
    if scheme != "https":
        return "must start with https://"
    literal = _literal(host)
    if literal is None:
        problem = _name_problem(host)
        if problem:
            return problem
    addresses: list[Address] = [literal] if literal else []
    for raw in resolved_addresses:
        resolved = _literal(raw)
        if resolved is None:
            return f"the host resolves to {raw!r}, which is not an IP address"
        addresses.append(resolved)
    if not addresses:
        return f"the host {host} does not resolve"
    for address in addresses:
        problem = address_problem(address)
        if problem:
            where = "is" if literal else "resolves to"
            return f"the host {where} {address}, a {problem} address"
    return None
