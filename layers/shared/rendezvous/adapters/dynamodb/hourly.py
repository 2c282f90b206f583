"""The HourlyRuns port: one conditional write claims a job's hour; a GetItem asks whether
it was claimed."""

from __future__ import annotations

from datetime import datetime, timedelta

from rendezvous.adapters.dynamodb.table import TableRepository

# Long enough that a late run never finds its hour's claim gone; the TTL sweeps the rest.
KEPT = timedelta(days=2)


class DynamoHourlyRuns(TableRepository):
    def first_run_of_hour(self, job: str, hour: str) -> bool:
        expires = datetime.fromisoformat(f"{hour}:00:00+00:00") + KEPT
        return self._put_new(
            {"pk": f"RUN#{job}", "sk": hour, "expires_at": int(expires.timestamp())}
        )

    def ran_in_hour(self, job: str, hour: str) -> bool:
        return self._get({"pk": f"RUN#{job}", "sk": hour}) is not None
