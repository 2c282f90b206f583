"""Twilio webhooks: the signature is checked over the configured public URL of the route.

What breaks this behind API Gateway, and how it is handled:
- the stage or a custom-domain base path: the URL is the configured public base URL plus
  the route, never the Host header or the event's path;
- a base64-encoded body: decoded before parsing;
- lower-case header names: the header is looked up case-insensitively;
- blank parameters (Twilio signs `FromCity=` too): kept when parsing;
- parameters Twilio adds without notice: every posted parameter is signed, none filtered.

A valid signature is not enough. Twilio signs the URL followed by each parameter's key and
value, sorted, with no separator, so a captured request re-split at a key/value boundary
(`MessageSid` swallowing `NumMedia0`) keeps its signature. Every identifier is therefore
checked against Twilio's own format, and the account against ours: a re-split value never
fits both.
"""

from __future__ import annotations

from typing import Literal, TypeVar
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rendezvous.domain.errors import Forbidden

# A Twilio request is a few kilobytes (a 1,600-character Body, percent-encoded, and up to
# ten media URLs); anything far larger did not come from Twilio.
MAX_WEBHOOK_BYTES = 64 * 1024

_HEX32 = "[0-9a-fA-F]{32}"
MESSAGE_SID = rf"^(SM|MM){_HEX32}$"
ACCOUNT_SID = rf"^AC{_HEX32}$"
SERVICE_SID = rf"^MG{_HEX32}$"
# Our own numbers are E.164; a customer's `From` is checked by the inbound handler, which
# drops (rather than refuses) a sender that is not a phone number.
E164 = r"^\+[1-9][0-9]{1,14}$"
COUNT = r"^[0-9]{1,3}$"
MAX_BODY_CHARS = 1_600
TRUNCATED = " [truncated]"

TwilioMessageStatus = Literal[
    "accepted",
    "scheduled",
    "canceled",
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "receiving",
    "received",
    "read",
    "partially_delivered",
]


class TwilioMessageForm(BaseModel):
    """What every message webhook of Twilio carries, each in Twilio's format."""

    # Twilio adds parameters without notice: unknown ones are kept (they are signed too).
    model_config = ConfigDict(extra="allow", frozen=True)

    AccountSid: str = Field(pattern=ACCOUNT_SID)
    MessageSid: str = Field(pattern=MESSAGE_SID)
    SmsSid: str | None = Field(default=None, pattern=MESSAGE_SID)
    SmsMessageSid: str | None = Field(default=None, pattern=MESSAGE_SID)
    MessagingServiceSid: str | None = Field(default=None, pattern=f"{SERVICE_SID}|^$")
    To: str = Field(pattern=E164)
    ApiVersion: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    NumMedia: str | None = Field(default=None, pattern=COUNT)
    NumSegments: str | None = Field(default=None, pattern=COUNT)
    SmsStatus: TwilioMessageStatus | None = None

    def identifiers_agree(self, account_sid: str) -> bool:
        """Ours, and one message: the legacy Sms* names repeat the MessageSid."""
        return self.AccountSid == account_sid and all(
            sid in (None, self.MessageSid) for sid in (self.SmsSid, self.SmsMessageSid)
        )


class TwilioInboundForm(TwilioMessageForm):
    """POST /twilio/inbound: a customer's text."""

    From: str = Field(max_length=64)
    # Twilio caps a Body at 1,600 characters; a longer one is cut by the inbound handler.
    Body: str = ""


class TwilioStatusForm(TwilioMessageForm):
    """POST /twilio/status: a delivery report for a message we sent."""

    From: str | None = Field(default=None, max_length=64)
    MessageStatus: TwilioMessageStatus
    ErrorCode: str | None = Field(default=None, pattern=r"^[0-9]{0,6}$")


def bounded_body(body: str) -> str:
    """A Body as stored: Twilio caps one at 1,600 characters, so a longer one (signed by
    whoever holds our token) is cut and marked rather than refused, and a person still
    reads what it began with."""
    if len(body) <= MAX_BODY_CHARS:
        return body
    return body[: MAX_BODY_CHARS - len(TRUNCATED)] + TRUNCATED


Form = TypeVar("Form", bound=TwilioMessageForm)


def verified_form(
    app: ApiGatewayResolver,
    route_path: str,
    public_base_url: str,
    auth_token: str,
    account_sid: str,
    model: type[Form],
) -> Form:
    """The signed form, as `model`; a bad signature or a value Twilio never sends is a 403."""
    from twilio.request_validator import RequestValidator

    # Imported here: rendezvous.api.http maps this module's Forbidden.
    from rendezvous.api.http import PayloadTooLarge

    event = app.current_event
    # Powertools v3 headers are case-insensitive: API Gateway lower-cases them.
    signature = event.headers.get("X-Twilio-Signature") or ""
    if len(event.body or "") > MAX_WEBHOOK_BYTES * 4 // 3 + 4:
        raise PayloadTooLarge(f"a Twilio webhook is under {MAX_WEBHOOK_BYTES} bytes")
    try:
        raw = event.decoded_body or ""
        body = raw.decode() if isinstance(raw, bytes) else raw
    except (UnicodeDecodeError, ValueError) as exc:
        # Twilio sends UTF-8 form bodies: anything else did not come from Twilio.
        raise Forbidden("invalid Twilio request") from exc
    if len(body.encode()) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge(f"a Twilio webhook is under {MAX_WEBHOOK_BYTES} bytes")
    form = dict(parse_qsl(body, keep_blank_values=True))
    query = event.raw_event.get("rawQueryString") or ""
    url = public_base_url.rstrip("/") + route_path + (f"?{query}" if query else "")
    if not signature or not RequestValidator(auth_token).validate(url, form, signature):
        raise Forbidden("invalid Twilio signature")
    try:
        parsed = model.model_validate(form)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise Forbidden(
            f"invalid Twilio request: {', '.join(fields)} not in Twilio's format"
        ) from exc
    if not parsed.identifiers_agree(account_sid):
        raise Forbidden("invalid Twilio request: not a message of this account")
    return parsed


def twiml(replies: list[str]) -> Response[str]:
    """The webhook's answer: each reply a <Message>; none, an empty <Response/>."""
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return Response(status_code=200, content_type="text/xml", body=str(response))
