"""Offering an opening to the waitlist in waves, and the reply that takes it.

A wave re-reads the opening and offers it to the next `fill_wave_size` waiting entries
that suit it (first listed first), each with one automated text through the sender; the
next wave is planned `fill_wave_interval_minutes` later. The first reply that takes it
wins through one conditional write on the opening; every other taker is told, once, that
it is gone and that they stay on the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.appointments import AppointmentService
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import appointment_created, opening_filled
from rendezvous.domain.models import (
    Appointment,
    Customer,
    MessageKind,
    MessageRecord,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    Recipient,
    Tenant,
    WaitlistOffer,
)
from rendezvous.domain.ports import (
    ActivityLog,
    AppointmentStore,
    OfferBook,
    OutboundQueue,
    VacancyStore,
    WaveScheduler,
)
from rendezvous.domain.vacancy import (
    OPEN_OPENING_STATUSES,
    FillMatch,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    WaitlistEntry,
    fill_appointment_id,
)
from rendezvous.phone import recipient_key

# Entries read per Query while looking for a wave's takers: most waiting entries suit.
_PAGE_FACTOR = 3
# How far ahead any wave is planned, the first included. EventBridge Scheduler runs an
# at() schedule with one-minute precision and does not document running one whose time
# has passed when it is created (reports say CreateSchedule refuses it), and "now" has
# passed by the time AWS reads it. A minute's wait is small beside the notice an opening
# needs (fill_min_notice_minutes); a wave planned after the notice limit marks it expired.
SCHEDULE_LEAD = timedelta(minutes=1)


class WaveOutcome(StrEnum):
    OFFERED = "offered"  # offers went out (maybe none: nobody left; the next wave checks)
    REPEATED = "repeated"  # this wave ran already: its texts handed to the sender again
    FILLED = "filled"  # someone took it: the offers still open were closed
    EXPIRED = "expired"  # too close to start now: marked expired, open offers closed
    STOPPED = "stopped"  # the tenant paused or turned fill off, or the opening is gone


@dataclass(frozen=True)
class WaveResult:
    outcome: WaveOutcome
    offers_sent: int = 0
    next_wave_at: datetime | None = None
    # Set when this run marked the opening expired (counted once, by the run that did it).
    expired_now: bool = False


class TakeOutcome(StrEnum):
    WON = "won"
    TAKEN = "taken"  # someone else got it first: "just taken, you stay on the list"
    REPEATED = "repeated"  # this entry's reply was answered already


@dataclass(frozen=True)
class TakeResult:
    outcome: TakeOutcome
    opening_id: str
    appointment_id: str | None = None
    # Seconds from the opening to its fill, for the one reply that filled it.
    time_to_fill_seconds: float | None = None


@dataclass
class OfferService:
    """The VacancyStarter port, the waves, and the take."""

    store: AppointmentStore
    vacancies: VacancyStore
    book: OfferBook
    waves: WaveScheduler
    queue: OutboundQueue
    appointments: AppointmentService
    clock: Clock
    # GET /v1/stats counts fill from the log: offers sent, openings filled, expired.
    activity: ActivityLog | None = None

    # -- starting and waves ---------------------------------------------------------------

    def start(self, opening: Opening) -> None:
        """The first wave, as soon as a schedule can be sure to run it."""
        first = self.clock.now() + SCHEDULE_LEAD
        self.waves.schedule_wave(opening.tenant_id, opening.opening_id, 1, first)

    def run_wave(self, tenant_id: str, opening_id: str, wave: int) -> WaveResult:
        tenant = self.store.get_tenant(tenant_id)
        detail = self.vacancies.get_opening(tenant_id, opening_id)
        if tenant is None or detail is None:
            return WaveResult(WaveOutcome.STOPPED)
        opening, offers = detail.opening, detail.offers
        now = self.clock.now()
        if opening.status is OpeningStatus.FILLED:
            self._close(offers, now)
            return WaveResult(WaveOutcome.FILLED)
        if opening.status is OpeningStatus.EXPIRED:
            self._close(offers, now)
            return WaveResult(WaveOutcome.EXPIRED)
        if not opening.worth_offering(now, tenant.fill_min_notice_minutes):
            expired_now = self._expire(opening)
            if expired_now:
                self._log(tenant_id, ActivityEvent.OPENING_EXPIRED, opening, now)
            self._close(offers, now)
            return WaveResult(WaveOutcome.EXPIRED, expired_now=expired_now)
        # Waves that offered nothing in a row: the next one waits twice as long each time.
        idle = wave - max((o.wave for o in offers), default=0)
        next_at = self._next_wave_at(tenant, opening, now, idle)
        if tenant.paused or not tenant.fill_enabled:
            # Nothing offered now; the next wave looks again (the opening still expires).
            self.waves.schedule_wave(tenant_id, opening_id, wave + 1, next_at)
            return WaveResult(WaveOutcome.STOPPED, next_wave_at=next_at)
        if opening.waves_sent >= wave:
            # A repeated run (a retried schedule, a crash after the opening's update): hand
            # this wave's texts to the sender again; its claim sends each once at most.
            for offer in offers:
                if offer.wave == wave and offer.status is OfferStatus.SENT:
                    self.queue.enqueue(self._request(offer, MessageKind.OFFER))
            self.waves.schedule_wave(tenant_id, opening_id, wave + 1, next_at)
            return WaveResult(WaveOutcome.REPEATED, next_wave_at=next_at)
        picked = self._pick(tenant, opening, offers, now)
        # The wave is counted before its offers are made: a run that stops half-way is
        # finished by the repeat above, never offered to a second set of entries.
        counted = opening.model_copy(
            update={
                "status": OpeningStatus.OFFERED if picked else opening.status,
                "waves_sent": wave,
                "offered_to": opening.offered_to + len(picked),
                "version": opening.version + 1,
            }
        )
        # Raises ConcurrentModification when the opening was taken (or changed) since it
        # was read: the invocation's retry reads it again and decides on what it is.
        self.vacancies.save_opening(counted, expected_version=opening.version)
        if picked:
            next_at = self._next_wave_at(tenant, opening, now, 0)
        sent = 0
        for entry in picked:
            if self._offer(tenant, counted, entry, wave, now):
                sent += 1
                self._log(tenant_id, ActivityEvent.OFFER_SENT, opening, now)
        self.waves.schedule_wave(tenant_id, opening_id, wave + 1, next_at)
        return WaveResult(WaveOutcome.OFFERED, offers_sent=sent, next_wave_at=next_at)

    def _next_wave_at(self, tenant: Tenant, opening: Opening, now: datetime, idle: int) -> datetime:
        """The tenant's interval later, doubled for each wave in a row that found nobody
        (someone may join the list, but an opening two weeks out is not looked at every
        15 minutes), and no later than the moment the opening stops being worth offering:
        that run marks it expired. Never sooner than SCHEDULE_LEAD."""
        last = opening.starts_at - timedelta(minutes=tenant.fill_min_notice_minutes)
        factor: int = 2 ** min(idle, 10)
        interval = timedelta(minutes=tenant.fill_wave_interval_minutes * factor)
        return max(min(now + interval, last), now + SCHEDULE_LEAD)

    def _pick(
        self, tenant: Tenant, opening: Opening, offers: list[Offer], now: datetime
    ) -> list[WaitlistEntry]:
        """The next waiting entries that suit the opening, first listed first: none offered
        this opening before, none whose number opted out, cannot take texts, or holds
        another open offer; one per number."""
        size = tenant.fill_wave_size
        offered = {o.entry_id for o in offers}
        service = None if tenant.fill_match is FillMatch.ANY else opening.service
        picked: list[WaitlistEntry] = []
        numbers: set[str] = set()
        cursor: str | None = None
        while len(picked) < size:
            page, cursor = self.vacancies.waiting_for(
                tenant.tenant_id, service, size * _PAGE_FACTOR, cursor
            )
            fitting = [
                e for e in page if e.entry_id not in offered and e.suits(opening, tenant.fill_match)
            ]
            recipients = self.store.recipients_by_key(
                tenant.tenant_id, [e.recipient_key for e in fitting]
            )
            for entry in fitting:
                recipient = recipients.get(entry.recipient_key)
                if entry.recipient_key in numbers or not _reachable(recipient, now):
                    continue
                picked.append(entry)
                numbers.add(entry.recipient_key)
                if len(picked) == size:
                    break
            if cursor is None:
                break
        return picked

    def _offer(
        self, tenant: Tenant, opening: Opening, entry: WaitlistEntry, wave: int, now: datetime
    ) -> bool:
        offer = Offer(
            tenant_id=tenant.tenant_id,
            opening_id=opening.opening_id,
            entry_id=entry.entry_id,
            phone=entry.customer.phone,
            name=entry.customer.name,
            wave=wave,
            sent_at=now,
            message_status=MessageStatus.PLANNED.value,
        )
        text = self._text(offer, entry.recipient_key, MessageKind.OFFER, now)
        choice = WaitlistOffer(
            opening_id=opening.opening_id,
            offered_at=now,
            expires_at=opening.starts_at - timedelta(minutes=tenant.fill_min_notice_minutes),
        )
        if not self.book.make_offer(offer, text, entry.offered_for(opening), choice):
            return False
        self.queue.enqueue(self._request(offer, MessageKind.OFFER, entry.recipient_key))
        return True

    def _expire(self, opening: Opening) -> bool:
        expired = opening.model_copy(
            update={"status": OpeningStatus.EXPIRED, "version": opening.version + 1}
        )
        try:
            self.vacancies.save_opening(expired, expected_version=opening.version)
        except ConcurrentModification:
            return False
        return True

    def _close(self, offers: list[Offer], now: datetime) -> None:
        """Offers that ended unanswered: their entries wait again for the next opening."""
        for offer in offers:
            if offer.status is OfferStatus.SENT:
                self.book.release(offer, now)

    # -- the take -------------------------------------------------------------------------

    def take(self, tenant: Tenant, recipient: Recipient, opening_id: str) -> TakeResult | None:
        """The number's Y takes `opening_id` (its waitlist offer, open or ended late). None
        when this number has no offer of it (nothing to answer: the reply means what it
        would otherwise)."""
        detail = self.vacancies.get_opening(tenant.tenant_id, opening_id)
        if detail is None:
            return None
        offer = next(
            (
                o
                for o in detail.offers
                if o.phone == recipient.phone and o.status is not OfferStatus.EXPIRED
            ),
            None,
        )
        if offer is None:
            offer = next((o for o in detail.offers if o.phone == recipient.phone), None)
            if offer is None:
                return None
        opening = detail.opening
        now = self.clock.now()
        if offer.status is OfferStatus.TAKEN:
            return TakeResult(TakeOutcome.REPEATED, opening_id, opening.filled_appointment_id)
        not_before = now + timedelta(minutes=tenant.fill_min_notice_minutes)
        if opening.status in OPEN_OPENING_STATUSES and opening.starts_at > not_before:
            won = self._fill(tenant, opening, offer, not_before, now)
            if won is not None:
                return won
        return self._lose(offer, recipient.recipient_key, now)

    def _fill(
        self, tenant: Tenant, opening: Opening, offer: Offer, not_before: datetime, now: datetime
    ) -> TakeResult | None:
        entry = self.vacancies.get_entry(tenant.tenant_id, offer.entry_id)
        customer = (
            entry.customer if entry is not None else Customer(phone=offer.phone, name=offer.name)
        )
        appointment = Appointment(
            tenant_id=tenant.tenant_id,
            appointment_id=fill_appointment_id(opening.opening_id),
            customer=customer,
            starts_at=opening.starts_at,
            duration_minutes=opening.duration_minutes,
            location=opening.location,
            provider=opening.provider,
            service=opening.service,
            created_at=now,
            updated_at=now,
            replaces=opening.replaces,
        )
        events = [
            appointment_created(appointment, opening.replaces),
            opening_filled(
                tenant.tenant_id,
                opening.opening_id,
                offer.entry_id,
                appointment.appointment_id,
                now,
            ),
        ]

        def write(messages: list[MessageRecord]) -> bool:
            return self.book.fill(
                opening,
                offer=offer,
                appointment=appointment,
                messages=messages,
                events=events,
                not_before=not_before,
                now=now,
            )

        if self.appointments.create_within(tenant, appointment, write) is None:
            return None
        waited = (now - opening.created_at).total_seconds()
        self._log(
            tenant.tenant_id,
            ActivityEvent.OPENING_FILLED,
            opening,
            now,
            appointment_id=appointment.appointment_id,
            waited_minutes=round(waited / 60, 1),
        )
        return TakeResult(
            TakeOutcome.WON,
            opening.opening_id,
            appointment.appointment_id,
            time_to_fill_seconds=waited,
        )

    def _lose(self, offer: Offer, recipient_key: str, now: datetime) -> TakeResult:
        text = self._text(offer, recipient_key, MessageKind.OFFER_TAKEN, now)
        if not self.book.lose(offer, text, now):
            return TakeResult(TakeOutcome.REPEATED, offer.opening_id)
        self.queue.enqueue(self._request(offer, MessageKind.OFFER_TAKEN, recipient_key))
        return TakeResult(TakeOutcome.TAKEN, offer.opening_id)

    def _log(
        self,
        tenant_id: str,
        event: ActivityEvent,
        opening: Opening,
        now: datetime,
        *,
        appointment_id: str | None = None,
        waited_minutes: float | None = None,
    ) -> None:
        if self.activity is None:
            return
        self.activity.append(
            tenant_id,
            ActivityEntry(
                event=event,
                actor="automation" if event is not ActivityEvent.OPENING_FILLED else "customer",
                at=now,
                opening_id=opening.opening_id,
                appointment_id=appointment_id,
                waited_minutes=waited_minutes,
                reason=opening.source.value,
            ),
        )

    # -- texts ----------------------------------------------------------------------------

    @staticmethod
    def _text(offer: Offer, recipient_key: str, kind: MessageKind, now: datetime) -> OfferText:
        return OfferText(
            tenant_id=offer.tenant_id,
            opening_id=offer.opening_id,
            entry_id=offer.entry_id,
            recipient_key=recipient_key,
            kind=kind.value,
            status=MessageStatus.PLANNED,
            send_at=now,
            created_at=now,
            updated_at=now,
        )

    @staticmethod
    def _request(offer: Offer, kind: MessageKind, rkey: str | None = None) -> OfferSendRequest:
        return OfferSendRequest(
            tenant_id=offer.tenant_id,
            opening_id=offer.opening_id,
            entry_id=offer.entry_id,
            kind="offer" if kind is MessageKind.OFFER else "offer_taken",
            recipient_key=rkey or recipient_key(offer.tenant_id, offer.phone),
        )


def _reachable(recipient: Recipient | None, now: datetime) -> bool:
    """A number a wave may text: not opted out, able to take texts, and not holding
    another waitlist offer still open (one at a time per number, so its Y means one
    thing). R's options do not hold it back: they are answered by digits."""
    if recipient is None:
        return True
    if recipient.opted_out or recipient.undeliverable_code is not None:
        return False
    choice = recipient.waitlist_offer
    return choice is None or not choice.is_open(now)
