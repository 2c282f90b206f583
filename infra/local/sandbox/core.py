"""What the sandbox does, independent of HTTP: send, list, and receive a customer's SMS."""

from __future__ import annotations

import logging
import re
import string
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import phonenumbers

from .config import SandboxConfig
from .delivery import Lifecycle, post_signed_form
from .state import (
    API_VERSION,
    Fault,
    SandboxState,
    StoredMessage,
    count_segments,
    new_sid,
)

logger = logging.getLogger("rendezvous.sandbox")

MAX_BODY_CHARS = 1600
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_E164 = re.compile(r"\+[1-9]\d{1,14}")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")

# Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials).
_TEST_TO: dict[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number {to} is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: {to}, is not currently reachable via SMS."),
    "+15005550003": (
        21408,
        "Permission to send an SMS has not been enabled for the region indicated by "
        "the 'To' number: {to}.",
    ),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
_TEST_FROM: dict[str, tuple[int, str]] = {
    "+15005550001": (
        21212,
        "The 'From' number {from_} is not a valid phone number, shortcode, "
        "or alphanumeric sender ID.",
    ),
    "+15005550007": (
        21606,
        "The 'From' phone number provided ({from_}) is not a valid message-capable "
        "Twilio phone number for this destination/account",
    ),
    "+15005550008": (
        21611,
        "This 'From' number has exceeded the maximum number of queued messages",
    ),
}

# Twilio's default keyword handling on long codes.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})
AUTO_REPLY_STOP = (
    "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe."
)
AUTO_REPLY_START = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP "
    "for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
AUTO_REPLY_HELP = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
BLOCKED_REPLY = (21610, "Attempt to send to unsubscribed recipient")


class TwilioApiError(Exception):
    """An error the REST API answers in Twilio's shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


class SandboxInputError(ValueError):
    """Bad input to a /sandbox/* control endpoint."""


def is_e164(number: str) -> bool:
    if not _E164.fullmatch(number):
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


def country_of(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    region = str(phonenumbers.region_code_for_country_code(parsed.country_code or 0))
    return "" if region == "ZZ" else region


def keyword_of(body: str) -> str:
    return body.strip().strip(string.punctuation + string.whitespace).upper()


@dataclass(frozen=True)
class Reply:
    """A <Message> of the app's TwiML answer (or a text/plain answer)."""

    body: str
    to: str | None = None
    from_: str | None = None
    status_callback: str | None = None


def parse_replies(content_type: str, text: str) -> list[Reply]:
    """The SMS replies an inbound-webhook answer asks Twilio to send. Raises ValueError."""
    if not text.strip():
        return []
    if "xml" not in content_type.lower() and not text.lstrip().startswith("<"):
        return [Reply(text.strip())] if content_type.lower().startswith("text/plain") else []
    try:
        # The document comes from the developer's own app on loopback.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise ValueError(f"invalid TwiML: {exc}") from exc
    if root.tag != "Response":
        raise ValueError(f"invalid TwiML: root element is <{root.tag}>, not <Response>")
    replies: list[Reply] = []
    for element in root.iter("Message"):
        body_element = element.find("Body")
        body = body_element.text if body_element is not None else element.text
        replies.append(
            Reply(
                (body or "").strip(),
                to=element.get("to"),
                from_=element.get("from"),
                status_callback=element.get("statusCallback") or element.get("action"),
            )
        )
    return replies


@dataclass(frozen=True)
class PhoneResult:
    """What happened when the sandbox phone texted the app."""

    inbound: dict[str, object]
    status: int | None
    content_type: str
    twiml: str
    error: str | None
    replies: list[dict[str, object]]

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "content_type": self.content_type,
            "twiml": self.twiml,
            "error": self.error,
            "message": self.inbound,
            "replies": self.replies,
        }


class Sandbox:
    """The sandbox's behaviour. Thread-safe; call `close()` to stop background work."""

    def __init__(self, config: SandboxConfig, state: SandboxState | None = None) -> None:
        self.config = config
        self.state = state if state is not None else SandboxState()
        self.lifecycle = Lifecycle(config, self.state)

    def close(self) -> None:
        self.lifecycle.close()

    # REST API
    def create_message(self, form: Mapping[str, str]) -> dict[str, object]:
        to = form.get("To", "").strip()
        from_ = form.get("From", "").strip()
        service = form.get("MessagingServiceSid", "").strip()
        body = form.get("Body", "")
        callback = form.get("StatusCallback", "").strip()
        if not to:
            raise TwilioApiError(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            raise TwilioApiError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise TwilioApiError(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            raise TwilioApiError(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in _TEST_TO:
            code, text = _TEST_TO[to]
            raise TwilioApiError(400, code, text.format(to=to))
        if not is_e164(to):
            raise TwilioApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_:
            if from_ in _TEST_FROM:
                code, text = _TEST_FROM[from_]
                raise TwilioApiError(400, code, text.format(from_=from_))
            if not is_e164(from_) and not _ALPHANUMERIC_SENDER.fullmatch(from_):
                code, text = _TEST_FROM["+15005550001"]
                raise TwilioApiError(400, code, text.format(from_=from_))
        if callback and urlsplit(callback).scheme not in ("http", "https"):
            raise TwilioApiError(400, 21609, "The StatusCallback URL is not a valid URL.")
        if from_ and self.state.is_blocked(from_, to):
            raise TwilioApiError(400, *BLOCKED_REPLY)
        now = self.config.now()
        message = StoredMessage(
            sid=new_sid(),
            account_sid=self.config.account_sid,
            to=to,
            from_=from_ or None,
            body=body,
            direction="outbound-api",
            status="queued" if from_ else "accepted",
            date_created=now,
            date_updated=now,
            messaging_service_sid=service or None,
            status_callback=callback or None,
        )
        rendered = self.state.add(message)
        self.lifecycle.start(message.sid)
        return rendered

    def fetch_message(self, sid: str) -> dict[str, object]:
        found = self.state.get(sid)
        if found is None:
            raise TwilioApiError(
                404,
                20404,
                f"The requested resource /{API_VERSION}/Accounts/{self.config.account_sid}"
                f"/Messages/{sid}.json was not found",
            )
        return found

    def list_messages(self, args: Mapping[str, str]) -> dict[str, object]:
        to = args.get("To") or None
        from_ = args.get("From") or None
        try:
            page = max(0, int(args.get("Page", "0")))
            size = min(MAX_PAGE_SIZE, max(1, int(args.get("PageSize", str(DEFAULT_PAGE_SIZE)))))
        except ValueError as exc:
            raise TwilioApiError(400, 20001, "Invalid paging parameter") from exc
        matching = self.state.select(
            lambda m: (to is None or m.to == to) and (from_ is None or m.from_ == from_),
            newest_first=True,
        )
        start = page * size
        records = matching[start : start + size]
        filters = {key: value for key, value in (("To", to), ("From", from_)) if value}

        def page_uri(number: int) -> str:
            query = urlencode({**filters, "PageSize": size, "Page": number})
            return f"/{API_VERSION}/Accounts/{self.config.account_sid}/Messages.json?{query}"

        return {
            "first_page_uri": page_uri(0),
            "end": start + len(records) - 1 if records else start,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "messages": records,
            "uri": page_uri(page),
            "page_size": size,
            "start": start,
            "next_page_uri": page_uri(page + 1) if start + size < len(matching) else None,
            "page": page,
        }

    # sandbox phone
    def receive_sms(self, from_: str, to: str, body: str) -> PhoneResult:
        """A customer at `from_` texts the business number `to`; deliver it to the app."""
        if not is_e164(from_):
            raise SandboxInputError(f"'from' must be an E.164 number, got {from_!r}")
        if not is_e164(to):
            raise SandboxInputError(f"'to' must be an E.164 number, got {to!r}")
        if not body.strip():
            raise SandboxInputError("'body' must not be empty")
        now = self.config.now()
        inbound = StoredMessage(
            sid=new_sid(),
            account_sid=self.config.account_sid,
            to=to,
            from_=from_,
            body=body,
            direction="inbound",
            status="received",
            date_created=now,
            date_updated=now,
        )
        rendered = self.state.add(inbound)
        replies = self._keyword_auto_replies(from_, to, body)
        url = self.config.inbound_webhook_url
        if not url:
            return PhoneResult(rendered, None, "", "", "inbound_webhook_url is not set", replies)
        result = post_signed_form(
            url,
            self._inbound_params(inbound),
            self.config.auth_token,
            self.config.webhook_timeout_seconds,
        )
        error = result.error
        if error is not None:
            logger.warning("inbound webhook %s failed: %s", url, error)
        elif result.status is not None and 200 <= result.status < 300:
            try:
                wanted = parse_replies(result.content_type, result.body)
            except ValueError as exc:
                error = str(exc)
                wanted = []
            for reply in wanted:
                replies.append(
                    self._send_reply(
                        reply.to or from_, reply.from_ or to, reply.body, reply.status_callback
                    )
                )
        else:
            error = f"the app answered HTTP {result.status}"
        return PhoneResult(
            rendered, result.status, result.content_type, result.body, error, replies
        )

    def _inbound_params(self, message: StoredMessage) -> dict[str, str]:
        sender = message.from_ or ""
        return {
            "ToCountry": country_of(message.to),
            "ToState": "",
            "SmsMessageSid": message.sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": message.sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": message.body,
            "FromCountry": country_of(sender),
            "To": message.to,
            "ToZip": "",
            "NumSegments": str(count_segments(message.body)),
            "MessageSid": message.sid,
            "AccountSid": message.account_sid,
            "From": sender,
            "ApiVersion": API_VERSION,
        }

    def _keyword_auto_replies(
        self, customer: str, business: str, body: str
    ) -> list[dict[str, object]]:
        if not self.config.emulate_opt_out_keywords:
            return []
        keyword = keyword_of(body)
        if keyword in OPT_OUT_KEYWORDS:
            # Twilio confirms the opt-out, then blocks the pair.
            reply = self._send_reply(customer, business, AUTO_REPLY_STOP, None)
            self.state.block(business, customer)
            return [reply]
        if keyword in OPT_IN_KEYWORDS:
            self.state.unblock(business, customer)
            return [self._send_reply(customer, business, AUTO_REPLY_START, None)]
        if keyword in HELP_KEYWORDS and not self.state.is_blocked(business, customer):
            return [self._send_reply(customer, business, AUTO_REPLY_HELP, None)]
        return []

    def _send_reply(
        self, to: str, from_: str, body: str, status_callback: str | None
    ) -> dict[str, object]:
        now = self.config.now()
        blocked = self.state.is_blocked(from_, to)
        message = StoredMessage(
            sid=new_sid(),
            account_sid=self.config.account_sid,
            to=to,
            from_=from_,
            body=body,
            direction="outbound-reply",
            status="failed" if blocked else "queued",
            date_created=now,
            date_updated=now,
            error_code=BLOCKED_REPLY[0] if blocked else None,
            error_message=BLOCKED_REPLY[1] if blocked else None,
            status_callback=status_callback,
        )
        rendered = self.state.add(message)
        if not blocked:
            self.lifecycle.start(message.sid)
        return rendered

    # faults
    def add_fault(self, spec: object) -> Fault:
        if not isinstance(spec, dict):
            raise SandboxInputError("expected a JSON object")
        status = _optional_int(spec, "status", 400, 599)
        code = _optional_int(spec, "code", 1, 99999)
        count = _optional_int(spec, "count", 1, 1_000_000)
        delay = spec.get("delay_seconds", 0)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 300:
            raise SandboxInputError("'delay_seconds' must be a number from 0 to 300")
        message = spec.get("message")
        if message is not None and not isinstance(message, str):
            raise SandboxInputError("'message' must be a string")
        if status is None and not delay:
            raise SandboxInputError("give 'status' and/or 'delay_seconds'")
        fault = Fault(count or 1, status, code, message, float(delay))
        self.state.add_fault(fault)
        return fault


def fault_error(fault: Fault) -> TwilioApiError | None:
    if fault.status is None:
        return None
    code = fault.code if fault.code is not None else 20000 + fault.status
    defaults = {
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }
    message = fault.message or defaults.get(fault.status, "Injected sandbox fault")
    return TwilioApiError(fault.status, code, message)


def _optional_int(spec: dict[object, object], key: str, low: int, high: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SandboxInputError(f"'{key}' must be an integer from {low} to {high}")
    return value
