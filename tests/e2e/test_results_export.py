"""Results through the local stack: a confirmation the sandbox phone received is counted in
GET /v1/stats' results with the segments the sender recorded, and GET /v1/stats/export
comes through the gateway as a CSV download with the same figures."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from twilio.rest import Client

from rendezvous.api.stats_export import columns
from tests.e2e.conftest import Api, book, in_days, wait_for_texts
from tests.support.local_stack import Tenant

pytestmark = pytest.mark.e2e


def test_a_text_sent_is_in_the_results_and_the_export_says_the_same(
    api: Api, twilio: Client, clinic: Tenant, customer: str, morning: datetime
) -> None:
    book(api, clinic, customer, in_days(morning, clinic, 3))
    wait_for_texts(twilio, customer, 1)

    # The shared stack's clock runs on while other tests' texts come and go at the edges of
    # the day: the export is compared with stats read just before and just after it, and
    # the three are read again until the two stats agree (nothing moved meanwhile).
    for _ in range(5):
        stats = api.request("GET", "/v1/stats?days=1", clinic.staff_token)
        export = api.request("GET", "/v1/stats/export?days=1", clinic.manager_token)
        after = api.request("GET", "/v1/stats?days=1", clinic.staff_token)
        if stats.status_code != 200 or stats.json()["rates"] == after.json()["rates"]:
            break
    refused = api.request("GET", "/v1/stats/export?days=1", clinic.booking_token)

    assert stats.status_code == 200, stats.text
    results = stats.json()
    [confirmations] = [g for g in results["by_kind"] if g["key"] == "confirmation"]
    assert confirmations["sent"] >= 1
    # The sender recorded each text's segments; the results read them back from the records.
    assert confirmations["segments"] >= confirmations["sent"]
    assert export.status_code == 200, export.text
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert export.headers["Content-Disposition"] == (
        f'attachment; filename="rendezvous-stats-{clinic.tenant_id}-1d.csv"'
    )
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == columns()
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    [texts] = [r for r in table if r["group"] == "texts"]
    assert results["rates"] == after.json()["rates"]
    assert int(texts["sent"]) == results["rates"]["texts"]["sent"]
    assert int(texts["segments"]) == results["rates"]["texts"]["segments"]
    assert refused.status_code == 403
