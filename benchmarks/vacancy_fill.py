"""Vacancy fill at scale (issue 14): 1,000 cancellations against a 5,000-entry waitlist.

In-process against moto made from template.yaml (the journaling TransactWriteItems patch,
and the Query patch that spares moto a sort of the whole table per Query). 5,000 entries
wait for one of ten services (one in ten for any); 1,000 appointments are booked through
the Appointments handler and cancelled by the booking system (DELETE) one to three days
ahead, each opening its slot. The simulation then runs every planned wave through the
vacancy filler's handler at its time, every text through the sender's handler, and the
takers' replies through the inbound webhook's handler: a deterministic three in ten of
those offered answer Y, 1 to 20 minutes later (some after the slot is taken).

The texts stop at the gateway (an in-memory SmsGateway: the Twilio sandbox is not needed
to count DynamoDB calls) and the reminder and wave schedules at the scheduler port (the
simulation fires them itself); every DynamoDB call (every table) is counted by
operation with a botocore `before-call` hook. Any Scan fails the run.

Time: every call is a moto request in this process (about 30 ms each on a loaded 2-core
machine); 1,000 cancellations take about 45 minutes there, 200 about 10. The figures are
per wave, offer and fill, so a shorter run against the full waitlist gives the same ones.

    python -m benchmarks.vacancy_fill [--entries 5000] [--cancellations 1000]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import sys
import time as wall
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import boto3

from infra.local.moto_patches import dynamodb_query
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Customer, OfferSendRequest, QuietHours, TextRequest
from rendezvous.domain.vacancy import OpeningStatus, WaitlistEntry
from tests.integration.test_twilio_inbound import inbound
from tests.support.aws import at, clinic, make_runtime, moto_stack
from tests.support.events import appointment_event, invoke, sample
from tests.support.memory import MemoryGateway, MemoryScheduler

SERVICES = tuple(f"service-{n}" for n in range(10))
REPLY_SHARE = 0.3
REPLY_MINUTES = (1, 20)
SEED = 14


class Phases:
    """DynamoDB calls by (phase, operation), from a botocore before-call hook."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.calls: Counter[tuple[str, str]] = Counter()
        self.invocations: Counter[str] = Counter()

    def __call__(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        if service == "dynamodb":
            self.calls[(self.phase, operation)] += 1

    def of(self, *phases: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for (phase, op), n in self.calls.items():
            if phase in phases:
                found[op] += n
        return found

    def relabel(self, source: str, target: str) -> None:
        """Move the calls counted under `source` to `target` (known only afterwards)."""
        for (phase, op), n in list(self.calls.items()):
            if phase == source:
                self.calls[(target, op)] += n
                del self.calls[(phase, op)]

    def scans(self) -> Counter[str]:
        return Counter({p: n for (p, op), n in self.calls.items() if op == "Scan"})


@dataclass
class Outbound:
    """The OutboundQueue port: what the services hand to the sender, sent by the loop."""

    handed: list[TextRequest] = field(default_factory=list)

    def enqueue(self, request: TextRequest) -> None:
        self.handed.append(request)


@dataclass(order=True)
class Due:
    at: datetime
    order: int
    kind: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False)


class Timeline:
    """What happens next, in virtual time: wave schedules, replies, cancellations."""

    def __init__(self) -> None:
        self._heap: list[Due] = []
        self._order = itertools.count()

    def add(self, when: datetime, kind: str, **payload: Any) -> None:
        heapq.heappush(self._heap, Due(when, next(self._order), kind, payload))

    def pop(self) -> Due | None:
        return heapq.heappop(self._heap) if self._heap else None


@dataclass
class Waves:
    """The WaveScheduler port as EventBridge Scheduler keeps it: one plan per name."""

    timeline: Timeline
    planned: set[tuple[str, str, int, bool]] = field(default_factory=set)

    def schedule_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        self._plan(tenant_id, opening_id, wave, at, soon=False)

    def hurry_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        self._plan(tenant_id, opening_id, wave, at, soon=True)

    def _plan(
        self, tenant_id: str, opening_id: str, wave: int, at: datetime, *, soon: bool
    ) -> None:
        if (tenant_id, opening_id, wave, soon) in self.planned:
            return
        self.planned.add((tenant_id, opening_id, wave, soon))
        self.timeline.add(at, "wave", tenant_id=tenant_id, opening_id=opening_id, wave=wave)


def entry_phone(n: int) -> str:
    return f"+1415555{n:04d}"


def booked_phone(n: int) -> str:
    return f"+1212555{n:04d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--cancellations", type=int, default=1000)
    args = parser.parse_args()
    started = wall.perf_counter()
    dynamodb_query.apply()
    phases = Phases()
    rng = random.Random(SEED)
    with moto_stack() as stack:
        boto3.setup_default_session(region_name="us-east-1")
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", phases)
        clock = FixedClock(at("2030-01-07T08:00:00-08:00"))
        runtime = make_runtime(stack, clock)
        timeline = Timeline()
        outbound, gateway = Outbound(), MemoryGateway()
        runtime.override(
            queue=outbound,
            gateway=gateway,
            scheduler=MemoryScheduler(),
            wave_scheduler=Waves(timeline),
        )
        # Never quiet and no daily cap in reach: the figures are the fill's, not the rules'.
        tenant = clinic(quiet_hours=QuietHours(start=time(0, 0), end=time(0, 0)), daily_cap=20)
        runtime.store().put_tenant(tenant)

        phases.phase = "seed waitlist"
        vacancies = runtime.vacancy_store()
        for n in range(args.entries):
            vacancies.put_entry(
                WaitlistEntry(
                    tenant_id=tenant.tenant_id,
                    entry_id=f"wl-{n:05d}",
                    customer=Customer(phone=entry_phone(n), name=f"Waiting {n}"),
                    service=None if n % 10 == 9 else SERVICES[n % len(SERVICES)],
                    listed_at=clock.now() - timedelta(days=30, minutes=-n),
                ),
                expected_version=None,
            )

        phases.phase = "book"
        first_cancel = clock.now() + timedelta(minutes=5)
        for n in range(args.cancellations):
            # A slot one to three days after its cancellation, within opening hours.
            cancel_at = first_cancel + timedelta(minutes=n)
            day = (cancel_at + timedelta(days=1 + n % 3)).date()
            starts = datetime.combine(day, time(9 + n % 8, 30 * (n % 2)), tzinfo=clock.now().tzinfo)
            body = {
                "customer": {"phone": booked_phone(n), "name": "Booked"},
                "starts_at": starts.isoformat(),
                "duration_minutes": 30,
                "service": SERVICES[n % len(SERVICES)],
            }
            event = appointment_event("PUT", f"appt-{n:04d}", body)
            answer = invoke("AppointmentsFunction", event)
            assert answer["statusCode"] == 201, answer
            timeline.add(cancel_at, "cancel", appointment_id=f"appt-{n:04d}")
        outbound.handed.clear()  # the bookings' confirmations: not the fill's

        sqs_record = sample("sqs_outbound.json")["Records"][0]
        sids = itertools.count(1)
        offered_at: dict[tuple[str, str], datetime] = {}
        counts: Counter[str] = Counter()

        def send_handed(phase: str) -> None:
            phases.phase = phase
            while outbound.handed:
                request = outbound.handed.pop(0)
                counts[f"handed {request.kind}"] += 1
                before = len(gateway.sent)
                record = {**sqs_record, "messageId": f"m-{next(sids)}"}
                record["body"] = request.model_dump_json()
                answer = invoke("MessageSenderFunction", {"Records": [record]})
                assert answer == {"batchItemFailures": []}, answer
                if len(gateway.sent) > before:
                    counts[f"texted {request.kind}"] += 1
                    if isinstance(request, OfferSendRequest) and request.kind == "offer":
                        plan_reply(request)

        def plan_reply(request: OfferSendRequest) -> None:
            key = (request.opening_id, request.entry_id)
            offered_at[key] = clock.now()
            if rng.random() < REPLY_SHARE:
                delay = timedelta(minutes=rng.randint(*REPLY_MINUTES))
                number = entry_phone(int(request.entry_id.removeprefix("wl-")))
                timeline.add(clock.now() + delay, "reply", phone=number)

        while (due := timeline.pop()) is not None:
            clock.set(max(due.at, clock.now()))
            if due.kind == "cancel":
                phases.phase = "cancel"
                event = appointment_event("DELETE", due.payload["appointment_id"])
                assert invoke("AppointmentsFunction", event)["statusCode"] == 200
                counts["cancellations"] += 1
                if counts["cancellations"] % 100 == 0:
                    elapsed = wall.perf_counter() - started
                    print(f"{counts['cancellations']} cancelled, {elapsed:.0f} s", file=sys.stderr)
                send_handed("send")
            elif due.kind == "wave":
                phases.phase = "wave"
                invoke("VacancyFillerFunction", due.payload)
                counts["waves run"] += 1
                send_handed("send offer")
            else:
                phases.phase = "reply"
                handed = len(outbound.handed)
                invoke(
                    "TwilioInboundFunction",
                    inbound("Y", sender=due.payload["phone"], sid=f"SM{next(sids):032x}"),
                )
                kinds = {r.kind for r in outbound.handed[handed:]}
                # A winning reply hands the winner's confirmation to the sender.
                outcome = "won" if "confirmation" in kinds else "other"
                counts[f"replies {outcome}"] += 1
                phases.relabel("reply", f"reply {outcome}")
                send_handed("send after reply")

        phases.phase = "report"
        statuses: Counter[str] = Counter()
        for n in range(args.cancellations):
            found = runtime.store().get_appointment(tenant.tenant_id, f"appt-{n:04d}")
            assert found is not None
            opening_id = f"op-appt-{n:04d}-v{found[0].version}"
            detail = vacancies.get_opening(tenant.tenant_id, opening_id)
            statuses[detail.opening.status.value if detail else "none"] += 1
    report(args, phases, counts, statuses, wall.perf_counter() - started)
    return 1 if phases.scans() else 0


def per(calls: Counter[str], count: int) -> str:
    total = sum(calls.values())
    detail = ", ".join(f"{op} {n / max(count, 1):.2f}" for op, n in sorted(calls.items()) if n)
    return f"{total / max(count, 1):6.2f}  ({detail})"


def report(
    args: argparse.Namespace,
    phases: Phases,
    counts: Counter[str],
    statuses: Counter[str],
    seconds: float,
) -> None:
    filled = statuses[OpeningStatus.FILLED.value]
    offers = counts["texted offer"]
    waves = counts["waves run"]
    print(
        f"{args.cancellations} cancellations against a {args.entries}-entry waitlist "
        f"({len(SERVICES)} services, 1 in 10 entries any service); {REPLY_SHARE:.0%} of "
        f"those offered reply Y {REPLY_MINUTES[0]}-{REPLY_MINUTES[1]} min later"
    )
    print("texts stop at an in-memory gateway; DynamoDB is moto, every call counted\n")
    print(f"openings by status at the end: {dict(sorted(statuses.items()))}")
    print(
        f"waves run {waves}; offers handed to the sender {counts['handed offer']}, texted "
        f"{offers}; replies Y: {counts['replies won']} won, {counts['replies other']} did not "
        "(the slot was taken, or the number held no open offer by then)"
    )
    print(
        f"texts: {counts['texted offer']} offers, {counts['texted offer_taken']} 'just taken', "
        f"{counts['texted confirmation']} confirmations"
    )
    print(f"\noffers texted per filled slot: {offers / max(filled, 1):.2f}")
    print("\nDynamoDB calls (per unit, by operation):")
    wave_calls = phases.of("wave")
    offer_send = phases.of("send offer")
    print(f"  per wave run (filler)             {per(wave_calls, waves)}")
    print(f"  per offer: its share of waves     {per(wave_calls, offers)}")
    print(f"  per offer: the sender             {per(offer_send, offers)}")
    print(f"  per offer, all                    {per(wave_calls + offer_send, offers)}")
    won = phases.of("reply won")
    confirmation = phases.of("send after reply")
    print(f"  per fill: the winning Y           {per(won, filled)}")
    other = phases.of("reply other")
    print(f"  per Y that did not win            {per(other, counts['replies other'])}")
    print(f"  texts after Ys, per fill          {per(confirmation, filled)}")
    print("    (the winner's confirmation and the 'just taken' texts, through the sender)")
    cancel = phases.of("cancel")
    print(f"  per cancellation (DELETE)         {per(cancel, counts['cancellations'])}")
    after_seed = phases.of(
        "cancel", "send", "wave", "send offer", "reply won", "reply other", "send after reply"
    )
    print(f"  per fill, all after the bookings  {per(after_seed, filled)}")
    scans = phases.scans()
    print(f"\nScan calls: {sum(scans.values())}" + (f" FAIL {dict(scans)}" if scans else ""))
    print(f"run time {seconds:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
