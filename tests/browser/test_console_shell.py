"""The console's shell and queue view (issue 13): its languages and times, the queue's cards
and thread, new items announced, and the refresh budget of an idle tab."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, Request, Route, expect

from tests.browser.conftest import (
    HTTP_TIMEOUT,
    POLL_TIMEOUT_MS,
    CognitoConfig,
    ConsoleTab,
    StaffApi,
    StaffMember,
    demo_login,
    signed_in,
    text_the_business,
    texts_to,
    wait_for_open_item,
)
from tests.browser.test_console import stack_now
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

OpenConsole = Callable[..., ConsoleTab]
FRENCH_WEEKDAY = r"(lun\.|mar\.|mer\.|jeu\.|ven\.|sam\.|dim\.)"


def book(stack: LocalStackProcess, clinic: Tenant, phone: str, name: str, days: float) -> str:
    appointment_id = f"shell-{uuid.uuid4().hex[:10]}"
    starts_at = stack_now(stack).replace(microsecond=0) + timedelta(days=days)
    booked = requests.put(
        stack.url(f"/v1/appointments/{appointment_id}"),
        headers={"Authorization": f"Bearer {clinic.booking_token}"},
        json={"customer": {"phone": phone, "name": name}, "starts_at": starts_at.isoformat()},
        timeout=HTTP_TIMEOUT,
    )
    assert booked.status_code == 201, booked.text
    return appointment_id


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def patch_json(page: Page, pattern: str | re.Pattern[str], change: Callable[[Any], None]) -> None:
    """The API's real answer on `pattern`, changed by `change` before the page sees it."""

    def handle(route: Route) -> None:
        response = route.fetch()
        if not response.ok:
            route.fulfill(response=response)
            return
        data = response.json()
        change(data)
        route.fulfill(response=response, json=data)

    page.route(pattern, handle)


# ---- languages and times ------------------------------------------------------------------
def test_switched_to_french_the_console_speaks_french_with_french_times(
    console: OpenConsole, stack: LocalStackProcess, clinic: Tenant, staff: StaffMember
) -> None:
    tab = console()
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_label("Language").select_option("fr")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(page.locator("#queue-heading")).to_have_text("File d’attente")
    expect(page.get_by_role("tab", name=re.compile("^Ouverts"))).to_be_visible()
    expect(page.locator("#pause-managers-only")).to_have_text("Réservé aux responsables")
    expect(page.get_by_role("heading", name="Sur 7 jours")).to_be_visible()
    # 24-hour times, as French reads them; the date joins the time when it is not today.
    expect(page.locator("#queue-updated")).to_have_text(re.compile(r"^Mis à jour à \d\d:\d\d$"))
    noon = "2031-03-14T12:00:00Z"  # a Friday
    local = datetime(2031, 3, 14, 12, tzinfo=UTC).astimezone(ZoneInfo(clinic.timezone))
    assert page.evaluate("(iso) => RV.fmt.time(iso)", noon) == local.strftime("%H:%M")
    later = page.evaluate("(iso) => RV.fmt.when(iso)", noon)
    assert re.search(FRENCH_WEEKDAY, later), later
    assert local.strftime("%H:%M") in later
    assert "PM" not in later
    # Today as the server counts it (the stack's clock, which tests move on).
    today = page.evaluate("(iso) => RV.fmt.when(iso)", stack_now(stack).isoformat())
    assert re.fullmatch(r"\d\d:\d\d", today), today
    assert page.title().endswith("console Rendezvous")
    tab.screenshot("20-console-in-french")

    # The choice stays with this browser.
    page.reload()
    tab.expect_signed_in()
    tab.show_view("queue")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.get_by_label("Langue").select_option("es")
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(page.locator("#conv-empty")).to_have_text(
        "Elija un elemento de la cola para ver su conversación."
    )


def test_the_business_language_comes_first_then_the_browsers(
    console: OpenConsole, stack: LocalStackProcess, cognito: CognitoConfig, staff: StaffMember
) -> None:
    # An English browser at the French salon (the stack's second business, locale fr).
    salon = stack.tenants[1]
    salon_staff = signed_in(cognito, demo_login(stack, salon, "staff"))
    assert (
        requests.get(
            stack.url("/v1/status"),
            headers={"Authorization": f"Bearer {salon_staff.token}"},
            timeout=HTTP_TIMEOUT,
        ).json()["locale"]
        == "fr"
    )
    french_business = console()
    french_business.sign_in(salon_staff)
    expect(french_business.page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(french_business.page.get_by_label("Langue")).to_have_value("fr")

    # A status without a locale, as an API from before issue 13 answers: the browser's
    # language. Today's API always names one, so only a stand-in reaches this state.
    french = console(locale="fr-FR")
    patch_json(french.page, "**/v1/status", lambda status: status.pop("locale", None))
    expect_french_sign_in = french.page.get_by_role("heading", name="Connexion")
    french.open()
    expect(expect_french_sign_in).to_be_visible()
    french.page.get_by_label("E-mail").fill(staff.login.username)
    french.page.get_by_label("Mot de passe", exact=True).fill(staff.login.password)
    french.page.get_by_role("button", name="Se connecter").click()
    expect(french.page.get_by_role("button", name="Se déconnecter")).to_be_visible()


# ---- the queue's cards and thread ------------------------------------------------------------
def test_cards_name_the_customer_the_visit_the_flags_and_come_by_due_time(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    asking, stopping = customer, f"+14155559{uuid.uuid4().int % 1000:03d}"
    book(stack, clinic, asking, "Noor Haddad", days=3)
    text_the_business(stack, clinic, asking, "Can I come a little earlier?")
    text_the_business(stack, clinic, stopping, "STOP texting me please, I moved away")
    # The name and the visit come from the API itself: the item links the booked visit.
    opened = wait_for_open_item(staff_api, staff, asking)
    wait_for_open_item(staff_api, staff, stopping)
    assert (opened["customer_name"], opened["appointment_status"]) == ("Noor Haddad", "scheduled")
    tab = console()
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")

    card = tab.queue_item(asking)
    expect(card.locator(".item-name")).to_have_text("Noor Haddad")
    expect(card.locator(".item-visit")).to_contain_text(re.compile(r"Visit .*\d:\d\d"))
    expect(card).to_contain_text("Question")
    expect(card).to_contain_text(re.compile(r"Due in \d+"))
    nameless = tab.queue_item(stopping)
    # No name: a masked number, never the whole of it on the card.
    expect(nameless.locator(".item-phone")).to_have_text(f"{stopping[:3]} ••• {stopping[-4:]}")
    expect(nameless).not_to_contain_text(stopping)
    expect(nameless).not_to_contain_text("null")  # no visit: no visit line
    expect(nameless.locator(".badge-stop_request").first).to_be_visible()
    tab.screenshot("21-queue-cards")

    # Soonest due first, as the API dates them.
    items = [
        i
        for status in ("open", "claimed")
        for i in staff_api.get(f"/v1/queue?status={status}&limit=100", staff.token)["items"]
    ]
    # Items due at the same time (both opened out of hours: due at the opening) by age.
    expected = [
        i["phone"] for i in sorted(items, key=lambda i: (when(i["due_by"]), when(i["created_at"])))
    ]
    shown = page.eval_on_selector_all(
        "#queue-list .queue-item", "(rows) => rows.map((row) => row.dataset.phone)"
    )
    assert [p for p in shown if p in (asking, stopping)] == [
        p for p in expected if p in (asking, stopping)
    ]
    assert shown == expected


def test_a_flag_is_a_badge_on_the_card(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    book(stack, clinic, customer, "Iris Tan", days=2)
    # CANCEL is an opt-out word at the carrier: with a visit coming, a person must ask.
    text_the_business(stack, clinic, customer, "CANCEL")
    item = wait_for_open_item(staff_api, staff, customer)
    assert "opted_out_with_appointment" in item["flags"], item
    tab = console()
    tab.sign_in(staff)
    tab.show_view("queue")

    badge = tab.queue_item(customer).locator(".badge-opted_out_with_appointment")
    expect(badge).to_have_text("Opted out with a visit booked")


def test_the_thread_says_what_each_text_is_and_the_status_that_changed_since(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    # Every kind of text, for real: the booking's confirmation, the customer's C and its
    # acknowledgement, a question and its acknowledgement, a person's answer; then the
    # booking system cancels the visit after the customer's last text.
    appointment_id = book(stack, clinic, customer, "Sam Ortiz", days=2)
    wait_for(lambda: texts_to(stack, customer), timeout=10, interval=0.1, what="the confirmation")
    text_the_business(stack, clinic, customer, "c")
    wait_for(
        lambda: len(texts_to(stack, customer)) >= 2, timeout=10, interval=0.1, what="the ack of C"
    )
    text_the_business(stack, clinic, customer, "Is there parking?")
    item = wait_for_open_item(staff_api, staff, customer)
    queue = f"/v1/queue/{item['item_id']}"
    claimed = staff_api.request("POST", f"{queue}/claim", staff.token)
    assert claimed.status_code == 200, claimed.text
    answered = staff_api.request(
        "POST", f"{queue}/reply", staff.token, json={"body": "Yes, behind the building."}
    )
    assert answered.status_code == 200, answered.text
    cancelled = requests.delete(
        stack.url(f"/v1/appointments/{appointment_id}"),
        headers={"Authorization": f"Bearer {clinic.booking_token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert cancelled.status_code == 200, cancelled.text
    tab = console()
    page = tab.page
    tab.sign_in(staff)
    tab.open_item(customer)

    rows = page.locator("#thread li")
    expect(rows).to_have_count(6)
    expect(rows.nth(0).locator(".msg-kind")).to_have_text("Automated text: Confirmation")
    expect(rows.nth(0).locator(".msg-status")).to_have_text(re.compile(r"^(sent|delivered)$"))
    expect(rows.nth(1).locator(".msg-kind")).to_have_text("Replied C (confirm)")
    expect(rows.nth(2).locator(".msg-kind")).to_have_text("Automatic reply")
    expect(rows.nth(3).locator(".msg-kind")).to_have_text("Customer")
    expect(rows.nth(3).locator(".msg-body")).to_have_text("Is there parking?")
    expect(rows.nth(4).locator(".msg-kind")).to_have_text("Automatic reply")
    expect(rows.nth(5).locator(".msg-kind")).to_have_text("You")
    # Every text starts with the business's name (CONTRACT), a person's too.
    expect(rows.nth(5).locator(".msg-body")).to_have_text(
        f"{clinic.name}: Yes, behind the building."
    )
    changed = page.locator("#appt-changed")
    expect(changed).to_be_visible()
    expect(changed).to_contain_text("Changed since the customer’s last text: now Cancelled")
    expect(page.locator("#appt-details dd.is-changed")).to_have_text("Cancelled")
    tab.screenshot("22-thread-kinds")

    page.get_by_label("Language").select_option("fr")
    expect(rows.nth(1).locator(".msg-kind")).to_have_text("A répondu C (confirmer)")
    expect(rows.nth(0).locator(".msg-kind")).to_have_text(
        re.compile("^SMS automatique\u00a0: Confirmation$")
    )
    expect(page.locator("#appt-details dd.is-changed")).to_have_text("Annulé")


def test_a_number_without_an_open_item_opens_as_its_history(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    # STOP with no visit booked opts the number out and opens no item; the visit booked
    # after it is never texted. So the number has a history and nothing to answer.
    text_the_business(stack, clinic, customer, "STOP")
    path = f"/v1/recipients/{quote(customer, safe='')}"
    wait_for(
        lambda: staff_api.get(path, staff.token)["opted_out"],
        timeout=10,
        interval=0.1,
        what="the opt-out",
    )
    appointment_id = book(stack, clinic, customer, "Ada Byron", days=3)
    history = staff_api.get(path, staff.token)
    assert "open_item_id" not in history, history
    tab = console()
    page = tab.page
    tab.sign_in(staff)

    page.evaluate("([phone, id]) => RV.openConversation(phone, id)", [customer, appointment_id])

    expect(page.locator("#conv-heading")).to_have_text(f"Texts with Ada Byron ({customer})")
    expect(page.locator("#conv-readonly")).to_contain_text("Read only")
    expect(page.locator("#conv-readonly")).to_contain_text("opted out")
    expect(page.locator("#thread")).to_contain_text("Replied STOP (stop texts)")
    expect(page.locator("#appt-details")).to_contain_text("Unconfirmed")
    expect(page.locator("#appt-details")).to_contain_text(appointment_id)
    expect(page.locator("#reply-form")).to_be_hidden()
    expect(page.locator("#conv-actions")).to_be_hidden()


# ---- live refresh -------------------------------------------------------------------------
def test_new_items_are_announced_and_counted_in_the_title_until_seen(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    tab = console(own_clock=True)
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")
    expect(page.locator("#queue-updated")).not_to_be_empty()
    expect(page).to_have_title(f"{clinic.name} · Rendezvous console")
    # The receptionist is in another window: the console is visible but has no focus.
    page.evaluate("() => { document.hasFocus = () => false; }")

    text_the_business(stack, clinic, customer, "STOP texting me please, I moved away")
    wait_for_open_item(staff_api, staff, customer)
    tab.poll_now()

    expect(page.locator("#announcer")).to_have_text(
        "1 new item in the queue. It is a stop request.", timeout=POLL_TIMEOUT_MS
    )
    expect(page).to_have_title(f"(1) {clinic.name} · Rendezvous console")

    # Back to the console: the queue is on screen, so the item has been seen.
    page.evaluate("() => { delete document.hasFocus; window.dispatchEvent(new Event('focus')); }")
    expect(page).to_have_title(f"{clinic.name} · Rendezvous console")


# Counts the page's fetches until their answers are read, so a test moves the page's clock on
# only once the page has dealt with what it asked (else its 15 s timeouts would fire first).
COUNT_FETCHES = """
    window.__fetching = 0;
    const fetchFirst = window.fetch.bind(window);
    window.fetch = async (...args) => {
        window.__fetching += 1;
        try {
            const answer = await fetchFirst(...args);
            const body = await answer.text();
            return new Response(body === "" ? null : body,
                {status: answer.status, statusText: answer.statusText, headers: answer.headers});
        } finally {
            window.__fetching -= 1;
        }
    };
"""


class ApiRequests:
    """The API requests a page makes (installed before the page opens)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.made: list[str] = []
        page.add_init_script(COUNT_FETCHES)
        page.on("request", self._sent)

    def _sent(self, request: Request) -> None:
        if "/v1/" in request.url:
            self.made.append(request.url)

    def settle(self) -> None:
        for _ in range(400):
            if self.page.evaluate("() => window.__fetching") == 0:
                return
            self.page.wait_for_timeout(25)
        raise AssertionError("the page's requests never finished")

    def count_over(self, minutes: float) -> int:
        """Requests made while the page's clock runs `minutes` on, 5 s at a time."""
        before = len(self.made)
        for _ in range(round(minutes * 12)):
            self.page.clock.run_for(5_000)
            self.settle()
        return len(self.made) - before


def stack_wait(seconds: float) -> None:
    """A pause of the test itself (the page's clock is the test's to move)."""
    time.sleep(seconds)


def set_hidden(page: Page, hidden: bool) -> None:
    """The tab in the background (or back), as the browser tells a page."""
    page.evaluate(
        """(hidden) => {
            Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
            Object.defineProperty(document, 'visibilityState',
                {configurable: true, get: () => (hidden ? 'hidden' : 'visible')});
            document.dispatchEvent(new Event('visibilitychange'));
        }""",
        hidden,
    )


@pytest.fixture
def idle_console(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> tuple[Page, ApiRequests]:
    """A signed-in console with a conversation open, left alone."""
    text_the_business(stack, clinic, customer, "Can I pay by card?")
    wait_for_open_item(staff_api, staff, customer)
    tab = console(own_clock=True)
    page = tab.page
    requests_made = ApiRequests(page)
    tab.sign_in(staff)
    tab.open_item(customer)
    expect(page.locator("#thread")).to_contain_text("Can I pay by card?")
    requests_made.settle()
    # From here the page's time moves only when the test moves it.
    page.clock.pause_at(page.evaluate("() => Date.now()") + 1_000)
    return page, requests_made


CROWD = 105  # open items, beyond the console's first page of 100
NEWCOMER = "+14155571000"  # texts while the console is idle


def open_count(staff_api: StaffApi, staff: StaffMember) -> int:
    return int(staff_api.get("/v1/queue?status=open&limit=1", staff.token)["count"])


def unresolved_count(staff_api: StaffApi, staff: StaffMember) -> int:
    """What the console's Open tab counts: open and claimed items."""
    claimed = staff_api.get("/v1/queue?status=claimed&limit=1", staff.token)["count"]
    return open_count(staff_api, staff) + int(claimed)


@pytest.fixture
def crowded_queue(
    idle_console: tuple[Page, ApiRequests],
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
) -> Iterator[tuple[Page, ApiRequests]]:
    """The idle console, then more open items than one page holds, texted in through the
    sandbox phone; resolved afterwards, so the other tests of the session find their items
    on the first page."""
    phones = [f"+1415557{n:04d}" for n in range(CROWD)]
    before = open_count(staff_api, staff)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: text_the_business(stack, clinic, p, "Is parking free?"), phones))
    for _ in range(100):
        if open_count(staff_api, staff) >= before + CROWD:
            break
        stack_wait(0.2)
    page, api = idle_console
    api.count_over(minutes=0.5)  # the console's next refresh lists them
    yield idle_console
    ours = {*phones, NEWCOMER}
    ids = []
    cursor = ""
    while True:
        page = staff_api.get(f"/v1/queue?status=open&limit=100{cursor}", staff.token)
        ids += [i["item_id"] for i in page["items"] if i["phone"] in ours]
        if not page.get("next_cursor"):
            break
        cursor = f"&cursor={page['next_cursor']}"

    def resolve(item_id: str) -> None:
        staff_api.request("POST", f"/v1/queue/{item_id}/claim", staff.token)
        staff_api.request("POST", f"/v1/queue/{item_id}/resolve", staff.token)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(resolve, ids))


@pytest.mark.timeout(420)
def test_an_idle_console_keeps_to_its_budget_and_a_hidden_tab_is_silent(
    crowded_queue: tuple[Page, ApiRequests],
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
) -> None:
    page, api = crowded_queue
    assert open_count(staff_api, staff) > 100
    total = unresolved_count(staff_api, staff)
    expect(page.locator("#count-open")).to_have_text(str(total))

    visible = api.count_over(minutes=10)

    # Open queue every 20 s (3/min), status and the view's refresh every minute, outbox and
    # stats every 5 minutes: 5.4 a minute; the issue allows 6, the brief 5.5. With more open
    # items than a page holds, each refresh still asks for the first page alone.
    assert 40 <= visible <= 55, api.made[-visible:]
    queue_polls = [u for u in api.made[-visible:] if "/v1/queue?status=open" in u]
    assert 28 <= len(queue_polls) <= 31
    assert [u for u in queue_polls if "cursor=" in u] == []

    # A new item lands beyond the first page: the count says so, the next refresh pages on.
    text_the_business(stack, clinic, NEWCOMER, "Do you open on Sundays?")
    for _ in range(100):
        if unresolved_count(staff_api, staff) == total + 1:
            break
        stack_wait(0.2)
    api.count_over(minutes=0.5)
    expect(page.locator("#count-open")).to_have_text(str(total + 1))
    expect(page.locator(f'#queue-list li[data-phone="{NEWCOMER}"]')).to_have_count(1)
    # The open conversation is not fetched again while its item does not change.
    assert [u for u in api.made[-visible:] if re.search(r"/v1/queue/[^/?]+$", u)] == []

    set_hidden(page, True)
    hidden = api.count_over(minutes=10)
    assert hidden == 0, api.made[-hidden:]

    # Visible again: one catch-up of what fell due, not ten minutes of it.
    before = len(api.made)
    set_hidden(page, False)
    page.clock.run_for(100)
    api.settle()
    caught = len(api.made) - before
    assert 1 <= caught <= 6, api.made[before:]
    assert api.count_over(minutes=0.5) <= 2


def test_failures_back_off_to_five_minutes(idle_console: tuple[Page, ApiRequests]) -> None:
    page, api = idle_console
    # A stand-in is the only way to make every request fail while the stack keeps running.
    page.route(re.compile(r".*/v1/.*"), lambda route: route.abort("connectionrefused"))

    failing = api.count_over(minutes=10)

    # Without backoff: about 54. Each failing refresh waits twice as long, up to 5 minutes.
    assert 4 <= failing <= 16, api.made[-failing:]
    expect(page.locator("#connection")).to_contain_text("Trying again in")
    later = api.count_over(minutes=10)
    # Every task at its 5-minute ceiling: queue, status and view twice, outbox and stats twice.
    assert later <= 10, api.made[-later:]


def test_the_top_bar_and_queue_fit_a_phone_in_every_language(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    customer: str,
) -> None:
    text_the_business(stack, clinic, customer, "Do you open on Saturdays?")
    wait_for_open_item(staff_api, staff, customer)
    tab = console(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = tab.page
    tab.sign_in(staff)
    tab.show_view("queue")
    expect(tab.queue_item(customer)).to_be_visible()

    for language in ("en", "fr", "es"):
        page.locator("#locale-select").select_option(language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        if language != "en":
            # The live region's last words were English ("Signed in to ..."): a screen
            # reader browsing the page must not find them in a French or Spanish one.
            expect(page.locator("#announcer")).not_to_contain_text("Signed in to")
        overflowing = page.evaluate(
            """() => [document.documentElement, ...document.querySelectorAll('.panel, .topbar')]
                .filter((el) => el.offsetParent !== null || el === document.documentElement)
                .filter((el) => el.scrollWidth > el.clientWidth + 1)
                .map((el) => el.className || el.tagName)"""
        )
        assert overflowing == [], (language, overflowing)
        small = page.evaluate(
            """() => [...document.querySelectorAll('.topbar button, .topbar select')]
                .filter((el) => el.offsetParent !== null)
                .map((el) => ({id: el.id || el.textContent.trim(),
                               box: el.getBoundingClientRect()}))
                .filter(({box}) => box.width < 44 || box.height < 44)
                .map(({id, box}) => `${id}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
        )
        assert small == [], (language, small)
    tab.screenshot("23-phone-in-spanish")
