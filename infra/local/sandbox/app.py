"""HTTP face of the sandbox: Twilio's Messages API plus /sandbox/* controls and phone page."""

from __future__ import annotations

import hmac
import threading
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from rendezvous.json_input import decode_json

from .config import SandboxConfig
from .core import Sandbox, SandboxInputError, TwilioApiError, fault_error
from .receivers import WebhookReceivers
from .webhooks_page import webhooks_page

EXTENSION_KEY = "rendezvous_sandbox"
_API_PREFIX = "/2010-04-01/"
_ACCOUNT = "/2010-04-01/Accounts/<account_sid>"


def _json_payload() -> object:
    """The request's JSON, or None when it is not JSON (or nested past any sane depth)."""
    try:
        return decode_json(request.get_data(cache=False))
    except ValueError:
        return None


def _json(payload: object, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def _twilio_error(error: TwilioApiError) -> Response:
    response = _json(error.to_json(), error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


def _sandbox_error(status: int, message: str) -> Response:
    return _json({"error": {"code": status, "message": message}}, status)


def receivers_of(app: Flask) -> WebhookReceivers:
    """The booking-system receivers behind an app made by `create_sandbox_app`."""
    found = app.extensions[EXTENSION_KEY + ".receivers"]
    assert isinstance(found, WebhookReceivers)
    return found


def sandbox_of(app: Flask) -> Sandbox:
    """The Sandbox behind an app made by `create_sandbox_app`."""
    found = app.extensions[EXTENSION_KEY]
    assert isinstance(found, Sandbox)
    return found


def create_sandbox_app(config: SandboxConfig, sandbox: Sandbox | None = None) -> Flask:
    """A Flask app speaking Twilio's Messages API and the sandbox's own endpoints."""
    core = sandbox if sandbox is not None else Sandbox(config)
    app = Flask("rendezvous_sandbox")
    app.extensions[EXTENSION_KEY] = core
    phone_page = Path(__file__).with_name("phone.html").read_text("utf-8")
    stopping = threading.Event()
    app.extensions[EXTENSION_KEY + ".stopping"] = stopping
    receivers = WebhookReceivers(config.now)
    app.extensions[EXTENSION_KEY + ".receivers"] = receivers

    def check_account(account_sid: str) -> None:
        auth = request.authorization
        username = (auth.username or "") if auth is not None and auth.type == "basic" else ""
        password = (auth.password or "") if auth is not None and auth.type == "basic" else ""
        sid_ok = hmac.compare_digest(username.encode(), config.account_sid.encode())
        token_ok = hmac.compare_digest(password.encode(), config.auth_token.encode())
        if not (sid_ok and token_ok):
            raise TwilioApiError(401, 20003, "Authenticate")
        if account_sid != config.account_sid:
            raise TwilioApiError(404, 20404, f"The requested resource {request.path} was not found")

    @app.errorhandler(TwilioApiError)
    def on_twilio_error(error: TwilioApiError) -> Response:
        return _twilio_error(error)

    @app.errorhandler(SandboxInputError)
    def on_input_error(error: SandboxInputError) -> Response:
        return _sandbox_error(400, str(error))

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if request.path.startswith(_API_PREFIX):
            code = 20404 if status == 404 else 20000 + status
            text = (
                f"The requested resource {request.path} was not found"
                if status == 404
                else error.name
            )
            return _twilio_error(TwilioApiError(status, code, text))
        return _sandbox_error(status, error.description or error.name)

    # Twilio's Messages API
    @app.post(f"{_ACCOUNT}/Messages.json")
    def create_message(account_sid: str) -> Response:
        check_account(account_sid)
        fault = core.state.take_fault()
        if fault is not None:
            if fault.delay_seconds:
                stopping.wait(fault.delay_seconds)
            error = fault_error(fault)
            if error is not None:
                raise error
        return _json(core.create_message(request.form.to_dict()), 201)

    @app.get(f"{_ACCOUNT}/Messages.json")
    def list_messages(account_sid: str) -> Response:
        check_account(account_sid)
        return _json(core.list_messages(request.args.to_dict()))

    @app.get(f"{_ACCOUNT}/Messages/<sid>.json")
    def fetch_message(account_sid: str, sid: str) -> Response:
        check_account(account_sid)
        return _json(core.fetch_message(sid))

    # sandbox controls
    @app.get("/")
    def index() -> Response:
        return _json(
            {
                "service": "Rendezvous Twilio sandbox",
                "api": f"{_API_PREFIX}Accounts/{config.account_sid}/Messages.json",
                "phone": "/sandbox/phone",
            }
        )

    @app.get("/sandbox/messages")
    def dump_messages() -> Response:
        return _json({"messages": core.state.dump()})

    @app.delete("/sandbox/messages")
    def clear_messages() -> Response:
        return _json({"deleted": core.state.clear_messages()})

    @app.get("/sandbox/faults")
    def list_faults() -> Response:
        return _json({"faults": core.state.faults()})

    @app.post("/sandbox/faults")
    def add_fault() -> Response:
        fault = core.add_fault(_json_payload())
        return _json({"fault": fault.to_json(), "faults": core.state.faults()}, 201)

    @app.delete("/sandbox/faults")
    def clear_faults() -> Response:
        core.state.clear_faults()
        return _json({"faults": []})

    @app.get("/sandbox/opt-outs")
    def list_opt_outs() -> Response:
        return _json({"opt_outs": core.state.blocked()})

    @app.post("/sandbox/reset")
    def reset() -> Response:
        core.state.clear_messages()
        core.state.clear_faults()
        core.state.clear_blocked()
        receivers.clear()
        return _json({"reset": True})

    # the booking system's webhook receivers
    @app.get("/sandbox/webhooks")
    def webhooks() -> Response:
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            page = webhooks_page()
            return Response(page.html, mimetype="text/html", headers=page.headers)
        return _json({"receivers": receivers.all()})

    @app.put("/sandbox/webhooks/<name>/config")
    def configure_receiver(name: str) -> Response:
        return _json({"name": name, "config": receivers.configure(name, _json_payload())})

    @app.get("/sandbox/webhooks/<name>")
    def receiver(name: str) -> Response:
        return _json(receivers.receiver(name))

    @app.delete("/sandbox/webhooks/<name>")
    def forget_receiver(name: str) -> Response:
        return _json({"deleted": receivers.forget(name)})

    @app.post("/sandbox/webhooks/<name>")
    def receive_webhook(name: str) -> Response:
        answer = receivers.receive(name, request.get_data(cache=False), dict(request.headers))
        if answer.delay_seconds:
            stopping.wait(answer.delay_seconds)
        verdict = "verified" if answer.arrival["verified"] else "not verified"
        return _json({"received": answer.arrival["number"], "signature": verdict}, answer.status)

    # the sandbox phone
    @app.get("/sandbox/phone")
    def phone() -> Response:
        return Response(phone_page, mimetype="text/html")

    @app.get("/sandbox/phone/conversations")
    def conversations() -> Response:
        numbers = set(config.business_numbers) | core.state.business_numbers()
        return _json(
            {
                "business_numbers": sorted(numbers),
                "conversations": core.state.conversations(),
            }
        )

    @app.get("/sandbox/phone/conversations/<path:number>")
    def conversation(number: str) -> Response:
        return _json({"number": number, "messages": core.state.thread(number)})

    @app.post("/sandbox/phone/send")
    def phone_send() -> Response:
        payload = _json_payload()
        if not isinstance(payload, dict):
            raise SandboxInputError('expected a JSON object {"from", "to", "body"}')
        fields = {key: payload.get(key) for key in ("from", "to", "body")}
        if fields["to"] is None and config.business_numbers:
            fields["to"] = config.business_numbers[0]
        for key, value in fields.items():
            if not isinstance(value, str):
                raise SandboxInputError(f"'{key}' must be a string")
        result = core.receive_sms(
            str(fields["from"]).strip(), str(fields["to"]).strip(), str(fields["body"])
        )
        if result.status is not None:
            status = 200
        elif not config.inbound_webhook_url:
            status = 503
        else:
            status = 502
        return _json(result.to_json(), status)

    return app


def stop_app(app: Flask) -> None:
    """Wake requests sleeping on an injected delay and stop background deliveries."""
    stopping = app.extensions[EXTENSION_KEY + ".stopping"]
    assert isinstance(stopping, threading.Event)
    stopping.set()
    sandbox_of(app).close()
