"""In-memory implementations of the domain's ports, for the domain's unit tests.

Each keeps the conditions its DynamoDB repository writes under (versions, pending states,
the recipient's revision, the claim's holder), so a service meets the same refusals here
as on the table; moto keeps testing the repositories themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rendezvous.adapters.dynamodb.table import stamp
from rendezvous.adapters.dynamodb.vacancy import decode_cursor, encode_cursor
from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.errors import ConcurrentModification, InvalidRequest, OpeningTaken
from rendezvous.domain.events import EventType, WebhookEvent, opted_by
from rendezvous.domain.identity import TextIdentity, TimedText, identity_of
from rendezvous.domain.integrations import CalcomIntegration, StoredFhirResource
from rendezvous.domain.last_text import text_of
from rendezvous.domain.models import (
    DELIVERY_RANK,
    PENDING_STATUSES,
    Appointment,
    AppointmentStatus,
    ConversationMessage,
    LastText,
    MessageRecord,
    MessageStatus,
    OfferText,
    QueueFlag,
    QueueItem,
    QueueStatus,
    Recipient,
    RescheduleOptions,
    SendRequest,
    Tenant,
    TextRecord,
    TextRequest,
)
from rendezvous.domain.ports import (
    AppointmentHistory,
    OpeningDetail,
    OutboundSms,
    RecipientClaim,
    SendContext,
    SmsReceipt,
)
from rendezvous.domain.results import TextFacts
from rendezvous.domain.vacancy import (
    OPEN_OPENING_STATUSES,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    OpeningTake,
    WaitlistEntry,
    WaitlistStatus,
    service_key,
)
from rendezvous.phone import recipient_key

MessageId = tuple[str, str, str, int]


def message_id(message: MessageRecord) -> MessageId:
    return (message.tenant_id, message.appointment_id, message.kind, message.version)


@dataclass
class MemoryStore:
    """TenantStore, AppointmentRecords and RecipientStore: the AppointmentStore port."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    appointments_by_id: dict[tuple[str, str], Appointment] = field(default_factory=dict)
    messages: dict[MessageId, MessageRecord] = field(default_factory=dict)
    ranks: dict[MessageId, int] = field(default_factory=dict)
    last_text_orders: dict[tuple[str, str], str] = field(default_factory=dict)
    recipients: dict[tuple[str, str], Recipient] = field(default_factory=dict)
    # Every webhook event written, in order, as often as it was written: the table keys
    # them by id, so a test can tell a repeat (same id twice here) from a single write.
    outbox: list[WebhookEvent] = field(default_factory=list)
    # Audit entries written with a change, in its transaction (the table's log items).
    audit: list[tuple[str, ActivityEntry]] = field(default_factory=list)
    # Openings a cancellation created with its save (MemoryVacancies shares them).
    openings: dict[tuple[str, str], Opening] = field(default_factory=dict)
    # Offers' texts (the offers' MemoryVacancies keeps them here): the time index lists
    # them with the appointments' texts, as `by_time` does.
    offer_texts: dict[tuple[str, str, str, str], OfferText] = field(default_factory=dict)

    def record(self, events: Iterable[WebhookEvent | None]) -> None:
        self.outbox.extend(e for e in events if e is not None)

    def events_of(self, type_: EventType) -> list[WebhookEvent]:
        return [e for e in self.outbox if e.type is type_]

    # -- tenants
    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant
        self.numbers[tenant.phone_number] = tenant.tenant_id

    def tenant_for_number(self, e164: str) -> str | None:
        return self.numbers.get(e164)

    def set_pause(
        self, tenant_id: str, *, paused: bool, by: str, reason: str | None, at: datetime
    ) -> Tenant:
        on, off = ("paused", "resumed") if paused else ("resumed", "paused")
        changes: dict[str, Any] = {"paused": paused, f"{on}_by": by, f"{on}_at": at}
        changes |= {f"{on}_reason": reason or "", f"{off}_by": None, f"{off}_at": None}
        changes[f"{off}_reason"] = None
        tenant = self.tenants[tenant_id].model_copy(update=changes)
        self.tenants[tenant_id] = tenant
        return tenant

    def tenant_ids(self) -> list[str]:
        return sorted(self.tenants)

    # -- appointments and their messages
    def get_appointment(
        self, tenant_id: str, appointment_id: str
    ) -> tuple[Appointment, list[MessageRecord]] | None:
        appointment = self.appointments_by_id.get((tenant_id, appointment_id))
        if appointment is None:
            return None
        mine = [m for k, m in self.messages.items() if k[:2] == (tenant_id, appointment_id)]
        return appointment, sorted(mine, key=lambda m: (m.version, m.send_at))

    def create_appointment(self, appointment: Appointment, messages: list[MessageRecord]) -> None:
        key = (appointment.tenant_id, appointment.appointment_id)
        if key in self.appointments_by_id:
            raise ConcurrentModification("appointment already exists")
        self.appointments_by_id[key] = appointment
        self.messages.update((message_id(m), m) for m in messages)

    def save_appointment(
        self,
        appointment: Appointment,
        *,
        expected_version: int,
        retire: list[MessageRecord],
        retire_as: MessageStatus,
        new_messages: list[MessageRecord],
        now: datetime,
        events: Sequence[WebhookEvent] = (),
        opening: Opening | None = None,
        takes: OpeningTake | None = None,
    ) -> None:
        stored = self.appointments_by_id[(appointment.tenant_id, appointment.appointment_id)]
        if stored.version != expected_version or any(
            self.messages[message_id(m)].status not in PENDING_STATUSES for m in retire
        ):
            raise ConcurrentModification("appointment changed concurrently")
        if any(message_id(m) in self.messages for m in new_messages):
            raise ConcurrentModification("appointment changed concurrently")
        if opening is not None and (opening.tenant_id, opening.opening_id) in self.openings:
            raise ConcurrentModification("appointment changed concurrently")
        taken = self.openings.get((takes.tenant_id, takes.opening_id)) if takes else None
        if takes is not None and (
            taken is None
            or taken.status not in OPEN_OPENING_STATUSES
            or taken.starts_at <= takes.not_before
        ):
            raise OpeningTaken(f"opening {takes.opening_id} was just taken")
        # As on the table, a save never writes what has writers of its own.
        kept = appointment.model_copy(
            update={
                "last_text": stored.last_text,
                "outcome": stored.outcome,
                "outcome_at": stored.outcome_at,
                "outcome_by": stored.outcome_by,
            }
        )
        self.appointments_by_id[(appointment.tenant_id, appointment.appointment_id)] = kept
        for m in retire:
            self.messages[message_id(m)] = self.messages[message_id(m)].model_copy(
                update={"status": retire_as, "updated_at": now}
            )
        self.messages.update((message_id(m), m) for m in new_messages)
        self.record(events)
        if opening is not None:
            self.openings[(opening.tenant_id, opening.opening_id)] = opening
        if takes is not None and taken is not None:
            self.openings[(takes.tenant_id, takes.opening_id)] = taken.model_copy(
                update={
                    "status": OpeningStatus.FILLED,
                    "filled_at": takes.at,
                    "filled_appointment_id": takes.appointment_id,
                    "version": taken.version + 1,
                }
            )

    def load_send_context(self, request: SendRequest) -> SendContext:
        key = (request.tenant_id, request.appointment_id, request.kind, request.version)
        return SendContext(
            tenant=self.tenants.get(request.tenant_id),
            appointment=self.appointments_by_id.get((request.tenant_id, request.appointment_id)),
            message=self.messages.get(key),
            recipient=self.recipients.get((request.tenant_id, request.recipient_key)),
        )

    def update_message(
        self,
        message: MessageRecord,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> bool:
        stored = self.messages.get(message_id(message))
        if stored is None or (only_if and stored.status not in only_if):
            return False
        if reason_is is not None and stored.reason != reason_is:
            return False
        changes = {k: v for k, v in fields.items() if v is not None}
        self.messages[message_id(message)] = stored.model_copy(
            update={**changes, "status": status, "updated_at": now}
        )
        if status in DELIVERY_RANK:
            self.ranks[message_id(message)] = DELIVERY_RANK[status]
        self.record([event])
        return True

    def record_delivery_status(
        self,
        tenant_id: str,
        appointment_id: str,
        kind: str,
        version: int,
        *,
        status: MessageStatus,
        sid: str,
        error_code: int | None,
        now: datetime,
        event: WebhookEvent | None = None,
    ) -> bool:
        key = (tenant_id, appointment_id, kind, version)
        if key not in self.messages or self.ranks.get(key, -1) >= DELIVERY_RANK[status]:
            return False
        changes: dict[str, Any] = {"status": status, "sid": sid, "updated_at": now}
        if error_code is not None:
            changes["error_code"] = error_code
        self.messages[key] = self.messages[key].model_copy(update=changes)
        self.ranks[key] = DELIVERY_RANK[status]
        self.record([event])
        return True

    def upcoming_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime
    ) -> list[Appointment]:
        return sorted(
            (
                a
                for (t, _), a in self.appointments_by_id.items()
                if t == tenant_id
                and a.recipient_key == recipient_key
                and a.starts_at > now
                and a.status is not AppointmentStatus.CANCELLED
            ),
            key=lambda a: a.starts_at,
        )[:10]

    def last_appointment(self, tenant_id: str, recipient_key: str) -> Appointment | None:
        mine = [
            a
            for (t, _), a in self.appointments_by_id.items()
            if t == tenant_id and a.recipient_key == recipient_key
        ]
        return max(mine, key=lambda a: (a.starts_at, a.appointment_id), default=None)

    def confirm_appointment(
        self, appointment: Appointment, now: datetime, event: WebhookEvent
    ) -> bool:
        key = (appointment.tenant_id, appointment.appointment_id)
        stored = self.appointments_by_id[key]
        if stored.version != appointment.version or stored.status is not (
            AppointmentStatus.SCHEDULED
        ):
            return False
        self.appointments_by_id[key] = stored.model_copy(
            update={"status": AppointmentStatus.CONFIRMED, "confirmed_at": now, "updated_at": now}
        )
        self.record([event])
        return True

    def record_outcome(
        self,
        appointment: Appointment,
        *,
        previous: Appointment,
        event: WebhookEvent,
        audit: ActivityEntry,
    ) -> bool:
        key = (appointment.tenant_id, appointment.appointment_id)
        stored = self.appointments_by_id[key]
        if (stored.status, stored.version, stored.outcome) != (
            previous.status,
            previous.version,
            previous.outcome,
        ):
            return False
        self.appointments_by_id[key] = stored.model_copy(
            update={
                "outcome": appointment.outcome,
                "outcome_at": appointment.outcome_at,
                "outcome_by": appointment.outcome_by,
                "updated_at": appointment.updated_at,
            }
        )
        self.record([event])
        self.audit.append((appointment.tenant_id, audit))
        return True

    def note_last_text(
        self,
        tenant_id: str,
        appointment_id: str,
        text: LastText,
        *,
        order: str,
        keep_variant: bool = False,
    ) -> bool:
        key = (tenant_id, appointment_id)
        stored = self.appointments_by_id.get(key)
        stored_order = self.last_text_orders.get(key, "")
        if stored is None or stored_order >= order:
            return False
        if (
            keep_variant
            and stored.last_text is not None
            and text_of(stored_order) == text_of(order)
        ):
            text = text.model_copy(update={"variant": stored.last_text.variant})
        self.appointments_by_id[key] = stored.model_copy(update={"last_text": text})
        self.last_text_orders[key] = order
        return True

    def appointments_starting(
        self,
        tenant_id: str,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> tuple[list[Appointment], bool]:
        found = sorted(
            (
                a
                for (t, _), a in self.appointments_by_id.items()
                if t == tenant_id
                and start <= a.starts_at < end
                and (after is None or (a.starts_at, a.appointment_id) > after)
            ),
            key=lambda a: (a.starts_at, a.appointment_id),
        )
        return found[:limit], len(found) > limit

    def recipients_by_key(self, tenant_id: str, keys: list[str]) -> dict[str, Recipient]:
        found = (self.recipients.get((tenant_id, k)) for k in keys)
        return {r.recipient_key: r for r in found if r is not None}

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]:
        found = (self.appointments_by_id.get((tenant_id, i)) for i in ids)
        return {a.appointment_id: a for a in found if a is not None}

    def messages_between(self, tenant_id: str, start: datetime, end: datetime) -> list[TimedText]:
        texts: list[TextRecord] = [*self.messages.values(), *self.offer_texts.values()]
        return [
            TimedText(identity_of(m), m.status.value, m.reason, m.send_at)
            for m in sorted(texts, key=lambda m: m.send_at)
            if m.tenant_id == tenant_id and start <= m.send_at <= end
        ]

    def text_facts(
        self, tenant_id: str, identities: Sequence[TextIdentity]
    ) -> dict[TextIdentity, TextFacts]:
        records: dict[TextIdentity, TextRecord] = {
            identity_of(m): m for m in [*self.messages.values(), *self.offer_texts.values()]
        }
        return {
            i: TextFacts(segments=records[i].segments, variant=records[i].variant)
            for i in identities
            if i in records and i.tenant_id == tenant_id
        }

    # -- recipients
    def get_recipient(self, tenant_id: str, phone: str) -> Recipient | None:
        return self.recipients.get((tenant_id, recipient_key(tenant_id, phone)))

    def set_reschedule_options(
        self, tenant_id: str, phone: str, options: RescheduleOptions | None
    ) -> None:
        key = (tenant_id, recipient_key(tenant_id, phone))
        stored = self.recipients.get(key) or Recipient(
            tenant_id=tenant_id, recipient_key=key[1], phone=phone
        )
        self.recipients[key] = stored.model_copy(
            update={"reschedule_options": options, "rev": stored.rev + 1}
        )

    def claim_message(self, recipient: Recipient, claim: RecipientClaim) -> None:
        key = (recipient.tenant_id, recipient.recipient_key)
        stored = self.recipients.get(key)
        if (stored.rev if stored else 0) != claim.expected_rev:
            raise ConcurrentModification("recipient changed since it was read")
        self.recipients[key] = (stored or recipient).model_copy(
            update={
                "cap_day": claim.cap_day,
                "cap_count": claim.cap_count,
                "first_contact_at": claim.first_contact_at,
                "claims": dict(claim.claims),
                "rev": claim.expected_rev + 1,
            }
        )

    def release_claim(self, recipient: Recipient, key: str, *, counted: bool) -> None:
        rkey = (recipient.tenant_id, recipient.recipient_key)
        stored = self.recipients.get(rkey)
        if stored is None or key not in stored.claims:
            return
        claims = {k: v for k, v in stored.claims.items() if k != key}
        self.recipients[rkey] = stored.model_copy(
            update={
                "claims": claims,
                "cap_count": stored.cap_count - (1 if counted else 0),
                "rev": stored.rev + 1,
            }
        )

    def mark_recipient(
        self,
        tenant_id: str,
        phone: str,
        *,
        now: datetime,
        opted_out: bool | None = None,
        undeliverable_code: int | None = None,
        event: WebhookEvent | None = None,
        audit: ActivityEntry | None = None,
    ) -> bool:
        rkey = recipient_key(tenant_id, phone)
        found = self.recipients.get((tenant_id, rkey))
        if event is not None and opted_out is not None:
            if (found.opted_out if found else False) == opted_out:
                if found is not None and opted_by(event) == "customer":
                    self.recipients[(tenant_id, rkey)] = found.model_copy(
                        update={"carrier_block": opted_out, "rev": found.rev + 1}
                    )
                return False
            if not opted_out and found is None:
                return False
        stored = found or Recipient(tenant_id=tenant_id, recipient_key=rkey, phone=phone)
        changes: dict[str, Any] = {"rev": stored.rev + 1}
        if opted_out is not None:
            changes["opted_out"] = opted_out
            if opted_out:
                changes["opted_out_at"] = now
        if undeliverable_code is not None:
            changes["undeliverable_code"] = undeliverable_code
        if event is not None and opted_out is not None:
            changes["opted_out_by"] = opted_by(event)
            if changes["opted_out_by"] == "customer":
                changes["carrier_block"] = opted_out
        self.recipients[(tenant_id, rkey)] = stored.model_copy(update=changes)
        self.record([event])
        if audit is not None:
            self.audit.append((tenant_id, audit))
        return True


@dataclass
class MemoryConversations:
    """The Conversations port: the recipient's texts, kept once per inbound sid, and the
    appointments of `store` by recipient."""

    store: MemoryStore
    kept: dict[tuple[str, str], list[ConversationMessage]] = field(default_factory=dict)
    sids: set[tuple[str, str, str]] = field(default_factory=set)
    # The offer texts of a MemoryVacancies (its `texts`), when a test wires one.
    offers: Mapping[Any, OfferText] = field(default_factory=dict)

    def record_texts(
        self,
        tenant_id: str,
        recipient_key: str,
        sid: str,
        texts: Sequence[ConversationMessage],
        retention_days: int,
    ) -> bool:
        if (tenant_id, recipient_key, sid) in self.sids:
            return False
        self.sids.add((tenant_id, recipient_key, sid))
        self.kept.setdefault((tenant_id, recipient_key), []).extend(texts)
        return True

    def texts(self, tenant_id: str, recipient_key: str, limit: int) -> list[ConversationMessage]:
        mine = sorted(self.kept.get((tenant_id, recipient_key), []), key=lambda m: m.at)
        return mine[-limit:]

    def offer_texts(self, tenant_id: str, recipient_key: str, limit: int) -> list[OfferText]:
        mine = sorted(
            (
                t
                for t in self.offers.values()
                if t.tenant_id == tenant_id and t.recipient_key == recipient_key
            ),
            key=lambda t: t.created_at,
        )
        return mine[-limit:]

    def recipient_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime, each: int
    ) -> list[AppointmentHistory]:
        mine = sorted(
            (
                a
                for (t, _), a in self.store.appointments_by_id.items()
                if t == tenant_id and a.recipient_key == recipient_key
            ),
            key=lambda a: a.starts_at,
        )
        upcoming = [a for a in mine if a.starts_at > now][:each]
        past = [a for a in reversed(mine) if a.starts_at <= now][:each]
        histories = []
        for appointment in [*upcoming, *past]:
            found = self.store.get_appointment(tenant_id, appointment.appointment_id)
            if found is not None:
                histories.append(AppointmentHistory(*found))
        return histories


@dataclass
class MemoryQueue:
    """The ConversationQueue port; a conversation's opening writes the recipient's row of
    `store`, as the table's transaction does."""

    store: MemoryStore
    items: dict[tuple[str, str], QueueItem] = field(default_factory=dict)
    threads: dict[tuple[str, str], list[ConversationMessage]] = field(default_factory=dict)

    def get(self, tenant_id: str, item_id: str) -> QueueItem | None:
        return self.items.get((tenant_id, item_id))

    def page(
        self, tenant_id: str, status: QueueStatus, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[QueueItem], dict[str, Any] | None, float]:
        found = sorted(
            (i for (t, _), i in self.items.items() if t == tenant_id and i.status is status),
            key=lambda i: (i.due_by, i.item_id),
        )
        start = int(cursor["offset"]) if cursor else 0
        page = found[start : start + limit]
        more = start + limit < len(found)
        return page, {"offset": start + limit} if more else None, 0.0

    def count(self, tenant_id: str, status: QueueStatus) -> int:
        return sum(1 for (t, _), i in self.items.items() if t == tenant_id and i.status is status)

    def messages(self, tenant_id: str, item_id: str) -> list[ConversationMessage]:
        return sorted(self.threads.get((tenant_id, item_id), []), key=lambda m: m.at)

    def open_conversation(
        self,
        item: QueueItem,
        thread: list[ConversationMessage],
        *,
        recipient_rev: int,
        retention_days: int,
        events: Sequence[WebhookEvent] = (),
    ) -> None:
        rkey = (item.tenant_id, item.recipient_key)
        stored = self.store.recipients.get(rkey)
        if (stored.rev if stored else 0) != recipient_rev or (item.tenant_id, item.item_id) in (
            self.items
        ):
            raise ConcurrentModification("the conversation changed meanwhile")
        base = stored or Recipient(
            tenant_id=item.tenant_id, recipient_key=item.recipient_key, phone=item.phone
        )
        self.store.recipients[rkey] = base.model_copy(
            update={"open_item_id": item.item_id, "rev": base.rev + 1}
        )
        self.items[(item.tenant_id, item.item_id)] = item
        self.threads[(item.tenant_id, item.item_id)] = list(thread)
        self.store.record(events)

    def append(
        self,
        item: QueueItem,
        message: ConversationMessage,
        *,
        retention_days: int,
        held_by: str | None = None,
        events: Sequence[WebhookEvent] = (),
        flags: Sequence[QueueFlag] = (),
        to_resolved: bool = False,
    ) -> bool:
        key = (item.tenant_id, item.item_id)
        stored = self.items.get(key)
        if stored is None or (stored.status is QueueStatus.RESOLVED) is not to_resolved:
            return False
        if held_by is not None and (
            stored.status is not QueueStatus.CLAIMED or stored.claimed_by != held_by
        ):
            return False
        changes: dict[str, Any] = {"updated_at": message.at, "version": stored.version + 1}
        if message.direction == "inbound":
            changes |= {"last_message_at": message.at, "preview": message.body[:160]}
            changes["message_count"] = stored.message_count + 1
        if flags:
            changes["flags"] = tuple(sorted({*stored.flags, *flags}))
        self.items[key] = stored.model_copy(update=changes)
        self.threads.setdefault(key, []).append(message)
        self.store.record(events)
        return True

    def put_item(
        self, item: QueueItem, retention_days: int, event: WebhookEvent | None = None
    ) -> None:
        if (item.tenant_id, item.item_id) not in self.items:
            self.items[(item.tenant_id, item.item_id)] = item
            self.store.record([event])

    def _transition(
        self,
        tenant_id: str,
        item_id: str,
        allowed: bool,
        expected_version: int | None,
        changes: dict[str, Any],
    ) -> QueueItem | None:
        stored = self.items.get((tenant_id, item_id))
        if stored is None or not allowed:
            return None
        if expected_version is not None and stored.version != expected_version:
            return None
        updated = stored.model_copy(update={**changes, "version": stored.version + 1})
        self.items[(tenant_id, item_id)] = updated
        return updated

    def _held(self, stored: QueueItem | None, staff: str, now: datetime) -> bool:
        return (
            stored is not None
            and stored.status is QueueStatus.CLAIMED
            and stored.claimed_by == staff
            and stored.lease_expires_at is not None
            and stored.lease_expires_at >= now
        )

    def claim(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        lease_until: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None:
        stored = self.items.get((tenant_id, item_id))
        allowed = stored is not None and (
            stored.status is QueueStatus.OPEN
            or (
                stored.status is QueueStatus.CLAIMED
                and (
                    (stored.lease_expires_at is not None and stored.lease_expires_at < now)
                    or stored.claimed_by == staff
                )
            )
        )
        first = stored.first_claimed_at if stored and stored.first_claimed_at else now
        changes = {"status": QueueStatus.CLAIMED, "claimed_by": staff, "updated_at": now}
        changes |= {"lease_expires_at": lease_until, "first_claimed_at": first}
        return self._transition(tenant_id, item_id, allowed, expected_version, changes)

    def release(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None:
        allowed = self._held(self.items.get((tenant_id, item_id)), staff, now)
        changes = {"status": QueueStatus.OPEN, "updated_at": now}
        changes |= {"claimed_by": None, "lease_expires_at": None}
        return self._transition(tenant_id, item_id, allowed, expected_version, changes)

    def resolve(
        self,
        item: QueueItem,
        staff: str,
        now: datetime,
        event: WebhookEvent,
        *,
        preview: str | None = None,
    ) -> QueueItem | None:
        tenant_id, item_id = item.tenant_id, item.item_id
        allowed = self._held(self.items.get((tenant_id, item_id)), staff, now)
        changes = {"status": QueueStatus.RESOLVED, "resolved_at": now, "resolved_by": staff}
        changes |= {"updated_at": now, "lease_expires_at": None}
        if preview is not None:
            changes["preview"] = preview
        resolved = self._transition(tenant_id, item_id, allowed, item.version, changes)
        if resolved is not None:
            self.store.record([event])
            rkey = (tenant_id, resolved.recipient_key)
            recipient = self.store.recipients.get(rkey)
            if recipient is not None and recipient.open_item_id == item_id:
                self.store.recipients[rkey] = recipient.model_copy(
                    update={"open_item_id": None, "last_item_id": item_id, "rev": recipient.rev + 1}
                )
        return resolved


@dataclass
class MemoryActivityLog:
    """The ActivityReader port."""

    entries: list[tuple[str, ActivityEntry]] = field(default_factory=list)

    def append(self, tenant_id: str, entry: ActivityEntry) -> None:
        self.entries.append((tenant_id, entry))

    def events(self) -> list[ActivityEvent]:
        return [e.event for _, e in self.entries]

    def day(self, tenant_id: str, day: str) -> list[ActivityEntry]:
        return [
            e
            for t, e in self.entries
            if t == tenant_id and e.at.astimezone(UTC).date().isoformat() == day
        ]


@dataclass
class MemoryScheduler:
    """The ReminderScheduler port: schedules by name."""

    schedules: dict[str, tuple[datetime, TextRequest]] = field(default_factory=dict)

    def schedule(self, name: str, at: datetime, request: TextRequest) -> None:
        self.schedules.setdefault(name, (at, request))

    def cancel(self, name: str) -> None:
        self.schedules.pop(name, None)


@dataclass
class MemoryOutbound:
    """The OutboundQueue port: what was handed to the sender, in order."""

    sent: list[TextRequest] = field(default_factory=list)

    def enqueue(self, request: TextRequest) -> None:
        self.sent.append(request)


@dataclass
class MemoryGateway:
    """The SmsGateway port: accepts every text, or raises `failure` when one is set."""

    sent: list[OutboundSms] = field(default_factory=list)
    failure: Exception | None = None

    def send(self, sms: OutboundSms) -> SmsReceipt:
        if self.failure is not None:
            raise self.failure
        self.sent.append(sms)
        return SmsReceipt(sid=f"SM{len(self.sent):032d}", status="queued")


@dataclass
class MemorySettings:
    """The SettingsStore port over a MemoryStore's tenants and a MemoryActivityLog: the
    settings and their audit entry are written together, or neither (version check)."""

    store: MemoryStore
    log: MemoryActivityLog

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.store.get_tenant(tenant_id)

    def save_settings(
        self,
        tenant_id: str,
        values: dict[str, Any],
        *,
        expected_version: int,
        audit: ActivityEntry,
    ) -> None:
        stored = self.store.tenants.get(tenant_id)
        if stored is None or stored.settings_version != expected_version:
            raise ConcurrentModification("the settings changed since they were read")
        document = stored.model_dump(mode="json")
        document.update(values)
        document = {k: v for k, v in document.items() if v is not None}
        document["settings_version"] = expected_version + 1
        self.store.tenants[tenant_id] = Tenant.model_validate(document)
        self.log.append(tenant_id, audit)


@dataclass
class MemoryCalcomIntegrations:
    """The CalcomIntegrations port."""

    by_id: dict[str, CalcomIntegration] = field(default_factory=dict)

    def get_calcom(self, integration_id: str) -> CalcomIntegration | None:
        return self.by_id.get(integration_id)

    def create_calcom(self, integration: CalcomIntegration) -> bool:
        if integration.integration_id in self.by_id:
            return False
        self.by_id[integration.integration_id] = integration
        return True

    def delete_calcom(self, tenant_id: str, integration_id: str) -> bool:
        found = self.by_id.get(integration_id)
        if found is None or found.tenant_id != tenant_id:
            return False
        del self.by_id[integration_id]
        return True


@dataclass
class MemoryFhirResources:
    """The FhirResources port, with its version check."""

    stored: dict[tuple[str, str, str], StoredFhirResource] = field(default_factory=dict)

    def get(
        self, tenant_id: str, resource_type: str, resource_id: str
    ) -> StoredFhirResource | None:
        return self.stored.get((tenant_id, resource_type, resource_id))

    def put(
        self,
        stored: StoredFhirResource,
        *,
        expected_version: int | None,
    ) -> None:
        key = (stored.tenant_id, stored.resource_type, stored.resource_id)
        current = self.stored.get(key)
        if (None if current is None else current.version_id) != expected_version:
            raise ConcurrentModification("the resource changed")
        self.stored[key] = stored


@dataclass
class MemoryVacancies:
    """The VacancyStore port. Openings live on the MemoryStore, where a cancel's save
    writes them; listings page with the table adapter's cursors."""

    store: MemoryStore
    waitlist: dict[tuple[str, str], WaitlistEntry] = field(default_factory=dict)
    offers: dict[tuple[str, str, str], Offer] = field(default_factory=dict)

    def get_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry | None:
        return self.waitlist.get((tenant_id, entry_id))

    def put_entry(self, entry: WaitlistEntry, *, expected_version: int | None) -> None:
        stored = self.waitlist.get((entry.tenant_id, entry.entry_id))
        if (None if stored is None else stored.version) != expected_version:
            raise ConcurrentModification(f"entry {entry.entry_id} changed concurrently")
        self.waitlist[(entry.tenant_id, entry.entry_id)] = entry

    def remove_offered_entry(self, removed: WaitlistEntry, *, expected_version: int) -> None:
        self.put_entry(removed, expected_version=expected_version)
        key = (removed.tenant_id, removed.recipient_key)
        recipient = self.store.recipients.get(key)
        choice = recipient.waitlist_offer if recipient is not None else None
        if recipient is None or choice is None:
            return
        offer = self.offers.get((removed.tenant_id, choice.opening_id, removed.entry_id))
        if offer is None or offer.status is not OfferStatus.SENT:
            return
        self.offers[(removed.tenant_id, choice.opening_id, removed.entry_id)] = offer.model_copy(
            update={"status": OfferStatus.EXPIRED}
        )
        self.store.recipients[key] = recipient.model_copy(
            update={"waitlist_offer": None, "rev": recipient.rev + 1}
        )

    def entries(
        self, tenant_id: str, status: WaitlistStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        order = list(WaitlistStatus)
        listed = sorted(
            (e for (t, _), e in self.waitlist.items() if t == tenant_id),
            key=lambda e: (order.index(e.status), _position(e.listed_at, e.entry_id)),
        )
        if status is not None:
            listed = [e for e in listed if e.status is status]
        if cursor is not None:
            at, after = decode_cursor(cursor, [s.value for s in order])
            listed = [
                e
                for e in listed
                if (order.index(e.status), _position(e.listed_at, e.entry_id))
                > (order.index(WaitlistStatus(at or "waiting")), after)
            ]
        page = listed[:limit]
        more = len(listed) > limit
        last = page[-1] if more else None
        return page, (
            encode_cursor(last.status.value, _position(last.listed_at, last.entry_id))
            if last
            else None
        )

    def waiting_for(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        return self._waiting(tenant_id, service, limit, cursor, others=True)

    def waiting_without_preference(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        return self._waiting(tenant_id, None, limit, cursor, others=False)

    def _waiting(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None, *, others: bool
    ) -> tuple[list[WaitlistEntry], str | None]:
        listed = sorted(
            (
                e
                for (t, _), e in self.waitlist.items()
                if t == tenant_id
                and e.status is WaitlistStatus.WAITING
                and (
                    (service is None and others)
                    or e.service is None
                    or (service is not None and service_key(e.service) == service_key(service))
                )
            ),
            key=lambda e: _position(e.listed_at, e.entry_id),
        )
        if cursor is not None:
            _, after = decode_cursor(cursor, ["waiting"])
            listed = [e for e in listed if _position(e.listed_at, e.entry_id) > after]
        page = listed[:limit]
        more = len(listed) > limit
        return page, (
            encode_cursor("waiting", _position(page[-1].listed_at, page[-1].entry_id))
            if more
            else None
        )

    def get_opening(self, tenant_id: str, opening_id: str) -> OpeningDetail | None:
        opening = self.store.openings.get((tenant_id, opening_id))
        if opening is None:
            return None
        offers = sorted(
            (o for (t, op, _), o in self.offers.items() if (t, op) == (tenant_id, opening_id)),
            key=lambda o: (o.sent_at, o.entry_id),
        )
        return OpeningDetail(opening, offers)

    def create_opening(self, opening: Opening) -> bool:
        if (opening.tenant_id, opening.opening_id) in self.store.openings:
            return False
        self.store.openings[(opening.tenant_id, opening.opening_id)] = opening
        return True

    def save_opening(self, opening: Opening, *, expected_version: int) -> None:
        stored = self.store.openings.get((opening.tenant_id, opening.opening_id))
        if stored is None or stored.version != expected_version:
            raise ConcurrentModification(f"opening {opening.opening_id} changed concurrently")
        self.store.openings[(opening.tenant_id, opening.opening_id)] = opening

    def openings(
        self,
        tenant_id: str,
        *,
        status: OpeningStatus | None,
        start: datetime,
        end: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Opening], str | None]:
        listed = sorted(
            (
                o
                for (t, _), o in self.store.openings.items()
                if t == tenant_id
                and start <= o.starts_at < end
                and (status is None or o.status is status)
            ),
            key=lambda o: _position(o.starts_at, o.opening_id),
        )
        if cursor is not None:
            at, after = decode_cursor(cursor, [s.value for s in OpeningStatus])
            if at != (None if status is None else status.value):
                raise InvalidRequest("cursor is not valid for this listing")
            listed = [o for o in listed if _position(o.starts_at, o.opening_id) > after]
        page = listed[:limit]
        more = len(listed) > limit
        return page, (
            encode_cursor(at_status(status), _position(page[-1].starts_at, page[-1].opening_id))
            if more
            else None
        )


def _position(at: datetime, item_id: str) -> str:
    return f"{stamp(at)}#{item_id}"


def at_status(status: OpeningStatus | None) -> str | None:
    return None if status is None else status.value


@dataclass
class RecordingStarter:
    """The VacancyStarter port: which openings were started, in order."""

    started: list[Opening] = field(default_factory=list)
    filled_by: list[tuple[str, str]] = field(default_factory=list)
    # Openings a repeat asked to start if no wave of them ran.
    ensured: list[Opening] = field(default_factory=list)
    # Entries that began to wait (joined, listed again, changed).
    waiting: list[WaitlistEntry] = field(default_factory=list)

    def start(self, opening: Opening) -> None:
        self.started.append(opening)

    def filled(self, opening: Opening, by: str) -> None:
        self.filled_by.append((opening.opening_id, by))

    def ensure_started(self, opening: Opening) -> None:
        self.ensured.append(opening)

    def entry_waiting(self, entry: WaitlistEntry) -> None:
        self.waiting.append(entry)
