"""Twilio webhooks: the signature is checked over the configured public URL of the route.

What breaks this behind API Gateway, and how it is handled:
- the stage or a custom-domain base path: the URL is the configured public base URL plus
  the route, never the Host header or the event's path;
- a base64-encoded body: decoded before parsing;
- lower-case header names: the header is looked up case-insensitively;
- blank parameters (Twilio signs `FromCity=` too): kept when parsing;
- parameters Twilio adds without notice: every posted parameter is signed, none filtered.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

from rendezvous.domain.errors import DomainError


class Forbidden(DomainError):
    code = "forbidden"


def verified_form(
    app: ApiGatewayResolver, route_path: str, public_base_url: str, auth_token: str
) -> dict[str, str]:
    from twilio.request_validator import RequestValidator

    event = app.current_event
    # Powertools v3 headers are case-insensitive: API Gateway lower-cases them.
    signature = event.headers.get("X-Twilio-Signature") or ""
    try:
        raw = event.decoded_body or ""
        body = raw.decode() if isinstance(raw, bytes) else raw
    except (UnicodeDecodeError, ValueError) as exc:
        # Twilio sends UTF-8 form bodies: anything else did not come from Twilio.
        raise Forbidden("invalid Twilio request") from exc
    form = dict(parse_qsl(body, keep_blank_values=True))
    query = event.raw_event.get("rawQueryString") or ""
    url = public_base_url.rstrip("/") + route_path + (f"?{query}" if query else "")
    if not signature or not RequestValidator(auth_token).validate(url, form, signature):
        raise Forbidden("invalid Twilio signature")
    return form
