"""What the waitlist and openings routes take and give. Stored models stay in
rendezvous.domain.vacancy."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from rendezvous.api.appointments import CustomerIn, CustomerOut
from rendezvous.domain.models import Customer
from rendezvous.domain.ports import OpeningDetail
from rendezvous.domain.vacancies import EntryDraft, OpeningDraft, Taker
from rendezvous.domain.vacancy import (
    Offer,
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)

# Openings made by a cancellation are named after the appointment (op-<id>-v<version>),
# so their ids run longer than the 64 characters of an appointment id.
OPENING_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
OPENING_ID_RULE = (
    "1-100 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
)
Name = Annotated[str | None, Field(max_length=120)]
# Ids Rendezvous gives: a cancellation's or a move's opening (op-<appointment>-v<version>),
# a slot named by its content (op-b-<digest>), a fill's appointment (fill-...). A booking
# system's own id there could take a cancellation's opening id, and the cancel would then
# fail; the content id alone may come back (a retry of the slot it names).
RESERVED_OPENING_PREFIXES = ("op-", "fill-")
CONTENT_OPENING_ID = re.compile(r"op-b-[0-9a-f]{24}")


def _plausible(value: datetime | None) -> datetime | None:
    # As for appointments: also keeps astimezone() clear of the calendar's edges.
    if value is not None and not 2000 <= value.replace(tzinfo=None).year <= 2199:
        raise ValueError("must be between the years 2000 and 2199")
    return value


class WaitlistEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerIn
    service: Name = Field(default=None, description="unset: any service (matched case aside)")
    provider: Name = Field(default=None, description="unset: any provider")
    earliest: AwareDatetime | None = Field(
        default=None, description="the first start time the customer can make"
    )
    latest: AwareDatetime | None = Field(
        default=None, description="the last start time the customer can make"
    )

    _years = field_validator("earliest", "latest")(_plausible)

    def to_draft(self) -> EntryDraft:
        return EntryDraft(
            customer=Customer(
                phone=self.customer.phone, name=self.customer.name, locale=self.customer.locale
            ),
            service=self.service or None,
            provider=self.provider or None,
            earliest=self.earliest.astimezone(UTC) if self.earliest else None,
            latest=self.latest.astimezone(UTC) if self.latest else None,
        )


class WaitlistEntryOut(BaseModel):
    entry_id: str
    status: WaitlistStatus
    customer: CustomerOut
    service: str | None = None
    provider: str | None = None
    earliest: datetime | None = None
    latest: datetime | None = None
    listed_at: datetime
    updated_at: datetime | None = None
    filled_opening_id: str | None = None
    offered_opening_id: str | None = Field(
        default=None, description="while offered: the opening the open offer is for"
    )
    offered_starts_at: datetime | None = Field(
        default=None, description="while offered: when that opening starts"
    )
    opted_out: bool = Field(
        default=False, description="the number opted out (STOP): no offer goes to it"
    )
    version: int

    @classmethod
    def of(cls, entry: WaitlistEntry, *, opted_out: bool = False) -> WaitlistEntryOut:
        offered = entry.status is WaitlistStatus.OFFERED
        return cls(
            entry_id=entry.entry_id,
            status=entry.status,
            customer=CustomerOut(
                phone=entry.customer.phone, name=entry.customer.name, locale=entry.customer.locale
            ),
            service=entry.service,
            provider=entry.provider,
            earliest=entry.earliest,
            latest=entry.latest,
            listed_at=entry.listed_at,
            updated_at=entry.updated_at,
            filled_opening_id=entry.filled_opening_id,
            offered_opening_id=entry.offered_opening_id if offered else None,
            offered_starts_at=entry.offered_starts_at if offered else None,
            opted_out=opted_out,
            version=entry.version,
        )


class WaitlistPageOut(BaseModel):
    entries: list[WaitlistEntryOut]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` with the same status for the next page"
    )


class OpeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    opening_id: str | None = Field(
        default=None,
        pattern=OPENING_ID_PATTERN,
        description="the booking system's id for the slot, not starting op- or fill- "
        "(Rendezvous's own ids); unset, the slot's own fields name it. Posting the same id "
        "(or slot) again answers the opening already there",
    )
    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=5, le=1440)
    service: Name = None
    provider: Name = None
    location: Name = None

    _years = field_validator("starts_at")(_plausible)

    @field_validator("opening_id")
    @classmethod
    def _not_reserved(cls, value: str | None) -> str | None:
        if (
            value is not None
            and value.startswith(RESERVED_OPENING_PREFIXES)
            and not CONTENT_OPENING_ID.fullmatch(value)
        ):
            raise ValueError(
                "ids starting op- or fill- are Rendezvous's own (the openings cancellations "
                "make, the appointments fills make): use another, or leave opening_id out"
            )
        return value

    def to_draft(self) -> OpeningDraft:
        return OpeningDraft(
            starts_at=self.starts_at.astimezone(UTC),
            duration_minutes=self.duration_minutes,
            service=self.service or None,
            provider=self.provider or None,
            location=self.location or None,
        )


class OfferOut(BaseModel):
    entry_id: str
    name: str
    phone: str
    wave: int
    sent_at: datetime
    status: OfferStatus
    message_status: str | None = None
    message_reason: str | None = None
    answered_at: datetime | None = None

    @classmethod
    def of(cls, offer: Offer) -> OfferOut:
        return cls(
            entry_id=offer.entry_id,
            name=offer.name,
            phone=offer.phone,
            wave=offer.wave,
            sent_at=offer.sent_at,
            status=offer.status,
            message_status=offer.message_status,
            message_reason=offer.message_reason,
            answered_at=offer.answered_at,
        )


class TakerOut(BaseModel):
    appointment_id: str
    name: str | None = None
    phone: str
    moved_from: datetime | None = Field(
        default=None,
        description="the customer's own appointment moved into the slot (a reply digit) "
        "from this start",
    )

    @classmethod
    def of(cls, taker: Taker) -> TakerOut:
        return cls(
            appointment_id=taker.appointment_id,
            name=taker.name,
            phone=taker.phone,
            moved_from=taker.moved_from,
        )


class OpeningOut(BaseModel):
    opening_id: str
    status: OpeningStatus
    starts_at: datetime
    duration_minutes: int | None = None
    service: str | None = None
    provider: str | None = None
    location: str | None = None
    source: OpeningSource
    replaces: str | None = Field(default=None, description="the appointment it came from")
    created_at: datetime
    filled_at: datetime | None = None
    filled_by_entry: str | None = None
    filled_appointment_id: str | None = None
    withdrawn_at: datetime | None = Field(default=None, description="when DELETE took it back")
    waves_sent: int
    offered_to: int
    version: int
    taken_by: TakerOut | None = Field(
        default=None, description="filled: the customer whose appointment fills it"
    )
    offers: list[OfferOut] | None = Field(
        default=None, description="who it was offered to, when, and what came of it (GET one)"
    )

    @classmethod
    def of(
        cls, opening: Opening, offers: list[Offer] | None = None, taker: Taker | None = None
    ) -> OpeningOut:
        return cls(
            **opening.model_dump(exclude={"tenant_id"}),
            taken_by=TakerOut.of(taker) if taker else None,
            offers=None if offers is None else [OfferOut.of(o) for o in offers],
        )

    @classmethod
    def detail(cls, found: OpeningDetail, taker: Taker | None = None) -> OpeningOut:
        return cls.of(found.opening, found.offers, taker)


class OpeningPageOut(BaseModel):
    openings: list[OpeningOut]
    next_cursor: str | None = Field(
        default=None,
        description="pass as `cursor` with the same status, from and to for the next page",
    )
