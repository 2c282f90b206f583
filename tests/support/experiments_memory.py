"""The ExperimentStore port in memory, over MemoryStore's tenants and appointments, with the
DynamoDB adapter's conditions (a taken id or slot, a stopped experiment, moved settings)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.experiments import Experiment, ExperimentStatus
from rendezvous.domain.models import Appointment, Tenant, experiment_slot
from rendezvous.domain.ports import ExperimentMembership, WinnerTemplates
from tests.support.memory import MemoryActivityLog, MemoryStore


@dataclass
class Member:
    variant: str
    at: datetime
    texts: set[str]


@dataclass
class MemoryExperiments:
    store: MemoryStore
    log: MemoryActivityLog
    experiments: dict[tuple[str, str], Experiment] = field(default_factory=dict)
    members: dict[tuple[str, str], dict[str, Member]] = field(default_factory=dict)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.store.get_tenant(tenant_id)

    def start_experiment(self, experiment: Experiment) -> None:
        tenant = self.store.tenants[experiment.tenant_id]
        slot = experiment_slot(experiment.kind.value, experiment.locale)
        key = (experiment.tenant_id, experiment.experiment_id)
        if key in self.experiments or slot in tenant.experiments:
            raise ConcurrentModification("experiment exists or its slot is taken")
        self.experiments[key] = experiment
        running = {**tenant.experiments, slot: experiment.running}
        self.store.tenants[tenant.tenant_id] = tenant.model_copy(update={"experiments": running})

    def get_experiment(self, tenant_id: str, experiment_id: str) -> Experiment | None:
        return self.experiments.get((tenant_id, experiment_id))

    def list_experiments(self, tenant_id: str) -> list[Experiment]:
        mine = [e for (t, _), e in self.experiments.items() if t == tenant_id]
        return sorted(mine, key=lambda e: (e.started_at, e.experiment_id), reverse=True)

    def stop_experiment(self, stopped: Experiment, winner: WinnerTemplates | None) -> None:
        key = (stopped.tenant_id, stopped.experiment_id)
        tenant = self.store.tenants[stopped.tenant_id]
        if self.experiments[key].status is not ExperimentStatus.RUNNING:
            raise ConcurrentModification("no longer running")
        if winner is not None and tenant.settings_version != winner.expected_version:
            raise ConcurrentModification("the settings changed")
        slot = experiment_slot(stopped.kind.value, stopped.locale)
        running = {k: v for k, v in tenant.experiments.items() if k != slot}
        changes: dict[str, object] = {"experiments": running}
        if winner is not None:
            changes |= {
                "templates": winner.templates,
                "settings_version": winner.expected_version + 1,
            }
            self.log.append(stopped.tenant_id, winner.audit)
        self.experiments[key] = stopped
        self.store.tenants[tenant.tenant_id] = tenant.model_copy(update=changes)

    def join_experiment(
        self,
        tenant_id: str,
        experiment_id: str,
        appointment_id: str,
        *,
        variant: str,
        text: str,
        at: datetime,
    ) -> None:
        members = self.members.setdefault((tenant_id, experiment_id), {})
        member = members.setdefault(appointment_id, Member(variant, at, set()))
        member.texts.add(text)

    def experiment_members(self, tenant_id: str, experiment_id: str) -> ExperimentMembership:
        members = self.members.get((tenant_id, experiment_id), {})
        texts: Counter[str] = Counter()
        for member in members.values():
            texts[member.variant] += len(member.texts)
        return ExperimentMembership(
            variants={a: m.variant for a, m in members.items()}, texts=dict(texts)
        )

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]:
        return self.store.appointments(tenant_id, ids)
