"""The waitlist listing a wave of a slot with no named service reads, on moto tables made
from template.yaml: the no-preference entries alone, in one Query."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.models import Customer
from rendezvous.domain.vacancy import WaitlistEntry, WaitlistStatus
from rendezvous.runtime import Runtime
from tests.integration.test_vacancy_api import dynamodb_calls, vacancies
from tests.support.aws import at

LISTED = at("2030-01-09T09:00:00-08:00")


def test_the_no_preference_listing_is_one_query_of_those_entries_alone(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    wants = {"w-0": "Cleaning", "w-1": None, "w-2": "Whitening", "w-3": None, "w-4": None}
    for n, (entry_id, service) in enumerate(wants.items()):
        vacancies(runtime).put_entry(
            WaitlistEntry(
                tenant_id="clinic-1",
                entry_id=entry_id,
                customer=Customer(phone=f"+1415555{n:04d}", name=f"Customer {n}"),
                service=service,
                listed_at=LISTED + timedelta(minutes=n),
                status=WaitlistStatus.OFFERED if entry_id == "w-4" else WaitlistStatus.WAITING,
            ),
            expected_version=None,
        )

    with dynamodb_calls(runtime) as calls:
        first, cursor = vacancies(runtime).waiting_without_preference("clinic-1", 1, None)
    rest, end = vacancies(runtime).waiting_without_preference("clinic-1", 5, cursor)

    assert [e.entry_id for e in first] == ["w-1"]
    assert [e.entry_id for e in rest] == ["w-3"]  # w-4 has an offer open
    assert end is None
    assert calls == Counter({"Query": 1})
