"""What the Staff API takes and gives.

Empty optional fields are left out of answers (exclude_none), so each has a default: the
OpenAPI document then does not call it required.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from rendezvous.api.appointments import AppointmentOut
from rendezvous.domain.appointments import AppointmentView
from rendezvous.domain.errors import InvalidRequest
from rendezvous.domain.models import (
    Appointment,
    ConversationMessage,
    DueReason,
    QueueItem,
    Tenant,
)
from rendezvous.domain.timing import VISIT_SOON
from rendezvous.json_input import decode_json
from rendezvous.phone import region_of

if TYPE_CHECKING:
    # Only what the answers are made from: the services load them when a request needs
    # them, not every cold start of the staff API (CONTRACT's cold-start budget).
    from rendezvous.domain.oversight import OutboxEntry, Stats
    from rendezvous.domain.recipients import OptChange, RecipientProfile
    from rendezvous.domain.redrive import Released
    from rendezvous.domain.staff import ItemDetail

# An item's version is compared in DynamoDB, whose numbers hold 38 digits (boto3 refuses to
# serialize more): bounded here, to what a JSON client can count exactly.
MAX_VERSION = 2**53 - 1


class OutModel(BaseModel):
    """What the staff API answers. Built on first use, not at import: a cold start that
    answers one route pays for one route's models."""

    model_config = ConfigDict(defer_build=True)


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=1600)
    # The item version the staff member saw; a change since then is a 409.
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)


class VersionIn(BaseModel):
    """An optional body for claim, release and resolve."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=300)


class QueueItemOut(OutModel):
    item_id: str
    status: str
    intent: str
    phone: str
    appointment_id: str | None = None
    created_at: datetime
    updated_at: datetime
    due_by: datetime
    due_reason: str = Field(
        description="response_time: the usual response time; visit: due before the visit"
    )
    visit_at: datetime | None = Field(
        default=None, description="when the linked appointment starts (as the item opened)"
    )
    visit_soon: bool = Field(description="the linked visit is in the next hours: answer before it")
    last_message_at: datetime
    message_count: int
    preview: str
    acknowledged: bool
    flags: list[str] = Field(
        default_factory=list,
        description="opted_out_with_appointment: an opt-out word while a visit is coming; "
        "stop_request: a text of the conversation asks the texts to stop",
    )
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    version: int
    overdue: bool
    customer_name: str | None = Field(
        default=None, description="the linked appointment's customer, as the item opened"
    )
    appointment_status: str | None = Field(
        default=None,
        description="the linked appointment's status now: scheduled, confirmed, cancelled",
    )
    appointment_changed_at: datetime | None = Field(
        default=None,
        description="when the linked appointment last changed: newer than the customer's "
        "text means it changed since",
    )

    @classmethod
    def of(
        cls, item: QueueItem, now: datetime, appointment: Appointment | None = None
    ) -> QueueItemOut:
        data = item.model_dump(exclude={"tenant_id", "recipient_key", "first_claimed_at"})
        live = item.status.value != "resolved"
        return cls(
            **data,
            overdue=live and item.due_by < now,
            visit_soon=live and _soon(item, now),
            appointment_status=appointment.status.value if appointment else None,
            appointment_changed_at=appointment.updated_at if appointment else None,
        )


def _soon(item: QueueItem, now: datetime) -> bool:
    """The visit is still ahead and either close or the reason the item is due early."""
    if item.visit_at is None or item.visit_at <= now:
        return False
    return item.due_reason is DueReason.VISIT or item.visit_at - now <= VISIT_SOON


class ConversationMessageOut(OutModel):
    at: datetime
    direction: str
    body: str
    author: str
    sid: str | None = None
    kind: str | None = Field(
        default=None,
        description="automated (message_kind says which), keyword (keyword says which), "
        "text (a customer's words), staff (a person's answer), auto_reply (our answer)",
    )
    message_kind: str | None = Field(
        default=None, description="an automated text's kind: confirmation, reminder_24h..."
    )
    keyword: str | None = Field(default=None, description="a keyword reply: C, X, STOP...")
    status: str | None = Field(
        default=None, description="an automated text's delivery status: sent, delivered..."
    )

    @classmethod
    def of(cls, message: ConversationMessage) -> ConversationMessageOut:
        return cls(
            at=message.at,
            direction=message.direction,
            body=message.body,
            author=message.author,
            sid=message.sid,
            kind=message.kind.value if message.kind else None,
            message_kind=message.message_kind,
            keyword=message.keyword,
            status=message.status,
        )


class QueuePageOut(OutModel):
    items: list[QueueItemOut]
    next_cursor: str | None = None
    count: int | None = Field(
        default=None,
        description="how many items are in that status in all; on the first page (no cursor)",
    )


class ItemDetailOut(OutModel):
    item: QueueItemOut
    messages: list[ConversationMessageOut]
    appointment: AppointmentOut | None = None

    @classmethod
    def of(cls, detail: ItemDetail, now: datetime) -> ItemDetailOut:
        return cls(
            item=QueueItemOut.of(detail.item, now, detail.appointment),
            messages=[ConversationMessageOut.of(m) for m in detail.messages],
            appointment=AppointmentOut.of(AppointmentView(detail.appointment, []))
            if detail.appointment
            else None,
        )


class OptChangeOut(OutModel):
    phone: str
    opted_out: bool
    changed: bool = Field(description="false: it was so already (nothing recorded twice)")
    carrier_block: bool = Field(
        description="the customer texted STOP: the carrier blocks texts until they text "
        "START themselves; ask them to"
    )

    @classmethod
    def of(cls, change: OptChange) -> OptChangeOut:
        return cls(**change.__dict__)


class RecipientAppointmentOut(OutModel):
    appointment_id: str
    starts_at: datetime
    status: str


class RecipientOut(OutModel):
    phone: str
    name: str | None = Field(default=None, description="as the newest appointment names them")
    opted_out: bool
    opted_out_at: datetime | None = None
    opted_out_by: str | None = Field(default=None, description="customer or staff")
    undeliverable: bool
    open_item_id: str | None = None
    appointments: list[RecipientAppointmentOut] = Field(
        description="the next 5 (soonest first), then the last 5 (newest first)"
    )
    messages: list[ConversationMessageOut] = Field(
        description="every text both ways with the number, oldest first, the last 100"
    )

    @classmethod
    def of(cls, profile: RecipientProfile) -> RecipientOut:
        return cls(
            **{k: v for k, v in profile.__dict__.items() if k not in ("appointments", "messages")},
            appointments=[
                RecipientAppointmentOut(
                    appointment_id=a.appointment_id, starts_at=a.starts_at, status=a.status.value
                )
                for a in profile.appointments
            ],
            messages=[ConversationMessageOut.of(m) for m in profile.messages],
        )


class ItemOut(OutModel):
    item: QueueItemOut
    lease_expires_at: datetime | None = None
    message: ConversationMessageOut | None = None


class StatusOut(OutModel):
    tenant_id: str
    name: str
    timezone: str
    locale: str = Field(description="the tenant's default language: en, fr or es")
    country: str | None = Field(
        default=None,
        description="ISO 3166 country of the tenant's number: national numbers are read in it",
    )
    paused: bool
    paused_by: str | None = None
    paused_at: datetime | None = None
    paused_reason: str | None = None
    resumed_by: str | None = None
    resumed_at: datetime | None = None
    resumed_reason: str | None = None

    @classmethod
    def of(cls, tenant: Tenant) -> StatusOut:
        return cls(
            tenant_id=tenant.tenant_id,
            name=tenant.name,
            timezone=tenant.timezone,
            locale=tenant.locale,
            country=region_of(tenant.phone_number),
            paused=tenant.paused,
            paused_by=tenant.paused_by if tenant.paused else None,
            paused_at=tenant.paused_at if tenant.paused else None,
            paused_reason=(tenant.paused_reason or None) if tenant.paused else None,
            resumed_by=None if tenant.paused else tenant.resumed_by,
            resumed_at=None if tenant.paused else tenant.resumed_at,
            resumed_reason=None if tenant.paused else (tenant.resumed_reason or None),
        )


class ReleasedOut(OutModel):
    """Texts a resume or a redrive handed back to the sender, and those it dropped (by
    reason)."""

    queued: int
    suppressed: dict[str, int]

    @classmethod
    def of(cls, released: Released) -> ReleasedOut:
        return cls(queued=released.queued, suppressed=released.suppressed)


class ResumeOut(StatusOut):
    held: ReleasedOut


class RedriveOut(OutModel):
    redrive: ReleasedOut


class OutboxEntryOut(OutModel):
    # An appointment's text names its appointment; a waitlist offer's (kinds offer,
    # offer_taken) names its opening and waitlist entry instead: no appointment exists.
    appointment_id: str | None = None
    opening_id: str | None = None
    entry_id: str | None = None
    kind: str
    send_at: datetime
    status: str
    reason: str | None = None
    customer_name: str
    phone: str

    @classmethod
    def of(cls, entry: OutboxEntry) -> OutboxEntryOut:
        return cls(**entry.__dict__)


class OutboxOut(OutModel):
    hours: int
    paused: bool
    messages: list[OutboxEntryOut]


class QueueNumbersOut(OutModel):
    open: int
    claimed: int
    overdue: int
    resolved: int
    median_wait_minutes: float | None = None


class FillNumbersOut(OutModel):
    openings: int
    offers_sent: int
    filled: int
    # Left out while nothing was filled in the period (answers drop empty fields).
    median_time_to_fill_minutes: float | None = None
    expired_unfilled: int


class GroupOut(OutModel):
    """Automated texts (all, one kind, one variant) and the customers' texts they drew.
    Rates are fractions 0..1 (4 places), null when nothing was sent."""

    key: str
    sent: int
    delivered: int
    failed: int
    delivery_rate: float | None
    segments: int
    cost: float
    replies: int
    reply_rate: float | None
    confirmations: int
    confirmation_rate: float | None
    opt_outs: int
    opt_outs_per_1000: float | None


class CohortOut(OutModel):
    """Appointments that started in the period (all, or one reminder cadence's)."""

    key: str
    appointments: int
    confirmed: int
    confirmation_rate: float | None
    cancelled_ahead: int
    cancelled_ahead_rate: float | None
    with_outcome: int
    attended: int
    no_show: int
    late_cancel: int
    no_show_rate: float | None


class DayOut(OutModel):
    day: str
    sent: int
    delivered: int
    replies: int
    confirmations: int
    opt_outs: int


class RatesOut(OutModel):
    texts: GroupOut
    appointments: CohortOut


RESULTS_MEMBERS = ("rates", "by_kind", "by_variant", "by_cadence", "daily", "currency")


class StatsOut(OutModel):
    days: int
    since: datetime
    sent: int
    delivered: int
    failed: int
    suppressed: dict[str, int]
    confirmed: int
    cancelled: int
    opt_outs: int
    replies: int
    queue: QueueNumbersOut | None = None
    # Vacancy fill: openings, offers sent, filled, median time to fill, expired unfilled.
    fill: FillNumbersOut
    # Results (README "Results"): the period's texts and appointments, then the same by
    # message kind, template variant and reminder cadence, and per date of the tenant's zone.
    rates: RatesOut
    by_kind: list[GroupOut]
    by_variant: list[GroupOut]
    by_cadence: list[CohortOut]
    daily: list[DayOut]
    currency: str

    def as_json(self) -> str:
        """The answer: empty fields left out as in every answer, except in the results'
        blocks, where a rate with nothing to divide by is `null` (its member is always
        there, so a chart reads every group the same way)."""
        answer = self.model_dump(mode="json", exclude_none=True)
        answer.update(self.model_dump(mode="json", include=set(RESULTS_MEMBERS)))
        return json.dumps(answer)

    @classmethod
    def of(cls, stats: Stats) -> StatsOut:
        results = stats.results
        return cls(
            **{k: v for k, v in stats.__dict__.items() if k not in ("queue", "fill", "results")},
            queue=QueueNumbersOut(**stats.queue.__dict__) if stats.queue else None,
            fill=FillNumbersOut(**stats.fill.__dict__),
            rates=RatesOut(
                texts=GroupOut(**results.rates.texts.__dict__),
                appointments=CohortOut(**results.rates.appointments.__dict__),
            ),
            by_kind=[GroupOut(**g.__dict__) for g in results.by_kind],
            by_variant=[GroupOut(**g.__dict__) for g in results.by_variant],
            by_cadence=[CohortOut(**c.__dict__) for c in results.by_cadence],
            daily=[DayOut(**d.__dict__) for d in results.daily],
            currency=results.currency,
        )


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if key is None:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, tenant_id: str, status: str) -> dict[str, Any] | None:
    """A cursor from a previous page of this listing; one that is malformed, names another
    tenant or belongs to another status is a 400."""
    if not raw:
        return None
    try:
        key = decode_json(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError as exc:
        raise InvalidRequest("cursor is not valid") from exc
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "qpk", "qsk"}
        # DynamoDB refuses an empty string in a key attribute: a 5xx, were it let through.
        or not all(isinstance(v, str) and v for v in key.values())
        or key["qpk"] != f"T#{tenant_id}#QS#{status}"
        or not key["pk"].startswith(f"T#{tenant_id}#Q#")
    ):
        raise InvalidRequest("cursor is not valid for this listing")
    return key
