"""The results view: the period's headline figures and charts as GET /v1/stats counts them,
the CSV export downloaded as a file, and for managers the template experiments (start one,
read its report, stop it with a winner that becomes the default text) and the tune-out
banner. The figures come from appointments booked through the booking system's API, texts
the sandbox phone received and answered, and outcomes recorded by the desk."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    ARTIFACTS,
    HTTP_TIMEOUT,
    CognitoConfig,
    ConsoleTab,
    StaffApi,
    StaffMember,
    accessible,
    demo_login,
    signed_in,
    text_the_business,
    texts_to,
)
from tests.browser.test_console_shell import ApiRequests
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

OpenConsole = Callable[..., ConsoleTab]
# +1 415 555 08xx: numbers no other browser test texts.
_numbers = itertools.count(1)
MEASURED = 4  # appointments the module books, texts, confirms in part and records outcomes of
# The figures (a Query a day and more), tune-out (one a day for 35 days) and the settings on
# moto, on a 2-core machine shared with other test runs: seconds each, sometimes over 10.
FIGURES_MS = 30_000


def a_number() -> str:
    return f"+14155550{800 + next(_numbers):03d}"


# ---- the data, through the real API ----------------------------------------------------------
def virtual_now(stack: LocalStackProcess) -> datetime:
    answer = requests.get(stack.url("/_local/clock"), timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return datetime.fromisoformat(answer.json()["now"])


def advance_clock(stack: LocalStackProcess, minutes: float) -> None:
    answer = requests.post(
        stack.url("/_local/clock/advance"), json={"minutes": minutes}, timeout=HTTP_TIMEOUT * 3
    )
    assert answer.status_code == 200, answer.text


def out_of_quiet_hours(stack: LocalStackProcess, tenant: Tenant) -> None:
    """The stack's clock (it only moves forward) to 09:00 of the tenant's next morning when
    it is too late in the tenant's day for a confirmation to go out and a visit to start."""
    zone = ZoneInfo(tenant.timezone)
    now = virtual_now(stack).astimezone(zone)
    if not time(8, 30) <= now.time() <= time(18, 0):
        day = now.date() if now.time() < time(8, 30) else now.date() + timedelta(days=1)
        morning = datetime.combine(day, time(9, 0), zone)
        advance_clock(stack, (morning - now).total_seconds() / 60)


def book(stack: LocalStackProcess, tenant: Tenant, phone: str, starts_at: datetime) -> str:
    appointment_id = f"results-{uuid.uuid4().hex[:12]}"
    answer = requests.put(
        stack.url(f"/v1/appointments/{appointment_id}"),
        headers={"Authorization": f"Bearer {tenant.booking_token}"},
        json={
            "customer": {"phone": phone, "name": f"Results {phone[-3:]}"},
            "starts_at": starts_at.isoformat(),
            "service": "Check-up",
            "duration_minutes": 30,
        },
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    return appointment_id


def record_outcome(api: StaffApi, staff: StaffMember, appointment_id: str, outcome: str) -> None:
    answer = api.request(
        "POST",
        f"/v1/appointments/{appointment_id}/outcome",
        staff.token,
        json={"outcome": outcome},
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def measured(
    stack: LocalStackProcess, clinic: Tenant, staff: StaffMember, staff_api: StaffApi
) -> list[str]:
    """Four visits in the last hour: each texted a confirmation, the first two confirmed by
    a C from the sandbox phone, then outcomes: attended, attended, no-show, no-show."""
    out_of_quiet_hours(stack, clinic)
    starts = (virtual_now(stack) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    phones = [a_number() for _ in range(MEASURED)]
    ids = [book(stack, clinic, phone, starts) for phone in phones]
    for phone in phones:

        def texted(p: str = phone) -> list[str]:
            return texts_to(stack, p)

        wait_for(texted, timeout=15, what=f"the text to {phone}")
    for phone, appointment_id in zip(phones[:2], ids[:2], strict=True):
        text_the_business(stack, clinic, phone, "C")

        def confirmed(a: str = appointment_id) -> bool:
            found = staff_api.get(f"/v1/appointments/{a}", staff.token)
            return bool(found["status"] == "confirmed")

        wait_for(confirmed, timeout=15, what=f"{phone}'s C to confirm")
    advance_clock(stack, 45)
    for appointment_id, outcome in zip(
        ids, ["attended", "attended", "no_show", "no_show"], strict=True
    ):
        record_outcome(staff_api, staff, appointment_id, outcome)
    return ids


# ---- how the page writes numbers (en-US) ------------------------------------------------
def percent(rate: float | None) -> str:
    if rate is None:
        return "–"
    value = (Decimal(str(rate)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value.normalize():f}%".replace(".0%", "%")


def one_place(value: float | None) -> str:
    if value is None:
        return "–"
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:,f}".removesuffix(".0")


def signed_points(fraction: float) -> str:
    """A difference of rates in percentage points, as the page writes it: -2.1, 0, +3."""
    value = (Decimal(str(fraction)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if value == 0:
        return "0"
    text = f"{value.normalize():f}"
    return text if value < 0 else f"+{text}"


def tile(page: Page, name: str) -> Any:
    return page.locator(f'#results-tiles [data-tile="{name}"]')


def open_results(tab: ConsoleTab, who: StaffMember) -> Page:
    tab.sign_in(who)
    tab.show_view("results")
    page = tab.page
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()
    expect(page.locator("#results-status")).to_contain_text(
        "Figures of the last 7 days", timeout=FIGURES_MS
    )
    return page


# ---- the figures ----------------------------------------------------------------------------
def test_the_results_page_shows_the_period_s_figures_and_charts_as_the_api_counts_them(
    console: OpenConsole,
    staff: StaffMember,
    staff_api: StaffApi,
    measured: list[str],
) -> None:
    stats = staff_api.get("/v1/stats?days=7", staff.token)
    cohort, texts = stats["rates"]["appointments"], stats["rates"]["texts"]
    # The module's visits are in: a page that showed dashes would pass nothing below.
    assert cohort["with_outcome"] >= MEASURED, cohort
    assert cohort["no_show"] >= 2, cohort
    assert texts["sent"] >= MEASURED, texts
    tab = console()
    page = open_results(tab, staff)

    expect(tile(page, "confirmation").locator(".tile-value")).to_have_text(
        percent(cohort["confirmation_rate"])
    )
    expect(tile(page, "confirmation")).to_contain_text(
        f"{cohort['confirmed']:,} of {cohort['appointments']:,} appointments"
    )
    expect(tile(page, "no-show").locator(".tile-value")).to_have_text(
        percent(cohort["no_show_rate"])
    )
    expect(tile(page, "no-show")).to_contain_text(
        f"{cohort['no_show']:,} of {cohort['with_outcome']:,} with an outcome"
    )
    expect(tile(page, "delivery").locator(".tile-value")).to_have_text(
        percent(texts["delivery_rate"])
    )
    expect(tile(page, "opt-outs").locator(".tile-value")).to_have_text(
        one_place(texts["opt_outs_per_1000"])
    )
    expect(tile(page, "cost")).to_contain_text(f"{texts['segments']:,} segments")
    expect(tile(page, "cost").locator(".tile-value")).to_contain_text("$")

    # Texts per day: a pair of bars for each day the API counts, as tall as their figures.
    days = page.locator("#results-daily g.chart-day")
    expect(days).to_have_count(len(stats["daily"]))
    assert days.evaluate_all("(gs) => gs.map((g) => g.dataset.day)") == [
        d["day"] for d in stats["daily"]
    ]
    heights = days.evaluate_all(
        """(gs) => gs.map((g) => [...g.querySelectorAll('rect')]
            .map((r) => Number(r.getAttribute('height'))))"""
    )
    busiest = max(range(len(stats["daily"])), key=lambda i: stats["daily"][i]["sent"])
    assert stats["daily"][busiest]["sent"] > 0
    scale = heights[busiest][0] / stats["daily"][busiest]["sent"]
    for (sent_h, delivered_h), day in zip(heights, stats["daily"], strict=True):
        assert sent_h == pytest.approx(day["sent"] * scale, abs=0.5)
        assert delivered_h == pytest.approx(day["delivered"] * scale, abs=0.5)

    # Rates by kind and by cadence: a row each, the confirmations among them.
    kinds = page.locator("#results-by-kind g.chart-row")
    assert kinds.evaluate_all("(gs) => gs.map((g) => g.dataset.key)") == [
        g["key"] for g in stats["by_kind"]
    ]
    confirmation = page.locator('#results-by-kind g.chart-row[data-key="confirmation"]')
    expect(confirmation).to_contain_text("Confirmation")
    by_kind = {g["key"]: g for g in stats["by_kind"]}
    expect(confirmation.locator("text.chart-value").first).to_have_text(
        percent(by_kind["confirmation"]["confirmation_rate"])
    )
    cadences = page.locator("#results-by-cadence g.chart-row")
    assert cadences.evaluate_all("(gs) => gs.map((g) => g.dataset.key)") == [
        c["key"] for c in stats["by_cadence"]
    ]
    # Every chart is one named picture for a screen reader, its figures in a table.
    for chart in page.locator("svg.chart").all():
        assert chart.get_attribute("role") == "img"
        assert chart.evaluate("(svg) => svg.querySelector('title').textContent.length > 0")

    # Staff see the figures, not the experiments.
    expect(page.locator("#results-experiments")).to_be_hidden()
    tab.screenshot("results-page")

    # Another period: asked for, and said.
    with page.expect_request(re.compile(r".*/v1/stats\?days=31$")):
        page.get_by_role("button", name="31 days").click()
    expect(page.get_by_role("button", name="31 days")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="7 days")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#results-status")).to_contain_text(
        "Figures of the last 31 days", timeout=FIGURES_MS
    )
    month = staff_api.get("/v1/stats?days=31", staff.token)
    expect(page.locator("#results-daily g.chart-day")).to_have_count(len(month["daily"]))

    # In French, numbers and words alike.
    page.locator("#locale-select").select_option("fr")
    expect(page.get_by_role("heading", name="Résultats", exact=True)).to_be_visible()
    expect(tile(page, "confirmation").locator("dt")).to_have_text("Confirmés")
    expect(page.get_by_role("button", name="31 jours")).to_have_attribute("aria-pressed", "true")
    accessible(page, "results-page-fr")
    assert tab.problems == []


def test_the_csv_export_downloads_what_the_api_exports(
    console: OpenConsole,
    staff: StaffMember,
    staff_api: StaffApi,
    clinic: Tenant,
    measured: list[str],
) -> None:
    tab = console(accept_downloads=True)
    page = open_results(tab, staff)

    with page.expect_download(timeout=FIGURES_MS) as started:
        page.get_by_role("button", name="Download CSV").click()
    download = started.value

    assert download.suggested_filename == f"rendezvous-stats-{clinic.tenant_id}-7d.csv"
    path = download.path()
    assert path is not None
    got = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    exported = staff_api.request("GET", "/v1/stats/export?days=7", staff.token)
    assert exported.status_code == 200, exported.text
    assert got == list(csv.reader(io.StringIO(exported.text)))
    assert got[0][:2] == ["group", "key"]
    assert {"texts", "appointments", "kind", "day"} <= {row[0] for row in got[1:]}
    expect(page.locator("#results-status")).to_contain_text(download.suggested_filename)
    assert tab.problems == []


def test_the_results_page_fits_a_phone_s_width(
    console: OpenConsole, staff: StaffMember, measured: list[str]
) -> None:
    tab = console(viewport={"width": 390, "height": 844})
    page = open_results(tab, staff)

    expect(page.locator("#results-daily svg.chart")).to_be_visible()
    # The charts are drawn at the width they get; the page never scrolls sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    width = page.locator("#results-daily svg.chart").evaluate(
        "(svg) => svg.getBoundingClientRect().width"
    )
    assert width <= 390
    tab.screenshot("results-390")
    assert tab.problems == []


def test_an_idle_manager_on_the_results_view_keeps_to_the_console_s_budget(
    console: OpenConsole, manager: StaffMember, measured: list[str]
) -> None:
    tab = console(own_clock=True)
    page = tab.page
    api = ApiRequests(page)
    open_results(tab, manager)
    api.settle()
    page.clock.pause_at(page.evaluate("() => Date.now()") + 1_000)

    made = api.count_over(minutes=10)

    # The shell's 3 queue + 1 status a minute, the figures again once 5 minutes old (the
    # view's refresh comes every minute), tune-out every 15 minutes: 4.2-4.4 a minute, under
    # the 5.5 an idle console may make.
    recent = api.made[-made:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "results-idle-10-minutes.json").write_text(
        json.dumps({"requests": made, "per_minute": made / 10, "urls": recent}, indent=2) + "\n"
    )
    assert made <= 55, recent
    assert 1 <= len([u for u in recent if "/v1/stats?" in u]) <= 2, recent
    assert len([u for u in recent if "/v1/tune-out" in u]) <= 1, recent
    assert [u for u in recent if "/v1/experiments" in u] == []
    assert tab.problems == []


# ---- experiments -------------------------------------------------------------------------------
# The clinic's own confirmations: the experiment runs only while its test does (the fixture
# stops it whatever happens), so no other test's texts change.
EXPERIMENT_KIND = "confirmation"
EXPERIMENT_LOCALE = "en"
SHORT = (
    "{business}: {first_name}, see you {when}, {location} {details}. "
    "Reply C to confirm, R to rebook, X to cancel."
)
IN_THE_EXPERIMENT = 4  # appointments booked while it runs


def effective_template(api: StaffApi, manager: StaffMember) -> dict[str, Any]:
    found: dict[str, Any] = api.get("/v1/settings", manager.token)["effective_templates"][
        EXPERIMENT_LOCALE
    ][EXPERIMENT_KIND]
    return found


@pytest.fixture
def confirmation_back(staff_api: StaffApi, manager: StaffMember) -> Iterator[None]:
    """No experiment left running and the English confirmation as it was, whatever the
    test did or where it stopped (the stack is shared by the whole session)."""
    before = effective_template(staff_api, manager)
    yield
    for experiment in staff_api.get("/v1/experiments", manager.token)["experiments"]:
        if experiment["status"] == "running":
            stopped = staff_api.request(
                "POST",
                f"/v1/experiments/{experiment['experiment_id']}/stop",
                manager.token,
                json={"winner": None},
            )
            assert stopped.status_code == 200, stopped.text
    settings = staff_api.get("/v1/settings", manager.token)
    text = before["text"] if before["overridden"] else None
    answer = requests.patch(
        staff_api.stack.url("/v1/settings"),
        headers={
            "Authorization": f"Bearer {manager.token}",
            "If-Match": f'"{settings["version"]}"',
        },
        json={"templates": {EXPERIMENT_LOCALE: {EXPERIMENT_KIND: text}}},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 200, answer.text


def fill_experiment(page: Page, experiment_id: str) -> None:
    form = page.get_by_role("form", name="Start an experiment")
    form.get_by_label("Name (lower-case letters, digits and -)").fill(experiment_id)
    form.get_by_label("Which text").select_option(EXPERIMENT_KIND)
    form.get_by_label("Language").select_option(EXPERIMENT_LOCALE)
    form.get_by_label("What it tries (optional)").fill("A shorter first line")
    control = form.get_by_role("group", name="Variant 1 (the control: your current text)")
    # The control starts from the text the business sends now for that kind and language.
    expect(control.get_by_label("Text")).not_to_have_value("", timeout=FIGURES_MS)
    challenger = form.get_by_role("group", name="Variant 2")
    challenger.get_by_label("Name").fill("short")
    challenger.get_by_label("Text").fill(SHORT)


def test_a_manager_starts_an_experiment_reads_its_report_and_stops_it_with_a_winner(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    manager: StaffMember,
    confirmation_back: None,
) -> None:
    before = effective_template(staff_api, manager)
    experiment_id = f"short-{uuid.uuid4().hex[:6]}"
    tab = console()
    tab.sign_in(manager)
    tab.show_view("results")
    page = tab.page
    section = page.locator("#results-experiments")
    expect(section.get_by_role("heading", name="Template experiments")).to_be_visible()

    # Nothing typed: said next to the name, nothing sent.
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.locator("#exp-id-error")).to_have_text(
        "Give the experiment a name and every variant a name and a text."
    )
    expect(page.locator("#exp-id")).to_be_focused()

    fill_experiment(page, experiment_id)
    expect(
        page.get_by_role("group", name="Variant 1 (the control: your current text)").get_by_label(
            "Text"
        )
    ).to_have_value(before["text"])
    page.get_by_role("button", name="Start the experiment").click()

    expect(page.locator("#exp-message")).to_have_text(
        f"{experiment_id} is running.", timeout=FIGURES_MS
    )
    row = page.locator(f'#exp-rows tr[data-experiment="{experiment_id}"]')
    expect(row).to_contain_text("Running")
    expect(row).to_contain_text("Confirmation, English")
    started = staff_api.get(f"/v1/experiments/{experiment_id}", manager.token)
    assert [v["name"] for v in started["variants"]] == ["current", "short"]
    assert started["variants"][0]["template"] == before["text"]
    assert started["variants"][1]["control"] is False

    # Its report, opened at once: no appointment yet, so not yet meaningful, in plain words.
    report = page.locator("#exp-report")
    expect(report.get_by_role("heading", name=f"Report: {experiment_id}")).to_be_focused()
    expect(report.locator("#exp-verdict")).to_have_attribute(
        "data-verdict", started["report"]["verdict"]
    )
    assert started["report"]["verdict"] == "not_yet_meaningful"
    expect(report.locator("#exp-verdict")).to_contain_text("Not yet meaningful")
    expect(report.locator("tbody tr")).to_have_count(2)

    # Visits booked while it runs get either wording (by a stable hash of their id); two come,
    # two do not. The report, asked for again, counts them as the API does.
    out_of_quiet_hours(stack, clinic)
    starts = (virtual_now(stack) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    phones = [a_number() for _ in range(IN_THE_EXPERIMENT)]
    ids = [book(stack, clinic, phone, starts) for phone in phones]
    for phone in phones:

        def texted(p: str = phone) -> list[str]:
            return texts_to(stack, p)

        bodies = wait_for(texted, timeout=15, what=f"the confirmation to {phone}")
        assert any("see you" in b or "booked" in b for b in bodies), bodies
    advance_clock(stack, 45)
    for appointment_id, outcome in zip(
        ids, ["attended", "no_show", "attended", "no_show"], strict=True
    ):
        record_outcome(staff_api, staff, appointment_id, outcome)
    counted = staff_api.get(f"/v1/experiments/{experiment_id}", manager.token)["report"]
    assert sum(arm["appointments"] for arm in counted["arms"]) == IN_THE_EXPERIMENT
    page.get_by_role("button", name=f"Report of {experiment_id}").click()
    for arm in counted["arms"]:
        line = report.locator("tbody tr").filter(has_text=arm["variant"])
        expect(line.locator("td").first).to_have_text(str(arm["appointments"]), timeout=FIGURES_MS)
        expect(line.locator("td").nth(3)).to_have_text(str(arm["with_outcome"]))
        expect(line.locator("td").nth(4)).to_have_text(percent(arm["no_show_rate"]))
    # Each comparison with the control: a whisker from its low to its high end, or words
    # when an arm has no outcome yet to compare.
    for comparison in counted["comparisons"]:
        whisker = report.locator(
            f'g.whisker[data-variant="{comparison["variant"]}"]'
            f'[data-metric="{comparison["metric"]}"]'
        )
        if comparison["difference"] is None:
            expect(whisker).to_contain_text("no data yet")
        else:
            expect(whisker.locator("circle")).to_have_count(1)
            low, high = signed_points(comparison["low"]), signed_points(comparison["high"])
            expect(whisker.locator("title")).to_contain_text(f"points ({low} to {high})")
            # Which side of zero wins, said per metric: fewer no-shows, more confirmations.
            better = whisker.locator("text.chart-better")
            if comparison["metric"] == "no_show_rate":
                expect(better).to_have_text("← lower is better")
                expect(better).to_have_attribute("text-anchor", "end")
            else:
                expect(better).to_have_text("higher is better →")
                expect(better).to_have_attribute("text-anchor", "start")
    expect(report.locator("#exp-verdict")).to_have_attribute("data-verdict", counted["verdict"])
    tab.screenshot("results-experiment-report")

    # A second one for the same text and language is refused while this one runs.
    fill_experiment(page, f"{experiment_id}-b")
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.locator("#exp-form-error")).to_contain_text("Not started:", timeout=FIGURES_MS)
    assert all(
        e["experiment_id"] != f"{experiment_id}-b"
        for e in staff_api.get("/v1/experiments", manager.token)["experiments"]
    )

    # Stop asks first; keeping it changes nothing.
    stop = report.get_by_role("button", name="Stop the experiment")
    stop.click()
    dialog = page.get_by_role("dialog", name=f"Stop {experiment_id}?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep it running")).to_be_focused()
    expect(dialog.get_by_label("The current text (no winner)")).to_be_checked()
    accessible(page, "results-experiment-stop")
    dialog.get_by_role("button", name="Keep it running").click()
    expect(dialog).to_be_hidden()
    expect(stop).to_be_focused()
    assert staff_api.get(f"/v1/experiments/{experiment_id}", manager.token)["status"] == "running"

    stop.click()
    caution = dialog.locator("#exp-stop-caution")
    expect(caution).to_be_hidden()
    # Four visits prove nothing: choosing a wording as the default is cautioned.
    assert counted["verdict"] != "winner", counted
    dialog.get_by_label("short: make it the default text").check()
    expect(caution).to_be_visible()
    expect(caution).to_have_text("The results do not yet show this wording is better.")
    accessible(page, "results-experiment-stop-caution")
    dialog.get_by_label("The current text (no winner)").check()
    expect(caution).to_be_hidden()
    dialog.get_by_label("short: make it the default text").check()
    dialog.get_by_role("button", name="Yes, stop it").click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#exp-message")).to_have_text(
        f"{experiment_id} is stopped; short is now the default text.", timeout=FIGURES_MS
    )
    expect(row).to_contain_text("Stopped: short is the default")
    expect(report.get_by_role("button", name="Stop the experiment")).to_have_count(0)
    stopped = staff_api.get(f"/v1/experiments/{experiment_id}", manager.token)
    assert (stopped["status"], stopped["winner"]) == ("stopped", "short")
    after = effective_template(staff_api, manager)
    assert after == {"text": SHORT, "overridden": True}
    # A stopped report says its interval words and nothing the page left out ("null").
    expect(report.locator("#exp-diff figcaption")).to_have_text("Intervals at 95% confidence.")
    expect(report).not_to_contain_text("null")
    # The next experiment's control is the text sent now: the winner's, without a reload.
    expect(
        page.get_by_role("group", name="Variant 1 (the control: your current text)").get_by_label(
            "Text"
        )
    ).to_have_value(SHORT, timeout=FIGURES_MS)

    # The texts of the experiment by variant, in a half-width card at 1280 px: every column
    # inside the card, through Cost; the page at a phone's width never wider than the window.
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_response(re.compile(r".*/v1/stats\?days=14$"), timeout=FIGURES_MS):
        page.get_by_role("button", name="14 days").click()
    by_variant = page.locator("#results-by-variant")
    expect(by_variant).to_contain_text(experiment_id, timeout=FIGURES_MS)
    fits = by_variant.evaluate(
        """(card) => {
            const wrap = card.querySelector('.table-wrap');
            const box = card.getBoundingClientRect();
            const inside = wrap.getBoundingClientRect().right <= box.right + 0.5;
            const cost = [...card.querySelectorAll('thead th')].at(-1);
            const shown = cost.getBoundingClientRect().right <= box.right + 0.5;
            const scrolls = ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX)
                && wrap.tabIndex === 0;
            return {inside, shown, scrolls, cost: cost.textContent,
                    wrap: wrap.clientWidth, table: wrap.scrollWidth};
        }"""
    )
    assert fits["cost"] == "Cost", fits
    assert fits["inside"], fits
    assert fits["shown"], fits
    assert fits["table"] <= fits["wrap"], fits
    # Narrower (or longer names) it scrolls inside its card, by keyboard too.
    assert fits["scrolls"], fits
    accessible(page, "results-by-variant-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

    # In French, the language is named in French too.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("#locale-select").select_option("fr")
    expect(row).to_contain_text("Confirmation, anglais")
    expect(report).to_contain_text("Confirmation, anglais")
    expect(report.locator("#exp-diff figcaption")).to_have_text("Intervalles à 95 % de confiance.")
    expect(report).not_to_contain_text("null")
    assert tab.problems == []


# ---- the tune-out banner -------------------------------------------------------------------------
def test_staff_never_see_the_tune_out_banner_nor_ask_for_it(
    console: OpenConsole, stack: LocalStackProcess, cognito: CognitoConfig
) -> None:
    salon = stack.tenants[1]
    salon_staff = signed_in(cognito, demo_login(stack, salon, "staff"))
    tab = console()
    asked: list[str] = []
    tab.page.on("request", lambda request: asked.append(request.url))

    tab.sign_in(salon_staff)
    tab.show_view("results")

    expect(tab.page.locator("#results-tiles .tile")).to_have_count(6)
    expect(tab.page.locator("#tune-out")).to_be_hidden()
    # The route is for managers: the page does not try it, nor the experiments.
    assert [u for u in asked if "/v1/tune-out" in u or "/v1/experiments" in u] == []
    assert tab.problems == []


TUNED_OUT_TEXTS = 100  # tune_out.MIN_TEXTS: fewer texts in 7 days never fire
STOPS = 3  # tune_out.MIN_OPT_OUTS; 3 of 100 is 30 per 1,000, over the default 10


def test_a_manager_sees_the_tune_out_banner_on_every_view_with_the_texts_that_drew_it(
    console: OpenConsole,
    stack: LocalStackProcess,
    cognito: CognitoConfig,
    staff_api: StaffApi,
    measured: list[str],
) -> None:
    """At the French salon (no other test signs in as its manager): a hundred bookings, each
    texted its confirmation, and three customers text STOP back."""
    salon = stack.tenants[1]
    salon_manager = signed_in(cognito, demo_login(stack, salon, "manager"))
    # `measured` took the clock to a morning in Los Angeles: an evening in Paris, before
    # its quiet hours, so the confirmations go out at once.
    starts = (virtual_now(stack) + timedelta(days=2)).replace(second=0, microsecond=0)
    phones = [f"+1415558{n:04d}" for n in range(TUNED_OUT_TEXTS)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda phone: book(stack, salon, phone, starts), phones))

    def all_texted() -> bool:
        answer = requests.get(f"{stack.twilio_base_url}/sandbox/messages", timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text
        return {m.get("to") for m in answer.json()["messages"]} >= set(phones)

    # Every confirmation out before the figures are read, so the page reads the same ones.
    wait_for(all_texted, timeout=60, interval=0.5, what="the hundred confirmations")
    for phone in phones[:STOPS]:
        text_the_business(stack, salon, phone, "STOP")

    def firing() -> dict[str, Any] | None:
        tune = staff_api.get("/v1/tune-out", salon_manager.token)
        return tune if tune["firing"] else None

    tune = wait_for(firing, timeout=60, interval=0.5, what="the tune-out alarm to fire")
    assert tune["reason"] == "threshold"
    assert tune["drawn_by"][0]["kind"] == "confirmation"
    tab = console()
    page = tab.page
    tab.sign_in(salon_manager)

    # The business's language (French), on the view the console opens with.
    banner = page.get_by_role("region", name="Des clients se désinscrivent")
    expect(banner).to_be_visible(timeout=FIGURES_MS)
    expect(page.locator("#view-day")).to_be_visible()
    rate = f"{tune['per_1000_7d']:.1f}".replace(".", ",").removesuffix(",0")
    expect(banner).to_contain_text(f"{rate} désinscriptions pour 1 000 SMS")
    expect(banner).to_contain_text(f"au-dessus de votre limite de {tune['threshold_per_1000']}")
    drawn = banner.locator('li[data-kind="confirmation"]')
    expect(drawn).to_contain_text(
        f"Confirmation : {tune['drawn_by'][0]['opt_outs']} désinscriptions"
    )
    expect(drawn.locator("q")).to_have_text(tune["drawn_by"][0]["body"])
    tab.screenshot("results-tune-out-banner")

    # On every view, and one button away from the figures.
    tab.show_view("queue")
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Voir les résultats").click()
    expect(page.locator("#view-results")).to_be_visible()
    expect(page.locator("#results-heading")).to_be_focused()

    # Hidden until it changes: the next reading with the same figures keeps it hidden.
    banner.get_by_role("button", name="Masquer jusqu’au prochain changement").click()
    expect(page.locator("#tune-out")).to_be_hidden()
    with page.expect_response(re.compile(r".*/v1/tune-out$"), timeout=FIGURES_MS):
        page.evaluate("() => RV.pollNow('tune-out')")
    page.wait_for_timeout(200)
    expect(page.locator("#tune-out")).to_be_hidden()

    # ... and after a reload, and in a new sign-in in another tab of this browser.
    with page.expect_response(re.compile(r".*/v1/tune-out$"), timeout=FIGURES_MS):
        page.reload()
    page.wait_for_timeout(200)
    expect(page.locator("#workspace")).to_be_visible()
    expect(page.locator("#tune-out")).to_be_hidden()
    again = ConsoleTab(page=page.context.new_page(), stack=stack)
    with again.page.expect_response(re.compile(r".*/v1/tune-out$"), timeout=FIGURES_MS):
        again.sign_in(salon_manager)
    again.page.wait_for_timeout(200)
    expect(again.page.locator("#tune-out")).to_be_hidden()
    # Another tenant's banner, or other figures, are not hidden by it.
    stored = again.page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('rendezvous.tuneOutHidden.'))"
    )
    assert stored == [f"rendezvous.tuneOutHidden.{salon.tenant_id}"], stored
    assert tab.problems == []
