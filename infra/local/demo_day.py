"""A working day for each demo business: appointments today and tomorrow in its own zone,
some confirmed, some not, one cancelled by its customer and one whose number cannot take
texts, so the console's day view has something to show at whatever hour `make run` starts.

They are written as history (through the repository, so they carry the day-list keys): each
with the confirmation it was sent four days ago (rendered by the real renderer, so its
conversation shows it and moving it sends the "moved" text, not a second "booked" one) and
no text planned: the virtual clock never sends anything for them, and the sandbox phone
stays empty until someone books. Their numbers are used by no test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rendezvous.domain.models import (
    Appointment,
    AppointmentStatus,
    Customer,
    LastText,
    MessageKind,
    MessageRecord,
    MessageStatus,
    Tenant,
)
from rendezvous.domain.ports import AppointmentStore, Renderer


@dataclass(frozen=True)
class DemoVisit:
    day: int  # 0 today, 1 tomorrow, in the business's zone
    at: time
    name: str
    service: str
    status: AppointmentStatus
    text: MessageStatus = MessageStatus.DELIVERED
    undeliverable: bool = False


_CLINIC = (
    DemoVisit(0, time(9, 30), "Ana Robles", "Check-up", AppointmentStatus.CONFIRMED),
    DemoVisit(0, time(11, 0), "James Carter", "Dental cleaning", AppointmentStatus.SCHEDULED),
    DemoVisit(0, time(14, 30), "Mei Chen", "Vaccination", AppointmentStatus.SCHEDULED),
    DemoVisit(0, time(16, 30), "Robert Brown", "Check-up", AppointmentStatus.CONFIRMED),
    DemoVisit(1, time(10, 0), "Priya Patel", "Check-up", AppointmentStatus.CONFIRMED),
    DemoVisit(
        1,
        time(13, 0),
        "Tom Nguyen",
        "Dental cleaning",
        AppointmentStatus.SCHEDULED,
        MessageStatus.UNDELIVERED,
        undeliverable=True,
    ),
    DemoVisit(1, time(15, 0), "Sara Kim", "Vaccination", AppointmentStatus.CANCELLED),
)
_SALON = (
    DemoVisit(0, time(10, 0), "Camille Martin", "Coupe", AppointmentStatus.CONFIRMED),
    DemoVisit(0, time(11, 30), "Lucas Bernard", "Couleur", AppointmentStatus.SCHEDULED),
    DemoVisit(0, time(15, 0), "Chloé Dubois", "Brushing", AppointmentStatus.SCHEDULED),
    DemoVisit(0, time(17, 30), "Hugo Petit", "Coupe", AppointmentStatus.CONFIRMED),
    DemoVisit(1, time(10, 30), "Léa Moreau", "Couleur", AppointmentStatus.CONFIRMED),
    DemoVisit(
        1,
        time(14, 0),
        "Nina Laurent",
        "Coupe",
        AppointmentStatus.SCHEDULED,
        MessageStatus.UNDELIVERED,
        undeliverable=True,
    ),
    DemoVisit(1, time(16, 0), "Paul Girard", "Brushing", AppointmentStatus.CANCELLED),
)
# Numbers of the businesses' own countries, in ranges the tests leave alone.
_VISITS = {"+1": ("+1213555014", _CLINIC), "+33": ("+3375550014", _SALON)}
_UNDELIVERABLE_CODE = 30003


def demo_visits(tenant: Tenant) -> tuple[str, tuple[DemoVisit, ...]]:
    prefix = "+33" if tenant.phone_number.startswith("+33") else "+1"
    return _VISITS[prefix]


def seed_demo_day(
    store: AppointmentStore, render: Renderer, tenant: Tenant, now: datetime
) -> list[Appointment]:
    """Write the business's demo visits around `now` and return them."""
    zone = ZoneInfo(tenant.timezone)
    today = now.astimezone(zone).date()
    numbers, visits = demo_visits(tenant)
    made = []
    for n, visit in enumerate(visits):
        starts_at = datetime.combine(today + timedelta(days=visit.day), visit.at, zone)
        booked = min(now, starts_at) - timedelta(days=4)
        sent = booked + timedelta(minutes=1)
        reason = f"twilio_{_UNDELIVERABLE_CODE}" if visit.undeliverable else None
        cancelled = visit.status is AppointmentStatus.CANCELLED
        appointment = Appointment(
            tenant_id=tenant.tenant_id,
            appointment_id=f"demo-{n + 1}",
            customer=Customer(phone=f"{numbers}{n}", name=visit.name),
            starts_at=starts_at,
            duration_minutes=30,
            service=visit.service,
            status=visit.status,
            version=2 if cancelled else 1,
            created_at=booked,
            updated_at=booked + timedelta(days=1),
            confirmed_at=booked + timedelta(hours=2)
            if visit.status is AppointmentStatus.CONFIRMED
            else None,
            cancelled_at=booked + timedelta(days=1) if cancelled else None,
            cancelled_by="customer" if cancelled else None,
            # Written with the item, as history: the sender's next write replaces it.
            last_text=LastText(
                kind="confirmation", status=visit.text.value, at=sent, reason=reason
            ),
        )
        store.create_appointment(appointment, [_sent_confirmation(render, tenant, appointment)])
        if visit.undeliverable:
            store.mark_recipient(
                tenant.tenant_id,
                appointment.customer.phone,
                now=sent,
                undeliverable_code=_UNDELIVERABLE_CODE,
            )
        made.append(appointment)
    return made


def _sent_confirmation(render: Renderer, tenant: Tenant, appointment: Appointment) -> MessageRecord:
    """The confirmation the demo visit's customer got when it was booked (version 1)."""
    assert appointment.last_text is not None
    sent = appointment.last_text.at
    # Rendered as it was then: the first version, never cancelled.
    booked = appointment.model_copy(update={"version": 1, "status": AppointmentStatus.SCHEDULED})
    sms = render.message(MessageKind.CONFIRMATION, tenant, booked, first_contact=True, now=sent)
    status = MessageStatus(appointment.last_text.status)
    return MessageRecord(
        tenant_id=tenant.tenant_id,
        appointment_id=appointment.appointment_id,
        kind=MessageKind.CONFIRMATION.value,
        version=1,
        status=status,
        send_at=sent,
        reason=appointment.last_text.reason,
        error_code=_UNDELIVERABLE_CODE if status is MessageStatus.UNDELIVERED else None,
        body=sms.body,
        segments=sms.segments,
        encoding=sms.encoding,
        created_at=appointment.created_at,
        updated_at=sent,
    )
