"""Twenty waitlisted customers all take the same opening at the same moment, through the
local stack: one appointment, one confirmation, nineteen "just taken" texts, and nobody
texted anything twice.

The local stack runs one function invocation at a time (infra/local/functions.py: one
lock, as each Lambda container would see its module state), so here the twenty inbound
webhooks arrive together but are handled one after the other: this proves the whole path
(offer, reply, take, texts) under a burst, not the conditional write under true
concurrency. tests/integration/test_vacancy_take_race.py races the take itself, twenty
threads against moto's server.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from twilio.rest import Client

from tests.e2e.conftest import Api, in_days, wait_for_texts
from tests.e2e.vacancy import (
    all_reply_at_once,
    book_with_service,
    fill_settings,
    first_wave,
    isolated_service,
    listed_around,
    opening,
    opening_replacing,
    phones,
    reply,
    texts_by_number,
    wait_for_each,
    waitlist,
)
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = pytest.mark.e2e

TAKERS = 20


def test_twenty_takers_at_once_make_one_appointment_and_nineteen_kind_refusals(
    stack: LocalStackProcess,
    api: Api,
    twilio: Client,
    clinic: Tenant,
    customer: str,
    morning: object,
) -> None:
    service = isolated_service()
    takers = phones(0, TAKERS)
    with fill_settings(api, clinic, fill_wave_size=TAKERS, fill_match="service"):
        entries = {waitlist(api, clinic, phone, service): phone for phone in takers}
        starts_at = in_days(api.clock(), clinic, 3)
        cancelled = book_with_service(api, clinic, customer, starts_at, service)
        wait_for_texts(twilio, customer, 1)

        reply(stack, clinic, customer, "X")
        offered = opening_replacing(api, clinic, cancelled)
        first_wave(api, twilio, takers)
        offers = wait_for_each(twilio, takers, 1)
        assert all(len(t) == 1 for t in offers.values()), {n: len(t) for n, t in offers.items()}

        answers = all_reply_at_once(stack, clinic, takers, "Y")

    failures = [a for a in answers if isinstance(a, BaseException)]
    assert not failures, failures
    opening_id = offered["opening_id"]
    filled = wait_for(
        lambda: o if (o := opening(api, clinic, opening_id))["status"] == "filled" else None,
        timeout=10,
        what=f"{opening_id} filled",
    )
    winner_entry = filled["filled_by_entry"]
    winner = entries[winner_entry]
    appointment_id = f"fill-{opening_id}"
    assert filled["filled_appointment_id"] == appointment_id

    texts = wait_for_each(twilio, takers, 2)
    created = api.request("GET", f"/v1/appointments/{appointment_id}", clinic.booking_token)
    assert created.status_code == 200, created.text
    appointment = created.json()
    assert appointment["customer"]["phone"] == winner
    assert appointment["service"] == service
    assert appointment["starts_at"] == cancelled["starts_at"]
    confirmations = [m for m in appointment["messages"] if m["kind"] == "confirmation"]
    assert len(confirmations) == 1, appointment["messages"]

    # Every number: its offer, then one answer; the winner's is its confirmation.
    assert {n: len(t) for n, t in texts.items()} == dict.fromkeys(takers, 2)
    winner_texts = texts[winner]
    assert winner_texts[1].sid == confirmations[0]["sid"]
    offer_bodies = {t[0].body for t in texts.values()}
    taken_bodies = {t[1].body for n, t in texts.items() if n != winner}
    assert len(taken_bodies) == 1, taken_bodies  # the same kind text to all nineteen
    assert taken_bodies.isdisjoint(offer_bodies | {winner_texts[1].body})

    # Nobody else got an appointment out of it: the slot's day holds one for the takers.
    around = listed_around(api, clinic, starts_at)
    assert [a["appointment_id"] for a in around if a["customer"]["phone"] in takers] == [
        appointment_id
    ]
    # The other entries stay on the list; the winner's is closed.
    for entry_id in entries:
        got = api.request("GET", f"/v1/waitlist/{entry_id}", clinic.booking_token)
        assert got.status_code == 200, got.text
        assert (got.json()["status"] == "filled") == (entry_id == winner_entry), got.json()

    # And nothing more arrives once the burst is over (no late duplicate).
    api.advance(1)
    later = texts_by_number(twilio, takers)
    assert {n: [m.sid for m in t] for n, t in later.items()} == {
        n: [m.sid for m in t] for n, t in texts.items()
    }

    # The winner's reminders survived the nineteen who lost: the first one, when due,
    # goes to the winner, and to nobody else. (Handled one at a time here, the losers
    # never plan the winner's schedules; the integration race pins that they cannot
    # delete them when they do.)
    first = min(
        (m for m in appointment["messages"] if m["kind"].startswith("reminder_")),
        key=lambda m: m["send_at"],
    )
    api.advance_to(datetime.fromisoformat(first["send_at"]) + timedelta(minutes=1))
    reminded = wait_for_each(twilio, [winner], 3)
    after = texts_by_number(twilio, takers)
    assert {n: len(t) for n, t in after.items()} == {n: 3 if n == winner else 2 for n in takers}
    sent = api.request("GET", f"/v1/appointments/{appointment_id}", clinic.booking_token).json()
    [status] = [m for m in sent["messages"] if m["kind"] == first["kind"]]
    assert status["sid"] == reminded[winner][2].sid
