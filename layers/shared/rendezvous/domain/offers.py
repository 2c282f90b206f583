"""Offering an opening to the waitlist in waves, and the reply that takes it.

A wave re-reads the opening and offers it to the next `fill_wave_size` waiting entries
that suit it (first listed first), each with one automated text through the sender; the
next wave is planned `fill_wave_interval_minutes` later. The first reply that takes it
wins through one conditional write on the opening; every other taker is told, once, that
it is gone and that they stay on the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rendezvous.domain.activity import ActivityEntry, ActivityEvent, FillVia
from rendezvous.domain.appointments import AppointmentService
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import appointment_created, opening_filled
from rendezvous.domain.freed_slot import settle_freed_slot
from rendezvous.domain.models import (
    PENDING_STATUSES,
    RETRIES_EXHAUSTED,
    Appointment,
    MessageKind,
    MessageRecord,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    Recipient,
    SuppressionReason,
    Tenant,
    WaitlistOffer,
)
from rendezvous.domain.ports import (
    ActivityLog,
    AppointmentStore,
    ConversationQueue,
    OfferBook,
    OpeningDetail,
    OutboundQueue,
    VacancyStore,
    WaveScheduler,
)
from rendezvous.domain.timing import is_quiet, local_day, next_allowed, recipient_zone
from rendezvous.domain.vacancy import (
    LISTED_ENTRY_STATUSES,
    OPEN_OPENING_STATUSES,
    FillMatch,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
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
# Waves that find nobody wait longer each time, up to this many intervals (an hour at the
# default 15 minutes): an opening two weeks out is not read every 15 minutes for nothing
# (~4 reads a wave), yet someone who joins the list, or whose offer of another slot ends,
# hears of it within the hour even when nothing else prompts a wave.
MAX_IDLE_FACTOR = 4
# Someone who joins the list (or whose offer ends) is offered the openings they suit within
# a minute: at most this many of them, starting in the next HURRY_RANGE (later ones'
# waves come within MAX_IDLE_FACTOR intervals anyway).
HURRY_OPENINGS = 3
HURRY_RANGE = timedelta(days=14)
HURRY_AFTER = timedelta(minutes=1)
# The sweep leaves alone what a wave on time would have done by now (two watcher runs).
SWEEP_GRACE = timedelta(minutes=10)
SWEEP_PAGE = 100
SWEEP_PAGES = 10
# The sweep starts an opening no wave of which ran only in its first day: later, that is a
# pause or fill turned off (its waves ran and offered nothing), not a start that was lost.
FORGOTTEN_WITHIN = timedelta(days=1)


# A page of a waitlist listing: (limit, cursor) -> (entries, next cursor).
Listing = Callable[[int, str | None], tuple[list[WaitlistEntry], str | None]]


class WaveOutcome(StrEnum):
    OFFERED = "offered"  # offers went out (maybe none: nobody left; the next wave checks)
    REPEATED = "repeated"  # this wave ran already: its texts handed to the sender again
    FILLED = "filled"  # someone took it: the offers still open were closed
    EXPIRED = "expired"  # too close to start now: marked expired, open offers closed
    STOPPED = "stopped"  # the tenant paused or turned fill off, or the opening is gone
    QUIET = "quiet"  # quiet hours: nothing offered, the next wave when they end


@dataclass(frozen=True)
class WaveResult:
    outcome: WaveOutcome
    offers_sent: int = 0
    next_wave_at: datetime | None = None
    # Set when this run marked the opening expired (counted once, by the run that did it).
    expired_now: bool = False


@dataclass(frozen=True)
class Swept:
    freed: int = 0  # entries an ended offer held, waiting again
    started: int = 0  # openings whose lost start was made again


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
    # GET /v1/stats counts fill from the log: openings filled, expired (offer texts sent:
    # the sender logs those, once Twilio has them).
    activity: ActivityLog | None = None
    # The staff queue, where a customer's X left a "Slot freed" item that a fill settles.
    desk: ConversationQueue | None = None

    # -- starting and waves ---------------------------------------------------------------

    def start(self, opening: Opening) -> None:
        """The first wave, as soon as a schedule can be sure to run it."""
        first = self.clock.now() + SCHEDULE_LEAD
        self.waves.schedule_wave(opening.tenant_id, opening.opening_id, 1, first)

    def filled(self, opening: Opening, by: str) -> None:
        tenant = self.store.get_tenant(opening.tenant_id)
        detail = self.vacancies.get_opening(opening.tenant_id, opening.opening_id)
        if tenant is not None and detail is not None:
            self._ended(tenant, detail.opening, detail.offers, by, self.clock.now())

    def _ended(
        self, tenant: Tenant, opening: Opening, others: list[Offer], by: str, now: datetime
    ) -> None:
        """A fill's aftermath, at once rather than at the next wave (which may be hours
        away): the other offers close, their entries wait again and the openings they suit
        get a wave soon; the desk's "Slot freed" item is settled. The next wave, finding
        the opening filled, closes any this missed."""
        freed = [o for o in others if o.status is OfferStatus.SENT]
        self._close(freed, now)
        if freed:
            self._hurry(tenant, self._entries_of(freed), now, but=opening.opening_id)
        if self.desk is not None:
            settle_freed_slot(self.desk, opening, f"filled {by}", now, tenant.queue_retention_days)

    def ensure_started(self, opening: Opening) -> None:
        stored = self.vacancies.get_opening(opening.tenant_id, opening.opening_id)
        if stored is not None and stored.opening.waves_sent == 0:
            self.start(stored.opening)

    def entry_waiting(self, entry: WaitlistEntry) -> None:
        tenant = self.store.get_tenant(entry.tenant_id)
        if tenant is not None:
            self._hurry(tenant, [entry], self.clock.now())

    def _hurry(
        self, tenant: Tenant, entries: list[WaitlistEntry], now: datetime, but: str | None = None
    ) -> None:
        """Openings looking for people that one of `entries` suits (soonest first, the next
        HURRY_RANGE, at most HURRY_OPENINGS of them) get their next wave in a minute
        rather than after their backoff: two Queries, no Scan. Not while nothing would be
        offered (paused, fill off, quiet hours): their own waves look again after."""
        soon = now + HURRY_AFTER
        if (
            not entries
            or tenant.paused
            or not tenant.fill_enabled
            or is_quiet(soon, ZoneInfo(tenant.timezone), tenant.quiet_hours)
        ):
            return
        start = now + timedelta(minutes=tenant.fill_min_notice_minutes)
        found: list[Opening] = []
        for status in OPEN_OPENING_STATUSES:
            page, _ = self.vacancies.openings(
                tenant.tenant_id,
                status=status,
                start=start,
                end=start + HURRY_RANGE,
                limit=HURRY_OPENINGS * _PAGE_FACTOR,
                cursor=None,
            )
            found.extend(page)
        wanted = [
            o
            for o in sorted(found, key=lambda o: (o.starts_at, o.opening_id))
            if o.opening_id != but and any(e.suits(o, tenant.fill_match) for e in entries)
        ]
        for opening in wanted[:HURRY_OPENINGS]:
            self.waves.hurry_wave(
                tenant.tenant_id, opening.opening_id, opening.waves_sent + 1, soon
            )

    # -- the safety net under the waves (the queue watcher, every five minutes) -----------

    def sweep(self, tenant_id: str) -> Swept:
        """Repairs what a broken wave chain leaves (a wave in SchedulerDeadLetterQueue, a
        start lost between an opening's write and its first wave): entries an ended offer
        still holds wait again, and an opening none of whose waves ran is started."""
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            return Swept()
        now = self.clock.now()
        return Swept(freed=self._free_held(tenant, now), started=self._start_forgotten(tenant, now))

    def _free_held(self, tenant: Tenant, now: datetime) -> int:
        """Entries still `offered` a while after their offer's hold ended: its wave, which
        would have ended it, did not run. One keys-only Query (and a BatchGetItem of them
        and of their numbers) when there are none."""
        held_for = timedelta(minutes=tenant.fill_wave_interval_minutes) + SWEEP_GRACE
        freed = 0
        cursor: str | None = None
        for _ in range(SWEEP_PAGES):
            page, cursor = self.vacancies.entries(
                tenant.tenant_id, WaitlistStatus.OFFERED, SWEEP_PAGE, cursor
            )
            numbers = self.store.recipients_by_key(
                tenant.tenant_id, [e.recipient_key for e in page]
            )
            for entry in page:
                number = numbers.get(entry.recipient_key)
                choice = number.waitlist_offer if number is not None else None
                if (
                    choice is not None
                    and choice.ended_at is None
                    and now < choice.offered_at + held_for
                ):
                    continue
                if self._free(entry, choice, now):
                    freed += 1
            if cursor is None:
                break
        return freed

    def _free(self, entry: WaitlistEntry, choice: WaitlistOffer | None, now: datetime) -> bool:
        detail = (
            self.vacancies.get_opening(entry.tenant_id, choice.opening_id)
            if choice is not None
            else None
        )
        offers = detail.offers if detail is not None else []
        offer = next(
            (o for o in offers if o.entry_id == entry.entry_id and o.status is OfferStatus.SENT),
            None,
        )
        if offer is not None:
            if not _left(offer):
                return False  # its text is still to go out: it holds until then
            self.book.release(offer, now)
            return True
        # No open offer of the number's holds it: nothing would ever end it.
        waiting = entry.model_copy(
            update={"status": WaitlistStatus.WAITING, "version": entry.version + 1}
        )
        try:
            self.vacancies.put_entry(waiting, expected_version=entry.version)
        except ConcurrentModification:
            return False
        return True

    def _start_forgotten(self, tenant: Tenant, now: datetime) -> int:
        """Openings written a while ago whose first wave never ran, while waves could
        offer: their start was lost (a crash between the write and the start). One Query."""
        if (
            tenant.paused
            or not tenant.fill_enabled
            or is_quiet(now, ZoneInfo(tenant.timezone), tenant.quiet_hours)
        ):
            return 0
        page, _ = self.vacancies.openings(
            tenant.tenant_id,
            status=OpeningStatus.OPEN,
            start=now,
            end=now + HURRY_RANGE,
            limit=SWEEP_PAGE,
            cursor=None,
        )
        forgotten = [
            o
            for o in page
            if o.waves_sent == 0 and now - FORGOTTEN_WITHIN <= o.created_at <= now - SWEEP_GRACE
        ]
        for opening in forgotten:
            self.start(opening)
        return len(forgotten)

    def stop(self, detail: OpeningDetail) -> None:
        """The VacancyStopper port: a withdrawn opening's offers end at once."""
        self._close(detail.offers, self.clock.now())

    def run_wave(self, tenant_id: str, opening_id: str, wave: int) -> WaveResult:
        tenant = self.store.get_tenant(tenant_id)
        detail = self.vacancies.get_opening(tenant_id, opening_id)
        if tenant is None or detail is None:
            return WaveResult(WaveOutcome.STOPPED)
        opening, offers = detail.opening, detail.offers
        now = self.clock.now()
        if opening.status is OpeningStatus.WITHDRAWN:
            # The withdrawal closed its offers; a wave planned before it ends here (and
            # must not mark the opening expired).
            self._close(offers, now)
            return WaveResult(WaveOutcome.STOPPED)
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
        if opening.waves_sent > wave:
            # A later wave ran (this one was hurried past, or is a late retry): that
            # wave planned the next; planning it again here would run waves twice.
            return WaveResult(WaveOutcome.REPEATED)
        # Waves that offered nothing in a row: the next one waits longer each time.
        idle = wave - max((o.wave for o in offers), default=0)
        next_at = self._next_wave_at(tenant, opening, now, idle)
        if tenant.paused or not tenant.fill_enabled:
            # Nothing offered now; the next wave looks again (the opening still expires).
            self.waves.schedule_wave(tenant_id, opening_id, wave + 1, next_at)
            return WaveResult(WaveOutcome.STOPPED, next_wave_at=next_at)
        if is_quiet(now, ZoneInfo(tenant.timezone), tenant.quiet_hours):
            # An offer made now would wait for the morning, holding its entry all night,
            # and each wave until then would offer to more: none is made, the wave comes
            # back when quiet hours end.
            quiet_end = self._allowed(tenant, opening, now)
            self.waves.schedule_wave(tenant_id, opening_id, wave + 1, quiet_end)
            return WaveResult(WaveOutcome.QUIET, next_wave_at=quiet_end)
        freed = self._end_holds(tenant, offers, now)
        if opening.waves_sent >= wave:
            # A repeated run (a retried schedule, a crash after the opening's update): hand
            # this wave's texts to the sender again; its claim sends each once at most.
            for offer in offers:
                if offer.wave == wave and offer.status is OfferStatus.SENT:
                    self.queue.enqueue(self._request(offer, MessageKind.OFFER))
            self.waves.schedule_wave(tenant_id, opening_id, wave + 1, next_at)
            return WaveResult(WaveOutcome.REPEATED, next_wave_at=next_at)
        picked = self._pick(tenant, opening, offers, now)
        # The wave is counted before its offers are made, so a run that stops half-way is
        # repeated (above), never run again with a second set of entries; the entries it
        # picked but never offered stay waiting for the next wave.
        counted = opening.model_copy(
            update={
                "status": OpeningStatus.OFFERED if picked else opening.status,
                "waves_sent": wave,
                "offered_to": len(offers) + len(picked),
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
        if sent < len(picked):
            self._recount(counted, len(offers) + sent)
        self.waves.schedule_wave(tenant_id, opening_id, wave + 1, next_at)
        if freed:
            self._hurry(tenant, self._entries_of(freed), now, but=opening_id)
        return WaveResult(WaveOutcome.OFFERED, offers_sent=sent, next_wave_at=next_at)

    def _entries_of(self, offers: list[Offer]) -> list[WaitlistEntry]:
        found = (self.vacancies.get_entry(o.tenant_id, o.entry_id) for o in offers)
        return [e for e in found if e is not None and e.status is WaitlistStatus.WAITING]

    def _recount(self, counted: Opening, offered_to: int) -> None:
        """`offered_to` counts offers made: an entry picked but gone (taken off the list,
        offered another slot by a wave at the same moment) is not one. A take since the
        count wins; the count is then the picks'."""
        recounted = counted.model_copy(
            update={"offered_to": offered_to, "version": counted.version + 1}
        )
        try:
            self.vacancies.save_opening(recounted, expected_version=counted.version)
        except ConcurrentModification:
            return

    def _end_holds(self, tenant: Tenant, offers: list[Offer], now: datetime) -> list[Offer]:
        """An offer holds its entry and its number one interval: after that the entry waits
        again (another opening may offer to it) and the number may get another offer. A
        late Y still answers it: it wins while the opening is open, else hears "just
        taken" (take). An offer whose text has not left yet (quiet hours where the number
        is, a pause holding it) holds on until it has: else it would end unseen."""
        hold = timedelta(minutes=tenant.fill_wave_interval_minutes)
        ended = [
            o
            for o in offers
            if o.status is OfferStatus.SENT and o.sent_at + hold <= now and _left(o)
        ]
        for offer in ended:
            self.book.release(offer, now)
        return ended

    def _next_wave_at(self, tenant: Tenant, opening: Opening, now: datetime, idle: int) -> datetime:
        """The tenant's interval later, doubled for each wave in a row that found nobody up
        to MAX_IDLE_FACTOR times it; out of quiet hours; and no later than the moment the
        opening stops being worth offering: that run marks it expired. Never sooner than
        SCHEDULE_LEAD."""
        factor = min(2**idle, MAX_IDLE_FACTOR)
        return self._allowed(
            tenant, opening, now + timedelta(minutes=tenant.fill_wave_interval_minutes * factor)
        )

    def _allowed(self, tenant: Tenant, opening: Opening, at: datetime) -> datetime:
        """`at`, or the end of the tenant's quiet hours when it falls in them (the sender's
        own rule), but never after the opening's last moment to be offered (that run marks
        it expired), nor sooner than SCHEDULE_LEAD from now."""
        last = opening.starts_at - timedelta(minutes=tenant.fill_min_notice_minutes)
        allowed = min(next_allowed(at, ZoneInfo(tenant.timezone), tenant.quiet_hours), last)
        return max(allowed, self.clock.now() + SCHEDULE_LEAD)

    def _pick(
        self, tenant: Tenant, opening: Opening, offers: list[Offer], now: datetime
    ) -> list[WaitlistEntry]:
        """The next waiting entries that suit the opening, first listed first: none offered
        this opening before, nor any whose number was (a person listed twice gets one offer
        of a slot, not one per entry), none whose number opted out, cannot take texts,
        holds another open offer, or had its daily cap of texts today; one per number."""
        size = tenant.fill_wave_size
        offered = {o.entry_id for o in offers}
        listing = self._listing(tenant, opening)
        picked: list[WaitlistEntry] = []
        numbers: set[str] = {recipient_key(tenant.tenant_id, o.phone) for o in offers}
        cursor: str | None = None
        while len(picked) < size:
            page, cursor = listing(size * _PAGE_FACTOR, cursor)
            fitting = [
                e for e in page if e.entry_id not in offered and e.suits(opening, tenant.fill_match)
            ]
            recipients = self.store.recipients_by_key(
                tenant.tenant_id, [e.recipient_key for e in fitting]
            )
            for entry in fitting:
                recipient = recipients.get(entry.recipient_key)
                if (
                    entry.recipient_key in numbers
                    or not _reachable(recipient, now)
                    or _quiet_for(entry, tenant, now)
                    or _capped(recipient, entry, tenant, now)
                ):
                    continue
                picked.append(entry)
                numbers.add(entry.recipient_key)
                if len(picked) == size:
                    break
            if cursor is None:
                break
        return picked

    def _listing(self, tenant: Tenant, opening: Opening) -> Listing:
        """Where the entries that may suit the opening are listed: every waiting entry when
        the tenant matches any; else those of its service and those with no preference,
        or for a slot of no named service only the latter (no other would suit it)."""
        tenant_id = tenant.tenant_id
        if tenant.fill_match is FillMatch.ANY:
            return lambda limit, cursor: self.vacancies.waiting_for(tenant_id, None, limit, cursor)
        service = opening.service
        if service is None:
            return lambda limit, cursor: self.vacancies.waiting_without_preference(
                tenant_id, limit, cursor
            )
        return lambda limit, cursor: self.vacancies.waiting_for(tenant_id, service, limit, cursor)

    def _offer(
        self, tenant: Tenant, opening: Opening, entry: WaitlistEntry, wave: int, now: datetime
    ) -> bool:
        offer = Offer(
            tenant_id=tenant.tenant_id,
            opening_id=opening.opening_id,
            entry_id=entry.entry_id,
            phone=entry.customer.phone,
            name=entry.customer.name,
            locale=entry.customer.locale,
            wave=wave,
            sent_at=now,
            starts_at=opening.starts_at,
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
        # The opening filled by this entry next to its offer not yet taken: a Query read
        # the winner's transaction half-way (it is not isolated from one); this reply is
        # the winner's own, answered already.
        if offer.status is OfferStatus.TAKEN or opening.filled_by_entry == offer.entry_id:
            return TakeResult(TakeOutcome.REPEATED, opening_id, opening.filled_appointment_id)
        not_before = now + timedelta(minutes=tenant.fill_min_notice_minutes)
        if opening.status in OPEN_OPENING_STATUSES and opening.starts_at > not_before:
            entry = self.vacancies.get_entry(tenant.tenant_id, offer.entry_id)
            if entry is not None and entry.filled_opening_id == opening_id:
                # The same number's first Y won since the opening was read.
                return TakeResult(TakeOutcome.REPEATED, opening_id, fill_appointment_id(opening_id))
            if entry is None or entry.status not in LISTED_ENTRY_STATUSES:
                return None  # taken off the list (or filled elsewhere): nothing to answer
            won = self._fill(tenant, opening, offer, entry, not_before, now)
            if won is not None:
                who = entry.customer.name or "a waitlisted customer"
                others = [o for o in detail.offers if o.entry_id != offer.entry_id]
                self._ended(tenant, opening, others, f"from the waitlist by {who}", now)
                return won
        return self._lose(offer, recipient.recipient_key, now)

    def _fill(
        self,
        tenant: Tenant,
        opening: Opening,
        offer: Offer,
        entry: WaitlistEntry,
        not_before: datetime,
        now: datetime,
    ) -> TakeResult | None:
        appointment = Appointment(
            tenant_id=tenant.tenant_id,
            appointment_id=fill_appointment_id(opening.opening_id),
            customer=entry.customer,
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

        def write(planned: Appointment, messages: list[MessageRecord]) -> bool:
            return self.book.fill(
                opening,
                offer=offer,
                appointment=planned,
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
                # A fill says how it was filled (a reschedule's digit logs its own).
                reason=FillVia.WAITLIST.value
                if event is ActivityEvent.OPENING_FILLED
                else opening.source.value,
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
            # "Just taken" answers the customer's Y; the offer is unasked for.
            answers_customer=kind is MessageKind.OFFER_TAKEN,
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


def _left(offer: Offer) -> bool:
    """Whether the offer's text is out of the sender's hands (sent, or stopped for good).
    One whose retries ran out is not: it waits in the outbox for a manager's redrive, and
    its offer holds until then (or until the slot is filled, withdrawn or expires), so the
    redrive sends an offer the person can still take."""
    status = offer.message_status
    if status is None or MessageStatus(status) in PENDING_STATUSES:
        return False
    if status == MessageStatus.FAILED and offer.message_reason == RETRIES_EXHAUSTED:
        return False
    return not (
        status == MessageStatus.SUPPRESSED
        and offer.message_reason == SuppressionReason.TENANT_PAUSED
    )


def _quiet_for(entry: WaitlistEntry, tenant: Tenant, now: datetime) -> bool:
    """Quiet hours where the entry's number is, as the sender reckons them: an offer now
    would wait for the morning while holding the entry and the number."""
    zone = recipient_zone(entry.customer.phone, tenant.timezone)
    return is_quiet(now, zone, tenant.quiet_hours)


def _capped(
    recipient: Recipient | None, entry: WaitlistEntry, tenant: Tenant, now: datetime
) -> bool:
    """The number had its daily cap of texts today, counted as the sender counts them (on
    its item, by its own date): the offer's text would be suppressed while the offer held
    the person and counted in offered_to."""
    if recipient is None:
        return False
    today = local_day(now, recipient_zone(entry.customer.phone, tenant.timezone))
    return recipient.capped_texts_on(today) >= tenant.daily_cap


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
