"""Booking-side use cases: create or update an appointment, read it, cancel it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rendezvous.domain.activity import ActivityEntry, ActivityEvent, opening_created
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import (
    ConcurrentModification,
    Conflict,
    InvalidFields,
    NotFound,
    OpeningTaken,
    Unprocessable,
)
from rendezvous.domain.events import (
    CancelledBy,
    WebhookEvent,
    appointment_cancelled,
    outcome_recorded,
)
from rendezvous.domain.identity import MessageIdentity, schedule_name
from rendezvous.domain.models import (
    HANDED_OFF_STATUSES,
    PENDING_STATUSES,
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Customer,
    MessageKind,
    MessageRecord,
    MessageStatus,
    SendRequest,
    Tenant,
)
from rendezvous.domain.planning import PlannedMessage, cadence_of, plan_notice, plan_reminders
from rendezvous.domain.ports import (
    ActivityLog,
    AppointmentStore,
    OutboundQueue,
    ReminderScheduler,
    Renderer,
    VacancyStarter,
)
from rendezvous.domain.tenant_settings import MAX_SEGMENTS
from rendezvous.domain.vacancy import (
    Opening,
    OpeningSource,
    OpeningTake,
    cancellation_opening_id,
)
from rendezvous.phone import InvalidPhoneNumber, parse_phone, region_of


@dataclass(frozen=True)
class AppointmentDraft:
    """What a booking system says about an appointment."""

    customer: Customer
    starts_at: datetime
    duration_minutes: int | None = None
    location: str | None = None
    provider: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class AppointmentView:
    appointment: Appointment
    messages: list[MessageRecord]
    created: bool = False
    cancelled_now: bool = False  # this call is the one that cancelled it
    recorded_now: bool = False  # this call is the one that recorded its outcome
    # Told to the booking system: e.g. a text that only fits by leaving the place out.
    warnings: tuple[str, ...] = ()

    @property
    def planned(self) -> list[MessageRecord]:
        return [
            m
            for m in self.messages
            if m.version == self.appointment.version and m.status in PENDING_STATUSES
        ]


# The widest range one list answers: a month view, never a scan of the year.
MAX_LIST_RANGE = timedelta(days=31)


@dataclass(frozen=True)
class ListedAppointment:
    appointment: Appointment
    opted_out: bool
    undeliverable: bool


@dataclass(frozen=True)
class AppointmentPage:
    appointments: list[ListedAppointment]
    # The (start, id) the next page begins after; None on the last page.
    next_after: tuple[datetime, str] | None


def send_request(message: MessageRecord, appointment: Appointment) -> SendRequest:
    return SendRequest(
        tenant_id=message.tenant_id,
        appointment_id=message.appointment_id,
        kind=message.kind,
        version=message.version,
        recipient_key=appointment.recipient_key,
    )


@dataclass
class AppointmentService:
    store: AppointmentStore
    scheduler: ReminderScheduler
    queue: OutboundQueue
    clock: Clock
    activity: ActivityLog | None = None
    renderer: Renderer | None = None
    # Offers the opening a cancellation frees. None where nothing cancels (the sender,
    # the status callbacks): the opening is still written with the cancel, and offered
    # when a cancel with a starter repeats.
    starter: VacancyStarter | None = None

    def get(self, tenant_id: str, appointment_id: str) -> AppointmentView:
        return AppointmentView(*self._found(tenant_id, appointment_id))

    def _found(
        self, tenant_id: str, appointment_id: str
    ) -> tuple[Appointment, list[MessageRecord]]:
        found = self.store.get_appointment(tenant_id, appointment_id)
        if found is None:
            raise NotFound("appointment not found")
        return found

    def between(
        self,
        tenant_id: str,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> AppointmentPage:
        """The appointments starting in [start, end), cancelled ones too, soonest first,
        each with whether its number opted out or cannot receive texts."""
        if start >= end:
            raise InvalidFields([("to", "must be later than from")])
        if end - start > MAX_LIST_RANGE:
            raise InvalidFields([("to", f"must be at most {MAX_LIST_RANGE.days} days after from")])
        if after is not None and not start <= after[0] < end:
            raise InvalidFields([("cursor", "does not belong to this from and to")])
        found, more = self.store.appointments_starting(
            tenant_id, start, end, limit=limit, after=after
        )
        recipients = (
            self.store.recipients_by_key(tenant_id, [a.recipient_key for a in found])
            if found
            else {}
        )
        listed = []
        for appointment in found:
            recipient = recipients.get(appointment.recipient_key)
            listed.append(
                ListedAppointment(
                    appointment,
                    opted_out=recipient is not None and recipient.opted_out,
                    undeliverable=recipient is not None
                    and recipient.undeliverable_code is not None,
                )
            )
        last = found[-1] if more and found else None
        return AppointmentPage(
            listed, None if last is None else (last.starts_at, last.appointment_id)
        )

    def upsert(
        self,
        tenant_id: str,
        appointment_id: str,
        draft: AppointmentDraft,
        *,
        expected_version: int | None = None,
        frees: Opening | None = None,
        takes: OpeningTake | None = None,
        events: Sequence[WebhookEvent] = (),
    ) -> AppointmentView:
        """Create or update. A customer's move (`expected_version` given) changes only that
        version, and in the same write fills the opening it `takes`, writes the `opening`
        its old slot `frees` and its `events`: OpeningTaken when that opening went first,
        and then nothing is written."""
        tenant = self._tenant(tenant_id)
        draft = _in_e164(draft, tenant)
        now = self.clock.now()
        if draft.starts_at <= now:
            raise Unprocessable("starts_at is in the past")
        # One retry covers the race of two identical PUTs creating the same appointment.
        for _ in range(2):
            found = self.store.get_appointment(tenant_id, appointment_id)
            try:
                if found is None:
                    if expected_version is not None:
                        raise NotFound("appointment not found")
                    view = self._create(tenant, appointment_id, draft, now)
                else:
                    if expected_version not in (None, found[0].version):
                        raise Conflict("the appointment changed since the choice was offered")
                    view = self._update(
                        tenant,
                        found[0],
                        found[1],
                        draft,
                        now,
                        frees=frees,
                        takes=takes,
                        events=events,
                    )
                return self._with_warnings(tenant, view)
            except ConcurrentModification:
                continue
        raise ConcurrentModification("the appointment changed while it was being saved; retry")

    def _with_warnings(self, tenant: Tenant, view: AppointmentView) -> AppointmentView:
        """A pending confirmation or moved notice that would run past MAX_SEGMENTS as a
        first text (with the STOP line) is sent without its place, then its details: the
        booking system hears so, to shorten the location if it can."""
        notices = [
            m for m in view.planned if m.kind in {MessageKind.CONFIRMATION, MessageKind.MOVED}
        ]
        if self.renderer is None or not notices:
            return view
        kind = MessageKind(notices[0].kind)
        whole = self.renderer.message(kind, tenant, view.appointment, first_contact=True, fit=False)
        if whole.segments <= MAX_SEGMENTS:
            return view
        warning = (
            f"the {kind.value} text would take {whole.segments} SMS segments; it is sent "
            f"without the location (then the service details) to stay within {MAX_SEGMENTS}"
        )
        return replace(view, warnings=(warning,))

    def cancel(
        self,
        tenant_id: str,
        appointment_id: str,
        *,
        source: CancelledBy,
        by: str | None = None,
        notify: bool = False,
    ) -> AppointmentView:
        """Cancel once. Only the call whose conditional write cancels it records
        `appointment_cancelled` for `by` (when given) and the webhook event saying who
        (`source`) cancelled, in that write: a repeat, or the loser of a race, answers the
        same view and records nothing. With `notify`, that same write plans the
        `cancelled` text, which the sender then sends under its usual rules (quiet hours,
        cap, pause, opt-out): a repeat plans nothing, so the customer hears it once. A
        cancel far enough ahead also writes the opening it frees (vacancy_of) in that
        write, and starts it after; a repeat starts it only if it never was."""
        tenant = self._tenant(tenant_id)
        for _ in range(3):
            now = self.clock.now()
            found = self.store.get_appointment(tenant_id, appointment_id)
            if found is None:
                raise NotFound("appointment not found")
            appointment, messages = found
            if appointment.status is AppointmentStatus.CANCELLED:
                # As a repeated PUT does: a cancelled text whose hand-off was lost (a crash
                # after the write) is handed off again; the sender drops a duplicate. Its
                # opening is started if the first cancel stopped before starting it, and
                # only then: a wave that ran is not run again.
                self._enqueue_due(appointment, messages, now)
                freed = vacancy_of(appointment, tenant, now)
                if freed is not None and self.starter is not None:
                    self.starter.ensure_started(freed)
                return AppointmentView(appointment, messages)
            # The version moves on, so a reminder already in flight fails its check at send
            # time.
            cancelled = appointment.model_copy(
                update={
                    "status": AppointmentStatus.CANCELLED,
                    "version": appointment.version + 1,
                    "cancelled_at": now,
                    "cancelled_by": source,
                    "updated_at": now,
                }
            )
            pending = [m for m in messages if m.status in PENDING_STATUSES]
            notice = []
            if notify and cancelled.starts_at > now:
                planned = plan_notice(MessageKind.CANCELLED, cancelled, tenant, now)
                notice = self._records(cancelled, [planned], now)
            self._schedule(cancelled, notice)
            try:
                self.store.save_appointment(
                    cancelled,
                    expected_version=appointment.version,
                    retire=pending,
                    retire_as=MessageStatus.CANCELLED,
                    new_messages=notice,
                    now=now,
                    events=[appointment_cancelled(cancelled, now, source)],
                    opening=(opening := vacancy_of(cancelled, tenant, now)),
                )
            except ConcurrentModification:
                continue
            self._unschedule(pending)
            self._enqueue_due(cancelled, notice, now)
            if opening is not None and self.activity is not None:
                self.activity.append(tenant_id, opening_created(opening, now))
            self._start(opening)
            if by is not None and self.activity is not None:
                self.activity.append(
                    tenant_id,
                    ActivityEntry(
                        event=ActivityEvent.APPOINTMENT_CANCELLED,
                        actor=by,
                        at=now,
                        appointment_id=appointment_id,
                    ),
                )
            return AppointmentView(*self._found(tenant_id, appointment_id), cancelled_now=True)
        raise ConcurrentModification("the appointment changed while it was being cancelled; retry")

    def _start(self, opening: Opening | None) -> None:
        if opening is not None and self.starter is not None:
            self.starter.start(opening)

    def record_outcome(
        self,
        tenant_id: str,
        appointment_id: str,
        outcome: AppointmentOutcome,
        *,
        source: CancelledBy,
        by: str,
        change: str | None = None,
    ) -> AppointmentView:
        """Record how the appointment ended. Attended and no-show only once the visit has
        started and only for an appointment not cancelled (a late cancel fits any). The
        same outcome again changes nothing and tells nobody; a different one replaces it,
        with its own `appointment.outcome_recorded` event and an audit entry for `by`, all
        in one write. `change` names the recording in the event's id (a FHIR resource's
        version); by default, the moment it is recorded."""
        for _ in range(3):
            now = self.clock.now()
            appointment, messages = self._found(tenant_id, appointment_id)
            if appointment.outcome is outcome:
                return AppointmentView(appointment, messages)
            if outcome is not AppointmentOutcome.LATE_CANCEL:
                if appointment.status is AppointmentStatus.CANCELLED:
                    raise InvalidFields(
                        [("outcome", f"{outcome.value} does not fit a cancelled appointment")]
                    )
                if now < appointment.starts_at:
                    raise InvalidFields(
                        [("outcome", f"{outcome.value} is known once the visit has started")]
                    )
            recorded = appointment.model_copy(
                update={"outcome": outcome, "outcome_at": now, "outcome_by": by, "updated_at": now}
            )
            event = outcome_recorded(
                tenant_id,
                appointment_id,
                outcome.value,
                source,
                change or f"{outcome.value}@{now.isoformat()}",
                now,
            )
            audit = ActivityEntry(
                event=ActivityEvent.OUTCOME_RECORDED,
                actor=by,
                at=now,
                appointment_id=appointment_id,
                reason=outcome.value,
            )
            if not self.store.record_outcome(
                recorded, previous=appointment, event=event, audit=audit
            ):
                continue
            return AppointmentView(recorded, messages, recorded_now=True)
        raise ConcurrentModification("the appointment changed while its outcome was recorded")

    def create_within(
        self,
        tenant: Tenant,
        appointment: Appointment,
        write: Callable[[Appointment, list[MessageRecord]], bool],
    ) -> list[MessageRecord] | None:
        """Create `appointment` as any booking is (its confirmation now or after quiet
        hours, its reminders scheduled), written by `write` as planned (with its cadence)
        with its planned texts inside the caller's own transaction (a waitlist fill: the
        opening, the entry, the events).
        None when `write` did not land: nothing was scheduled. The customer's own Y made
        it, so its confirmation answers them (TextRecord.answers_customer)."""
        now = appointment.created_at
        notice = plan_notice(MessageKind.CONFIRMATION, appointment, tenant, now)
        plan = [notice, *plan_reminders(appointment, tenant, now, notice.send_at)]
        appointment = appointment.model_copy(update={"cadence": cadence_of(plan)})
        records = self._records(appointment, plan, now, answering=notice)
        # Unlike a booking's, these schedules come after the write: every taker of an
        # opening plans the same appointment id, so the same schedule names. Made first, a
        # loser's would stand for the winner's (naming the loser's number, whose opt-out
        # and claims the sender would check) and taking them back would delete the
        # winner's. A crash between the two leaves a reminder unscheduled: the queue
        # watcher's sweep marks it failed once due, so it shows and can be sent again.
        if not write(appointment, records):
            return None
        self._schedule(appointment, records)
        self._enqueue_due(appointment, records, now)
        return records

    # -- internals ----------------------------------------------------------------------

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant

    def _create(
        self, tenant: Tenant, appointment_id: str, draft: AppointmentDraft, now: datetime
    ) -> AppointmentView:
        appointment = Appointment(
            tenant_id=tenant.tenant_id,
            appointment_id=appointment_id,
            customer=draft.customer,
            starts_at=draft.starts_at,
            duration_minutes=draft.duration_minutes,
            location=draft.location,
            provider=draft.provider,
            service=draft.service,
            created_at=now,
            updated_at=now,
        )
        notice = plan_notice(MessageKind.CONFIRMATION, appointment, tenant, now)
        plan = [notice, *plan_reminders(appointment, tenant, now, notice.send_at)]
        appointment = appointment.model_copy(update={"cadence": cadence_of(plan)})
        records = self._records(appointment, plan, now)
        # Schedules first: an orphan schedule whose write never landed finds no record and
        # does nothing, while a record whose schedule was never made would be lost.
        self._schedule(appointment, records)
        self.store.create_appointment(appointment, records)
        self._enqueue_due(appointment, records, now)
        return AppointmentView(appointment, records, created=True)

    def _update(
        self,
        tenant: Tenant,
        current: Appointment,
        messages: list[MessageRecord],
        draft: AppointmentDraft,
        now: datetime,
        *,
        frees: Opening | None = None,
        takes: OpeningTake | None = None,
        events: Sequence[WebhookEvent] = (),
    ) -> AppointmentView:
        if current.status is AppointmentStatus.CANCELLED:
            raise Conflict("appointment was cancelled; book it again under a new id")
        details = {
            "customer": draft.customer,
            "starts_at": draft.starts_at,
            "duration_minutes": draft.duration_minutes,
            "location": draft.location,
            "provider": draft.provider,
            "service": draft.service,
        }
        if all(getattr(current, k) == v for k, v in details.items()):
            # A repeated PUT: nothing changes, nothing is sent twice. A due notice whose
            # hand-off was lost (a crash after the write) is handed off again; the sender
            # drops the duplicate if the first one made it.
            self._enqueue_due(current, messages, now)
            return AppointmentView(current, messages)

        moved = draft.starts_at != current.starts_at
        new_number = draft.customer.phone != current.customer.phone
        if not (moved or new_number):
            # Wording-level changes (name, place, length): reminders render from the
            # current record at send time, so the plan stands.
            updated = current.model_copy(update={**details, "updated_at": now})
            self.store.save_appointment(
                updated,
                expected_version=current.version,
                retire=[],
                retire_as=MessageStatus.SUPERSEDED,
                new_messages=[],
                now=now,
            )
            return AppointmentView(updated, messages)

        updated = current.model_copy(
            update={
                **details,
                "version": current.version + 1,
                "status": AppointmentStatus.SCHEDULED,
                "confirmed_at": None,
                "previous_starts_at": _told_starts_at(current, messages)
                if moved
                else current.previous_starts_at,
                "updated_at": now,
            }
        )
        pending = [m for m in messages if m.status in PENDING_STATUSES]
        # A customer who never got the first text, or a new number, gets a confirmation;
        # one who did gets a single "your appointment moved" text.
        notice_kind = (
            MessageKind.MOVED
            if moved and not new_number and _notice_went_out(messages)
            else MessageKind.CONFIRMATION
        )
        notice = plan_notice(notice_kind, updated, tenant, now)
        plan = [notice, *plan_reminders(updated, tenant, now, notice.send_at)]
        updated = updated.model_copy(update={"cadence": cadence_of(plan)})
        # Only a customer's digit moves into an opening it `takes`: the notice answers it.
        records = self._records(updated, plan, now, answering=notice if takes is not None else None)
        self._schedule(updated, records)
        try:
            self.store.save_appointment(
                updated,
                expected_version=current.version,
                retire=pending,
                retire_as=MessageStatus.SUPERSEDED,
                new_messages=records,
                now=now,
                events=events,
                opening=frees if moved else None,
                takes=takes,
            )
        except OpeningTaken:
            # The move never happened: its texts' schedules would fire for a slot it never
            # took (and a move to another slot would find their names taken).
            self._unschedule(records)
            raise
        self._unschedule(pending)
        self._enqueue_due(updated, records, now)
        history = [m for m in messages if m not in pending]
        retired = [m.model_copy(update={"status": MessageStatus.SUPERSEDED}) for m in pending]
        return AppointmentView(updated, [*history, *retired, *records])

    def _records(
        self,
        appointment: Appointment,
        plan: list[PlannedMessage],
        now: datetime,
        *,
        answering: PlannedMessage | None = None,
    ) -> list[MessageRecord]:
        return [
            MessageRecord(
                tenant_id=appointment.tenant_id,
                appointment_id=appointment.appointment_id,
                kind=p.kind,
                version=appointment.version,
                status=p.status,
                send_at=p.send_at,
                reason=p.reason,
                schedule_name=None
                if p.immediate
                else schedule_name(
                    MessageIdentity(
                        appointment.tenant_id,
                        appointment.appointment_id,
                        p.kind,
                        appointment.version,
                    )
                ),
                answers_customer=p is answering,
                created_at=now,
                updated_at=now,
            )
            for p in plan
        ]

    def _schedule(self, appointment: Appointment, records: list[MessageRecord]) -> None:
        for record in records:
            if record.schedule_name is not None:
                self.scheduler.schedule(
                    record.schedule_name, record.send_at, send_request(record, appointment)
                )

    def _unschedule(self, records: list[MessageRecord]) -> None:
        for record in records:
            if record.schedule_name is not None:
                self.scheduler.cancel(record.schedule_name)

    def _enqueue_due(
        self, appointment: Appointment, records: list[MessageRecord], now: datetime
    ) -> None:
        for record in records:
            if (
                record.schedule_name is None
                and record.status is MessageStatus.PLANNED
                and record.version == appointment.version
                and record.send_at <= now
            ):
                self.queue.enqueue(send_request(record, appointment))


def vacancy_of(cancelled: Appointment, tenant: Tenant, now: datetime) -> Opening | None:
    """The opening a cancellation frees (see _freed_slot), from the cancel: built from the
    cancelled appointment alone (its id from the cancelled version, its time from the
    cancel), so a repeat builds the same one."""
    if cancelled.status is not AppointmentStatus.CANCELLED:
        return None
    return _freed_slot(
        cancelled, tenant, now, cancelled.cancelled_at or now, OpeningSource.CANCELLATION
    )


def vacancy_left_by(moving: Appointment, tenant: Tenant, now: datetime) -> Opening | None:
    """The opening a reply digit's move frees (see _freed_slot): `moving` as it is before
    the move, its id from the version that leaves the slot."""
    return _freed_slot(moving, tenant, now, now, OpeningSource.RESCHEDULE)


def _freed_slot(
    appointment: Appointment,
    tenant: Tenant,
    now: datetime,
    freed_at: datetime,
    source: OpeningSource,
) -> Opening | None:
    """The opening `appointment`'s slot becomes when it leaves it at `freed_at`: when fill
    is on, it left at least the tenant's notice ahead of the slot, and the slot is still
    that far ahead. Its id is deterministic (cancellation_opening_id), so a retry opens
    nothing twice."""
    notice = timedelta(minutes=tenant.fill_min_notice_minutes)
    if not tenant.fill_enabled or appointment.starts_at < max(freed_at, now) + notice:
        return None
    return Opening(
        tenant_id=appointment.tenant_id,
        opening_id=cancellation_opening_id(appointment.appointment_id, appointment.version),
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        service=appointment.service,
        provider=appointment.provider,
        location=appointment.location,
        source=source,
        replaces=appointment.appointment_id,
        created_at=freed_at,
    )


def _in_e164(draft: AppointmentDraft, tenant: Tenant) -> AppointmentDraft:
    """The draft with its phone in E.164: a national number ("(415) 555-0133") is read in
    the country of the tenant's sending number, where its customers mostly live."""
    try:
        phone = parse_phone(draft.customer.phone, region_of(tenant.phone_number))
    except InvalidPhoneNumber as exc:
        raise InvalidFields([("customer.phone", str(exc))]) from exc
    customer = draft.customer.model_copy(update={"phone": phone})
    return replace(draft, customer=customer)


def _notice_went_out(messages: list[MessageRecord]) -> bool:
    """Whether a confirmation or moved notice reached Twilio for an earlier version."""
    notices = {MessageKind.CONFIRMATION, MessageKind.MOVED}
    return any(m.kind in notices and m.status in HANDED_OFF_STATUSES for m in messages)


def _told_starts_at(current: Appointment, messages: list[MessageRecord]) -> datetime | None:
    """The start time the customer's last text named: the current version's once any of its
    texts reached Twilio, else what they had been told before it (a move whose text is
    still held for the morning told them nothing)."""
    if any(m.version == current.version and m.status in HANDED_OFF_STATUSES for m in messages):
        return current.starts_at
    return current.previous_starts_at
