"""Vacancy fill: who waits for a slot (the waitlist), which slots are free to offer
(openings), and the offers that go between them (CONTRACT.md, Vacancy fill).

What is stored and reasoned about; the API's models live in rendezvous.api, the store is
the VacancyStore port (rendezvous.domain.ports).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

# FillMatch is the tenant's setting (on Tenant, in models), exported here too.
from rendezvous.domain.models import RETRIES_EXHAUSTED, Customer, MessageStatus
from rendezvous.domain.models import FillMatch as FillMatch


class WaitlistStatus(StrEnum):
    WAITING = "waiting"  # wants a slot; offers may go to it
    OFFERED = "offered"  # an offer to it is open: no second one until it ends
    FILLED = "filled"  # took an opening (`filled_opening_id`)
    REMOVED = "removed"  # taken off the list (DELETE); the table forgets it after 90 days


class OpeningStatus(StrEnum):
    OPEN = "open"  # free, no offer sent yet
    OFFERED = "offered"  # at least one wave of offers went out
    FILLED = "filled"  # someone took it
    EXPIRED = "expired"  # too close to start (or gone) before anyone took it
    WITHDRAWN = "withdrawn"  # taken back by the booking system or staff (DELETE)


class OpeningSource(StrEnum):
    CANCELLATION = "cancellation"  # an appointment cancelled long enough ahead
    BOOKING = "booking"  # the booking system published it (POST /v1/openings)
    RESCHEDULE = "reschedule"  # an appointment moved away by a reply digit


class OfferStatus(StrEnum):
    SENT = "sent"  # the offer text was planned or sent; the offer is open
    TAKEN = "taken"  # this entry's reply took the opening
    LOST = "lost"  # this entry replied after someone else took it
    EXPIRED = "expired"  # the opening was filled by another or became too close


OPEN_OPENING_STATUSES = frozenset({OpeningStatus.OPEN, OpeningStatus.OFFERED})
# An entry still on the list for a slot (listed for matching while WAITING only).
LISTED_ENTRY_STATUSES = frozenset({WaitlistStatus.WAITING, WaitlistStatus.OFFERED})


def cancellation_opening_id(appointment_id: str, cancelled_version: int) -> str:
    """The opening a cancellation makes: deterministic, so a retried cancel (or the same
    cancel arriving from two sources) opens nothing twice."""
    return f"op-{appointment_id}-v{cancelled_version}"


# An appointment id's most characters (the appointments routes' rule).
_APPOINTMENT_ID_MAX = 64
_FILL_DIGEST_CHARS = 20  # 80 bits of SHA-256


def fill_appointment_id(opening_id: str) -> str:
    """The appointment the winner of an opening gets: one per opening, by construction (a
    retried take finds it taken), and a valid appointment id. `fill-<opening id>` when that
    fits in 64 characters; for a longer opening id (a cancel of a long appointment id
    makes one up to 70, a publication up to 100) its head, to stay readable, then a digest
    of all of it: `fill.<head>.<digest>`, 64 characters. Its `.` after `fill` keeps it
    apart from every short form, which has `-` there."""
    short = f"fill-{opening_id}"
    if len(short) <= _APPOINTMENT_ID_MAX:
        return short
    digest = hashlib.sha256(opening_id.encode()).hexdigest()[:_FILL_DIGEST_CHARS]
    head = opening_id[: _APPOINTMENT_ID_MAX - len("fill..") - _FILL_DIGEST_CHARS]
    return f"fill.{head}.{digest}"


class WaitlistEntry(BaseModel):
    """One customer waiting for a slot, with what would suit them."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    entry_id: str
    customer: Customer
    service: str | None = None
    provider: str | None = None
    # The window of start times the customer can make; open-ended when unset.
    earliest: datetime | None = None
    latest: datetime | None = None
    listed_at: datetime
    status: WaitlistStatus = WaitlistStatus.WAITING
    filled_opening_id: str | None = None
    # While `offered`: the opening its open offer is for and when that slot starts, so
    # staff see which slot a person was offered (kept by the store only while offered).
    offered_opening_id: str | None = None
    offered_starts_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    def offered_for(self, opening: Opening) -> WaitlistEntry:
        """This entry as an offer of `opening` leaves it (the store moves it to offered)."""
        return self.model_copy(
            update={
                "offered_opening_id": opening.opening_id,
                "offered_starts_at": opening.starts_at,
            }
        )

    @property
    def recipient_key(self) -> str:
        from rendezvous.phone import recipient_key

        return recipient_key(self.tenant_id, self.customer.phone)

    def suits(self, opening: Opening, match: FillMatch) -> bool:
        """Whether this entry wants `opening` under the tenant's matching rule: its service
        (and provider) when it named one, and its window of start times."""
        if not opening.wanted_by(self.service, self.provider, match):
            return False
        if self.earliest is not None and opening.starts_at < self.earliest:
            return False
        return self.latest is None or opening.starts_at <= self.latest


def _same(wanted: str | None, offered: str | None) -> bool:
    """No preference suits anything; a preference suits the same name, case aside."""
    if wanted is None:
        return True
    return offered is not None and service_key(wanted) == service_key(offered)


def service_key(name: str) -> str:
    """How a service (or provider) name is compared and listed: case and surrounding
    spaces aside, so "Cleaning" and "cleaning " are one list."""
    return " ".join(name.split()).casefold()


class Opening(BaseModel):
    """A slot free to offer to the waitlist."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    opening_id: str
    starts_at: datetime
    duration_minutes: int | None = None
    service: str | None = None
    provider: str | None = None
    location: str | None = None
    source: OpeningSource
    # The appointment it came from (a cancellation or a reschedule); the winner's
    # appointment records it as `replaces`.
    replaces: str | None = None
    status: OpeningStatus = OpeningStatus.OPEN
    created_at: datetime
    filled_at: datetime | None = None
    filled_by_entry: str | None = None
    filled_appointment_id: str | None = None
    withdrawn_at: datetime | None = None
    waves_sent: int = 0
    offered_to: int = 0
    version: int = 1

    def wanted_by(self, service: str | None, provider: str | None, match: FillMatch) -> bool:
        """Whether someone after `service` and `provider` (None: any) would take this
        opening under the tenant's matching rule: a waitlist entry (WaitlistEntry.suits),
        or a customer moving their appointment by R."""
        if match is not FillMatch.ANY and not _same(service, self.service):
            return False
        return match is not FillMatch.SERVICE_AND_PROVIDER or _same(provider, self.provider)

    def worth_offering(self, now: datetime, min_notice_minutes: int) -> bool:
        """Still open and far enough ahead for someone to make it."""
        return self.status in OPEN_OPENING_STATUSES and self.starts_at > now + timedelta(
            minutes=min_notice_minutes
        )


class OpeningTake(BaseModel):
    """An opening filled by an appointment in the very write that moves the appointment
    there: made only while the opening is open or offered and starts after `not_before`
    (the tenant's notice from `at`). Otherwise that whole write fails: the slot was just
    taken, and nothing of the move is written."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    opening_id: str
    appointment_id: str
    at: datetime
    not_before: datetime


# An offer's message status moves forward only: the sender's `queued`, written after it
# sent, must not replace the status callback's `delivered` that beat it. Every status not
# ranked here is final.
_MESSAGE_RANK = {
    MessageStatus.PLANNED: 0,
    MessageStatus.DEFERRED: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.SENT: 3,
}
_FINAL_RANK = 4
# What a redrive reopens a text to. The one way back: a text `failed` because its retries
# ran out never left us, so a manager's redrive reopens it and its offer follows.
REOPENING_STATUSES = frozenset({MessageStatus.PLANNED, MessageStatus.DEFERRED})


def message_rank(status: MessageStatus) -> int:
    return _MESSAGE_RANK.get(status, _FINAL_RANK)


def offer_text_moves(
    stored_status: str | None, stored_reason: str | None, status: MessageStatus
) -> bool:
    """Whether an offer's message status `stored_status` (why: `stored_reason`) may become
    `status`: forward, or a redrive's reopen of a text whose retries ran out."""
    if stored_status is None or message_rank(MessageStatus(stored_status)) <= message_rank(status):
        return True
    return (
        status in REOPENING_STATUSES
        and stored_status == MessageStatus.FAILED
        and stored_reason == RETRIES_EXHAUSTED
    )


class Offer(BaseModel):
    """One opening offered to one waitlist entry by one automated text. Stored with the
    opening, so GET /v1/openings/{id} reads the opening and its offers in one Query."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    opening_id: str
    entry_id: str
    # Who it went to, as the entry named them when the offer was made (staff see who
    # took a slot even after the entry changes); logs mask the phone, never the API.
    phone: str
    name: str
    # The customer's language then: the offer's texts are written in it.
    locale: str | None = None
    wave: int = 1
    sent_at: datetime
    # The opening's start: the offer is forgotten with its opening (adapters' TTL).
    starts_at: datetime | None = None
    status: OfferStatus = OfferStatus.SENT
    # The offer text's delivery status (queued, delivered, suppressed...) and why, as the
    # sender and Twilio's callbacks record it on the offer's message record.
    message_status: str | None = None
    message_reason: str | None = None
    answered_at: datetime | None = None
