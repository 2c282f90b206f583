"""The waitlist and openings as the booking system and staff keep them (PUT/GET/DELETE
/v1/waitlist, POST/GET /v1/openings). Offers are the offers part's (it reads these)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from rendezvous.domain.activity import opening_created
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import ConcurrentModification, Conflict, InvalidFields, NotFound
from rendezvous.domain.models import Customer, Tenant
from rendezvous.domain.ports import (
    ActivityLog,
    OpeningDetail,
    VacancyReaders,
    VacancyStarter,
    VacancyStopper,
    VacancyStore,
)
from rendezvous.domain.vacancy import (
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.phone import InvalidPhoneNumber, parse_phone, region_of

# The widest range one openings list answers, as for appointments: a month.
MAX_OPENINGS_RANGE = timedelta(days=31)


@dataclass(frozen=True)
class EntryDraft:
    """What the booking system or staff say about someone waiting."""

    customer: Customer
    service: str | None = None
    provider: str | None = None
    earliest: datetime | None = None
    latest: datetime | None = None


@dataclass(frozen=True)
class OpeningDraft:
    """A slot the booking system publishes."""

    starts_at: datetime
    duration_minutes: int | None = None
    service: str | None = None
    provider: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class Taker:
    """Who took a filled opening, as the front desk names them: the customer of the
    appointment that fills it and, when their own appointment moved into it by a reply
    digit, where it was before."""

    appointment_id: str
    name: str | None
    phone: str
    moved_from: datetime | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Saved(Generic[T]):
    value: T
    created: bool


def published_opening_id(draft: OpeningDraft) -> str:
    """The id of a published slot that names none: its content, so the same slot posted
    twice (a retry, a booking system that republishes) is one opening."""
    fields = [
        draft.starts_at.astimezone(UTC).isoformat(),
        str(draft.duration_minutes or ""),
        draft.service or "",
        draft.provider or "",
        draft.location or "",
    ]
    digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
    return f"op-b-{digest[:24]}"


@dataclass
class VacancyService:
    store: VacancyStore
    tenants: VacancyReaders
    clock: Clock
    # Offers a published opening; see AppointmentService.starter.
    starter: VacancyStarter | None = None
    # Ends a withdrawn opening's offers (the offers part); None: its next wave does.
    stopper: VacancyStopper | None = None
    # Where GET /v1/stats counts the openings published.
    activity: ActivityLog | None = None

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.tenants.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant

    # -- the waitlist

    def put_entry(self, tenant_id: str, entry_id: str, draft: EntryDraft) -> Saved[WaitlistEntry]:
        """List someone, or change what they wait for. An entry that took a slot or was
        removed is listed again, at the end of the list; one still waiting keeps its place."""
        tenant = self._tenant(tenant_id)
        now = self.clock.now()
        draft = _checked(draft, tenant, now)
        for _ in range(2):
            stored = self.store.get_entry(tenant_id, entry_id)
            relisted = stored is None or stored.status not in (
                WaitlistStatus.WAITING,
                WaitlistStatus.OFFERED,
            )
            wanted = {
                "customer": draft.customer,
                "service": draft.service,
                "provider": draft.provider,
                "earliest": draft.earliest,
                "latest": draft.latest,
            }
            if stored is not None and not relisted:
                if all(getattr(stored, name) == value for name, value in wanted.items()):
                    return Saved(stored, created=False)
                entry = stored.model_copy(
                    update={**wanted, "updated_at": now, "version": stored.version + 1}
                )
            else:
                entry = WaitlistEntry(
                    tenant_id=tenant_id,
                    entry_id=entry_id,
                    listed_at=now,
                    updated_at=now,
                    version=1 if stored is None else stored.version + 1,
                    **wanted,
                )
            try:
                self.store.put_entry(
                    entry, expected_version=None if stored is None else stored.version
                )
            except ConcurrentModification:
                continue
            if entry.status is WaitlistStatus.WAITING and self.starter is not None:
                self.starter.entry_waiting(entry)
            return Saved(entry, created=stored is None)
        raise ConcurrentModification("the entry changed while it was being saved; retry")

    def get_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry:
        entry = self.store.get_entry(tenant_id, entry_id)
        if entry is None:
            raise NotFound("waitlist entry not found")
        return entry

    def remove_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry:
        """Take someone off the list; a repeat changes nothing. An entry that took a slot
        stays as it is: it is off the list already, and says which slot. An offer that
        holds the entry ends with it: its text is not sent, a Y to it takes nothing."""
        for _ in range(3):
            entry = self.get_entry(tenant_id, entry_id)
            if entry.status in (WaitlistStatus.REMOVED, WaitlistStatus.FILLED):
                return entry
            removed = entry.model_copy(
                update={
                    "status": WaitlistStatus.REMOVED,
                    "updated_at": self.clock.now(),
                    "version": entry.version + 1,
                }
            )
            try:
                if entry.status is WaitlistStatus.OFFERED:
                    self.store.remove_offered_entry(removed, expected_version=entry.version)
                else:
                    self.store.put_entry(removed, expected_version=entry.version)
            except ConcurrentModification:
                continue
            return removed
        raise ConcurrentModification("the entry changed while it was being removed; retry")

    def entries(
        self, tenant_id: str, status: WaitlistStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        return self.store.entries(tenant_id, status, limit, cursor)

    def opted_out(self, tenant_id: str, entries: list[WaitlistEntry]) -> set[str]:
        """The recipient keys among `entries`' numbers that opted out (STOP, or staff on
        their request): offers skip them, so the desk must see it. One BatchGetItem."""
        keys = sorted({e.recipient_key for e in entries})
        if not keys:
            return set()
        found = self.tenants.recipients_by_key(tenant_id, keys)
        return {key for key, recipient in found.items() if recipient.opted_out}

    # -- openings

    def publish(
        self, tenant_id: str, draft: OpeningDraft, opening_id: str | None
    ) -> Saved[Opening]:
        """Publish a slot once: the same id again answers the stored opening (a retry);
        the same id for another slot is a conflict."""
        tenant = self._tenant(tenant_id)
        now = self.clock.now()
        notice = timedelta(minutes=tenant.fill_min_notice_minutes)
        # Strictly later, as the waves and the take need: a slot at exactly now + notice
        # could never be offered.
        if draft.starts_at <= now + notice:
            raise InvalidFields(
                [
                    (
                        "starts_at",
                        f"must be at least {tenant.fill_min_notice_minutes} minutes ahead "
                        "(the tenant's fill_min_notice_minutes) to be offered",
                    )
                ]
            )
        # The horizon R offers openings within is the one a published slot must start
        # within: one window for the tenant's openings, which its manager sets. A slot
        # further ahead is too far off to be the short notice waitlisted people wait for.
        if draft.starts_at > now + timedelta(days=tenant.fill_horizon_days):
            raise InvalidFields(
                [
                    (
                        "starts_at",
                        f"must be within {tenant.fill_horizon_days} days "
                        "(the tenant's fill_horizon_days) to be offered",
                    )
                ]
            )
        opening = Opening(
            tenant_id=tenant_id,
            opening_id=opening_id or published_opening_id(draft),
            starts_at=draft.starts_at,
            duration_minutes=draft.duration_minutes,
            service=draft.service,
            provider=draft.provider,
            location=draft.location,
            source=OpeningSource.BOOKING,
            created_at=now,
        )
        # Started whether fill is on or not: its waves offer nothing while fill is off and
        # look again later, so it is offered once fill is turned on (and still expires).
        if self.store.create_opening(opening):
            if self.activity is not None:
                self.activity.append(tenant_id, opening_created(opening, now))
            if self.starter is not None:
                self.starter.start(opening)
            return Saved(opening, created=True)
        stored = self.get_opening(tenant_id, opening.opening_id).opening
        if not _same_slot(stored, opening):
            raise Conflict(f"opening {opening.opening_id} exists for another slot")
        if self.starter is not None:
            # The first call may have stopped before starting it (its answer was a 500).
            self.starter.ensure_started(stored)
        return Saved(stored, created=False)

    def withdraw(self, tenant_id: str, opening_id: str) -> Opening:
        """Take an opening back (the clinic filled the slot another way): it is offered no
        more, its open offers end and a Y to it wins nothing. A repeat, or an opening that
        expired, changes nothing; a filled one is a conflict (its appointment stands: cancel
        that instead)."""
        for _ in range(3):
            detail = self.get_opening(tenant_id, opening_id)
            opening = detail.opening
            if opening.status is OpeningStatus.FILLED:
                raise Conflict(
                    f"opening {opening_id} is filled by appointment "
                    f"{opening.filled_appointment_id}: cancel that appointment instead"
                )
            if opening.status in (OpeningStatus.WITHDRAWN, OpeningStatus.EXPIRED):
                return opening
            withdrawn = opening.model_copy(
                update={
                    "status": OpeningStatus.WITHDRAWN,
                    "withdrawn_at": self.clock.now(),
                    "version": opening.version + 1,
                }
            )
            try:
                # Versioned: a take that lands first makes this a conflict on the next read.
                self.store.save_opening(withdrawn, expected_version=opening.version)
            except ConcurrentModification:
                continue
            if self.stopper is not None:
                self.stopper.stop(detail)
            return withdrawn
        raise ConcurrentModification("the opening changed while it was being withdrawn; retry")

    def get_opening(self, tenant_id: str, opening_id: str) -> OpeningDetail:
        found = self.store.get_opening(tenant_id, opening_id)
        if found is None:
            raise NotFound("opening not found")
        return found

    def takers(self, tenant_id: str, openings: list[Opening]) -> dict[str, Taker]:
        """Who took each filled opening among `openings`, by opening id: one BatchGetItem of
        the appointments that fill them. A waitlist winner's appointment is new; a
        reschedule's is the customer's own, moved in from `previous_starts_at`."""
        filled = [
            o for o in openings if o.status is OpeningStatus.FILLED and o.filled_appointment_id
        ]
        if not filled:
            return {}
        found = self.tenants.appointments(
            tenant_id, sorted({o.filled_appointment_id for o in filled if o.filled_appointment_id})
        )
        takers: dict[str, Taker] = {}
        for opening in filled:
            appointment = found.get(opening.filled_appointment_id or "")
            if appointment is None:
                continue
            # Moved in by a digit, and not moved again since: from where it was.
            moved = (
                opening.filled_by_entry is None
                and appointment.starts_at == opening.starts_at
                and appointment.previous_starts_at is not None
            )
            takers[opening.opening_id] = Taker(
                appointment_id=appointment.appointment_id,
                name=appointment.customer.name,
                phone=appointment.customer.phone,
                moved_from=appointment.previous_starts_at if moved else None,
            )
        return takers

    def openings(
        self,
        tenant_id: str,
        *,
        status: OpeningStatus | None,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Opening], str | None]:
        """Openings starting in [start, end) (by default the month from now), soonest
        first."""
        start = start or self.clock.now()
        end = end or start + MAX_OPENINGS_RANGE
        if start >= end:
            raise InvalidFields([("to", "must be later than from")])
        if end - start > MAX_OPENINGS_RANGE:
            raise InvalidFields(
                [("to", f"must be at most {MAX_OPENINGS_RANGE.days} days after from")]
            )
        return self.store.openings(
            tenant_id, status=status, start=start, end=end, limit=limit, cursor=cursor
        )


def _same_slot(stored: Opening, asked: Opening) -> bool:
    fields = ("starts_at", "duration_minutes", "service", "provider", "location", "source")
    return all(getattr(stored, f) == getattr(asked, f) for f in fields)


def _checked(draft: EntryDraft, tenant: Tenant, now: datetime) -> EntryDraft:
    problems: list[tuple[str, str]] = []
    try:
        phone = parse_phone(draft.customer.phone, region_of(tenant.phone_number))
    except InvalidPhoneNumber as exc:
        problems.append(("customer.phone", str(exc)))
        phone = draft.customer.phone
    if draft.earliest is not None and draft.latest is not None and draft.latest <= draft.earliest:
        problems.append(("latest", "must be later than earliest"))
    elif draft.latest is not None and draft.latest <= now:
        problems.append(("latest", "is in the past: nothing could be offered"))
    if problems:
        raise InvalidFields(problems)
    return EntryDraft(
        customer=draft.customer.model_copy(update={"phone": phone}),
        service=draft.service,
        provider=draft.provider,
        earliest=draft.earliest,
        latest=draft.latest,
    )
