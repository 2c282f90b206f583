"""The local API Gateway in process: the events it builds and the answers it translates."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from werkzeug.test import Client

from infra.local.auth import JwtAuthorizer, LocalJwt
from infra.local.functions import FunctionInvoker
from infra.local.gateway import ApiGateway, Route, proxy_response
from tests.support.events import sample

pytestmark = pytest.mark.e2e

AUTH = JwtAuthorizer("CognitoJwt", "authorization", "https://issuer.test/pool", ("client",))
NOW = datetime(2030, 1, 10, 17, 0, tzinfo=UTC)


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


def gateway(recorder: Recorder, tokens: LocalJwt | None = None) -> ApiGateway:
    routes = [
        Route("PUT", "/v1/appointments/{appointment_id}", "Appointments", AUTH, ()),
        Route("POST", "/twilio/status", "Status", None, ()),
        Route("GET", "/files/{proxy+}", "Files", None, ()),
    ]
    return ApiGateway(routes, cast(FunctionInvoker, recorder), tokens or LocalJwt(), lambda: NOW)


def test_an_authorized_json_request_becomes_the_event_api_gateway_sends() -> None:
    tokens = LocalJwt()
    token = tokens.issue(
        AUTH, {"sub": "u1", "custom:tenant_id": "t1", "cognito:groups": ["staff"]}, 60
    )
    recorder = Recorder()

    client = Client(gateway(recorder, tokens))
    client.set_cookie("c1", "1")
    client.set_cookie("c2", "2")

    answer = client.put(
        "/v1/appointments/a%20b?x=1&x=2&y=",
        json={"k": "v"},
        headers={"Authorization": f"Bearer {token}"},
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


def test_a_token_from_another_issuer_or_audience_is_refused() -> None:
    tokens = LocalJwt()
    other_issuer = JwtAuthorizer("x", "authorization", "https://elsewhere.test", ("client",))
    other_audience = JwtAuthorizer("x", "authorization", AUTH.issuer, ("someone-else",))
    app = Client(gateway(Recorder(), tokens))

    for authorizer in (other_issuer, other_audience):
        token = tokens.issue(authorizer, {"sub": "u1"}, 60)
        answer = app.put("/v1/appointments/a1", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    expired = tokens.issue(AUTH, {"sub": "u1"}, -120)
    answer = app.put("/v1/appointments/a1", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401


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
