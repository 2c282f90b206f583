"""The fill view as the front desk uses it: who waits for a slot (add someone, remove them),
the openings with their state, the offers they made and who took one; and the week's fill
figures in the stats panel. Set up through the same API a booking system calls."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import HTTP_TIMEOUT, ConsoleTab, StaffApi, StaffMember, accessible
from tests.support.local_stack import LocalStackProcess, Tenant

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

OpenConsole = Callable[..., ConsoleTab]
# +1 415 555 07xx: numbers no other browser test texts.
_numbers = itertools.count(1)


def a_number() -> str:
    return f"+14155550{700 + next(_numbers):03d}"


def virtual_now(stack: LocalStackProcess) -> datetime:
    answer = requests.get(stack.url("/_local/clock"), timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["now"])


def run_the_first_wave(stack: LocalStackProcess) -> None:
    """An opening's first wave is a one-time schedule a minute ahead (domain/offers.py
    SCHEDULE_LEAD), which the local stack fires when its clock passes it."""
    moved = requests.post(
        stack.url("/_local/clock/advance"), json={"minutes": 2}, timeout=HTTP_TIMEOUT * 3
    )
    assert moved.status_code == 200, moved.text


def list_someone(api: StaffApi, clinic: Tenant, name: str, service: str) -> dict[str, Any]:
    entry_id = f"wl-{uuid.uuid4().hex[:10]}"
    answer = api.request(
        "PUT",
        f"/v1/waitlist/{entry_id}",
        clinic.booking_token,
        json={"customer": {"phone": a_number(), "name": name}, "service": service},
    )
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_waitlist_shows_who_waits_for_what_and_the_desk_adds_and_removes_people(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Whitening {uuid.uuid4().hex[:4]}"
    listed = list_someone(staff_api, clinic, "Léa Martin", service)
    tab = console()
    tab.sign_in(staff)

    tab.show_view("fill")

    row = tab.page.locator(f'#fill-waitlist-rows tr[data-entry-row="{listed["entry_id"]}"]')
    expect(row).to_contain_text("Léa Martin")
    expect(row).to_contain_text(service)
    expect(row).to_contain_text("Waiting")

    phone = a_number()
    view = tab.page.get_by_role("form", name="Add to the list")
    view.get_by_label("Name", exact=True).fill("Noor Haddad")
    view.get_by_label("Mobile number").fill(phone)
    view.get_by_label("Service (optional)").fill(service)
    view.get_by_role("button", name="Add", exact=True).click()

    added = tab.page.locator("#fill-waitlist-rows tr", has_text="Noor Haddad")
    expect(added).to_contain_text(phone)
    page = staff_api.get("/v1/waitlist?limit=100", staff.token)
    assert any(e["customer"]["phone"] == phone for e in page["entries"])

    remove = added.get_by_role("button", name="Remove Noor Haddad from the list")
    remove.click()

    # Remove asks first, as the day view's cancel does; keeping them changes nothing.
    dialog = tab.page.get_by_role("dialog", name="Remove Noor Haddad from the waiting list?")
    expect(dialog).to_be_visible()
    tab.screenshot("fill-remove-dialog")
    dialog.get_by_role("button", name="Keep on the list").click()
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()
    expect(added).to_have_count(1)
    remove.click()
    dialog.get_by_role("button", name="Yes, remove").click()

    expect(tab.page.locator("#fill-message")).to_have_text("Noor Haddad is off the list.")
    expect(added).to_have_count(0)
    tab.screenshot("fill-waitlist")
    assert tab.problems == []


def test_the_openings_show_their_state_offers_and_who_took_one(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Checkup {uuid.uuid4().hex[:4]}"
    starts = (virtual_now(stack) + timedelta(days=3)).replace(microsecond=0)
    published = staff_api.request(
        "POST",
        "/v1/openings",
        clinic.booking_token,
        json={"starts_at": starts.isoformat(), "duration_minutes": 30, "service": service},
    )
    assert published.status_code in (200, 201), published.text
    opening_id = published.json()["opening_id"]
    tab = console()
    tab.sign_in(staff)

    tab.show_view("fill")

    row = tab.page.locator(f'#fill-openings-rows tr[data-opening-row="{opening_id}"]')
    expect(row).to_contain_text(service)
    # Its state and where it came from, in words that cannot read as "cancelled": offered
    # at once when someone waits for that service, else still open.
    expect(row.locator("td").nth(2)).to_have_text(re.compile(r"^(Open|Offered) — published slot$"))
    # Each Offers button is named after its opening's time, so a screen reader tells them apart.
    when = row.locator("td time").inner_text()
    button = row.get_by_role("button", name=f"Offers for the {when} opening", exact=True)
    names = tab.page.locator("#fill-openings-rows button[data-opening]").evaluate_all(
        "(buttons) => buttons.map((b) => b.getAttribute('aria-label'))"
    )
    assert len(set(names)) == len(names), names
    button.click()

    expect(button).to_have_attribute("aria-expanded", "true")
    expect(button).to_be_focused()
    detail = staff_api.get(f"/v1/openings/{opening_id}", staff.token)
    offers = tab.page.locator(".fill-offers-row")
    if detail.get("offers"):
        expect(offers.locator("li")).to_have_count(len(detail["offers"]))
    else:
        expect(offers).to_contain_text("No offer sent yet.")
    tab.screenshot("fill-openings")
    assert tab.problems == []


def test_the_desk_withdraws_a_slot_it_filled_by_phone_by_keyboard_after_a_question(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Cleaning {uuid.uuid4().hex[:4]}"
    starts = (virtual_now(stack) + timedelta(days=4)).replace(microsecond=0)
    published = staff_api.request(
        "POST",
        "/v1/openings",
        clinic.booking_token,
        json={"starts_at": starts.isoformat(), "duration_minutes": 30, "service": service},
    )
    assert published.status_code in (200, 201), published.text
    opening_id = published.json()["opening_id"]
    tab = console()
    tab.sign_in(staff)
    tab.show_view("fill")
    row = tab.page.locator(f'#fill-openings-rows tr[data-opening-row="{opening_id}"]')
    when = row.locator("td time").inner_text()
    withdraw = row.get_by_role("button", name=f"Withdraw the {when} opening", exact=True)

    withdraw.focus()
    tab.page.keyboard.press("Enter")

    # It asks first, the safe answer focused; keeping it changes nothing.
    dialog = tab.page.get_by_role("dialog", name=f"Withdraw the {when} slot?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Offers already sent end, and no more go out.")
    keep = dialog.get_by_role("button", name="Keep offering")
    expect(keep).to_be_focused()
    tab.page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(withdraw).to_be_focused()
    assert staff_api.get(f"/v1/openings/{opening_id}", staff.token)["status"] in ("open", "offered")

    tab.page.keyboard.press("Enter")
    expect(keep).to_be_focused()
    tab.page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Yes, withdraw")).to_be_focused()
    accessible(tab.page, "fill-withdraw-dialog")
    tab.page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(row.locator("td").nth(2)).to_have_text("Withdrawn — published slot")
    expect(withdraw).to_have_count(0)
    expect(tab.page.locator("#fill-openings-heading")).to_be_focused()
    expect(tab.page.locator("#fill-message")).to_have_text(
        f"The {when} slot is withdrawn; no more offers go out."
    )
    assert staff_api.get(f"/v1/openings/{opening_id}", staff.token)["status"] == "withdrawn"
    accessible(tab.page, "fill-withdrawn")
    assert tab.problems == []


def test_the_stats_panel_shows_the_fill_figures_in_the_console_s_language(
    console: OpenConsole, staff: StaffMember, staff_api: StaffApi
) -> None:
    stats = staff_api.get("/v1/stats?days=7", staff.token)
    tab = console()
    tab.sign_in(staff)

    tab.show_view("queue")

    panel = tab.page.locator("#stats")
    for label, value in [
        ("Openings", stats["fill"]["openings"]),
        ("Offers sent", stats["fill"]["offers_sent"]),
        ("Filled", stats["fill"]["filled"]),
        ("Expired unfilled", stats["fill"]["expired_unfilled"]),
    ]:
        stat = panel.locator(".stat").filter(has=tab.page.get_by_text(label, exact=True))
        expect(stat.locator("dd")).to_have_text(str(value))
    expect(panel.get_by_text("Median time to fill", exact=True)).to_be_visible()

    tab.page.locator("#locale-select").select_option("fr")

    expect(panel).to_contain_text("Offres envoyées")
    expect(panel).to_contain_text("Expirés sans preneur")
    assert tab.problems == []


def test_the_fill_view_fits_a_phone_s_width(
    console: OpenConsole, staff: StaffMember, staff_api: StaffApi, clinic: Tenant
) -> None:
    list_someone(staff_api, clinic, "Maximilian Alexander-Worthington", "Whitening")
    tab = console(viewport={"width": 390, "height": 844})
    tab.sign_in(staff)

    tab.show_view("fill")

    expect(tab.page.locator("#fill-waitlist-rows tr").first).to_be_visible()
    # The tables scroll inside their box; the page itself never scrolls sideways.
    assert tab.page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    tab.screenshot("fill-390")
    assert tab.problems == []
