"""Booking systems in their own formats: Cal.com's webhook, FHIR R4 Appointment, and the
manager route that creates a Cal.com integration and its secret.

`/integrations/*` is open at the gateway and checked here by its signature; `/fhir/*` and
`/v1/integrations/*` carry a token, checked by the role table (rendezvous.api.roles).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from rendezvous.api.http import (
    PayloadTooLarge,
    ResourceId,
    caller_of,
    documented,
    domain_error_response,
    json_response,
    request_error_response,
    status_of,
)
from rendezvous.domain.errors import DomainError, InvalidFields, InvalidRequest
from rendezvous.domain.integrations import CalcomIntegration, IntegrationService
from rendezvous.json_input import decode_json
from rendezvous.observability import logger, metrics
from rendezvous.runtime import get_runtime

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

# Cal.com's booking payloads carry the whole booking form; FHIR resources their contained
# Patient. Both stay well under this; anything larger is not a booking.
MAX_INTEGRATION_BODY_BYTES = 65_536


class CalcomIntegrationOut(BaseModel):
    integration_id: str
    url_path: str
    created_at: datetime
    created_by: str
    # Only in the answer that created it: Cal.com's webhook "Secret".
    secret: str | None = None

    @classmethod
    def of(cls, integration: CalcomIntegration, secret: str | None = None) -> CalcomIntegrationOut:
        return cls(
            integration_id=integration.integration_id,
            url_path=f"/integrations/calcom/{integration.integration_id}",
            created_at=integration.created_at,
            created_by=integration.created_by,
            secret=secret,
        )


class CalcomDeliveryOut(BaseModel):
    trigger: str
    result: str
    appointment_id: str | None = None
    replaced: str | None = None


def _service() -> IntegrationService:
    return get_runtime().integration_service()


def _raw_body() -> bytes:
    event = router.current_event
    body = event.body or ""
    raw = base64.b64decode(body) if event.is_base64_encoded else body.encode()
    if len(raw) > MAX_INTEGRATION_BODY_BYTES:
        raise PayloadTooLarge(f"body exceeds {MAX_INTEGRATION_BODY_BYTES} bytes")
    return raw


def _json_body(raw: bytes) -> Any:
    try:
        return decode_json(raw)
    except ValueError as exc:
        raise InvalidRequest("the body is not valid JSON") from exc


# -- Cal.com --------------------------------------------------------------------------------


@router.put(
    "/v1/integrations/calcom/<integration_id>",
    responses=documented(
        {200: CalcomIntegrationOut, 201: CalcomIntegrationOut}, 400, 401, 403, 409
    ),
    description="Create a Cal.com integration (manager). 201 answers its webhook secret, once; "
    "a repeat answers 200 without it. Give Cal.com the URL path and the secret.",
)
def put_calcom_integration(integration_id: ResourceId) -> Response[str]:
    caller = caller_of(router)
    made = _service().register_calcom(caller.tenant_id, integration_id, by=caller.subject)
    return json_response(
        201 if made.created else 200, CalcomIntegrationOut.of(made.integration, made.secret)
    )


@router.get(
    "/v1/integrations/calcom/<integration_id>",
    responses=documented({200: CalcomIntegrationOut}, 400, 401, 403, 404),
)
def get_calcom_integration(integration_id: ResourceId) -> Response[str]:
    found = _service().get_calcom(caller_of(router).tenant_id, integration_id)
    return json_response(200, CalcomIntegrationOut.of(found))


@router.delete(
    "/v1/integrations/calcom/<integration_id>",
    responses=documented({204: None}, 400, 401, 403, 404),
    description="Revoke a Cal.com integration (manager): deliveries signed with its secret are "
    "refused from now on. To rotate a secret, delete the integration and PUT it again.",
)
def delete_calcom_integration(integration_id: ResourceId) -> Response[str]:
    _service().remove_calcom(caller_of(router).tenant_id, integration_id)
    return Response(status_code=204, content_type="text/plain", body="")


@router.post(
    "/integrations/calcom/<integration_id>",
    responses=documented({200: CalcomDeliveryOut}, 400, 403, 409, 413, 422),
    description="Cal.com's webhook (payload version 2021-10-20), signed with "
    "X-Cal-Signature-256. BOOKING_CREATED / BOOKING_RESCHEDULED / BOOKING_CANCELLED act; "
    "other triggers answer 200 and are ignored.",
)
def calcom_webhook(integration_id: ResourceId) -> Response[str]:
    from rendezvous.api.calcom import CALCOM_SIGNATURE_HEADER, CalcomEnvelope, calcom_change

    raw = _raw_body()
    signature = router.current_event.headers.get(CALCOM_SIGNATURE_HEADER)
    service = _service()
    # The signature before anything of the body is read.
    tenant_id = service.calcom_tenant(integration_id, raw, signature)
    change = calcom_change(CalcomEnvelope.model_validate(_json_body(raw)))
    result = service.apply_calcom(tenant_id, integration_id, change)
    logger.info(
        "cal.com delivery",
        extra={"trigger": result.trigger, "result": result.result, "tenant_id": tenant_id},
    )
    metrics.add_metric("CalcomDeliveries", "Count", 1)
    return json_response(200, CalcomDeliveryOut(**result.__dict__))


# -- FHIR R4 Appointment --------------------------------------------------------------------


@router.put(
    "/fhir/r4/Appointment/<appointment_id>",
    responses=documented(
        {200: None, 201: None},
        400,
        401,
        403,
        404,
        409,
        413,
        415,
        422,
        content_type="application/fhir+json",
    ),
    description="FHIR R4 update of an Appointment (application/fhir+json). Errors answer "
    "an OperationOutcome.",
)
def put_fhir_appointment(appointment_id: ResourceId) -> Response[str]:
    from rendezvous.api.fhir import FHIR_JSON, fhir_change, fhir_response

    content_type = router.current_event.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in (FHIR_JSON, "application/json"):
        raise UnsupportedFhirMedia(f"send the resource as {FHIR_JSON}")
    caller = caller_of(router)
    change, resource = fhir_change(appointment_id, _json_body(_raw_body()))
    stored, created = _service().put_fhir_appointment(
        caller.tenant_id, appointment_id, change, resource, by=caller.subject
    )
    return fhir_response(201 if created else 200, stored)


@router.get(
    "/fhir/r4/Appointment/<appointment_id>",
    responses=documented({200: None}, 400, 401, 403, 404, content_type="application/fhir+json"),
)
def get_fhir_appointment(appointment_id: ResourceId) -> Response[str]:
    from rendezvous.api.fhir import fhir_response

    stored = _service().get_fhir_appointment(caller_of(router).tenant_id, appointment_id)
    return fhir_response(200, stored)


class UnsupportedFhirMedia(DomainError):
    code = "unsupported_media_type"


def register_fhir_errors(app: APIGatewayHttpResolver) -> None:
    """Under /fhir/ every error is an OperationOutcome, as FHIR servers answer; elsewhere
    the usual `{"error": ...}`."""
    from rendezvous.api.fhir import operation_outcome

    def on_fhir() -> bool:
        return app.current_event.path.startswith("/fhir/")

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[str]:
        if not on_fhir():
            return domain_error_response(exc)
        status = 415 if isinstance(exc, UnsupportedFhirMedia) else status_of(exc)
        if status is None:
            return domain_error_response(exc)
        if isinstance(exc, InvalidFields):
            from rendezvous.api.fhir import in_resource_terms

            problems = in_resource_terms(exc.problems)
            message = f"{exc.summary}: " + "; ".join(f"{f}: {p}" for f, p in problems)
            details = [{"field": f, "problem": p} for f, p in problems]
            return operation_outcome(status, message, details)
        return operation_outcome(status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    def _request(exc: RequestValidationError) -> Response[str]:
        answer = request_error_response(exc)
        if not on_fhir():
            return answer
        return operation_outcome(answer.status_code, "the id in the URL is not valid", None)

    @app.exception_handler(ValidationError)
    def _invalid(exc: ValidationError) -> Response[str]:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        if on_fhir():
            return operation_outcome(422, "the resource is not valid", details)
        from rendezvous.api.http import error_response

        return error_response(422, "validation_failed", "the request body is not valid", details)
