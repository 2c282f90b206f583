"""The whole system on this machine: moto for AWS, the Twilio sandbox, the API, the clock.

Everything is derived from template.yaml (resources, environments, routes, authorizers,
event sources); nothing here keeps a second list of them. State lives in moto's memory
and is gone when the process ends.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from infra.local.auth import JwtVerifier, MotoJwks, jwt_authorizers
from infra.local.clock import VirtualClock, clocked_request_handler
from infra.local.gateway import ApiGateway, build_routes, error_response, json_response
from infra.template import REGION, LocalStack, http_routes, load_template, resources_of
from rendezvous.json_input import decode_json

if TYPE_CHECKING:
    from infra.local.functions import FunctionInvoker
    from infra.local.people import DemoLogins, LocalPeople

log = logging.getLogger("infra.local")

MAX_ADVANCE_MINUTES = 60 * 24 * 60  # sixty days
# The pumps sleep until a function runs (what sends messages and makes schedules here) or
# the next schedule falls due; these bound the sleep for work made behind the stack's
# back (a client talking to moto directly, a message whose visibility timeout ran out).
QUEUE_RECHECK_SECONDS = 5.0
SCHEDULE_RECHECK_SECONDS = 60.0
SCHEDULE_MIN_INTERVAL_SECONDS = 1.0
MAX_FIRINGS_PER_ADVANCE = 10_000
# The gateway's first pause between its own tries of one send (production: 0.25 s). Its
# pauses are real time while the outage they ride out runs on the virtual clock: five
# receives of a text would otherwise wait seconds each for nothing.
TWILIO_BACKOFF_SECONDS = "0.01"
AUTH_TOKEN_PARAMETER = "/rendezvous/twilio/auth-token"  # noqa: S105 - a parameter's name


class StartupError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    local_dir: Path
    host: str = "127.0.0.1"
    port: int = 3000
    sandbox_port: int = 3001


def _listen(host: str, port: int, what: str, variable: str) -> socket.socket:
    try:
        return socket.create_server((host, port))
    except OSError as exc:
        raise StartupError(
            f"cannot listen on {host}:{port} for the {what}: {exc.strerror or exc}. "
            f"Is another `make run` up? Stop it, or choose another port with {variable}=..."
        ) from exc


def template_parameters(template: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    """`given`, completed with the template's defaults for every parameter it declares."""
    values: dict[str, str] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if name in given:
            values[name] = given[name]
        elif "Default" in spec:
            default = spec["Default"]
            values[name] = str(default).lower() if isinstance(default, bool) else str(default)
        else:
            raise StartupError(f"template parameter {name} has no default and no local value")
    return values


class Stack:
    """Start with `start()`, stop with `stop()`; `credentials` and `banner()` describe it."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.clock = VirtualClock()
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.credentials: dict[str, Any] = {}
        self.credentials_path = options.local_dir / "credentials.json"
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._api_socket: socket.socket | None = None
        self._api_server: BaseWSGIServer | None = None
        self._api_thread: threading.Thread | None = None
        self._gateway: ApiGateway | None = None
        self._invoker: FunctionInvoker | None = None
        self._sandbox: Any = None
        self._moto: Any = None
        self.moto_url = ""
        self.api_url = ""
        self.data_table_name = ""
        self._people: LocalPeople | None = None
        self._demo: dict[str, DemoLogins] = {}
        self._calcom: dict[str, dict[str, str]] = {}
        self.sandbox_url = ""

    # ---- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        opts = self.options
        # A crashed earlier run may have left its file behind; its tokens are worthless.
        self.credentials_path.unlink(missing_ok=True)
        # Both ports first: a second stack fails here, before any slow work.
        self._api_socket = _listen(opts.host, opts.port, "API", "PORT")
        api_port = self._api_socket.getsockname()[1]
        self.api_url = f"http://{opts.host}:{api_port}"
        self._start_sandbox()
        stack = self._start_aws()
        self._configure_functions(stack)
        self._serve_api(stack)
        self._start_pumps()
        self._write_credentials()

    def stop(self) -> None:
        self._stopping.set()
        if self._invoker is not None:
            self._invoker.activity.notify()  # wakes the pumps to see they must stop
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()
        if self._api_server is not None:
            if self._api_thread is not None:
                self._api_server.shutdown()
                self._api_thread.join(5)
            self._api_server.server_close()
            self._api_server = self._api_thread = None
        if self._api_socket is not None:
            self._api_socket.close()
            self._api_socket = None
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self.credentials and self.credentials_path.exists():
            self.credentials_path.unlink(missing_ok=True)

    # ---- pieces ---------------------------------------------------------------------
    def _start_sandbox(self) -> None:
        from infra.local.sandbox import SandboxConfig, SandboxServer
        from infra.local.tenants import demo_tenants

        opts = self.options
        # Probe first: werkzeug would print its own message and exit on a taken port.
        _listen(opts.host, opts.sandbox_port, "Twilio sandbox", "SANDBOX_PORT").close()
        config = SandboxConfig(
            account_sid=self.account_sid,
            auth_token=self.auth_token,
            inbound_webhook_url=f"{self.api_url}/twilio/inbound",
            business_numbers=[t.phone_number for t in demo_tenants()],
            now=self.clock.now,
        )
        server = SandboxServer(config)
        try:
            server.start(opts.host, opts.sandbox_port)
        except (OSError, SystemExit) as exc:
            raise StartupError(
                f"cannot start the Twilio sandbox on {opts.host}:{opts.sandbox_port}; "
                "choose another port with SANDBOX_PORT=..."
            ) from exc
        self._sandbox = server
        self.sandbox_url = server.base_url

    def _start_aws(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        from infra.local.moto_patches import cognitoidp as cognitoidp_patch
        from infra.local.moto_patches import dynamodb as dynamodb_patch
        from infra.local.moto_patches import server as server_patch
        from infra.local.moto_patches import sqs as sqs_patch

        cognitoidp_patch.apply()
        dynamodb_patch.apply()
        server_patch.apply()
        sqs_patch.apply()
        moto = ThreadedMotoServer(ip_address=self.options.host, port=0, verbose=False)
        moto.start()
        self._moto = moto
        host, port = moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.moto_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true",
                # Nothing from ~/.aws may point this process at a real account.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            }
        )
        import boto3

        from infra.template import provision

        template = load_template()
        parameters = template_parameters(
            template,
            {
                "TwilioAccountSid": self.account_sid,
                "TwilioAuthTokenParameterName": AUTH_TOKEN_PARAMETER,
                "PublicBaseUrl": self.api_url,
                "LogRetentionDays": "30",
                "AlarmEmail": "",
            },
        )
        return provision(
            boto3,
            parameters=parameters,
            twilio_auth_token=self.auth_token,
            template=template,
        )

    def _configure_functions(self, stack: LocalStack) -> None:
        """The functions' environment (before any of them is imported), clock and tenants."""
        env: dict[str, str] = {}
        for logical in resources_of(stack.template, "AWS::Serverless::Function"):
            for key, value in stack.function_environment(logical).items():
                if key in env and env[key] != value:
                    log.warning("%s differs between functions; %s wins", key, logical)
                env[key] = value
        env["TWILIO_API_BASE_URL"] = self.sandbox_url
        # The console signs people in against moto's user pool (CORS is on in moto's server).
        env["COGNITO_ENDPOINT_URL"] = self.moto_url
        # Moto checks the password of USER_PASSWORD_AUTH, not an SRP proof.
        env["COGNITO_AUTH_FLOW"] = "USER_PASSWORD_AUTH"
        env["TWILIO_BACKOFF_SECONDS"] = TWILIO_BACKOFF_SECONDS
        # The sandbox's booking-system receiver listens on 127.0.0.1 (CONTRACT.md: the
        # local stack alone accepts http://127.0.0.1:PORT endpoints).
        env["WEBHOOK_ALLOW_LOOPBACK"] = "true"
        os.environ.update(env)

        import boto3

        from infra.local.demo_day import seed_demo_day
        from infra.local.people import LocalPeople
        from infra.local.tenants import demo_tenants
        from rendezvous.adapters.dynamodb.tenants import DynamoTenants
        from rendezvous.runtime import get_runtime

        get_runtime().override(clock=self.clock)
        self.data_table_name = stack.resolver.ref("DataTable")
        people = LocalPeople(
            boto3.client("cognito-idp"),
            stack.cognito,
            DynamoTenants(boto3.client("dynamodb"), self.data_table_name),
        )
        self._people = people
        self._demo = {t.tenant_id: people.onboard_demo(t) for t in demo_tenants()}
        self._calcom = {t.tenant_id: self._calcom_integration(t.tenant_id) for t in demo_tenants()}
        for tenant in demo_tenants():
            seed_demo_day(get_runtime().store(), get_runtime().renderer(), tenant, self.clock.now())

    def _calcom_integration(self, tenant_id: str) -> dict[str, str]:
        """Each demo tenant's Cal.com integration, made by the code behind the manager's
        PUT /v1/integrations/calcom/{id}: point a Cal.com webhook (or a test) at
        <api>/integrations/calcom/<id> with this secret."""
        from rendezvous.runtime import get_runtime

        integration_id = f"calcom-{tenant_id}"
        manager = next(u for u in self._demo[tenant_id].users if u["role"] == "manager")
        made = (
            get_runtime()
            .integration_service()
            .register_calcom(tenant_id, integration_id, by=manager["username"])
        )
        assert made.secret is not None, "a fresh stack holds no integration yet"
        return {"calcom_integration_id": integration_id, "calcom_secret": made.secret}

    def _serve_api(self, stack: LocalStack) -> None:
        import boto3

        from infra.local.functions import FunctionInvoker
        from infra.local.pipes import PipeRunner, stream_pipes
        from infra.local.triggers import (
            QueuePoller,
            RecurringRunner,
            ScheduleRunner,
            queue_subscriptions,
            recurring_schedules,
        )

        invoker = FunctionInvoker(stack)
        for logical, exc in invoker.preload().items():
            log.error("%s does not load (its routes will answer 502): %r", logical, exc)
        self._invoker = invoker
        self.schedules = ScheduleRunner(
            stack, invoker, boto3.client("scheduler"), boto3.client("sqs")
        )
        pipes = PipeRunner(
            stream_pipes(stack), boto3.client("dynamodbstreams"), boto3.client("sqs")
        )
        self.poller = QueuePoller(
            invoker, boto3.client("sqs"), queue_subscriptions(stack), self.clock.now, pipes
        )
        self.recurring = RecurringRunner(
            invoker, recurring_schedules(stack.template, self.clock.now())
        )

        authorizers, default = jwt_authorizers(stack.template, stack.resolver)
        self.tokens = JwtVerifier(MotoJwks(self.moto_url))
        routes = build_routes(stack.template, http_routes(stack.template), authorizers, default)
        api_id = next(
            (
                str(stack.resolver.refs[api])
                for api in resources_of(stack.template, "AWS::Serverless::HttpApi")
                if api in stack.resolver.refs
            ),
            "local",
        )
        local: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/_local/clock"): self._clock_endpoint,
            ("POST", "/_local/clock/advance"): self._advance_endpoint,
            ("POST", "/_local/token"): self._token_endpoint,
        }
        self._gateway = ApiGateway(
            routes, invoker, self.tokens, self.clock.now, api_id=api_id, local=local
        )
        assert self._api_socket is not None
        server = make_server(
            self.options.host,
            self._api_socket.getsockname()[1],
            self._gateway,
            threaded=True,
            request_handler=clocked_request_handler(self.clock.now),
            fd=self._api_socket.fileno(),
        )
        self._api_server = server
        thread = threading.Thread(
            target=server.serve_forever, name="local-api", kwargs={"poll_interval": 0.1}
        )
        thread.daemon = True
        thread.start()
        self._api_thread = thread

    def _start_pumps(self) -> None:
        for name, target in (("sqs-poller", self._poll_queues), ("scheduler", self._tick)):
            thread = threading.Thread(target=target, name=f"local-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _poll_queues(self) -> None:
        assert self._invoker is not None
        activity = self._invoker.activity
        while not self._stopping.is_set():
            seen = activity.generation
            try:
                self.poller.release_due(self.clock.now())
                got = self.poller.poll_all()
            except Exception:
                log.exception("polling the queues failed")
                got = 0
            if not got:
                activity.wait(seen, self._seconds_to_next_retry())

    def _seconds_to_next_retry(self) -> float:
        """Wall seconds until a failed queue message's retry falls due (the virtual clock
        runs at the wall's pace between advances), at most QUEUE_RECHECK_SECONDS."""
        retry_at = self.poller.next_retry()
        if retry_at is None:
            return QUEUE_RECHECK_SECONDS
        wait = (retry_at - self.clock.now()).total_seconds()
        return min(max(wait, 0.0), QUEUE_RECHECK_SECONDS)

    def _tick(self) -> None:
        assert self._invoker is not None
        activity = self._invoker.activity
        while not self._stopping.is_set():
            seen = activity.generation
            # An advance in progress fires schedules itself and wakes us when it is done.
            sleep = SCHEDULE_RECHECK_SECONDS
            if self.schedules.lock.acquire(blocking=False):
                try:
                    if self.schedules.fire_due(self.clock.now):
                        activity.notify()  # a schedule may have sent to a queue
                    self.recurring.fire_due(self.clock.now())
                    sleep = self._seconds_to_next_due()
                except Exception:
                    log.exception("firing due schedules failed")
                finally:
                    self.schedules.lock.release()
            activity.wait(seen, sleep)
            # A burst of invocations (a load test) costs one listing of the schedules a
            # second, as the old one-second tick did; nothing is due sooner than that.
            self._stopping.wait(SCHEDULE_MIN_INTERVAL_SECONDS)

    def _seconds_to_next_due(self) -> float:
        """Wall seconds until the next schedule falls due (the virtual clock runs at the
        wall's pace between advances), at most SCHEDULE_RECHECK_SECONDS."""
        now = self.clock.now()
        horizon = now + timedelta(seconds=SCHEDULE_RECHECK_SECONDS)
        upcoming = [d.due_at for d in self.schedules.due(horizon)[:1]]
        upcoming += [r.next_at for r in self.recurring.schedules]
        earliest = min(upcoming, default=horizon)
        return min(max((earliest - now).total_seconds(), 0.0), SCHEDULE_RECHECK_SECONDS)

    # ---- the virtual clock ----------------------------------------------------------
    def advance(self, minutes: float) -> dict[str, Any]:
        """Move the clock forward; every schedule due on the way fires at its own time."""
        assert self._invoker is not None
        target = self.clock.now() + timedelta(minutes=minutes)
        fired = []
        with self.schedules.lock:
            processed = self.poller.drain()
            for _ in range(MAX_FIRINGS_PER_ADVANCE):
                # The next thing due on the way: a schedule, or a queue message's retry.
                pending = self.schedules.due(target)
                retry_at = self.poller.next_retry()
                if (
                    retry_at is not None
                    and retry_at <= target
                    and (not pending or retry_at < pending[0].due_at)
                ):
                    self.clock.advance_to(retry_at)
                    self.poller.release_due(self.clock.now())
                    processed += self.poller.drain()
                    continue
                if not pending:
                    break
                self.clock.advance_to(pending[0].due_at)
                result = self.schedules.fire(pending[0])
                if result is not None:
                    fired.append(result)
                processed += self.poller.drain()
            else:
                log.warning("stopped after %d firings in one advance", MAX_FIRINGS_PER_ADVANCE)
            self.clock.advance_to(target)
            fired.extend(self.schedules.fire_due(self.clock.now))
            processed += self.poller.drain()
            # The template's rate() schedules: once for the jump, not once per period.
            fired.extend(self.recurring.fire_due(self.clock.now()))
        # Due times moved closer by the jump: the scheduler pump recomputes its sleep.
        self._invoker.activity.notify()
        return {
            "now": self.clock.now().isoformat(),
            "advanced_minutes": minutes,
            "fired": [f.to_json() for f in fired],
            "count": len(fired),
            "queue_messages_processed": processed,
        }

    def _clock_endpoint(self, request: Request) -> Response:
        return json_response(
            {
                "now": self.clock.now().isoformat(),
                "offset_seconds": self.clock.offset.total_seconds(),
            }
        )

    def _advance_endpoint(self, request: Request) -> Response:
        try:
            payload = decode_json(request.get_data(cache=False) or b"null")
        except ValueError:
            return error_response(400, "invalid_request", "the body is not valid JSON")
        minutes = payload.get("minutes") if isinstance(payload, dict) else None
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or not math.isfinite(minutes)
            or not 0 < minutes <= MAX_ADVANCE_MINUTES
        ):
            return error_response(
                400,
                "invalid_request",
                f'expected {{"minutes": N}} with 0 < N <= {MAX_ADVANCE_MINUTES}',
            )
        try:
            return json_response(self.advance(float(minutes)))
        except Exception:
            log.exception("advancing the clock failed")
            return error_response(500, "internal_error", "advancing the clock failed")

    # ---- what the developer gets ------------------------------------------------------
    def _token_endpoint(self, request: Request) -> Response:
        """Sign in as anyone of a tenant: a real ID token of moto's user pool, for a user
        made (once) in the role's group, as `make tenant` and a manager would make it."""
        from infra.local.people import UnknownLogin
        from infra.onboard import ROLES, TENANT_ID_PATTERN, OnboardingError

        assert self._people is not None
        try:
            payload = decode_json(request.get_data(cache=False) or b"null")
        except ValueError:
            return error_response(400, "invalid_request", "the body is not valid JSON")
        if not isinstance(payload, dict):
            return error_response(400, "invalid_request", "expected a JSON object")
        tenant_id, role, subject = (
            payload.get("tenant_id"),
            payload.get("role", "staff"),
            payload.get("sub"),
        )
        if (
            not isinstance(tenant_id, str)
            or not TENANT_ID_PATTERN.fullmatch(tenant_id)
            or not self._people.tenant_exists(tenant_id)
            or role not in ROLES
            or not (isinstance(subject, str) and re.fullmatch(r"[A-Za-z0-9._@+-]{1,64}", subject))
        ):
            return error_response(
                400,
                "invalid_request",
                f"expected the tenant_id of a tenant, role one of {', '.join(ROLES)}, and a "
                "sub of 1-64 letters, digits or ._@+- (a handle, or the login's e-mail)",
            )
        try:
            token = self._people.token(tenant_id, role, subject)
        except UnknownLogin as exc:
            return error_response(400, "invalid_request", str(exc))
        except OnboardingError as exc:
            return error_response(409, "conflict", str(exc))
        return json_response({"token": token})

    def _write_credentials(self) -> None:
        from infra.local.tenants import demo_tenants

        assert self._people is not None
        self.credentials = {
            "api_base_url": self.api_url,
            "twilio_base_url": self.sandbox_url,
            "account_sid": self.account_sid,
            "auth_token": self.auth_token,
            "aws_endpoint_url": self.moto_url,
            "data_table_name": self.data_table_name,
            "cognito": self._people.describe(REGION, self.moto_url),
            "tenants": [
                {
                    "tenant_id": t.tenant_id,
                    "name": t.name,
                    "phone_number": t.phone_number,
                    "timezone": t.timezone,
                    **self._demo[t.tenant_id].tokens,
                    "booking_login": self._demo[t.tenant_id].booking_login,
                    **self._calcom[t.tenant_id],
                }
                for t in demo_tenants()
            ],
            "users": [user for t in demo_tenants() for user in self._demo[t.tenant_id].users],
        }
        directory = self.credentials_path.parent
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f".credentials.{os.getpid()}.tmp"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.credentials, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(partial, self.credentials_path)

    def example_start(self) -> datetime:
        """Three days from the virtual now, 10:30 at the first tenant's."""
        tenant = self.credentials["tenants"][0]
        zone = ZoneInfo(tenant["timezone"])
        day = (self.clock.now() + timedelta(days=3)).astimezone(zone).date()
        return datetime.combine(day, time(10, 30), tzinfo=zone)

    def banner(self, ready_seconds: float) -> str:
        creds = self.credentials
        path = self.credentials_path
        first = creds["tenants"][0]
        booking = json.dumps(
            {
                "customer": {"phone": "+14155550123", "name": "Ana López"},
                "starts_at": self.example_start().isoformat(),
                "location": first["name"],
            },
            ensure_ascii=False,
        )
        token_cmd = (
            f"TOKEN=$(python3 -c 'import json,sys; "
            f'print(json.load(open(sys.argv[1]))["tenants"][0]["booking_token"])\' {path})'
        )
        tenants = "\n".join(
            f"    {t['tenant_id']:<15} {t['name']:<15} {t['phone_number']:<14} {t['timezone']}"
            for t in creds["tenants"]
        )
        return f"""
Rendezvous local stack ready in {ready_seconds:.2f} s
  API (every route of template.yaml)  {self.api_url}
    the staff console                 {self.api_url}/console
      (sign in with a login under "users" in the credentials file)
  Twilio sandbox                      {self.sandbox_url}
    the phone (read and answer texts) {self.sandbox_url}/sandbox/phone
    the booking system's webhooks     {self.sandbox_url}/sandbox/webhooks
  AWS (moto, in memory)               {self.moto_url}
  credentials and tokens              {path}
  tenants:
{tenants}

Try:
  {token_cmd}
  curl -i -X PUT {self.api_url}/v1/appointments/demo-1 \\
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
    -d '{booking}'
  then open {self.sandbox_url}/sandbox/phone to see the confirmation, and
  curl {self.api_url}/_local/clock
  curl -X POST {self.api_url}/_local/clock/advance -d '{{"minutes": 2880}}'
    (moves the virtual clock two days; the reminders due on the way are sent)

State lives in memory: nothing survives a restart. Ctrl-C stops everything.
"""
