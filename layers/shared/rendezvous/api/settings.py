"""What GET / PATCH /v1/settings take and give.

The PATCH body is a JSON Merge Patch (RFC 7396) of the settings document GET answers:
name only what changes; null removes a member, so its default applies. The rules that
span fields (quiet hours against opening hours, a template's words and length) are the
domain's (rendezvous.domain.tenant_settings); the types and bounds here are the same ones,
so the OpenAPI document shows them.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from rendezvous.api.staff import OutModel
from rendezvous.domain.errors import PreconditionFailed, PreconditionRequired
from rendezvous.domain.models import FillMatch, Locale
from rendezvous.domain.tenant_settings import (
    CONTACT_MAX,
    EDITABLE,
    FILL_HORIZON_DAYS,
    FILL_NOTICE_MINUTES,
    FILL_WAVE_INTERVAL_MINUTES,
    FILL_WAVE_SIZE,
    MAX_OFFSET_MINUTES,
    MAX_REMINDERS,
    MIN_OFFSET_MINUTES,
    NAME_MAX,
    READ_ONLY,
    SEGMENT_PRICE,
    TEMPLATE_MAX,
    TUNE_OUT_PER_1000,
    SettingsView,
)

TemplateKind = Literal["confirmation", "moved", "reminder"]
Weekday = Annotated[int, Field(ge=1, le=7, description="ISO weekday, 1 = Monday")]


# Local clock times, to the minute, as people write them: "08:00", "21:30". (JSON
# Schema's `time` format is RFC 3339's, which requires an offset.)
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
CLOCK_PROBLEM = "a local time written HH:MM, from 00:00 to 23:59"


def _clock_time(value: str) -> str:
    # Checked here rather than by Field(pattern=...), whose refusal quotes the regex to
    # the manager; the schema still states the pattern.
    if re.fullmatch(CLOCK_PATTERN, value) is None:
        raise PydanticCustomError("clock_time", CLOCK_PROBLEM)
    return value


ClockTime = Annotated[
    str,
    AfterValidator(_clock_time),
    Field(
        description="local time HH:MM",
        examples=["08:00"],
        json_schema_extra={"pattern": CLOCK_PATTERN},
    ),
]


def clock(moment: time) -> str:
    return f"{moment:%H:%M}"


class Patch(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class QuietHoursPatch(Patch):
    start: ClockTime | None = None
    end: ClockTime | None = None


class OpeningHoursPatch(Patch):
    days: dict[Weekday, tuple[ClockTime, ClockTime] | None] | None = Field(
        default=None, description="weekday -> [opens, closes]; null closes that day"
    )


class SettingsPatch(Patch):
    """A JSON Merge Patch (RFC 7396) of the settings: absent is unchanged, null is the
    default (name and timezone have none). Read-only and unknown members are refused."""

    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    timezone: str | None = Field(
        default=None, min_length=1, max_length=64, description="IANA, like Europe/Paris"
    )
    locale: Locale | None = None
    contact: str | None = Field(default=None, max_length=CONTACT_MAX)
    quiet_hours: QuietHoursPatch | None = None
    opening_hours: OpeningHoursPatch | None = None
    reminder_offsets_minutes: (
        list[Annotated[int, Field(ge=MIN_OFFSET_MINUTES, le=MAX_OFFSET_MINUTES)]] | None
    ) = Field(default=None, max_length=MAX_REMINDERS)
    daily_cap: int | None = Field(default=None, ge=1, le=20)
    include_service_details: bool | None = None
    answer_stop: bool | None = Field(
        default=None, description="true: the app answers STOP; false: Twilio Advanced Opt-Out"
    )
    templates: (
        dict[
            Locale,
            dict[TemplateKind, Annotated[str, Field(min_length=1, max_length=TEMPLATE_MAX)] | None]
            | None,
        ]
        | None
    ) = Field(default=None, description="overrides per locale and kind; null restores the default")
    response_minutes: int | None = Field(default=None, ge=5, le=10_080)
    queue_lease_minutes: int | None = Field(default=None, ge=1, le=240)
    queue_retention_days: int | None = Field(default=None, ge=1, le=3650)
    fill_enabled: bool | None = Field(
        default=None, description="offer openings to the waitlist by SMS"
    )
    fill_min_notice_minutes: int | None = Field(
        default=None,
        ge=FILL_NOTICE_MINUTES[0],
        le=FILL_NOTICE_MINUTES[1],
        description="a cancellation this long ahead opens an opening; offers stop this "
        "long before the slot",
    )
    fill_wave_size: int | None = Field(
        default=None,
        ge=FILL_WAVE_SIZE[0],
        le=FILL_WAVE_SIZE[1],
        description="offers per wave",
    )
    fill_wave_interval_minutes: int | None = Field(
        default=None,
        ge=FILL_WAVE_INTERVAL_MINUTES[0],
        le=FILL_WAVE_INTERVAL_MINUTES[1],
        description="minutes between waves",
    )
    fill_match: FillMatch | None = Field(
        default=None, description="which waitlist entries an opening is offered to"
    )
    fill_horizon_days: int | None = Field(
        default=None,
        ge=FILL_HORIZON_DAYS[0],
        le=FILL_HORIZON_DAYS[1],
        description="how far ahead an R reply is offered openings",
    )
    segment_price: float | None = Field(
        default=None,
        ge=SEGMENT_PRICE[0],
        le=SEGMENT_PRICE[1],
        description="what one SMS segment costs, in `currency` (for the cost in results)",
    )
    currency: str | None = Field(
        default=None, pattern="^[A-Z]{3}$", description="ISO 4217 code of segment_price"
    )
    tune_out_per_1000: int | None = Field(
        default=None,
        ge=TUNE_OUT_PER_1000[0],
        le=TUNE_OUT_PER_1000[1],
        description="opt-outs per 1,000 texts over 7 days that fire the tune-out alarm",
    )

    def as_merge_patch(self) -> dict[str, Any]:
        """The members the request named, with its nulls, as JSON values."""
        return self.model_dump(mode="json", exclude_unset=True)


def _read_only(description: str) -> Any:
    return Field(description=description, json_schema_extra={"readOnly": True})


class QuietHoursOut(OutModel):
    start: ClockTime
    end: ClockTime


class OpeningHoursOut(OutModel):
    days: dict[str, tuple[ClockTime, ClockTime]] = Field(
        description="ISO weekday (1 = Monday) -> [opens, closes]; a missing day is closed"
    )


class EffectiveTemplateOut(OutModel):
    text: str
    overridden: bool


class SettingsOut(OutModel):
    version: int = _read_only("send it back as If-Match (the ETag) with a change")
    tenant_id: str = _read_only("read-only")
    phone_number: str = _read_only("read-only: the sending number is set at onboarding")
    name: str
    timezone: str
    locale: str
    contact: str
    quiet_hours: QuietHoursOut
    opening_hours: OpeningHoursOut
    reminder_offsets_minutes: list[int]
    daily_cap: int
    include_service_details: bool
    answer_stop: bool
    response_minutes: int
    queue_lease_minutes: int
    queue_retention_days: int
    fill_enabled: bool
    fill_min_notice_minutes: int
    fill_wave_size: int
    fill_wave_interval_minutes: int
    fill_match: FillMatch
    fill_horizon_days: int
    segment_price: float
    currency: str
    tune_out_per_1000: int
    templates: dict[str, dict[str, str]]
    effective_templates: dict[str, dict[str, EffectiveTemplateOut]] = _read_only(
        "the text each locale and kind sends: the override, or the default"
    )
    read_only: list[str] = _read_only("members a PATCH may not name")

    @classmethod
    def of(cls, view: SettingsView) -> SettingsOut:
        return cls(
            **view.tenant.model_dump(
                include={*EDITABLE, "tenant_id", "phone_number"},
                exclude={"quiet_hours", "opening_hours"},
            ),
            quiet_hours=QuietHoursOut(
                start=clock(view.tenant.quiet_hours.start), end=clock(view.tenant.quiet_hours.end)
            ),
            opening_hours=OpeningHoursOut(
                days={
                    str(day): (clock(opens), clock(closes))
                    for day, (opens, closes) in sorted(view.tenant.opening_hours.days.items())
                }
            ),
            version=view.version,
            effective_templates={
                locale: {
                    kind: EffectiveTemplateOut(text=t.text, overridden=t.overridden)
                    for kind, t in kinds.items()
                }
                for locale, kinds in view.effective.items()
            },
            read_only=list(READ_ONLY),
        )


def etag(version: int) -> str:
    return f'"{version}"'


_ETAG = re.compile(r'^\s*"(\d{1,15})"\s*$')


def version_of(if_match: str | None) -> int:
    """The settings version an If-Match names. A change must name one: without it (or with
    `*`, which would overwrite whatever is there) it is a 428; one that is not ours a 412."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        raise PreconditionRequired(
            "send If-Match with the ETag of the settings you read (GET /v1/settings)"
        )
    found = _ETAG.match(if_match)
    if found is None:
        raise PreconditionFailed("If-Match names no version of these settings")
    return int(found.group(1))
