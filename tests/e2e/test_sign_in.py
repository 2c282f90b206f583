"""Signing in to the local stack: moto's Cognito user pool issues the tokens, the gateway
checks them with the pool's JWKS, and onboarding adds tenants whose logins work."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import boto3
import jwt
import pytest
import requests

from infra.cognito import sign_in
from infra.template import ROOT
from tests.e2e.conftest import HTTP_TIMEOUT, Api
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e


def cognito(stack: LocalStackProcess) -> Any:
    """A client of the local stack's moto, as the console and booking systems talk to it."""
    settings = stack.credentials["cognito"]
    return boto3.client(
        "cognito-idp",
        endpoint_url=settings["endpoint_url"],
        region_name=settings["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def local_token(stack: LocalStackProcess, **body: str) -> requests.Response:
    return requests.post(stack.url("/_local/token"), json=body, timeout=HTTP_TIMEOUT)


def test_every_demo_login_signs_in_with_its_password_and_opens_the_api(
    stack: LocalStackProcess, api: Api
) -> None:
    settings = stack.credentials["cognito"]
    users = stack.credentials["users"]
    assert {(u["tenant_id"], u["role"]) for u in users} >= {
        (t.tenant_id, role) for t in stack.tenants for role in ("staff", "manager")
    }

    for user in users:
        token = sign_in(cognito(stack), settings["client_id"], user["username"], user["password"])

        claims = claims_of(token)
        assert claims["cognito:groups"] == [user["role"]]
        assert claims["custom:tenant_id"] == user["tenant_id"]
        assert api.request("GET", "/v1/queue?status=open", token).status_code == 200


def test_a_wrong_password_is_refused_by_the_pool(stack: LocalStackProcess) -> None:
    user = stack.credentials["users"][0]
    client = cognito(stack)

    with pytest.raises(client.exceptions.NotAuthorizedException):
        sign_in(
            client, stack.credentials["cognito"]["client_id"], user["username"], "Wrong12345678"
        )


def test_a_booking_system_signs_in_through_its_client_with_the_secret(
    stack: LocalStackProcess, api: Api, clinic: Tenant
) -> None:
    login = clinic.booking_login
    client = cognito(stack)

    token = sign_in(
        client, login["client_id"], login["username"], login["password"], login["client_secret"]
    )

    claims = claims_of(token)
    assert (claims["aud"], claims["cognito:groups"]) == (login["client_id"], ["booking"])
    # Past the gateway: the function answers that there is no such appointment.
    answer = api.request("GET", f"/v1/appointments/nope-{uuid.uuid4().hex[:6]}", token)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_the_tokens_in_credentials_are_the_pools_own(stack: LocalStackProcess) -> None:
    settings = stack.credentials["cognito"]
    issuer = f"https://cognito-idp.{settings['region']}.amazonaws.com/{settings['user_pool_id']}"

    for tenant in stack.tenants:
        for role in ("staff", "manager", "booking"):
            claims = claims_of(getattr(tenant, f"{role}_token"))
            assert claims["iss"] == issuer
            assert claims["token_use"] == "id"
            assert claims["cognito:groups"] == [role]
            assert claims["custom:tenant_id"] == tenant.tenant_id
            client = settings["booking_client_id"] if role == "booking" else settings["client_id"]
            assert claims["aud"] == client
            assert jwt.get_unverified_header(getattr(tenant, f"{role}_token"))["alg"] == "RS256"


def test_a_token_keeps_working_after_the_virtual_clock_jumps_days(api: Api, clinic: Tenant) -> None:
    # API Gateway checks `exp` against real time, and so does the local gateway: the
    # virtual clock moves the world, not the hour a sign-in lasts.
    api.advance(3 * 24 * 60)

    answer = api.request("GET", "/v1/queue?status=open", clinic.staff_token)

    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("role", ["staff", "manager", "booking"])
def test_local_token_signs_in_a_login_of_that_role_once_made(
    stack: LocalStackProcess, clinic: Tenant, role: str
) -> None:
    handle = f"e2e-{role}-{uuid.uuid4().hex[:6]}"

    first = local_token(stack, tenant_id=clinic.tenant_id, role=role, sub=handle)
    again = local_token(stack, tenant_id=clinic.tenant_id, role=role, sub=handle)

    assert first.status_code == again.status_code == 200, first.text
    claims, later = claims_of(first.json()["token"]), claims_of(again.json()["token"])
    assert claims["cognito:groups"] == [role]
    assert claims["custom:tenant_id"] == clinic.tenant_id
    assert claims["sub"] == later["sub"]  # the same user, made once


def test_local_token_moves_a_login_to_the_role_asked_for(
    stack: LocalStackProcess, clinic: Tenant
) -> None:
    handle = f"e2e-promoted-{uuid.uuid4().hex[:6]}"
    local_token(stack, tenant_id=clinic.tenant_id, role="staff", sub=handle)

    promoted = local_token(stack, tenant_id=clinic.tenant_id, role="manager", sub=handle)

    assert claims_of(promoted.json()["token"])["cognito:groups"] == ["manager"]


def test_local_token_refuses_another_tenants_login(
    stack: LocalStackProcess, clinic: Tenant, salon: Tenant
) -> None:
    theirs = next(u for u in stack.credentials["users"] if u["tenant_id"] == salon.tenant_id)

    answer = local_token(stack, tenant_id=clinic.tenant_id, role="staff", sub=theirs["username"])

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    "body",
    [
        {"tenant_id": "no-such-tenant", "role": "staff", "sub": "x"},
        {"tenant_id": "t" * 5000, "role": "staff", "sub": "x"},
        {"tenant_id": "harbor-clinic", "role": "admin", "sub": "x"},
        {"tenant_id": "harbor-clinic", "role": "staff", "sub": "a b"},
        {"tenant_id": "harbor-clinic", "role": "staff", "sub": "half@address"},
    ],
)
def test_local_token_refuses_what_names_no_login(
    stack: LocalStackProcess, body: dict[str, str]
) -> None:
    answer = local_token(stack, **body)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_request"


def onboard(stack: LocalStackProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.onboard", "--local", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "RENDEZVOUS_LOCAL_DIR": str(stack.local_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_tenant_onboarded_into_the_running_stack_books_with_its_printed_login(
    stack: LocalStackProcess, api: Api
) -> None:
    tenant_id = f"e2e-{uuid.uuid4().hex[:8]}"
    given = [
        "--name", "Bakery", "--tenant-id", tenant_id, "--phone", "+14155550177",
        "--timezone", "America/New_York", "--manager", f"lea@{tenant_id}.example",
    ]  # fmt: skip

    first = onboard(stack, *given)
    again = onboard(stack, *given)

    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    shown = dict(
        line.strip().split(": ", 1)
        for line in first.stdout.splitlines()
        if line.startswith("  ") and ": " in line
    )
    token = sign_in(
        cognito(stack),
        shown["booking client id"],
        shown["booking username"],
        shown["booking password"],
        shown["booking client secret"],
    )
    assert claims_of(token)["custom:tenant_id"] == tenant_id
    assert api.request("GET", "/v1/appointments/none-yet", token).status_code == 404
    assert "Nothing to do" in again.stdout
    assert "password" not in again.stdout
