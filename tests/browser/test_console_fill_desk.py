"""The Waitlist view read by the front desk: counts that keep "waiting" and "offer open"
apart, which slot a person's open offer is for, an opted-out number flagged, a bad phone
number said in the console's words (en/fr/es), a free slot published from the view with
its problems next to its fields, and who took a slot a customer moved into by a digit.
Set up through the same API a booking system calls; axe on each main state."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    StaffApi,
    StaffMember,
    accessible,
    text_the_business,
    texts_to,
)
from tests.browser.test_console_fill import OpenConsole, run_the_first_wave, virtual_now
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

# +1 415 555 76xx: numbers no other browser test texts.
_numbers = itertools.count(1)


def a_number() -> str:
    return f"+14155557{600 + next(_numbers):03d}"


def list_someone(api: StaffApi, clinic: Tenant, name: str, service: str, phone: str) -> str:
    entry_id = f"wl-{uuid.uuid4().hex[:10]}"
    answer = api.request(
        "PUT",
        f"/v1/waitlist/{entry_id}",
        clinic.booking_token,
        json={"customer": {"phone": phone, "name": name}, "service": service},
    )
    assert answer.status_code == 201, answer.text
    return entry_id


def day_at(stack: LocalStackProcess, clinic: Tenant, days: int, hour: int, minute: int) -> datetime:
    zone = ZoneInfo(clinic.timezone)
    day = virtual_now(stack).astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def publish(api: StaffApi, clinic: Tenant, starts: datetime, service: str) -> str:
    answer = api.request(
        "POST",
        "/v1/openings",
        clinic.booking_token,
        json={"starts_at": starts.isoformat(), "duration_minutes": 30, "service": service},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["opening_id"])


def entry(api: StaffApi, staff: StaffMember, entry_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/v1/waitlist/{entry_id}", staff.token)
    return found


def test_counts_open_offers_and_an_opted_out_number_are_plain_on_the_list(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Polish {uuid.uuid4().hex[:6]}"
    offered_phone, stopped_phone = a_number(), a_number()
    offered = list_someone(staff_api, clinic, "Olga Offered", service, offered_phone)
    stopped = list_someone(staff_api, clinic, "Sam Stopped", f"Other {service}", stopped_phone)
    starts = day_at(stack, clinic, 3, 15, 45)
    opening_id = publish(staff_api, clinic, starts, service)
    run_the_first_wave(stack)
    wait_for(
        lambda: entry(staff_api, staff, offered)["status"] == "offered",
        timeout=15,
        what="the first wave's offer",
    )
    text_the_business(stack, clinic, stopped_phone, "STOP")
    wait_for(
        lambda: entry(staff_api, staff, stopped)["opted_out"],
        timeout=15,
        what="the STOP to opt the number out",
    )
    listed = staff_api.get("/v1/waitlist?limit=500", staff.token)
    assert listed.get("next_cursor") is None
    waiting = sum(e["status"] == "waiting" for e in listed["entries"])
    open_offers = sum(e["status"] == "offered" for e in listed["entries"])
    assert entry(staff_api, staff, offered)["offered_opening_id"] == opening_id
    tab = console()
    tab.sign_in(staff)

    tab.show_view("fill")

    page = tab.page
    expect(page.locator("#fill-waitlist-count")).to_have_text(
        f"{waiting} waiting · {open_offers} with an offer open"
    )
    offered_row = page.locator(f'#fill-waitlist-rows tr[data-entry-row="{offered}"]')
    when = page.locator(f'#fill-openings-rows tr[data-opening-row="{opening_id}"] td time')
    expect(offered_row.locator("td[data-state]")).to_have_text(
        f"Offer open for {when.inner_text()}"
    )
    stopped_row = page.locator(f'#fill-waitlist-rows tr[data-entry-row="{stopped}"]')
    expect(stopped_row).to_contain_text("Opted out (STOP): gets no offers")
    expect(offered_row.locator("[data-opted-out]")).to_have_count(0)
    tab.screenshot("fill-counts-offer-optout")

    page.locator("#locale-select").select_option("es")

    expect(page.locator("#fill-waitlist-count")).to_contain_text("con una oferta abierta")
    expect(stopped_row).to_contain_text("Dado de baja (STOP)")
    expect(offered_row.locator("td[data-state]")).to_contain_text("Oferta abierta para el")
    page.locator("#locale-select").select_option("en")

    # R13: the offer text is in the number's conversation, one click from the row.
    wait_for(
        lambda: any(
            o["message_status"] in ("queued", "sent", "delivered")
            for o in staff_api.get(f"/v1/openings/{opening_id}", staff.token)["offers"]
            if o["entry_id"] == offered
        ),
        timeout=15,
        what="the offer text to leave",
    )
    offered_row.get_by_role("button", name="Texts with Olga Offered").click()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("Automated text: Waitlist offer")
    expect(thread).to_contain_text("Reply Y")
    tab.screenshot("fill-offer-in-conversation")
    assert tab.problems == []


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "This is not a mobile number we can text."),
        ("fr", "Ce n’est pas un numéro de portable joignable par SMS."),
        ("es", "No es un número de móvil al que podamos enviar SMS."),
    ],
)
def test_a_bad_phone_number_is_said_next_to_its_field_in_the_console_s_words(
    console: OpenConsole, staff: StaffMember, locale: str, words: str
) -> None:
    tab = console()
    tab.sign_in(staff)
    tab.page.locator("#locale-select").select_option(locale)
    tab.show_view("fill")
    page = tab.page

    page.locator("#fill-add-name").fill("Jo Test")
    page.locator("#fill-add-phone").fill("555-12")
    page.locator("#fill-add-submit").click()

    phone = page.locator("#fill-add-phone")
    expect(page.locator("#fill-add-phone-error")).to_contain_text(words)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_be_focused()
    # Never the API's own wording (field paths, "E.164").
    expect(page.locator("#view-fill")).not_to_contain_text("E.164")
    expect(page.locator("#view-fill")).not_to_contain_text("customer.phone")
    expect(page.locator("#fill-add-error")).to_be_empty()
    tab.screenshot(f"fill-bad-phone-{locale}")
    assert tab.problems == []


def test_the_desk_publishes_a_free_slot_with_its_problems_next_to_its_fields(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Scale {uuid.uuid4().hex[:6]}"
    tab = console()
    tab.sign_in(staff)
    tab.show_view("fill")
    page = tab.page
    form = page.get_by_role("form", name="Publish a free slot")

    # In the past: said under the date before anything is sent.
    yesterday = day_at(stack, clinic, -1, 11, 15)
    form.get_by_label("Date").fill(yesterday.date().isoformat())
    form.get_by_label("Time").fill("11:15")
    form.get_by_role("button", name="Publish").click()
    expect(page.locator("#fill-pub-date-error")).to_have_text("That time has already passed.")
    expect(form.get_by_label("Date")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Date")).to_be_focused()
    # Too soon to offer (the API's 422 on starts_at): said in the console's words.
    soon = (virtual_now(stack) + timedelta(minutes=30)).astimezone(ZoneInfo(clinic.timezone))
    form.get_by_label("Date").fill(soon.date().isoformat())
    form.get_by_label("Time").fill(soon.strftime("%H:%M"))
    form.get_by_role("button", name="Publish").click()
    expect(page.locator("#fill-pub-date-error")).to_have_text(
        "This time can’t be offered: too soon for someone on the list to come, "
        "or further ahead than the waiting list is offered."
    )
    expect(page.locator("#view-fill")).not_to_contain_text("fill_min_notice_minutes")
    expect(form.get_by_label("Date")).to_be_focused()
    tab.screenshot("fill-publish-error")

    starts = day_at(stack, clinic, 4, 11, 15)
    form.get_by_label("Date").fill(starts.date().isoformat())
    form.get_by_label("Time").fill("11:15")
    form.get_by_label("Length in minutes (optional)").fill("45")
    form.get_by_label("Service (optional)").fill(service)
    form.get_by_role("button", name="Publish").click()

    expect(page.locator("#fill-message")).to_contain_text(
        "slot is published; the waiting list gets offers."
    )
    expect(page.locator("#fill-pub-date-error")).to_be_empty()
    row = page.locator("#fill-openings-rows tr", has_text=service)
    expect(row).to_have_count(1)
    expect(row.locator("td[data-state]")).to_have_text(
        re.compile(r"^(Open|Offered) — published slot$")
    )
    query = (
        f"from={quote(starts.isoformat())}&to={quote((starts + timedelta(hours=1)).isoformat())}"
    )
    found = staff_api.get(f"/v1/openings?{query}", staff.token)["openings"]
    [published] = [o for o in found if o["service"] == service]
    assert published["starts_at"].startswith(
        starts.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M")
    )
    assert (published["duration_minutes"], published["source"]) == (45, "booking")
    tab.screenshot("fill-published")
    assert tab.problems == []


def test_a_slot_a_customer_moved_into_names_them_and_where_they_came_from(
    console: OpenConsole,
    stack: LocalStackProcess,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
) -> None:
    service = f"Brace {uuid.uuid4().hex[:6]}"
    phone = a_number()
    booked = day_at(stack, clinic, 5, 10, 0)
    appointment_id = f"mv-{uuid.uuid4().hex[:10]}"
    made = staff_api.request(
        "PUT",
        f"/v1/appointments/{appointment_id}",
        clinic.booking_token,
        json={
            "customer": {"phone": phone, "name": "Omar Reyes"},
            "starts_at": booked.isoformat(),
            "duration_minutes": 30,
            "service": service,
        },
    )
    assert made.status_code == 201, made.text
    opening_id = publish(staff_api, clinic, day_at(stack, clinic, 3, 9, 0), service)
    cancelled_id = f"cx-{uuid.uuid4().hex[:10]}"
    booking = {
        "customer": {"phone": a_number(), "name": "Cleo Cancel"},
        "starts_at": day_at(stack, clinic, 6, 16, 30).isoformat(),
        "service": service,
    }
    put = staff_api.request(
        "PUT", f"/v1/appointments/{cancelled_id}", clinic.booking_token, json=booking
    )
    assert put.status_code == 201, put.text
    gone = staff_api.request("DELETE", f"/v1/appointments/{cancelled_id}", clinic.booking_token)
    assert gone.status_code == 200, gone.text
    window = day_at(stack, clinic, 6, 0, 0)
    query = f"from={quote(window.isoformat())}&to={quote((window + timedelta(days=1)).isoformat())}"

    def opened_by_cancel() -> str | None:
        found = staff_api.get(f"/v1/openings?{query}", staff.token)["openings"]
        return next((o["opening_id"] for o in found if o.get("replaces") == cancelled_id), None)

    freed_by_cancel = wait_for(opened_by_cancel, timeout=15, what="the cancellation's opening")

    text_the_business(stack, clinic, phone, "R")
    wait_for(
        lambda: any("reply 1 for" in t for t in texts_to(stack, phone)),
        timeout=15,
        what="R's free times",
    )
    text_the_business(stack, clinic, phone, "1")
    wait_for(
        lambda: staff_api.get(f"/v1/openings/{opening_id}", staff.token)["status"] == "filled",
        timeout=15,
        what="the digit to take the opening",
    )
    tab = console()
    tab.sign_in(staff)

    tab.show_view("fill")

    row = tab.page.locator(f'#fill-openings-rows tr[data-opening-row="{opening_id}"]')
    expect(row.locator("td[data-state]")).to_have_text("Filled — published slot")
    taken = row.locator("td[data-taken]")
    expect(taken).to_contain_text("Omar Reyes, moved from ")
    expect(taken).not_to_contain_text(appointment_id)
    # The slot the move freed is listed as such, never as "cancelled".
    freed = tab.page.locator(
        "#fill-openings-rows tr", has=tab.page.locator("td[data-state]", has_text="freed by a move")
    )
    expect(freed.first).to_be_visible()
    cancelled = tab.page.locator(f'#fill-openings-rows tr[data-opening-row="{freed_by_cancel}"]')
    expect(cancelled.locator("td[data-state]")).to_have_text(
        re.compile(r"^(Open|Offered) — from a cancellation$")
    )
    accessible(tab.page, "fill-taken-by-move")
    tab.screenshot("fill-taken-by-move")
    assert tab.problems == []


def test_a_long_waiting_list_says_it_shows_the_first_page_and_shows_the_rest(
    console: OpenConsole, staff: StaffMember, staff_api: StaffApi, clinic: Tenant
) -> None:
    # More than one page of the console's (200), whatever the other tests listed.
    service = f"Bulk {uuid.uuid4().hex[:6]}"
    for n in range(205):
        list_someone(staff_api, clinic, f"Bulk {n:03d}", service, f"+1415556{n:04d}")
    listed: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page_of = staff_api.get(f"/v1/waitlist?limit=500{cursor}", staff.token)
        listed += page_of["entries"]
        if not page_of.get("next_cursor"):
            break
        cursor = f"&cursor={quote(page_of['next_cursor'])}"
    shown_in_all = [e for e in listed if e["status"] != "removed"]
    tab = console()
    tab.sign_in(staff)

    tab.show_view("fill")

    page = tab.page
    rows = page.locator("#fill-waitlist-rows tr")
    more = page.get_by_role("button", name="Show more of the waiting list")
    expect(more).to_be_visible()
    first = rows.count()
    assert 0 < first <= 200
    expect(page.locator("#fill-waitlist-partial")).to_have_text(
        f"Showing the first {first} on the list; the counts above cover only them."
    )
    tab.screenshot("fill-waitlist-partial")

    more.click()

    expect(rows).to_have_count(len(shown_in_all))
    expect(more).to_be_hidden()
    expect(page.locator("#fill-waitlist-heading")).to_be_focused()
    waiting = sum(e["status"] == "waiting" for e in shown_in_all)
    offered = sum(e["status"] == "offered" for e in shown_in_all)
    expect(page.locator("#fill-waitlist-count")).to_have_text(
        f"{waiting} waiting · {offered} with an offer open"
    )
    assert tab.problems == []
