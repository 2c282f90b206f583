"""TwilioSmsGateway against a real HTTP server on 127.0.0.1 that answers like Twilio.

The official twilio client does the HTTP; only its base URL is pointed at the sandbox.
`sleep` is a recorder, so backoff is observed rather than waited for.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from rendezvous.adapters.twilio_gateway import TwilioSmsGateway
from rendezvous.domain.errors import (
    DeliveryUnknown,
    GatewayUnavailable,
    RecipientOptedOut,
    RecipientUndeliverable,
    SmsRejected,
)
from rendezvous.domain.ports import OutboundSms, SmsReceipt

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "sandbox-auth-token-0123456789"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
TO = "+14155550123"
FROM = "+15005550006"
BODY = "Reminder: Dr. Lee tomorrow at 09:30. Reply C to confirm."
CALLBACK_URL = "https://hooks.example.com/twilio/status"
SID = "SM0123456789abcdef0123456789abcdef"


def twilio_message(form: dict[str, str], sid: str = SID, status: str = "queued") -> dict[str, Any]:
    """The body of Twilio's 201 for a created message (fields trimmed to the usual ones)."""
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": form.get("Body"),
        "date_created": "Thu, 24 Jul 2025 09:00:00 +0000",
        "date_sent": None,
        "date_updated": "Thu, 24 Jul 2025 09:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
        },
        "to": form.get("To"),
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


def twilio_error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass
class Seen:
    form: dict[str, str]
    authorization: str | None


@dataclass
class ScriptedTwilio:
    """Answers each POST with the next scripted reply; the last one repeats.

    A reply is (HTTP status, JSON payload or raw text); None as payload means "a created
    message echoing the request". Requests are recorded on arrival, before any delay.
    """

    replies: list[tuple[int, dict[str, Any] | str | None]]
    delay: threading.Event | None = None
    seen: list[Seen] = field(default_factory=list)

    def __call__(self, request: Request) -> Response:
        form = dict(request.form)
        self.seen.append(Seen(form=form, authorization=request.headers.get("Authorization")))
        if self.delay is not None:
            # Hold the answer until the test lets go (bounded, so a failing test cannot hang).
            self.delay.wait(timeout=5)
        status, payload = self.replies[min(len(self.seen), len(self.replies)) - 1]
        if payload is None:
            payload = twilio_message(form)
        if isinstance(payload, str):
            return Response(payload, status=status, content_type="text/html")
        return Response(json.dumps(payload), status=status, content_type="application/json")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.no_handler_status_code = 418  # a path mismatch must not look like a retryable 5xx
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def twilio(sandbox: HTTPServer) -> Iterator[Callable[..., ScriptedTwilio]]:
    def script(*replies: tuple[int, dict[str, Any] | str | None], **kw: Any) -> ScriptedTwilio:
        scripted = ScriptedTwilio(replies=list(replies), **kw)
        sandbox.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(scripted)
        return scripted

    sandbox.clear()
    yield script
    sandbox.check_assertions()
    sandbox.check_handler_errors()
    sandbox.clear()


@dataclass
class Sleeps:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_gateway(
    base_url: str,
    sleeps: Sleeps,
    *,
    token_provider: Callable[[], str] = lambda: AUTH_TOKEN,
    status_callback_url: str | None = CALLBACK_URL,
    **overrides: Any,
) -> TwilioSmsGateway:
    settings: dict[str, Any] = {"timeout_seconds": 5.0, "max_attempts": 3, "backoff_seconds": 0.25}
    settings.update(overrides)
    return TwilioSmsGateway(
        account_sid=ACCOUNT_SID,
        auth_token_provider=token_provider,
        status_callback_url=status_callback_url,
        api_base_url=base_url,
        sleep=sleeps,
        **settings,
    )


def sandbox_url(server: HTTPServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def sms(ref: str | None = "t1.a1.reminder.1") -> OutboundSms:
    return OutboundSms(to=TO, from_=FROM, body=BODY, status_callback_ref=ref)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- success ------------------------------------------------------------------------


def test_given_twilio_accepts_when_sending_then_it_posts_the_form_with_basic_auth_and_gets_sid(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((201, None))
    sleeps = Sleeps()

    receipt = make_gateway(sandbox_url(sandbox), sleeps).send(sms(ref="r1"))

    assert receipt == SmsReceipt(sid=SID, status="queued")
    assert len(scripted.seen) == 1
    seen = scripted.seen[0]
    assert seen.form == {
        "To": TO,
        "From": FROM,
        "Body": BODY,
        "StatusCallback": f"{CALLBACK_URL}?ref=r1",
    }
    assert seen.authorization == basic_auth(ACCOUNT_SID, AUTH_TOKEN)
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("callback_url", "ref", "expected"),
    [
        (CALLBACK_URL, "t1.a1.reminder.1", f"{CALLBACK_URL}?ref=t1.a1.reminder.1"),
        (CALLBACK_URL, "t 1/a&b=c", f"{CALLBACK_URL}?ref=t%201%2Fa%26b%3Dc"),
        (f"{CALLBACK_URL}?stage=dev", "r1", f"{CALLBACK_URL}?stage=dev&ref=r1"),
    ],
)
def test_given_a_status_callback_ref_when_sending_then_the_callback_url_carries_the_encoded_ref(
    sandbox: HTTPServer,
    twilio: Callable[..., ScriptedTwilio],
    callback_url: str,
    ref: str,
    expected: str,
) -> None:
    scripted = twilio((201, None))

    make_gateway(sandbox_url(sandbox), Sleeps(), status_callback_url=callback_url).send(sms(ref))

    assert scripted.seen[0].form["StatusCallback"] == expected


def test_given_no_status_callback_url_when_sending_then_no_status_callback_is_posted(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((201, None))

    make_gateway(sandbox_url(sandbox), Sleeps(), status_callback_url=None).send(sms("r1"))

    assert "StatusCallback" not in scripted.seen[0].form
    assert scripted.seen[0].form["To"] == TO


def test_given_a_new_gateway_when_sending_twice_then_the_token_is_fetched_once_on_first_send(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((201, None))
    fetches: list[int] = []

    def provider() -> str:
        fetches.append(1)
        return AUTH_TOKEN

    gateway = make_gateway(sandbox_url(sandbox), Sleeps(), token_provider=provider)
    assert fetches == []

    gateway.send(sms())
    gateway.send(sms())

    assert len(fetches) == 1
    assert len(scripted.seen) == 2


# --- recipient problems: permanent, never retried ---------------------------------------


def test_given_an_opted_out_recipient_when_sending_then_recipient_opted_out_after_one_request(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((400, twilio_error(21610, "Attempt to send to unsubscribed recipient", 400)))
    sleeps = Sleeps()

    with pytest.raises(RecipientOptedOut) as raised:
        make_gateway(sandbox_url(sandbox), sleeps).send(sms())

    assert raised.value.error_code == 21610
    assert len(scripted.seen) == 1
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, f"The 'To' number {TO} is not a valid phone number."),
        (21614, f"'To' number {TO} is not a valid mobile number"),
        (21612, f"The 'To' phone number: {TO}, is not currently reachable using the 'From'"),
    ],
)
def test_given_an_unreachable_number_when_sending_then_recipient_undeliverable_after_one_request(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio], code: int, message: str
) -> None:
    scripted = twilio((400, twilio_error(code, message, 400)))
    sleeps = Sleeps()

    with pytest.raises(RecipientUndeliverable) as raised:
        make_gateway(sandbox_url(sandbox), sleeps).send(sms())

    assert raised.value.error_code == code
    assert len(scripted.seen) == 1
    assert sleeps.calls == []
    # Twilio quotes the number; our error must not.
    assert TO not in str(raised.value)
    assert raised.value.__cause__ is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21602, "Message body is required."),
        (21408, "Permission to send an SMS has not been enabled for the region"),
        (21606, "The 'From' phone number provided is not a valid message-capable number"),
    ],
)
def test_given_another_client_error_when_sending_then_sms_rejected_with_its_code(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio], code: int, message: str
) -> None:
    scripted = twilio((400, twilio_error(code, message, 400)))
    sleeps = Sleeps()

    with pytest.raises(SmsRejected) as raised:
        make_gateway(sandbox_url(sandbox), sleeps).send(sms())

    assert raised.value.error_code == code
    assert len(scripted.seen) == 1
    assert sleeps.calls == []


def test_given_a_rotated_token_when_twilio_says_401_then_rejected_and_the_next_send_refetches_it(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((401, twilio_error(20003, "Authenticate", 401)), (201, None))
    tokens = iter(["stale-token", "fresh-token"])
    gateway = make_gateway(sandbox_url(sandbox), Sleeps(), token_provider=lambda: next(tokens))

    with pytest.raises(SmsRejected) as raised:
        gateway.send(sms())
    receipt = gateway.send(sms())

    assert raised.value.error_code == 20003
    assert receipt.sid == SID
    assert [s.authorization for s in scripted.seen] == [
        basic_auth(ACCOUNT_SID, "stale-token"),
        basic_auth(ACCOUNT_SID, "fresh-token"),
    ]


# --- Twilio busy or failing: retried with growing backoff -------------------------------


def test_given_two_server_errors_then_success_when_sending_then_it_succeeds_after_three_requests(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio(
        (500, twilio_error(20500, "Internal Server Error", 500)),
        (500, twilio_error(20500, "Internal Server Error", 500)),
        (201, None),
    )
    sleeps = Sleeps()

    receipt = make_gateway(sandbox_url(sandbox), sleeps, backoff_seconds=0.25).send(sms())

    assert receipt.sid == SID
    assert len(scripted.seen) == 3
    assert len(sleeps.calls) == 2
    first, second = sleeps.calls
    assert 0.125 <= first < 0.25  # jitter in [half, full) of 0.25
    assert 0.25 <= second < 0.5  # ... of 0.5
    assert second > first


@pytest.mark.parametrize(
    "rate_limited",
    [
        (429, twilio_error(20429, "Too Many Requests", 429)),
        (429, "<html><body>Too Many Requests</body></html>"),
    ],
    ids=["twilio-20429", "bare-429"],
)
def test_given_rate_limiting_when_sending_then_it_backs_off_and_retries(
    sandbox: HTTPServer,
    twilio: Callable[..., ScriptedTwilio],
    rate_limited: tuple[int, dict[str, Any] | str],
) -> None:
    scripted = twilio(rate_limited, (201, None))
    sleeps = Sleeps()

    receipt = make_gateway(sandbox_url(sandbox), sleeps).send(sms())

    assert receipt.sid == SID
    assert len(scripted.seen) == 2
    assert len(sleeps.calls) == 1


def test_given_twilio_stays_unavailable_when_sending_then_gateway_unavailable_after_max_attempts(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((503, twilio_error(20503, "Service Unavailable", 503)))
    sleeps = Sleeps()

    with pytest.raises(GatewayUnavailable) as raised:
        make_gateway(sandbox_url(sandbox), sleeps, max_attempts=4).send(sms())

    assert len(scripted.seen) == 4
    assert raised.value.error_code == 20503
    assert len(sleeps.calls) == 3
    assert sleeps.calls == sorted(sleeps.calls)


def test_given_rate_limiting_that_never_ends_when_sending_then_gateway_unavailable(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((429, twilio_error(20429, "Too Many Requests", 429)))

    with pytest.raises(GatewayUnavailable) as raised:
        make_gateway(sandbox_url(sandbox), Sleeps(), max_attempts=2).send(sms())

    assert len(scripted.seen) == 2
    assert raised.value.error_code == 20429


# --- no connection: nothing was sent, so retrying is safe ---------------------------------


def test_given_nothing_listens_when_sending_then_gateway_unavailable_after_max_attempts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sleeps = Sleeps()

    with pytest.raises(GatewayUnavailable) as raised:
        make_gateway(f"http://127.0.0.1:{closed_port}", sleeps, max_attempts=3).send(sms())

    assert len(sleeps.calls) == 2  # three attempts, two waits between them
    assert raised.value.error_code is None


def test_given_connects_time_out_when_sending_then_they_are_retried_then_gateway_unavailable() -> (
    None
):
    # A listener that never accepts, with its backlog already full: the kernel drops further
    # SYNs, so the client's connect times out (a ConnectTimeout, not a read timeout).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    sleeps = Sleeps()
    try:
        with pytest.raises(GatewayUnavailable) as raised:
            make_gateway(
                f"http://127.0.0.1:{port}", sleeps, timeout_seconds=0.3, max_attempts=3
            ).send(sms())
    finally:
        for filler in fillers:
            filler.close()
        listener.close()

    assert "connect timeout" in str(raised.value)
    assert len(sleeps.calls) == 2


# --- the request may have reached Twilio: never retried -----------------------------------


def test_given_twilio_answers_after_the_timeout_when_sending_then_delivery_unknown_one_request(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    release = threading.Event()
    scripted = twilio((201, None), delay=release)
    sleeps = Sleeps()
    gateway = make_gateway(sandbox_url(sandbox), sleeps, timeout_seconds=0.3, max_attempts=3)

    try:
        with pytest.raises(DeliveryUnknown):
            gateway.send(sms())
    finally:
        release.set()

    assert len(scripted.seen) == 1
    assert sleeps.calls == []


class DroppingServer:
    """Reads each request in full, then hangs up without answering."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port: int = self.listener.getsockname()[1]
        self.listener.settimeout(0.05)
        self.requests_read = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests_read += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.listener.close()


def test_given_the_connection_drops_after_the_request_when_sending_then_delivery_unknown() -> None:
    server = DroppingServer()
    sleeps = Sleeps()
    try:
        with pytest.raises(DeliveryUnknown):
            make_gateway(f"http://127.0.0.1:{server.port}", sleeps, max_attempts=3).send(sms())
    finally:
        server.close()

    assert server.requests_read == 1
    assert sleeps.calls == []


def test_given_a_created_message_without_a_sid_when_sending_then_delivery_unknown(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((201, "not json"))

    with pytest.raises(DeliveryUnknown):
        make_gateway(sandbox_url(sandbox), Sleeps()).send(sms())

    assert len(scripted.seen) == 1


# --- what reaches the logs --------------------------------------------------------------


def test_given_sends_that_fail_and_succeed_when_logging_then_no_token_or_full_number_is_logged(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio], caplog: pytest.LogCaptureFixture
) -> None:
    twilio(
        (500, twilio_error(20500, f"Internal error sending to {TO}", 500)),
        (201, None),
        (400, twilio_error(21211, f"The 'To' number {TO} is not a valid phone number.", 400)),
    )
    gateway = make_gateway(sandbox_url(sandbox), Sleeps())

    with caplog.at_level(logging.DEBUG):
        gateway.send(sms())
        with pytest.raises(RecipientUndeliverable):
            gateway.send(sms())

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "+1415*****23" in logged  # the masked form is what we log
    assert TO not in logged
    assert AUTH_TOKEN not in logged
    assert base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode() not in logged


def test_given_no_ref_when_sending_then_no_status_callback_is_asked_for(
    sandbox: HTTPServer, twilio: Callable[..., ScriptedTwilio]
) -> None:
    scripted = twilio((201, None))

    make_gateway(sandbox_url(sandbox), Sleeps()).send(sms(ref=None))

    assert "StatusCallback" not in scripted.seen[0].form
