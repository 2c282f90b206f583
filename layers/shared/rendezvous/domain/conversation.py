"""A conversation as staff read it: every text both ways with one number, oldest first.

Four records hold its texts: the recipient's record of inbound texts and our answers to
them (kept once per Twilio MessageSid), the queue item's thread (a person's answers), the
automated texts of the recipient's appointments, and the number's waitlist offer texts
(an offer, a "just taken"), which belong to an opening. Threads written before texts were
kept under the recipient still show: a text of theirs that the recipient's record lacks
joins the conversation once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rendezvous.domain.models import (
    HANDED_OFF_STATUSES,
    ConversationMessage,
    MessageStatus,
    OfferText,
    TextKind,
    TextRecord,
)
from rendezvous.domain.ports import AppointmentHistory, ConversationQueue, Conversations

CONVERSATION_LENGTH = 100
# Appointments on each side of now whose automated texts a conversation shows.
APPOINTMENTS_EACH_WAY = 5
# An automated text is part of the conversation once it left us or failed trying;
# planned, suppressed or retired ones never reached the customer.
SHOWN_STATUSES = HANDED_OFF_STATUSES | {MessageStatus.FAILED, MessageStatus.UNDELIVERED}


def automated(message: TextRecord) -> ConversationMessage:
    return ConversationMessage(
        item_id="",
        at=message.send_at,
        direction="outbound",
        body=message.body or "",
        author="automation",
        sid=message.sid,
        kind=TextKind.AUTOMATED,
        message_kind=message.kind,
        status=message.status.value,
    )


def _thread_kind(message: ConversationMessage) -> TextKind:
    if message.kind is not None:
        return message.kind
    if message.author == "customer":
        return TextKind.TEXT
    return TextKind.AUTO_REPLY if message.author == "automation" else TextKind.STAFF


def assemble(
    texts: Iterable[ConversationMessage],
    threads: Iterable[ConversationMessage],
    appointments: Iterable[AppointmentHistory],
    offers: Iterable[OfferText] = (),
    limit: int = CONVERSATION_LENGTH,
) -> list[ConversationMessage]:
    """The last `limit` texts, oldest first, each once."""
    kept = list(texts)
    inbound_sids = {t.sid for t in kept if t.direction == "inbound" and t.sid}
    answers = {(t.at, t.body) for t in kept if t.direction == "outbound"}
    merged = list(kept)
    for message in threads:
        kind = _thread_kind(message)
        if kind is TextKind.TEXT and message.sid in inbound_sids:
            continue
        if kind is TextKind.AUTO_REPLY and (message.at, message.body) in answers:
            continue
        merged.append(message.model_copy(update={"kind": kind}))
    merged.extend(
        automated(m)
        for history in appointments
        for m in history.messages
        if m.status in SHOWN_STATUSES
    )
    merged.extend(automated(t) for t in offers if t.status in SHOWN_STATUSES)
    merged.sort(key=lambda m: m.at)
    return merged[-limit:]


@dataclass
class ConversationReader:
    conversations: Conversations
    queue: ConversationQueue

    def read(
        self, tenant_id: str, recipient_key: str, item_ids: Iterable[str], now: datetime
    ) -> tuple[list[ConversationMessage], list[AppointmentHistory]]:
        """The conversation with a number, taking a person's answers from the queue items
        `item_ids` and from those its kept texts belong to; with the appointments it drew
        on (next and last few)."""
        histories = self.conversations.recipient_appointments(
            tenant_id, recipient_key, now, APPOINTMENTS_EACH_WAY
        )
        texts = self.conversations.texts(tenant_id, recipient_key, CONVERSATION_LENGTH)
        offers = self.conversations.offer_texts(tenant_id, recipient_key, CONVERSATION_LENGTH)
        # A person's answers live only in their item's thread: every item the kept texts
        # belong to is read too, else an earlier question shows with no answer.
        wanted = [*item_ids, *(t.item_id for t in texts if t.item_id)]
        threads = [m for i in dict.fromkeys(wanted) for m in self.queue.messages(tenant_id, i)]
        return assemble(texts, threads, histories, offers), histories
