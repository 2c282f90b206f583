"""The TemplateRules port: what a tenant's template must respect, judged by the same code
that renders it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from rendezvous.domain.models import Appointment, Customer, MessageKind, Tenant
from rendezvous.domain.ports import RenderedSms
from rendezvous.messages.render import render_message
from rendezvous.messages.templates import default_template, stop_hint_problems, validate_template

# The worst case a text is measured in (documented in README, Settings): a first-time
# customer (so the STOP line rides along) with a 30-character name (its first word is
# cut to 20), a 40-character place, service details when the tenant shows them, and a
# date as long as any locale writes one (two-digit day, "sept", two-digit hour). The
# business name is the tenant's own.
WORST_CASE_NAME: Final = "Alexandrina-Maximiliana Ortega"
WORST_CASE_PLACE: Final = "Suite 1200, North Tower, 2nd floor, B-12"
WORST_CASE_SERVICE: Final = "Consultation and cleaning"
WORST_CASE_PROVIDER: Final = "Dr Alexandra Whitfield"
_STARTS: Final = (date(2030, 9, 25), time(12, 30))


class SmsTemplateRules:
    def default(self, locale: str, kind: MessageKind) -> str:
        return default_template(locale, kind)

    def problems(self, text: str, kind: MessageKind) -> list[str]:
        problems = validate_template(text, kind=kind)
        if not text.lstrip().startswith("{business}"):
            problems.append("must start with {business}: every text starts with the business name")
        return problems + stop_hint_problems(text)

    def worst_case(self, tenant: Tenant, locale: str, kind: MessageKind) -> RenderedSms:
        starts = datetime.combine(*_STARTS, ZoneInfo(tenant.timezone))
        appointment = Appointment(
            tenant_id=tenant.tenant_id,
            appointment_id="worst-case",
            customer=Customer(phone=tenant.phone_number, name=WORST_CASE_NAME, locale=locale),
            starts_at=starts,
            location=WORST_CASE_PLACE,
            service=WORST_CASE_SERVICE,
            provider=WORST_CASE_PROVIDER,
            created_at=starts,
            updated_at=starts,
        )
        return render_message(
            kind,
            tenant,
            appointment,
            first_contact=True,
            previous_starts_at=starts - timedelta(days=1),
            fit=False,
        )
