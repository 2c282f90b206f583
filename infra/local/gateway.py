"""API Gateway (HTTP API, payload format 2.0) in front of the template's functions.

Routes come from template.yaml (`http_routes`): a route added there is served here with no
other change. Each request becomes the event API Gateway would send (lower-cased headers,
`cookies`, `pathParameters`, `requestContext` with the JWT claims, a base64 body for
anything that is not text, as with Twilio's form-encoded webhooks), and the Lambda proxy
response becomes the HTTP answer. The gateway's own refusals use its own shapes:
404/401/403 `{"message": ...}`, and a function that raises is a 502.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from infra.local.auth import JwtAuthorizer, JwtVerifier, gateway_claims, scopes_of
from infra.local.functions import FunctionInvoker
from infra.template import ACCOUNT_ID, HttpRoute, resources_of
from rendezvous.phone import mask, mask_in_text

log = logging.getLogger("infra.local.api")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")


class ProxyResponse(Response):
    # No Content-Type unless the function (or the gateway) names one.
    default_mimetype = None


def message_response(status: int, message: str, request_id: str = "") -> Response:
    response = ProxyResponse(
        json.dumps({"message": message}), status=status, content_type="application/json"
    )
    if request_id:
        response.headers["apigw-requestid"] = request_id
    return response


def error_response(status: int, code: str, message: str) -> Response:
    """The contract's error shape, for the local stack's own endpoints."""
    return ProxyResponse(
        json.dumps({"error": {"code": code, "message": message}}),
        status=status,
        content_type="application/json",
    )


def json_response(payload: Any, status: int = 200) -> Response:
    return ProxyResponse(json.dumps(payload), status=status, content_type="application/json")


@dataclass(frozen=True)
class Route:
    method: str  # "ANY" matches every method
    path: str
    function: str
    authorizer: JwtAuthorizer | None
    scopes: tuple[str, ...]

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return self.path.strip("/").split("/") if self.path.strip("/") else []

    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments, then {param}, then {greedy+}; then methods."""
        greedy = sum(1 for s in self.segments if s.endswith("+}"))
        params = sum(1 for s in self.segments if s.startswith("{"))
        return (greedy, params, 1 if self.method == "ANY" else 0)

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        params: dict[str, str] = {}
        mine = self.segments
        for i, pattern in enumerate(mine):
            if pattern.startswith("{") and pattern.endswith("+}"):
                rest = segments[i:]
                if not rest or i != len(mine) - 1:
                    return None
                params[pattern[1:-2]] = "/".join(unquote(s) for s in rest)
                return params
            if i >= len(segments):
                return None
            if pattern.startswith("{") and pattern.endswith("}"):
                if not segments[i]:
                    return None
                params[pattern[1:-1]] = unquote(segments[i])
            elif pattern != unquote(segments[i]):
                return None
        return params if len(segments) == len(mine) else None


def _route_auth(
    template: dict[str, Any], route: HttpRoute, default: str | None
) -> tuple[str | None, tuple[str, ...]]:
    """The authorizer (name) and scopes of the template event behind `route`."""
    function = resources_of(template, "AWS::Serverless::Function")[route.function]
    for event in (function["Properties"].get("Events") or {}).values():
        props = event.get("Properties") or {}
        if (
            event["Type"] == "HttpApi"
            and str(props.get("Method", "")).upper() == route.method
            and props.get("Path") == route.path
        ):
            auth = props.get("Auth") or {}
            name = auth.get("Authorizer") or default
            scopes = tuple(auth.get("AuthorizationScopes") or ())
            return (None if name == "NONE" else name), scopes
    return (default if route.authorized else None), ()


def build_routes(
    template: dict[str, Any],
    http: list[HttpRoute],
    authorizers: dict[str, JwtAuthorizer],
    default: str | None,
) -> list[Route]:
    routes = []
    for r in http:
        name, scopes = _route_auth(template, r, default)
        if name is not None and name not in authorizers:
            raise ValueError(f"route {r.method} {r.path} names an unknown authorizer {name!r}")
        routes.append(
            Route(
                method=r.method.upper(),
                path=r.path,
                function=r.function,
                authorizer=authorizers[name] if name else None,
                scopes=scopes,
            )
        )
    return sorted(routes, key=Route.specificity)


def find_route(
    routes: Iterable[Route], method: str, raw_path: str
) -> tuple[Route, dict[str, str]] | None:
    stripped = raw_path.strip("/")
    segments = stripped.split("/") if stripped else []
    for route in routes:
        params = route.match(method, segments)
        if params is not None:
            return route, params
    return None


def is_text(content_type: str) -> bool:
    """Bodies API Gateway passes as they are; anything else arrives base64-encoded."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return (
        mime.startswith("text/")
        or mime in _TEXT_TYPES
        or mime.endswith("+json")
        or mime.endswith("+xml")
    )


def request_time(now: datetime) -> str:
    at = now.astimezone(UTC)
    return f"{at.day:02d}/{_MONTHS[at.month - 1]}/{at.year}:{at:%H:%M:%S} +0000"


def new_request_id() -> str:
    return base64.b64encode(secrets.token_bytes(12)).decode().rstrip("=")[:14] + "="


RECIPIENTS = "/v1/recipients/"


def logged_path(path: str) -> str:
    """The request's path as the log shows it: a number in it masked, as every log masks
    one (`/v1/recipients/{phone}` names one in E.164 or in national digits)."""
    if path.startswith(RECIPIENTS):
        phone, slash, rest = path.removeprefix(RECIPIENTS).partition("/")
        path = RECIPIENTS + _masked_phone(unquote(phone)) + slash + rest
    # A number written into a query (`?phone=%2B1...`) is masked too.
    return mask_in_text(unquote(path))


def _masked_phone(written: str) -> str:
    """E.164 as every log masks it; national digits have no country code to keep, so only
    their last two show (mask()'s first five would be most of the number)."""
    if written.startswith("+"):
        return mask(written)
    return "*" * 8 + re.sub(r"\D", "", written)[-2:]


def raw_path_of(request: Request) -> str:
    """The path as the client sent it (still percent-encoded)."""
    environ = request.environ
    raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path)
    if "://" in raw_uri:  # an absolute-form request target
        raw_uri = "/" + raw_uri.split("://", 1)[1].partition("/")[2]
    return raw_uri.split("?", 1)[0] or "/"


def build_event(
    route: Route,
    path_parameters: dict[str, str],
    request: Request,
    body: bytes,
    *,
    claims: dict[str, Any] | None,
    now: datetime,
    api_id: str,
    request_id: str,
) -> dict[str, Any]:
    """The event API Gateway's HTTP API sends a Lambda proxy integration (format 2.0)."""
    environ = request.environ
    raw_path = raw_path_of(request)
    raw_query = request.query_string.decode("latin-1")
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    cookie_header = headers.pop("cookie", "")
    cookies = [c.strip() for c in cookie_header.split(";") if c.strip()]
    source_ip = request.remote_addr or "127.0.0.1"
    host = headers.get("host", "localhost")
    headers.setdefault("x-forwarded-for", source_ip)
    headers.setdefault("x-forwarded-proto", request.scheme)
    headers.setdefault("x-forwarded-port", str(environ.get("SERVER_PORT", "")))
    headers.setdefault(
        "x-amzn-trace-id", f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}"
    )
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    domain = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    user_agent = headers.get("user-agent", "")
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
            "sourceIp": source_ip,
            "userAgent": user_agent,
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": request_time(now),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        context["authorizer"] = {
            "jwt": {"claims": gateway_claims(claims), "scopes": scopes_of(claims)}
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if is_text(headers.get("content-type", "")):
            event["body"] = body.decode("utf-8", "replace")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


class BadLambdaResponse(ValueError):
    pass


def proxy_response(result: Any) -> Response:
    """The HTTP answer for what the function returned (format 2.0 rules)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway answers 200 with the result as a JSON body.
        text = result if isinstance(result, str) else json.dumps(result)
        return ProxyResponse(text, status=200, content_type="application/json")
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise BadLambdaResponse(f"statusCode {status!r} is not an HTTP status")
    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers.add(str(name), str(value))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values or []:
            headers.add(str(name), str(value))
    for cookie in result.get("cookies") or []:
        headers.add("Set-Cookie", str(cookie))
    raw = result.get("body")
    if raw is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(str(raw))
    else:
        body = str(raw).encode()
    return ProxyResponse(body, status=status, headers=headers)


LocalHandler = Callable[[Request], Response]


class ApiGateway:
    """The WSGI app: local endpoints first, then the template's routes."""

    def __init__(
        self,
        routes: list[Route],
        invoker: FunctionInvoker,
        tokens: JwtVerifier,
        now: Callable[[], datetime],
        *,
        api_id: str = "local",
        local: dict[tuple[str, str], LocalHandler] | None = None,
    ) -> None:
        self.routes = routes
        self._invoker = invoker
        self._tokens = tokens
        self._now = now
        self._api_id = api_id
        self._local = local or {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        response = self.respond(request)
        log.info(
            "%s %s -> %d (%.0f ms)",
            request.method,
            logged_path(request.full_path.rstrip("?")),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        local = self._local.get((request.method, request.path))
        if local is not None:
            return local(request)
        if any(path == request.path for _, path in self._local):
            return error_response(405, "method_not_allowed", f"{request.method} is not allowed")
        request_id = new_request_id()
        found = find_route(self.routes, request.method, raw_path_of(request))
        if found is None:
            return message_response(404, "Not Found", request_id)
        route, params = found
        claims: dict[str, Any] | None = None
        if route.authorizer is not None:
            claims = self._tokens.verify(
                route.authorizer, request.headers.get(route.authorizer.header)
            )
            if claims is None:
                return message_response(401, "Unauthorized", request_id)
            granted = set(scopes_of(claims) or [])
            if route.scopes and not granted & set(route.scopes):
                return message_response(403, "Forbidden", request_id)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return message_response(413, "Request Entity Too Large", request_id)
        body = request.get_data(cache=False)
        if len(body) > MAX_BODY_BYTES:
            return message_response(413, "Request Entity Too Large", request_id)
        event = build_event(
            route,
            params,
            request,
            body,
            claims=claims,
            now=self._now(),
            api_id=self._api_id,
            request_id=request_id,
        )
        try:
            result = self._invoker.invoke(route.function, event)
        except Exception:
            log.exception("%s raised on %s", route.function, route.route_key)
            return message_response(502, "Internal Server Error", request_id)
        try:
            response = proxy_response(result)
        except (BadLambdaResponse, ValueError, TypeError):
            log.exception("%s answered a malformed response", route.function)
            return message_response(500, "Internal Server Error", request_id)
        response.headers["apigw-requestid"] = request_id
        return response
