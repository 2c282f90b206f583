"""The local API Gateway in process: the events it builds and the answers it translates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

import jwt
import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.test import Client

from infra.local.auth import JwtAuthorizer, JwtVerifier
from infra.local.functions import FunctionInvoker
from infra.local.gateway import ApiGateway, Route, proxy_response
from tests.support.events import sample

pytestmark = pytest.mark.e2e

AUTH = JwtAuthorizer("CognitoJwt", "authorization", "https://issuer.test/pool", ("client",))
NOW = datetime(2030, 1, 10, 17, 0, tzinfo=UTC)
KID = "issuer-key-1"


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issuer_keys(issuer: str) -> jwt.PyJWKSet:
    """The issuer's published JWKS: the public half of key "issuer" under KID."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key("issuer").public_key()))
    return jwt.PyJWKSet.from_dict({"keys": [{**public, "kid": KID, "alg": "RS256"}]})


def token(
    claims: dict[str, Any] | None = None,
    *,
    lifetime: int = 60,
    key: Any = None,
    algorithm: str = "RS256",
    kid: str = KID,
    authorizer: JwtAuthorizer = AUTH,
) -> str:
    """A Cognito-shaped ID token, signed with the issuer's key unless told otherwise."""
    now = int(time.time())
    payload = {
        "iss": authorizer.issuer,
        "aud": authorizer.audience[0],
        "token_use": "id",
        "iat": now,
        "exp": now + lifetime,
        "sub": "u1",
        **(claims or {}),
    }
    signer = rsa_key("issuer") if key is None else key
    return jwt.encode(payload, signer, algorithm=algorithm, headers={"kid": kid})


class Recorder:
    """Stands in for the functions: records each event, answers what it is told."""

    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.answer = answer if answer is not None else {"statusCode": 200, "body": "ok"}
        self.error = error

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self.error is not None:
            raise self.error
        return self.answer


def gateway(recorder: Recorder) -> ApiGateway:
    routes = [
        Route("PUT", "/v1/appointments/{appointment_id}", "Appointments", AUTH, ()),
        Route("POST", "/twilio/status", "Status", None, ()),
        Route("GET", "/files/{proxy+}", "Files", None, ()),
    ]
    verifier = JwtVerifier(issuer_keys)
    return ApiGateway(routes, cast(FunctionInvoker, recorder), verifier, lambda: NOW)


def test_an_authorized_json_request_becomes_the_event_api_gateway_sends() -> None:
    signed = token({"sub": "u1", "custom:tenant_id": "t1", "cognito:groups": ["staff"]})
    recorder = Recorder()

    client = Client(gateway(recorder))
    client.set_cookie("c1", "1")
    client.set_cookie("c2", "2")

    answer = client.put(
        "/v1/appointments/a%20b?x=1&x=2&y=",
        json={"k": "v"},
        headers={"Authorization": f"Bearer {signed}"},
    )

    assert answer.status_code == 200
    [event] = recorder.events
    expected = sample("appointments_put.json")
    assert set(expected) <= set(event) | {"cookies"}
    assert set(expected["requestContext"]) <= set(event["requestContext"])
    assert event["routeKey"] == "PUT /v1/appointments/{appointment_id}"
    assert event["rawPath"] == "/v1/appointments/a%20b"
    assert event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"appointment_id": "a b"}
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["content-type"] == "application/json"
    assert event["body"] == '{"k": "v"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "PUT"
    assert context["time"] == "10/Jan/2030:17:00:00 +0000"
    assert context["timeEpoch"] == 1894294800000
    claims = context["authorizer"]["jwt"]["claims"]
    assert claims["custom:tenant_id"] == "t1"
    assert claims["cognito:groups"] == "[staff]"  # API Gateway flattens arrays to strings
    assert isinstance(claims["exp"], str)


def test_a_form_body_arrives_base64_encoded_and_powertools_decodes_it() -> None:
    recorder = Recorder()

    Client(gateway(recorder)).post(
        "/twilio/status?ref=r1", data={"MessageStatus": "delivered", "To": "+14155550100"}
    )

    [event] = recorder.events
    assert event["isBase64Encoded"] is True
    assert "authorizer" not in event["requestContext"]
    decoded = APIGatewayProxyEventV2(event).decoded_body
    assert decoded == "MessageStatus=delivered&To=%2B14155550100"


def test_a_greedy_path_parameter_takes_the_rest_of_the_path() -> None:
    recorder = Recorder()

    Client(gateway(recorder)).get("/files/a/b/c.txt")

    assert recorder.events[0]["pathParameters"] == {"proxy": "a/b/c.txt"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "message"),
    [
        ("GET", "/v1/appointments/a1", {}, 404, "Not Found"),  # no GET route
        ("GET", "/nowhere", {}, 404, "Not Found"),
        ("PUT", "/v1/appointments/a1", {}, 401, "Unauthorized"),
        ("PUT", "/v1/appointments/a1", {"Authorization": "Bearer x.y.z"}, 401, "Unauthorized"),
    ],
)
def test_the_gateway_refuses_before_any_function_runs(
    method: str, path: str, headers: dict[str, str], status: int, message: str
) -> None:
    recorder = Recorder()

    answer = Client(gateway(recorder)).open(path, method=method, headers=headers)

    assert answer.status_code == status
    assert json.loads(answer.get_data()) == {"message": message}
    assert recorder.events == []


def _segment(value: dict[str, Any] | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _claims_now() -> dict[str, Any]:
    now = int(time.time())
    return {"iss": AUTH.issuer, "aud": "client", "iat": now, "exp": now + 60, "sub": "u1"}


def _unsigned() -> str:
    header = {"alg": "none", "typ": "JWT", "kid": KID}
    return (_segment(header) + b"." + _segment(_claims_now()) + b".").decode()


def _hs256_with_the_public_key() -> str:
    """The classic confusion: HMAC "signed" with the issuer's public key as the secret."""
    public_pem = (
        rsa_key("issuer")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": KID}
    signing_input = _segment(header) + b"." + _segment(_claims_now())
    mac = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _segment(mac)).decode()


@pytest.mark.parametrize(
    ("why", "make"),
    [
        ("expired a minute ago", lambda: token(lifetime=-60)),
        ("from another issuer", lambda: token({"iss": "https://cognito-idp.test/other"})),
        ("for another audience", lambda: token({"aud": "someone-else"})),
        ("signed by another RSA key", lambda: token(key=rsa_key("mallory"))),
        ("naming a key the issuer does not publish", lambda: token(kid="unknown")),
        ("signed with HS256", lambda: token(key="s" * 32, algorithm="HS256")),
        ("HS256 with the issuer's public key", _hs256_with_the_public_key),
        ("not yet valid", lambda: token({"nbf": int(time.time()) + 600})),
        ("issued in the future", lambda: token({"iat": int(time.time()) + 600})),
        ("without an expiry", lambda: token({"exp": None})),
        ("unsigned (alg none)", _unsigned),
    ],
)
def test_a_token_api_gateway_would_refuse_is_a_401_before_any_function_runs(
    why: str, make: Any
) -> None:
    recorder = Recorder()

    answer = Client(gateway(recorder)).put(
        "/v1/appointments/a1", headers={"Authorization": f"Bearer {make()}"}
    )

    assert answer.status_code == 401, why
    assert json.loads(answer.get_data()) == {"message": "Unauthorized"}
    assert recorder.events == []


def test_an_access_token_is_checked_by_its_client_id_when_it_has_no_aud() -> None:
    app = Client(gateway(Recorder()))
    now = int(time.time())
    base = {"iss": AUTH.issuer, "token_use": "access", "iat": now, "exp": now + 60}

    def put(claims: dict[str, Any]) -> int:
        signed = jwt.encode(claims, rsa_key("issuer"), algorithm="RS256", headers={"kid": KID})
        return app.put(
            "/v1/appointments/a1", headers={"Authorization": f"Bearer {signed}"}
        ).status_code

    assert put({**base, "client_id": "client"}) == 200
    assert put({**base, "client_id": "another-client"}) == 401


def test_a_function_that_raises_is_a_502_and_the_server_lives_on() -> None:
    recorder = Recorder(error=RuntimeError("boom"))
    app = Client(gateway(recorder))

    first = app.post("/twilio/status", data={"a": "b"})
    second = app.post("/twilio/status", data={"a": "b"})

    assert first.status_code == second.status_code == 502
    assert json.loads(first.get_data()) == {"message": "Internal Server Error"}


def test_the_proxy_response_becomes_the_http_answer() -> None:
    answer = proxy_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/xml", "X-One": "1"},
            "cookies": ["a=1", "b=2"],
            "body": base64.b64encode(b"<Response/>").decode(),
            "isBase64Encoded": True,
        }
    )

    assert answer.status_code == 201
    assert answer.headers["Content-Type"] == "text/xml"
    assert answer.headers["X-One"] == "1"
    assert answer.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert answer.get_data() == b"<Response/>"


def test_a_result_without_status_code_is_a_200_json_answer() -> None:
    answer = proxy_response({"hello": "world"})

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.get_data()) == {"hello": "world"}


@pytest.mark.parametrize(
    ("path", "shown", "hidden"),
    [
        ("/v1/recipients/%2B14155550123/opt-out", "/v1/recipients/+1415*****23/opt-out", "5550123"),
        # National digits carry no country code to keep: only the last two show, so the
        # log never shows more of a number than its E.164 mask would.
        ("/v1/recipients/4155550123", "/v1/recipients/********23", "4155"),
        ("/v1/recipients/06%2012%2034%2056%2078", "/v1/recipients/********78", "0612"),
        ("/v1/queue?phone=%2B14155550123", "/v1/queue?phone=+1415*****23", "5550123"),
    ],
)
def test_the_request_log_masks_the_number_in_a_path(
    caplog: pytest.LogCaptureFixture, path: str, shown: str, hidden: str
) -> None:
    with caplog.at_level("INFO", logger="infra.local.api"):
        Client(gateway(Recorder())).get(path)

    [line] = [r.getMessage() for r in caplog.records if r.name == "infra.local.api"]
    assert shown in line
    assert hidden not in line
