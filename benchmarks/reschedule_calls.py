"""DynamoDB calls of R with free slots (issue 14): R with no fitting opening, R with three
(out of 30 open, of three services), the digit that moves the appointment, and a digit
that lost its slot. Through the real inbound handler against moto made from
template.yaml; every DynamoDB call counted by operation with a botocore `before-call`
hook, so a Scan would show (it must not).

    python -m benchmarks.reschedule_calls
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import boto3

from benchmarks.dynamodb_calls_per_action import DynamoCalls
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.vacancy import Opening, OpeningSource, OpeningStatus
from tests.integration.test_twilio_inbound import inbound
from tests.support.aws import at, clinic, make_runtime, moto_stack
from tests.support.events import appointment_event, invoke

SERVICES = ("Cleaning", "Whitening", "Checkup")


def main() -> None:
    counter = DynamoCalls()
    results: dict[str, Counter[str]] = {}
    with moto_stack() as stack:
        boto3.setup_default_session(region_name="us-east-1")
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", counter)
        clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
        runtime = make_runtime(stack, clock)
        runtime.store().put_tenant(clinic())
        vacancies = runtime.vacancy_store()
        sids = iter(range(1, 1000))

        def text(body: str, phone: str) -> object:
            return invoke(
                "TwilioInboundFunction", inbound(body, sender=phone, sid=f"SM{next(sids):032x}")
            )

        def book(appointment_id: str, phone: str, service: str) -> None:
            body = {
                "customer": {"phone": phone, "name": "Ana López"},
                "starts_at": "2030-01-15T10:30:00-08:00",
                "service": service,
            }
            event = appointment_event("PUT", appointment_id, body)
            assert invoke("AppointmentsFunction", event)["statusCode"] == 201

        start = at("2030-01-11T09:00:00-08:00")
        for n in range(30):
            vacancies.create_opening(
                Opening(
                    tenant_id="clinic-1",
                    opening_id=f"op-{n}",
                    starts_at=start + timedelta(hours=5 * n),
                    service=SERVICES[n % 3],
                    source=OpeningSource.BOOKING,
                    created_at=clock.now(),
                )
            )

        book("a-none", "+14155550201", "Massage")
        results["R, no fitting opening: to a person"] = counter.measure(
            lambda: text("R", "+14155550201")
        )
        book("a-three", "+14155550202", "Cleaning")
        results["R, 3 of 10 fitting openings offered"] = counter.measure(
            lambda: text("R", "+14155550202")
        )
        clock.advance(minutes=3)
        results["digit: the appointment moves, old slot opens"] = counter.measure(
            lambda: text("2", "+14155550202")
        )
        book("a-lost", "+14155550203", "Whitening")
        text("R", "+14155550203")
        detail = vacancies.get_opening("clinic-1", "op-1")
        assert detail is not None
        taken = detail.opening.model_copy(
            update={"status": OpeningStatus.FILLED, "version": detail.opening.version + 1}
        )
        vacancies.save_opening(taken, expected_version=detail.opening.version)
        results["digit that lost its slot: just taken + options"] = counter.measure(
            lambda: text("1", "+14155550203")
        )

    width = max(len(k) for k in results)
    for action, calls in results.items():
        detail_text = ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))
        print(f"{action:<{width}}  {sum(calls.values()):>2}  ({detail_text})")
    scans = sum(calls["Scan"] for calls in results.values())
    print(f"Scan calls: {scans}")


if __name__ == "__main__":
    main()
