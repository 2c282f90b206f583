"""POST/GET/DELETE /v1/openings at their edges, through the appointments function's real
handler against moto: ids Rendezvous keeps for itself, the tenant's horizon, withdrawing,
and query values answered as every bad value is (a 422 naming it)."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.runtime import Runtime
from tests.integration.test_offers import (  # noqa: F401
    OPENING,
    open_slot,
    phone,
    send_all,
    vacancies,
    wait,
)
from tests.integration.test_twilio_inbound import inbound
from tests.integration.test_vacancy_api import ANA, call, starter  # noqa: F401
from tests.support.events import invoke
from tests.support.memory import RecordingStarter

SLOT = "2030-01-13T10:00:00-08:00"  # three days after the tests' clock


def _fields(answer: Any) -> list[str]:
    return [d["field"] for d in answer["error"]["details"]]


# -- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("opening_id", ["op-appt-1-v2", "op-anything", "fill-op-appt-1-v2"])
def test_a_published_id_in_rendezvouss_own_namespace_is_a_422_naming_opening_id(
    store: DynamoAppointmentStore, opening_id: str
) -> None:
    status, answer = call("POST", "/v1/openings", {"opening_id": opening_id, "starts_at": SLOT})

    assert (status, _fields(answer)) == (422, ["opening_id"])
    assert call("GET", f"/v1/openings/{opening_id}")[0] == 404


def test_a_published_id_can_no_longer_block_a_cancel(
    store: DynamoAppointmentStore,
    starter: RecordingStarter,  # noqa: F811
) -> None:
    booked = {"customer": ANA, "starts_at": "2030-01-12T10:00:00-08:00", "service": "Cleaning"}
    assert call("PUT", "/v1/appointments/appt-1", booked)[0] == 201
    call("POST", "/v1/openings", {"opening_id": "op-appt-1-v2", "starts_at": SLOT})

    cancelled = call("DELETE", "/v1/appointments/appt-1")

    assert cancelled[0] == 200
    assert call("GET", "/v1/openings/op-appt-1-v2")[1]["source"] == "cancellation"


def test_the_id_rendezvous_gave_a_slot_posts_again_as_a_retry(
    store: DynamoAppointmentStore,
    starter: RecordingStarter,  # noqa: F811
) -> None:
    first, made = call("POST", "/v1/openings", {"starts_at": SLOT})

    again = call("POST", "/v1/openings", {"opening_id": made["opening_id"], "starts_at": SLOT})

    assert made["opening_id"].startswith("op-b-")
    assert (first, again[0], again[1]["opening_id"]) == (201, 200, made["opening_id"])


# -- the horizon ---------------------------------------------------------------------------


def test_a_slot_beyond_the_tenants_horizon_is_a_422_naming_starts_at(
    store: DynamoAppointmentStore,
    starter: RecordingStarter,  # noqa: F811
) -> None:
    # The clock reads 2030-01-10 09:00 in LA; the horizon is 14 days.
    far = call(
        "POST", "/v1/openings", {"opening_id": "far", "starts_at": "2030-01-24T09:01:00-08:00"}
    )
    edge = call(
        "POST", "/v1/openings", {"opening_id": "edge", "starts_at": "2030-01-24T09:00:00-08:00"}
    )

    assert (far[0], _fields(far[1])) == (422, ["starts_at"])
    assert "fill_horizon_days" in far[1]["error"]["details"][0]["problem"]
    assert edge[0] == 201
    assert call("GET", "/v1/openings/far")[0] == 404
    assert [o.opening_id for o in starter.started] == ["edge"]


# -- query values --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/openings", "/v1/waitlist"])
def test_an_unknown_status_is_a_422_naming_status(store: DynamoAppointmentStore, path: str) -> None:
    status, answer = call("GET", path, query={"status": "bogus"})

    assert (status, _fields(answer)) == (422, ["status"])


def test_an_empty_status_lists_every_status(
    store: DynamoAppointmentStore,
    starter: RecordingStarter,  # noqa: F811
) -> None:
    call("POST", "/v1/openings", {"opening_id": "s-1", "starts_at": SLOT})
    call("PUT", "/v1/waitlist/w-1", {"customer": ANA})

    openings = call("GET", "/v1/openings", query={"status": ""})
    entries = call("GET", "/v1/waitlist", query={"status": ""})

    assert (openings[0], [o["opening_id"] for o in openings[1]["openings"]]) == (200, ["s-1"])
    assert (entries[0], [e["entry_id"] for e in entries[1]["entries"]]) == (200, ["w-1"])


# -- the appointment a fill makes ----------------------------------------------------------


def test_the_appointment_a_fill_made_says_what_it_replaces(
    runtime: Runtime,
    vacancies: DynamoVacancies,  # noqa: F811
    clock: FixedClock,
    outbound: Any,
    twilio: Client,  # the sandbox the texts go to
) -> None:
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)  # freed by visit-1
    invoke("VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": OPENING, "wave": 1})
    send_all(runtime, outbound)
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert detail.opening.filled_appointment_id is not None

    status, appointment = call("GET", f"/v1/appointments/{detail.opening.filled_appointment_id}")

    assert (status, appointment["replaces"]) == (200, "visit-1")
    assert call("GET", "/v1/appointments/visit-1")[0] == 404  # never booked here: no replaces
