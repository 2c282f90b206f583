"""POST/GET/DELETE /v1/openings at their edges, through the appointments function's real
handler against moto: ids Rendezvous keeps for itself, the tenant's horizon, withdrawing,
and query values answered as every bad value is (a 422 naming it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import offer_key, opening_key, waitlist_key
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.vacancy import OfferStatus, OpeningStatus, WaitlistStatus
from rendezvous.runtime import Runtime
from tests.integration.test_offers import (  # noqa: F401
    OPENING,
    open_slot,
    phone,
    queued,
    send_all,
    texts_to,
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


# -- withdrawing ---------------------------------------------------------------------------


def _wave(n: int) -> Any:
    return invoke(
        "VacancyFillerFunction", {"tenant_id": "clinic-1", "opening_id": OPENING, "wave": n}
    )


def test_a_withdrawn_opening_ends_its_offers_and_a_y_wins_nothing(
    runtime: Runtime,
    vacancies: DynamoVacancies,  # noqa: F811
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    for n in (1, 2):
        wait(vacancies, clock, n)
    open_slot(vacancies, clock)
    _wave(1)
    first, second = sorted(queued(outbound), key=lambda r: r.recipient_key)
    runtime.sender().deliver(first)  # the first offer text went out; the second not yet

    status, withdrawn = call("DELETE", f"/v1/openings/{OPENING}", role="staff")
    runtime.sender().deliver(second)
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))
    send_all(runtime, outbound)

    assert (status, withdrawn["status"], withdrawn["withdrawn_at"]) == (
        200,
        "withdrawn",
        "2030-01-10T17:00:00Z",
    )
    detail = vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    assert detail.opening.status is OpeningStatus.WITHDRAWN
    assert detail.opening.filled_appointment_id is None
    # e1's Y came after the withdrawal ended its offer: told once that the slot is gone.
    assert {o.entry_id: o.status for o in detail.offers} == {
        "e1": OfferStatus.LOST,
        "e2": OfferStatus.EXPIRED,
    }
    assert [t for t in texts_to(twilio, phone(1)) if "is taken." in t] != []
    reasons = {o.entry_id: o.message_reason for o in detail.offers}
    assert reasons["e2"] == "opening_withdrawn"
    assert len(texts_to(twilio, phone(2))) == 0
    for n in (1, 2):
        entry = vacancies.get_entry("clinic-1", f"e{n}")
        assert entry is not None
        assert entry.status is WaitlistStatus.WAITING
        recipient = runtime.store().get_recipient("clinic-1", phone(n))
        offer = recipient.waitlist_offer if recipient else None
        assert offer is None or offer.ended_at is not None  # kept, ended, for a late Y
    # A wave planned before the withdrawal stops, and does not call it expired.
    assert _wave(2)["outcome"] == "stopped"
    assert call("GET", f"/v1/openings/{OPENING}")[1]["status"] == "withdrawn"
    # Again: the same answer, nothing changed.
    again = call("DELETE", f"/v1/openings/{OPENING}", role="booking")
    assert (again[0], again[1]["version"]) == (200, withdrawn["version"])


def test_a_filled_opening_cannot_be_withdrawn(
    runtime: Runtime,
    vacancies: DynamoVacancies,  # noqa: F811
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    open_slot(vacancies, clock)
    _wave(1)
    send_all(runtime, outbound)
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))

    status, answer = call("DELETE", f"/v1/openings/{OPENING}", role="manager")

    assert (status, answer["error"]["code"]) == (409, "conflict")
    assert "cancel that appointment" in answer["error"]["message"]
    assert call("GET", f"/v1/openings/{OPENING}")[1]["status"] == "filled"


def test_withdrawing_an_unknown_opening_is_a_404(store: DynamoAppointmentStore) -> None:
    assert call("DELETE", "/v1/openings/nothing-here")[0] == 404


# -- how long it is all kept -----------------------------------------------------------------


def test_openings_offers_and_filled_entries_are_forgotten_90_days_after_they_end(
    runtime: Runtime,
    vacancies: DynamoVacancies,  # noqa: F811
    clock: FixedClock,
    outbound: Any,
    twilio: Client,
) -> None:
    wait(vacancies, clock, 1)
    opening = open_slot(vacancies, clock)
    _wave(1)
    send_all(runtime, outbound)
    invoke("TwilioInboundFunction", inbound("Y", sender=phone(1)))

    slot_plus_90 = int((opening.starts_at + timedelta(days=90)).timestamp())
    stored_opening = vacancies._get(opening_key("clinic-1", OPENING))
    stored_offer = vacancies._get(offer_key("clinic-1", OPENING, "e1"))
    stored_entry = vacancies._get(waitlist_key("clinic-1", "e1"))
    assert stored_opening is not None
    assert stored_offer is not None
    assert stored_entry is not None
    assert stored_opening["expires_at"] == slot_plus_90
    assert stored_offer["expires_at"] == slot_plus_90
    assert stored_entry["status"] == "filled"
    assert stored_entry["expires_at"] == int((clock.now() + timedelta(days=90)).timestamp())
