"""Signing in to the console with a username and password, against the local stack's moto
user pool (USER_PASSWORD_AUTH; in AWS the same page runs SRP, cross-checked in
test_cognito_srp.py): the steps Cognito asks for, what the tab keeps, refresh, sign-out."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
import requests
from playwright.sync_api import Request, Route, expect

from tests.browser.conftest import (
    HTTP_TIMEOUT,
    CognitoConfig,
    ConsoleTab,
    Login,
    StaffMember,
    _claims,
)
from tests.browser.test_console import OpenConsole
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SESSION_KEY = "rendezvous.console.session"
ID_TOKEN_MINUTES = 60  # the template's IdTokenValidity, which moto also issues
REFRESH_BEFORE_MINUTES = 5  # console.js's REFRESH_BEFORE_MS


@pytest.fixture(scope="module")
def admin(cognito: CognitoConfig) -> Any:
    """The user pool's admin API (moto's), to make the logins a manager would make."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=cognito.endpoint,
        region_name=cognito.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def new_person(
    admin: Any, cognito: CognitoConfig, tenant: Tenant, group: str, *, permanent: bool
) -> Login:
    """A person created by a manager: a temporary password, or one set for good."""
    username = f"person-{uuid.uuid4().hex[:8]}@{tenant.tenant_id}.example"
    password = f"Temp-{uuid.uuid4().hex[:10]}A1"
    admin.admin_create_user(
        UserPoolId=cognito.user_pool_id,
        Username=username,
        TemporaryPassword=password,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": username},
            {"Name": "custom:tenant_id", "Value": tenant.tenant_id},
        ],
    )
    admin.admin_add_user_to_group(
        UserPoolId=cognito.user_pool_id, Username=username, GroupName=group
    )
    if permanent:
        admin.admin_set_user_password(
            UserPoolId=cognito.user_pool_id, Username=username, Password=password, Permanent=True
        )
    return Login(username, password, group, tenant.tenant_id)


class CognitoCalls:
    """The page's requests to Cognito: which action, and which flow."""

    def __init__(self, tab: ConsoleTab, cognito: CognitoConfig) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        endpoint = cognito.endpoint.rstrip("/")

        def record(request: Request) -> None:
            if request.method == "POST" and request.url.rstrip("/") == endpoint:
                action = request.headers.get("x-amz-target", "").split(".")[-1]
                self.seen.append((action, json.loads(request.post_data or "{}")))

        tab.page.on("request", record)

    def flows(self) -> list[str]:
        return [str(body.get("AuthFlow")) for action, body in self.seen if action == "InitiateAuth"]


def refresh_with(cognito: CognitoConfig, refresh_token: str) -> requests.Response:
    return cognito.call(
        "InitiateAuth",
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": cognito.client_id,
            "AuthParameters": {"REFRESH_TOKEN": refresh_token},
        },
    )


def everything_stored(tab: ConsoleTab) -> str:
    return str(
        tab.page.evaluate("() => JSON.stringify([{ ...sessionStorage }, { ...localStorage }])")
    )


def test_the_page_may_reach_the_user_pool_and_nothing_else(
    stack: LocalStackProcess, cognito: CognitoConfig
) -> None:
    answer = requests.get(stack.url("/console"), timeout=HTTP_TIMEOUT)

    directives = dict(
        d.strip().split(" ", 1) for d in answer.headers["Content-Security-Policy"].split(";")
    )
    assert directives["connect-src"] == f"'self' {cognito.endpoint.rstrip('/')}"
    # moto checks a password, never an SRP proof: locally the page sends the password.
    assert cognito.auth_flow == "USER_PASSWORD_AUTH"


def test_a_staff_member_signs_in_with_a_username_and_password(
    console: OpenConsole, cognito: CognitoConfig, staff: StaffMember, clinic: Tenant
) -> None:
    tab = console()
    calls = CognitoCalls(tab, cognito)
    tab.open()
    expect(tab.page.get_by_label("Email")).to_be_focused()

    with tab.page.expect_request(lambda r: r.url.endswith("/v1/status")) as status_call:
        tab.fill_sign_in(staff.login.username, staff.login.password)
    tab.expect_signed_in()

    expect(tab.page.locator("#tenant-name")).to_have_text(clinic.name)
    expect(tab.page.locator("#signed-in-as")).to_have_text(f"Signed in as {staff.login.username}")
    assert calls.flows() == ["USER_PASSWORD_AUTH"]
    # The API gets the ID token: it names the tenant and the group, for the console's client.
    sent = status_call.value.headers["authorization"].removeprefix("Bearer ")
    claims = _claims(sent)
    assert claims["token_use"] == "id"
    assert claims["aud"] == cognito.client_id
    assert claims["custom:tenant_id"] == clinic.tenant_id
    assert claims["cognito:groups"] == ["staff"]
    stored = tab.stored_session()
    assert stored is not None
    assert stored["idToken"] == sent
    assert stored["refreshToken"]
    assert "accessToken" not in stored  # the page never uses it: not kept
    # The password is nowhere the page keeps anything.
    assert staff.login.password not in everything_stored(tab)
    assert tab.page.evaluate("() => localStorage.length") == 0
    assert tab.page.get_by_label("Password", exact=True).input_value() == ""


def test_a_wrong_password_is_refused_and_nothing_is_kept(
    console: OpenConsole, staff: StaffMember
) -> None:
    tab = console()
    tab.open()

    tab.fill_sign_in(staff.login.username, staff.login.password + "-wrong")

    error = tab.page.get_by_role("alert").filter(has_text="Wrong email or password.")
    expect(error).to_be_visible()
    password = tab.page.get_by_label("Password", exact=True)
    expect(password).to_be_focused()
    expect(password).to_have_value("")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(tab.page.get_by_label("Email")).to_have_value(staff.login.username)
    expect(tab.page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert tab.page.evaluate("() => sessionStorage.length + localStorage.length") == 0
    tab.screenshot("14-wrong-password")

    # The form says what is missing before asking Cognito anything.
    tab.page.get_by_label("Email").fill("")
    tab.page.get_by_role("button", name="Sign in", exact=True).click()
    expect(tab.page.locator("#signin-error")).to_have_text("Enter your email.")
    expect(tab.page.get_by_label("Email")).to_be_focused()


def test_a_booking_systems_login_is_refused_by_the_console(
    console: OpenConsole, clinic: Tenant
) -> None:
    booking = booking_login(clinic)
    tab = console()
    tab.open()

    tab.fill_sign_in(booking.username, booking.password)

    expect(tab.page.locator("#signin-error")).to_have_text(
        "That login belongs to a booking system: the console is for staff and managers. "
        "Sign in with your own email."
    )
    expect(tab.page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab.page.locator("#workspace")).to_be_hidden()
    assert tab.page.evaluate("() => sessionStorage.length + localStorage.length") == 0


def booking_login(tenant: Tenant) -> Login:
    """The tenant's booking system's machine login from credentials.json."""
    login = tenant.booking_login
    return Login(login["username"], login["password"], "booking", tenant.tenant_id)


def test_sign_out_forgets_and_revokes_the_tokens(
    console: OpenConsole, cognito: CognitoConfig, staff: StaffMember
) -> None:
    tab = console(own_clock=True)
    tab.sign_in(staff)
    stored = tab.stored_session()
    assert stored is not None
    page = tab.page

    page.get_by_role("button", name="Sign out", exact=True).click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    assert page.evaluate("() => sessionStorage.length + localStorage.length") == 0

    # Cognito no longer honours the refresh token (RevokeToken).
    def revoked() -> dict[str, Any] | None:
        answer = refresh_with(cognito, stored["refreshToken"])
        return dict(answer.json()) if answer.status_code == 400 else None

    refused = wait_for(revoked, timeout=5, what="the refresh token revoked")
    assert refused["__type"].endswith("NotAuthorizedException")
    # And the page calls the API no more, however long it stays open.
    api_calls: list[str] = []
    page.on("request", lambda r: api_calls.append(r.url) if "/v1/" in r.url else None)
    for _ in range(3):
        tab.poll_now()
    page.wait_for_timeout(300)
    assert api_calls == []
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_the_tokens_are_refreshed_before_the_id_token_expires(
    console: OpenConsole, cognito: CognitoConfig, staff: StaffMember
) -> None:
    tab = console(own_clock=True)
    calls = CognitoCalls(tab, cognito)
    tab.sign_in(staff)
    before = tab.stored_session()
    assert before is not None
    queue_calls: list[str] = []
    tab.page.on(
        "request",
        lambda r: (
            queue_calls.append(r.headers.get("authorization", "")) if "/v1/queue" in r.url else None
        ),
    )

    # The page's clock to a minute past the moment it renews (five minutes before expiry).
    asked_before = len(queue_calls)
    tab.page.clock.fast_forward((ID_TOKEN_MINUTES - REFRESH_BEFORE_MINUTES + 1) * 60_000)

    after = wait_for(
        lambda: (s := tab.stored_session()) and s["idToken"] != before["idToken"] and s,
        timeout=5,
        what="new tokens in the tab",
    )
    assert calls.flows() == ["USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]
    assert after["refreshToken"] == before["refreshToken"]
    assert _claims(after["idToken"])["sub"] == staff.sub
    # The refreshes that fell due with the jump run with the new token (renewed first), or
    # the next one does.
    tab.poll_now()
    wait_for(
        lambda: f"Bearer {after['idToken']}" in queue_calls,
        timeout=10,
        what="the queue asked for with the new token",
    )
    # None went out with the old one after the jump: the scheduler renews before it asks.
    assert set(queue_calls[asked_before:]) == {f"Bearer {after['idToken']}"}
    tab.expect_signed_in()
    # Renewed once: the next renewal is an hour of the page's time away.
    assert calls.flows().count("REFRESH_TOKEN_AUTH") == 1


def test_a_session_revoked_elsewhere_ends_at_the_next_refresh(
    console: OpenConsole, cognito: CognitoConfig, staff: StaffMember
) -> None:
    tab = console(own_clock=True)
    tab.sign_in(staff)
    stored = tab.stored_session()
    assert stored is not None
    revoked = cognito.call(
        "RevokeToken", {"ClientId": cognito.client_id, "Token": stored["refreshToken"]}
    )
    assert revoked.status_code == 200, revoked.text

    tab.page.clock.fast_forward((ID_TOKEN_MINUTES - REFRESH_BEFORE_MINUTES + 1) * 60_000)

    expect(tab.page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab.page.locator("#signin-error")).to_have_text("Your sign-in has ended. Sign in again.")
    assert tab.page.evaluate("() => sessionStorage.length") == 0


def test_a_refused_token_is_renewed_and_the_call_tried_again(
    console: OpenConsole, cognito: CognitoConfig, staff: StaffMember
) -> None:
    tab = console(own_clock=True)
    calls = CognitoCalls(tab, cognito)
    tab.sign_in(staff)
    before = tab.stored_session()
    assert before is not None
    refused: list[str] = []
    sent: list[tuple[str, str]] = []  # (url, token) of every queue call

    def refuse_the_first(route: Route) -> None:
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.fulfill(status=401, json={"message": "Unauthorized"})

    tab.page.on(
        "request",
        lambda r: (
            sent.append((r.url, r.headers.get("authorization", "")))
            if "/v1/queue" in r.url
            else None
        ),
    )
    tab.page.route("**/v1/queue?**", refuse_the_first)

    def retried() -> dict[str, Any] | None:
        if not refused:  # a poll that was under way when the route came: the next one
            tab.poll_now()
        now = tab.stored_session()  # also lets Playwright deliver the page's events
        if not refused or not now or now["idToken"] == before["idToken"]:
            return None
        again = (refused[0], f"Bearer {now['idToken']}")
        return now if again in sent else None

    wait_for(retried, timeout=5, what="the refused call again with new tokens")
    assert calls.flows() == ["USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH"]
    tab.expect_signed_in()


def test_first_sign_in_asks_for_a_new_password_twice(
    console: OpenConsole, admin: Any, cognito: CognitoConfig, clinic: Tenant
) -> None:
    person = new_person(admin, cognito, clinic, "staff", permanent=False)
    tab = console()
    page = tab.page
    tab.open()
    tab.fill_sign_in(person.username, person.password)

    new_password = page.get_by_label("New password", exact=True)
    expect(new_password).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("First sign-in: choose your own password.")
    tab.screenshot("15-new-password")
    chosen = f"Chosen-{uuid.uuid4().hex[:8]}X9"
    new_password.fill(chosen)
    page.get_by_label("New password again").fill(chosen + "typo")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.locator("#signin-error")).to_have_text(
        "The two passwords differ. Type the new password again."
    )
    expect(page.get_by_label("New password again")).to_be_focused()
    page.get_by_label("New password again").fill(chosen)
    page.get_by_role("button", name="Set password and sign in").click()

    tab.expect_signed_in()
    assert chosen not in everything_stored(tab)
    # The new password is the one that signs in from now on.
    assert cognito.tokens(Login(person.username, chosen, "staff", clinic.tenant_id))["IdToken"]


def test_an_authenticator_code_is_asked_for_when_mfa_is_on(
    console: OpenConsole, admin: Any, cognito: CognitoConfig, clinic: Tenant
) -> None:
    person = new_person(admin, cognito, clinic, "manager", permanent=True)
    access = cognito.tokens(person)["AccessToken"]
    admin.associate_software_token(AccessToken=access)
    admin.verify_software_token(AccessToken=access, UserCode="123456")
    admin.admin_set_user_mfa_preference(
        UserPoolId=cognito.user_pool_id,
        Username=person.username,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    tab = console()
    page = tab.page
    tab.open()
    tab.fill_sign_in(person.username, person.password)

    code = page.get_by_label("Code from your authenticator app")
    expect(code).to_be_focused()
    code.fill("12345")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#signin-error")).to_have_text(
        "Enter the 6 digits your authenticator app shows."
    )
    code.fill("123 456")
    page.get_by_role("button", name="Verify").click()

    tab.expect_signed_in()
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {person.username}")
