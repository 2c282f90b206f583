"""SmsGateway over Twilio's Messages API, using the official client.

The one rule that shapes this module: an SMS must never be sent twice because we retried
blindly. We retry only when we know the request did not reach Twilio (the connection was
never made) or Twilio told us it did not take it (429, 5xx). When the request may have
reached Twilio and we did not hear back, we say so (DeliveryUnknown) and let the status
callback or a later lookup settle it.

twilio and requests are imported on first send, not at import time: cold starts matter.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from rendezvous.domain.errors import (
    DeliveryUnknown,
    GatewayUnavailable,
    RecipientOptedOut,
    RecipientUndeliverable,
    SmsRejected,
)
from rendezvous.domain.ports import OutboundSms, SmsReceipt
from rendezvous.phone import mask, mask_in_text

if TYPE_CHECKING:
    from twilio.rest import Client

logger = logging.getLogger(__name__)

OPTED_OUT_CODES = frozenset({21610})  # "Attempt to send to unsubscribed recipient" (STOP)

# Codes that are a property of the recipient's number: retrying, today or tomorrow, will
# not help, and the recipient can be marked so we stop trying.
#   21211  invalid 'To' phone number
#   21614  'To' number is not a valid mobile number (landline, not SMS-capable)
#   30006  landline or unreachable carrier (normally arrives by status callback; mapped
#          here too in case the API ever answers with it)
#   21612  'To' number is not currently reachable via SMS (no route to that number)
# Deliberately NOT here: 21408 ("permission to send an SMS has not been enabled for the
# region indicated by the 'To' number"). That is our account's geo-permission setting, not
# the recipient's fault; marking the recipient undeliverable would outlive the fix. It falls
# through to SmsRejected with its code so an operator can see it and enable the region.
UNDELIVERABLE_CODES = frozenset({21211, 21614, 30006, 21612})

RATE_LIMITED_CODE = 20429
API_BASE_URL = "https://api.twilio.com"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
AUTHENTICATION_FAILED_CODE = 20003

# Upper bound of one backoff delay, before jitter, however many attempts are allowed.
MAX_BACKOFF_SECONDS = 4.0


class _Retryable(Exception):
    """One attempt failed in a way that proves Twilio did not take the message."""

    def __init__(self, reason: str, error_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_code = error_code


class TwilioSmsGateway:
    """Implements rendezvous.domain.ports.SmsGateway."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token_provider: Callable[[], str],
        status_callback_url: str | None,
        api_base_url: str | None = None,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        backoff_seconds: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not account_sid:
            raise ValueError("account_sid is required")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if backoff_seconds < 0:
            raise ValueError("backoff_seconds must not be negative")
        if api_base_url is not None:
            parts = urlsplit(api_base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("api_base_url must be an absolute http(s) URL")
        self._account_sid = account_sid
        self._auth_token_provider = auth_token_provider
        self._status_callback_url = status_callback_url
        self._api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self._timeout_seconds = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._client: Client | None = None

    def __repr__(self) -> str:
        return f"TwilioSmsGateway(account_sid={self._account_sid!r})"

    def send(self, sms: OutboundSms) -> SmsReceipt:
        params = {"To": sms.to, "From": sms.from_, "Body": sms.body}
        callback = self._status_callback(sms.status_callback_ref)
        if callback is not None:
            params["StatusCallback"] = callback

        last: _Retryable | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._attempt(sms, params)
            except _Retryable as retryable:
                last = retryable
            if attempt < self._max_attempts:
                delay = self._backoff_delay(attempt)
                logger.warning(
                    "twilio send to %s failed (%s); retrying in %.2fs (attempt %d of %d)",
                    mask(sms.to),
                    last.reason,
                    delay,
                    attempt,
                    self._max_attempts,
                )
                self._sleep(delay)

        assert last is not None  # the loop runs at least once and only falls out on retry
        logger.warning(
            "twilio send to %s gave up after %d attempts (%s)",
            mask(sms.to),
            self._max_attempts,
            last.reason,
        )
        raise GatewayUnavailable(
            f"Twilio unavailable after {self._max_attempts} attempts: {last.reason}",
            last.error_code,
        )

    def _attempt(self, sms: OutboundSms, params: dict[str, str]) -> SmsReceipt:
        """One POST. Returns the receipt, raises _Retryable, or raises a domain SmsError."""
        import requests
        from twilio.base.exceptions import TwilioRestException, TwilioServiceException
        from twilio.base.version import Version

        client = self._get_client()
        # The client's own request, as `client.messages.create` makes it: reaching
        # `client.messages` would import Twilio's whole 2010 API tree (usage records, SIP,
        # queues: hundreds of modules) on every cold start that sends.
        url = f"{self._api_base_url or API_BASE_URL}/2010-04-01/Accounts/{self._account_sid}"
        url += "/Messages.json"
        try:
            response = client.request("POST", url, data=params, headers=FORM_HEADERS)
            if not 200 <= response.status_code < 300:
                raise Version.exception("POST", url, response, "Unable to create record")
            message = json.loads(response.text) if response.text else {}
        except (TwilioRestException, TwilioServiceException) as exc:
            # `from None`: Twilio's own message quotes the full phone number, and a chained
            # exception would carry it into any traceback we log.
            raise self._map_rest_error(exc) from None
        except requests.exceptions.RequestException as exc:
            raise self._map_transport_error(sms, exc) from exc
        except json.JSONDecodeError as exc:
            # A 2xx whose body is not JSON: Twilio took the request, but we cannot tell
            # which message it made. Same position as a lost response.
            logger.warning("twilio answered send to %s with an unreadable body", mask(sms.to))
            raise DeliveryUnknown(
                "Twilio accepted the request but the answer was unreadable"
            ) from exc

        sid = message.get("sid")
        status = message.get("status")
        if not sid:
            logger.warning("twilio answered send to %s without a sid", mask(sms.to))
            raise DeliveryUnknown("Twilio accepted the request but returned no message sid")
        status_text = str(status or "queued")
        logger.info("twilio accepted sms to %s: sid=%s status=%s", mask(sms.to), sid, status_text)
        return SmsReceipt(sid=str(sid), status=status_text)

    def _map_rest_error(self, exc: Any) -> Exception:
        """Twilio answered with an error: it did not create the message."""
        status = _as_int(getattr(exc, "status", None))
        code = _as_int(getattr(exc, "code", None))
        text = mask_in_text(str(getattr(exc, "msg", None) or getattr(exc, "title", "") or ""))
        summary = f"HTTP {status}, Twilio code {code}: {text}".rstrip(": ")

        if code in OPTED_OUT_CODES:
            return RecipientOptedOut(summary, code)
        if code in UNDELIVERABLE_CODES:
            return RecipientUndeliverable(summary, code)
        if status == 429 or code == RATE_LIMITED_CODE:
            return _Retryable(f"rate limited ({summary})", code)
        if status is not None and status >= 500:
            # Twilio's 5xx means it could not process the request; its guidance is to retry.
            return _Retryable(f"server error ({summary})", code)
        if status == 401 or code == AUTHENTICATION_FAILED_CODE:
            # Perhaps the token was rotated: drop the cached client so the next send asks
            # the provider again instead of failing until the container is recycled.
            self._client = None
        return SmsRejected(summary, code)

    def _map_transport_error(self, sms: OutboundSms, exc: Exception) -> Exception:
        """No HTTP answer. Retry only when the request provably never left this machine."""
        from requests.exceptions import ConnectionError, ConnectTimeout, Timeout
        from urllib3.exceptions import MaxRetryError

        # ConnectTimeout subclasses both ConnectionError and Timeout: test it first. The TCP
        # (or TLS) connection was never established, so Twilio cannot have seen the request.
        if isinstance(exc, ConnectTimeout):
            return _Retryable(f"connect timeout after {self._timeout_seconds}s")
        if isinstance(exc, Timeout):
            # A READ timeout: the request was sent and Twilio may well have accepted it and
            # queued the SMS; only the answer is missing. Retrying would create a second
            # message and text the customer twice. The status callback (which carries our
            # ref) or a later GET of the message will settle what happened.
            logger.warning(
                "twilio send to %s: no answer within %.1fs; delivery unknown, not retrying",
                mask(sms.to),
                self._timeout_seconds,
            )
            return DeliveryUnknown(
                f"no answer from Twilio within {self._timeout_seconds}s; the SMS may have "
                "been accepted"
            )
        if isinstance(exc, ConnectionError) and _failed_before_sending(exc, MaxRetryError):
            # Connection refused, DNS failure, TLS handshake failure: nothing was sent.
            return _Retryable(f"cannot connect ({type(exc).__name__})")
        # Anything else (the connection dropped after the request was written, a response
        # cut short mid-body) happened once Twilio could have had the request: same
        # reasoning as the read timeout.
        logger.warning(
            "twilio send to %s: connection lost mid-request (%s); delivery unknown",
            mask(sms.to),
            type(exc).__name__,
        )
        return DeliveryUnknown(
            f"connection to Twilio lost mid-request ({type(exc).__name__}); the SMS may have "
            "been accepted"
        )

    def _get_client(self) -> Client:
        if self._client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            # TwilioHttpClient's default adapter for a plain session has max_retries=0 with
            # read retries off, so urllib3 never re-sends a request behind our back; all
            # retrying is decided here.
            client = Client(
                username=self._account_sid,
                password=self._auth_token_provider(),
                account_sid=self._account_sid,
                http_client=TwilioHttpClient(timeout=self._timeout_seconds),
            )
            if self._api_base_url is not None:
                # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host.
                client.edge = None
                client.region = None
            self._client = client
        return self._client

    def _status_callback(self, ref: str | None) -> str | None:
        # A callback is only useful when it can find its record: no ref, no callback (staff
        # replies are kept in their conversation, not as message records).
        if not self._status_callback_url or not ref:
            return None
        parts = urlsplit(self._status_callback_url)
        ref_param = "ref=" + quote(ref, safe="")
        query = f"{parts.query}&{ref_param}" if parts.query else ref_param
        return urlunsplit(parts._replace(query=query))

    def _backoff_delay(self, attempt: int) -> float:
        """Exponential, capped, with jitter in [half, full): each delay exceeds the last."""
        base = min(MAX_BACKOFF_SECONDS, self._backoff_seconds * 2.0 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security


def _failed_before_sending(exc: Exception, max_retry_error: type[Exception]) -> bool:
    """requests wraps urllib3's MaxRetryError only for failures while connecting.

    With the adapter's Retry(0, read=False), errors after the request was written (a reset,
    a dropped connection) are re-raised by urllib3 as ProtocolError and reach us as a bare
    ConnectionError; connection-phase errors (refused, DNS, TLS handshake) exhaust the retry
    budget and come wrapped in MaxRetryError.
    """
    return bool(exc.args) and isinstance(exc.args[0], max_retry_error)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
