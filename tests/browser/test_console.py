"""The staff console as staff use it: sign in, claim, reply, resolve, pause, on any device."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from rendezvous.messages.gsm import segment_count
from tests.browser.conftest import (
    HTTP_TIMEOUT,
    POLL_TIMEOUT_MS,
    ConsoleTab,
    StaffApi,
    StaffMember,
    text_the_business,
    texts_to,
    wait_for_open_item,
)
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

OpenConsole = Callable[..., ConsoleTab]


def test_the_page_is_served_self_contained_with_a_strict_policy(stack: LocalStackProcess) -> None:
    answer = requests.get(stack.url("/console"), timeout=HTTP_TIMEOUT)

    assert answer.status_code == 200, f"{answer.text} (is ConsoleFunction in template.yaml?)"
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-eval" not in policy
    assert "unsafe-inline" not in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", policy)
    # Nothing is loaded from anywhere: no external script, style, font or image.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", answer.text)


def test_a_staff_member_claims_replies_and_resolves(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    text_the_business(stack, clinic, customer, "Can I bring my daughter?")
    wait_for_open_item(staff_api, staff, customer)
    tab = console()
    page = tab.page

    tab.open()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    tab.screenshot("01-sign-in")
    tab.fill_sign_in(staff.login.username, staff.login.password)
    tab.expect_signed_in()
    expect(page.locator("#tenant-name")).to_have_text(clinic.name)
    tab.show_view("queue")
    item = tab.queue_item(customer)
    expect(item).to_contain_text("Can I bring my daughter?")
    expect(item).to_contain_text("Question")
    tab.screenshot("02-queue")

    tab.open_item(customer)
    expect(page.locator("#thread")).to_contain_text("Can I bring my daughter?")
    expect(page.locator("#conv-state")).to_contain_text("Not claimed")
    expect(page.get_by_label("Reply to the customer")).to_be_disabled()
    expect(page.get_by_role("button", name="Release", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Resolve", exact=True)).to_be_disabled()
    tab.screenshot("03-conversation")

    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#conv-state")).to_contain_text("Claimed by you until")
    reply = page.get_by_label("Reply to the customer")
    expect(reply).to_be_enabled()
    expect(reply).to_be_focused()
    expect(page.locator("#count-mine")).to_have_text(re.compile(r"[1-9]"))
    # The segment hint counts as the sender does (GSM-7, or UCS-2 past one character).
    for text in ("Yes, of course!", "a" * 161, "See you then 🙂 " * 5):
        reply.fill(text)
        _, parts = segment_count(text)
        expect(page.locator("#reply-hint")).to_contain_text(
            f"{parts} SMS segment{'' if parts == 1 else 's'}"
        )
    reply.fill("Yes, of course! See you on Thursday.")
    tab.screenshot("04-claimed")

    page.get_by_role("button", name="Send reply", exact=True).click()
    expect(page.locator("#thread")).to_contain_text("Yes, of course! See you on Thursday.")
    expect(reply).to_have_value("")
    wait_for(
        # Sent as the business: "Harbor Clinic: Yes, of course! ..." (CONTRACT v2).
        lambda: f"{clinic.name}: Yes, of course! See you on Thursday." in texts_to(stack, customer),
        timeout=10,
        what="the reply on the customer's phone",
    )
    tab.screenshot("05-replied")

    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(item).to_have_count(0)
    expect(page.locator("#conv-empty")).to_be_visible()
    page.get_by_role("tab", name="Resolved").click()
    resolved = tab.queue_item(customer)
    expect(resolved).to_contain_text("by you")
    tab.screenshot("06-resolved")
    answer = staff_api.get("/v1/queue?status=resolved&limit=100", staff.token)
    assert any(i["phone"] == customer for i in answer["items"])


def test_a_colleague_sees_the_claim_and_cannot_reply(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    colleague: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    text_the_business(stack, clinic, customer, "Is there parking near you?")
    wait_for_open_item(staff_api, staff, customer)
    mine, theirs = console(own_clock=True), console(own_clock=True)

    # A reload keeps the tab signed in, from its sessionStorage.
    mine.sign_in(staff)
    mine.page.reload()
    mine.expect_signed_in()

    theirs.sign_in(colleague)
    theirs.open_item(customer)
    mine.open_item(customer)
    mine.page.get_by_role("button", name="Claim", exact=True).click()
    expect(mine.page.locator("#conv-state")).to_contain_text("Claimed by you")

    # The colleague's page follows by itself (it polls), and shows who holds it.
    state = theirs.page.locator("#conv-state")
    theirs.poll_now()
    expect(state).to_contain_text(f"Claimed by {staff.name} until", timeout=POLL_TIMEOUT_MS)
    expect(theirs.page.get_by_role("button", name="Claim", exact=True)).to_be_disabled()
    expect(theirs.page.get_by_role("button", name="Send reply", exact=True)).to_be_disabled()
    expect(theirs.page.get_by_label("Reply to the customer")).to_be_disabled()
    expect(theirs.page.get_by_role("button", name="Resolve", exact=True)).to_be_disabled()
    expect(theirs.page.locator("#reply-why")).to_contain_text(f"{staff.name} has claimed")
    expect(theirs.queue_item(customer)).to_contain_text(f"Claimed by {staff.name}")
    theirs.screenshot("07-claimed-by-a-colleague")

    # The API refuses the colleague too, and the page would say so plainly.
    refused = staff_api.request(
        "POST",
        f"/v1/queue/{wait_for_item_id(staff_api, staff, customer)}/reply",
        colleague.token,
        json={"body": "me too"},
    )
    assert refused.status_code == 409, refused.text

    mine.page.get_by_role("button", name="Release", exact=True).click()
    expect(mine.page.locator("#conv-state")).to_contain_text("Not claimed")
    theirs.poll_now()
    expect(theirs.page.get_by_role("button", name="Claim", exact=True)).to_be_enabled(
        timeout=POLL_TIMEOUT_MS
    )
    theirs.page.get_by_role("button", name="Claim", exact=True).click()
    expect(theirs.page.locator("#conv-state")).to_contain_text("Claimed by you")
    theirs.page.get_by_role("button", name="Resolve", exact=True).click()
    expect(theirs.queue_item(customer)).to_have_count(0)
    mine.poll_now()
    expect(mine.page.locator("#conv-state")).to_contain_text(
        f"Resolved by {colleague.name}", timeout=POLL_TIMEOUT_MS
    )


def wait_for_item_id(api: StaffApi, staff: StaffMember, phone: str) -> str:
    for status in ("open", "claimed"):
        items = api.get(f"/v1/queue?status={status}&limit=100", staff.token)["items"]
        for item in items:
            if item["phone"] == phone:
                return str(item["item_id"])
    raise AssertionError(f"no unresolved item from {phone}")


def test_keyboard_only(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    text_the_business(stack, clinic, customer, "Do you take cards?")
    wait_for_open_item(staff_api, staff, customer)
    tab = console()
    page = tab.page
    keyboard = page.keyboard
    tab.open()

    expect(page.get_by_label("Email")).to_be_focused()
    keyboard.insert_text(staff.login.username)
    keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    keyboard.insert_text(staff.login.password)
    keyboard.press("Enter")
    tab.expect_signed_in()
    expect(tab.queue_item(customer)).to_have_count(1)

    # Tab along to the customer's item (through the nav's Queue button when the queue is not
    # the view on screen), then Enter opens it.
    for _ in range(60):
        keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
                       const item = el.closest('.queue-item');
                       return item ? 'item:' + item.dataset.phone
                                   : 'view:' + (el.dataset.view || ''); }"""
        )
        if focused == "view:queue" and not page.locator("#view-queue").is_visible():
            keyboard.press("Enter")
        if focused == f"item:{customer}":
            break
    else:
        raise AssertionError(f"Tab never reached the item from {customer}")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    keyboard.press("Enter")
    expect(page.locator("#conv-heading")).to_be_focused()
    expect(page.locator("#conv-heading")).to_have_text(f"Conversation with {customer}")

    keyboard.press("Tab")
    claim = page.get_by_role("button", name="Claim", exact=True)
    expect(claim).to_be_focused()
    tab.screenshot("08-keyboard-focus-on-claim")
    keyboard.press("Enter")
    expect(page.locator("#conv-state")).to_contain_text("Claimed by you")
    expect(page.get_by_label("Reply to the customer")).to_be_focused()

    keyboard.type("Yes, all cards.")
    keyboard.press("Control+Enter")
    expect(page.locator("#thread")).to_contain_text("Yes, all cards.")
    expect(page.locator("#announcer")).to_have_text("Reply sent.")

    keyboard.press("Shift+Tab")  # the thread, scrollable by keyboard
    expect(page.locator("#thread")).to_be_focused()
    keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Resolve", exact=True)).to_be_focused()
    keyboard.press("Enter")
    expect(page.locator("#queue-heading")).to_be_focused()
    expect(tab.queue_item(customer)).to_have_count(0)

    # The tabs follow the arrow keys.
    page.get_by_role("tab", name=re.compile("^Open")).focus()
    keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name=re.compile("^Mine"))).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_role("tab", name=re.compile("^Mine"))).to_be_focused()


def test_pause_and_resume_with_a_reason(
    console: OpenConsole, clinic: Tenant, manager: StaffMember, staff_api: StaffApi
) -> None:
    staff = manager  # pausing is a manager's (CONTRACT.md, Roles)
    tab = console()
    page = tab.page
    tab.sign_in(staff)
    switch = page.get_by_role("switch", name="Pause automated texts")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_be_enabled()
    expect(switch).not_to_have_accessible_description(re.compile("Managers only"))
    try:
        switch.click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("heading")).to_have_text("Pause automated texts?")
        expect(page.get_by_label(re.compile("^Reason"))).to_be_focused()
        dialog.get_by_role("button", name="Pause", exact=True).click()
        expect(page.locator("#pause-error")).to_contain_text("Give a reason")
        page.get_by_label(re.compile("^Reason")).fill("Power cut at the clinic")
        dialog.get_by_role("button", name="Pause", exact=True).click()

        expect(dialog).to_be_hidden()
        expect(switch).to_have_attribute("aria-checked", "true")
        expect(switch).to_be_focused()
        detail = page.locator("#pause-detail")
        expect(detail).to_contain_text("paused by you")
        expect(detail).to_contain_text("Power cut at the clinic")
        expect(page.locator("#announcer")).to_have_text("Automated texts paused.")
        status = staff_api.get("/v1/status", staff.token)
        assert status["paused"] is True
        assert status["paused_by"] == staff.name
        assert status["paused_reason"] == "Power cut at the clinic"
        tab.screenshot("09-paused")

        page.keyboard.press("Space")  # the switch still has the focus
        expect(dialog.get_by_role("heading")).to_have_text("Resume automated texts?")
        page.keyboard.type("Power is back")
        page.keyboard.press("Enter")
        expect(switch).to_have_attribute("aria-checked", "false")
        expect(detail).to_contain_text("being sent")
        expect(detail).to_contain_text("resumed by you")
        expect(detail).to_contain_text("Power is back")
        assert staff_api.get("/v1/status", staff.token)["paused"] is False
    finally:
        if staff_api.get("/v1/status", staff.token)["paused"]:
            staff_api.request("POST", "/v1/resume", staff.token, json={"reason": "test cleanup"})


def test_staff_see_the_pause_switch_but_only_a_manager_may_use_it(
    console: OpenConsole, staff: StaffMember
) -> None:
    tab = console()
    page = tab.page
    tab.sign_in(staff)

    switch = page.get_by_role("switch", name="Pause automated texts")
    expect(switch).to_be_disabled()
    expect(switch).to_have_accessible_description(re.compile("Managers only$"))
    expect(page.locator("#pause-detail")).not_to_be_empty()


def test_outbox_and_stats(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    customer: str,
) -> None:
    # Two days ahead: its 24 h reminder (moved into the day's sending hours) is planned within
    # the next 72 hours whatever the time of day (at 20 h ahead there was none left to plan).
    starts_at = stack_now(stack).replace(microsecond=0) + timedelta(hours=50)
    booked = requests.put(
        stack.url(f"/v1/appointments/console-{uuid.uuid4().hex[:10]}"),
        headers={"Authorization": f"Bearer {clinic.booking_token}"},
        json={
            "customer": {"phone": customer, "name": "Noor Haddad"},
            "starts_at": starts_at.isoformat(),
            "duration_minutes": 30,
            "location": "2nd floor",
        },
        timeout=HTTP_TIMEOUT,
    )
    assert booked.status_code == 201, booked.text
    tab = console()
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")

    outbox = page.get_by_role("table", name="Automated texts due soon")
    page.get_by_label("Automated texts due in the next").select_option("72")
    expect(outbox).to_contain_text("Noor Haddad")
    expect(outbox).to_contain_text("Reminder (24 h before)")
    stats = page.get_by_role("region", name=re.compile("^Last 7 days"))
    expect(stats).to_contain_text("Sent")
    expect(stats).to_contain_text("Median wait")
    tab.screenshot("10-outbox-and-stats")


def stack_now(stack: LocalStackProcess) -> datetime:
    """The stack's virtual now (a test may have moved it on)."""
    answer = requests.get(stack.url("/_local/clock"), timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["now"])


def test_a_text_whose_retries_ran_out_is_sent_again_from_the_outbox(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    manager: StaffMember,
    customer: str,
) -> None:
    # The clinic's next 10:00, clear of quiet hours, then a booking in a Twilio outage.
    zone = ZoneInfo(clinic.timezone)
    local = stack_now(stack).astimezone(zone)
    ten = datetime.combine(local.date() + timedelta(days=1), time(10, 0), tzinfo=zone)
    advance(stack, (ten - stack_now(stack)).total_seconds() / 60)
    faults = f"{stack.twilio_base_url}/sandbox/faults"
    requests.post(faults, json={"status": 503, "count": 1000}, timeout=HTTP_TIMEOUT)
    try:
        booked = requests.put(
            stack.url(f"/v1/appointments/console-{uuid.uuid4().hex[:10]}"),
            headers={"Authorization": f"Bearer {clinic.booking_token}"},
            json={
                "customer": {"phone": customer, "name": "Iris Tan"},
                "starts_at": (ten + timedelta(days=2)).isoformat(),
            },
            timeout=HTTP_TIMEOUT,
        )
        assert booked.status_code == 201, booked.text
        advance(stack, 10)  # every retry of the confirmation, 90 s apart
    finally:
        requests.delete(faults, timeout=HTTP_TIMEOUT)
    # Staff see what failed; sending it again is a manager's call.
    staff_tab = console()
    staff_tab.sign_in(staff)
    staff_tab.show_view("queue")
    expect(staff_tab.page.locator("#redrive-box")).to_contain_text("could not be sent")
    expect(staff_tab.page.get_by_text("A manager can send them again.")).to_be_visible()
    expect(staff_tab.page.get_by_role("button", name="Send again")).to_be_hidden()
    tab = console()
    page = tab.page
    tab.sign_in(manager)
    tab.show_view("queue")

    outbox = page.get_by_role("table", name="Automated texts due soon")
    expect(outbox).to_contain_text("Iris Tan")
    expect(outbox).to_contain_text("failed (retries exhausted)")
    expect(page.get_by_text("A manager can send them again.")).to_be_hidden()
    tab.screenshot("13-retries-exhausted")
    # Sending them again has one home, the managers' view: the outbox leads there.
    page.get_by_role("button", name="Send them again (Manage)").click()
    failed = page.get_by_role("table", name="Texts whose retries ran out")
    expect(failed).to_contain_text("Iris Tan")
    expect(page.locator("#failed-text")).to_contain_text("1 text could not be sent")
    tab.screenshot("26-manage-failed-texts")
    page.get_by_role("button", name="Send them again", exact=True).click()

    expect(page.locator("#announcer")).to_contain_text("Sending 1 again.")
    wait_for(lambda: texts_to(stack, customer) or None, timeout=10, what="the text sent again")
    # The view looks again once the sender has worked: the text no longer shows as failed.
    expect(page.locator("#failed-text")).to_contain_text("No text is waiting", timeout=15_000)
    expect(failed).to_be_hidden()
    assert len(texts_to(stack, customer)) == 1


def advance(stack: LocalStackProcess, minutes: float) -> None:
    moved = requests.post(stack.url("/_local/clock/advance"), json={"minutes": minutes}, timeout=90)
    assert moved.status_code == 200, moved.text


def test_overdue_items_are_marked(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    text_the_business(stack, clinic, customer, "Hello? Nobody answered me")
    item = wait_for_open_item(staff_api, staff, customer)
    due_by = datetime.fromisoformat(item["due_by"])
    minutes = (due_by - stack_now(stack)).total_seconds() / 60 + 30
    moved = requests.post(stack.url("/_local/clock/advance"), json={"minutes": minutes}, timeout=60)
    assert moved.status_code == 200, moved.text
    tab = console()
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")

    row = tab.queue_item(customer)
    expect(row).to_have_class(re.compile(r"\bis-overdue\b"))
    expect(row.locator(".badge-overdue")).to_have_text("Overdue")
    # The stack's Date header follows its virtual clock, so the page knows how long ago.
    expect(row).to_contain_text(re.compile(r"Was due 3\d minutes ago"))
    tab.open_item(customer)
    expect(page.locator("#conv-summary")).to_contain_text("overdue")
    tab.screenshot("12-overdue")


def test_tablet_landmarks_and_touch_targets(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    text_the_business(stack, clinic, customer, "STOP texting me please, I moved away")
    wait_for_open_item(staff_api, staff, customer)
    tab = console(viewport={"width": 820, "height": 1180}, has_touch=True, is_mobile=True)
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")
    expect(tab.queue_item(customer)).to_be_visible()
    tab.open_item(customer)

    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("complementary", name="Outbox and statistics")).to_be_visible()
    expect(page.get_by_role("tablist", name="Queue views")).to_be_visible()
    for name in ("Queue", f"Conversation with {customer}", "Outbox", "Messages"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    # Nothing wider than the screen, and every control big enough for a finger.
    overflowing = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.panel, .table-wrap')]
            .filter((el) => el.offsetParent !== null || el === document.documentElement)
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => el.className || el.tagName)"""
    )
    assert overflowing == [], overflowing
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, select, input, textarea, [role=tab]')]
            .filter((el) => el.offsetParent !== null)
            .map((el) => ({id: el.id || el.textContent.trim().slice(0, 30),
                           box: el.getBoundingClientRect()}))
            .filter(({box}) => box.width < 44 || box.height < 44)
            .map(({id, box}) => `${id}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == [], small
    tab.screenshot("11-tablet")
