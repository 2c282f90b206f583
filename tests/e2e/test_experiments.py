"""A template experiment end to end through the local stack: a manager starts it, bookings
are texted each in their appointment's variant (the sandbox phone shows both wordings, each
as variant_of says), outcomes are recorded, the report counts them, the manager stops it
with a winner, and the next confirmation is written in the winner's words.

On the shared stack the experiment is the clinic's Spanish confirmation, which no other
test sends (their customers have no locale: the clinic's is English), so nothing else
reads a variant or the winner's words.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from twilio.rest import Client

from rendezvous.domain.experiment_stats import variant_of
from tests.e2e.conftest import Api, in_days, new_appointment_id, wait_for_texts
from tests.support.local_stack import Tenant

PLAIN = "{business}: {first_name}, cita {when}. Responda C para confirmar, X para cancelar."
COST = (
    "{business}: {first_name}, cita {when}. Una cita perdida deja a otra persona sin "
    "atencion. Responda C para confirmar, X para cancelar."
)
NAMES = ["plain", "cost"]
MARK = "cita perdida"  # in the cost variant's words only


def numbers() -> list[str]:
    """+1 415 555 80xx: a block no other test texts (08xx is test_nothing_lost's, which
    asserts its numbers received nothing before its outage ends)."""
    return [f"+141555580{n:02d}" for n in range(20)]


def spanish_booking(phone: str, starts_at: datetime) -> dict[str, Any]:
    return {
        "customer": {"phone": phone, "name": "Lucia Gomez", "locale": "es"},
        "starts_at": starts_at.isoformat(),
        "duration_minutes": 30,
    }


def book(api: Api, clinic: Tenant, appointment_id: str, phone: str, starts_at: datetime) -> None:
    answer = api.request(
        "PUT",
        f"/v1/appointments/{appointment_id}",
        clinic.booking_token,
        json=spanish_booking(phone, starts_at),
    )
    assert answer.status_code == 201, answer.text


def ids_for_both_arms(per_arm: int) -> list[str]:
    """Fresh appointment ids, `per_arm` of each variant by variant_of."""
    chosen: dict[str, list[str]] = {name: [] for name in NAMES}
    while any(len(ids) < per_arm for ids in chosen.values()):
        appointment_id = new_appointment_id()
        arm = chosen[variant_of(experiment_id(), appointment_id, NAMES)]
        if len(arm) < per_arm:
            arm.append(appointment_id)
    return chosen["plain"] + chosen["cost"]


_RUN = new_appointment_id().removeprefix("e2e-")


def experiment_id() -> str:
    """One experiment id per run of the suite (a stack is fresh per session anyway)."""
    return f"es-words-{_RUN}"


def test_an_experiment_runs_end_to_end_and_its_winner_becomes_the_words(
    api: Api, clinic: Tenant, twilio: Client, morning: datetime
) -> None:
    # The clinic's 10:00, clear of quiet hours; the visits at 11:30 the same day.
    starts = in_days(morning, clinic, 0, time(11, 30))

    started = api.request(
        "PUT",
        f"/v1/experiments/{experiment_id()}",
        clinic.manager_token,
        json={
            "kind": "confirmation",
            "locale": "es",
            "description": "¿Decir lo que cuesta una cita perdida reduce las ausencias?",
            "variants": [
                {"name": "plain", "template": PLAIN},
                {"name": "cost", "template": COST},
            ],
        },
    )
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "running"

    phones = numbers()
    ids = ids_for_both_arms(3)
    for appointment_id, phone in zip(ids, phones, strict=False):
        book(api, clinic, appointment_id, phone, starts)

    for appointment_id, phone in zip(ids, phones, strict=False):
        [text] = wait_for_texts(twilio, phone, 1)
        variant = variant_of(experiment_id(), appointment_id, NAMES)
        assert (MARK in text.body) is (variant == "cost"), (variant, text.body)
        assert text.body.startswith(f"{clinic.name}: Lucia, cita ")
    bodies = {t.body for p in phones[: len(ids)] for t in twilio.messages.list(to=p)}
    assert any(MARK in b for b in bodies)
    assert any(MARK not in b for b in bodies)

    # The visits happen: the first two of each arm missed, the third came.
    api.advance_to(starts + timedelta(minutes=45))
    outcomes = ["no_show", "no_show", "attended"] * 2
    for appointment_id, outcome in zip(ids, outcomes, strict=True):
        recorded = api.request(
            "POST",
            f"/v1/appointments/{appointment_id}/outcome",
            clinic.booking_token,
            json={"outcome": outcome},
        )
        assert recorded.status_code == 200, recorded.text

    read = api.request("GET", f"/v1/experiments/{experiment_id()}", clinic.manager_token)
    assert read.status_code == 200, read.text
    report = read.json()["report"]
    arms = {arm["variant"]: arm for arm in report["arms"]}
    for name in NAMES:
        assert arms[name]["appointments"] == 3
        assert arms[name]["texts"] == 3
        assert (arms[name]["with_outcome"], arms[name]["no_show"]) == (3, 2)
        assert arms[name]["no_show_rate"] == 0.6667
    assert report["verdict"] == "not_yet_meaningful"
    assert report["note"].startswith("Not yet meaningful: 3 of 100")

    stopped = api.request(
        "POST",
        f"/v1/experiments/{experiment_id()}/stop",
        clinic.manager_token,
        json={"winner": "cost"},
    )
    again = api.request(
        "POST",
        f"/v1/experiments/{experiment_id()}/stop",
        clinic.manager_token,
        json={"winner": "cost"},
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["winner"] == "cost"
    assert again.status_code == 200
    assert again.json() == stopped.json()
    settings = api.request("GET", "/v1/settings", clinic.manager_token)
    assert settings.json()["templates"]["es"]["confirmation"] == COST

    after = new_appointment_id()
    # An id whose hash would have picked plain: the winner's words, whatever the hash says.
    while variant_of(experiment_id(), after, NAMES) != "plain":
        after = new_appointment_id()
    book(api, clinic, after, phones[len(ids)], starts + timedelta(hours=3))
    [text] = wait_for_texts(twilio, phones[len(ids)], 1)
    assert MARK in text.body
    listed = api.request("GET", "/v1/experiments", clinic.manager_token)
    assert listed.status_code == 200, listed.text
    [mine] = [e for e in listed.json()["experiments"] if e["experiment_id"] == experiment_id()]
    assert (mine["status"], mine["winner"]) == ("stopped", "cost")
