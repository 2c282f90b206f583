"""R with free slots that fit (CONTRACT.md, Vacancy fill): up to three openings offered as
digits, and the digit that moves the appointment into one (its old slot opens in turn).

The inbound service asks this module; what it cannot do (no fitting opening, the choice
expired, the appointment changed) goes to a person as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rendezvous.domain.activity import ActivityEvent, FillVia, opening_entry
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.errors import ConcurrentModification, Conflict, NotFound, Unprocessable
from rendezvous.domain.events import opening_taken_by_move
from rendezvous.domain.models import Appointment, AppointmentStatus, OpenOffer, Tenant
from rendezvous.domain.ports import ActivityLog, AppointmentStore, VacancyStarter, VacancyStore
from rendezvous.domain.vacancy import (
    FillMatch,
    Opening,
    OpeningSource,
    OpeningStatus,
    cancellation_opening_id,
    service_key,
)
from rendezvous.domain.vacancy_take import give_back, take_opening

MAX_OPTIONS = 3
# How long the digits stay a choice: long enough to read and answer, short enough that
# the slots are still free. Sooner when the first slot's notice limit comes first.
CHOICE_OPEN_FOR = timedelta(hours=2)
# Openings read per status to find three that fit: a bounded read, never a Scan.
PAGE = 50


class Chosen(StrEnum):
    MOVED = "moved"  # the appointment now takes the chosen slot
    TAKEN = "taken"  # someone else took it first (or it is too close now)
    GONE = "gone"  # the appointment to move is cancelled, started or changed


@dataclass(frozen=True)
class Choice:
    outcome: Chosen
    appointment: Appointment | None = None
    opening: Opening | None = None
    freed: Opening | None = None


def _same(wanted: str | None, offered: str | None) -> bool:
    if wanted is None:
        return True
    return offered is not None and service_key(wanted) == service_key(offered)


def fits(tenant: Tenant, appointment: Appointment, opening: Opening) -> bool:
    """An opening the customer of `appointment` could move to, by the tenant's matching
    rule (as the waitlist is matched): the same service (and provider), another time."""
    if opening.starts_at == appointment.starts_at or opening.replaces == appointment.appointment_id:
        return False
    if tenant.fill_match is not FillMatch.ANY and not _same(appointment.service, opening.service):
        return False
    return tenant.fill_match is not FillMatch.SERVICE_AND_PROVIDER or _same(
        appointment.provider, opening.provider
    )


@dataclass
class RescheduleService:
    vacancies: VacancyStore
    store: AppointmentStore
    appointments: AppointmentService
    log: ActivityLog
    # Starts offering the slot a move frees (the offers part); None: it waits, listed.
    starter: VacancyStarter | None = None

    def fitting(self, tenant: Tenant, appointment: Appointment, now: datetime) -> list[Opening]:
        """Up to three open openings that fit, soonest first: after the tenant's notice,
        within its horizon. One bounded Query per open status."""
        if not tenant.fill_enabled:
            return []
        start = now + timedelta(minutes=tenant.fill_min_notice_minutes, seconds=1)
        end = now + timedelta(days=tenant.fill_horizon_days)
        found: list[Opening] = []
        for status in (OpeningStatus.OPEN, OpeningStatus.OFFERED):
            page, _ = self.vacancies.openings(
                tenant.tenant_id, status=status, start=start, end=end, limit=PAGE, cursor=None
            )
            found.extend(o for o in page if fits(tenant, appointment, o))
        found.sort(key=lambda o: (o.starts_at, o.opening_id))
        # Two openings at one time and place are one choice for the customer.
        unique: dict[tuple[datetime, str | None], Opening] = {}
        for opening in found:
            unique.setdefault((opening.starts_at, opening.provider), opening)
        return list(unique.values())[:MAX_OPTIONS]

    def offer(
        self, tenant: Tenant, phone: str, appointment: Appointment, now: datetime
    ) -> list[Opening]:
        """Find the openings that fit and keep them as the number's open choice; [] when
        none fits (a person takes the R)."""
        options = self.fitting(tenant, appointment, now)
        if not options:
            return []
        notice = timedelta(minutes=tenant.fill_min_notice_minutes)
        expires = min(now + CHOICE_OPEN_FOR, options[0].starts_at - notice)
        choice = OpenOffer(
            opening_ids=tuple(o.opening_id for o in options),
            digits={str(n): o.opening_id for n, o in enumerate(options, start=1)},
            expires_at=expires,
            appointment_id=appointment.appointment_id,
        )
        self.store.set_open_offer(tenant.tenant_id, phone, choice)
        return options

    def choose(
        self, tenant: Tenant, phone: str, choice: OpenOffer, opening_id: str, now: datetime
    ) -> Choice:
        """Move the appointment into the chosen opening if it is still free: one
        conditional write takes it, then the existing move path moves the appointment
        (the customer gets the moved text) and opens its old slot in the same write."""
        if choice.appointment_id is None:
            raise ValueError("not a reschedule's choice")
        found = self.store.get_appointment(tenant.tenant_id, choice.appointment_id)
        appointment = found[0] if found else None
        if (
            appointment is None
            or appointment.status is AppointmentStatus.CANCELLED
            or appointment.starts_at <= now
        ):
            self.store.set_open_offer(tenant.tenant_id, phone, None)
            return Choice(Chosen.GONE, appointment)
        taken = take_opening(
            self.vacancies,
            tenant.tenant_id,
            opening_id,
            now=now,
            min_notice_minutes=tenant.fill_min_notice_minutes,
            appointment_id=appointment.appointment_id,
        )
        if taken is None:
            return Choice(Chosen.TAKEN, appointment)
        freed = self._freed(tenant, appointment, now)
        event = opening_taken_by_move(
            tenant.tenant_id,
            taken.opening_id,
            appointment.model_copy(update={"starts_at": taken.starts_at}),
            appointment.starts_at,
            freed.opening_id if freed else None,
            now,
        )
        try:
            view = self.appointments.upsert(
                tenant.tenant_id,
                appointment.appointment_id,
                _draft_into(appointment, taken),
                expected_version=appointment.version,
                frees=freed,
                events=[event],
            )
        except (ConcurrentModification, Conflict, NotFound, Unprocessable):
            give_back(self.vacancies, taken)
            self.store.set_open_offer(tenant.tenant_id, phone, None)
            return Choice(Chosen.GONE, appointment)
        self.store.set_open_offer(tenant.tenant_id, phone, None)
        self._log(tenant, taken, freed, now)
        if freed is not None and self.starter is not None:
            self.starter.start(freed)
        return Choice(Chosen.MOVED, view.appointment, taken, freed)

    def _freed(self, tenant: Tenant, appointment: Appointment, now: datetime) -> Opening | None:
        """The opening the appointment's old slot becomes, when it is still worth offering."""
        if not tenant.fill_enabled or appointment.starts_at <= now + timedelta(
            minutes=tenant.fill_min_notice_minutes
        ):
            return None
        return Opening(
            tenant_id=tenant.tenant_id,
            # Deterministic, as a cancellation's: the version the appointment left.
            opening_id=cancellation_opening_id(appointment.appointment_id, appointment.version),
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            service=appointment.service,
            provider=appointment.provider,
            location=appointment.location,
            source=OpeningSource.RESCHEDULE,
            replaces=appointment.appointment_id,
            created_at=now,
        )

    def _log(self, tenant: Tenant, taken: Opening, freed: Opening | None, now: datetime) -> None:
        """Log the fill, and the opening the move frees (GET /v1/stats counts both)."""
        waited = now - taken.created_at
        entry = opening_entry(
            ActivityEvent.OPENING_FILLED,
            taken.opening_id,
            now,
            waited_minutes=waited.total_seconds() / 60,
            via=FillVia.RESCHEDULE,
        )
        self.log.append(tenant.tenant_id, entry)
        if freed is not None:
            created = opening_entry(
                ActivityEvent.OPENING_CREATED, freed.opening_id, now, source=freed.source.value
            )
            self.log.append(tenant.tenant_id, created)


def _draft_into(appointment: Appointment, opening: Opening) -> AppointmentDraft:
    """The appointment at the opening's time; the opening's length, provider and place
    where it names them."""
    return AppointmentDraft(
        customer=appointment.customer,
        starts_at=opening.starts_at,
        duration_minutes=opening.duration_minutes or appointment.duration_minutes,
        location=opening.location or appointment.location,
        provider=opening.provider or appointment.provider,
        service=appointment.service,
    )
