"""The staff queue's "Slot freed" item, opened when a customer cancels by text, and
settled by automation once the slot is filled again: nobody at the desk should go on to
fill a slot the waitlist (or a reschedule) already filled."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from rendezvous.domain.events import queue_item_resolved
from rendezvous.domain.models import QueueStatus
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


def settle_freed_slot(queue: ConversationQueue, opening: Opening, how: str, now: datetime) -> None:
    """Resolve the "Slot freed" item of the appointment the filled `opening` replaces, if
    there is one still open, saying `how` it was filled ("filled from the waitlist by
    Ana"). A person holding it keeps it: their claim is theirs to resolve."""
    if opening.replaces is None:
        return
    item = queue.get(opening.tenant_id, slot_item_id(opening.tenant_id, opening.replaces))
    if item is None or item.status is QueueStatus.RESOLVED:
        return
    claimed = queue.claim(
        opening.tenant_id, item.item_id, AUTOMATION, now, now + timedelta(minutes=1)
    )
    if claimed is None:
        return
    queue.resolve(
        claimed,
        AUTOMATION,
        now,
        queue_item_resolved(claimed, AUTOMATION, now),
        preview=f"{claimed.preview} · {how}",
    )
