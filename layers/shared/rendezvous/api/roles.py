"""Which role may use which route: CONTRACT.md's Roles table, the one place it is written.

The resolver checks every request against it before validation and before any route code
(rendezvous.api.http). A family names its paths with `*`: in the middle for one segment,
at the end for one or more. Any `/v1` or `/fhir` route that no family names is refused to
every role, so a route added without a line here cannot be used until it has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rendezvous.domain.roles import PRECEDENCE, Role

ANY_METHOD = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE"})
EVERY_ROLE = frozenset(Role)
PEOPLE = frozenset({Role.STAFF, Role.MANAGER})
MANAGERS = frozenset({Role.MANAGER})
# Families under these prefixes need a role; anything else is checked elsewhere (the
# Twilio and integration webhooks by their signatures) or is open (the console page).
GUARDED_PREFIXES = ("/v1/", "/fhir/")


@dataclass(frozen=True)
class RouteFamily:
    methods: frozenset[str]
    pattern: str
    # None: open to anyone, token or not.
    roles: frozenset[Role] | None

    def names(self, method: str, path: str) -> bool:
        # Segment by segment rather than by regex: nothing to compile at a cold start.
        if method not in self.methods:
            return False
        want, got = self.pattern.split("/"), path.split("/")
        if want[-1] == "*" and len(got) > len(want):
            # A trailing `*` takes every segment left: fold them into the last one.
            got = [*got[: len(want) - 1], "/".join(got[len(want) - 1 :])]
        return len(want) == len(got) and all(
            w == g or (w == "*" and g != "") for w, g in zip(want, got, strict=True)
        )


def _family(methods: str, roles: frozenset[Role] | None, *patterns: str) -> list[RouteFamily]:
    chosen = ANY_METHOD if methods == "*" else frozenset(methods.split())
    return [RouteFamily(chosen, pattern, roles) for pattern in patterns]


ROUTE_ROLES: tuple[RouteFamily, ...] = (
    # The booking system's APIs: every role.
    *_family("PUT DELETE", EVERY_ROLE, "/v1/appointments/*"),
    *_family("POST", EVERY_ROLE, "/v1/appointments/*/outcome"),
    *_family("GET", EVERY_ROLE, "/v1/appointments", "/v1/appointments/*"),
    *_family("*", EVERY_ROLE, "/v1/waitlist", "/v1/waitlist/*"),
    *_family("*", EVERY_ROLE, "/v1/openings", "/v1/openings/*"),
    *_family("*", EVERY_ROLE, "/fhir/r4/Appointment", "/fhir/r4/Appointment/*"),
    # People's work: customers' texts, the numbers.
    *_family("*", PEOPLE, "/v1/queue", "/v1/queue/*"),
    *_family("*", PEOPLE, "/v1/recipients/*"),
    *_family("GET", PEOPLE, "/v1/outbox", "/v1/stats", "/v1/stats/export", "/v1/status"),
    # What changes how the whole tenant texts. Redrive is beyond the contract's table: it
    # sends again what failed, as resume sends what was held.
    *_family("POST", MANAGERS, "/v1/pause", "/v1/resume", "/v1/outbox/redrive"),
    *_family("*", MANAGERS, "/v1/settings"),
    *_family("*", MANAGERS, "/v1/webhooks", "/v1/webhooks/*"),
    # Beyond the contract's table: a Cal.com integration's secret lets its holder book and
    # cancel for the tenant, like a webhook endpoint's.
    *_family("*", MANAGERS, "/v1/integrations", "/v1/integrations/*"),
    # Template experiments, reading included: the contract gives staff none of them.
    *_family("*", MANAGERS, "/v1/experiments", "/v1/experiments/*"),
    # Beyond the contract's table (issue 15): the opt-out alarm and the texts that drew it.
    *_family("GET", MANAGERS, "/v1/tune-out"),
    # The API's description is public.
    *_family("GET", None, "/v1/openapi.json"),
)


@dataclass(frozen=True)
class Access:
    """What a route asks of its caller: no token at all (open), or one of these roles."""

    family: str | None
    roles: frozenset[Role] | None

    @property
    def open(self) -> bool:
        return self.roles is None

    def refusal(self, role: Role) -> str | None:
        """Why `role` may not use the route, naming who may; None when it may."""
        if self.roles is None or role in self.roles:
            return None
        if not self.roles or self.family is None:
            return "no role may use this route"
        who = " or ".join(r.value for r in reversed(PRECEDENCE) if r in self.roles)
        return f"{self.family} is for the role {who}; this token's role is {role.value}"


def access_to(method: str, route: str) -> Access:
    """The access rule for a route path (Powertools' `<name>` or OpenAPI's `{name}` form)."""
    path = re.sub(r"<[^>]*>|\{[^}]*\}", "x", route)
    for family in ROUTE_ROLES:
        if family.names(method, path):
            return Access(f"{method} {family.pattern}", family.roles)
    if path.startswith(GUARDED_PREFIXES):
        return Access(None, frozenset())
    return Access(None, None)
