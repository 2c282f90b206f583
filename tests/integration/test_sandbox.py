"""The Twilio sandbox of the local stack, driven by the official twilio client over HTTP."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from infra.local.sandbox import SandboxConfig, SandboxServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "sandbox-test-token"
BUSINESS = "+15005550006"
CUSTOMER = "+14155550101"
LANDLINE = "+14155550199"


@dataclass(frozen=True)
class Received:
    path: str
    form: dict[str, str]
    signature: str


class Receiver:
    """A tiny HTTP server standing in for the app: records form POSTs, answers a fixed reply."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.reply_body = ""
        self.reply_type = "text/xml"
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, Request.application(self._handle), threaded=True
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.received.append(
                Received(
                    request.path,
                    request.form.to_dict(),
                    request.headers.get("X-Twilio-Signature", ""),
                )
            )
        return Response(self.reply_body, content_type=self.reply_type)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def at(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def is_signed(received: Received, url: str) -> bool:
    return bool(RequestValidator(AUTH_TOKEN).validate(url, received.form, received.signature))


@pytest.fixture
def config() -> SandboxConfig:
    return SandboxConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        business_numbers=[BUSINESS],
        undelivered_numbers={LANDLINE},
        callback_interval_seconds=0.02,
    )


@pytest.fixture
def sandbox(config: SandboxConfig) -> Iterator[SandboxServer]:
    with SandboxServer(config).start("127.0.0.1", 0) as server:
        yield server


@pytest.fixture
def client(sandbox: SandboxServer) -> Client:
    twilio = Client(ACCOUNT_SID, AUTH_TOKEN)
    twilio.api.base_url = sandbox.base_url
    return twilio


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = Receiver()
    app.start()
    yield app
    app.stop()


def sandbox_messages(sandbox: SandboxServer) -> list[dict[str, Any]]:
    response = requests.get(f"{sandbox.base_url}/sandbox/messages", timeout=5)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def test_given_the_sandbox_when_the_client_creates_a_message_then_it_can_fetch_and_list_it(
    client: Client,
) -> None:
    created = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="See you at 10:00")
    client.messages.create(to="+14155550102", from_=BUSINESS, body="Someone else")

    fetched = client.messages(created.sid).fetch()
    listed = client.messages.list(to=CUSTOMER)

    assert created.sid.startswith("SM")
    assert len(created.sid) == 34
    assert created.status == "queued"
    assert created.direction == "outbound-api"
    assert created.account_sid == ACCOUNT_SID
    assert created.num_segments == "1"
    assert created.date_created is not None
    assert created.price is None
    assert (fetched.sid, fetched.to, fetched.from_, fetched.body) == (
        created.sid,
        CUSTOMER,
        BUSINESS,
        "See you at 10:00",
    )
    assert [m.sid for m in listed] == [created.sid]


def test_given_more_messages_than_a_page_when_listing_then_the_client_follows_next_page(
    client: Client,
) -> None:
    sids = {client.messages.create(to=CUSTOMER, from_=BUSINESS, body=f"#{i}").sid for i in range(5)}

    listed = client.messages.list(to=CUSTOMER, page_size=2)
    first_page = client.messages.page(to=CUSTOMER, page_size=2)

    assert {m.sid for m in listed} == sids
    assert first_page.next_page_url is not None
    assert "Page=1" in first_page.next_page_url


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", 21211),
        ("+15005550004", 21610),
        ("+15005550009", 21614),
        ("4155550101", 21211),
        ("not a number", 21211),
    ],
)
def test_given_a_twilio_test_or_invalid_number_when_sending_then_its_error_code_is_raised(
    client: Client, sandbox: SandboxServer, to: str, code: int
) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=to, from_=BUSINESS, body="Hello")

    assert (raised.value.status, raised.value.code) == (400, code)
    assert sandbox_messages(sandbox) == []


def test_given_a_missing_body_or_to_when_sending_then_21602_or_21604_is_raised(
    client: Client,
) -> None:
    with pytest.raises(TwilioRestException) as no_body:
        client.messages.create(to=CUSTOMER, from_=BUSINESS)
    with pytest.raises(TwilioRestException) as no_to:
        client.messages.create(to="", from_=BUSINESS, body="Hello")

    assert no_body.value.code == 21602
    assert no_to.value.code == 21604


def test_given_wrong_credentials_when_calling_the_api_then_401_twilio_error(
    sandbox: SandboxServer,
) -> None:
    stranger = Client(ACCOUNT_SID, "wrong-token")
    stranger.api.base_url = sandbox.base_url
    url = f"{sandbox.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

    with pytest.raises(TwilioRestException) as raised:
        stranger.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")
    anonymous = requests.get(url, timeout=5)
    other_account = requests.get(
        url.replace(ACCOUNT_SID, "AC" + "f" * 32), auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5
    )

    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert anonymous.status_code == 401
    assert anonymous.json()["more_info"] == "https://www.twilio.com/docs/errors/20003"
    assert (other_account.status_code, other_account.json()["code"]) == (404, 20404)


def test_given_a_status_callback_when_sending_then_sent_and_delivered_arrive_signed_in_order(
    client: Client, receiver: Receiver
) -> None:
    callback_url = receiver.url("/twilio/status?tenant=t1")

    message = client.messages.create(
        to=CUSTOMER, from_=BUSINESS, body="Reminder", status_callback=callback_url
    )
    wait_for(lambda: len(receiver.at("/twilio/status")) == 2)

    callbacks = receiver.at("/twilio/status")
    assert [c.form["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    assert all(is_signed(c, callback_url) for c in callbacks)
    assert callbacks[1].form["MessageSid"] == message.sid == callbacks[1].form["SmsSid"]
    assert callbacks[1].form["AccountSid"] == ACCOUNT_SID
    assert callbacks[1].form["ApiVersion"] == "2010-04-01"
    assert (callbacks[1].form["From"], callbacks[1].form["To"]) == (BUSINESS, CUSTOMER)
    assert "ErrorCode" not in callbacks[1].form
    assert not is_signed(callbacks[1], receiver.url("/twilio/status"))
    assert client.messages(message.sid).fetch().status == "delivered"


def test_given_an_undeliverable_number_when_sending_then_the_callback_says_30006(
    client: Client, receiver: Receiver
) -> None:
    callback_url = receiver.url("/twilio/status")

    message = client.messages.create(
        to=LANDLINE, from_=BUSINESS, body="Reminder", status_callback=callback_url
    )
    wait_for(lambda: len(receiver.at("/twilio/status")) == 2)

    final = receiver.at("/twilio/status")[-1]
    assert (final.form["MessageStatus"], final.form["ErrorCode"]) == ("undelivered", "30006")
    assert is_signed(final, callback_url)
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30006)


def test_given_an_unreachable_callback_when_sending_then_the_sandbox_keeps_working(
    client: Client, sandbox: SandboxServer
) -> None:
    message = client.messages.create(
        to=CUSTOMER, from_=BUSINESS, body="Hi", status_callback="http://127.0.0.1:9/nowhere"
    )

    wait_for(lambda: client.messages(message.sid).fetch().status == "delivered")

    recorded = next(m for m in sandbox_messages(sandbox) if m["sid"] == message.sid)
    assert [a["error"] is not None for a in recorded["sandbox"]["callbacks"]] == [True, True]


def test_given_a_500_fault_for_two_sends_when_sending_three_times_then_only_the_third_works(
    client: Client, sandbox: SandboxServer
) -> None:
    armed = requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"status": 500, "count": 2}, timeout=5
    )
    outcomes: list[int] = []

    for _ in range(3):
        try:
            client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")
            outcomes.append(201)
        except TwilioRestException as error:
            outcomes.append(error.status)

    assert armed.status_code == 201
    assert outcomes == [500, 500, 201]
    assert len(sandbox_messages(sandbox)) == 1


def test_given_a_429_fault_when_sending_then_its_code_is_raised_and_clearing_restores(
    client: Client, sandbox: SandboxServer
) -> None:
    faults = f"{sandbox.base_url}/sandbox/faults"
    requests.post(faults, json={"status": 429, "code": 20429, "count": 1}, timeout=5)
    requests.post(faults, json={"status": 503, "count": 5}, timeout=5)

    with pytest.raises(TwilioRestException) as throttled:
        client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")
    cleared = requests.delete(faults, timeout=5)
    sent = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")

    assert (throttled.value.status, throttled.value.code) == (429, 20429)
    assert cleared.status_code == 200
    assert sent.status == "queued"


def test_given_a_delay_fault_when_sending_then_only_the_next_send_is_slow(
    client: Client, sandbox: SandboxServer
) -> None:
    requests.post(
        f"{sandbox.base_url}/sandbox/faults", json={"delay_seconds": 0.4, "count": 1}, timeout=5
    )

    started = time.monotonic()
    slow = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")
    slow_seconds = time.monotonic() - started
    started = time.monotonic()
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")
    fast_seconds = time.monotonic() - started

    assert slow.status == "queued"
    assert slow_seconds >= 0.4
    assert fast_seconds < 0.4


def test_given_an_invalid_fault_when_arming_then_400(sandbox: SandboxServer) -> None:
    response = requests.post(f"{sandbox.base_url}/sandbox/faults", json={"status": 200}, timeout=5)

    assert response.status_code == 400


def test_given_the_phone_when_a_customer_texts_then_the_app_gets_a_signed_webhook_and_reply(
    config: SandboxConfig, sandbox: SandboxServer, receiver: Receiver
) -> None:
    webhook = receiver.url("/twilio/inbound")
    config.inbound_webhook_url = webhook
    receiver.reply_body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Response><Message>Thanks, you are confirmed.</Message></Response>"
    )

    response = requests.post(
        f"{sandbox.base_url}/sandbox/phone/send",
        json={"from": CUSTOMER, "to": BUSINESS, "body": "C"},
        timeout=5,
    )

    result = response.json()
    [delivered] = receiver.at("/twilio/inbound")
    assert response.status_code == 200
    assert result["status"] == 200
    assert "Thanks, you are confirmed." in result["twiml"]
    assert is_signed(delivered, webhook)
    form = delivered.form
    assert (form["From"], form["To"], form["Body"]) == (CUSTOMER, BUSINESS, "C")
    assert form["MessageSid"].startswith("SM")
    assert form["SmsMessageSid"] == form["MessageSid"]
    assert (form["AccountSid"], form["NumMedia"], form["SmsStatus"]) == (
        ACCOUNT_SID,
        "0",
        "received",
    )
    assert form["FromCountry"] == "US"
    assert form["FromCity"] == ""
    thread = requests.get(
        f"{sandbox.base_url}/sandbox/phone/conversations/{CUSTOMER}", timeout=5
    ).json()["messages"]
    assert [(m["direction"], m["from"], m["to"], m["body"]) for m in thread] == [
        ("inbound", CUSTOMER, BUSINESS, "C"),
        ("outbound-reply", BUSINESS, CUSTOMER, "Thanks, you are confirmed."),
    ]


def test_given_no_webhook_url_when_a_customer_texts_then_503_and_the_text_is_kept(
    sandbox: SandboxServer,
) -> None:
    response = requests.post(
        f"{sandbox.base_url}/sandbox/phone/send",
        json={"from": CUSTOMER, "to": BUSINESS, "body": "Hello?"},
        timeout=5,
    )

    assert response.status_code == 503
    assert [m["direction"] for m in sandbox_messages(sandbox)] == ["inbound"]


def test_given_a_customer_texted_stop_when_the_business_sends_then_21610_until_start(
    config: SandboxConfig, sandbox: SandboxServer, client: Client, receiver: Receiver
) -> None:
    config.inbound_webhook_url = receiver.url("/twilio/inbound")
    phone = f"{sandbox.base_url}/sandbox/phone/send"

    requests.post(phone, json={"from": CUSTOMER, "to": BUSINESS, "body": "Stop"}, timeout=5)
    with pytest.raises(TwilioRestException) as blocked:
        client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Reminder")
    requests.post(phone, json={"from": CUSTOMER, "to": BUSINESS, "body": "START"}, timeout=5)
    allowed = client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Reminder")

    assert blocked.value.code == 21610
    assert allowed.status == "queued"
    assert len(receiver.at("/twilio/inbound")) == 2
    auto_replies = [
        m["body"] for m in sandbox_messages(sandbox) if m["direction"] == "outbound-reply"
    ]
    assert auto_replies[0].startswith("You have successfully been unsubscribed")
    assert auto_replies[1].startswith("You have successfully been re-subscribed")


def test_given_messages_when_opening_the_phone_then_the_page_and_conversations_are_served(
    client: Client, sandbox: SandboxServer
) -> None:
    client.messages.create(to=CUSTOMER, from_=BUSINESS, body="Hello")

    page = requests.get(f"{sandbox.base_url}/sandbox/phone", timeout=5)
    listing = requests.get(f"{sandbox.base_url}/sandbox/phone/conversations", timeout=5).json()
    cleared = requests.delete(f"{sandbox.base_url}/sandbox/messages", timeout=5)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<label for="body">' in page.text
    assert "src=" not in page.text
    # Nothing is fetched from elsewhere: the only link is the empty data: icon that stops
    # the browser asking for /favicon.ico.
    assert re.findall(r'href="([^"]*)"', page.text) == ["data:,"]
    assert [c["number"] for c in listing["conversations"]] == [CUSTOMER]
    assert listing["business_numbers"] == [BUSINESS]
    assert cleared.json() == {"deleted": 1}
    assert sandbox_messages(sandbox) == []


@pytest.mark.parametrize("path", ["/sandbox/phone/send", "/sandbox/faults"])
def test_given_json_nested_thousands_deep_when_posting_then_the_sandbox_answers_400(
    sandbox: SandboxServer, path: str
) -> None:
    deep = "[" * 5_000 + "]" * 5_000

    response = requests.post(
        f"{sandbox.base_url}{path}",
        data=deep,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )

    assert response.status_code == 400, response.text
