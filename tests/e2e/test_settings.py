"""Settings over HTTP through the local gateway: the ETag it answers is the If-Match a
change must carry, and a change made on an older read is refused.

Signed in with the salon's staff token until roles arrive; then with a manager's (staff
get 403 on /v1/settings, CONTRACT.md, Roles). The salon's queue retention is changed and
put back, which no other test reads.
"""

from __future__ import annotations

from tests.e2e.conftest import Api
from tests.support.local_stack import Tenant


def test_a_change_carries_the_etag_it_was_made_on_and_a_stale_one_is_412(
    api: Api, salon: Tenant
) -> None:
    read = api.request("GET", "/v1/settings", salon.staff_token)
    assert read.status_code == 200, read.text
    etag, retention = read.headers["ETag"], read.json()["queue_retention_days"]

    changed = api.request(
        "PATCH",
        "/v1/settings",
        salon.staff_token,
        headers={"If-Match": etag},
        json={"queue_retention_days": retention + 1},
    )
    stale = api.request(
        "PATCH",
        "/v1/settings",
        salon.staff_token,
        headers={"If-Match": etag},
        json={"queue_retention_days": retention + 2},
    )
    restored = api.request(
        "PATCH",
        "/v1/settings",
        salon.staff_token,
        headers={"If-Match": changed.headers["ETag"]},
        json={"queue_retention_days": retention},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["queue_retention_days"] == retention + 1
    assert changed.headers["ETag"] != etag
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert restored.status_code == 200, restored.text
    assert restored.json()["queue_retention_days"] == retention
