"""Webhook endpoints over HTTP on the local stack: a manager registers the sandbox's
receiver at http://127.0.0.1:PORT (the local stack alone accepts it) and gets its secret
once; a private address is refused; staff may not touch endpoints."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import Api
from tests.support.local_stack import LocalStackProcess, Tenant


def test_a_manager_registers_a_loopback_receiver_and_the_secret_is_shown_once(
    stack: LocalStackProcess, api: Api, salon: Tenant
) -> None:
    endpoint = f"e2e-{uuid.uuid4().hex[:8]}"
    path = f"/v1/webhooks/{endpoint}"
    body = {
        "url": f"{stack.twilio_base_url}/sandbox/webhooks/{salon.tenant_id}",
        "events": ["appointment.confirmed", "recipient.opted_out"],
    }

    made = api.request("PUT", path, salon.manager_token, json=body)
    again = api.request("PUT", path, salon.manager_token, json=body)
    listed = api.request("GET", "/v1/webhooks", salon.manager_token)
    deliveries = api.request("GET", f"{path}/deliveries", salon.manager_token)
    gone = api.request("DELETE", path, salon.manager_token)

    assert made.status_code == 201, made.text
    assert made.json()["secret"].startswith("whsec_")
    assert again.status_code == 200
    assert "secret" not in again.json()
    assert endpoint in [e["endpoint_id"] for e in listed.json()["endpoints"]]
    assert "whsec_" not in listed.text
    assert deliveries.status_code == 200
    assert deliveries.json() == {"deliveries": []}
    assert gone.status_code == 204


def test_a_private_address_is_refused_and_staff_may_not_register(api: Api, salon: Tenant) -> None:
    path = f"/v1/webhooks/e2e-{uuid.uuid4().hex[:8]}"
    private = {"url": "https://10.0.0.7/hooks", "events": ["appointment.confirmed"]}
    loopback_name = {"url": "http://localhost:3001/hooks", "events": ["appointment.confirmed"]}

    refused = api.request("PUT", path, salon.manager_token, json=private)
    named = api.request("PUT", path, salon.manager_token, json=loopback_name)
    staff = api.request("PUT", path, salon.staff_token, json=private)

    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "url"
    assert "private" in refused.json()["error"]["details"][0]["problem"]
    assert named.status_code == 422
    assert staff.status_code == 403
    assert api.request("GET", path, salon.manager_token).status_code == 404
