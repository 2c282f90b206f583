"""The API as API Gateway serves it: every template route, the JWT authorizer, signatures."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import jwt
import pytest
from twilio.request_validator import RequestValidator

from infra.template import http_routes, load_template
from tests.e2e.conftest import Api, book, booking, in_days, new_appointment_id
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e

NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
# Well-formed, plausible claims, signed with a secret the stack does not have.
FORGED_TOKEN = jwt.encode(
    {"sub": "x", "custom:tenant_id": "harbor-clinic", "exp": 4_000_000_000},
    "a-guessed-secret-" * 3,
    algorithm="HS256",
)


def _json(answer: Any) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def plausible_body(path: str, now: datetime, tenant: Tenant) -> dict[str, Any]:
    if path.startswith("/v1/appointments/"):
        return booking("+14155550299", in_days(now, tenant, 3))
    return {"body": "Thanks, see you soon.", "reason": "e2e probe"}


def test_every_route_of_the_template_is_served(
    stack: LocalStackProcess, api: Api, salon: Tenant
) -> None:
    # The salon's manager, whose role may use every route: the other tests book at the
    # clinic, so a pause here touches none.
    now = api.clock()
    routes = http_routes(load_template())
    assert routes
    answered: dict[str, int] = {}
    for route in sorted(routes, key=lambda r: r.path.endswith("/resume")):
        path = re.sub(r"\{([^}+]+)\+?\}", lambda m: f"e2e-probe-{m.group(1)}", route.path)
        kwargs: dict[str, Any] = {}
        if route.method in {"POST", "PUT", "PATCH"}:
            if route.path.startswith("/twilio/"):
                kwargs["data"] = {"From": "+14155550298", "Body": "hello"}
            else:
                kwargs["json"] = plausible_body(route.path, now, salon)
        answer = api.request(
            route.method,
            path + ("?status=open&hours=24&days=7" if route.method == "GET" else ""),
            salon.manager_token if route.authorized else None,
            **kwargs,
        )
        key = f"{route.method} {route.path}"
        answered[key] = answer.status_code
        assert answer.status_code < 500, f"{key}: {answer.status_code} {answer.text}"
        assert _json(answer) != NOT_FOUND, f"{key} is not routed"
        assert _json(answer) != UNAUTHORIZED, f"{key} refused a valid token"
        if route.authorized:
            assert answer.status_code != 403, f"{key} refused a manager: {answer.text}"
    print(answered)


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("booking", "GET", "/v1/queue"),
        ("booking", "GET", "/v1/outbox"),
        ("staff", "POST", "/v1/pause"),
        ("staff", "POST", "/v1/outbox/redrive"),
    ],
)
def test_a_role_that_may_not_use_a_route_is_refused_by_the_function(
    api: Api, salon: Tenant, role: str, method: str, path: str
) -> None:
    signed_in = api.request(
        "POST", "/_local/token", json={"tenant_id": salon.tenant_id, "role": role, "sub": "e2e"}
    )
    assert signed_in.status_code == 200, signed_in.text

    answer = api.request(method, path, signed_in.json()["token"], json={"reason": "e2e"})

    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "forbidden"
    assert api.request("GET", "/v1/status", salon.staff_token).json()["paused"] is False


def test_a_route_without_a_token_is_refused_before_the_function(api: Api) -> None:
    answer = api.request("GET", f"/v1/appointments/{new_appointment_id()}")

    assert answer.status_code == 401
    assert answer.json() == UNAUTHORIZED


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode(
            {"sub": "x", "custom:tenant_id": "harbor-clinic"},
            "a-guessed-secret-" * 3,
            algorithm="HS256",
        ),
    ],
)
def test_a_bad_token_is_refused(api: Api, token: str) -> None:
    answer = api.request("GET", f"/v1/appointments/{new_appointment_id()}", token)

    assert answer.status_code == 401
    assert answer.json() == UNAUTHORIZED


def test_an_unknown_route_answers_as_api_gateway_does(api: Api, clinic: Tenant) -> None:
    answer = api.request("GET", "/v1/no-such-thing", clinic.staff_token)

    assert answer.status_code == 404
    assert answer.json() == NOT_FOUND


def test_a_tenant_cannot_read_another_tenants_appointment(
    api: Api, clinic: Tenant, salon: Tenant, customer: str, morning: datetime
) -> None:
    appointment = book(api, clinic, customer, in_days(morning, clinic, 3))
    path = f"/v1/appointments/{appointment['appointment_id']}"

    theirs = api.request("GET", path, salon.staff_token)
    mine = api.request("GET", path, clinic.staff_token)

    assert theirs.status_code == 404, theirs.text
    assert theirs.json()["error"]["code"]  # the function's 404, as for a record that is not
    assert mine.status_code == 200


def _status_form() -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": "SM" + "0" * 32,
        "MessageStatus": "delivered",
        "To": "+14155550297",
    }


def test_a_status_callback_with_a_forged_signature_is_refused(
    stack: LocalStackProcess, api: Api
) -> None:
    form = _status_form()
    url = stack.url("/twilio/status?ref=e2e")
    wrong_token = RequestValidator("not-the-token").compute_signature(url, form)

    for signature in ("forged", wrong_token, ""):
        answer = api.request(
            "POST", "/twilio/status?ref=e2e", data=form, headers={"X-Twilio-Signature": signature}
        )
        assert answer.status_code == 403, (signature, answer.text)


def test_a_signature_over_other_parameters_is_refused(stack: LocalStackProcess, api: Api) -> None:
    form = _status_form()
    url = stack.url("/twilio/status?ref=e2e")
    signature = RequestValidator(stack.credentials["auth_token"]).compute_signature(url, form)

    answer = api.request(
        "POST",
        "/twilio/status?ref=e2e",
        data={**form, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": signature},
    )

    assert answer.status_code == 403
