"""Turn a kind, a tenant and an appointment into the exact SMS body, with its cost in parts."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Final
from zoneinfo import ZoneInfo

from rendezvous.domain.models import (
    Appointment,
    Customer,
    MessageKind,
    Tenant,
    written_as,
)
from rendezvous.domain.ports import RenderedSms
from rendezvous.domain.tenant_settings import MAX_SEGMENTS
from rendezvous.domain.timing import recipient_zone
from rendezvous.domain.vacancy import Opening
from rendezvous.messages.gsm import is_gsm7, segment_count, to_gsm_compatible
from rendezvous.messages.replies import render_reply
from rendezvous.messages.templates import (
    STOP_WORD,
    default_template,
    stop_line,
    substitute,
    tenant_template,
    validate_template,
)

logger = logging.getLogger(__name__)

FIRST_NAME_MAX: Final = 20

_DAYS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
_MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": (
        "janv",
        "févr",
        "mars",
        "avr",
        "mai",
        "juin",
        "juil",
        "août",
        "sept",
        "oct",
        "nov",
        "déc",
    ),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(zone)


def format_clock(local: datetime, locale: str) -> str:
    """ "9:05am" / "9h05" / "9:05": the locale's habit (12-hour with am/pm in en, 24-hour in
    fr and es), with the same padding everywhere: hour as is, minutes on two digits."""
    if locale == "fr":
        return f"{local.hour}h{local.minute:02d}"
    if locale == "es":
        return f"{local.hour}:{local.minute:02d}"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


# Beyond this many days from now a date without its year would be read as this year's
# (and its weekday would then be wrong): the text says the full date instead.
YEAR_AFTER_DAYS: Final = 180


def format_when(moment: datetime, timezone: str, locale: str, now: datetime | None = None) -> str:
    """ "Tue 24 Nov 10:30am" / "mar 24 nov 10h30" / "mar 24 nov 10:30", in the given zone;
    more than YEAR_AFTER_DAYS from `now` (when given), the full date without the weekday
    ("5 Dec 2027 10:00am"): as long as the weekday form, so no text grows for it.

    A naive datetime is taken as UTC.
    """
    zone = ZoneInfo(timezone)
    local = _local(moment, zone)
    loc = locale if locale in _DAYS else "en"
    month = _MONTHS[loc][local.month - 1]
    clock = format_clock(local, loc)
    if now is not None and abs((local.date() - _local(now, zone).date()).days) > YEAR_AFTER_DAYS:
        return f"{local.day} {month} {local.year} {clock}"
    return f"{_DAYS[loc][local.weekday()]} {local.day} {month} {clock}"


_DIGIT_FOR: Final = {
    "en": "{digit} for {when}",
    "fr": "{digit} pour {when}",
    "es": "{digit} para {when}",
}


def format_options(options: Sequence[datetime], timezone: str, locale: str) -> str:
    """ "1 for Tue 8 Dec 9:00am, 2 for Wed 9 Dec 10:30am": the digits of a choice of times,
    numbered from 1 in the order given."""
    pattern = _DIGIT_FOR.get(locale, _DIGIT_FOR["en"])
    return ", ".join(
        substitute(pattern, {"digit": str(n), "when": format_when(at, timezone, locale)})
        for n, at in enumerate(options, start=1)
    )


_TODAY: Final = {"en": "today at {clock}", "fr": "aujourd'hui à {clock}", "es": "hoy a las {clock}"}
_TOMORROW: Final = {
    "en": "tomorrow at {clock}",
    "fr": "demain à {clock}",
    "es": "mañana a las {clock}",
}
_IN_DAYS: Final = {
    "en": "in {n} days, {when}",
    "fr": "dans {n} jours, {when}",
    "es": "en {n} días, {when}",
}


def format_old_when(old: datetime, new: datetime, timezone: str, locale: str) -> str:
    """The time a visit moved from: "Mon 9:00am" when within days of the new one (the weekday
    is then unambiguous, and the date would cost the text a second segment), else in full."""
    loc = locale if locale in _DAYS else "en"
    zone = ZoneInfo(timezone)
    if abs((_local(new, zone).date() - _local(old, zone).date()).days) < 6:
        local = _local(old, zone)
        return f"{_DAYS[loc][local.weekday()]} {format_clock(local, loc)}"
    return format_when(old, timezone, loc)


def relative_when(
    moment: datetime,
    timezone: str,
    locale: str,
    now: datetime,
    day_zone: ZoneInfo,
    *,
    count_days: bool,
) -> str:
    """ "today at 3:30pm", "tomorrow at 3:30pm" where true in `day_zone` (the recipient's),
    else "in 3 days, Fri 3:30pm" within the week when `count_days` (a reminder), else
    format_when."""
    loc = locale if locale in _DAYS else "en"
    days = (_local(moment, day_zone).date() - _local(now, day_zone).date()).days
    local = _local(moment, ZoneInfo(timezone))
    clock = format_clock(local, loc)
    today, tomorrow = _TODAY[loc], _TOMORROW[loc]
    if loc == "es" and local.hour == 1:  # "a la 1:30", as "a las 13:30"
        today, tomorrow = today.replace("las", "la"), tomorrow.replace("las", "la")
    if days == 0:
        return today.format(clock=clock)
    if days == 1:
        return tomorrow.format(clock=clock)
    if count_days and 1 < days < 7:
        # Within the week the weekday says which day; the date would cost a segment.
        weekday = _DAYS[loc][local.weekday()]
        return _IN_DAYS[loc].format(n=days, when=f"{weekday} {clock}")
    return format_when(moment, timezone, loc, now)


def first_name(name: str) -> str:
    """The first word of a customer's name, at most FIRST_NAME_MAX characters."""
    words = name.split()
    return words[0][:FIRST_NAME_MAX] if words else ""


def _one_line(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def service_details(appointment: Appointment) -> str:
    """ "(Cleaning, Dr Lee)", "(Cleaning)" or "" from the appointment's service and provider."""
    parts = [p for p in (_one_line(appointment.service), _one_line(appointment.provider)) if p]
    return f"({', '.join(parts)})" if parts else ""


def _tidy(body: str) -> str:
    """Collapse the double spaces and stray " ." / " ," an empty placeholder leaves behind."""
    body = re.sub(r"[ \t]{2,}", " ", body)
    body = re.sub(r" +([.,])", r"\1", body)
    body = re.sub(r",\s*([!?])", r"\1", body)  # "Thanks, !" when the name is left out
    return body.strip()


def _template(tenant: Tenant, locale: str, kind: MessageKind) -> str:
    custom = tenant_template(tenant, locale, kind)
    if custom is not None:
        problems = validate_template(custom, kind=kind)
        if not problems:
            return custom
        logger.warning(
            "tenant template rejected, default used",
            extra={
                "tenant_id": tenant.tenant_id,
                "locale": locale,
                "kind": kind.value,
                "problems": problems,
            },
        )
    return default_template(locale, kind)


def _gsm_spellable(value: str) -> bool:
    return is_gsm7(to_gsm_compatible(value))


def _compose(template: str, values: Mapping[str, str], locale: str, *, stop: bool) -> str:
    body = _tidy(substitute(template, values))
    if stop:
        body = f"{body} {stop_line(locale)}"
    return to_gsm_compatible(body)


def render_message(
    kind: MessageKind | str,
    tenant: Tenant,
    appointment: Appointment,
    *,
    first_contact: bool,
    previous_starts_at: datetime | None = None,
    now: datetime | None = None,
    fit: bool = True,
) -> RenderedSms:
    """The SMS for this kind of message (also accepts `reminder_48h`-style kinds).

    With `now` (the send time), the visit is "today at" / "tomorrow at" where that is true
    in the recipient's zone, and a reminder further ahead says "in 3 days, ..."; a reminder
    to a confirmed appointment thanks them instead of asking again. A text that would run
    past MAX_SEGMENTS drops its optional parts (the place, then the service details) first,
    unless `fit` is False (to measure the whole text: settings checks, booking warnings).

    Locale is the customer's, else the tenant's; times are shown in the tenant's zone.
    A tenant's template (`tenant.templates[locale][kind]`) is used when it passes
    validate_template, otherwise the default is (and a warning is logged). The first text
    to a number ends with the locale's STOP line. A first name with no GSM-7 spelling is
    left out, and a place with none gives way to the business name, when that keeps the
    whole text GSM-7 (see below). previous_starts_at defaults to
    appointment.previous_starts_at; when neither is known, a `moved` text falls back to the
    confirmation template rather than show an empty old time.
    """
    message_kind, locale = written_as(str(kind), appointment, tenant)
    if previous_starts_at is None:
        previous_starts_at = appointment.previous_starts_at
    template = _template(tenant, locale, message_kind)
    if "{old_when}" in template and previous_starts_at is None:
        # Better a correct text without the old time than no text at all.
        logger.warning(
            "previous start unknown, confirmation text used instead",
            extra={"tenant_id": tenant.tenant_id, "kind": message_kind.value},
        )
        template = _template(tenant, locale, MessageKind.CONFIRMATION)

    values = {
        "first_name": first_name(appointment.customer.name),
        "business": _one_line(tenant.name),
        "when": (
            relative_when(
                appointment.starts_at,
                tenant.timezone,
                locale,
                now,
                recipient_zone(appointment.customer.phone, tenant.timezone),
                count_days=message_kind in {MessageKind.REMINDER, MessageKind.REMINDER_CONFIRMED},
            )
            if now is not None
            else format_when(appointment.starts_at, tenant.timezone, locale)
        ),
        "location": _one_line(appointment.location) or _one_line(tenant.name),
        "details": service_details(appointment) if tenant.include_service_details else "",
        "old_when": (
            format_old_when(previous_starts_at, appointment.starts_at, tenant.timezone, locale)
            if previous_starts_at is not None
            else ""
        ),
    }
    stop = first_contact and not STOP_WORD.search(template)
    body = _compose(template, values, locale, stop=stop)
    if not is_gsm7(body):
        # A first name or place with no GSM-7 spelling (CJK, Greek, emoji) would turn the
        # whole text into UCS-2: 70 characters a part instead of 160, so a one-part
        # reminder becomes three, costs three times as much and may arrive split. The name
        # adds nothing the customer needs, so the greeting goes without it ("Hi,"), and the
        # business name stands in for the place, as when none is given. Done only when it
        # makes the text GSM-7: if the tenant's own template or business name is not GSM-7
        # (their choice), nothing would be saved, so everything is kept.
        plain = dict(values)
        if not _gsm_spellable(values["first_name"]):
            plain["first_name"] = ""
        if not _gsm_spellable(values["location"]):
            plain["location"] = values["business"]
        shorter = _compose(template, plain, locale, stop=stop)
        if is_gsm7(shorter):
            body, values = shorter, plain
    encoding, segments = segment_count(body)
    # The place and the details are what a customer can do without (the business name
    # stands in for the place); the time, the name and the reply keywords are not.
    for optional in ("location", "details"):
        if not fit or segments <= MAX_SEGMENTS:
            break
        values = {**values, optional: values["business"] if optional == "location" else ""}
        body = _compose(template, values, locale, stop=stop)
        encoding, segments = segment_count(body)
    return RenderedSms(body=body, encoding=encoding, segments=segments, characters=len(body))


def render_offer(
    kind: MessageKind,
    tenant: Tenant,
    starts_at: datetime,
    customer: Customer,
    *,
    first_contact: bool,
    now: datetime | None = None,
) -> RenderedSms:
    """An offer's text: the business and the slot's time ("today at", "tomorrow at" where
    true in the recipient's zone), nothing else about the visit or the person. The first
    text to a number ends with the STOP line, as every first text does."""
    locale = customer.locale or tenant.locale
    template = _template(tenant, locale, kind)
    when = (
        relative_when(
            starts_at,
            tenant.timezone,
            locale,
            now,
            recipient_zone(customer.phone, tenant.timezone),
            count_days=False,
        )
        if now is not None
        else format_when(starts_at, tenant.timezone, locale)
    )
    values = {"business": _one_line(tenant.name), "when": when}
    body = _compose(template, values, locale, stop=first_contact and not STOP_WORD.search(template))
    encoding, segments = segment_count(body)
    return RenderedSms(body=body, encoding=encoding, segments=segments, characters=len(body))


# Dates as long as any locale writes them within the horizon R offers from (no year):
# two-digit days, "sept", two-digit hours, en's "12:30pm". Wednesday to Friday.
_LONGEST_DAYS: Final = (date(2030, 9, 25), date(2030, 9, 26), date(2030, 9, 27))
_LONGEST_CLOCK: Final = time(12, 30)
# A text the customer reads while deciding, and answers with one digit: it must arrive
# whole, so it is one segment, never two.
ONE_SEGMENT: Final = 1


def longest_times(timezone: str, count: int) -> list[datetime]:
    """`count` start times whose words are the longest the locales write (for measuring)."""
    zone = ZoneInfo(timezone)
    return [datetime.combine(day, _LONGEST_CLOCK, zone) for day in _LONGEST_DAYS[:count]]


class SmsRenderer:
    """The domain's Renderer port: these modules' words and formats."""

    def option_room(self, name: str, tenant: Tenant, locale: str | None = None) -> int:
        """How many digits (3, 2, 1, or 0) the reply `name` can offer in ONE segment for
        this tenant, measured with the longest times: a long business name leaves room for
        fewer, and the choice kept on the number then has only those digits."""
        for count in range(len(_LONGEST_DAYS), 0, -1):
            body = render_reply(
                locale or tenant.locale,
                name,
                self._reply_values(
                    tenant,
                    None,
                    locale or tenant.locale,
                    options=longest_times(tenant.timezone, count),
                ),
            )
            if segment_count(body)[1] <= ONE_SEGMENT:
                return count
        return 0

    def offer(
        self,
        kind: MessageKind,
        tenant: Tenant,
        opening: Opening,
        customer: Customer,
        *,
        first_contact: bool,
        now: datetime | None = None,
    ) -> RenderedSms:
        return render_offer(
            kind, tenant, opening.starts_at, customer, first_contact=first_contact, now=now
        )

    def message(
        self,
        kind: MessageKind,
        tenant: Tenant,
        appointment: Appointment,
        *,
        first_contact: bool,
        previous_starts_at: datetime | None = None,
        now: datetime | None = None,
        fit: bool = True,
    ) -> RenderedSms:
        return render_message(
            kind,
            tenant,
            appointment,
            first_contact=first_contact,
            previous_starts_at=previous_starts_at,
            now=now,
            fit=fit,
        )

    def reply(
        self,
        name: str,
        tenant: Tenant,
        appointment: Appointment | None,
        *,
        due: datetime | None = None,
        options: Sequence[datetime] = (),
    ) -> str:
        locale = (appointment.customer.locale if appointment else None) or tenant.locale
        return render_reply(
            locale, name, self._reply_values(tenant, appointment, locale, due=due, options=options)
        )

    @staticmethod
    def _reply_values(
        tenant: Tenant,
        appointment: Appointment | None,
        locale: str,
        *,
        due: datetime | None = None,
        options: Sequence[datetime] = (),
    ) -> dict[str, str]:
        return {
            "options": format_options(options, tenant.timezone, locale),
            "business": tenant.name,
            "contact": tenant.contact or tenant.phone_number,
            "first_name": first_name(appointment.customer.name) if appointment else "",
            "when": format_when(appointment.starts_at, tenant.timezone, locale)
            if appointment
            else "",
            "due": format_when(due, tenant.timezone, locale) if due else "",
        }

    def moment(self, at: datetime, timezone: str, locale: str) -> str:
        return format_when(at, timezone, locale)
