"""Template experiments: a manager's variants of one kind of text in one language, tried
side by side on the tenant's appointments (assignment: experiment_stats.variant_of).

While an experiment runs, every text of its kind and locale is written with the variant
its appointment is assigned, and records which (`<experiment>/<variant>` on the text).
At most one experiment runs per kind and locale. Stopping one may make a variant the
tenant's template for that kind and locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rendezvous.domain.experiment_stats import variant_of
from rendezvous.domain.models import (
    Appointment,
    Locale,
    MessageKind,
    RunningExperiment,
    Tenant,
    Variant,
    experiment_slot,
    written_as,
)

__all__ = ["Assignment", "Experiment", "ExperimentStatus", "Variant", "assignment_for"]


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


class Experiment(BaseModel):
    """One experiment. Its first variant is the control the others are compared with."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    experiment_id: str
    kind: MessageKind
    locale: Locale
    description: str = ""
    variants: tuple[Variant, ...]
    status: ExperimentStatus = ExperimentStatus.RUNNING
    started_at: datetime
    started_by: str
    stopped_at: datetime | None = None
    stopped_by: str | None = None
    # The variant made the tenant's template when it stopped, if one was.
    winner: str | None = None

    @property
    def variant_names(self) -> list[str]:
        return [v.name for v in self.variants]

    @property
    def control(self) -> str:
        return self.variants[0].name

    def label(self, variant: str) -> str:
        """How a text records its variant: `<experiment>/<variant>`."""
        return f"{self.experiment_id}/{variant}"

    @property
    def running(self) -> RunningExperiment:
        """What the tenant record carries of it while it runs."""
        return RunningExperiment(experiment_id=self.experiment_id, variants=self.variants)

    def same_definition(self, other: Experiment) -> bool:
        """What a manager defines: the same again is a retry of the same PUT."""
        return (self.kind, self.locale, self.description, self.variants) == (
            other.kind,
            other.locale,
            other.description,
            other.variants,
        )

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


@dataclass(frozen=True)
class Assignment:
    """The variant one text is written with: its appointment's, by variant_of."""

    experiment_id: str
    variant: Variant
    kind: MessageKind
    locale: str

    @property
    def label(self) -> str:
        return f"{self.experiment_id}/{self.variant.name}"

    def tenant_for(self, tenant: Tenant) -> Tenant:
        """The tenant as this text sees it: the variant's words as its template for the
        kind and locale, so the renderer writes it as it writes any override."""
        return tenant.with_template(self.locale, self.kind.value, self.variant.template)


def assignment_for(tenant: Tenant, kind: str, appointment: Appointment) -> Assignment | None:
    """The variant a text of `kind` to `appointment` is written with, if an experiment runs
    for the template and locale it is written in (models.written_as, the renderer's own
    choice). A moved text with no known old time is written as a confirmation (the
    renderer's fallback), so no `moved` experiment applies to it."""
    if not tenant.experiments:
        return None
    template, locale = written_as(kind, appointment, tenant)
    if template is MessageKind.MOVED and appointment.previous_starts_at is None:
        return None
    running = tenant.experiments.get(experiment_slot(template.value, locale))
    if running is None:
        return None
    names = [v.name for v in running.variants]
    chosen = variant_of(running.experiment_id, appointment.appointment_id, names)
    return Assignment(
        running.experiment_id, running.variants[names.index(chosen)], template, locale
    )
