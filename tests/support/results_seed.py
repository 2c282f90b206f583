"""A small tenant's two days for GET /v1/stats' results, with every figure worked out by
hand (EXPECTED_*), so the memory and the moto tests pin the same arithmetic.

The period is GET /v1/stats?days=2 at NOW: [2030-01-08T17:00Z, 2030-01-10T17:00Z), which
touches three UTC days (the reads) and, in the tenant's Los Angeles (UTC-8 in January: 09:00
on the 8th to 09:00 on the 10th), three local dates (the daily rows). Times below are UTC;
"local" marks the ones whose local date is the UTC day before. The tenant prices a segment
at 0.01 EUR; its fill notice is the default 120 minutes.

Texts (kind, status, segments, variant, sent at):
  t1/confirmation  delivered    1  ex1/plain  01-08 18:00
  t2/confirmation  delivered    2  ex1/cost   01-09 05:00   (local 01-08 21:00)
  t3/confirmation  undelivered  1  ex1/cost   01-09 10:00
  t1/reminder_24h  sent         1  -          01-09 13:00
  t2/reminder_24h  failed       -  -          01-10 08:00   (failed: no segments billed)
  t3/reminder_24h  suppressed   1  -          01-10 09:00   (not counted)
  op-1/wl-1/offer  delivered    3  -          01-10 09:30   (an offer's text)
  t4/confirmation  planned      -  -          01-10 16:00   (not counted)
  t4/reminder_72h  delivered    1  -          01-08 16:00   (before the period)
Customers' texts (intent, appointment found, answered kind / variant, at):
  r0 confirm  t1   confirmation / ex1/plain  01-08 16:30  (before the period, on its first date)
  r1 confirm  t1   confirmation / ex1/plain  01-08 19:00
  r2 confirm  -    confirmation / ex1/cost   01-09 11:00  (found nothing: not a confirmation)
  r3 opt_out  -    reminder_24h / -          01-10 03:00  (local 01-09 19:00)
  r4 help     -    - / -                     01-10 10:00
  r5 closing  -    moved / ex0/old           01-10 11:00  (its text was before the period)
  r6 confirm  t1   confirmation / ex1/plain  01-09 06:00  (local 01-08 22:00; t1 again: still
                                                           one confirmation, that day too)
Appointments (start, confirmed, cancelled, outcome, cadence):
  p0 01-08 16:00  before the period
  p1 01-08 18:00  confirmed                       attended   72h+24h
  p2 01-09 10:00                                  no_show    72h+24h
  p3 01-09 16:00  cancelled 3 h ahead (>= 120 min)           24h
  p4 01-10 09:00  cancelled 1 h ahead             late_cancel 24h
  p5 01-10 12:00  confirmed                                  (none recorded: unknown)
  p6 01-10 18:00  after the period
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Customer,
    MessageRecord,
    MessageStatus,
    OfferText,
    Tenant,
)
from rendezvous.phone import recipient_key

NOW = datetime(2030, 1, 10, 17, 0, tzinfo=UTC)
DAYS = 2
TENANT_ID = "clinic-1"


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 1, day, hour, minute, tzinfo=UTC)


def priced(tenant: Tenant) -> Tenant:
    return tenant.model_copy(update={"segment_price": 0.01, "currency": "EUR"})


@dataclass(frozen=True)
class Period:
    appointments: list[tuple[Appointment, list[MessageRecord]]]
    offer_texts: list[OfferText]
    entries: list[ActivityEntry]


def _appointment(appointment_id: str, starts_at: datetime, **fields: Any) -> Appointment:
    return Appointment(
        tenant_id=TENANT_ID,
        appointment_id=appointment_id,
        customer=Customer(phone=f"+14155550{ord(appointment_id[-1]) + 100}", name="Ana"),
        starts_at=starts_at,
        created_at=_at(1, 9),
        updated_at=_at(1, 9),
        **fields,
    )


def _text(
    appointment_id: str,
    kind: str,
    status: MessageStatus,
    send_at: datetime,
    segments: int | None = None,
    variant: str | None = None,
) -> MessageRecord:
    return MessageRecord(
        tenant_id=TENANT_ID,
        appointment_id=appointment_id,
        kind=kind,
        version=1,
        status=status,
        send_at=send_at,
        segments=segments,
        variant=variant,
        created_at=_at(1, 9),
        updated_at=send_at,
    )


def _reply(
    at: datetime,
    intent: Intent,
    appointment_id: str | None = None,
    kind: str | None = None,
    variant: str | None = None,
) -> ActivityEntry:
    return ActivityEntry(
        event=ActivityEvent.TEXT_RECEIVED,
        actor="customer",
        at=at,
        intent=intent,
        appointment_id=appointment_id,
        answered_kind=kind,
        answered_variant=variant,
    )


def period() -> Period:
    later = _at(20, 10)  # the texts' appointments start after the period: not in the cohort
    texts = {
        "t1": [
            _text("t1", "confirmation", MessageStatus.DELIVERED, _at(8, 18), 1, "ex1/plain"),
            _text("t1", "reminder_24h", MessageStatus.SENT, _at(9, 13), 1),
        ],
        "t2": [
            _text("t2", "confirmation", MessageStatus.DELIVERED, _at(9, 5), 2, "ex1/cost"),
            _text("t2", "reminder_24h", MessageStatus.FAILED, _at(10, 8)),
        ],
        "t3": [
            _text("t3", "confirmation", MessageStatus.UNDELIVERED, _at(9, 10), 1, "ex1/cost"),
            _text("t3", "reminder_24h", MessageStatus.SUPPRESSED, _at(10, 9), 1),
        ],
        "t4": [
            _text("t4", "confirmation", MessageStatus.PLANNED, _at(10, 16)),
            _text("t4", "reminder_72h", MessageStatus.DELIVERED, _at(8, 16), 1),
        ],
    }
    cancelled = {"status": AppointmentStatus.CANCELLED, "cancelled_by": "staff"}
    cohort = [
        _appointment("p0", _at(8, 16), confirmed_at=_at(7, 9), cadence="24h"),
        _appointment(
            "p1",
            _at(8, 18),
            confirmed_at=_at(7, 9),
            outcome=AppointmentOutcome.ATTENDED,
            outcome_at=_at(8, 19),
            cadence="72h+24h",
        ),
        _appointment(
            "p2",
            _at(9, 10),
            outcome=AppointmentOutcome.NO_SHOW,
            outcome_at=_at(9, 11),
            cadence="72h+24h",
        ),
        _appointment("p3", _at(9, 16), cancelled_at=_at(9, 13), cadence="24h", **cancelled),
        _appointment(
            "p4",
            _at(10, 9),
            cancelled_at=_at(10, 8),
            outcome=AppointmentOutcome.LATE_CANCEL,
            outcome_at=_at(10, 9),
            cadence="24h",
            **cancelled,
        ),
        _appointment("p5", _at(10, 12), confirmed_at=_at(9, 9)),
        _appointment("p6", _at(10, 18), cadence="24h"),
    ]
    offer = OfferText(
        tenant_id=TENANT_ID,
        kind="offer",
        status=MessageStatus.DELIVERED,
        send_at=_at(10, 9, 30),
        segments=3,
        opening_id="op-1",
        entry_id="wl-1",
        recipient_key=recipient_key(TENANT_ID, "+14155550999"),
        created_at=_at(10, 9, 30),
        updated_at=_at(10, 9, 30),
    )
    entries = [
        _reply(_at(8, 16, 30), Intent.CONFIRM, "t1", "confirmation", "ex1/plain"),
        _reply(_at(8, 19), Intent.CONFIRM, "t1", "confirmation", "ex1/plain"),
        _reply(_at(9, 11), Intent.CONFIRM, None, "confirmation", "ex1/cost"),
        _reply(_at(10, 3), Intent.OPT_OUT, None, "reminder_24h"),
        _reply(_at(10, 10), Intent.HELP),
        _reply(_at(10, 11), Intent.CLOSING, None, "moved", "ex0/old"),
        _reply(_at(9, 6), Intent.CONFIRM, "t1", "confirmation", "ex1/plain"),
        ActivityEntry(event=ActivityEvent.PAUSE, actor="staff-maria", at=_at(9, 12)),
    ]
    return Period(
        appointments=[
            *((_appointment(a, later), records) for a, records in texts.items()),
            *((a, []) for a in cohort),
        ],
        offer_texts=[offer],
        entries=entries,
    )


def _group(key: str, *figures: Any) -> dict[str, Any]:
    names = [
        "sent",
        "delivered",
        "failed",
        "delivery_rate",
        "segments",
        "cost",
        "replies",
        "reply_rate",
        "confirmations",
        "confirmation_rate",
        "opt_outs",
        "opt_outs_per_1000",
    ]
    return {"key": key, **dict(zip(names, figures, strict=True))}


def _cohort(key: str, *figures: Any) -> dict[str, Any]:
    names = [
        "appointments",
        "confirmed",
        "confirmation_rate",
        "cancelled_ahead",
        "cancelled_ahead_rate",
        "with_outcome",
        "attended",
        "no_show",
        "late_cancel",
        "no_show_rate",
    ]
    return {"key": key, **dict(zip(names, figures, strict=True))}


def _day(day: str, *figures: int) -> dict[str, Any]:
    names = ["sent", "delivered", "replies", "confirmations", "opt_outs"]
    return {"day": day, **dict(zip(names, figures, strict=True))}


# Sent: t1/c, t2/c, t3/c (undelivered still went), t1/r, the offer = 5; delivered 3; failed:
# t3/c (undelivered) and t2/r = 2. Segments of the sent: 1 + 2 + 1 + 1 + 3 = 8, at 0.01.
# Replies r1..r6 = 6; confirmations: t1 (r1, and r6 again: one appointment), r2 found no
# appointment; opt-outs r3.
EXPECTED_TEXTS = _group("all", 5, 3, 2, 0.6, 8, 0.08, 6, 1.2, 1, 0.2, 1, 200.0)
EXPECTED_BY_KIND = [
    # 3 sent, 2 delivered, t3/c failed; r1, r2 and r6 answered them, t1 confirmed.
    _group("confirmation", 3, 2, 1, 0.6667, 4, 0.04, 3, 1.0, 1, 0.3333, 0, 0.0),
    # r5 answered a text from before the period: replies, but nothing sent to divide by.
    _group("moved", 0, 0, 0, None, 0, 0.0, 1, None, 0, None, 0, None),
    _group("offer", 1, 1, 0, 1.0, 3, 0.03, 0, 0.0, 0, 0.0, 0, 0.0),
    # t1/r sent (1 segment), t2/r failed; r3 opted out: 1 per 1 sent = 1000 per 1,000.
    _group("reminder_24h", 1, 0, 1, 0.0, 1, 0.01, 1, 1.0, 0, 0.0, 1, 1000.0),
]
EXPECTED_BY_VARIANT = [
    _group("ex0/old", 0, 0, 0, None, 0, 0.0, 1, None, 0, None, 0, None),
    _group("ex1/cost", 2, 1, 1, 0.5, 3, 0.03, 1, 0.5, 0, 0.0, 0, 0.0),
    # r1 and r6 answered t1/c: 2 replies, 1 appointment confirmed.
    _group("ex1/plain", 1, 1, 0, 1.0, 1, 0.01, 2, 2.0, 1, 1.0, 0, 0.0),
]
# p1..p5: confirmed p1 and p5; cancelled ahead p3; outcomes p1 attended, p2 no-show, p4 late.
EXPECTED_APPOINTMENTS = _cohort("all", 5, 2, 0.4, 1, 0.2, 3, 1, 1, 1, 0.3333)
EXPECTED_BY_CADENCE = [
    _cohort("24h", 2, 0, 0.0, 1, 0.5, 1, 0, 0, 1, 0.0),
    _cohort("72h+24h", 2, 1, 0.5, 0, 0.0, 2, 1, 1, 0, 0.5),
    _cohort("unknown", 1, 1, 1.0, 0, 0.0, 0, 0, 0, 0, None),
]
# By the tenant's dates (UTC days would give 01-09 three texts sent and r6's confirmation,
# and 01-10 three replies with r3's opt-out).
EXPECTED_DAILY = [
    # t1/c and t2/c sent and delivered; r1 and r6: replies 2, t1 confirmed once that day.
    _day("2030-01-08", 2, 2, 2, 1, 0),
    # t3/c (undelivered) and t1/r sent, neither delivered; r2 (no confirmation), r3 opted out.
    _day("2030-01-09", 2, 0, 2, 0, 1),
    # The offer sent and delivered (t2/r failed: not sent); r4, r5.
    _day("2030-01-10", 1, 1, 2, 0, 0),
]
