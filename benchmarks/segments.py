"""How many SMS parts the default texts cost, per locale, as they are actually sent.

Renders every pair of a fixed set of names and places (no randomness) for the combinations
that occur: reminders (never the first text to a number) at their send time, 3 days ahead
("in 3 days, Tue 24 Nov ...", the longest) and 1 day ahead ("tomorrow at ..."), unconfirmed
and confirmed, a confirmation (the first text in practice, so with the STOP line) and a
moved notice (not the first). Prints, per kind and
locale: average and maximum segments, the share that fits one segment, the share that stays
GSM-7 and the longest body; then the average over all locales for the default reminder.
Run: python -m benchmarks.segments
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rendezvous.domain.models import (
    Appointment,
    AppointmentStatus,
    Customer,
    MessageKind,
    Tenant,
)
from rendezvous.domain.ports import RenderedSms
from rendezvous.messages.render import render_message

NAMES: tuple[str, ...] = (
    "José Álvarez",
    "Zoë Martin",
    "Françoise Dubois",
    "Łukasz Nowak",
    "Siobhán Murphy",
    "Nguyễn Văn An",
    "Bjørn Hansen",
    "Renée Lefèvre",
    "Ana María García",
    "O'Connor",
    "Mary-Jane Watson",
    "Jean-François Côté",
    "Chloé Bernard",
    "Inés Fernández",
    "Joaquín Ruiz",
    "Søren Kristensen",
    "Anaïs Girard",
    "Noémie Lambert",
    "Ángel Moreno",
    "Begoña Etxeberria",
    "Dvořák Antonín",
    "Małgorzata Wiśniewska",
    "Ștefan Popescu",
    "Günther Müller",
    "Ødegaard Martin",
    "Seán Ó Briain",
    "John Smith",
    "Emily Johnson",
    "Michael Brown",
    "Sarah Davis",
    "Christopher Montgomery",
    "Maximilian-Alexander Berg",
    "Li Wei",
    "Priya Raghunathan",
    "Mohammed Al-Farsi",
    "Kwame Mensah",
    "Aoife Kelly",
    "D’Angelo Rossi",
    "王芳",
    "Αλέξανδρος Παπαδόπουλος",
    "Lily🌸 Chen",
    "Ann",
)

PLACES: tuple[str, ...] = (
    "12 Main St",
    "Suite 4B, 220 Oak Avenue",
    "Northside Clinic, Room 3",
    "1450 Broadway, 2nd floor",
    "14 rue de l’Église",
    "Centre Médical Saint-Éloi",
    "8 av. Jean-Jaurès, 3e étage",
    "Clínica Santa Lucía, Planta 2",
    "Calle Mayor 27, 1º B",
    "Plaza de España 5",
    "Riverside Mall – Unit 12",
    "Westgate Health Centre",
    "Building C • Floor 2",
    "Gare du Nord",
    "Hauptstraße 7",
    "Downtown",
    "Av. Diagonal 640, Barcelona",
)

TENANTS: dict[str, Tenant] = {
    "en": Tenant(
        tenant_id="bench-en",
        name="Northside Dental",
        phone_number="+15550100001",
        timezone="America/New_York",
        locale="en",
    ),
    "fr": Tenant(
        tenant_id="bench-fr",
        name="Cabinet Lumière",
        phone_number="+33100000001",
        timezone="Europe/Paris",
        locale="fr",
    ),
    "es": Tenant(
        tenant_id="bench-es",
        name="Clínica del Sol",
        phone_number="+34910000001",
        timezone="Europe/Madrid",
        locale="es",
    ),
}

STARTS_AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
PREVIOUS_STARTS_AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CREATED_AT = datetime(2026, 11, 1, tzinfo=UTC)

SCHEDULED, CONFIRMED = AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED
# (label, kind, first_contact, status, days before the visit it is rendered): the
# combinations that really go out; None renders without a send time (absolute dates).
CASES: tuple[tuple[str, MessageKind, bool, AppointmentStatus, int | None], ...] = (
    ("reminder_72h", MessageKind.REMINDER, False, SCHEDULED, 3),
    ("reminder_24h", MessageKind.REMINDER, False, SCHEDULED, 1),
    ("confirmed_72h", MessageKind.REMINDER, False, CONFIRMED, 3),
    ("confirmed_24h", MessageKind.REMINDER, False, CONFIRMED, 1),
    ("confirmation", MessageKind.CONFIRMATION, True, SCHEDULED, None),
    ("moved", MessageKind.MOVED, False, SCHEDULED, None),
    # With the STOP line, as if it were the first text: the longest it can be.
    ("cancelled", MessageKind.CANCELLED, True, AppointmentStatus.CANCELLED, None),
)


def render_all(
    locale: str,
    kind: MessageKind,
    *,
    first_contact: bool,
    status: AppointmentStatus = SCHEDULED,
    days_before: int | None = None,
) -> list[RenderedSms]:
    tenant = TENANTS[locale]
    out = []
    for i, name in enumerate(NAMES):
        for place in PLACES:
            appointment = Appointment(
                tenant_id=tenant.tenant_id,
                appointment_id=f"bench-{i}",
                customer=Customer(phone="+15550109999", name=name),
                starts_at=STARTS_AT,
                location=place,
                status=status,
                created_at=CREATED_AT,
                updated_at=CREATED_AT,
            )
            out.append(
                render_message(
                    kind,
                    tenant,
                    appointment,
                    first_contact=first_contact,
                    previous_starts_at=PREVIOUS_STARTS_AT,
                    now=None if days_before is None else STARTS_AT - timedelta(days=days_before),
                )
            )
    return out


def average_segments(rendered: list[RenderedSms]) -> float:
    return sum(r.segments for r in rendered) / len(rendered)


def main() -> None:
    print(f"default texts: {len(NAMES)} names x {len(PLACES)} places per row")
    header = (
        f"{'kind':<14}{'locale':<8}{'avg_segments':>13}{'max_segments':>14}"
        f"{'one_segment':>13}{'gsm7_share':>12}{'max_chars':>11}"
    )
    print(header)
    print("-" * len(header))
    reminders: list[RenderedSms] = []
    for label, kind, first_contact, status, days_before in CASES:
        for locale in TENANTS:
            rendered = render_all(
                locale, kind, first_contact=first_contact, status=status, days_before=days_before
            )
            if kind is MessageKind.REMINDER:
                reminders.extend(rendered)
            n = len(rendered)
            worst = max(r.segments for r in rendered)
            single = sum(r.segments == 1 for r in rendered) / n
            gsm = sum(r.encoding == "GSM-7" for r in rendered) / n
            longest = max(r.characters for r in rendered)
            print(
                f"{label:<14}{locale:<8}{average_segments(rendered):>13.2f}{worst:>14}"
                f"{single:>13.1%}{gsm:>12.1%}{longest:>11}"
            )
    print(f"default reminder, all locales: average {average_segments(reminders):.2f} segments")


if __name__ == "__main__":
    main()
