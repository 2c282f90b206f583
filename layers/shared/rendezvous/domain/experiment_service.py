"""Template experiments as managers run them: start one, read it with its report, stop it
(making a variant the tenant's template, if they choose one).

Storage: each experiment is an item of its own (its history and its members stay when it
stops), and while it runs the tenant record carries it in a slot per kind and locale
(`Tenant.experiments`). The sender reads the tenant for every text anyway, so a running
experiment costs a text no extra read, and a tenant with none costs nothing. The slot is
also what keeps one experiment per kind and locale: starting writes it on condition that
it is free, in the same transaction as the experiment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, timedelta

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import ConcurrentModification, Conflict, InvalidFields, NotFound
from rendezvous.domain.experiment_report import ExperimentReport, report_of
from rendezvous.domain.experiments import Experiment, ExperimentStatus, Variant
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import MessageKind, Tenant, experiment_slot
from rendezvous.domain.ports import ActivityReader, ExperimentStore, TemplateRules, WinnerTemplates
from rendezvous.domain.staff import StaffMember
from rendezvous.domain.tenant_settings import (
    TEMPLATE_KINDS,
    changed_paths,
    template_text_problems,
)


@dataclass(frozen=True)
class Started:
    experiment: Experiment
    # False: the same definition was PUT before (a retry), and this is that experiment.
    created: bool


@dataclass
class ExperimentService:
    store: ExperimentStore
    activity: ActivityReader
    rules: TemplateRules
    clock: Clock

    def start(
        self,
        manager: StaffMember,
        experiment_id: str,
        *,
        kind: MessageKind,
        locale: str,
        description: str,
        variants: tuple[Variant, ...],
    ) -> Started:
        if kind not in TEMPLATE_KINDS:
            kinds = ", ".join(k.value for k in TEMPLATE_KINDS)
            raise InvalidFields([("kind", f"experiments are for the template kinds: {kinds}")])
        tenant = self._tenant(manager.tenant_id)
        candidate = Experiment.model_validate(
            {
                "tenant_id": manager.tenant_id,
                "experiment_id": experiment_id,
                "kind": kind,
                "locale": locale,
                "description": description,
                "variants": variants,
                "started_at": self.clock.now(),
                "started_by": manager.staff_id,
            }
        )
        problems = [
            (f"variants.{n}.template", problem)
            for n, variant in enumerate(variants)
            for problem in template_text_problems(
                tenant, locale, kind, variant.template, self.rules
            )
        ]
        if problems:
            raise InvalidFields(problems)
        existing = self.store.get_experiment(manager.tenant_id, experiment_id)
        if existing is not None:
            return self._again(existing, candidate)
        running = tenant.experiments.get(experiment_slot(kind.value, locale))
        if running is not None:
            raise Conflict(
                f"experiment {running.experiment_id} is running for {kind.value} texts in "
                f"{locale}: stop it first"
            )
        try:
            self.store.start_experiment(candidate)
        except ConcurrentModification:
            # Another start got there first: this same PUT retried, or another experiment.
            existing = self.store.get_experiment(manager.tenant_id, experiment_id)
            if existing is not None:
                return self._again(existing, candidate)
            raise Conflict(
                f"another experiment started for {kind.value} texts in {locale} meanwhile"
            ) from None
        return Started(candidate, created=True)

    @staticmethod
    def _again(existing: Experiment, candidate: Experiment) -> Started:
        if not existing.same_definition(candidate):
            raise Conflict(
                f"experiment {existing.experiment_id} exists with another definition: "
                "choose another id"
            )
        return Started(existing, created=False)

    def experiments(self, tenant_id: str) -> list[Experiment]:
        return self.store.list_experiments(tenant_id)

    def experiment(self, tenant_id: str, experiment_id: str) -> Experiment:
        found = self.store.get_experiment(tenant_id, experiment_id)
        if found is None:
            raise NotFound(f"no experiment {experiment_id}")
        return found

    def report(self, experiment: Experiment) -> ExperimentReport:
        """One paged Query of the members, BatchGetItem of their appointments, and the
        log's days since it started for the opt-outs its texts drew."""
        members = self.store.experiment_members(experiment.tenant_id, experiment.experiment_id)
        appointments = self.store.appointments(experiment.tenant_id, sorted(members.variants))
        return report_of(
            experiment,
            members.variants,
            appointments.values(),
            self._opt_outs(experiment),
            texts_by_variant=members.texts,
        )

    def _opt_outs(self, experiment: Experiment) -> dict[str, int]:
        """Opt-outs that answered a text of the experiment, by variant: the log's
        TEXT_RECEIVED entries of its days whose answered_variant is one of its labels."""
        prefix = f"{experiment.experiment_id}/"
        first = experiment.started_at.astimezone(UTC).date()
        last = (experiment.stopped_at or self.clock.now()).astimezone(UTC).date()
        counts: Counter[str] = Counter()
        day = first
        while day <= last:
            for entry in self.activity.day(experiment.tenant_id, day.isoformat()):
                label = entry.answered_variant or ""
                if entry.acted_on() is Intent.OPT_OUT and label.startswith(prefix):
                    counts[label.removeprefix(prefix)] += 1
            day += timedelta(days=1)
        return dict(counts)

    def stop(self, manager: StaffMember, experiment_id: str, winner: str | None) -> Experiment:
        """Stop it; with a winner, that variant's words become the tenant's template for the
        kind and locale (a settings change) in the same write. The same stop again answers
        what the first did; another stop of a stopped experiment is a conflict."""
        experiment = self.experiment(manager.tenant_id, experiment_id)
        chosen = experiment.variant(winner) if winner is not None else None
        if winner is not None and chosen is None:
            names = ", ".join(experiment.variant_names)
            raise InvalidFields([("winner", f"{winner!r} is not a variant of it ({names})")])
        if experiment.status is ExperimentStatus.STOPPED:
            return self._stopped_again(experiment, winner)
        now = self.clock.now()
        stopped = experiment.model_copy(
            update={
                "status": ExperimentStatus.STOPPED,
                "stopped_at": now,
                "stopped_by": manager.staff_id,
                "winner": winner,
            }
        )
        change: WinnerTemplates | None = None
        if chosen is not None:
            tenant = self._tenant(manager.tenant_id)
            kind, locale = experiment.kind, experiment.locale
            problems = template_text_problems(tenant, locale, kind, chosen.template, self.rules)
            if problems:
                raise InvalidFields([("winner", p) for p in problems])
            before = tenant.templates
            after = tenant.with_template(locale, kind.value, chosen.template).templates
            change = WinnerTemplates(
                templates=after,
                expected_version=tenant.settings_version,
                audit=ActivityEntry(
                    event=ActivityEvent.SETTINGS_CHANGED,
                    actor=manager.staff_id,
                    at=now,
                    changes=changed_paths({"templates": before}, {"templates": after}),
                    settings_version=tenant.settings_version + 1,
                    reason=f"experiment {experiment_id} stopped: {winner} won",
                ),
            )
        try:
            self.store.stop_experiment(stopped, change)
        except ConcurrentModification:
            # Stopped meanwhile (this stop retried, or another), or the settings moved on.
            again = self.experiment(manager.tenant_id, experiment_id)
            if again.status is ExperimentStatus.STOPPED:
                return self._stopped_again(again, winner)
            raise Conflict("the settings changed while stopping it: try again") from None
        return stopped

    @staticmethod
    def _stopped_again(experiment: Experiment, winner: str | None) -> Experiment:
        if experiment.winner != winner:
            raise Conflict(
                f"experiment {experiment.experiment_id} was stopped with winner "
                f"{experiment.winner or 'none'}"
            )
        return experiment

    def _tenant(self, tenant_id: str) -> Tenant:
        tenant = self.store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound("tenant not configured")
        return tenant
