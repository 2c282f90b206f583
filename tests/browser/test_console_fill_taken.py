"""The fill, as the front desk sees it once it happened: a published opening is offered to
the waitlisted customer, who answers Y from the sandbox phone; the console's fill view
shows the opening filled and taken by that customer, and their offer as the one that
took it."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import HTTP_TIMEOUT, StaffApi, StaffMember, text_the_business
from tests.browser.test_console_fill import OpenConsole, run_the_first_wave, virtual_now
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

# +1 415 555 75xx: numbers no other browser test texts.
WAITING = f"+14155557{500 + uuid.uuid4().int % 100:03d}"


def offered(api: StaffApi, staff: StaffMember, opening_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] = api.get(f"/v1/openings/{opening_id}", staff.token)
    return found if found.get("offers") else None


def test_the_fill_view_shows_who_took_an_opening(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Filling {uuid.uuid4().hex[:6]}"
    listed = staff_api.request(
        "PUT",
        f"/v1/waitlist/wl-{uuid.uuid4().hex[:10]}",
        clinic.booking_token,
        json={"customer": {"phone": WAITING, "name": "Rosa Díaz"}, "service": service},
    )
    assert listed.status_code == 201, listed.text
    zone = ZoneInfo(clinic.timezone)
    day = virtual_now(stack).astimezone(zone).date() + timedelta(days=2)
    starts = datetime.combine(day, time(10, 30), tzinfo=zone)
    published = staff_api.request(
        "POST",
        "/v1/openings",
        clinic.booking_token,
        json={"starts_at": starts.isoformat(), "duration_minutes": 30, "service": service},
    )
    assert published.status_code in (200, 201), published.text
    opening_id = published.json()["opening_id"]
    # The first wave runs once the stack's clock passes its schedule; its offer is open
    # from then on, even if quiet hours hold its text back.
    run_the_first_wave(stack)
    wait_for(lambda: offered(staff_api, staff, opening_id), timeout=15, what="the offer")

    text_the_business(stack, clinic, WAITING, "Y")
    filled = wait_for(
        lambda: (
            o
            if (o := staff_api.get(f"/v1/openings/{opening_id}", staff.token))["status"] == "filled"
            else None
        ),
        timeout=15,
        what=f"{opening_id} filled",
    )
    tab = console()
    tab.sign_in(staff)

    tab.show_view("fill")

    row = tab.page.locator(f'#fill-openings-rows tr[data-opening-row="{opening_id}"]')
    expect(row).to_contain_text(service)
    expect(row.locator("td").nth(2)).to_contain_text("Filled")
    expect(row.locator("td[data-taken]")).to_contain_text("Rosa Díaz")
    row.get_by_role("button", name="Offers").click()
    offer = tab.page.locator(f'.fill-offers-row li[data-offer="{filled["filled_by_entry"]}"]')
    expect(offer).to_contain_text("Rosa Díaz")
    expect(offer).to_contain_text("took it")
    tab.screenshot("fill-taken")
    assert tab.problems == []
    answer = requests.get(
        stack.url(f"/v1/appointments/{filled['filled_appointment_id']}"),
        headers={"Authorization": f"Bearer {clinic.booking_token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["customer"]["phone"] == WAITING
