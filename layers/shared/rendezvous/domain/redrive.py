"""Texts that could not go out at their time and wait for a person's word: those held while
the tenant was paused (sent or dropped on resume) and those whose retries ran out (sent or
dropped on a redrive), an appointment's texts and an offer's alike. Both go back through
the outbound queue, so the sender applies every rule again (opt-out, quiet hours, daily
cap, the pause) and its claim keeps them to one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rendezvous.domain.clock import Clock
from rendezvous.domain.events import EventType, message_event
from rendezvous.domain.identity import claim_key, identity_of
from rendezvous.domain.models import (
    CLAIMED_WITHOUT_RESULT,
    PENDING_STATUSES,
    RETRIES_EXHAUSTED,
    MessageStatus,
    SuppressionReason,
    is_held,
)
from rendezvous.domain.ports import AppointmentStore, OfferTextOwners, OutboundQueue, TimeIndex
from rendezvous.domain.texts import TextBook

# As long as the outbound dead-letter queue keeps a message: what a redrive can still reach,
# and how far back the outbox shows held texts, so a resume releases every one it shows.
REDRIVE_LOOKBACK = timedelta(days=14)
# The reason on a held text a resume released: pending, due at the resume.
RESUMED = "resumed"
# Every retry of a text is over well within this (the queue's five receives take minutes,
# Scheduler gives up delivering to the queue after an hour): a text still waiting this long
# after its time was lost by a crash or a timeout that the sender could not record.
STUCK_AFTER = timedelta(hours=2)
# The watcher runs every five minutes: a day back catches a stuck text even after a long
# outage of the watcher itself, at two Queries a tenant.
SWEEP_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Released:
    """What a resume or a redrive did: texts handed back to the sender, texts dropped."""

    queued: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)


@dataclass
class LateTexts:
    index: TimeIndex
    store: AppointmentStore
    outbound: OutboundQueue
    clock: Clock
    # The texts of offers, held and redriven as an appointment's; None: no vacancy fill.
    offers: OfferTextOwners | None = None

    def release_held(self, tenant_id: str) -> Released:
        """On resume: held texts whose moment still makes sense go out; the others are
        recorded suppressed with reason tenant_paused (an offer's: why its opening is no
        longer to be had). Not bounded by the pause's time: a second pause moves it, and a
        text already late when held (redriven, retried) is older than the pause."""
        now = self.clock.now()
        return self._release(
            tenant_id,
            now - REDRIVE_LOOKBACK,
            now,
            status=MessageStatus.DEFERRED,
            reason=SuppressionReason.TENANT_PAUSED.value,
            too_late=SuppressionReason.TENANT_PAUSED,
            release_as=RESUMED,
        )

    def redrive(self, tenant_id: str) -> Released:
        """Texts whose retries ran out go out again if their moment still makes sense, and
        are recorded suppressed with the reason why not otherwise (an offer whose opening
        was filled or expired meanwhile: opening_filled, opening_expired)."""
        now = self.clock.now()
        return self._release(
            tenant_id,
            now - REDRIVE_LOOKBACK,
            now,
            status=MessageStatus.FAILED,
            reason=RETRIES_EXHAUSTED,
            too_late=SuppressionReason.TOO_LATE,
        )

    def _release(
        self,
        tenant_id: str,
        start: datetime,
        end: datetime,
        *,
        status: MessageStatus,
        reason: str,
        too_late: SuppressionReason,
        release_as: str | None = None,
    ) -> Released:
        """`release_as`: the reason a released text carries, due now, before it is queued:
        no longer held, so the watcher's sweep catches it should every receive crash."""
        now = self.clock.now()
        rows = [
            r
            for r in self.index.messages_between(tenant_id, start, end)
            if r.status == status.value and r.reason == reason
        ]
        book = TextBook(self.store, self.offers)
        queued = 0
        dropped: Counter[str] = Counter()
        for current in book.current(tenant_id, rows, now, too_late):
            message = current.text
            if message.status is not status or message.reason != reason:
                continue
            verdict = current.late
            if verdict is None:
                if release_as is not None and not book.update(
                    message,
                    status=status,
                    now=now,
                    only_if=frozenset({status}),
                    reason_is=reason,
                    reason=release_as,
                    send_at=now,
                ):
                    continue  # a concurrent resume released it
                self.outbound.enqueue(current.request)
                queued += 1
            elif book.update(
                message,
                status=MessageStatus.SUPPRESSED,
                now=now,
                only_if=frozenset({status}),
                reason_is=reason,
                reason=verdict.value,
                event=message_event(
                    EventType.MESSAGE_SUPPRESSED,
                    identity_of(message),
                    now,
                    reason=verdict.value,
                ),
            ):
                dropped[verdict.value] += 1
        return Released(queued=queued, suppressed=dict(dropped))


def mark_stuck(
    index: TimeIndex,
    store: AppointmentStore,
    clock: Clock,
    tenant_id: str,
    offers: OfferTextOwners | None = None,
) -> int:
    """The safety net under the sender: a text past every retry that is still pending
    (its last attempt crashed or timed out, and the queue moved it on unrecorded) is
    recorded failed with retries_exhausted, so it counts, shows and can be redriven;
    an appointment's text or an offer's alike."""
    now = clock.now()
    cutoff = now - STUCK_AFTER
    pending = {s.value for s in PENDING_STATUSES}
    rows = [
        r
        for r in index.messages_between(tenant_id, cutoff - SWEEP_LOOKBACK, cutoff)
        if r.status in pending and r.reason != SuppressionReason.TENANT_PAUSED
    ]
    book = TextBook(store, offers)
    stuck = [
        c
        for c in book.current(tenant_id, rows, now, SuppressionReason.TOO_LATE)
        if c.text.status in PENDING_STATUSES and not is_held(c.text) and c.text.send_at <= cutoff
    ]
    claims_of: dict[str, dict[str, str]] = {}
    marked = 0
    for current in stuck:
        message = current.text
        if current.phone not in claims_of:
            recipient = store.get_recipient(tenant_id, current.phone)
            claims_of[current.phone] = recipient.claims if recipient is not None else {}
        if claim_key(message) in claims_of[current.phone]:
            # Claimed, so Twilio may have it: a redrive could text twice once the claim
            # is pruned. Say "unknown", as the sender does, never "send it again".
            book.update(
                message,
                status=MessageStatus.UNKNOWN,
                now=now,
                only_if=frozenset({message.status}),
                reason=CLAIMED_WITHOUT_RESULT,
            )
        elif book.update(
            message,
            status=MessageStatus.FAILED,
            now=now,
            only_if=frozenset({message.status}),
            reason=RETRIES_EXHAUSTED,
            event=message_event(
                EventType.MESSAGE_FAILED, identity_of(message), now, reason=RETRIES_EXHAUSTED
            ),
        ):
            marked += 1
    return marked
