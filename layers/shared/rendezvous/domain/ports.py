"""The small interfaces the domain talks to. Adapters implement them; tests swap them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rendezvous.domain.activity import ActivityEntry
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.identity import TextIdentity, TimedText
from rendezvous.domain.models import (
    Appointment,
    ConversationMessage,
    Customer,
    LastText,
    MessageKind,
    MessageRecord,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    QueueFlag,
    QueueItem,
    QueueStatus,
    Recipient,
    RescheduleOptions,
    SendRequest,
    Tenant,
    TextRequest,
    WaitlistOffer,
)
from rendezvous.domain.vacancy import (
    Offer,
    Opening,
    OpeningStatus,
    OpeningTake,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.domain.webhooks import Delivery, DeliveryAttempt, WebhookEndpoint

if TYPE_CHECKING:
    from rendezvous.domain.experiments import Experiment
    from rendezvous.domain.integrations import CalcomIntegration, StoredFhirResource
    from rendezvous.domain.results import TextFacts


@dataclass(frozen=True)
class OutboundSms:
    to: str
    from_: str
    body: str
    # Opaque reference the gateway puts on the status-callback URL so a callback finds
    # its message record without a lookup index.
    status_callback_ref: str | None = None


@dataclass(frozen=True)
class SmsReceipt:
    sid: str
    status: str


class SmsGateway(Protocol):
    def send(self, sms: OutboundSms) -> SmsReceipt:
        """Send one SMS. Raises a rendezvous.domain.errors.SmsError subclass on failure."""
        ...


class ReminderScheduler(Protocol):
    def schedule(self, name: str, at: datetime, request: TextRequest) -> None:
        """Create a one-time schedule; an existing schedule of that name is left as it is."""
        ...

    def cancel(self, name: str) -> None:
        """Delete a schedule; one that already fired or never existed is fine."""
        ...


class OutboundQueue(Protocol):
    def enqueue(self, request: TextRequest) -> None:
        """Hand a text to the sender now (confirmations, moved notices, offers)."""
        ...


@dataclass(frozen=True)
class SendContext:
    """Everything the sender reads, in one round trip, to decide about one message."""

    tenant: Tenant | None
    appointment: Appointment | None
    message: MessageRecord | None
    recipient: Recipient | None


@dataclass(frozen=True)
class RecipientClaim:
    """The recipient record after a message is claimed for sending: one conditional write
    (on `expected_rev`) both claims the message and counts it against the daily cap."""

    expected_rev: int
    cap_day: str
    cap_count: int
    first_contact_at: datetime
    claims: dict[str, str]


class TenantStore(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None:
        """Write a tenant and the number it sends from (operators, the local stack)."""
        ...

    def tenant_for_number(self, e164: str) -> str | None: ...

    def set_pause(
        self, tenant_id: str, *, paused: bool, by: str, reason: str | None, at: datetime
    ) -> Tenant: ...

    def tenant_ids(self) -> list[str]: ...


class AppointmentRecords(Protocol):
    """Appointments with their message records."""

    def get_appointment(
        self, tenant_id: str, appointment_id: str
    ) -> tuple[Appointment, list[MessageRecord]] | None: ...

    def create_appointment(self, appointment: Appointment, messages: list[MessageRecord]) -> None:
        """Write the appointment and its planned messages together, or nothing.

        Raises ConcurrentModification when the appointment already exists.
        """
        ...

    def save_appointment(
        self,
        appointment: Appointment,
        *,
        expected_version: int,
        retire: list[MessageRecord],
        retire_as: MessageStatus,
        new_messages: list[MessageRecord],
        now: datetime,
        events: Sequence[WebhookEvent] = (),
        opening: Opening | None = None,
        takes: OpeningTake | None = None,
    ) -> None:
        """Update the appointment, retire pending messages, add new ones, record the
        `events` this change causes, create the `opening` it frees and fill the opening it
        `takes` (a reply digit's move into a free slot), atomically.

        Raises ConcurrentModification when the stored version is not `expected_version`,
        a message to retire is no longer pending, or the opening exists already; else
        OpeningTaken when the opening to take is no longer open or offered, or no longer
        starts after `takes.not_before`. Either way nothing was written.
        """
        ...

    def load_send_context(self, request: SendRequest) -> SendContext: ...

    def update_message(
        self,
        message: MessageRecord,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> bool:
        """Set the message's status and fields, and record `event` with them; returns False
        (and writes nothing) if `only_if` (its status is one of them) or `reason_is` (its
        reason is that) did not hold."""
        ...

    def record_delivery_status(
        self,
        tenant_id: str,
        appointment_id: str,
        kind: str,
        version: int,
        *,
        status: MessageStatus,
        sid: str,
        error_code: int | None,
        now: datetime,
        event: WebhookEvent | None = None,
    ) -> bool:
        """Move a message forward to a Twilio status, with `event` in the same write; never
        backwards, never out of a final state. Returns False (nothing written) when the
        update would have moved it backwards or not at all."""
        ...

    def upcoming_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime
    ) -> list[Appointment]:
        """The recipient's appointments that have not started and are not cancelled, soonest
        first."""
        ...

    def last_appointment(self, tenant_id: str, recipient_key: str) -> Appointment | None:
        """The recipient's appointment starting last, cancelled or past ones included; None
        when the number has none."""
        ...

    def confirm_appointment(
        self, appointment: Appointment, now: datetime, event: WebhookEvent
    ) -> bool:
        """Confirm this version of a scheduled appointment and record `event` with it;
        False (nothing written) when it is not scheduled at that version any more."""
        ...

    def record_outcome(
        self,
        appointment: Appointment,
        *,
        previous: Appointment,
        event: WebhookEvent,
        audit: ActivityEntry,
    ) -> bool:
        """Write `appointment`'s outcome fields, `event` and the `audit` entry together, if
        its outcome, status and version are still `previous`'s; False (nothing written)
        otherwise."""
        ...

    def note_last_text(
        self,
        tenant_id: str,
        appointment_id: str,
        text: LastText,
        *,
        order: str,
        keep_variant: bool = False,
    ) -> bool:
        """Keep `text` as the appointment's `last_text` unless the stored one's `order`
        (rendezvous.domain.last_text) is as high; False (nothing written) then, or when the
        appointment does not exist. `keep_variant`: a status callback, which does not know
        the variant the text was written with, keeps the one stored for the same text."""
        ...

    def appointments_starting(
        self,
        tenant_id: str,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> tuple[list[Appointment], bool]:
        """Up to `limit` appointments starting in [start, end), cancelled ones included,
        soonest first (then by id), after the (start, id) position `after`; and whether
        more follow."""
        ...

    def recipients_by_key(self, tenant_id: str, keys: list[str]) -> dict[str, Recipient]: ...

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]: ...

    def messages_between(self, tenant_id: str, start: datetime, end: datetime) -> list[TimedText]:
        """Every automated text (an appointment's or an offer's) planned or sent between
        two instants, whatever its status, as the time index lists it."""
        ...

    def text_facts(
        self, tenant_id: str, identities: Sequence[TextIdentity]
    ) -> dict[TextIdentity, TextFacts]:
        """The segments and variant of these texts (appointments' and offers'), read from
        their records (the time index projects neither); a text not found is left out."""
        ...


class RecipientStore(Protocol):
    """A recipient's row: opt-out, deliverability, the daily cap, send claims."""

    def get_recipient(self, tenant_id: str, phone: str) -> Recipient | None: ...

    def claim_message(self, recipient: Recipient, claim: RecipientClaim) -> None:
        """Write the recipient with its new claim, if it is unchanged since it was read.

        Raises ConcurrentModification if the recipient changed since it was read.
        """
        ...

    def release_claim(self, recipient: Recipient, key: str, *, counted: bool) -> None:
        """Give back a claim whose text provably never left (the gateway refused it), and
        its daily-cap slot when it took one (`counted`: an answer takes none)."""
        ...

    def set_reschedule_options(
        self, tenant_id: str, phone: str, options: RescheduleOptions | None
    ) -> None:
        """Keep (or, with None, end) the R options the number's digits answer; the
        number's waitlist offer is left as it is."""
        ...

    def mark_recipient(
        self,
        tenant_id: str,
        phone: str,
        *,
        now: datetime,
        opted_out: bool | None = None,
        undeliverable_code: int | None = None,
        event: WebhookEvent | None = None,
        audit: ActivityEntry | None = None,
    ) -> bool:
        """Set what is given. With an `event` (the opt-out or opt-in it reports), only if
        `opted_out` changes, together with it and `audit`: False when it was already so.
        The event's `by` is stored as who opted out; a customer's own opt-out sets the
        carrier block, their opt-in lifts it, staff leave it as it is."""
        ...


@dataclass(frozen=True)
class AppointmentHistory:
    appointment: Appointment
    messages: list[MessageRecord]


class Conversations(Protocol):
    """Every text both ways with a number, as the recipient's record keeps them."""

    def record_texts(
        self,
        tenant_id: str,
        recipient_key: str,
        sid: str,
        texts: Sequence[ConversationMessage],
        retention_days: int,
    ) -> bool:
        """Keep an inbound text (`sid`, the first of `texts`) and our answers to it, once:
        False when that sid is kept already (and nothing is written)."""
        ...

    def texts(self, tenant_id: str, recipient_key: str, limit: int) -> list[ConversationMessage]:
        """The newest `limit` texts kept for the recipient, oldest first."""
        ...

    def recipient_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime, each: int
    ) -> list[AppointmentHistory]:
        """The recipient's next `each` appointments (soonest first) then their last `each`
        (newest first), each with its automated texts; cancelled ones included."""
        ...

    def offer_texts(self, tenant_id: str, recipient_key: str, limit: int) -> list[OfferText]:
        """The newest `limit` waitlist offer texts (offer, offer_taken) made for the
        recipient's number, whatever opening they belong to."""
        ...


@dataclass(frozen=True)
class OfferSendContext:
    """Everything the sender reads, in one round trip, to decide about an offer's text."""

    tenant: Tenant | None
    opening: Opening | None
    offer: Offer | None
    text: OfferText | None
    recipient: Recipient | None


class OfferTexts(Protocol):
    """The texts of offers, kept with their opening, and each offer's last text."""

    def load_offer_send_context(self, request: OfferSendRequest) -> OfferSendContext: ...

    def update_offer_text(
        self,
        text: OfferText,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> bool:
        """As update_message, for an offer's text."""
        ...

    def note_offer_text(self, text: OfferText, status: MessageStatus, reason: str | None) -> None:
        """Keep the text's status (and why) on its offer, as an appointment keeps its last
        text: GET /v1/openings/{id} shows each offer with its text's fate."""
        ...

    def record_offer_delivery_status(
        self,
        tenant_id: str,
        opening_id: str,
        entry_id: str,
        kind: str,
        *,
        status: MessageStatus,
        sid: str,
        error_code: int | None,
        now: datetime,
        event: WebhookEvent | None = None,
    ) -> OfferText | None:
        """As record_delivery_status, for an offer's text: the text as updated, or None
        when the update would have moved it backwards or not at all."""
        ...


@dataclass(frozen=True)
class OpeningTexts:
    """An opening as it stands, its offers by entry id, and their texts: one read."""

    opening: Opening
    offers: dict[str, Offer]
    texts: list[OfferText]


class OfferTextOwners(OfferTexts, Protocol):
    """What the outbox, the queue watcher's sweep and a redrive read of offers' texts."""

    def opening_texts(self, tenant_id: str, opening_id: str) -> OpeningTexts | None:
        """The opening, its offers and their texts (consistent); None when it is gone."""
        ...

    def offers_of(
        self, tenant_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Offer]:
        """The offers under (opening id, entry id) keys that exist."""
        ...


class OfferBook(OfferTextOwners, Protocol):
    """The writes that make, take and close offers: each one transaction, so an offer,
    its text, its entry and the number's open offer never disagree."""

    def make_offer(
        self, offer: Offer, text: OfferText, entry: WaitlistEntry, choice: WaitlistOffer
    ) -> bool:
        """Record the offer and its planned text with the opening, move the entry from
        waiting to offered and give the number `choice` as its waitlist offer (its R
        options, if any, stay). False (nothing written) when this entry has an offer of
        this opening already or is no longer waiting, or when the number holds another
        waitlist offer still open at `choice.offered_at` (not ended, not expired): one
        per number, so its Y means one slot, also when two waves read it free at once."""
        ...

    def fill(
        self,
        opening: Opening,
        *,
        offer: Offer,
        appointment: Appointment,
        messages: Sequence[MessageRecord],
        events: Sequence[WebhookEvent],
        not_before: datetime,
        now: datetime,
    ) -> bool:
        """The take: the opening becomes filled by `offer`'s entry, if it is open or
        offered and starts after `not_before`; in the same transaction the appointment is
        created with its planned texts and `events`, the entry is filled, the offer taken
        and the number's waitlist offer removed (its R options stay). False (nothing
        written) when the condition on the opening failed (someone else took it, or it is
        too close) or the entry is off the list (removed, or filled by another opening)."""
        ...

    def lose(self, offer: Offer, text: OfferText, now: datetime) -> bool:
        """A taker who came too late: the offer lost, its `offer_taken` text planned, the
        entry back to waiting, the number's waitlist offer of this opening ended (kept, so a
        later Y is known as late). False (nothing written) when that text exists already
        or the offer is no longer open or closed unanswered (it was taken: the winner's)."""
        ...

    def release(self, offer: Offer, now: datetime) -> None:
        """An offer that ended unanswered (filled by another, expired): the offer expired
        and its entry waiting again, if the offer was still open; the number's waitlist offer
        of this opening ended (kept until it expires: a late Y is told the slot is gone)."""
        ...


class WaveScheduler(Protocol):
    def schedule_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        """Run wave `wave` of the opening at `at` (once: planning it again is one plan)."""
        ...

    def hurry_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        """Run wave `wave` of the opening at `at` as well as when it was planned (once:
        hurrying it again is one plan): whichever runs second is a repeat."""
        ...


class AppointmentStore(TenantStore, AppointmentRecords, RecipientStore, Protocol):
    """What the services read and write together, on one table."""


class ConversationQueue(Protocol):
    """The staff queue: one item per conversation, its thread, its claim."""

    def get(self, tenant_id: str, item_id: str) -> QueueItem | None: ...

    def page(
        self, tenant_id: str, status: QueueStatus, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[QueueItem], dict[str, Any] | None, float]: ...

    def count(self, tenant_id: str, status: QueueStatus) -> int: ...

    def messages(self, tenant_id: str, item_id: str) -> list[ConversationMessage]: ...

    def open_conversation(
        self,
        item: QueueItem,
        thread: list[ConversationMessage],
        *,
        recipient_rev: int,
        retention_days: int,
        events: Sequence[WebhookEvent] = (),
    ) -> None: ...

    def append(
        self,
        item: QueueItem,
        message: ConversationMessage,
        *,
        retention_days: int,
        held_by: str | None = None,
        events: Sequence[WebhookEvent] = (),
        flags: Sequence[QueueFlag] = (),
        to_resolved: bool = False,
    ) -> bool:
        """Add a text to a conversation that is not resolved; False if it was resolved (or,
        with `held_by`, if that staff member no longer holds the claim). `flags` are added
        to the item's; `to_resolved` files a text in a resolved one without reopening it."""
        ...

    def put_item(
        self, item: QueueItem, retention_days: int, event: WebhookEvent | None = None
    ) -> None: ...

    def claim(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        lease_until: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None: ...

    def release(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None: ...

    def resolve(
        self,
        item: QueueItem,
        staff: str,
        now: datetime,
        event: WebhookEvent,
        *,
        preview: str | None = None,
    ) -> QueueItem | None:
        """Resolve `item` if it is unchanged since read and `staff` holds a live claim, with
        `event`; the resolved item, or None. `preview`, when given, is what the item says
        in the list from then on (automation saying what it did)."""
        ...


@dataclass(frozen=True)
class OpeningDetail:
    """An opening with its offers, first sent first."""

    opening: Opening
    offers: list[Offer]


class VacancyStore(Protocol):
    """The waitlist, the openings and their offers. Listings are Queries on the table's
    sparse indexes (never a Scan); a cursor is opaque, and one not of the same listing
    raises InvalidRequest."""

    def get_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry | None: ...

    def put_entry(self, entry: WaitlistEntry, *, expected_version: int | None) -> None:
        """Write the entry (where it is listed follows its status) if the stored one is at
        `expected_version`; None: only if there is none.

        Raises ConcurrentModification otherwise, and nothing is written.
        """
        ...

    def remove_offered_entry(self, removed: WaitlistEntry, *, expected_version: int) -> None:
        """Write `removed` (an entry taken off the list while an offer held it) as
        put_entry does, and in the same transaction end that offer: the offer expired and
        the number's waitlist offer cleared, so neither its text nor a Y can act on it.

        Raises ConcurrentModification when the entry, its offer or the number's waitlist
        offer changed since read, and nothing is written.
        """
        ...

    def entries(
        self, tenant_id: str, status: WaitlistStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        """The tenant's entries in `status` (None: every status, in the enum's order),
        first listed first; and the cursor of the next page, None at the end."""
        ...

    def waiting_for(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        """Entries in status `waiting`, first listed first, that could want a slot for
        `service`: those that named it (case aside) and those with no preference; every
        waiting entry when `service` is None (the tenant matches `any`). The caller checks
        provider and time window (WaitlistEntry.suits)."""
        ...

    def waiting_without_preference(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        """Entries in status `waiting` that named no service, first listed first: all that
        may want a slot of no named service when the tenant matches by service."""
        ...

    def get_opening(self, tenant_id: str, opening_id: str) -> OpeningDetail | None: ...

    def create_opening(self, opening: Opening) -> bool:
        """Write a new opening; False when one of that id exists (nothing written)."""
        ...

    def save_opening(self, opening: Opening, *, expected_version: int) -> None:
        """Replace the opening (where it is listed follows its status and start) if the
        stored one is at `expected_version`.

        Raises ConcurrentModification otherwise, and nothing is written.
        """
        ...

    def openings(
        self,
        tenant_id: str,
        *,
        status: OpeningStatus | None,
        start: datetime,
        end: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Opening], str | None]:
        """The tenant's openings starting in [start, end), soonest first (then by id), in
        `status` if given; and the cursor of the next page, None at the end."""
        ...


class VacancyStarter(Protocol):
    """Starts offering an opening just written: its first wave goes out a minute later (the
    soonest a Scheduler at() is sure to run), the next ones on the tenant's interval; and
    ends it once filled."""

    def start(self, opening: Opening) -> None: ...

    def filled(self, opening: Opening, by: str) -> None:
        """`opening` was just filled other than by a waitlist Y (a reschedule took it):
        its offers still open close now, their entries waiting again, and the "Slot
        freed" item of the cancellation it came from is resolved, saying it was filled
        `by` (words for the staff: "by rescheduling Ana")."""
        ...

    def ensure_started(self, opening: Opening) -> None:
        """Start `opening` unless a wave of it has run: for a repeat (a retried publish, a
        repeated cancel) that cannot tell whether the first call got as far as starting
        it. A wave that ran is not planned again."""
        ...

    def entry_waiting(self, entry: WaitlistEntry) -> None:
        """`entry` waits for a slot (it joined, or was listed again or changed): openings
        it suits that are looking for people get their next wave soon."""
        ...


class VacancyStopper(Protocol):
    """Ends a withdrawn opening's offers (the offers part builds it)."""

    def stop(self, detail: OpeningDetail) -> None:
        """Its open offers end now: their entries wait again for the next opening and
        their numbers' offers close; texts not yet sent are then suppressed by the sender."""
        ...


class ActivityLog(Protocol):
    def append(self, tenant_id: str, entry: ActivityEntry) -> None: ...


class ActivityReader(ActivityLog, Protocol):
    """The log as oversight reads it back; writers need only `ActivityLog`."""

    def day(self, tenant_id: str, day: str) -> list[ActivityEntry]:
        """The tenant's entries of one UTC day."""
        ...


class HourlyRuns(Protocol):
    """Once an hour, however often (and however concurrently) a scheduled job runs."""

    def first_run_of_hour(self, job: str, hour: str) -> bool:
        """True for the one call that claims `job` for the UTC `hour` ("2030-01-10T09");
        False for every later call with the same two."""
        ...

    def ran_in_hour(self, job: str, hour: str) -> bool:
        """Whether `job` was claimed for the UTC `hour` already: a read, claiming nothing."""
        ...


class ExperimentReader(Protocol):
    """A template experiment by its id (its variants' words)."""

    def get_experiment(self, tenant_id: str, experiment_id: str) -> Experiment | None: ...


class TimeIndex(Protocol):
    def messages_between(self, tenant_id: str, start: datetime, end: datetime) -> list[TimedText]:
        """Every automated text (an appointment's or an offer's) planned or sent between
        two instants, whatever its status, as the time index lists it."""
        ...


class OversightStore(TimeIndex, Protocol):
    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]: ...

    def text_facts(
        self, tenant_id: str, identities: Sequence[TextIdentity]
    ) -> dict[TextIdentity, TextFacts]: ...

    def appointments_starting(
        self,
        tenant_id: str,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> tuple[list[Appointment], bool]: ...

    def set_pause(
        self, tenant_id: str, *, paused: bool, by: str, reason: str | None, at: datetime
    ) -> Tenant: ...


class TenantReader(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...


class VacancyReaders(TenantReader, Protocol):
    """What the waitlist and openings lists read beside them: the numbers' opt-outs and the
    appointments that took openings (one BatchGetItem each per page)."""

    def recipients_by_key(self, tenant_id: str, keys: list[str]) -> dict[str, Recipient]: ...

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]: ...


class SettingsStore(TenantReader, Protocol):
    def save_settings(
        self,
        tenant_id: str,
        values: dict[str, Any],
        *,
        expected_version: int,
        audit: ActivityEntry,
    ) -> None:
        """Set these settings (top-level Tenant fields, as JSON values; None removes one so
        its default applies) and the next settings version, and append the audit entry,
        in one transaction, if the stored settings version is still `expected_version`.

        Raises ConcurrentModification when it is not (or the tenant is gone).
        """
        ...


@dataclass(frozen=True)
class RenderedSms:
    body: str
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int
    characters: int  # len(body): Unicode code points of the final body


class Renderer(Protocol):
    """The words of every text: given to the domain so it never imports them."""

    def message(
        self,
        kind: MessageKind,
        tenant: Tenant,
        appointment: Appointment,
        *,
        first_contact: bool,
        previous_starts_at: datetime | None = None,
        now: datetime | None = None,
        fit: bool = True,
    ) -> RenderedSms: ...

    def offer(
        self,
        kind: MessageKind,
        tenant: Tenant,
        opening: Opening,
        customer: Customer,
        *,
        first_contact: bool,
        now: datetime | None = None,
    ) -> RenderedSms:
        """An offer's text (`offer`, `offer_taken`): the business and the slot's time, never
        the customer's name or the visit's details, and how to answer."""
        ...

    def reply(
        self,
        name: str,
        tenant: Tenant,
        appointment: Appointment | None,
        *,
        due: datetime | None = None,
        options: Sequence[datetime] = (),
    ) -> str:
        """The TwiML answer `name` (confirmed, cancelled, ack...) to a customer's text;
        `options` are the times a reschedule offers, by digit from 1."""
        ...

    def option_room(self, name: str, tenant: Tenant, locale: str | None = None) -> int:
        """How many digits (at most 3) the answer `name` can offer in one segment."""
        ...

    def moment(self, at: datetime, timezone: str, locale: str) -> str:
        """A time as the locale writes it, in the tenant's zone."""
        ...


class TemplateRules(Protocol):
    """What the words of a template must respect, from the module that owns the words."""

    def default(self, locale: str, kind: MessageKind) -> str: ...

    def problems(self, text: str, kind: MessageKind) -> list[str]:
        """Why a template is unfit to send (unknown placeholders, a carrier keyword asked
        for another purpose, ...); empty when it is fit."""
        ...

    def worst_case(self, tenant: Tenant, locale: str, kind: MessageKind) -> RenderedSms:
        """The text as the tenant would send it to a long-named first-time customer, with
        long values in every placeholder: what its length is judged by."""
        ...

    def worst_case_fill(self, tenant: Tenant, locale: str) -> dict[str, RenderedSms]:
        """Vacancy fill's texts (offers, "just taken", R's answers) at their longest for
        this tenant, by kind or answer name: each must be one segment."""
        ...


# ---- outbound webhooks ------------------------------------------------------------------


class WebhookEndpoints(Protocol):
    """A tenant's webhook endpoints, as the deliverer reads them."""

    def endpoints_for(self, tenant_id: str, event_type: str) -> list[WebhookEndpoint]:
        """The tenant's endpoints subscribed to this event type."""
        ...

    def get_endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...


class WebhookEndpointStore(WebhookEndpoints, Protocol):
    """The endpoints as managers change them; every change is written with its audit entry
    in one transaction, or not at all."""

    def endpoints(self, tenant_id: str) -> list[WebhookEndpoint]:
        """Every endpoint of the tenant, by endpoint id."""
        ...

    def create_endpoint(
        self, endpoint: WebhookEndpoint, *, limit: int, audit: ActivityEntry
    ) -> None:
        """Write a new endpoint if the tenant has fewer than `limit`.

        Raises EndpointLimitReached when it has `limit` already, and ConcurrentModification
        when an endpoint with this id exists.
        """
        ...

    def update_endpoint(
        self, endpoint: WebhookEndpoint, *, expected_version: int, audit: ActivityEntry
    ) -> None:
        """Set the endpoint's URL, events, description, update time and version (never its
        secret) if its stored version is `expected_version`.

        Raises ConcurrentModification when it is not, or the endpoint is gone.
        """
        ...

    def delete_endpoint(self, tenant_id: str, endpoint_id: str, *, audit: ActivityEntry) -> bool:
        """Remove the endpoint; False when there was none (and nothing is written)."""
        ...


class SecretSealer(Protocol):
    """Encrypts a secret we must use again (a webhook endpoint's or a Cal.com integration's
    signing secret) at rest. `context` (the tenant and the owner's id) is bound to the
    sealed value: opening it under another context fails."""

    def seal(self, secret: str, context: dict[str, str]) -> str: ...

    def open(self, sealed: str, context: dict[str, str]) -> str: ...


class DeliveryLog(Protocol):
    """Deliveries and their attempts, as the deliverer writes them."""

    def begin(self, delivery: Delivery) -> bool:
        """Create the delivery; False when it exists already (and it is left as it is)."""
        ...

    def get(self, tenant_id: str, endpoint_id: str, delivery_id: str) -> Delivery | None: ...

    def claim_attempt(
        self, delivery: Delivery, number: int, now: datetime, until: datetime
    ) -> bool:
        """Claim attempt `number` of the delivery until `until`, before its POST: True if
        the stored delivery has `number - 1` attempts and no live claim on this number
        (none, or one that expired before `now`); False leaves it to its claimant."""
        ...

    def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt) -> Delivery:
        """Log `attempt` with the delivery's new state and next attempt time (`delivery` as
        it is after the attempt), if the stored delivery has `attempt.number - 1` attempts.

        Raises ConcurrentModification when that attempt is logged already (a duplicate
        receive of one queue message) or the delivery does not exist.
        """
        ...

    def deliveries(
        self, tenant_id: str, endpoint_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        """The endpoint's deliveries, newest event first, `limit` at a time; the cursor
        (opaque) continues after the last one. A cursor not of this listing raises
        InvalidRequest."""
        ...


class DeliveryHistory(DeliveryLog, Protocol):
    """The log as managers read it and retry from it."""

    def reopen(
        self,
        tenant_id: str,
        endpoint_id: str,
        delivery_id: str,
        *,
        stale_before: datetime,
        audit: ActivityEntry,
    ) -> Delivery:
        """Make a delivery pending again, due at the audit entry's time, for one more
        attempt: one that is delivered or failed, or pending but due before `stale_before`
        (its planned attempt was lost).

        Raises NotFound when there is no such delivery, and ConcurrentModification when it
        is pending and not stale (its retries are still running).
        """
        ...


class DeliveryQueue(Protocol):
    def enqueue(self, delivery: Delivery) -> None:
        """Hand the delivery to the deliverer for one attempt now."""
        ...


class HostResolver(Protocol):
    def addresses(self, host: str) -> list[str]:
        """The IP addresses a host name resolves to; empty when it does not resolve."""
        ...


@dataclass(frozen=True)
class PostOutcome:
    """What one POST to an endpoint came to. `status_code` is None when no answer came
    (refused address, connection error, timeout): `error` says which."""

    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookPoster(Protocol):
    def post(self, url: str, webhook_id: str, body: str, secret: str) -> PostOutcome:
        """Sign the body (Standard Webhooks, timestamped at the moment of sending) and POST
        it once. The endpoint's failures are an outcome, never an exception."""
        ...


class DeliveryRetries(Protocol):
    def schedule_retry(self, delivery: Delivery, attempt: int, at: datetime) -> None:
        """Put the delivery on the deliveries queue at `at` for attempt number `attempt`;
        planning the same attempt twice is one plan."""
        ...


# ---- integrations in (Cal.com, FHIR) ----------------------------------------------------


class CalcomIntegrations(Protocol):
    def get_calcom(self, integration_id: str) -> CalcomIntegration | None: ...

    def create_calcom(self, integration: CalcomIntegration) -> bool:
        """Create once; False when the id exists already."""
        ...

    def delete_calcom(self, tenant_id: str, integration_id: str) -> bool:
        """Delete the tenant's integration; False when it has none of that id."""
        ...


class FhirResources(Protocol):
    def get(
        self, tenant_id: str, resource_type: str, resource_id: str
    ) -> StoredFhirResource | None: ...

    def put(
        self,
        stored: StoredFhirResource,
        *,
        expected_version: int | None,
    ) -> None:
        """Write this version; ConcurrentModification when the stored one is no longer
        `expected_version` (None: when one exists). An outcome it carries is recorded on
        the appointment, with its event, before."""
        ...


class ExperimentMembers(Protocol):
    def join_experiment(
        self,
        tenant_id: str,
        experiment_id: str,
        appointment_id: str,
        *,
        variant: str,
        text: str,
        at: datetime,
    ) -> None:
        """Record that the appointment was sent (or is being sent) `text` (its kind and
        version) written with `variant`: the first write keeps its variant and moment,
        every write adds its text once, so a retried send changes nothing."""
        ...


@dataclass(frozen=True)
class ExperimentMembership:
    """An experiment's members as its report reads them: each appointment's variant, and
    how many distinct texts each variant wrote."""

    variants: dict[str, str]
    texts: dict[str, int]


@dataclass(frozen=True)
class WinnerTemplates:
    """A stop that makes a variant the tenant's template: the tenant's templates after it,
    and the settings change it is, made on `expected_version`."""

    templates: dict[str, dict[str, str]]
    expected_version: int
    audit: ActivityEntry


class ExperimentStore(ExperimentMembers, TenantReader, Protocol):
    def start_experiment(self, experiment: Experiment) -> None:
        """Write a running experiment and put it in its tenant's slot, in one transaction.

        Raises ConcurrentModification when the id exists or the slot is taken (nothing is
        written)."""
        ...

    def get_experiment(self, tenant_id: str, experiment_id: str) -> Experiment | None: ...

    def list_experiments(self, tenant_id: str) -> list[Experiment]:
        """Every experiment of the tenant, newest first."""
        ...

    def stop_experiment(self, stopped: Experiment, winner: WinnerTemplates | None) -> None:
        """Mark the running experiment stopped as `stopped` says and free its slot, with
        the winner's templates and their settings change when there is one, in one
        transaction. Raises ConcurrentModification when it no longer runs or the settings
        changed since they were read (nothing is written)."""
        ...

    def experiment_members(self, tenant_id: str, experiment_id: str) -> ExperimentMembership: ...

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]: ...
