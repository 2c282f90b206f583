"""The role table as CONTRACT.md writes it, and the role a token's groups give."""

from __future__ import annotations

import pytest

from rendezvous.api.roles import access_to
from rendezvous.domain.roles import Role, role_of

B, S, M = Role.BOOKING, Role.STAFF, Role.MANAGER
EVERY, PEOPLE, MANAGERS = frozenset({B, S, M}), frozenset({S, M}), frozenset({M})

# CONTRACT.md, Roles (v2), row by row, with the routes later issues will add; plus the
# one route Rendezvous has beyond the contract (redrive: managers only).
CONTRACT_TABLE = [
    ("PUT", "/v1/appointments/{appointment_id}", EVERY),
    ("DELETE", "/v1/appointments/{appointment_id}", EVERY),
    ("POST", "/v1/appointments/{appointment_id}/outcome", EVERY),
    ("GET", "/v1/appointments/{appointment_id}", EVERY),
    ("GET", "/v1/appointments", EVERY),
    ("PUT", "/v1/waitlist/{entry_id}", EVERY),
    ("GET", "/v1/waitlist", EVERY),
    ("DELETE", "/v1/waitlist/{entry_id}", EVERY),
    ("POST", "/v1/openings", EVERY),
    ("GET", "/v1/openings", EVERY),
    ("PUT", "/fhir/r4/Appointment/{id}", EVERY),
    ("GET", "/fhir/r4/Appointment/{id}", EVERY),
    ("GET", "/v1/queue", PEOPLE),
    ("GET", "/v1/queue/{item_id}", PEOPLE),
    ("POST", "/v1/queue/{item_id}/claim", PEOPLE),
    ("POST", "/v1/queue/{item_id}/reply", PEOPLE),
    ("POST", "/v1/queue/{item_id}/release", PEOPLE),
    ("POST", "/v1/queue/{item_id}/resolve", PEOPLE),
    ("POST", "/v1/recipients/{phone}/opt-out", PEOPLE),
    ("POST", "/v1/recipients/{phone}/opt-in", PEOPLE),
    ("GET", "/v1/outbox", PEOPLE),
    ("GET", "/v1/stats", PEOPLE),
    ("GET", "/v1/stats/export", PEOPLE),
    ("GET", "/v1/status", PEOPLE),
    ("POST", "/v1/pause", MANAGERS),
    ("POST", "/v1/resume", MANAGERS),
    ("POST", "/v1/outbox/redrive", MANAGERS),
    ("GET", "/v1/settings", MANAGERS),
    ("PATCH", "/v1/settings", MANAGERS),
    ("PUT", "/v1/webhooks/{endpoint_id}", MANAGERS),
    ("GET", "/v1/webhooks", MANAGERS),
    ("DELETE", "/v1/webhooks/{endpoint_id}", MANAGERS),
    ("GET", "/v1/webhooks/{endpoint_id}/deliveries", MANAGERS),
    ("POST", "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", MANAGERS),
    # Experiments, reading them too, are the managers' (the contract's table: staff "no").
    ("PUT", "/v1/experiments/{experiment_id}", MANAGERS),
    ("POST", "/v1/experiments/{experiment_id}/stop", MANAGERS),
    ("GET", "/v1/experiments", MANAGERS),
    ("GET", "/v1/experiments/{experiment_id}", MANAGERS),
    ("GET", "/v1/tune-out", MANAGERS),
]


@pytest.mark.parametrize(("method", "route", "roles"), CONTRACT_TABLE)
def test_each_route_of_the_contract_is_open_to_exactly_its_roles(
    method: str, route: str, roles: frozenset[Role]
) -> None:
    access = access_to(method, route)

    assert access.roles == roles
    for role in Role:
        assert (access.refusal(role) is None) == (role in roles)


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "/v1/appointments/{appointment_id}"),  # no such method in the family
        ("PATCH", "/v1/outbox"),
        ("GET", "/v1/outbox/redrive"),
        ("POST", "/v1/tune-out"),
        ("GET", "/v1/tune-out/extra"),
        ("GET", "/v1/recipients"),
        ("GET", "/v1/somewhere-new"),
        ("GET", "/fhir/r4/Patient/{id}"),
    ],
)
def test_a_route_the_table_does_not_name_is_refused_to_every_role(method: str, route: str) -> None:
    access = access_to(method, route)

    assert not access.open
    assert all(access.refusal(role) == "no role may use this route" for role in Role)


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("GET", "/v1/openapi.json"),
        ("GET", "/console"),
        ("POST", "/twilio/inbound"),
        ("POST", "/integrations/calcom/{integration_id}"),
    ],
)
def test_the_document_the_page_and_signed_webhooks_need_no_role(method: str, route: str) -> None:
    assert access_to(method, route).open


def test_a_refusal_names_the_roles_that_may_and_not_the_path_given() -> None:
    message = access_to("POST", "/v1/recipients/+14155550142/opt-out").refusal(B)

    assert message is not None
    assert "staff or manager" in message
    assert "+1415" not in message  # a phone number in a path stays out of the answer


def test_powertools_and_openapi_path_forms_are_the_same_route() -> None:
    assert access_to("POST", "/v1/queue/<item_id>/claim") == access_to(
        "POST", "/v1/queue/{item_id}/claim"
    )


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["manager"], M),
        (["staff"], S),
        (["booking"], B),
        (["staff", "manager"], M),
        (["booking", "staff"], S),
        (["admins", "staff"], S),
        ([], None),
        (["admins"], None),
        (["Manager"], None),  # Cognito group names are case-sensitive
    ],
)
def test_the_widest_known_group_is_the_role(groups: list[str], role: Role | None) -> None:
    assert role_of(groups) is role
