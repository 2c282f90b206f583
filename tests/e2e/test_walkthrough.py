"""The README's walkthrough, its own shell commands run against the local stack, at hours
of the Los Angeles day where an earlier version of it never reached the 48-hour reminder."""

from __future__ import annotations

import itertools
import re
import subprocess
from datetime import datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from zoneinfo import ZoneInfo

import pytest
import requests
from twilio.rest import Client

from infra.template import ROOT
from tests.e2e.conftest import Api, wait_for_texts
from tests.e2e.vacancy import fill_settings
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = pytest.mark.e2e

README = (ROOT / "README.md").read_text(encoding="utf-8")
README_API = "http://127.0.0.1:3000"
README_PHONE = "+14155550123"
README_ID = "first-visit"
COMMAND_TIMEOUT = 30.0
_runs = itertools.count(1)


def booking_script() -> str:
    """The first shell block after the walkthrough's opening sentence."""
    start = README.index("Book an appointment four days from now")
    match = re.compile(r"```sh\n(.*?)```", re.S).search(README, start)
    assert match is not None, "the walkthrough's booking commands are gone from the README"
    return match.group(1)


def advance_command() -> str:
    """Step 2's command."""
    step = README[README.index("2. Move time forward") :]
    match = re.search(r"`(curl [^`]*/_local/clock/advance[^`]*)`", step)
    assert match is not None, "step 2's clock command is gone from the README"
    return match.group(1)


def run(script: str, stack: LocalStackProcess, cwd: Path) -> str:
    """A README script as a reader would run it, pointed at the test's stack."""
    script = script.replace(README_API, stack.api_base_url)
    answer = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout


@pytest.fixture(scope="module")
def reader_dir(stack: LocalStackProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkout as the reader has it: `.local/credentials.json` where `make run` puts it."""
    folder = tmp_path_factory.mktemp("reader")
    (folder / ".local").symlink_to(stack.local_dir)
    return folder


@pytest.mark.parametrize("hour", [0, 6, 9, 10, 12, 17, 22])
def test_the_walkthrough_reaches_the_72_hour_reminder_at_any_hour_in_los_angeles(
    hour: int,
    api: Api,
    stack: LocalStackProcess,
    clinic: Tenant,
    twilio: Client,
    reader_dir: Path,
) -> None:
    la = ZoneInfo("America/Los_Angeles")
    local = api.clock().astimezone(la)
    target = datetime.combine(local.date(), time(hour, 20), tzinfo=la)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour, 20), tzinfo=la)
    api.advance_to(target)
    # A number and an id of its own, so each hour's run is alone in its thread.
    phone = f"+14155550{300 + next(_runs):03d}"
    appointment_id = f"walkthrough-{hour:02d}"
    booking = booking_script().replace(README_PHONE, phone).replace(README_ID, appointment_id)

    # One shell, as in the reader's terminal: step 2 uses the variables the booking set.
    run(f"{booking}\n{advance_command()}\n", stack, reader_dir)

    answer = api.request("GET", f"/v1/appointments/{appointment_id}", token=clinic.booking_token)
    assert answer.status_code == 200, answer.text
    status = {m["kind"]: m["status"] for m in answer.json()["messages"]}
    assert status["reminder_72h"] in {"queued", "sent", "delivered"}, status
    assert status["reminder_24h"] in {"planned", "deferred"}, status
    assert len(wait_for_texts(twilio, phone, 2)) == 2  # the confirmation and the reminder


README_SANDBOX = "http://127.0.0.1:3001"


def webhook_script() -> str:
    """The README's webhook commands in the order a reader runs them: the manager's token
    (Settings), the endpoint (Webhook endpoints), the receiver and its two failures."""
    blocks = re.compile(r"```sh\n(.*?)```", re.S).findall(README)
    manager = next(
        line for block in blocks for line in block.splitlines() if line.startswith("MANAGER=$(")
    )
    register = next(b for b in blocks if "SECRET=$(curl" in b)
    receiver = next(b for b in blocks if "sandbox/webhooks/harbor-clinic/config" in b)
    return f"{manager}\n{register}\n{receiver}"


def test_the_webhook_walkthrough_delivers_a_verified_event_after_two_failures(
    stack: LocalStackProcess, reader_dir: Path
) -> None:
    # Names of its own, so an endpoint or receiver another test made is not in the way.
    script = (
        webhook_script()
        .replace(README_SANDBOX, stack.twilio_base_url)
        .replace("front-desk", "readme-desk")
        .replace("/sandbox/webhooks/harbor-clinic", "/sandbox/webhooks/readme-desk")
        .replace("webhook-demo", "readme-webhook-demo")
        .replace("+14155550125", "+14155550399")
    )
    run(f"{booking_script()}\n{script}\n", stack, reader_dir)

    receiver = requests.get(
        f"{stack.twilio_base_url}/sandbox/webhooks/readme-desk", timeout=COMMAND_TIMEOUT
    ).json()
    cancelled = [
        a for a in receiver["arrivals"] if '"appointment_id":"readme-webhook-demo"' in a["body"]
    ]
    assert [a["answered"] for a in cancelled] == [503, 503, 200], cancelled
    assert all(a["verified"] for a in cancelled), cancelled  # the secret the 201 showed
    assert len({a["webhook_id"] for a in cancelled}) == 1


def waitlist_script() -> str:
    """The waitlist walkthrough's one shell block."""
    start = README.index("### Try the waitlist (at any hour)")
    match = re.compile(r"```sh\n(.*?)```", re.S).search(README, start)
    assert match is not None, "the waitlist walkthrough's commands are gone from the README"
    return match.group(1)


@pytest.mark.parametrize("hour", [3, 10, 22])
def test_the_waitlist_walkthrough_fills_the_slot_at_any_hour_in_los_angeles(
    hour: int,
    api: Api,
    stack: LocalStackProcess,
    clinic: Tenant,
    reader_dir: Path,
) -> None:
    la = ZoneInfo("America/Los_Angeles")
    local = api.clock().astimezone(la)
    target = datetime.combine(local.date(), time(hour, 20), tzinfo=la)
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour, 20), tzinfo=la)
    api.advance_to(target)
    # Ids, numbers and a receiver of its own, so each hour's run is alone.
    run_id = next(_runs)
    script = waitlist_script().replace(README_SANDBOX, stack.twilio_base_url)
    # A service of this run's own: on the shared stack, other tests' openings (whose waves
    # run at the same 08:00) would otherwise offer their slots to Ben and Cleo first, who
    # wait for any slot, and hold them; the README's fresh stack has no other openings.
    service = f"walk-{hour}-{run_id}"
    for old, new in (
        ('"name": "Ben Okafor"}}', f'"name": "Ben Okafor"}}, "service": "{service}"}}'),
        ('"name": "Cleo Martin"}}', f'"name": "Cleo Martin"}}, "service": "{service}"}}'),
        ('"name": "Dana Kim"}, ', f'"name": "Dana Kim"}}, "service": "{service}", '),
        ("dana-visit", f"dana-{hour}"),
        ("waitlist-desk", f"waitlist-desk-{hour}"),
        ("/v1/waitlist/ben", f"/v1/waitlist/ben-{hour}"),
        ("/v1/waitlist/cleo", f"/v1/waitlist/cleo-{hour}"),
        ("+14155550131", f"+14155551{run_id:03d}"),
        ("+14155550132", f"+14155552{run_id:03d}"),
        ("+14155550133", f"+14155553{run_id:03d}"),
    ):
        assert old in script, f"the README's walkthrough no longer has {old!r}"
        script = script.replace(old, new)

    # Other tests' people who wait for any slot suit this slot too and were listed first:
    # a wave wide enough reaches this run's two as well.
    with fill_settings(api, clinic, fill_wave_size=50):
        run(script, stack, reader_dir)

    opening = api.request("GET", f"/v1/openings/op-dana-{hour}-v2", token=clinic.booking_token)
    assert opening.status_code == 200, opening.text
    found = opening.json()
    assert (found["status"], found.get("filled_by_entry")) == ("filled", f"ben-{hour}"), str(found)
    # Delivery is asynchronous (the outbox's pipe, then the deliverer): poll to a deadline.
    deadline = monotonic() + COMMAND_TIMEOUT
    while True:
        receiver = requests.get(
            f"{stack.twilio_base_url}/sandbox/webhooks/waitlist-desk-{hour}",
            timeout=COMMAND_TIMEOUT,
        ).json()
        heard = [re.search(r'"type":"([a-z_.]+)"', a["body"]) for a in receiver["arrivals"]]
        types = {m.group(1) for m in heard if m}
        if {"appointment.created", "opening.filled"} <= types or monotonic() > deadline:
            break
        sleep(0.2)
    assert {"appointment.created", "opening.filled"} <= types, types
    assert all(a["verified"] for a in receiver["arrivals"])
    cleo = api.request("GET", f"/v1/waitlist/cleo-{hour}", token=clinic.booking_token).json()
    assert cleo["status"] == "waiting"
    # The tenant may hold 10 endpoints, and the other webhook tests need room for theirs.
    gone = api.request("DELETE", f"/v1/webhooks/waitlist-desk-{hour}", clinic.manager_token)
    assert gone.status_code in (200, 204), gone.text
