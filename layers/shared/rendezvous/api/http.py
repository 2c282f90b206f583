"""HTTP edges shared by the API functions: one error shape, mapped once from domain errors."""

from __future__ import annotations

import binascii
import json
import re
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, BaseRouter
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ValidationError

from rendezvous.api.roles import access_to
from rendezvous.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unavailable,
    Unprocessable,
)
from rendezvous.domain.roles import Principal, Role, role_of
from rendezvous.json_input import decode_json
from rendezvous.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Route
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.event_handler.types import EventHandlerInstance

    from rendezvous.domain.staff import StaffMember


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
    (PreconditionFailed, 412),
    (PreconditionRequired, 428),
    (Unavailable, 503),
]


# A stage or custom-domain base path in front of our routes (`/prod/twilio/inbound`) is
# stripped before routing; our own routes start with one of these segments.
BASE_PATH = re.compile(r"^/(?!v1/|twilio/|integrations/|fhir/|console|_local/)[^/]+(?=/)")


# Every id in a path (appointment, queue item, ...) follows one rule, checked at the edge:
# DynamoDB refuses a key over 2,048 bytes, so an unbounded id would be a 5xx in AWS. It fits
# what booking systems send: Cal.com uids, UUIDs, FHIR ids ([A-Za-z0-9.-]{1,64}) except one
# that starts with '.' or '-' (refused so no id reads as a relative path or an option).
RESOURCE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
RESOURCE_ID_RULE = (
    "1-64 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
)
ResourceId = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=RESOURCE_ID_PATTERN, description=RESOURCE_ID_RULE),
]


def http_resolver() -> APIGatewayHttpResolver:
    """The event handler every API function uses: requests validated against the models the
    OpenAPI document is generated from, errors mapped once."""
    app = APIGatewayHttpResolver(
        strip_prefixes=[BASE_PATH],
        enable_validation=True,
        json_body_deserializer=decode_request_json,
    )
    app._request_validation_middleware = RolesThenJsonBodies()
    register_error_handlers(app)
    return app


def enforce_route_roles(app: EventHandlerInstance) -> None:
    """The role table (rendezvous.api.roles) applied to the route Powertools matched: a
    caller whose role may not use it is refused before anything reads or writes."""
    route: Route = app.context["_route"]
    if not access_to(route.method, route.path).open:
        caller_of(app)


def _refuse_unless_allowed(app: BaseRouter, role: Role) -> None:
    # Checked again wherever a route asks who is calling: the first middleware (above)
    # runs only on routes with validation on, and a route that turns it off must not
    # thereby skip the table.
    route: Route | None = app.context.get("_route")
    access = access_to(route.method, route.path) if route is not None else None
    refusal = access.refusal(role) if access is not None else "no route was matched"
    if refusal:
        raise Forbidden(refusal)


MERGE_PATCH_TYPE = "application/merge-patch+json"


class JsonBodiesOnly(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with bodies taken as JSON only (CONTRACT.md: JSON
    unless noted). Powertools would also parse form and multipart bodies, past the bounded
    decoder and its size limit, and its multipart parser raises plain ValueErrors (no
    boundary, a character outside latin-1): a 5xx. Only routes that declare a body reach
    this; the Twilio webhooks read their signed forms themselves."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

    def _get_body(self, app: EventHandlerInstance) -> dict[str, Any]:
        content_type = app.current_event.headers.get("content-type", "").strip().lower()
        if content_type.startswith(MERGE_PATCH_TYPE):
            # RFC 7396's own type, for PATCH /v1/settings: JSON, which Powertools knows
            # only by the name application/json.
            return self._parse_json_data(app)
        if content_type and not content_type.startswith("application/json"):
            raise RequestUnsupportedContentType(
                "Unsupported content type",
                errors=[{"type": "unsupported_content_type", "loc": ("body",)}],
            )
        return super()._get_body(app)


class RolesThenJsonBodies(JsonBodiesOnly):
    """The first middleware of every route, the resolver's own 404 included: Powertools
    puts request validation ahead of global middlewares (`app.use`), and a role that may
    not use a route gets 403 whatever its body, nothing of it parsed."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        enforce_route_roles(app)
        return super().handler(app, next_middleware)


def decode_request_json(text: str) -> Any:
    """A request body as JSON, bounded in size and nesting (a deeper one is a 400)."""
    from rendezvous.runtime import get_runtime

    limit = get_runtime().settings.max_body_bytes
    if len(text) > limit or len(text.encode()) > limit:
        raise PayloadTooLarge(f"body exceeds {limit} bytes")
    return decode_json(text)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, str]] | None = None


class ErrorOut(BaseModel):
    """Every error the functions answer: `{"error": {"code", "message"}}`."""

    error: ErrorBody


class GatewayErrorOut(BaseModel):
    """API Gateway's own refusals (no valid token, no such route) have this shape."""

    message: str


ERROR_MEANINGS = {
    400: "the request is malformed (path, query, or a body that is not JSON)",
    401: "no valid token",
    403: "the token's role may not use this route, or a webhook is not signed",
    404: "no such record for this tenant",
    409: "the record changed or is held by someone else",
    413: "the body is too large",
    412: "If-Match names a version other than the current one: read again, then retry",
    415: "the body is not application/json",
    422: "the body is JSON but not valid for this route",
    428: "the change must carry If-Match with the version it was made on",
    503: "a dependency is unavailable; retry later",
}


def documented(
    ok: dict[int, type[BaseModel] | None], *errors: int, content_type: str = "application/json"
) -> dict[int, OpenAPIResponse]:
    """The responses a route declares in the OpenAPI document: its successes with the model
    each answers, and the error statuses it can answer."""
    declared: dict[int, OpenAPIResponse] = {}
    for status, model in ok.items():
        response: OpenAPIResponse = {"description": "success"}
        if model is not None:
            response["content"] = {content_type: {"model": model}}
        elif content_type != "application/json":
            response["content"] = {content_type: {"schema": {"type": "string"}}}
        declared[status] = response
    for status in errors:
        # API Gateway itself answers 401 (no valid token) and 404 (an empty path segment).
        model_for = GatewayErrorOut | ErrorOut if status in (401, 404) else ErrorOut
        declared[status] = {
            "description": ERROR_MEANINGS[status],
            "content": {"application/json": {"model": model_for}},
        }
    return declared


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


def request_error_response(exc: RequestValidationError) -> Response[str]:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "invalid_request", "the body is not valid JSON")
    if any(tuple(e.get("loc", ())) == ("body",) and e.get("type") == "missing" for e in errors):
        return error_response(400, "invalid_request", "a JSON body is required")
    outside_body = [e for e in errors if e.get("loc", ("body",))[0] != "body"]
    if outside_body:
        # Path and query parameters: the message names each one and what it must be. Every
        # path parameter is an id under the one rule.
        return error_response(
            400,
            "invalid_request",
            "; ".join(
                f"{e['loc'][-1]} must be {RESOURCE_ID_RULE}"
                if e["loc"][0] == "path"
                else f"{e['loc'][-1]}: {e.get('msg', 'invalid')}"
                for e in outside_body
            ),
        )
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]) or "body", "problem": e["msg"]}
        for e in errors
    ]
    return error_response(422, "validation_failed", "the request body is not valid", details)


def status_of(exc: DomainError) -> int | None:
    """The HTTP status a domain error answers; None for one no entry maps (a 500)."""
    return next((status for kind, status in STATUS_BY_ERROR if isinstance(exc, kind)), None)


def domain_error_response(exc: DomainError) -> Response[str]:
    status = status_of(exc)
    if status is None:
        logger.exception("unmapped domain error")
        return error_response(500, "internal_error", "something went wrong on our side")
    return error_response(status, exc.code, exc.message, exc.details)


def register_error_handlers(app: ApiGatewayResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response[str]:
        return request_error_response(exc)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_media_type(_: RequestUnsupportedContentType) -> Response[str]:
        return error_response(415, "unsupported_media_type", "send the body as application/json")

    @app.exception_handler([UnicodeDecodeError, binascii.Error])
    def _undecodable(_: ValueError) -> Response[str]:
        return error_response(400, "invalid_request", "the body is not UTF-8 text")

    @app.exception_handler(ValidationError)
    def _invalid(exc: ValidationError) -> Response[str]:
        return error_response(
            422, "validation_failed", "the request body is not valid", _validation_details(exc)
        )

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[str]:
        return domain_error_response(exc)

    @app.not_found
    def _route_not_found(_: Exception) -> Response[str]:
        return error_response(404, "route_not_found", "no such route")


def _claims(app: BaseRouter) -> dict[str, Any]:
    context = app.current_event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    return claims if isinstance(claims, dict) else {}


def _claim(app: BaseRouter, name: str, what: str) -> str:
    """One claim of the token the gateway's JWT authorizer verified; missing is a 401."""
    value = _claims(app).get(name)
    if not isinstance(value, str) or not value:
        raise Unauthorized(f"the token carries no {what}")
    return value


def tenant_of(app: BaseRouter, claim: str) -> str:
    """The tenant, from the verified token's claim: the only source of the tenant there is."""
    return _claim(app, claim, "tenant")


def staff_of(app: BaseRouter) -> str:
    """Who is acting, as a colleague reads it in "claimed by" and the audit log: the ID
    token's e-mail (the pool's sign-in name, which no client may rewrite), else its subject
    (Cognito's opaque id, all a token without e-mail carries)."""
    email = _claims(app).get("email")
    if isinstance(email, str) and email.strip():
        return email.strip()
    return _claim(app, "sub", "subject")


def groups_of(app: BaseRouter) -> list[str]:
    """The token's Cognito groups. API Gateway flattens an array claim into one string,
    `"[staff manager]"`; an event built by hand may still carry the list."""
    value = _claims(app).get("cognito:groups")
    if isinstance(value, list):
        return [str(group) for group in value]
    if not isinstance(value, str):
        return []
    return [group for group in re.split(r"[\s,]+", value.strip().strip("[]")) if group]


def caller_of(app: BaseRouter) -> Principal:
    """Who is calling: tenant and subject as tenant_of and staff_of read them (401 when
    missing), role from the token's groups (403 when none is a role)."""
    from rendezvous.runtime import get_runtime

    tenant = tenant_of(app, get_runtime().settings.tenant_claim)
    role = role_of(groups_of(app))
    if role is None:
        raise Forbidden("the token has no role: it must be in the group manager, staff or booking")
    _refuse_unless_allowed(app, role)
    return Principal(tenant, staff_of(app), role)


def staff_member_of(app: BaseRouter) -> StaffMember:
    """The caller as the staff services know a person: tenant and subject (the resolver has
    already checked that its role may use the route)."""
    from rendezvous.domain.staff import StaffMember

    caller = caller_of(app)
    return StaffMember(caller.tenant_id, caller.subject)
