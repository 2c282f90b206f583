"""Sample events from events/, the same files `sam local invoke -e` reads."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from infra.handlers import LambdaContext, load_handler
from infra.template import ROOT, load_template

EVENTS = ROOT / "events"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return copy.deepcopy(loaded)


def appointment_event(
    method: str,
    appointment_id: str,
    body: Any = None,
    *,
    tenant: str | None = "clinic-1",
    role: str | None = "booking",
    raw_body: str | None = None,
) -> dict[str, Any]:
    event = sample(f"appointments_{method.lower()}.json")
    path = f"/v1/appointments/{appointment_id}"
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"appointment_id": appointment_id}
    if tenant is None:
        event["requestContext"]["authorizer"]["jwt"]["claims"].pop("custom:tenant_id")
    else:
        event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"] = tenant
    set_role(event["requestContext"]["authorizer"]["jwt"]["claims"], role)
    if raw_body is not None:
        event["body"] = raw_body
    elif body is not None:
        event["body"] = json.dumps(body)
    return event


def set_role(claims: dict[str, str], role: str | None) -> None:
    """The caller's Cognito group, flattened as API Gateway hands array claims over."""
    if role is None:
        claims.pop("cognito:groups", None)
    else:
        claims["cognito:groups"] = f"[{role}]"


def function_handler(logical_id: str) -> Any:
    props = load_template()["Resources"][logical_id]["Properties"]
    return load_handler(props["CodeUri"], props["Handler"])


def invoke(logical_id: str, event: dict[str, Any]) -> Any:
    return function_handler(logical_id)(event, LambdaContext(logical_id))


def response_json(response: dict[str, Any]) -> Any:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body) if body else None


def staff_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    tenant: str = "clinic-1",
    staff: str = "staff-maria",
    role: str | None = "staff",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Staff API request as API Gateway sends it, from events/staff_claim.json: by a
    member of the Cognito group `role` (None: of no group)."""
    event = sample("staff_claim.json")
    event["rawPath"] = path
    event["routeKey"] = f"{method} {path}"
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["pathParameters"] = {}
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    claims["custom:tenant_id"] = tenant
    # A person is named by their sign-in e-mail; Cognito's sub is an opaque id beside it.
    claims["email"] = staff
    claims["sub"] = f"sub-of-{staff}"
    set_role(claims, role)
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event
