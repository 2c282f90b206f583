"""Who signs in to the local stack: the demo tenants' people and booking systems, onboarded
by the same code as `make tenant`, and anyone `POST /_local/token` asks for.

Every token is a real ID token of moto's user pool, got by signing in with a password:
people through the console's client, booking systems through BookingClient with its
secret, as they do in AWS (where the console uses SRP instead; moto checks no SRP proof).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infra.cognito import CognitoResources, sign_in
from infra.onboard import (
    EMAIL_PATTERN,
    Members,
    Onboarding,
    Person,
    Pool,
    Role,
    machine_username,
    new_password,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient

    from rendezvous.adapters.dynamodb.tenants import DynamoTenants
    from rendezvous.domain.models import Tenant

CONSOLE_CLIENT = "UserPoolClient"
BOOKING_CLIENT = "BookingClient"
# Demo people's addresses and /_local/token's handles: RFC 2606's domain for examples.
PEOPLE_DOMAIN = "{tenant_id}.example"


class UnknownLogin(ValueError):
    """A handle that names no possible login of that tenant."""


def person_username(tenant_id: str, handle: str) -> str:
    """`handle` if it is an e-mail address, else handle@<tenant>.example."""
    if EMAIL_PATTERN.fullmatch(handle):
        return handle.lower()
    if "@" in handle:
        raise UnknownLogin(f"{handle!r} is neither a plain handle nor an e-mail address")
    return f"{handle}@{PEOPLE_DOMAIN.format(tenant_id=tenant_id)}".lower()


@dataclass(frozen=True)
class DemoLogins:
    """What credentials.json lists for one demo tenant."""

    users: list[dict[str, str]]
    tokens: dict[str, str]
    booking_login: dict[str, str]


class LocalPeople:
    def __init__(
        self,
        cognito: CognitoIdentityProviderClient,
        resources: CognitoResources,
        tenants: DynamoTenants,
    ) -> None:
        self._cognito = cognito
        self._tenants = tenants
        self.console_client_id = resources.clients[CONSOLE_CLIENT]
        self.booking_client_id = resources.clients[BOOKING_CLIENT]
        self._booking_secret = resources.client_secrets[BOOKING_CLIENT]
        self.user_pool_id = resources.user_pool_id
        self._onboarding = Onboarding(
            tenants, cognito, Pool(resources.user_pool_id, self.booking_client_id)
        )
        self._members = Members(cognito, resources.user_pool_id)
        # The passwords this stack set, so a token for a demo login leaves its password
        # (the one credentials.json lists) as it is.
        self._passwords: dict[str, str] = {}
        self._lock = threading.Lock()

    def onboard_demo(self, tenant: Tenant) -> DemoLogins:
        tenant_id = tenant.tenant_id
        manager, staff = (
            Person(person_username(tenant_id, role), role, new_password(), permanent=True)
            for role in ("manager", "staff")
        )
        machine_password = new_password()
        self._onboarding.onboard(
            tenant, manager, others=(staff,), machine_password=machine_password
        )
        machine = machine_username(tenant_id)
        for person in (manager, staff):
            assert person.password is not None
            self._passwords[person.username] = person.password
        self._passwords[machine] = machine_password
        return DemoLogins(
            users=[
                {
                    "username": p.username,
                    "password": self._passwords[p.username],
                    "role": p.role,
                    "tenant_id": tenant_id,
                }
                for p in (manager, staff)
            ],
            tokens={
                "staff_token": self._sign_in(staff.username, "staff"),
                "manager_token": self._sign_in(manager.username, "manager"),
                "booking_token": self._sign_in(machine, "booking"),
            },
            booking_login={
                "client_id": self.booking_client_id,
                "client_secret": self._booking_secret,
                "username": machine,
                "password": machine_password,
            },
        )

    def token(self, tenant_id: str, role: Role, handle: str) -> str:
        """An ID token of that tenant's login `handle` in `role`, made if it is new (and
        moved to `role` if it held another); OnboardingError if it is another tenant's."""
        username = person_username(tenant_id, handle)
        with self._lock:
            if username in self._passwords:
                self._members.ensure(tenant_id, Person(username, role))
            else:
                password = new_password()
                existed = self._members.tenant_of(username) is not None
                self._members.ensure(tenant_id, Person(username, role, password, permanent=True))
                if existed:  # onboarded by `make tenant LOCAL=1`: its password is unknown
                    self._members.set_password(username, password)
                self._passwords[username] = password
        return self._sign_in(username, role)

    def tenant_exists(self, tenant_id: str) -> bool:
        return self._tenants.get_tenant(tenant_id) is not None

    def _sign_in(self, username: str, role: Role) -> str:
        if role == "booking":
            return sign_in(
                self._cognito,
                self.booking_client_id,
                username,
                self._passwords[username],
                self._booking_secret,
            )
        return sign_in(self._cognito, self.console_client_id, username, self._passwords[username])

    def describe(self, region: str, endpoint_url: str) -> dict[str, Any]:
        """What the console needs to sign people in (credentials.json `cognito`)."""
        return {
            "region": region,
            "user_pool_id": self.user_pool_id,
            "client_id": self.console_client_id,
            "endpoint_url": endpoint_url,
            "booking_client_id": self.booking_client_id,
        }
