"""Who may do what, through the functions' handlers: every route of the API document, with
a token of each role and one of no role. Allowed roles are never refused; refused ones get
403 `forbidden` and nothing is written (table, outbound queue, schedules)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.event_handler import Response

from infra.handlers import LambdaContext
from infra.openapi import DOCUMENT_PATH
from infra.template import http_routes, load_template
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.api.http import caller_of, http_resolver
from rendezvous.api.roles import access_to
from rendezvous.domain.roles import Role
from rendezvous.runtime import Runtime
from tests.integration.test_twilio_inbound import inbound, replies
from tests.integration.test_webhooks_api import at, delivery
from tests.support.events import invoke, response_json, sample, set_role, staff_event

ROUTES = http_routes(load_template())
FUNCTION_OF = {(r.method, r.path): r.function for r in ROUTES}
DOCUMENTED = sorted(
    (method.upper(), path)
    for path, item in json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))["paths"].items()
    for method in item
)
GUARDED = [route for route in DOCUMENTED if not access_to(*route).open]
OPEN = [route for route in DOCUMENTED if access_to(*route).open]
CALLERS: list[str | None] = [role.value for role in Role] + [None]

APPOINTMENT = {
    "customer": {"phone": "+14155550142", "name": "Ana Ruiz"},
    "starts_at": "2030-01-12T10:00:00-08:00",
}
# A valid body for each route that takes one, so that only the role decides the answer.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/appointments/{appointment_id}"): APPOINTMENT,
    ("PUT", "/v1/waitlist/{entry_id}"): {
        "customer": {"phone": "+14155550143", "name": "Bea Ruiz"},
        "service": "Cleaning",
    },
    ("POST", "/v1/openings"): {"starts_at": "2030-01-13T10:00:00-08:00", "service": "Cleaning"},
    ("POST", "/v1/queue/{item_id}/reply"): {"body": "Yes, of course."},
    ("POST", "/v1/pause"): {"reason": "Clinic closed for flooding"},
    ("POST", "/v1/resume"): {"reason": "Water is gone"},
    ("PUT", "/v1/experiments/{experiment_id}"): {
        "kind": "confirmation",
        "locale": "en",
        "variants": [
            {"name": "plain", "template": "{business}: booked {when}. C to confirm."},
            {"name": "cost", "template": "{business}: booked {when}. Missed visits cost. C."},
        ],
    },
    ("POST", "/v1/experiments/{experiment_id}/stop"): {"winner": None},
    # An IP literal: its check needs no DNS.
    ("PUT", "/v1/webhooks/{endpoint_id}"): {
        "url": "https://93.184.215.14/hooks",
        "events": ["appointment.confirmed"],
    },
    ("PUT", "/fhir/r4/Appointment/{appointment_id}"): {
        "resourceType": "Appointment",
        "id": "appt-1",
        "status": "booked",
        "start": APPOINTMENT["starts_at"],
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "name": [{"text": "Ana Ruiz"}],
                "telecom": [{"system": "phone", "value": "+14155550142"}],
            }
        ],
        "participant": [{"actor": {"reference": "#p"}, "status": "accepted"}],
    },
}


def request(
    method: str, route: str, role: str | None, ids: dict[str, str], body: Any = None
) -> dict[str, Any]:
    """The route called as API Gateway would, by `staff-maria` acting with `role`."""
    path = route.format(**ids)
    event = staff_event(method, path, body if body is not None else BODIES.get((method, route)))
    event["routeKey"] = f"{method} {route}"
    event["pathParameters"] = {k: v for k, v in ids.items() if f"{{{k}}}" in route}
    set_role(event["requestContext"]["authorizer"]["jwt"]["claims"], role)
    response: dict[str, Any] = invoke(FUNCTION_OF[(method, route)], event)
    return response


@pytest.fixture
def world(store: DynamoAppointmentStore, sandbox: Any, runtime: Runtime) -> dict[str, str]:
    """A tenant where every writing route would write: an appointment with its planned
    texts, a customer's question claimed by staff-maria, the caller of every request, a
    webhook endpoint with a failed delivery, a waitlist entry and an opening."""
    created = invoke(
        "AppointmentsFunction",
        staff_event("PUT", "/v1/appointments/appt-1", APPOINTMENT, role="booking"),
    )
    assert created["statusCode"] == 201
    replies(invoke("TwilioInboundFunction", inbound("Can I bring my daughter?")))
    page = response_json(invoke("StaffApiFunction", staff_event("GET", "/v1/queue")))
    item_id = str(page["items"][0]["item_id"])
    claimed = invoke("StaffApiFunction", staff_event("POST", f"/v1/queue/{item_id}/claim"))
    assert claimed["statusCode"] == 200
    endpoint = BODIES[("PUT", "/v1/webhooks/{endpoint_id}")]
    made = invoke(
        "StaffApiFunction",
        staff_event("PUT", "/v1/webhooks/front-desk", endpoint, role="manager"),
    )
    assert made["statusCode"] == 201
    runtime.delivery_log().begin(delivery("clinic-1", "front-desk", "dlv_1", at(0), state="failed"))
    listed = invoke(
        "AppointmentsFunction",
        staff_event("PUT", "/v1/waitlist/w-1", BODIES[("PUT", "/v1/waitlist/{entry_id}")]),
    )
    assert listed["statusCode"] == 201
    opening = {**BODIES[("POST", "/v1/openings")], "opening_id": "slot-1"}
    published = invoke("AppointmentsFunction", staff_event("POST", "/v1/openings", opening))
    assert published["statusCode"] == 201, response_json(published)
    return {
        "appointment_id": "appt-1",
        "item_id": item_id,
        "endpoint_id": "front-desk",
        "delivery_id": "dlv_1",
        "integration_id": "calcom-main",
        "phone": "%2B14155550123",
        "entry_id": "w-1",
        "opening_id": "slot-1",
        "experiment_id": "wording",
    }


@pytest.fixture
def written(runtime: Runtime, schedules: Callable[[], dict[str, Any]]) -> Callable[[], Any]:
    """Everything a request could write: every item of the table, the outbound and webhook
    deliveries queues' depths, the reminder schedules."""
    table = boto3.resource("dynamodb").Table(runtime.settings.table_name)
    sqs = boto3.client("sqs")

    def snapshot() -> Any:
        items, scan = [], table.scan()
        items += scan["Items"]
        while "LastEvaluatedKey" in scan:
            scan = table.scan(ExclusiveStartKey=scan["LastEvaluatedKey"])
            items += scan["Items"]
        depths = [
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            for url in (
                runtime.settings.outbound_queue_url,
                runtime.settings.webhook_deliveries_queue_url,
            )
        ]
        return (
            sorted(json.dumps(i, sort_keys=True, default=str) for i in items),
            [d["ApproximateNumberOfMessages"] for d in depths],
            [d["ApproximateNumberOfMessagesNotVisible"] for d in depths],
            sorted(schedules()),
        )

    return snapshot


@pytest.mark.parametrize("role", CALLERS, ids=lambda r: r or "no-group")
@pytest.mark.parametrize(("method", "route"), GUARDED, ids=lambda r: str(r))
def test_a_role_the_table_refuses_gets_403_and_nothing_is_written(
    method: str,
    route: str,
    role: str | None,
    world: dict[str, str],
    written: Callable[[], Any],
) -> None:
    allowed = access_to(method, route).roles or frozenset()
    before = written()

    response = request(method, route, role, world)

    if role in allowed:
        assert response["statusCode"] != 403, response_json(response)
        return
    assert response["statusCode"] == 403
    body = response_json(response)
    if route.startswith("/fhir/"):  # FHIR's routes answer errors as an OperationOutcome
        code, message = body["issue"][0]["code"], body["issue"][0]["diagnostics"]
    else:
        code, message = body["error"]["code"], body["error"]["message"]
    assert code == "forbidden"
    assert all(r.value in message for r in allowed), message
    assert written() == before


@pytest.mark.parametrize(("method", "route"), OPEN, ids=lambda r: str(r))
def test_an_open_route_answers_the_same_with_or_without_a_token(
    method: str, route: str, store: DynamoAppointmentStore
) -> None:
    def answer(claims: dict[str, str] | None) -> int:
        event = (
            sample("twilio_inbound.json")
            if route.startswith("/twilio/")
            else sample("staff_claim.json")
        )
        event["rawPath"] = event["requestContext"]["http"]["path"] = route
        event["requestContext"]["http"]["method"] = method
        if claims is None:
            event["requestContext"].pop("authorizer", None)
        else:
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        return int(invoke(FUNCTION_OF[(method, route)], event)["statusCode"])

    no_role = {"custom:tenant_id": "clinic-1", "sub": "someone"}

    assert answer(None) == answer(no_role) == answer({**no_role, "cognito:groups": "[manager]"})


def test_every_route_of_the_document_and_the_template_is_in_the_table() -> None:
    routes = set(DOCUMENTED) | {(r.method, r.path) for r in ROUTES}

    unlisted = [r for r in routes if access_to(*r).family is None and not access_to(*r).open]

    assert unlisted == []
    # The guarded set is the template's authorized routes: the gateway asks for a token
    # exactly where the function asks for a role.
    assert {r for r in routes if not access_to(*r).open} == {
        (r.method, r.path) for r in ROUTES if r.authorized
    }


def test_a_refused_role_gets_403_before_its_body_is_read(
    world: dict[str, str], written: Callable[[], Any]
) -> None:
    before = written()

    response = request("POST", "/v1/pause", "staff", world, body='{"reason": ')

    assert response["statusCode"] == 403
    assert response_json(response)["error"]["code"] == "forbidden"
    assert written() == before


def test_a_booking_token_cannot_overwrite_a_managers_pause(
    world: dict[str, str], store: DynamoAppointmentStore, written: Callable[[], Any]
) -> None:
    before = written()
    paused = request("POST", "/v1/pause", "manager", world)
    assert paused["statusCode"] == 200
    assert written() != before  # what a refusal must leave unchanged does see writes

    refused = request("POST", "/v1/pause", "booking", world, body={"reason": "oops"})

    assert refused["statusCode"] == 403
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.paused is True
    assert tenant.paused_reason == "Clinic closed for flooding"


def test_a_person_in_several_groups_acts_with_the_widest(world: dict[str, str]) -> None:
    response = request("POST", "/v1/outbox/redrive", "booking staff manager", world)

    assert response["statusCode"] == 200


def test_a_token_without_a_tenant_is_still_a_401_whatever_its_role(
    world: dict[str, str],
) -> None:
    event = staff_event("GET", "/v1/queue", role="manager")
    del event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"]

    response = invoke("StaffApiFunction", event)

    assert response["statusCode"] == 401
    assert response_json(response)["error"]["code"] == "unauthorized"


def test_a_route_registered_without_validation_still_refuses_a_role_the_table_refuses(
    runtime: Runtime,
) -> None:
    # Powertools runs the resolver's first middleware only on routes with validation on:
    # a route that turns it off must still meet the table when it asks who is calling.
    app = http_resolver()

    @app.post("/v1/pause", enable_validation=False)
    def pause() -> Response[str]:
        return Response(200, "application/json", json.dumps({"by": caller_of(app).subject}))

    response = app(
        staff_event("POST", "/v1/pause", {"reason": "x"}, role="staff"), LambdaContext("x")
    )

    assert response["statusCode"] == 403
    assert response_json(response)["error"]["code"] == "forbidden"
