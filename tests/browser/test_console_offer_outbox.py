"""A waitlist offer's text whose retries ran out, in the console: the outbox and the
managers' list of failed texts name it as a waitlist offer, and "Send them again" sends it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import HTTP_TIMEOUT, ConsoleTab, StaffMember, texts_to
from tests.browser.test_console import advance, stack_now
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

OpenConsole = Callable[..., ConsoleTab]


def test_an_offer_text_whose_retries_ran_out_reads_as_a_waitlist_offer_and_is_sent_again(
    console: OpenConsole, stack: LocalStackProcess, clinic: Tenant, manager: StaffMember
) -> None:
    number = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    service = f"svc-{uuid.uuid4().hex[:10]}"  # offered to this test's entry alone
    zone = ZoneInfo(clinic.timezone)
    local = stack_now(stack).astimezone(zone)
    ten = datetime.combine(local.date() + timedelta(days=1), time(10, 0), tzinfo=zone)
    advance(stack, (ten - stack_now(stack)).total_seconds() / 60)
    booking = {"Authorization": f"Bearer {clinic.booking_token}"}
    listed = requests.put(
        stack.url(f"/v1/waitlist/wl-{uuid.uuid4().hex[:10]}"),
        headers=booking,
        json={"customer": {"phone": number, "name": "Omar Wait"}, "service": service},
        timeout=HTTP_TIMEOUT,
    )
    assert listed.status_code == 201, listed.text
    faults = f"{stack.twilio_base_url}/sandbox/faults"
    requests.post(faults, json={"status": 503, "count": 1000}, timeout=HTTP_TIMEOUT)
    try:
        opened = requests.post(
            stack.url("/v1/openings"),
            headers=booking,
            json={"starts_at": (ten + timedelta(days=2)).isoformat(), "service": service},
            timeout=HTTP_TIMEOUT,
        )
        assert opened.status_code == 201, opened.text
        advance(stack, 10)  # every retry of the offer's text, 90 s apart
    finally:
        requests.delete(faults, timeout=HTTP_TIMEOUT)
    tab = console()
    page = tab.page
    tab.sign_in(manager)
    tab.show_view("queue")

    outbox = page.get_by_role("table", name="Automated texts due soon")
    row = outbox.get_by_role("row").filter(has_text="Omar Wait")
    expect(row).to_contain_text("Waitlist offer")
    expect(row).to_contain_text("failed (retries exhausted)")
    page.get_by_role("button", name="Send them again (Manage)").click()
    failed = page.get_by_role("table", name="Texts whose retries ran out")
    expect(failed.get_by_role("row").filter(has_text="Omar Wait")).to_contain_text("Waitlist offer")
    tab.screenshot("27-manage-failed-offer")
    page.get_by_role("button", name="Send them again", exact=True).click()

    wait_for(lambda: texts_to(stack, number) or None, timeout=10, what="the offer sent again")
    expect(failed.get_by_role("row").filter(has_text="Omar Wait")).to_have_count(0, timeout=15_000)
    assert len(texts_to(stack, number)) == 1
