"""The staff queue's "Slot freed" item, opened when a customer cancels by text, and
settled by automation once the slot is filled again: nobody at the desk should go on to
fill a slot the waitlist (or a reschedule) already filled."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from rendezvous.domain.events import queue_item_resolved
from rendezvous.domain.models import ConversationMessage, QueueItem, QueueStatus
from rendezvous.domain.ports import ConversationQueue
from rendezvous.domain.vacancy import Opening

# Who the queue says handled what no person did.
AUTOMATION = "automation"


def queue_item_id(tenant_id: str, seed: str) -> str:
    # Deterministic, so a retried webhook or a repeated cancel lands on the same item.
    return hashlib.sha256(f"{tenant_id}/{seed}".encode()).hexdigest()[:20]


def slot_item_id(tenant_id: str, appointment_id: str) -> str:
    """The "Slot freed" item of the cancelled appointment `appointment_id`."""
    return queue_item_id(tenant_id, f"slot/{appointment_id}")


def settle_freed_slot(
    queue: ConversationQueue, opening: Opening, how: str, now: datetime, retention_days: int
) -> None:
    """Resolve the "Slot freed" item of the appointment the filled `opening` replaces, if
    there is one still open, saying `how` it was filled ("filled from the waitlist by
    Ana"). A person holding it keeps it (their claim is theirs to resolve), but is told in
    its thread: they may be on the phone trying to fill that very slot."""
    if opening.replaces is None:
        return
    item = queue.get(opening.tenant_id, slot_item_id(opening.tenant_id, opening.replaces))
    if item is None or item.status is QueueStatus.RESOLVED:
        return
    claimed = queue.claim(
        opening.tenant_id, item.item_id, AUTOMATION, now, now + timedelta(minutes=1)
    )
    if claimed is None:
        _tell_holder(
            queue, item, how[:1].upper() + how[1:], opening.filled_at or now, retention_days
        )
        return
    queue.resolve(
        claimed,
        AUTOMATION,
        now,
        queue_item_resolved(claimed, AUTOMATION, now),
        preview=f"{claimed.preview} · {how}",
    )


def _tell_holder(
    queue: ConversationQueue, item: QueueItem, body: str, at: datetime, retention_days: int
) -> None:
    """One automation line in the held item's thread, once however often a fill's
    aftermath is retried."""
    thread = queue.messages(item.tenant_id, item.item_id)
    if any(m.author == AUTOMATION and m.body == body for m in thread):
        return
    line = ConversationMessage(
        item_id=item.item_id, at=at, direction="outbound", body=body, author=AUTOMATION
    )
    queue.append(item, line, retention_days=retention_days)
