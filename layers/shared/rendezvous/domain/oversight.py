"""What owners and operators see and switch: the outbox, the pause switch, the numbers."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import InvalidRequest, NotFound
from rendezvous.domain.identity import MessageIdentity, OfferIdentity
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    HANDED_OFF_STATUSES,
    PENDING_STATUSES,
    RETRIES_EXHAUSTED,
    Appointment,
    Customer,
    MessageStatus,
    QueueItem,
    QueueStatus,
    SuppressionReason,
    Tenant,
)
from rendezvous.domain.ports import (
    ActivityReader,
    ConversationQueue,
    OfferTextOwners,
    OversightStore,
    TenantReader,
)
from rendezvous.domain.redrive import REDRIVE_LOOKBACK, LateTexts, Released
from rendezvous.domain.results import Results, counted, results_of
from rendezvous.domain.staff import StaffMember

TENANT_PAUSED = SuppressionReason.TENANT_PAUSED.value
MAX_OUTBOX_HOURS = 168
MAX_STATS_DAYS = 31
# Appointments read per keys-only Query page and BatchGetItem for the period's cohort.
COHORT_PAGE = 1000


@dataclass(frozen=True)
class OutboxEntry:
    """One text of the outbox: an appointment's (`appointment_id`), or a waitlist offer's
    (`opening_id` and `entry_id`: an opening offered to a waitlist entry, no appointment)."""

    appointment_id: str | None
    kind: str
    send_at: datetime
    status: str
    reason: str | None
    customer_name: str
    phone: str
    opening_id: str | None = None
    entry_id: str | None = None


@dataclass(frozen=True)
class QueueNumbers:
    open: int
    claimed: int
    overdue: int
    resolved: int
    median_wait_minutes: float | None


@dataclass(frozen=True)
class FillNumbers:
    """Vacancy fill in the period: openings made, offer texts sent, openings filled (and
    the median minutes from opening to fill), openings that ended unfilled."""

    openings: int = 0
    offers_sent: int = 0
    filled: int = 0
    median_time_to_fill_minutes: float | None = None
    expired_unfilled: int = 0


@dataclass(frozen=True)
class Stats:
    days: int
    since: datetime
    # Rates by kind, variant and cadence, and the daily numbers (domain/results.py).
    results: Results
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    confirmed: int = 0
    cancelled: int = 0
    opt_outs: int = 0
    replies: int = 0
    queue: QueueNumbers | None = None
    fill: FillNumbers = field(default_factory=FillNumbers)


def live_items(queue: ConversationQueue, tenant_id: str) -> list[QueueItem]:
    """Every open and claimed item of a tenant (a Query per status on the sparse index)."""
    items: list[QueueItem] = []
    for status in (QueueStatus.OPEN, QueueStatus.CLAIMED):
        cursor: dict[str, Any] | None = None
        while True:
            page, cursor, _ = queue.page(tenant_id, status, 100, cursor)
            items.extend(page)
            if cursor is None:
                break
    return items


@dataclass
class OversightService:
    tenants: TenantReader
    store: OversightStore
    queue: ConversationQueue
    log: ActivityReader
    clock: Clock
    # Built on first use: only a resume or a redrive needs the outbound queue's client.
    late_texts: Callable[[], LateTexts]
    # Offers' texts, shown with their opening and entry; None: no vacancy fill.
    offers: OfferTextOwners | None = None

    def status(self, tenant_id: str) -> Tenant:
        tenant = self.tenants.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant

    def pause(self, staff: StaffMember, reason: str) -> Tenant:
        why = reason.strip()
        if not why or len(why) > 300:
            raise InvalidRequest("say why automation is paused (1 to 300 characters)")
        return self._switch(staff, paused=True, reason=why)

    def resume(self, staff: StaffMember, reason: str | None) -> tuple[Tenant, Released]:
        """Resume, then send the texts held while paused whose moment still makes sense
        (CONTRACT.md, Pause). Held texts are looked for even when the tenant was not paused:
        a send that read the switch just before an earlier resume may have held one. (That
        send also reads the switch again after holding, and decides again if it is off.)"""
        why = (reason or "").strip()
        if len(why) > 300:
            raise InvalidRequest("a reason is at most 300 characters")
        tenant = self._switch(staff, paused=False, reason=why or None)
        return tenant, self.late_texts().release_held(staff.tenant_id)

    def redrive(self, staff: StaffMember) -> Released:
        """Send again the texts whose retries ran out, where their moment still makes sense."""
        self.status(staff.tenant_id)
        released = self.late_texts().redrive(staff.tenant_id)
        entry = ActivityEntry(
            event=ActivityEvent.REDRIVE,
            actor=staff.staff_id,
            at=self.clock.now(),
            queued=released.queued,
            suppressed=sum(released.suppressed.values()),
        )
        self.log.append(staff.tenant_id, entry)
        return released

    def _switch(self, staff: StaffMember, *, paused: bool, reason: str | None) -> Tenant:
        self.status(staff.tenant_id)
        now = self.clock.now()
        tenant = self.store.set_pause(
            staff.tenant_id, paused=paused, by=staff.staff_id, reason=reason, at=now
        )
        event = ActivityEvent.PAUSE if paused else ActivityEvent.RESUME
        entry = ActivityEntry(event=event, actor=staff.staff_id, at=now, reason=reason)
        self.log.append(staff.tenant_id, entry)
        return tenant

    def outbox(self, tenant_id: str, hours: int) -> list[OutboxEntry]:
        if not 1 <= hours <= MAX_OUTBOX_HOURS:
            raise InvalidRequest(f"hours is 1 to {MAX_OUTBOX_HOURS}")
        self.status(tenant_id)
        now = self.clock.now()
        # A few minutes back too: what was due a moment ago and is about to go out. And, as
        # far back as a redrive reaches, the texts whose retries ran out (they wait for a
        # redrive) and those held by a pause (they wait for the resume).
        recent, end = now - timedelta(minutes=5), now + timedelta(hours=hours)
        pending = {s.value for s in PENDING_STATUSES}
        rows = [
            r
            for r in self.store.messages_between(tenant_id, now - REDRIVE_LOOKBACK, end)
            if (r.status in pending and r.send_at >= recent)
            or (r.status == MessageStatus.FAILED and r.reason == RETRIES_EXHAUSTED)
            or (r.status == MessageStatus.DEFERRED and r.reason == TENANT_PAUSED)
        ]
        appointments = self.store.appointments(
            tenant_id,
            [r.identity.appointment_id for r in rows if isinstance(r.identity, MessageIdentity)],
        )
        offer_keys = [
            (r.identity.opening_id, r.identity.entry_id)
            for r in rows
            if isinstance(r.identity, OfferIdentity)
        ]
        offers = self.offers.offers_of(tenant_id, offer_keys) if self.offers and offer_keys else {}
        entries = []
        for row in rows:
            identity = row.identity
            if isinstance(identity, MessageIdentity):
                appointment = appointments.get(identity.appointment_id)
                if appointment is None:
                    continue
                customer = appointment.customer
                owner: tuple[str | None, str | None, str | None] = (
                    identity.appointment_id,
                    None,
                    None,
                )
            else:
                offer = offers.get((identity.opening_id, identity.entry_id))
                if offer is None:
                    continue
                customer = Customer(phone=offer.phone, name=offer.name)
                owner = (None, identity.opening_id, identity.entry_id)
            entries.append(
                OutboxEntry(
                    appointment_id=owner[0],
                    opening_id=owner[1],
                    entry_id=owner[2],
                    kind=identity.kind,
                    send_at=row.send_at,
                    status=row.status,
                    reason=row.reason,
                    customer_name=customer.name,
                    phone=customer.phone,
                )
            )
        return entries

    def stats(self, tenant_id: str, days: int) -> Stats:
        if not 1 <= days <= MAX_STATS_DAYS:
            raise InvalidRequest(f"days is 1 to {MAX_STATS_DAYS}")
        tenant = self.status(tenant_id)
        now = self.clock.now()
        since = now - timedelta(days=days)
        day_names = [
            (since + timedelta(days=n)).astimezone(UTC).date().isoformat() for n in range(days + 1)
        ]
        statuses: Counter[str] = Counter()
        suppressed: Counter[str] = Counter()
        rows = self.store.messages_between(tenant_id, since, now)
        for row in rows:
            statuses[row.status] += 1
            if row.status == MessageStatus.SUPPRESSED:
                suppressed[row.reason or "unknown"] += 1
        events: Counter[ActivityEvent] = Counter()
        texts: Counter[Intent | None] = Counter()
        waits: list[float] = []
        fills: list[float] = []
        replies: list[ActivityEntry] = []
        for day in day_names:
            for entry in self.log.day(tenant_id, day):
                if entry.at < since:
                    continue
                events[entry.event] += 1
                if entry.event is ActivityEvent.TEXT_RECEIVED:
                    texts[entry.acted_on()] += 1
                    replies.append(entry)
                if entry.event is ActivityEvent.CLAIM and entry.waited_minutes is not None:
                    waits.append(entry.waited_minutes)
                if entry.event is ActivityEvent.OPENING_FILLED and entry.waited_minutes is not None:
                    fills.append(entry.waited_minutes)
        live = live_items(self.queue, tenant_id)
        queue = QueueNumbers(
            open=sum(1 for i in live if i.status is QueueStatus.OPEN),
            claimed=sum(1 for i in live if i.status is QueueStatus.CLAIMED),
            overdue=sum(1 for i in live if i.due_by < now),
            resolved=events[ActivityEvent.RESOLVE],
            median_wait_minutes=round(statistics.median(waits), 1) if waits else None,
        )
        handed_off = {s.value for s in HANDED_OFF_STATUSES}
        facts = self.store.text_facts(tenant_id, [r.identity for r in rows if counted(r)])
        results = results_of(
            tenant, since, now, rows, facts, replies, self._started(tenant_id, since, now)
        )
        return Stats(
            days=days,
            since=since,
            sent=sum(
                n for s, n in statuses.items() if s in handed_off or s == MessageStatus.UNDELIVERED
            ),
            delivered=statuses[MessageStatus.DELIVERED],
            failed=statuses[MessageStatus.FAILED] + statuses[MessageStatus.UNDELIVERED],
            suppressed=dict(suppressed),
            confirmed=texts[Intent.CONFIRM],
            cancelled=texts[Intent.CANCEL] + events[ActivityEvent.APPOINTMENT_CANCELLED],
            opt_outs=texts[Intent.OPT_OUT],
            replies=events[ActivityEvent.TEXT_RECEIVED],
            queue=queue,
            # From the same days of the log, as every other figure: one entry per opening
            # written, offer text sent, opening filled (with its time) and opening expired.
            fill=FillNumbers(
                openings=events[ActivityEvent.OPENING_CREATED],
                offers_sent=events[ActivityEvent.OFFER_SENT],
                filled=events[ActivityEvent.OPENING_FILLED],
                median_time_to_fill_minutes=round(statistics.median(fills), 1) if fills else None,
                expired_unfilled=events[ActivityEvent.OPENING_EXPIRED],
            ),
            results=results,
        )

    def _started(self, tenant_id: str, since: datetime, until: datetime) -> list[Appointment]:
        """Every appointment starting in [since, until), cancelled ones included: the
        day index's keys-only Queries and a BatchGetItem per page."""
        found: list[Appointment] = []
        after: tuple[datetime, str] | None = None
        while True:
            page, more = self.store.appointments_starting(
                tenant_id, since, until, limit=COHORT_PAGE, after=after
            )
            found.extend(page)
            if not more or not page:
                return found
            after = (page[-1].starts_at, page[-1].appointment_id)
