"""Template experiments: a manager's variants of one kind of text in one language, tried
side by side on the tenant's appointments (assignment: experiment_stats.variant_of).

While an experiment runs, every text of its kind and locale is written with the variant
its appointment is assigned, and records which (`<experiment>/<variant>` on the text).
At most one experiment runs per kind and locale. Stopping one may make a variant the
tenant's template for that kind and locale.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from rendezvous.domain.models import Locale, MessageKind


class ExperimentStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


class Variant(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # short, lower case: "plain", "cost"
    template: str


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
