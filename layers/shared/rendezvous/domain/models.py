"""What the domain stores and reasons about. API input/output models live in rendezvous.api."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Locale = Literal["en", "fr", "es"]
OptedBy = Literal["customer", "staff"]
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "fr", "es")


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


# Who cancelled an appointment: its customer (X), a person at the business, or a booking
# system. A manager is staff to the booking system.
CancelledBy = Literal["customer", "staff", "booking"]


class AppointmentOutcome(StrEnum):
    """How an appointment ended, as the business records it."""

    ATTENDED = "attended"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"


class MessageKind(StrEnum):
    """Kinds of automated text. Reminders are `reminder_<offset>` (see reminder_kind)."""

    CONFIRMATION = "confirmation"
    MOVED = "moved"
    # Told to the customer when the business cancels and chooses to let them know.
    CANCELLED = "cancelled"
    REMINDER = "reminder"
    # The reminder to an appointment already confirmed: thanks instead of asking again.
    REMINDER_CONFIRMED = "reminder_confirmed"
    # Texts that belong to an offer (an opening offered to one waitlist entry), not to an
    # appointment: the offer itself, and "just taken, you stay on the list".
    OFFER = "offer"
    OFFER_TAKEN = "offer_taken"


def reminder_kind(offset_minutes: int) -> str:
    """reminder_48h, reminder_2h, reminder_90m: readable and unique per offset."""
    if offset_minutes % 60 == 0:
        return f"reminder_{offset_minutes // 60}h"
    return f"reminder_{offset_minutes}m"


def reminder_lead(kind: str) -> timedelta | None:
    """How long before the appointment a reminder kind is meant to arrive; None otherwise."""
    if not kind.startswith("reminder_"):
        return None
    amount, unit = kind.removeprefix("reminder_")[:-1], kind[-1]
    if not amount.isdigit() or unit not in "hm":
        return None
    return timedelta(hours=int(amount)) if unit == "h" else timedelta(minutes=int(amount))


def template_kind(kind: str) -> MessageKind:
    if kind == MessageKind.REMINDER_CONFIRMED:
        return MessageKind.REMINDER_CONFIRMED
    return MessageKind.REMINDER if kind.startswith("reminder_") else MessageKind(kind)


class MessageStatus(StrEnum):
    PLANNED = "planned"  # waiting for its time
    DEFERRED = "deferred"  # quiet hours or a transient failure moved it later
    QUEUED = "queued"  # Twilio accepted it
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the request may or may not have reached Twilio
    SUPPRESSED = "suppressed"  # a rule stopped it; `reason` says which
    SUPERSEDED = "superseded"  # the appointment moved; a newer plan replaced it
    CANCELLED = "cancelled"  # the appointment was cancelled


PENDING_STATUSES = frozenset({MessageStatus.PLANNED, MessageStatus.DEFERRED})
# The reason on a `failed` text whose every retry met a gateway outage. Nothing left us
# (the recipient claim was given back), so a redrive may still send it once.
RETRIES_EXHAUSTED = "retries_exhausted"
# The reason on an `unknown` text whose send was claimed but has no result: a delivery
# stopped mid-way (or is still under way), so Twilio may have it. Never sent again blindly.
CLAIMED_WITHOUT_RESULT = "claimed_without_result"
# The text left us (or may have): Twilio has it, or we cannot tell.
HANDED_OFF_STATUSES = frozenset(
    {
        MessageStatus.QUEUED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        MessageStatus.UNKNOWN,
    }
)
FINAL_DELIVERY_STATUSES = frozenset(
    {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED}
)

# Twilio's statuses only move forward. A late `sent` must never overwrite `delivered`.
DELIVERY_RANK: dict[MessageStatus, int] = {
    MessageStatus.UNKNOWN: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
}


class SuppressionReason(StrEnum):
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    APPOINTMENT_CHANGED = "appointment_changed"
    TENANT_PAUSED = "tenant_paused"
    OPTED_OUT = "opted_out"
    UNDELIVERABLE = "undeliverable"
    FREQUENCY_CAP = "frequency_cap"
    TOO_LATE = "too_late"
    # A short reminder (under a day ahead) is for unconfirmed visits only.
    APPOINTMENT_CONFIRMED = "appointment_confirmed"
    QUIET_HOURS = "quiet_hours"
    # An offer's opening was taken by someone else, came too close to start, or was
    # withdrawn (DELETE /v1/openings/{id}) before its text went out.
    OPENING_FILLED = "opening_filled"
    OPENING_EXPIRED = "opening_expired"
    OPENING_WITHDRAWN = "opening_withdrawn"
    # The offer ended before its text went out (its entry was taken off the list).
    OFFER_ENDED = "offer_ended"


def is_redrivable(message: TextRecord) -> bool:
    return message.status is MessageStatus.FAILED and message.reason == RETRIES_EXHAUSTED


def is_held(message: TextRecord) -> bool:
    """Fell due while the tenant was paused: waits for the resume."""
    return (
        message.status is MessageStatus.DEFERRED
        and message.reason == SuppressionReason.TENANT_PAUSED
    )


class FillMatch(StrEnum):
    """Which waitlist entries an opening is offered to (tenant setting `fill_match`). An
    entry with no preference for a service (or provider) matches any."""

    SERVICE_AND_PROVIDER = "service_and_provider"
    SERVICE = "service"
    ANY = "any"


class QuietHours(BaseModel):
    """Local-time window in which no automated text goes out. Wraps midnight when start > end."""

    model_config = ConfigDict(frozen=True)

    start: time = time(21, 0)
    end: time = time(8, 0)


class OpeningHours(BaseModel):
    model_config = ConfigDict(frozen=True)

    # ISO weekday (1 = Monday) -> [open, close] local times; a missing day is closed.
    days: dict[int, tuple[time, time]] = Field(
        default_factory=lambda: {d: (time(9, 0), time(17, 0)) for d in range(1, 6)}
    )


class Variant(BaseModel):
    """One wording of a template experiment (rendezvous.domain.experiments)."""

    model_config = ConfigDict(frozen=True)

    name: str  # short, lower case: "plain", "cost"
    template: str


class RunningExperiment(BaseModel):
    """An experiment running for one kind and locale, as the tenant record carries it: the
    sender reads the tenant for every text anyway, so an experiment costs it no read of its
    own, and a tenant with none running costs nothing at all."""

    model_config = ConfigDict(frozen=True)

    experiment_id: str
    variants: tuple[Variant, ...]


def experiment_slot(kind: str, locale: str) -> str:
    """Where a running experiment sits in `Tenant.experiments`: at most one per slot."""
    return f"{kind}/{locale}"


class Tenant(BaseModel):
    """One business: its number, zone, rules and words."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    name: str
    phone_number: str
    timezone: str
    locale: Locale = "en"
    contact: str = ""
    quiet_hours: QuietHours = QuietHours()
    opening_hours: OpeningHours = OpeningHours()
    # 3 days and 1 day before: fewest missed visits in Steiner 2018 (54,066 patients; 4.4%
    # with both, 5.8% with the 3-day alone, 5.3% with the 1-day alone). A short reminder
    # (an offset under a day, e.g. 120) is optional and goes to unconfirmed visits only.
    reminder_offsets_minutes: tuple[int, ...] = (4320, 1440)
    daily_cap: Annotated[int, Field(ge=1, le=20)] = 3
    include_service_details: bool = False
    templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    # STOP: answered by the app (True) or left to Twilio's Advanced Opt-Out (False).
    answer_stop: bool = False
    # How soon a person answers a customer's text, counted in opening hours.
    response_minutes: Annotated[int, Field(ge=5, le=10_080)] = 120
    queue_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    queue_lease_minutes: Annotated[int, Field(ge=1, le=240)] = 10
    # Vacancy fill (bounds in rendezvous.domain.tenant_settings). Offers stop this long
    # before the slot: a customer needs time to read, answer and come.
    fill_enabled: bool = True
    fill_min_notice_minutes: int = 120
    fill_wave_size: int = 5
    fill_wave_interval_minutes: int = 15
    fill_match: FillMatch = FillMatch.SERVICE
    # How far ahead an R reply is offered openings.
    fill_horizon_days: int = 14
    # Results (GET /v1/stats): what one SMS segment costs the business, for the cost
    # figures (Twilio's US price as the default), and the currency it is in.
    segment_price: float = 0.0083
    currency: str = "USD"
    # The tune-out alarm: opt-outs per 1,000 texts over 7 days above this fire it.
    tune_out_per_1000: int = 10
    # Template experiments running now, by experiment_slot(kind, locale). Written only with
    # the experiment's own item (adapters/dynamodb/experiments.py), never by the settings.
    experiments: dict[str, RunningExperiment] = Field(default_factory=dict)
    # Counts the changes made through the settings API (PATCH /v1/settings): a change names
    # the version it was made on, so two managers never silently overwrite each other.
    settings_version: int = 0
    paused: bool = False
    paused_by: str | None = None
    paused_reason: str | None = None
    paused_at: datetime | None = None
    # The last resume; cleared by the next pause, as the pause fields are by a resume.
    resumed_by: str | None = None
    resumed_reason: str | None = None
    resumed_at: datetime | None = None

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _offsets_positive_and_distinct(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(v <= 0 for v in value) or len(set(value)) != len(value):
            raise ValueError("reminder offsets must be distinct positive minutes")
        return tuple(sorted(value, reverse=True))

    def with_template(self, locale: str, kind: str, text: str) -> Tenant:
        """This tenant with `text` as its template for `kind` in `locale`: how a variant's
        words are rendered and measured, and what a winner leaves as the override."""
        mine = {**self.templates.get(locale, {}), kind: text}
        return self.model_copy(update={"templates": {**self.templates, locale: mine}})


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    phone: str
    name: str
    locale: Locale | None = None


class LastText(BaseModel):
    """The newest automated text of an appointment, kept on the appointment so a day's
    list shows each one's last text and its fate without reading every message record."""

    model_config = ConfigDict(frozen=True)

    kind: str
    status: str
    at: datetime
    reason: str | None = None
    # The template variant the text was written with ("<experiment>/<variant>"), if any.
    variant: str | None = None


class Appointment(BaseModel):
    """The stored appointment. `version` changes whenever what a reminder promises changes."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    appointment_id: str
    customer: Customer
    starts_at: datetime
    duration_minutes: int | None = None
    location: str | None = None
    provider: str | None = None
    service: str | None = None
    status: AppointmentStatus = AppointmentStatus.SCHEDULED
    version: int = 1
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None
    confirmed_at: datetime | None = None
    # Set when starts_at moves: the start time the customer's last text named, so the
    # "moved" text says from when (as they know it) to when.
    previous_starts_at: datetime | None = None
    cancelled_by: CancelledBy | None = None
    outcome: AppointmentOutcome | None = None
    # The reminder cadence it was planned with: its reminders' offsets, longest first
    # ("72h+24h"; "" none), so results compare cadences.
    cadence: str | None = None
    outcome_at: datetime | None = None
    # The person's e-mail (or subject), or `booking` for a booking system.
    outcome_by: str | None = None
    # Written only by the sender and the status callback (newest `at` wins), never by an
    # appointment save: see DynamoAppointments.save_appointment.
    last_text: LastText | None = None
    # Made by a waitlist fill: the appointment whose freed slot this one took.
    replaces: str | None = None

    @property
    def recipient_key(self) -> str:
        from rendezvous.phone import recipient_key

        return recipient_key(self.tenant_id, self.customer.phone)


def written_as(kind: str, appointment: Appointment, tenant: Tenant) -> tuple[MessageKind, str]:
    """The template a text of `kind` to `appointment` is written with, and its language:
    a reminder to a confirmed visit thanks them (reminder_confirmed); the customer's
    locale, else the tenant's. The renderer writes by it and an experiment applies by it,
    so a text is always in the experiment of the words it carries."""
    template = template_kind(kind)
    if template is MessageKind.REMINDER and appointment.status is AppointmentStatus.CONFIRMED:
        template = MessageKind.REMINDER_CONFIRMED
    return template, appointment.customer.locale or tenant.locale


class TextRecord(BaseModel):
    """One automated text: its plan, its fate and why, whatever it belongs to. The sender
    decides on these fields alone; who the text belongs to is its subclass's business."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    kind: str
    status: MessageStatus
    send_at: datetime
    schedule_name: str | None = None
    reason: str | None = None
    sid: str | None = None
    error_code: int | None = None
    body: str | None = None
    # The template variant the body was written with ("<experiment>/<variant>"): an
    # experiment running for its kind and locale when it was rendered.
    variant: str | None = None
    segments: int | None = None
    encoding: str | None = None
    deferrals: int = 0
    # The customer's own text asked for it (the confirmation of the slot their Y won, the
    # "just taken" to a Y too late, the moved text of the time their digit chose): an
    # answer, not an unsolicited text, so the daily cap neither holds it back nor counts
    # it. Opt-out, pause and quiet hours apply as to any automated text.
    answers_customer: bool = False
    created_at: datetime
    updated_at: datetime


class MessageRecord(TextRecord):
    """One automated text for one appointment version."""

    appointment_id: str
    version: int


class OfferText(TextRecord):
    """One automated text of an offer: the opening `opening_id` offered to the waitlist
    entry `entry_id` (kind `offer`), or its "just taken" answer (`offer_taken`). Each
    (opening, entry, kind) is one text at most."""

    opening_id: str
    entry_id: str
    recipient_key: str


class WaitlistOffer(BaseModel):
    """The waitlist offer a number's Y answers (CONTRACT.md, Vacancy fill). R's options are
    kept apart (RescheduleOptions, answered by digits): neither ends the other.

    It stays on the recipient after it ends (someone else took the slot, a wave closed it)
    until `expires_at`, the moment it would have stopped on its own: a Y until then is a
    late answer to it (told once that the slot is gone), never a confirmation of some
    other appointment, unless an appointment's text reached the number after the offer
    (the Y then answers that). The winner's ends at once (their Y made an appointment)."""

    model_config = ConfigDict(frozen=True)

    opening_id: str
    offered_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        """Still offered: it keeps the number from a second offer until it ends."""
        return self.ended_at is None and now < self.expires_at

    def answered_by_y(self, now: datetime) -> bool:
        """A Y now answers it: while open, or late, until it would have expired anyway."""
        return now < self.expires_at


class RescheduleOptions(BaseModel):
    """The times an R was offered, as digits, while they are a choice: digits mean
    nothing without them (CONTRACT.md, SMS behaviour)."""

    model_config = ConfigDict(frozen=True)

    appointment_id: str  # the appointment the chosen digit moves
    digits: dict[str, str]  # "1" -> opening id
    expires_at: datetime
    # The appointment's version when the options were offered: the digit moves only that
    # version, so a change by staff (or the booking system) in between is never overridden.
    appointment_version: int

    def opening_for(self, body: str, now: datetime) -> str | None:
        """The opening a text's digit picks while the choice is open; None otherwise."""
        if now >= self.expires_at:
            return None
        return self.digits.get(body.strip().rstrip(".!"))


class Recipient(BaseModel):
    """A tenant's view of one phone number: opt-out, deliverability, frequency."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    recipient_key: str
    phone: str
    opted_out: bool = False
    opted_out_at: datetime | None = None
    # Who made the last opt-out or opt-in: the customer (a keyword, or the carrier telling
    # us of one) or staff (the customer's spoken wish).
    opted_out_by: OptedBy | None = None
    # The customer texted an opt-out word: the carrier blocks our texts until they text
    # START themselves, whatever staff record (CONTRACT.md: opt-out words are carrier words).
    carrier_block: bool = False
    undeliverable_code: int | None = None
    first_contact_at: datetime | None = None
    cap_day: str | None = None
    cap_count: int = 0
    # Send claims of the last days: message key -> day claimed. Claiming a message and
    # counting it against the cap is one conditional write on this item.
    claims: dict[str, str] = Field(default_factory=dict)
    # The customer's open conversation in the human queue, if any: one per number.
    open_item_id: str | None = None
    # The conversation resolved last: a closing ("thanks") after a person's answer joins it.
    last_item_id: str | None = None
    # The waitlist offer the number's Y answers, and R's options its digits answer: each
    # made, taken and ended on its own. (Issue 14's first shape, one `open_offer` for
    # both, never reached production: no stored item carries it.)
    waitlist_offer: WaitlistOffer | None = None
    reschedule_options: RescheduleOptions | None = None
    rev: int = 0

    def capped_texts_on(self, day: str) -> int:
        """Texts counted against the daily cap on `day` (the number's own date)."""
        return self.cap_count if self.cap_day == day else 0


class SendRequest(BaseModel):
    """What a schedule or the outbound queue hands the sender. No phone numbers, no names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(min_length=1, max_length=64)
    appointment_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(min_length=1, max_length=40)
    version: int = Field(ge=1)
    recipient_key: str = Field(min_length=8, max_length=64)


class OfferSendRequest(BaseModel):
    """What hands an offer's text to the sender. No phone numbers, no names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(min_length=1, max_length=64)
    opening_id: str = Field(min_length=1, max_length=100)
    entry_id: str = Field(min_length=1, max_length=64)
    kind: Literal["offer", "offer_taken"]
    recipient_key: str = Field(min_length=8, max_length=64)


# Every request the sender takes: an appointment's text or an offer's.
TextRequest = SendRequest | OfferSendRequest


class QueueStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class QueueIntent(StrEnum):
    QUESTION = "question"  # free text
    STOP_REQUEST = "stop_request"  # free text asking the texts to stop
    RESCHEDULE = "reschedule"
    SLOT_FREED = "slot_freed"  # a customer cancelled by text: the slot can be offered again
    UNMATCHED = "unmatched"  # confirm or cancel with no upcoming appointment to apply it to


class QueueFlag(StrEnum):
    """What a person should notice about an item before reading it."""

    # An opt-out word (CANCEL above all) from a number with a visit coming: did they mean
    # the visit, the texts, or both?
    OPTED_OUT_WITH_APPOINTMENT = "opted_out_with_appointment"
    STOP_REQUEST = "stop_request"  # some text of the conversation asks the texts to stop


class DueReason(StrEnum):
    """Why an item is due when it is."""

    RESPONSE_TIME = "response_time"  # the tenant's usual response time, in opening hours
    VISIT = "visit"  # pulled ahead of the visit the text is about


class QueueItem(BaseModel):
    """One thing for a person to handle: a conversation with a customer, or a freed slot."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    item_id: str
    status: QueueStatus = QueueStatus.OPEN
    intent: QueueIntent
    phone: str
    recipient_key: str
    appointment_id: str | None = None
    created_at: datetime
    updated_at: datetime
    due_by: datetime
    due_reason: DueReason = DueReason.RESPONSE_TIME
    # When the linked appointment started as the item opened: how the queue tells a
    # question about a visit in the next hours from one about next month's.
    visit_at: datetime | None = None
    last_message_at: datetime
    message_count: int = 0
    preview: str = ""
    acknowledged: bool = False
    flags: tuple[QueueFlag, ...] = ()
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    first_claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    # The linked appointment's customer, as the item opened: a card names who wrote.
    customer_name: str | None = None
    version: int = 1


class TextKind(StrEnum):
    """What a text of a conversation is, as the thread shows it."""

    AUTOMATED = "automated"  # a reminder, confirmation... (`message_kind` says which)
    KEYWORD = "keyword"  # a customer's keyword (`keyword` says which: C, X, STOP...)
    TEXT = "text"  # a customer's words, for a person
    STAFF = "staff"  # a person's answer
    AUTO_REPLY = "auto_reply"  # our answer to a keyword, or the acknowledgement


class ConversationMessage(BaseModel):
    """One text of a conversation: in a queue item's thread (MSG#), in the recipient's
    record of every text both ways (TXT#), or an automated text as the thread shows it."""

    model_config = ConfigDict(frozen=True)

    item_id: str  # the queue item; empty for a text that joined none
    at: datetime
    direction: Literal["inbound", "outbound"]
    body: str
    author: str  # "customer", "automation", or the staff member's id
    sid: str | None = None
    kind: TextKind | None = None  # unset on threads written before texts had kinds
    keyword: str | None = None
    message_kind: str | None = None
    status: str | None = None  # the delivery status of an automated text
