"""Template experiments and their members: the ExperimentStore port.

Keys (pk / sk):
  T#<tenant>#EXS          EX#<experiment>  an experiment, running or stopped (the list is
                                           one Query of this partition: a tenant has few)
  T#<tenant>#EX#<exp>     A#<appt>         a member: the appointment's variant, the first
                                           moment it was texted with it, and the set of
                                           its texts (`<kind>#<version>`) written with it
  T#<tenant>              TENANT           `experiments.<kind>/<locale>`: the running one
                                           (what the sender reads with the tenant)
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from rendezvous.adapters.dynamodb.activity import log_entry_put
from rendezvous.adapters.dynamodb.appointments import DynamoAppointments
from rendezvous.adapters.dynamodb.table import (
    iso,
    plain,
    query_all,
    serialize,
    tenant_key,
    transact,
    values_of,
)
from rendezvous.adapters.dynamodb.tenants import DynamoTenants
from rendezvous.domain.experiments import Experiment
from rendezvous.domain.models import experiment_slot
from rendezvous.domain.ports import ExperimentMembership, WinnerTemplates


def experiments_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#EXS"


def experiment_key(tenant_id: str, experiment_id: str) -> dict[str, str]:
    return {"pk": experiments_partition(tenant_id), "sk": f"EX#{experiment_id}"}


def members_partition(tenant_id: str, experiment_id: str) -> str:
    return f"T#{tenant_id}#EX#{experiment_id}"


class DynamoExperiments(DynamoTenants, DynamoAppointments):
    """The experiments, and the tenant and appointments a report reads with them."""

    def start_experiment(self, experiment: Experiment) -> None:
        tenant_id = experiment.tenant_id
        # A tenant written before experiments existed has no map to put a slot in; making
        # an empty one changes nothing else and may be repeated.
        self._db.update_item(
            TableName=self._table,
            Key=serialize(tenant_key(tenant_id)),
            UpdateExpression="SET experiments = if_not_exists(experiments, :none)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values_of({":none": {}}),
        )
        transact(
            self._db,
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": serialize(
                            {
                                **experiment_key(tenant_id, experiment.experiment_id),
                                **plain(experiment),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(tenant_key(tenant_id)),
                        "UpdateExpression": "SET experiments.#slot = :running",
                        "ConditionExpression": "attribute_not_exists(experiments.#slot)",
                        "ExpressionAttributeNames": {"#slot": _slot(experiment)},
                        "ExpressionAttributeValues": values_of(
                            {":running": plain(experiment.running)}
                        ),
                    }
                },
            ],
            f"experiment {experiment.experiment_id} exists or its kind and locale has one",
        )

    def get_experiment(self, tenant_id: str, experiment_id: str) -> Experiment | None:
        item = self._get(experiment_key(tenant_id, experiment_id))
        return Experiment.model_validate(item) if item else None

    def list_experiments(self, tenant_id: str) -> list[Experiment]:
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values_of({":pk": experiments_partition(tenant_id)}),
        )
        found = [Experiment.model_validate(i) for i in items]
        return sorted(found, key=lambda e: (e.started_at, e.experiment_id), reverse=True)

    def stop_experiment(self, stopped: Experiment, winner: WinnerTemplates | None) -> None:
        tenant_id = stopped.tenant_id
        names = {"#slot": _slot(stopped)}
        values: dict[str, Any] = {":id": stopped.experiment_id}
        update = "REMOVE experiments.#slot"
        condition = "experiments.#slot.experiment_id = :id"
        writes: list[Any] = []
        if winner is not None:
            update = "SET templates = :templates, settings_version = :next " + update
            values |= {
                ":templates": winner.templates,
                ":next": winner.expected_version + 1,
                ":expected": winner.expected_version,
            }
            condition += " AND settings_version = :expected"
            if winner.expected_version == 0:
                condition = (
                    "experiments.#slot.experiment_id = :id AND "
                    "(attribute_not_exists(settings_version) OR settings_version = :expected)"
                )
            writes.append({"Put": log_entry_put(self._table, tenant_id, winner.audit)})
        transact(
            self._db,
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(experiment_key(tenant_id, stopped.experiment_id)),
                        "UpdateExpression": "SET #status = :stopped, stopped_at = :at, "
                        "stopped_by = :by, winner = :winner",
                        "ConditionExpression": "#status = :running",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": values_of(
                            {
                                ":stopped": stopped.status.value,
                                ":running": "running",
                                ":at": iso(stopped.stopped_at) if stopped.stopped_at else None,
                                ":by": stopped.stopped_by,
                                ":winner": stopped.winner,
                            }
                        ),
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(tenant_key(tenant_id)),
                        "UpdateExpression": update,
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values_of(values),
                    }
                },
                *writes,
            ],
            f"experiment {stopped.experiment_id} is no longer running, or the settings changed",
        )

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
        self._db.update_item(
            TableName=self._table,
            Key=serialize(
                {"pk": members_partition(tenant_id, experiment_id), "sk": f"A#{appointment_id}"}
            ),
            UpdateExpression="SET #v = if_not_exists(#v, :v), #at = if_not_exists(#at, :at) "
            "ADD texts :text",
            ExpressionAttributeNames={"#v": "variant", "#at": "at"},
            ExpressionAttributeValues=values_of({":v": variant, ":at": iso(at), ":text": {text}}),
        )

    def experiment_members(self, tenant_id: str, experiment_id: str) -> ExperimentMembership:
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ProjectionExpression="sk, #v, texts",
            ExpressionAttributeNames={"#v": "variant"},
            ExpressionAttributeValues=values_of(
                {":pk": members_partition(tenant_id, experiment_id)}
            ),
        )
        variants: dict[str, str] = {}
        texts: Counter[str] = Counter()
        for item in items:
            variant = str(item["variant"])
            variants[str(item["sk"]).removeprefix("A#")] = variant
            texts[variant] += len(item.get("texts") or ())
        return ExperimentMembership(variants=variants, texts=dict(texts))


def _slot(experiment: Experiment) -> str:
    return experiment_slot(experiment.kind.value, experiment.locale)
