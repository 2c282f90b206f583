"""What /v1/experiments takes and gives. The rules a template must keep (its words, its
length for a long-named first-time customer) are the settings' own, applied by the domain
(rendezvous.domain.experiment_service); the shapes and bounds are here, so the OpenAPI
document shows them.

Every member of an answer is present, null when it has no value (a running experiment's
`stopped_at`, a report's `leader` before there is one): the console reads them by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rendezvous.api.staff import OutModel
from rendezvous.domain.experiment_report import ExperimentReport, Metric, Verdict
from rendezvous.domain.experiments import Experiment, ExperimentStatus, Variant
from rendezvous.domain.models import Locale, MessageKind
from rendezvous.domain.tenant_settings import TEMPLATE_MAX

VARIANT_NAME = r"^[a-z0-9][a-z0-9-]{0,19}$"
DESCRIPTION_MAX = 200
ExperimentKind = Literal["confirmation", "reminder", "reminder_confirmed", "moved"]


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(
        pattern=VARIANT_NAME,
        description="1-20 lower-case letters, digits or '-', starting with a letter or digit",
        examples=["plain"],
    )
    template: str = Field(
        min_length=1,
        max_length=TEMPLATE_MAX,
        description="the words, as a settings template of the kind (placeholders, rules)",
    )


class ExperimentIn(BaseModel):
    """An experiment to start. The first variant is the control."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: ExperimentKind
    locale: Locale
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    variants: list[VariantIn] = Field(min_length=2, max_length=4)

    @field_validator("variants")
    @classmethod
    def _distinct_names(cls, variants: list[VariantIn]) -> list[VariantIn]:
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be distinct")
        return variants

    def domain_variants(self) -> tuple[Variant, ...]:
        return tuple(Variant(name=v.name, template=v.template) for v in self.variants)

    @property
    def message_kind(self) -> MessageKind:
        return MessageKind(self.kind)


class StopIn(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    winner: str | None = Field(
        default=None,
        max_length=20,
        description="the variant whose words become the tenant's template; null for none",
    )


class VariantOut(OutModel):
    name: str
    template: str
    control: bool


class ExperimentOut(OutModel):
    experiment_id: str
    kind: str
    locale: str
    description: str
    status: ExperimentStatus
    variants: list[VariantOut]
    started_at: datetime
    started_by: str
    stopped_at: datetime | None
    stopped_by: str | None
    winner: str | None

    @classmethod
    def of(cls, experiment: Experiment) -> ExperimentOut:
        return cls(
            experiment_id=experiment.experiment_id,
            kind=experiment.kind.value,
            locale=experiment.locale,
            description=experiment.description,
            status=experiment.status,
            variants=[
                VariantOut(name=v.name, template=v.template, control=v.name == experiment.control)
                for v in experiment.variants
            ],
            started_at=experiment.started_at,
            started_by=experiment.started_by,
            stopped_at=experiment.stopped_at,
            stopped_by=experiment.stopped_by,
            winner=experiment.winner,
        )


class ExperimentsOut(OutModel):
    experiments: list[ExperimentOut] = Field(description="newest first")


Rate = Annotated[float | None, Field(description="a fraction 0..1 (4 places); null: 0 of 0")]


class ArmOut(OutModel):
    variant: str
    appointments: int = Field(
        description="its members: appointments assigned the variant (written just before "
        "their first text is sent) whose appointment was read"
    )
    texts: int
    confirmed: int
    confirmation_rate: Rate
    with_outcome: int
    no_show: int
    no_show_rate: Rate
    opt_outs: int


class ComparisonOut(OutModel):
    variant: str
    metric: Metric
    difference: float | None = Field(description="the variant's rate minus the control's")
    low: float | None
    high: float | None
    meaningful: bool


class ReportOut(OutModel):
    arms: list[ArmOut]
    comparisons: list[ComparisonOut] = Field(description="each variant against the control")
    confidence: float
    min_per_arm: int
    verdict: Verdict
    leader: str | None = Field(description="the best arm on no_show_rate when verdict=winner")
    note: str = Field(
        description="the verdict in words, ending with the warning that stopping at the "
        "first winner while reading it again and again picks false winners"
    )

    @classmethod
    def of(cls, report: ExperimentReport) -> ReportOut:
        return cls(
            arms=[ArmOut(**vars(arm)) for arm in report.arms],
            comparisons=[
                ComparisonOut(
                    variant=c.variant,
                    metric=c.metric,
                    difference=c.difference,
                    low=c.low,
                    high=c.high,
                    meaningful=c.meaningful,
                )
                for c in report.comparisons
            ],
            confidence=report.confidence,
            min_per_arm=report.min_per_arm,
            verdict=report.verdict,
            leader=report.leader,
            note=report.note,
        )


class ExperimentReportOut(ExperimentOut):
    report: ReportOut
