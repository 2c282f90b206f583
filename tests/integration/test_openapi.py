"""The OpenAPI document: generated from the functions' routes, complete, and served."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from infra.openapi import DOCUMENT_PATH, build_document, render
from infra.template import http_routes, load_template
from tests.support.events import invoke, sample

TEMPLATE = load_template()


def test_the_committed_document_is_what_the_routes_generate() -> None:
    # Stale means a route or model changed without `python -m infra.openapi` (make openapi).
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(build_document(TEMPLATE))


def test_the_document_lists_exactly_the_routes_of_the_template() -> None:
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))

    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }

    assert documented == {(r.method, r.path) for r in http_routes(TEMPLATE)}
    assert document["openapi"] == "3.1.0"


def test_routes_behind_a_token_say_so_and_open_ones_do_not() -> None:
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))

    for route in http_routes(TEMPLATE):
        operation = document["paths"][route.path][route.method.lower()]
        assert ("security" in operation) == route.authorized, route


def test_every_error_a_route_documents_has_the_contracts_shape() -> None:
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))

    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                # FHIR's routes answer errors as FHIR servers do.
                shape = "OperationOutcome" if path.startswith("/fhir/") else "ErrorOut"
                if int(status) >= 400:
                    assert shape in json.dumps(answer), (method, path, status)


def test_the_document_is_served_without_a_token() -> None:
    event = sample("appointments_get.json")
    event.update(rawPath="/v1/openapi.json", routeKey="GET /v1/openapi.json", pathParameters={})
    event["requestContext"]["http"]["path"] = "/v1/openapi.json"
    del event["requestContext"]["authorizer"]

    response = invoke("ConsoleFunction", event)

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response_json_text(response)) == json.loads(
        DOCUMENT_PATH.read_text(encoding="utf-8")
    )


def response_json_text(response: dict[str, Any]) -> str:
    body = str(response["body"])
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(body)
        return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
    return body
