"""HTTP edges shared by the API functions: one error shape, mapped once from domain errors."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from pydantic import BaseModel, ValidationError

from rendezvous.api.twilio_webhook import Forbidden
from rendezvous.domain.errors import (
    Conflict,
    DomainError,
    InvalidRequest,
    NotFound,
    Unavailable,
    Unprocessable,
)
from rendezvous.observability import logger


class Unauthorized(DomainError):
    code = "unauthorized"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (InvalidRequest, 400),
    (Unprocessable, 422),
    (Conflict, 409),
    (Unauthorized, 401),
    (PayloadTooLarge, 413),
    (Forbidden, 403),
    (Unavailable, 503),
]


# A stage or custom-domain base path in front of our routes (`/prod/twilio/inbound`) is
# stripped before routing; our own routes start with one of these segments.
BASE_PATH = re.compile(r"^/(?!v1/|twilio/|console|_local/)[^/]+(?=/)")


def http_resolver() -> APIGatewayHttpResolver:
    """The event handler every API function uses, with errors mapped once."""
    app = APIGatewayHttpResolver(strip_prefixes=[BASE_PATH])
    register_error_handlers(app)
    return app


def error_response(status: int, code: str, message: str, details: Any = None) -> Response[str]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps({"error": error}),
    )


def json_response(status: int, payload: BaseModel) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=payload.model_dump_json(exclude_none=True),
    )


def _validation_details(exc: ValidationError) -> list[dict[str, str]]:
    # Only field paths and messages: the rejected input itself may hold personal data.
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "problem": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def register_error_handlers(app: ApiGatewayResolver) -> None:
    @app.exception_handler(ValidationError)
    def _invalid(exc: ValidationError) -> Response[str]:
        return error_response(
            422, "validation_failed", "the request body is not valid", _validation_details(exc)
        )

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[str]:
        for error_type, status in STATUS_BY_ERROR:
            if isinstance(exc, error_type):
                return error_response(status, exc.code, exc.message)
        logger.exception("unmapped domain error")
        return error_response(500, "internal_error", "something went wrong on our side")

    @app.not_found
    def _route_not_found(_: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "no such route")


def body_text(app: ApiGatewayResolver) -> str:
    """The request body as text; one that is not UTF-8 (or not valid base64) is a 400."""
    try:
        raw = app.current_event.decoded_body or ""
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("the body is not UTF-8 text") from exc
    return raw.decode() if isinstance(raw, bytes) else raw


def read_json_body(app: ApiGatewayResolver, max_bytes: int) -> bytes:
    """The raw body, bounded in size; an empty or non-JSON body is a 400."""
    raw = body_text(app)
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"body exceeds {max_bytes} bytes")
    if not data.strip():
        raise InvalidRequest("a JSON body is required")
    try:
        json.loads(data)
    except ValueError as exc:
        raise InvalidRequest("the body is not valid JSON") from exc
    return data


def _claim(app: ApiGatewayResolver, name: str, what: str) -> str:
    """One claim of the token the gateway's JWT authorizer verified; missing is a 401."""
    context = app.current_event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise Unauthorized(f"the token carries no {what}")
    return value


def tenant_of(app: ApiGatewayResolver, claim: str) -> str:
    """The tenant, from the verified token's claim: the only source of the tenant there is."""
    return _claim(app, claim, "tenant")


def staff_of(app: ApiGatewayResolver) -> str:
    """Who is acting: the verified token's subject."""
    return _claim(app, "sub", "subject")
