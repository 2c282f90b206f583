"""The TemplateRules port: what a tenant's template must respect, judged by the same code
that renders it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from rendezvous.domain.models import Appointment, Customer, MessageKind, Tenant
from rendezvous.domain.ports import RenderedSms
from rendezvous.messages.gsm import segment_count
from rendezvous.messages.render import (
    SmsRenderer,
    longest_times,
    render_message,
    render_offer,
)
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
# The sends an offer's time is measured from: the same day ("today at"), the day before
# ("tomorrow at" / "demain à"), a week before (the date) and a year before (the full date).
_OFFER_LEADS: Final = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=365),
)
# The texts of vacancy fill, each one segment (README, Vacancy fill): the automated offer
# kinds (with the STOP line of a first text) and the answers to R and its digits.
OFFER_KINDS: Final = (MessageKind.OFFER, MessageKind.OFFER_TAKEN)
OPTION_REPLIES: Final = ("reschedule_options", "reschedule_taken_options")


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
        appointment = self._appointment(tenant, locale, starts)
        return render_message(
            kind,
            tenant,
            appointment,
            first_contact=True,
            previous_starts_at=starts - timedelta(days=1),
            fit=False,
        )

    def worst_case_fill(self, tenant: Tenant, locale: str) -> dict[str, RenderedSms]:
        """Each vacancy-fill text at its longest for this tenant: an offer kind to a
        first-time number at the longest way its time is written, an R answer with one
        digit (fewer digits are offered when three do not fit), "just taken" with the
        longest time a person answers by."""
        starts = datetime.combine(*_STARTS, ZoneInfo(tenant.timezone))
        customer = Customer(phone=tenant.phone_number, name=WORST_CASE_NAME, locale=locale)
        texts: dict[str, RenderedSms] = {}
        for kind in OFFER_KINDS:
            texts[kind.value] = max(
                (
                    render_offer(
                        kind, tenant, starts, customer, first_contact=True, now=starts - lead
                    )
                    for lead in _OFFER_LEADS
                ),
                key=lambda sms: (sms.segments, sms.characters),
            )
        renderer = SmsRenderer()
        one = longest_times(tenant.timezone, 1)
        appointment = self._appointment(tenant, locale, starts)
        for name in OPTION_REPLIES:
            texts[name] = _measured(renderer.reply(name, tenant, appointment, options=one))
        for name in ("reschedule_taken", "reschedule_changed"):
            texts[name] = _measured(renderer.reply(name, tenant, appointment, due=one[0]))
        return texts

    @staticmethod
    def _appointment(tenant: Tenant, locale: str, starts: datetime) -> Appointment:
        return Appointment(
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


def _measured(body: str) -> RenderedSms:
    encoding, segments = segment_count(body)
    return RenderedSms(body=body, encoding=encoding, segments=segments, characters=len(body))
