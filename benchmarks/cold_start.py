"""Cold start as Lambda starts: each handler's import and first request, against `import boto3`.

Lambda's /opt and /var/task are read-only, so Python cannot cache bytecode there: a module
shipped without its .pyc is compiled again on every cold start. The functions and the layer
are built with the Makefile targets `sam build` runs (benchmarks/artifacts.py), and every
figure is taken in two conditions:

- no bytecode: the build with every .pyc removed (the standard library keeps its own, as
  Lambda's does), which is what a layer shipped as sources costs;
- shipped bytecode: the build as it is, every module compiled (unchecked-hash .pyc).

Neither may write a cache (`-B`), as on Lambda. Each sample is a fresh interpreter with
only the function, the layer and the runtime's boto3 on its path (`-S -E`, no site-packages
of this machine): it times `import app`, then one representative request from events/
against moto and the Twilio sandbox on loopback, which includes making the boto3 clients.
`import boto3` is timed in the same conditions just before each handler sample, so a noisy
moment hits both alike; medians are reported, with each figure's ratio to its paired
`import boto3` (the median of the ratios). The interpreter is this machine's (Lambda runs
python3.13), so ratios carry over better than milliseconds.

    python -m benchmarks.cold_start [--rounds 15]
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from benchmarks.artifacts import Artifacts, bare_python, build
from infra.template import REGION, LocalStack, load_template

CHILD = r"""
import json, sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
{statement}
imported = (time.perf_counter() - start) * 1000
first = None
if {event!r}:
    from types import SimpleNamespace
    with open({event!r}) as f:
        event = json.load(f)
    context = SimpleNamespace(
        function_name={function!r}, function_version="$LATEST", memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:" + {function!r},
        aws_request_id="cold-start", log_group_name="/aws/lambda/bench", log_stream_name="x",
        get_remaining_time_in_millis=lambda: 60_000,
    )
    start = time.perf_counter()
    response = app.lambda_handler(event, context)
    first = (time.perf_counter() - start) * 1000
    with open({event!r} + ".out", "w") as f:
        json.dump(response, f)
print("COLD-START " + json.dumps({{"import": imported, "first": first}}))
"""

ACCOUNT_SID = "AC" + "0" * 31 + "2"
AUTH_TOKEN = "cold-start-benchmark-token"  # noqa: S105 - a local sandbox's, not a secret
# The discard port: signatures are checked against it, and the sandbox's status callbacks
# to it are refused at once (the benchmark posts its own).
PUBLIC_BASE_URL = "http://127.0.0.1:9"
TENANT_ID = "bench-clinic"
TENANT_NUMBER = "+14155550100"
MODES = {"no bytecode": "source", "shipped bytecode": "compiled"}
EVENTS = Path(__file__).resolve().parent.parent / "events"


def sample_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


@dataclass
class Bench:
    """moto and the Twilio sandbox on loopback, provisioned from the template."""

    stack: LocalStack
    env: dict[str, str]
    twilio: Any
    sqs: Any


@contextmanager
def local_services() -> Iterator[Bench]:
    from moto.server import ThreadedMotoServer

    # moto logs every request it serves; the sandbox, each refused status callback.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("rendezvous.sandbox").setLevel(logging.ERROR)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    aws_env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        # Nothing from ~/.aws may point a sample at a real account.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(aws_env)
    try:
        import boto3
        from twilio.rest import Client

        from infra.local.sandbox import SandboxConfig, SandboxServer
        from infra.template import provision

        template = load_template()
        given = {
            "TwilioAccountSid": ACCOUNT_SID,
            "PublicBaseUrl": PUBLIC_BASE_URL,
            "EnableTracing": "false",
        }
        parameters = {
            name: given.get(name, str(spec.get("Default", "")))
            for name, spec in template["Parameters"].items()
        }
        stack = provision(boto3, parameters=parameters, twilio_auth_token=AUTH_TOKEN)
        _seed_tenant(stack)
        with SandboxServer(SandboxConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)) as sb:
            twilio = Client(ACCOUNT_SID, AUTH_TOKEN)
            twilio.api.base_url = sb.base_url
            env = {**aws_env, "TWILIO_API_BASE_URL": sb.base_url}
            yield Bench(stack, env, twilio, boto3.client("sqs"))
    finally:
        moto.stop()


def _seed_tenant(stack: LocalStack) -> None:
    import boto3

    from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
    from rendezvous.domain.models import OpeningHours, QuietHours, Tenant

    table = stack.resolver.ref("DataTable")
    # Never quiet, so every sample's confirmation is sent whatever the hour; each sample
    # texts its own number, so the daily cap is never reached.
    tenant = Tenant(
        tenant_id=TENANT_ID,
        name="Bench Clinic",
        phone_number=TENANT_NUMBER,
        timezone="America/Los_Angeles",
        contact=TENANT_NUMBER,
        quiet_hours=QuietHours(start=time(0, 0), end=time(0, 0)),
        opening_hours=OpeningHours(),
        reminder_offsets_minutes=(2880, 120),
        daily_cap=3,
    )
    DynamoAppointmentStore(boto3.client("dynamodb"), table).put_tenant(tenant)


def _signed(event: dict[str, Any], form: dict[str, str], url: str) -> dict[str, Any]:
    from twilio.request_validator import RequestValidator

    event["headers"]["x-twilio-signature"] = RequestValidator(AUTH_TOKEN).compute_signature(
        url, form
    )
    event["body"] = base64.b64encode(urlencode(form).encode()).decode()
    event["isBase64Encoded"] = True
    return event


def _http_get(path: str) -> dict[str, Any]:
    event = sample_event("staff_claim.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["routeKey"] = event["requestContext"]["routeKey"] = f"GET {path}"
    event["requestContext"]["http"]["method"] = "GET"
    event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"] = TENANT_ID
    event["pathParameters"] = {}
    event.pop("body", None)
    return event


class Scenario:
    """One representative request per function; each sample gets its own appointment."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.n = 0

    def phone(self) -> str:
        return f"+1415555{self.n:04d}"

    def appointment(self) -> str:
        return f"cold-start-{self.n}"

    def events(self) -> dict[str, Callable[[], dict[str, Any]]]:
        """In the order of one round: each may rely on what the earlier ones did."""
        return {
            "AppointmentsFunction": self.book,
            "MessageSenderFunction": self.confirmation,
            "TwilioStatusFunction": self.delivered,
            "TwilioInboundFunction": self.question,
            "StaffApiFunction": lambda: _http_get("/v1/queue"),
            "QueueWatcherFunction": dict,
            "ConsoleFunction": lambda: _http_get("/console"),
            # Last: it cancels the round's appointment, which queues nothing.
            "IntegrationsFunction": self.fhir_cancel,
        }

    def book(self) -> dict[str, Any]:
        self.n += 1
        event = sample_event("appointments_put.json")
        path = f"/v1/appointments/{self.appointment()}"
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["pathParameters"] = {"appointment_id": self.appointment()}
        event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"] = TENANT_ID
        body = json.loads(event["body"])
        body["customer"]["phone"] = self.phone()
        event["body"] = json.dumps(body)
        return event

    def fhir_cancel(self) -> dict[str, Any]:
        """A FHIR R4 Appointment PUT that cancels the round's booking: the FHIR models'
        import and validation, and the appointment service, on the first request."""
        event = sample_event("integrations_fhir_put.json")
        path = f"/fhir/r4/Appointment/{self.appointment()}"
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["pathParameters"] = {"appointment_id": self.appointment()}
        event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"] = TENANT_ID
        resource = json.loads(event["body"])
        resource.update(id=self.appointment(), status="cancelled")
        resource["contained"][0]["telecom"][0]["value"] = self.phone()
        event["body"] = json.dumps(resource)
        return event

    def confirmation(self) -> dict[str, Any]:
        """The confirmation the booking just queued, as SQS hands it to the sender."""
        url = self.bench.stack.queue_urls["OutboundQueue"]
        got = self.bench.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if len(messages) != 1:
            raise SystemExit(f"expected the booking's one confirmation, found {len(messages)}")
        self.bench.sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        event = sample_event("sqs_outbound.json")
        event["Records"][0]["body"] = messages[0]["Body"]
        return event

    def delivered(self) -> dict[str, Any]:
        """Twilio's `delivered` callback for the confirmation the sender just sent."""
        sent = self.bench.twilio.messages.list(to=self.phone(), limit=1)
        if not sent:
            raise SystemExit(f"the sender sent nothing to {self.phone()}")
        # The reference the sender put on the text's callback URL (status_callback_ref).
        raw = "\x1f".join([TENANT_ID, self.appointment(), "confirmation", "1"])
        ref = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        event = sample_event("twilio_status.json")
        event["rawQueryString"] = f"ref={ref}"
        event["queryStringParameters"] = {"ref": ref}
        form = dict(parse_qsl(base64.b64decode(event["body"]).decode()))
        form.update(
            AccountSid=ACCOUNT_SID,
            MessageSid=sent[0].sid,
            SmsSid=sent[0].sid,
            From=TENANT_NUMBER,
            To=self.phone(),
        )
        return _signed(event, form, f"{PUBLIC_BASE_URL}/twilio/status?ref={ref}")

    def question(self) -> dict[str, Any]:
        """The customer answers with a question: it is acknowledged and queued for staff."""
        event = sample_event("twilio_inbound.json")
        form = dict(parse_qsl(base64.b64decode(event["body"]).decode()))
        sid = f"SM{self.n:032x}"
        form.update(
            AccountSid=ACCOUNT_SID,
            MessageSid=sid,
            SmsMessageSid=sid,
            SmsSid=sid,
            From=self.phone(),
            To=TENANT_NUMBER,
        )
        return _signed(event, form, f"{PUBLIC_BASE_URL}/twilio/inbound")


def _answered(function: str, response: Any) -> bool:
    """Whether the request did its work: an error would make its timing meaningless."""
    if function == "MessageSenderFunction":
        return isinstance(response, dict) and response.get("batchItemFailures") == []
    if function == "QueueWatcherFunction":
        return isinstance(response, dict) and "depth" in response
    return isinstance(response, dict) and response.get("statusCode") in (200, 201, 204)


class Sampler:
    def __init__(self, artifacts: dict[str, Artifacts], bench: Bench, work: Path) -> None:
        self.artifacts = artifacts
        self.work = work
        template = load_template()
        declared = template["Globals"]["Function"]["Environment"]["Variables"]
        self.base_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **{k: v for k, v in declared.items() if isinstance(v, str)},
            **bench.env,
        }
        self.stack = bench.stack
        self.python = bare_python()

    def run(
        self, mode: str, function: str | None, statement: str, event: dict[str, Any] | None
    ) -> dict[str, float | None]:
        paths = [str(p) for p in self.artifacts[mode].path_for(function)]
        env = dict(self.base_env)
        event_file = ""
        if function is not None:
            # As deployed with the defaults (tracing off), pointed at moto and the sandbox.
            env.update(self.stack.function_environment(function))
        if event is not None:
            event_file = str(self.work / "event.json")
            Path(event_file).write_text(json.dumps(event))
        code = CHILD.format(
            paths=paths, statement=statement, event=event_file, function=function or ""
        )
        out = subprocess.run(
            [self.python, "-S", "-E", "-B", "-c", code],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        lines = [x for x in out.stdout.splitlines() if x.startswith("COLD-START ")]
        if out.returncode != 0 or not lines:
            raise SystemExit(f"{function or statement} ({mode}) failed:\n{out.stderr[-3000:]}")
        if function is not None and event is not None:
            response = json.loads(Path(event_file + ".out").read_text())
            if not _answered(function, response):
                raise SystemExit(f"{function} ({mode}) answered {json.dumps(response)[:500]}")
        result: dict[str, float | None] = json.loads(lines[-1].removeprefix("COLD-START "))
        return result


def measure(rounds: int, work: Path) -> dict[str, dict[str, dict[str, list[float]]]]:
    """mode -> function -> figure (boto3, import, first) -> one sample per round."""
    compiled = build(work / "compiled")
    artifacts = {"compiled": compiled, "source": compiled.without_bytecode(work / "source")}
    samples: dict[str, dict[str, dict[str, list[float]]]] = {mode: {} for mode in artifacts}
    with local_services() as bench:
        sampler = Sampler(artifacts, bench, work)
        scenario = Scenario(bench)
        # Round 0 is a warm-up (the page cache, moto's first tables), not counted.
        for round_no in range(rounds + 1):
            for mode in artifacts:
                for function, make_event in scenario.events().items():
                    # Each handler sample is paired with an `import boto3` taken just
                    # before it: their ratio holds when the machine's speed drifts.
                    boto3 = sampler.run(mode, None, "import boto3", None)
                    got = sampler.run(mode, function, "import app", make_event())
                    if round_no:
                        figures = samples[mode].setdefault(function, {})
                        figures.setdefault("boto3", []).append(float(boto3["import"] or 0))
                        figures.setdefault("import", []).append(float(got["import"] or 0))
                        figures.setdefault("first", []).append(float(got["first"] or 0))
    return samples


def report(rounds: int, samples: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    lines = [
        f"cold start, {rounds} rounds of fresh interpreters; ms are medians, x the median of",
        "each sample's ratio to an `import boto3` taken just before it, in the same condition",
        f"interpreter: Python {sys.version.split()[0]} (Lambda runs 3.13)",
    ]
    for label, mode in MODES.items():
        taken = samples[mode]
        boto3 = statistics.median(b for figures in taken.values() for b in figures["boto3"])
        lines += [
            "",
            f"{label}: import boto3 {boto3:.1f} ms",
            f"{'function':<24}{'import ms':>10}{'x':>6}{'first req ms':>14}{'x':>6}"
            f"{'both ms':>9}{'x':>6}",
        ]
        for function, figures in taken.items():
            both_ms = [i + f for i, f in zip(figures["import"], figures["first"], strict=True)]
            cells = []
            for values in (figures["import"], figures["first"], both_ms):
                ratios = [v / b for v, b in zip(values, figures["boto3"], strict=True)]
                cells.append((statistics.median(values), statistics.median(ratios)))
            (imp, imp_x), (first, first_x), (both, both_x) = cells
            lines.append(
                f"{function:<24}{imp:>10.1f}{imp_x:>6.2f}{first:>14.1f}{first_x:>6.2f}"
                f"{both:>9.1f}{both_x:>6.2f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as work:
        samples = measure(args.rounds, Path(work))
    print(report(args.rounds, samples))


if __name__ == "__main__":
    main()
