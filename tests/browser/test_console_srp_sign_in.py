"""The console page as AWS serves it (COGNITO_AUTH_FLOW=USER_SRP_AUTH), signing in against
a stand-in for Cognito that holds only an SRP verifier, never the password.

moto checks no SRP proof, and test_cognito_srp.py compares the page's client math with
pycognito's client math. Here the other side is a server's: S = (A * v^u)^b mod N from the
verifier v = g^x, so a proof is accepted only if the page's algebra really meets the
server's, and a wrong password is refused. No local stack: the page and the API are served
by Playwright's routes, so this runs in a couple of seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from pycognito import aws_srp

from rendezvous.console import CognitoConfig, console_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

ORIGIN = "http://127.0.0.1:9"
POOL_ID = "eu-west-3_Ab12Cd34E"
CLIENT_ID = "consoleclient"
USERNAME = "ana@harbor.example"
PASSWORD = "Correct-horse-battery-1"
USER_ID_FOR_SRP = "6f1c2b3a-9d8e-4e5f-9a8b-7c6d5e4f3a2b"
N = aws_srp.hex_to_long(aws_srp.N_HEX)
G = aws_srp.hex_to_long(aws_srp.G_HEX)
K = aws_srp.hex_to_long(aws_srp.hex_hash("00" + aws_srp.N_HEX + "0" + aws_srp.G_HEX))
TIMESTAMP = re.compile(
    r"^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}$"
)


def _h(hex_string: str) -> int:
    return int(aws_srp.hex_hash(hex_string), 16)


def _unsigned_jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'test'})}.{part(claims)}.c2ln"


@dataclass
class SrpUserPool:
    """Cognito's side of USER_SRP_AUTH for one user: a salt and a verifier, no password."""

    salt_hex: str = field(default_factory=lambda: secrets.token_hex(16))
    verifier: int = 0
    challenges: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # block -> A,b,B
    refused: list[str] = field(default_factory=list)
    # What InitiateAuth answers instead of a challenge: (__type, message), as Cognito says no.
    fail_with: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        pool_name = POOL_ID.split("_")[1]
        identity = aws_srp.hash_sha256(f"{pool_name}{USER_ID_FOR_SRP}:{PASSWORD}".encode())
        x = _h(aws_srp.pad_hex(self.salt_hex) + identity)
        self.verifier = pow(G, x, N)

    def initiate(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.fail_with:
            code, message = self.fail_with
            return 400, {"__type": f"com.amazonaws.cognito#{code}", "message": message}
        assert body["AuthFlow"] == "USER_SRP_AUTH"
        assert body["ClientId"] == CLIENT_ID
        assert "PASSWORD" not in body["AuthParameters"]
        assert body["AuthParameters"]["USERNAME"] == USERNAME
        big_a = aws_srp.hex_to_long(body["AuthParameters"]["SRP_A"])
        assert big_a % N != 0
        b = secrets.randbits(1024) % N
        big_b = (K * self.verifier + pow(G, b, N)) % N
        block = base64.b64encode(secrets.token_bytes(64)).decode()
        self.challenges[block] = (big_a, b, big_b)
        return 200, {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": self.salt_hex,
                "SRP_B": aws_srp.long_to_hex(big_b),
                "SECRET_BLOCK": block,
                "USER_ID_FOR_SRP": USER_ID_FOR_SRP,
                "USERNAME": USER_ID_FOR_SRP,
            },
        }

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        assert body["ChallengeName"] == "PASSWORD_VERIFIER"
        answer = body["ChallengeResponses"]
        assert answer["USERNAME"] == USER_ID_FOR_SRP
        assert TIMESTAMP.match(answer["TIMESTAMP"]), answer["TIMESTAMP"]
        big_a, b, big_b = self.challenges.pop(answer["PASSWORD_CLAIM_SECRET_BLOCK"])
        u = _h(aws_srp.pad_hex(big_a) + aws_srp.pad_hex(big_b))
        s = pow(big_a * pow(self.verifier, u, N), b, N)
        key = aws_srp.compute_hkdf(
            bytearray.fromhex(aws_srp.pad_hex(s)), bytearray.fromhex(aws_srp.pad_hex(u))
        )
        message = (
            POOL_ID.split("_")[1].encode()
            + USER_ID_FOR_SRP.encode()
            + base64.b64decode(answer["PASSWORD_CLAIM_SECRET_BLOCK"])
            + answer["TIMESTAMP"].encode()
        )
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, answer["PASSWORD_CLAIM_SIGNATURE"]):
            self.refused.append(answer["TIMESTAMP"])
            return 400, {
                "__type": "NotAuthorizedException",
                "message": "Incorrect username or password.",
            }
        now = int(time.time())
        claims = {
            "sub": USER_ID_FOR_SRP,
            "aud": CLIENT_ID,
            "token_use": "id",
            "email": USERNAME,
            "custom:tenant_id": "harbor",
            "cognito:groups": ["staff"],
            "iat": now,
            "exp": now + 3600,
        }
        return 200, {
            "AuthenticationResult": {
                "IdToken": _unsigned_jwt(claims),
                "AccessToken": _unsigned_jwt({**claims, "token_use": "access"}),
                "RefreshToken": "refresh-" + secrets.token_hex(8),
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            }
        }


@pytest.fixture
def srp_console(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Page, SrpUserPool]]:
    """The console page configured for AWS, Cognito and the API answered by routes."""
    for name, value in {
        "COGNITO_REGION": "eu-west-3",
        "COGNITO_USER_POOL_ID": POOL_ID,
        "COGNITO_CLIENT_ID": CLIENT_ID,
        "COGNITO_ENDPOINT_URL": f"{ORIGIN}/cognito/",
        "COGNITO_AUTH_FLOW": "USER_SRP_AUTH",
    }.items():
        monkeypatch.setenv(name, value)
    console_page.cache_clear()
    page_answer = console_page()
    console_page.cache_clear()
    assert CognitoConfig.from_env().auth_flow == "USER_SRP_AUTH"
    pool = SrpUserPool()
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )

    def serve_page(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=page_answer.html,
            headers={"Content-Security-Policy": page_answer.content_security_policy},
        )

    def cognito(route: Route) -> None:
        target = route.request.headers["x-amz-target"]
        body = json.loads(route.request.post_data or "{}")
        action = target.removeprefix("AWSCognitoIdentityProviderService.")
        status, answer = pool.initiate(body) if action == "InitiateAuth" else pool.respond(body)
        route.fulfill(status=status, content_type="application/x-amz-json-1.1", json=answer)

    def api(route: Route) -> None:
        route.fulfill(
            status=200,
            json={"items": [], "messages": [], "tenant_id": "harbor", "name": "Harbor Clinic"},
        )

    page.route(f"{ORIGIN}/console", serve_page)
    page.route(f"{ORIGIN}/cognito/", cognito)
    page.route(f"{ORIGIN}/v1/**", api)
    page.goto(f"{ORIGIN}/console")
    yield page, pool
    context.close()
    assert not problems, problems


def sign_in(page: Page, password: str) -> None:
    page.get_by_label("Email").fill(USERNAME)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_the_pages_srp_proof_satisfies_a_server_that_holds_only_the_verifier(
    srp_console: tuple[Page, SrpUserPool],
) -> None:
    page, pool = srp_console

    with page.expect_request(lambda r: r.url.endswith("/v1/status")) as status_call:
        sign_in(page, PASSWORD)

    expect(page.locator("#workspace")).to_be_visible()
    assert pool.refused == []
    assert pool.challenges == {}  # the one challenge was answered
    assert status_call.value.headers["authorization"].startswith("Bearer ey")


def test_a_wrong_password_gives_a_proof_the_server_refuses(
    srp_console: tuple[Page, SrpUserPool],
) -> None:
    page, pool = srp_console

    sign_in(page, PASSWORD + "!")

    expect(page.locator("#signin-error")).to_have_text("Wrong email or password.")
    assert len(pool.refused) == 1
    assert page.evaluate("() => sessionStorage.length") == 0


@pytest.mark.parametrize(
    ("code", "message", "shown"),
    [
        ("UserNotFoundException", "User does not exist.", "Wrong email or password."),
        (
            "NotAuthorizedException",
            "Password attempts exceeded",
            "Too many wrong passwords: wait a few minutes, then try again.",
        ),
        (
            "NotAuthorizedException",
            "User is disabled.",
            "This account is disabled. Ask your manager.",
        ),
        (
            "PasswordResetRequiredException",
            "Password reset required for the user",
            "Your password has to be reset before you can sign in. Ask your manager to reset it.",
        ),
        (
            "UserNotConfirmedException",
            "User is not confirmed.",
            "This account is not set up yet. Ask your manager to finish setting it up.",
        ),
        (
            "TooManyRequestsException",
            "Too many requests",
            "Too many attempts right now: wait a minute, then try again.",
        ),
        (
            "InternalErrorException",
            "boom",
            "Signing in failed (InternalErrorException). Try again in a moment.",
        ),
    ],
)
def test_cognitos_refusals_are_said_plainly(
    srp_console: tuple[Page, SrpUserPool], code: str, message: str, shown: str
) -> None:
    page, pool = srp_console
    pool.fail_with = (code, message)

    sign_in(page, PASSWORD)

    expect(page.get_by_role("alert")).to_have_text(shown)
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    assert page.evaluate("() => sessionStorage.length") == 0
