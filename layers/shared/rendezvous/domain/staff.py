"""Staff work the human queue: claim an item (one holder, with a lease), answer by text,
release it or resolve it. Every action is logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import Clock
from rendezvous.domain.conversation import ConversationReader
from rendezvous.domain.errors import (
    ConcurrentModification,
    DeliveryUnknown,
    GatewayUnavailable,
    InvalidRequest,
    NotFound,
    NotHolder,
    OptedOut,
    RecipientOptedOut,
    RecipientUndeliverable,
    SmsRejected,
    StaleVersion,
    Unavailable,
    Unprocessable,
)
from rendezvous.domain.events import queue_item_resolved, recipient_opted
from rendezvous.domain.models import (
    Appointment,
    ConversationMessage,
    QueueItem,
    QueueStatus,
    Tenant,
    TextKind,
)
from rendezvous.domain.ports import (
    ActivityLog,
    AppointmentStore,
    ConversationQueue,
    OutboundSms,
    SmsGateway,
)

MAX_REPLY = 1600


def signed(business: str, text: str) -> str:
    """A staff member's text starts with the business's name, as every text does (CONTRACT.md
    v2), unless they already wrote it that way."""
    if text.casefold().startswith(business.casefold()):
        return text
    return f"{business}: {text}"


@dataclass(frozen=True)
class StaffMember:
    tenant_id: str
    staff_id: str  # the token's subject


@dataclass(frozen=True)
class ItemDetail:
    item: QueueItem
    messages: list[ConversationMessage]
    appointment: Appointment | None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    next_start: dict[str, Any] | None
    appointments: dict[str, Appointment]  # the items' linked appointments, by id
    count: int | None = None  # items in that status in all, on the first page only


@dataclass
class QueueService:
    store: AppointmentStore
    queue: ConversationQueue
    gateway: SmsGateway
    log: ActivityLog
    clock: Clock
    conversations: ConversationReader

    def page(
        self, tenant_id: str, status: QueueStatus, limit: int, cursor: dict[str, Any] | None
    ) -> QueuePage:
        """A page of a tenant's items in one status, soonest due first, where the next
        starts, and the linked appointments as they are now (one batch read). The first
        page also counts them all, when there are more than it holds, so a console can
        refresh the first page alone and still see the queue grow or shrink."""
        items, last, _ = self.queue.page(tenant_id, status, limit, cursor)
        linked = [i.appointment_id for i in items if i.appointment_id]
        appointments = self.store.appointments(tenant_id, linked) if linked else {}
        count = None
        if cursor is None:
            count = self.queue.count(tenant_id, status) if last else len(items)
        return QueuePage(items, last, appointments, count)

    def detail(self, tenant_id: str, item_id: str) -> ItemDetail:
        """The item, every text both ways with its number, and its appointment."""
        item = self._item(tenant_id, item_id)
        messages, histories = self.conversations.read(
            tenant_id, item.recipient_key, [item_id], self.clock.now()
        )
        appointment = None
        if item.appointment_id:
            # Mostly among the number's next and last few, already read.
            read = {h.appointment.appointment_id: h.appointment for h in histories}
            appointment = read.get(item.appointment_id)
            if appointment is None:
                found = self.store.get_appointment(tenant_id, item.appointment_id)
                appointment = found[0] if found else None
        return ItemDetail(item, messages, appointment)

    def claim(
        self, staff: StaffMember, item_id: str, expected_version: int | None = None
    ) -> QueueItem:
        tenant = self._tenant(staff.tenant_id)
        now = self.clock.now()
        lease_until = now + timedelta(minutes=tenant.queue_lease_minutes)
        claimed = self.queue.claim(
            staff.tenant_id, item_id, staff.staff_id, now, lease_until, expected_version
        )
        if claimed is None:
            current = self._item(staff.tenant_id, item_id)
            self._check_version(current, expected_version)
            if current.status is QueueStatus.RESOLVED:
                raise NotHolder("this item is resolved")
            raise NotHolder(
                f"claimed by {current.claimed_by} until "
                f"{current.lease_expires_at.isoformat() if current.lease_expires_at else '?'}"
            )
        waited = None
        if claimed.first_claimed_at == now:
            waited = round((now - claimed.created_at).total_seconds() / 60, 1)
        self._log(staff, ActivityEvent.CLAIM, now, item_id, waited_minutes=waited)
        return claimed

    def release(
        self, staff: StaffMember, item_id: str, expected_version: int | None = None
    ) -> QueueItem:
        now = self.clock.now()
        released = self.queue.release(
            staff.tenant_id, item_id, staff.staff_id, now, expected_version
        )
        if released is None:
            self._not_holder(staff, item_id, expected_version)
        assert released is not None
        self._log(staff, ActivityEvent.RELEASE, now, item_id)
        return released

    def resolve(
        self, staff: StaffMember, item_id: str, expected_version: int | None = None
    ) -> QueueItem:
        """Resolve, with the webhook event in the same write. The write is pinned to the
        version read, so a customer's text landing meanwhile means read and try again."""
        for _ in range(3):
            now = self.clock.now()
            current = self._item(staff.tenant_id, item_id)
            self._check_version(current, expected_version)
            resolved = self.queue.resolve(
                current, staff.staff_id, now, queue_item_resolved(current, staff.staff_id, now)
            )
            if resolved is not None:
                self._log(staff, ActivityEvent.RESOLVE, now, item_id)
                return resolved
            if not self._holds(self._item(staff.tenant_id, item_id), staff, self.clock.now()):
                self._not_holder(staff, item_id, expected_version)
        raise ConcurrentModification("the conversation kept changing; try again")

    @staticmethod
    def _holds(item: QueueItem, staff: StaffMember, now: datetime) -> bool:
        return (
            item.status is QueueStatus.CLAIMED
            and item.claimed_by == staff.staff_id
            and item.lease_expires_at is not None
            and item.lease_expires_at >= now
        )

    def reply(
        self, staff: StaffMember, item_id: str, body: str, expected_version: int | None = None
    ) -> tuple[QueueItem, ConversationMessage]:
        text = body.strip()
        if not text or len(text) > MAX_REPLY:
            raise InvalidRequest(f"a reply is 1 to {MAX_REPLY} characters")
        tenant = self._tenant(staff.tenant_id)
        text = signed(tenant.name, text)
        now = self.clock.now()
        item = self._item(staff.tenant_id, item_id)
        self._check_version(item, expected_version)
        lease_live = item.lease_expires_at is not None and item.lease_expires_at >= now
        if (
            item.status is not QueueStatus.CLAIMED
            or item.claimed_by != staff.staff_id
            or not (lease_live)
        ):
            raise NotHolder("claim this item before answering it")
        recipient = self.store.get_recipient(staff.tenant_id, item.phone)
        if recipient is not None and recipient.opted_out:
            raise OptedOut("this customer opted out of texts; call them instead")
        try:
            receipt = self.gateway.send(
                OutboundSms(to=item.phone, from_=tenant.phone_number, body=text)
            )
            sid: str | None = receipt.sid
        except RecipientOptedOut as exc:
            opted_out = recipient_opted(
                staff.tenant_id,
                item.phone,
                opted_out=True,
                cause=f"reply/{item_id}/{now.isoformat()}",
                source="carrier",
                at=now,
            )
            self.store.mark_recipient(
                staff.tenant_id, item.phone, now=now, opted_out=True, event=opted_out
            )
            raise OptedOut("this customer opted out of texts; call them instead") from exc
        except RecipientUndeliverable as exc:
            raise Unprocessable("this number cannot receive texts") from exc
        except SmsRejected as exc:
            raise Unprocessable(f"Twilio refused this text ({exc.error_code})") from exc
        except GatewayUnavailable as exc:
            raise Unavailable("Twilio is not answering; try again in a minute") from exc
        except DeliveryUnknown:
            # It may have gone out: keep it in the thread, without a sid, so nobody resends
            # it blindly.
            sid = None
        message = ConversationMessage(
            item_id=item_id,
            at=now,
            direction="outbound",
            body=text,
            author=staff.staff_id,
            sid=sid,
            kind=TextKind.STAFF,
        )
        retention = tenant.queue_retention_days
        if not self.queue.append(item, message, retention_days=retention, held_by=staff.staff_id):
            # The claim lapsed while Twilio was answering: the text went out all the same.
            self.queue.append(item, message, retention_days=retention)
        self._log(staff, ActivityEvent.STAFF_REPLY, now, item_id, sid=sid)
        return self._item(staff.tenant_id, item_id), message

    def _log(
        self,
        staff: StaffMember,
        event: ActivityEvent,
        at: datetime,
        item_id: str,
        *,
        waited_minutes: float | None = None,
        sid: str | None = None,
    ) -> None:
        entry = ActivityEntry(
            event=event,
            actor=staff.staff_id,
            at=at,
            item_id=item_id,
            waited_minutes=waited_minutes,
            sid=sid,
        )
        self.log.append(staff.tenant_id, entry)

    def _not_holder(
        self, staff: StaffMember, item_id: str, expected_version: int | None
    ) -> NoReturn:
        current = self._item(staff.tenant_id, item_id)  # 404 first, as for a missing item
        self._check_version(current, expected_version)
        raise NotHolder("only the staff member holding the claim can do this")

    @staticmethod
    def _check_version(item: QueueItem, expected_version: int | None) -> None:
        if expected_version is not None and item.version != expected_version:
            raise StaleVersion(
                f"the item changed since you saw it (version {item.version}, not "
                f"{expected_version}); reload it"
            )

    def _item(self, tenant_id: str, item_id: str) -> QueueItem:
        item = self.queue.get(tenant_id, item_id)
        if item is None:
            raise NotFound("queue item not found")
        return item

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant
