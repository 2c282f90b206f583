"""Outgoing HTTP: signed form POSTs, and the background status lifecycle of each message."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from twilio.request_validator import RequestValidator

from .config import SandboxConfig
from .state import API_VERSION, CallbackAttempt, SandboxState, StoredMessage

logger = logging.getLogger("rendezvous.sandbox")

USER_AGENT = "TwilioProxy/1.1"
ERROR_LANDLINE = 30006
ERROR_MESSAGES = {ERROR_LANDLINE: "Landline or unreachable carrier"}


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    content_type: str
    body: str
    error: str | None


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature of a form POST to `url`, as Twilio computes it."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def post_signed_form(
    url: str, params: dict[str, str], auth_token: str, timeout: float
) -> HttpResult:
    """POST `params` form-encoded to `url`, signed. Never raises for HTTP or network trouble."""
    if urlsplit(url).scheme not in ("http", "https"):
        return HttpResult(None, "", "", f"not an http(s) URL: {url!r}")
    request = Request(  # noqa: S310 - the scheme is checked above
        url,
        data=urlencode(params).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Twilio-Signature": sign(auth_token, url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
        },
    )
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            return HttpResult(
                response.status,
                response.headers.get("Content-Type", ""),
                response.read().decode("utf-8", "replace"),
                None,
            )
    except HTTPError as exc:
        with exc:
            return HttpResult(
                exc.code,
                exc.headers.get("Content-Type", ""),
                exc.read().decode("utf-8", "replace"),
                None,
            )
    except (URLError, OSError, ValueError) as exc:
        return HttpResult(None, "", "", f"{type(exc).__name__}: {exc}")


def status_callback_params(message: StoredMessage) -> dict[str, str]:
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_ or "",
        "MessageSid": message.sid,
        "MessageStatus": message.status,
        "SmsSid": message.sid,
        "SmsStatus": message.status,
        "To": message.to,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    if message.status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = message.date_updated.strftime("%y%m%d%H%M")
    return params


class Lifecycle:
    """Moves each outbound message through `sent` to `delivered` or `undelivered`.

    One daemon thread per message, so a message's callbacks go out in order and a slow
    receiver only delays its own message. Nothing here ever raises into the server.
    """

    def __init__(self, config: SandboxConfig, state: SandboxState) -> None:
        self._config = config
        self._state = state
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()

    def start(self, sid: str) -> None:
        if self._stopping.is_set():
            return
        thread = threading.Thread(
            target=self._run, args=(sid,), name=f"sandbox-status-{sid}", daemon=True
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def close(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, sid: str) -> None:
        try:
            self._advance(sid)
        except Exception:
            logger.exception("status lifecycle of %s failed", sid)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _advance(self, sid: str) -> None:
        for step in ("sent", "final"):
            if self._stopping.wait(self._config.callback_interval_seconds):
                return
            snapshot = self._state.update(sid, self._transition(step))
            if snapshot is None:  # cleared meanwhile
                return
            if snapshot.status_callback:
                self._callback(snapshot, snapshot.status_callback)

    def _transition(self, step: str) -> _Transition:
        return _Transition(step, self._config)

    def _callback(self, message: StoredMessage, url: str) -> None:
        result = post_signed_form(
            url,
            status_callback_params(message),
            self._config.auth_token,
            self._config.callback_timeout_seconds,
        )
        if result.error is not None:
            logger.warning("status callback %s for %s failed: %s", url, message.sid, result.error)
        elif result.status is not None and not 200 <= result.status < 300:
            logger.warning("status callback %s for %s answered %s", url, message.sid, result.status)
        attempt = CallbackAttempt(
            message.status, url, result.status, result.error, self._config.now()
        )
        self._state.update(message.sid, lambda stored: stored.callbacks.append(attempt))


class _Transition:
    def __init__(self, step: str, config: SandboxConfig) -> None:
        self._step = step
        self._config = config

    def __call__(self, message: StoredMessage) -> None:
        now = self._config.now()
        message.date_updated = now
        if message.from_ is None:
            message.from_ = self._config.messaging_service_sender
        if self._step == "sent":
            message.status = "sent"
            message.date_sent = now
        elif message.to in self._config.undelivered_numbers:
            message.status = "undelivered"
            message.error_code = ERROR_LANDLINE
            message.error_message = ERROR_MESSAGES[ERROR_LANDLINE]
        else:
            message.status = "delivered"
