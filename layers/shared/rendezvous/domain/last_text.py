"""Which of an appointment's automated texts is its last one, and its latest status.

The sender and the status callback each keep the appointment's `last_text` with one
conditional write, and may race (Twilio's callback can arrive before the sender records
Twilio's answer). The write carries an `order` that sorts as text: the text's place among
the appointment's texts first (a newer version, then within a version the notice before
the reminders, the longest lead first), then the moment of the status, then its rank on
the way to a final state. A write lands only when its order is above the stored one, so a
late callback about an older text, or the sender's `queued` after the callback's
`delivered` (the sender's moment is taken before it sends), never clobbers a newer value.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rendezvous.domain.models import LastText, MessageStatus, reminder_lead

_RANK: dict[MessageStatus, int] = {
    MessageStatus.PLANNED: 0,
    MessageStatus.DEFERRED: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.QUEUED: 2,
    MessageStatus.SENT: 3,
}
_FINAL_RANK = 4
# Leads are under a year in minutes: 7 digits keep the order textual.
_LEAD_DIGITS = 7


def text_order(kind: str, version: int) -> str:
    lead = reminder_lead(kind)
    if lead is None:
        return f"{version:05d}#0"
    minutes = int(lead.total_seconds()) // 60
    return f"{version:05d}#1{10**_LEAD_DIGITS - minutes:0{_LEAD_DIGITS}d}"


def last_text_order(kind: str, version: int, status: MessageStatus, at: datetime) -> str:
    moment = at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{text_order(kind, version)}#{moment}#{_RANK.get(status, _FINAL_RANK)}"


def text_of(order: str) -> str:
    """The text an order is about (its text_order): what two writes about one text share."""
    return order.rsplit("#", 2)[0]


def last_text(
    kind: str,
    status: MessageStatus,
    at: datetime,
    reason: str | None,
    variant: str | None = None,
) -> LastText:
    return LastText(kind=kind, status=status.value, at=at, reason=reason, variant=variant)
