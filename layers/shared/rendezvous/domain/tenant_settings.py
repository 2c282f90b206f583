"""A tenant's settings as managers read and change them (GET / PATCH /v1/settings).

A change is a JSON Merge Patch (RFC 7396) on the settings document: members it names
replace the stored ones, nested objects (quiet hours, opening hours, templates) merge
member by member, and null removes a member, so its default applies (a template override
goes back to the default text, an opening day becomes closed). The patched settings must
keep every rule below; otherwise nothing is written and each problem names its field. A
change that changes nothing writes nothing.

What a change affects: every function reads the tenant at the moment it acts, so a new
setting governs what happens after it is saved. Reminder offsets plan the appointments
booked or moved after the change; reminders already scheduled keep their times. Quiet
hours, the daily cap, templates, STOP answering and service details apply to every text
sent after the change, including those planned before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Any, Final
from zoneinfo import available_timezones

from pydantic import ValidationError

from rendezvous.domain.activity import ActivityEntry, ActivityEvent, SettingChange
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import (
    ConcurrentModification,
    InvalidSettings,
    NotFound,
    PreconditionFailed,
)
from rendezvous.domain.models import SUPPORTED_LOCALES, MessageKind, Tenant
from rendezvous.domain.ports import SettingsStore, TemplateRules
from rendezvous.domain.staff import StaffMember

# What a manager may change; the rest of the tenant record is read-only here (its id and
# number belong to onboarding, the pause fields to the pause switch).
EDITABLE: Final = (
    "name",
    "timezone",
    "locale",
    "contact",
    "quiet_hours",
    "opening_hours",
    "reminder_offsets_minutes",
    "daily_cap",
    "include_service_details",
    "answer_stop",
    "templates",
    "response_minutes",
    "queue_lease_minutes",
    "queue_retention_days",
    "fill_enabled",
    "fill_min_notice_minutes",
    "fill_wave_size",
    "fill_wave_interval_minutes",
    "fill_match",
    "fill_horizon_days",
    "segment_price",
    "currency",
    "tune_out_per_1000",
)
READ_ONLY: Final = ("tenant_id", "phone_number", "version")

NAME_MAX: Final = 60
CONTACT_MAX: Final = 100
TEMPLATE_MAX: Final = 640
MAX_REMINDERS: Final = 3
# A reminder at least half an hour ahead (still_timely lets it go up to half its lead
# late), and at most two weeks ahead.
MIN_OFFSET_MINUTES: Final = 30
MAX_OFFSET_MINUTES: Final = 14 * 24 * 60
# Quiet hours must leave texts at least this long a day to go out, and, on a day the
# business is open, this long while it is open (or the whole opening, if shorter): a
# confirmation answered with R or a question is read by a person that day.
MIN_SENDING_MINUTES: Final = 60
# Local minutes [start, end) no automated text may go out in: midnight to 6 am.
NIGHT: Final = (0, 6 * 60)
MAX_SEGMENTS: Final = 2
FILL_SEGMENTS: Final = 1
# Vacancy fill: (least, most) of each number.
FILL_NOTICE_MINUTES: Final = (30, 7 * 24 * 60)
FILL_WAVE_SIZE: Final = (1, 50)
FILL_WAVE_INTERVAL_MINUTES: Final = (5, 24 * 60)
FILL_HORIZON_DAYS: Final = (1, 60)
# Results: a segment's price in the tenant's currency, and the tune-out alarm's threshold.
SEGMENT_PRICE: Final = (0.0, 1.0)
TUNE_OUT_PER_1000: Final = (1, 200)
TEMPLATE_KINDS: Final = (
    MessageKind.CONFIRMATION,
    MessageKind.MOVED,
    MessageKind.REMINDER,
    MessageKind.REMINDER_CONFIRMED,
)


@dataclass(frozen=True)
class EffectiveTemplate:
    text: str
    overridden: bool


@dataclass(frozen=True)
class SettingsView:
    tenant: Tenant
    # locale -> kind -> the text sent: the tenant's override, or the default.
    effective: dict[str, dict[str, EffectiveTemplate]]

    @property
    def version(self) -> int:
        return self.tenant.settings_version


def settings_document(tenant: Tenant) -> dict[str, Any]:
    """The editable settings as JSON values: what a merge patch applies to."""
    return tenant.model_dump(mode="json", include=set(EDITABLE))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396, section 2."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def changed_paths(before: Any, after: Any, prefix: str = "") -> dict[str, SettingChange]:
    """Each leaf that differs, by its dotted path; lists are leaves, and a member that is
    an object on one side only is compared with an empty one."""
    if isinstance(before, dict | None) and isinstance(after, dict | None) and before != after:
        before, after = before or {}, after or {}
        changes: dict[str, SettingChange] = {}
        for name in sorted(set(before) | set(after), key=str):
            path = f"{prefix}.{name}" if prefix else str(name)
            changes.update(changed_paths(before.get(name), after.get(name), path))
        return changes
    if before == after:
        return {}
    return {prefix: SettingChange(before=before, after=after)}


# ISO weekdays 1-7 by name, in English whatever the process's locale (calendar.day_name
# follows it).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _sending_minutes(start: int, end: int, quiet_start: int, quiet_end: int) -> int:
    """Minutes of [start, end) (same day) outside the quiet window."""
    if quiet_start == quiet_end:
        return end - start
    quiet = (
        [(quiet_start, quiet_end)]
        if quiet_start < quiet_end
        else [(quiet_start, 24 * 60), (0, quiet_end)]
    )
    muted = sum(max(0, min(end, q_end) - max(start, q_start)) for q_start, q_end in quiet)
    return end - start - muted


def hours_problems(tenant: Tenant) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for day, (opens, closes) in sorted(tenant.opening_hours.days.items()):
        if not 1 <= day <= 7:
            problems.append((f"opening_hours.days.{day}", "days are 1 (Monday) to 7 (Sunday)"))
        elif opens >= closes:
            problems.append((f"opening_hours.days.{day}", "opens before it closes, same day"))
    if problems:
        return problems
    quiet_start, quiet_end = _minutes(tenant.quiet_hours.start), _minutes(tenant.quiet_hours.end)
    if _sending_minutes(*NIGHT, quiet_start, quiet_end):
        # Equal start and end mean no quiet hours at all; a text at 3 am is what a customer
        # remembers, so the night stays quiet whatever else a manager chooses.
        problems.append(
            (
                "quiet_hours",
                f"must cover the night, {NIGHT[0] // 60:02d}:00 to {NIGHT[1] // 60:02d}:00 "
                "(the same start and end would let texts go out at any hour)",
            )
        )
        return problems
    daily = _sending_minutes(0, 24 * 60, quiet_start, quiet_end)
    if daily < MIN_SENDING_MINUTES:
        problems.append(
            (
                "quiet_hours",
                f"leave {daily} minutes a day for texts to go out; "
                f"at least {MIN_SENDING_MINUTES} are needed",
            )
        )
        return problems
    for day, (opens, closes) in sorted(tenant.opening_hours.days.items()):
        start, end = _minutes(opens), _minutes(closes)
        needed = min(MIN_SENDING_MINUTES, end - start)
        if _sending_minutes(start, end, quiet_start, quiet_end) < needed:
            problems.append(
                (
                    "quiet_hours",
                    f"leave less than {needed} minutes of sending inside "
                    f"{WEEKDAYS[day - 1]}'s opening hours ({opens:%H:%M}-{closes:%H:%M})",
                )
            )
    return problems


def offset_problems(tenant: Tenant) -> list[tuple[str, str]]:
    offsets = tenant.reminder_offsets_minutes
    problems: list[tuple[str, str]] = []
    if len(offsets) > MAX_REMINDERS:
        problems.append(("reminder_offsets_minutes", f"at most {MAX_REMINDERS} reminders"))
    for offset in offsets:
        if not MIN_OFFSET_MINUTES <= offset <= MAX_OFFSET_MINUTES:
            problems.append(
                (
                    "reminder_offsets_minutes",
                    f"{offset} is outside {MIN_OFFSET_MINUTES} to {MAX_OFFSET_MINUTES} minutes",
                )
            )
    return problems


def results_problems(tenant: Tenant) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    least, most = SEGMENT_PRICE
    if not least <= tenant.segment_price <= most:
        problems.append(("segment_price", f"{tenant.segment_price} is outside {least} to {most}"))
    if len(tenant.currency) != 3 or not tenant.currency.isascii() or not tenant.currency.isupper():
        problems.append(("currency", "an ISO 4217 code, like USD or EUR"))
    low, high = TUNE_OUT_PER_1000
    if not low <= tenant.tune_out_per_1000 <= high:
        problems.append(
            ("tune_out_per_1000", f"{tenant.tune_out_per_1000} is outside {low} to {high}")
        )
    return problems


def fill_problems(tenant: Tenant) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for field, value, (least, most) in (
        ("fill_min_notice_minutes", tenant.fill_min_notice_minutes, FILL_NOTICE_MINUTES),
        ("fill_wave_size", tenant.fill_wave_size, FILL_WAVE_SIZE),
        (
            "fill_wave_interval_minutes",
            tenant.fill_wave_interval_minutes,
            FILL_WAVE_INTERVAL_MINUTES,
        ),
        ("fill_horizon_days", tenant.fill_horizon_days, FILL_HORIZON_DAYS),
    ):
        if not least <= value <= most:
            problems.append((field, f"{value} is outside {least} to {most}"))
    if problems:
        return problems
    if tenant.fill_horizon_days * 24 * 60 <= tenant.fill_min_notice_minutes:
        # Every opening an R could offer would be too close to offer.
        problems.append(
            ("fill_horizon_days", "must reach further ahead than fill_min_notice_minutes")
        )
    return problems


@cache
def known_zones() -> frozenset[str]:
    # A name is looked up in the zone database, never opened as a path ("../x" or a
    # directory name would be one).
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def identity_problems(tenant: Tenant) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not tenant.name.strip() or len(tenant.name) > NAME_MAX or "\n" in tenant.name:
        problems.append(("name", f"one line of 1 to {NAME_MAX} characters"))
    if len(tenant.contact) > CONTACT_MAX or "\n" in tenant.contact:
        problems.append(("contact", f"one line of at most {CONTACT_MAX} characters"))
    if tenant.timezone not in known_zones():
        problems.append(("timezone", "an IANA time zone, like America/Los_Angeles"))
    return problems


TEMPLATE_LENGTH_PROBLEM: Final = f"1 to {TEMPLATE_MAX} characters"
# The settings whose change lengthens every text at once; a text pushed past the limit by
# such a change is reported against it (the business name when none of them changed).
WORDING_SETTINGS: Final = ("name", "include_service_details")


def template_text_problems(
    tenant: Tenant, locale: str, kind: MessageKind, text: str, rules: TemplateRules
) -> list[str]:
    """What a template of `kind` in `locale` keeps, whoever writes it (a settings override,
    an experiment's variant): its length, its words, and at most MAX_SEGMENTS for a
    long-named first-time customer, measured with this tenant's name and details."""
    if not text.strip() or len(text) > TEMPLATE_MAX:
        return [TEMPLATE_LENGTH_PROBLEM]
    problems = rules.problems(text, kind)
    if problems:
        return problems
    return _segment_problems(tenant.with_template(locale, kind.value, text), locale, kind, rules)


def _segment_problems(
    tenant: Tenant, locale: str, kind: MessageKind, rules: TemplateRules
) -> list[str]:
    sms = rules.worst_case(tenant, locale, kind)
    if sms.segments <= MAX_SEGMENTS:
        return []
    return [
        f"the {locale} {kind.value} text takes {sms.segments} SMS segments "
        f"({sms.characters} characters, {sms.encoding}) for a long-named "
        f"first-time customer; at most {MAX_SEGMENTS}"
    ]


def template_problems(
    tenant: Tenant, rules: TemplateRules, *, blame: str = "name"
) -> list[tuple[str, str]]:
    """The overrides, every default's length in the worst case (a longer business name or
    service details can push them past the limit) and every running experiment's variants
    (the same rules: a change that breaks one is refused, reported against `blame`, the
    setting changed)."""
    problems: list[tuple[str, str]] = []
    for locale, texts in sorted(tenant.templates.items()):
        if locale not in SUPPORTED_LOCALES:
            problems.append((f"templates.{locale}", "locales are " + ", ".join(SUPPORTED_LOCALES)))
            continue
        for kind_name, text in sorted(texts.items()):
            field = f"templates.{locale}.{kind_name}"
            if kind_name not in {k.value for k in TEMPLATE_KINDS}:
                kinds = ", ".join(k.value for k in TEMPLATE_KINDS)
                problems.append((field, f"template kinds are {kinds}"))
                continue
            for problem in template_text_problems(
                tenant, locale, MessageKind(kind_name), text, rules
            ):
                hint = " (null removes it)" if problem == TEMPLATE_LENGTH_PROBLEM else ""
                problems.append((field, problem + hint))
    for locale in SUPPORTED_LOCALES:
        for kind in TEMPLATE_KINDS:
            if kind.value not in tenant.templates.get(locale, {}):
                problems.extend((blame, p) for p in _segment_problems(tenant, locale, kind, rules))
    for slot, running in sorted(tenant.experiments.items()):
        kind_name, _, locale = slot.partition("/")
        for variant in running.variants:
            problems.extend(
                (
                    blame,
                    f"experiment {running.experiment_id}, variant {variant.name}: {problem} "
                    "(stop the experiment first, or keep the text shorter)",
                )
                for problem in template_text_problems(
                    tenant, locale, MessageKind(kind_name), variant.template, rules
                )
            )
    if tenant.fill_enabled:
        problems.extend(fill_text_problems(tenant, rules))
    return problems


def fill_text_problems(tenant: Tenant, rules: TemplateRules) -> list[tuple[str, str]]:
    """Vacancy fill's texts are one segment each: an offer read and answered in a hurry
    must arrive whole. Their words are fixed, so only the business name can break this."""
    problems: list[tuple[str, str]] = []
    for locale in SUPPORTED_LOCALES:
        for name, sms in rules.worst_case_fill(tenant, locale).items():
            if sms.segments > FILL_SEGMENTS:
                problems.append(
                    (
                        "name",
                        f"the {locale} {name} text takes {sms.segments} SMS segments "
                        f"({sms.characters} characters, {sms.encoding}); vacancy fill's "
                        f"texts must be {FILL_SEGMENTS}: a shorter name, or fill_enabled false",
                    )
                )
    return problems


def rule_problems(
    tenant: Tenant, rules: TemplateRules, *, blame: str = "name"
) -> list[tuple[str, str]]:
    identity = identity_problems(tenant)
    problems = [
        *identity,
        *hours_problems(tenant),
        *offset_problems(tenant),
        *fill_problems(tenant),
        *results_problems(tenant),
    ]
    if not any(field == "timezone" for field, _ in identity):  # texts are dated in it
        problems.extend(template_problems(tenant, rules, blame=blame))
    return problems


def _field_of(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"]) or "body"


@dataclass
class SettingsService:
    store: SettingsStore
    rules: TemplateRules
    clock: Clock

    def view(self, tenant_id: str) -> SettingsView:
        return self._view(self._tenant(tenant_id))

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant

    def _view(self, tenant: Tenant) -> SettingsView:
        effective = {
            locale: {
                kind.value: EffectiveTemplate(
                    text=tenant.templates.get(locale, {}).get(kind.value)
                    or self.rules.default(locale, kind),
                    overridden=bool(tenant.templates.get(locale, {}).get(kind.value)),
                )
                for kind in TEMPLATE_KINDS
            }
            for locale in SUPPORTED_LOCALES
        }
        return SettingsView(tenant=tenant, effective=effective)

    def change(
        self, manager: StaffMember, patch: dict[str, Any], expected_version: int
    ) -> SettingsView:
        """Apply a merge patch the manager made on `expected_version` of the settings."""
        current = self._tenant(manager.tenant_id)
        if expected_version != current.settings_version:
            raise PreconditionFailed(
                f"the settings are at version {current.settings_version}, "
                f"not {expected_version}: read them again"
            )
        unknown = sorted(set(patch) - set(EDITABLE))
        if unknown:
            raise InvalidSettings(
                [(n, "read-only" if n in READ_ONLY else "not a setting") for n in unknown]
            )
        before = settings_document(current)
        merged = merge_patch(before, patch)
        fixed = current.model_dump(exclude=set(EDITABLE))
        try:
            candidate = Tenant.model_validate({**fixed, **merged})
        except ValidationError as exc:
            raise InvalidSettings(
                [(_field_of(e), e["msg"]) for e in exc.errors(include_url=False)]
            ) from None
        after = settings_document(candidate)
        changes = changed_paths(before, after)
        if not changes:
            return self._view(current)
        # A rule the stored settings already broke (an override an operator wrote, say)
        # does not block an unrelated change; anything this change touches must comply.
        touched = {path.split(".")[0] for path in changes}
        blame = next((name for name in WORDING_SETTINGS if name in touched), "name")
        already = set(rule_problems(current, self.rules, blame=blame))
        problems = [
            (field, problem)
            for field, problem in rule_problems(candidate, self.rules, blame=blame)
            if (field, problem) not in already
            or any(path == field or path.startswith(field + ".") for path in changes)
        ]
        if problems:
            raise InvalidSettings(problems)
        version = current.settings_version + 1
        values = {name: after.get(name) for name in EDITABLE if before.get(name) != after.get(name)}
        audit = ActivityEntry(
            event=ActivityEvent.SETTINGS_CHANGED,
            actor=manager.staff_id,
            at=self.clock.now(),
            changes=changes,
            settings_version=version,
        )
        try:
            self.store.save_settings(
                manager.tenant_id,
                values,
                expected_version=current.settings_version,
                audit=audit,
            )
        except ConcurrentModification:
            raise PreconditionFailed(
                "the settings changed while this change was being saved: read them again"
            ) from None
        return self._view(candidate.model_copy(update={"settings_version": version}))
