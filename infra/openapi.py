"""The OpenAPI 3.1 document of the whole HTTP API, generated from the functions' own routes.

Each API function validates its requests with Powertools' event handler against pydantic
models; Powertools turns those same routes and models into an OpenAPI schema per function,
and OpenAPIMerge joins them. What only the template knows (which routes need a token) and
what the Twilio handlers validate after the signature (their form models) is added here, so
nothing is written twice. The document ships in the layer and `GET /v1/openapi.json` serves
it; a test regenerates it and fails if the committed copy is stale.

    python -m infra.openapi           # rewrite the committed document
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from pydantic import BaseModel

from infra.handlers import load_function_module
from infra.template import ROOT, http_routes, load_template
from rendezvous.api.twilio_webhook import TwilioInboundForm, TwilioStatusForm

DOCUMENT_PATH = ROOT / "layers/shared/rendezvous/api/openapi.json"
BEARER = "bearerAuth"

# Twilio's webhooks are read as forms, after the signature and before any model: their
# models are applied by the handler (a value Twilio never sends is a 403, not a 422).
TWILIO_FORMS: dict[str, type[BaseModel]] = {
    "/twilio/inbound": TwilioInboundForm,
    "/twilio/status": TwilioStatusForm,
}


def _function_schemas(template: dict[str, Any]) -> list[dict[str, Any]]:
    schemas = []
    seen: set[str] = set()
    for route in http_routes(template):
        if route.function in seen:
            continue
        seen.add(route.function)
        app = load_function_module(route.code_uri, route.handler).app
        schema = app.get_openapi_schema(openapi_version="3.1.0")
        schemas.append(json.loads(schema.model_dump_json(by_alias=True, exclude_none=True)))
    return schemas


def _drop_powertools_validation_errors(document: dict[str, Any]) -> None:
    """Powertools documents its own 422 body for request validation errors; ours maps
    them once (rendezvous.api.http) to the contract's `{"error": ...}` shape, and every
    route declares the statuses it answers."""
    for path_item in document["paths"].values():
        for operation in path_item.values():
            answer = operation["responses"].get("422", {})
            if "HTTPValidationError" in json.dumps(answer):
                del operation["responses"]["422"]
            # Powertools gives a body-less success the handler's return type; 204 has none.
            operation["responses"].get("204", {}).pop("content", None)


def _prune_unreferenced_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    while True:
        text = json.dumps({k: v for k, v in document.items() if k != "components"})
        text += json.dumps(schemas)
        unused = [n for n in schemas if f'"#/components/schemas/{n}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _add_twilio_forms(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for path, model in TWILIO_FORMS.items():
        operation = document["paths"][path]["post"]
        schemas[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                }
            },
        }
        operation.setdefault("parameters", []).append(
            {
                "name": "X-Twilio-Signature",
                "in": "header",
                "required": True,
                "description": "Twilio's signature of the public URL and the form",
                "schema": {"type": "string"},
            }
        )


# Bodies read raw by their handlers (Cal.com's is verified on its exact bytes; FHIR's is
# validated by the fhir.resources models), documented as the JSON they are.
INTEGRATION_BODIES: dict[tuple[str, str], tuple[str, str]] = {
    ("/integrations/calcom/{integration_id}", "post"): (
        "application/json",
        "Cal.com's webhook body, payload version 2021-10-20: `{triggerEvent, createdAt, "
        "payload}` with the booking's `uid`, `startTime`, `attendees` (`name`, "
        "`phoneNumber`), `responses` and, on a reschedule, `rescheduleUid`.",
    ),
    ("/fhir/r4/Appointment/{appointment_id}", "put"): (
        "application/fhir+json",
        "A FHIR R4 Appointment with this id, whose Patient participant is a contained "
        "Patient with a `telecom` phone and a `name`. `status` booked/pending/proposed plans "
        "texts, cancelled cancels, noshow/fulfilled record the outcome.",
    ),
}


def _add_integration_bodies(document: dict[str, Any]) -> None:
    for (path, method), (media_type, description) in INTEGRATION_BODIES.items():
        operation = document["paths"][path][method]
        operation["requestBody"] = {
            "required": True,
            "description": description,
            "content": {media_type: {"schema": {"type": "object"}}},
        }
    # FHIR answers are FHIR JSON: the Appointment as stored, or an OperationOutcome.
    for path, item in document["paths"].items():
        if not path.startswith("/fhir/"):
            continue
        for operation in item.values():
            for status, response in operation["responses"].items():
                kind = "Appointment" if status.startswith("2") else "OperationOutcome"
                # API Gateway's own 401 and 404 stay JSON of its shape.
                gateway = {
                    k: v
                    for k, v in response.get("content", {}).items()
                    if status in ("401", "404") and k == "application/json"
                }
                response["content"] = {
                    "application/fhir+json": {
                        "schema": {"type": "object", "description": f"a FHIR R4 {kind}"}
                    },
                    **gateway,
                }
    document["paths"]["/integrations/calcom/{integration_id}"]["post"].setdefault(
        "parameters", []
    ).append(
        {
            "name": "X-Cal-Signature-256",
            "in": "header",
            "required": True,
            "description": "hex HMAC-SHA256 of the raw body with the integration's secret",
            "schema": {"type": "string"},
        }
    )


def build_document(template: dict[str, Any] | None = None) -> dict[str, Any]:
    template = template or load_template()
    merge = OpenAPIMerge(
        title="Rendezvous",
        version="2",
        openapi_version="3.1.0",
        description=(
            "Appointment confirmations and reminders by SMS. Errors are "
            '`{"error": {"code", "message"}}` with a 4xx status.'
        ),
        on_conflict="error",
    )
    for schema in _function_schemas(template):
        merge.add_schema(schema)
    document: dict[str, Any] = json.loads(json.dumps(merge.get_openapi_schema()))
    _drop_powertools_validation_errors(document)
    _add_twilio_forms(document)
    _add_integration_bodies(document)
    _prune_unreferenced_schemas(document)
    document["components"]["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    for route in http_routes(template):
        operation = document["paths"][route.path][route.method.lower()]
        if route.authorized:
            operation["security"] = [{BEARER: []}]
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(path: Path = DOCUMENT_PATH) -> None:
    path.write_text(render(build_document()), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
