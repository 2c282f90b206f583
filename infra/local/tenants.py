"""The demo businesses the local stack starts with."""

from __future__ import annotations

from datetime import time

from rendezvous.domain.models import OpeningHours, QuietHours, Tenant

QUIET = QuietHours(start=time(21, 0), end=time(8, 0))


def demo_tenants() -> list[Tenant]:
    return [
        Tenant(
            tenant_id="harbor-clinic",
            name="Harbor Clinic",
            phone_number="+14155550100",
            timezone="America/Los_Angeles",
            locale="en",
            contact="+14155550100",
            quiet_hours=QUIET,
            opening_hours=OpeningHours(),
            daily_cap=3,
        ),
        Tenant(
            tenant_id="salon-lumiere",
            name="Salon Lumière",
            phone_number="+33612345678",
            timezone="Europe/Paris",
            locale="fr",
            contact="+33612345678",
            quiet_hours=QUIET,
            opening_hours=OpeningHours(days={d: (time(10, 0), time(19, 0)) for d in range(2, 7)}),
            daily_cap=3,
        ),
    ]
