"""DynamoDB calls per action that reports a webhook event (issue 11's outbox).

Each action runs once through its real handler (Twilio's inbound and status webhooks, the
Appointments and Staff APIs, the sender on an SQS-shaped event) against moto made from
template.yaml, the Twilio sandbox on 127.0.0.1 for the sender; every DynamoDB call
(all tables: the data table and Powertools' idempotency records) is counted with a
botocore `before-call` hook, by operation. Run on a tree without the outbox to compare.

    python -m benchmarks.dynamodb_calls_per_action
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3

from infra.local.sandbox import SandboxConfig, SandboxServer
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.identity import status_callback_ref
from rendezvous.domain.models import MessageStatus
from tests.integration.test_twilio_inbound import inbound
from tests.integration.test_twilio_status import callback
from tests.support.aws import ACCOUNT_SID, AUTH_TOKEN, at, clinic, make_runtime, moto_stack
from tests.support.events import appointment_event, invoke, sample, staff_event


class DynamoCalls:
    def __init__(self) -> None:
        self.counting = False
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        if self.counting and service == "dynamodb":
            self.calls[operation] += 1

    def measure(self, action: Callable[[], object]) -> Counter[str]:
        self.calls, self.counting = Counter(), True
        try:
            action()
        finally:
            self.counting = False
        return self.calls


def main() -> None:
    counter = DynamoCalls()
    results: dict[str, Counter[str]] = {}
    with (
        moto_stack() as stack,
        SandboxServer(SandboxConfig(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)) as sandbox,
    ):
        boto3.setup_default_session(region_name="us-east-1")
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", counter)
        clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
        runtime = make_runtime(stack, clock, twilio_api_base_url=sandbox.base_url)
        store = runtime.store()
        store.put_tenant(clinic())
        sqs = boto3.client("sqs")
        outbound = runtime.settings.outbound_queue_url
        sids = iter(range(1, 1000))

        def text(body: str, phone: str) -> object:
            return invoke(
                "TwilioInboundFunction", inbound(body, sender=phone, sid=f"SM{next(sids):032x}")
            )

        def book(appointment_id: str, phone: str) -> None:
            event = appointment_event(
                "PUT",
                appointment_id,
                {
                    "customer": {"phone": phone, "name": "Ana López"},
                    "starts_at": "2030-01-15T10:30:00-08:00",
                },
            )
            assert invoke("AppointmentsFunction", event)["statusCode"] == 201

        def queued_confirmation(appointment_id: str) -> dict[str, Any]:
            while got := sqs.receive_message(QueueUrl=outbound, MaxNumberOfMessages=10).get(
                "Messages"
            ):
                for m in got:
                    sqs.delete_message(QueueUrl=outbound, ReceiptHandle=m["ReceiptHandle"])
                    if json.loads(m["Body"])["appointment_id"] == appointment_id:
                        return dict(m)
            raise AssertionError(f"no confirmation queued for {appointment_id}")

        def send(message: dict[str, Any]) -> object:
            record = sample("sqs_outbound.json")["Records"][0]
            record = {**record, "messageId": message["MessageId"], "body": message["Body"]}
            return invoke("MessageSenderFunction", {"Records": [record]})

        def sent_ref(appointment_id: str) -> str:
            found = store.get_appointment("clinic-1", appointment_id)
            assert found is not None
            message = next(m for m in found[1] if m.kind == "confirmation")
            store.update_message(message, status=MessageStatus.QUEUED, now=clock.now(), sid="SM1")
            return status_callback_ref(message)

        def staff(method: str, path: str, **kwargs: Any) -> Any:
            return invoke("StaffApiFunction", staff_event(method, path, **kwargs))

        book("a-confirm", "+14155550101")
        results["C: appointment.confirmed"] = counter.measure(lambda: text("C", "+14155550101"))
        book("a-cancel", "+14155550102")
        results["X: appointment.cancelled (customer) + queue.item_opened"] = counter.measure(
            lambda: text("X", "+14155550102")
        )
        book("a-delete", "+14155550103")
        results["DELETE: appointment.cancelled (booking)"] = counter.measure(
            lambda: invoke("AppointmentsFunction", appointment_event("DELETE", "a-delete"))
        )
        book("a-resched", "+14155550104")
        results["R: queue.item_opened + reschedule_requested"] = counter.measure(
            lambda: text("R", "+14155550104")
        )
        results["question: queue.item_opened"] = counter.measure(
            lambda: text("Can I bring my dog?", "+14155550105")
        )
        results["STOP: recipient.opted_out"] = counter.measure(lambda: text("STOP", "+14155550106"))
        results["START: recipient.opted_in"] = counter.measure(
            lambda: text("START", "+14155550106")
        )
        book("a-delivered", "+14155550107")
        ref = sent_ref("a-delivered")
        results["status delivered: message.delivered"] = counter.measure(
            lambda: invoke("TwilioStatusFunction", callback(ref, "delivered", to="+14155550107"))
        )
        book("a-carrier", "+14155550108")
        ref2 = sent_ref("a-carrier")
        results["status 21610: message.failed + recipient.opted_out"] = counter.measure(
            lambda: invoke(
                "TwilioStatusFunction",
                callback(ref2, "undelivered", error_code="21610", to="+14155550108"),
            )
        )
        book("a-suppressed", "+14155550109")
        text("STOP", "+14155550109")
        suppressed = queued_confirmation("a-suppressed")
        results["send to an opted-out number: message.suppressed"] = counter.measure(
            lambda: send(suppressed)
        )
        book("a-refused", "+15005550001")  # Twilio's invalid number: 21211
        refused = queued_confirmation("a-refused")
        results["send Twilio refuses: message.failed"] = counter.measure(lambda: send(refused))
        text("Question for a person", "+14155550110")
        page = json.loads(staff("GET", "/v1/queue", query={"status": "open"})["body"])
        item = next(i for i in page["items"] if i["phone"] == "+14155550110")["item_id"]
        staff("POST", f"/v1/queue/{item}/claim")
        results["resolve: queue.item_resolved"] = counter.measure(
            lambda: staff("POST", f"/v1/queue/{item}/resolve")
        )

    width = max(len(k) for k in results)
    for action, calls in results.items():
        detail = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
        print(f"{action:<{width}}  {sum(calls.values()):>2}  ({detail})")


if __name__ == "__main__":
    main()
