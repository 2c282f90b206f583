"""A number as staff see it: its opt-out (recorded on the customer's spoken wish), its
appointments and every text both ways with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import Clock
from rendezvous.domain.conversation import ConversationReader
from rendezvous.domain.errors import InvalidFields, NotFound
from rendezvous.domain.events import recipient_opted
from rendezvous.domain.models import Appointment, ConversationMessage, OptedBy, Tenant
from rendezvous.domain.ports import AppointmentStore
from rendezvous.domain.staff import StaffMember
from rendezvous.phone import InvalidPhoneNumber, parse_phone, recipient_key, region_of

BY_PHONE = "on the customer's request by phone"


@dataclass(frozen=True)
class OptChange:
    phone: str
    opted_out: bool
    changed: bool
    # The customer's own STOP still blocks texts at the carrier until they text START.
    carrier_block: bool


@dataclass(frozen=True)
class RecipientProfile:
    phone: str
    name: str | None
    opted_out: bool
    opted_out_at: datetime | None
    opted_out_by: OptedBy | None
    undeliverable: bool
    open_item_id: str | None
    appointments: list[Appointment]  # the next few, soonest first, then the last few
    messages: list[ConversationMessage]


@dataclass
class RecipientService:
    store: AppointmentStore
    conversations: ConversationReader
    clock: Clock

    def opt(
        self, staff: StaffMember, raw_phone: str, *, opted_out: bool, reason: str | None
    ) -> OptChange:
        """Record the customer's wish, given to `staff` by phone: the webhook event and the
        audit entry with it, once; the same wish again changes nothing."""
        tenant = self._tenant(staff.tenant_id)
        phone = self._phone(tenant, raw_phone)
        now = self.clock.now()
        before = self.store.get_recipient(tenant.tenant_id, phone)
        event = recipient_opted(
            tenant.tenant_id,
            phone,
            opted_out=opted_out,
            cause=f"staff/{staff.staff_id}/{now.isoformat()}",
            source="staff",
            at=now,
        )
        audit = ActivityEntry(
            event=ActivityEvent.OPTED_OUT_BY_STAFF
            if opted_out
            else ActivityEvent.OPTED_IN_BY_STAFF,
            actor=staff.staff_id,
            at=now,
            reason=f"{BY_PHONE}: {reason}" if reason else BY_PHONE,
        )
        changed = self.store.mark_recipient(
            tenant.tenant_id, phone, now=now, opted_out=opted_out, event=event, audit=audit
        )
        blocked = before is not None and before.carrier_block
        return OptChange(phone, opted_out, changed, blocked)

    def profile(self, tenant_id: str, raw_phone: str) -> RecipientProfile:
        """What is known of a number; an unknown one has an empty history, never a 404."""
        tenant = self._tenant(tenant_id)
        phone = self._phone(tenant, raw_phone)
        now = self.clock.now()
        recipient = self.store.get_recipient(tenant_id, phone)
        items = [recipient.open_item_id, recipient.last_item_id] if recipient else []
        messages, histories = self.conversations.read(
            tenant_id, recipient_key(tenant_id, phone), [i for i in items if i], now
        )
        appointments = [h.appointment for h in histories]
        newest = max(appointments, key=lambda a: a.updated_at, default=None)
        return RecipientProfile(
            phone=phone,
            name=newest.customer.name if newest else None,
            opted_out=bool(recipient and recipient.opted_out),
            opted_out_at=recipient.opted_out_at if recipient and recipient.opted_out else None,
            opted_out_by=recipient.opted_out_by if recipient and recipient.opted_out else None,
            undeliverable=bool(recipient and recipient.undeliverable_code is not None),
            open_item_id=recipient.open_item_id if recipient else None,
            appointments=appointments,
            messages=messages,
        )

    @staticmethod
    def _phone(tenant: Tenant, raw: str) -> str:
        """E.164, or national digits read in the country of the tenant's number."""
        try:
            return parse_phone(raw, region_of(tenant.phone_number))
        except InvalidPhoneNumber as exc:
            raise InvalidFields([("phone", str(exc))]) from exc

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant
