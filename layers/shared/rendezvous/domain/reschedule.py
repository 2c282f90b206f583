"""R with free slots that fit (CONTRACT.md, Vacancy fill): up to three openings offered as
digits, and the digit that moves the appointment into one (its old slot opens in turn).

The inbound service asks this module; what it cannot do (no fitting opening, the choice
expired, the appointment changed) goes to a person as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rendezvous.domain.activity import ActivityEvent, FillVia, opening_created, opening_entry
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService, vacancy_left_by
from rendezvous.domain.errors import Conflict, NotFound, OpeningTaken, Unprocessable
from rendezvous.domain.events import opening_taken_by_move
from rendezvous.domain.models import Appointment, AppointmentStatus, RescheduleOptions, Tenant
from rendezvous.domain.ports import ActivityLog, AppointmentStore, VacancyStarter, VacancyStore
from rendezvous.domain.vacancy import (
    Opening,
    OpeningStatus,
    OpeningTake,
)

MAX_OPTIONS = 3
# How long the digits stay a choice: long enough to read and answer, short enough that
# the slots are still free. Sooner when the first slot's notice limit comes first.
CHOICE_OPEN_FOR = timedelta(hours=2)
# Each open status's listing is read in time order, PAGE openings a Query, until three
# distinct choices fit or the horizon ends, but never more than MAX_PAGES Queries: at most
# 2 x MAX_PAGES Queries for an R, never a Scan. A fitting opening behind more than
# PAGE x MAX_PAGES that do not fit (in its status, inside the horizon) is left to a person.
PAGE = 100
MAX_PAGES = 5


class Chosen(StrEnum):
    MOVED = "moved"  # the appointment now takes the chosen slot
    TAKEN = "taken"  # someone else took it first (or it is too close now)
    GONE = "gone"  # the appointment to move is cancelled or started
    CHANGED = "changed"  # someone else changed the appointment since the options were offered


@dataclass(frozen=True)
class Choice:
    outcome: Chosen
    appointment: Appointment | None = None
    opening: Opening | None = None
    freed: Opening | None = None


def fits(tenant: Tenant, appointment: Appointment, opening: Opening) -> bool:
    """An opening the customer of `appointment` could move to, by the tenant's matching
    rule (as the waitlist is matched): the same service (and provider), another time."""
    if opening.starts_at == appointment.starts_at or opening.replaces == appointment.appointment_id:
        return False
    return opening.wanted_by(appointment.service, appointment.provider, tenant.fill_match)


@dataclass
class RescheduleService:
    vacancies: VacancyStore
    store: AppointmentStore
    appointments: AppointmentService
    log: ActivityLog
    # Starts offering the slot a move frees (the offers part); None: it waits, listed.
    starter: VacancyStarter | None = None

    def fitting(
        self, tenant: Tenant, appointment: Appointment, now: datetime, most: int = MAX_OPTIONS
    ) -> list[Opening]:
        """Up to `most` (at most three) open openings that fit, soonest first: after the
        tenant's notice, within its horizon. Each open status's listing read in time order
        (see PAGE)."""
        if not tenant.fill_enabled or most < 1:
            return []
        start = now + timedelta(minutes=tenant.fill_min_notice_minutes, seconds=1)
        end = now + timedelta(days=tenant.fill_horizon_days)
        found: list[Opening] = []
        for status in (OpeningStatus.OPEN, OpeningStatus.OFFERED):
            found.extend(self._fitting_in(tenant, appointment, status, start, end))
        found.sort(key=lambda o: (o.starts_at, o.opening_id))
        return _choices(found)[: min(most, MAX_OPTIONS)]

    def _fitting_in(
        self,
        tenant: Tenant,
        appointment: Appointment,
        status: OpeningStatus,
        start: datetime,
        end: datetime,
    ) -> list[Opening]:
        """The soonest openings in `status` that fit, as many distinct choices as can be
        offered: its listing page after page until they are found or it ends."""
        found: list[Opening] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page, cursor = self.vacancies.openings(
                tenant.tenant_id, status=status, start=start, end=end, limit=PAGE, cursor=cursor
            )
            found.extend(o for o in page if fits(tenant, appointment, o))
            if len(_choices(found)) >= MAX_OPTIONS or cursor is None:
                break
        return found

    def offer(
        self,
        tenant: Tenant,
        phone: str,
        appointment: Appointment,
        now: datetime,
        most: int = MAX_OPTIONS,
    ) -> list[Opening]:
        """Find up to `most` openings that fit (as many as the answer names in one segment)
        and keep them as the number's R options (its waitlist offer, if any, stays: Y answers
        that); [] when none fits (a person takes the R)."""
        options = self.fitting(tenant, appointment, now, most)
        if not options:
            return []
        notice = timedelta(minutes=tenant.fill_min_notice_minutes)
        expires = min(now + CHOICE_OPEN_FOR, options[0].starts_at - notice)
        choice = RescheduleOptions(
            appointment_id=appointment.appointment_id,
            digits={str(n): o.opening_id for n, o in enumerate(options, start=1)},
            expires_at=expires,
            appointment_version=appointment.version,
        )
        self.store.set_reschedule_options(tenant.tenant_id, phone, choice)
        return options

    def choose(
        self,
        tenant: Tenant,
        phone: str,
        choice: RescheduleOptions,
        opening_id: str,
        now: datetime,
    ) -> Choice:
        """Move the appointment into the chosen opening if it is still free: one write
        takes the opening (conditional on it being open or offered and far enough ahead),
        moves the appointment (the customer gets the moved text) and opens its old slot.
        A slot gone before that write, or taken in its way, leaves everything as it was."""
        appointment = self._stored(tenant, choice.appointment_id)
        if (
            appointment is None
            or _gone(appointment, now)
            or choice.appointment_version != appointment.version
        ):
            return self._not_moved(tenant, phone, appointment, now)
        detail = self.vacancies.get_opening(tenant.tenant_id, opening_id)
        if detail is None or not detail.opening.worth_offering(now, tenant.fill_min_notice_minutes):
            return Choice(Chosen.TAKEN, appointment)
        opening = detail.opening
        take = OpeningTake(
            tenant_id=tenant.tenant_id,
            opening_id=opening.opening_id,
            appointment_id=appointment.appointment_id,
            at=now,
            not_before=now + timedelta(minutes=tenant.fill_min_notice_minutes),
        )
        freed = vacancy_left_by(appointment, tenant, now)
        event = opening_taken_by_move(
            tenant.tenant_id,
            opening.opening_id,
            appointment.model_copy(update={"starts_at": opening.starts_at}),
            appointment.starts_at,
            freed.opening_id if freed else None,
            now,
        )
        try:
            view = self.appointments.upsert(
                tenant.tenant_id,
                appointment.appointment_id,
                _draft_into(appointment, opening),
                # The version offered (checked above): a change since fails the write.
                expected_version=appointment.version,
                frees=freed,
                takes=take,
                events=[event],
            )
        except OpeningTaken:
            return Choice(Chosen.TAKEN, appointment)
        except (Conflict, NotFound, Unprocessable):
            # Changed (or cancelled) between the read above and the write: as it is now.
            current = self._stored(tenant, appointment.appointment_id)
            return self._not_moved(tenant, phone, current, now)
        self.store.set_reschedule_options(tenant.tenant_id, phone, None)
        taken = opening.model_copy(
            update={
                "status": OpeningStatus.FILLED,
                "filled_at": now,
                "filled_appointment_id": appointment.appointment_id,
                "version": opening.version + 1,
            }
        )
        self._log(tenant, taken, freed, now)
        if self.starter is not None:
            self.starter.filled(taken, f"by rescheduling {appointment.customer.name}")
        if freed is not None and self.starter is not None:
            self.starter.start(freed)
        return Choice(Chosen.MOVED, view.appointment, taken, freed)

    def _stored(self, tenant: Tenant, appointment_id: str) -> Appointment | None:
        found = self.store.get_appointment(tenant.tenant_id, appointment_id)
        return found[0] if found else None

    def _not_moved(
        self, tenant: Tenant, phone: str, appointment: Appointment | None, now: datetime
    ) -> Choice:
        """The choice ends unmoved: the appointment is gone (cancelled, started), or was
        changed by someone else since the options were offered (the times were for the
        visit as it was then)."""
        self.store.set_reschedule_options(tenant.tenant_id, phone, None)
        gone = appointment is None or _gone(appointment, now)
        return Choice(Chosen.GONE if gone else Chosen.CHANGED, appointment)

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
            self.log.append(tenant.tenant_id, opening_created(freed, now))


def _choices(openings: list[Opening]) -> list[Opening]:
    """One opening per time and provider, the first given: two openings at one time and
    place are one choice for the customer."""
    unique: dict[tuple[datetime, str | None], Opening] = {}
    for opening in openings:
        unique.setdefault((opening.starts_at, opening.provider), opening)
    return list(unique.values())


def _gone(appointment: Appointment, now: datetime) -> bool:
    return appointment.status is AppointmentStatus.CANCELLED or appointment.starts_at <= now


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
