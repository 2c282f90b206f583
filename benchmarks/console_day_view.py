"""The console on a busy week, in headless chromium.

A local stack (`python -m infra.local` in a subprocess) gets 2,000 appointments spread over
seven days from today and 300 open queue items. The appointments are written straight into
the stack's table by the project's own repository (DynamoAppointmentStore, as
infra/local/demo_day.py seeds the demo day: the same items and day-list keys the booking
system's PUT stores, no texts planned): through the API each booking costs moto a pass over
the whole table per index query, and seeding took 10-30 minutes. The 300 open items come the
real way, customers' texts through the sandbox phone (inbound webhook, classifier, queue).
Automated texts are paused first (POST /v1/pause), so nothing else is sent meanwhile.

Then a staff member signs in through the page, and each round opens the console afresh
(its session in the tab, as after a reload) and measures:

- first paint and first contentful paint: the 'paint' entries (PerformanceObserver);
- time to interactive: desk.js's performance.mark('rv:day-ready') (the day's list rendered
  and usable), and for the week view the time from pressing the week switch to its
  'rv:week-ready'. Until desk.js sets those, this benchmark's own observer marks the same
  moment, 'rv:desk-loaded': the day list's aria-busy lifted once its rows are rendered. A
  console without a day view is measured to its queue's first list ('rv:queue-ready');
- bytes transferred: transferSize of the navigation and of every resource, the API's
  answers included, until ready;
- API requests per minute of an idle, visible console: Playwright's clock, installed before
  the page opened, runs 10 minutes second by second while every request is counted.

Bounded: each wait has its timeout and the whole run stops after --budget seconds.

    python -m benchmarks.console_day_view [--appointments 2000 --open-items 300 --rounds 3]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import boto3
import requests
from botocore.config import Config
from playwright.sync_api import Browser, Page, Request, ViewportSize, sync_playwright

from infra.template import REGION
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.models import Appointment, Customer
from rendezvous.domain.ports import AppointmentStore
from tests.support import local_stack
from tests.support.local_stack import LocalStackProcess, Tenant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PARALLEL = 8  # requests in flight while seeding
HTTP_TIMEOUT = 30.0
READY_TIMEOUT_MS = 60_000
IDLE_MINUTES = 10
QUIET_MS = 150
SERVICES = ("Check-up", "Cleaning", "Consultation", "Follow-up", "X-ray")
PROVIDERS = ("Dr Adler", "Dr Brun", "Dr Castillo", "Dr Dubois")
# The day view's own marks (desk.js, when it sets them) come first; then what this
# benchmark's observer marks: the day list loaded (#desk-list's aria-busy lifted, each time),
# and, in a console without a day view, the queue's first list.
DAY_READY = "rv:day-ready"
WEEK_READY = "rv:week-ready"
DESK_LOADED = "rv:desk-loaded"  # as OBSERVER writes them
QUEUE_READY = "rv:queue-ready"
WEEK_SWITCH = "#desk-mode-week"
# Runs before the page's own script, outside its Content-Security-Policy (DevTools' init
# scripts are not the page's).
OBSERVER = """
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver((changes) => {
    const desk = changes.find((c) => c.target.id === "desk-list");
    if (desk && !desk.target.hasAttribute("aria-busy")) performance.mark("rv:desk-loaded");
  }).observe(document.body, {attributes: true, attributeFilter: ["aria-busy"], subtree: true});
  const list = document.getElementById("queue-list");
  if (!list) return;
  const observer = new MutationObserver(() => {
    if (list.children.length) { performance.mark("rv:queue-ready"); observer.disconnect(); }
  });
  observer.observe(list, {childList: true});
});
"""
PAINTS = """() => new Promise((resolve) => {
  new PerformanceObserver((list, observer) => {
    observer.disconnect();
    resolve(Object.fromEntries(list.getEntries().map((e) => [e.name, e.startTime])));
  }).observe({type: "paint", buffered: true});
  setTimeout(() => resolve({}), 2000);
})"""
MARK_AT = """([name, since]) => {
  const found = performance.getEntriesByName(name, "mark").filter((m) => m.startTime >= since);
  return found.length ? found[0].startTime : null;
}"""
BYTES = """() => [...performance.getEntriesByType("navigation"),
                ...performance.getEntriesByType("resource")]
  .reduce((sum, e) => sum + (e.transferSize || 0), 0)"""


class OutOfTime(Exception):
    pass


@contextmanager
def budget(seconds: int) -> Iterator[None]:
    """The whole run stops after `seconds`, whatever it waits for."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise OutOfTime(f"the benchmark ran out of its {seconds} s budget")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def progress(step: str) -> None:
    """Where the run is, on stderr: the table alone goes to stdout."""
    print(f"... {step}", file=sys.stderr, flush=True)


# ---- seeding --------------------------------------------------------------------------------
def loopback(url: str) -> str:
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing to load anything but 127.0.0.1: {url}")
    return url


def in_parallel(jobs: list[Callable[[requests.Session], None]]) -> float:
    """Each job with a session of its worker thread, PARALLEL at a time; seconds taken."""
    local = threading.local()

    def run(job: Callable[[requests.Session], None]) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        job(local.session)

    started = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as pool:
        for _ in pool.map(run, jobs):
            pass
    return time.monotonic() - started


def customer_phone(n: int) -> str:
    return f"+1415556{n:04d}"


def appointment_times(now: datetime, zone: ZoneInfo, count: int) -> list[datetime]:
    """`count` starts, as many on each of the seven days from today, 08:00 to 20:00 in the
    tenant's zone every 5 minutes with several providers at once (about 286 a day). Today's
    are all still to come (the API refuses a start in the past), so they crowd into what is
    left of the day from an hour on, or of its evening when the working day is over."""
    # The virtual clock runs on while the customers text (minutes on a busy 2-core machine).
    earliest = now + timedelta(hours=1)
    days: list[list[datetime]] = []
    for d in range(8):
        opening = (now.astimezone(zone) + timedelta(days=d)).replace(
            hour=8, minute=0, second=0, microsecond=0
        )
        slots = [opening + timedelta(minutes=5 * s) for s in range(24 * 12)]
        working = [t for t in slots[: 12 * 12] if t >= earliest]
        days.append(working or [t for t in slots if t >= earliest])
    week = [day for day in days if day][:7]
    return [week[n % 7][(n // 7) % len(week[n % 7])] for n in range(count)]


def appointment_store(stack: LocalStackProcess) -> AppointmentStore:
    """The project's own repository on the local stack's table (moto, on 127.0.0.1)."""
    endpoint = loopback(str(stack.credentials["aws_endpoint_url"]))
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        # moto's placeholder keys, as the stack's own process uses: no account behind them.
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
        config=Config(max_pool_connections=PARALLEL),
    )
    return DynamoAppointmentStore(client, str(stack.credentials["data_table_name"]))


def seed(stack: LocalStackProcess, tenant: Tenant, appointments: int, open_items: int) -> str:
    api = loopback(stack.api_base_url)
    sandbox = loopback(stack.twilio_base_url)
    manager = {"Authorization": f"Bearer {tenant.manager_token}"}
    paused = requests.post(
        f"{api}/v1/pause", json={"reason": "benchmark"}, headers=manager, timeout=HTTP_TIMEOUT
    )
    paused.raise_for_status()
    now = datetime.fromisoformat(
        requests.get(f"{api}/_local/clock", timeout=HTTP_TIMEOUT).json()["now"]
    )
    starts = appointment_times(now, ZoneInfo(tenant.timezone), appointments)
    store = appointment_store(stack)

    def book(n: int) -> Callable[[requests.Session], None]:
        # As infra/local/demo_day.py seeds the demo day: the item the booking system's PUT
        # would store (with the day-list keys), written by the repository, no texts planned.
        def job(session: requests.Session) -> None:
            store.create_appointment(
                Appointment(
                    tenant_id=tenant.tenant_id,
                    appointment_id=f"bench-{n:05d}",
                    customer=Customer(phone=customer_phone(n), name=f"Customer {n:04d}"),
                    starts_at=starts[n],
                    duration_minutes=30,
                    service=SERVICES[n % len(SERVICES)],
                    provider=PROVIDERS[n % len(PROVIDERS)],
                    created_at=now,
                    updated_at=now,
                ),
                [],
            )

        return job

    def text(n: int) -> Callable[[requests.Session], None]:
        def job(session: requests.Session) -> None:
            answer = session.post(
                f"{sandbox}/sandbox/phone/send",
                timeout=HTTP_TIMEOUT,
                json={
                    "from": customer_phone(n),
                    "to": tenant.phone_number,
                    "body": f"Hello, can I bring my daughter along? ({n})",
                },
            )
            assert answer.status_code == 200, answer.text

        return job

    # The customers who text are booked first and text before the rest are booked: each
    # inbound text's index queries cost moto a pass over the whole table (DynamoDB's do
    # not), so 300 texts after 2,000 appointments would take most of an hour.
    first = min(open_items, appointments)
    progress(f"writing {first} appointments of customers who then text")
    booked = in_parallel([book(n) for n in range(first)])
    progress(f"texting from {open_items} numbers through the sandbox phone")
    texted = in_parallel([text(n) for n in range(open_items)])
    progress(f"writing {appointments - first} more appointments")
    booked += in_parallel([book(n) for n in range(first, appointments)])
    progress("waiting for the stack to finish with them")
    staff = {"Authorization": f"Bearer {tenant.staff_token}"}
    listed = 0
    cursor: str | None = None
    while True:
        query = "status=open&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = requests.get(f"{api}/v1/queue?{query}", headers=staff, timeout=HTTP_TIMEOUT)
        page.raise_for_status()
        body = page.json()
        listed += len(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            break
    quiet = wait_until_quiet(api, staff)
    return (
        f"seeded: {appointments} appointments written to the local table by the repository "
        f"in {booked:.1f} s, {open_items} customers' texts through the sandbox phone in "
        f"{texted:.1f} s ({listed} open items listed), {PARALLEL} at a time; "
        f"the stack at rest {quiet:.0f} s later"
    )


def wait_until_quiet(api: str, staff: dict[str, str]) -> float:
    """Seconds until the stack has finished what the bookings set off (each one's
    confirmation is planned, then deferred by the pause, one after the other): until
    GET /v1/status answers in under QUIET_MS three times in a row. The console is measured
    against a stack at rest, not one still busy with the seeding."""
    started = time.monotonic()
    in_a_row = 0
    while in_a_row < 3:
        sent = time.monotonic()
        requests.get(f"{api}/v1/status", headers=staff, timeout=HTTP_TIMEOUT).raise_for_status()
        in_a_row = in_a_row + 1 if (time.monotonic() - sent) * 1000 < QUIET_MS else 0
        time.sleep(1)
    return time.monotonic() - started


# ---- the browser ----------------------------------------------------------------------------
@dataclass
class Load:
    first_paint: float | None
    first_contentful_paint: float | None
    ready: float | None  # ms from navigation start
    ready_mark: str
    bytes: int
    week_ready: float | None = None  # ms from pressing the week switch
    week_bytes: int | None = None


def staff_login(stack: LocalStackProcess, tenant: Tenant) -> tuple[str, str]:
    for user in stack.credentials["users"]:
        if user["tenant_id"] == tenant.tenant_id and user["role"] == "staff":
            return str(user["username"]), str(user["password"])
    raise SystemExit("credentials.json lists no staff login")


def signed_in_page(browser: Browser, stack: LocalStackProcess, tenant: Tenant) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(READY_TIMEOUT_MS)
    page = context.new_page()
    page.add_init_script(OBSERVER)
    page.goto(loopback(stack.url("/console")))
    username, password = staff_login(stack, tenant)
    page.get_by_label("Email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator("#tenant-name").filter(has_text=tenant.name).wait_for()
    return page


def wait_for_mark(page: Page, names: tuple[str, ...], since: float = 0) -> tuple[str, float]:
    """The first of `names` (in that order of preference) the page has marked since `since`,
    and when. Asked from here every 20 ms rather than by wait_for_function, whose polling
    runs on the page's timers, which an installed clock owns."""
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for name in names:
            at = page.evaluate(MARK_AT, [name, since])
            if at is not None:
                return name, float(at)
        time.sleep(0.02)
    raise TimeoutError(f"the console marked none of {names} in {READY_TIMEOUT_MS} ms")


def ready_marks(page: Page) -> tuple[str, ...]:
    """What says the console is ready: the day view's marks where it has one."""
    if page.locator('[data-view="day"]').count():
        return (DAY_READY, DESK_LOADED)
    return (QUEUE_READY,)


def one_load(page: Page, stack: LocalStackProcess) -> Load:
    page.goto(loopback(stack.url("/console")))
    page.locator("#workspace").wait_for(state="visible", timeout=READY_TIMEOUT_MS)
    mark, ready = wait_for_mark(page, ready_marks(page))
    paints = page.evaluate(PAINTS)
    load = Load(
        first_paint=paints.get("first-paint"),
        first_contentful_paint=paints.get("first-contentful-paint"),
        ready=ready,
        ready_mark=mark,
        bytes=int(page.evaluate(BYTES)),
    )
    switch = page.locator(WEEK_SWITCH)
    if mark != QUEUE_READY and switch.count():
        finished: list[Request] = []

        def keep(request: Request) -> None:
            finished.append(request)

        page.on("requestfinished", keep)
        pressed = float(page.evaluate("() => performance.now()"))
        switch.first.click()
        _, week = wait_for_mark(page, (WEEK_READY, DESK_LOADED), since=pressed)
        page.remove_listener("requestfinished", keep)
        load.week_ready = week - pressed
        # What the network carried for the switch, as Chromium counted it (bodies and headers).
        sizes = [request.sizes() for request in finished]
        load.week_bytes = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    return load


def idle_requests(browser: Browser, stack: LocalStackProcess, tenant: Tenant) -> dict[str, int]:
    """API requests an idle, visible console makes in IDLE_MINUTES of its clock, by path."""
    page = signed_in_page(browser, stack, tenant)
    page.clock.install()
    api_prefix = stack.url("/v1/")
    counting = False
    counted: dict[str, int] = {}
    in_flight: set[Request] = set()

    def sent(request: Request) -> None:
        in_flight.add(request)
        if counting and request.url.startswith(api_prefix):
            path = urlsplit(request.url).path
            counted[path] = counted.get(path, 0) + 1

    def done(request: Request) -> None:
        in_flight.discard(request)

    page.on("request", sent)
    page.on("requestfinished", done)
    page.on("requestfailed", done)
    page.goto(loopback(stack.url("/console")))
    # The clock fakes the Performance API too (no marks): the workspace on screen and one
    # quiet second of network say the console has opened.
    page.locator("#workspace").wait_for(state="visible")
    quiet_since = time.monotonic()
    deadline = quiet_since + READY_TIMEOUT_MS / 1000
    while time.monotonic() - quiet_since < 1 and time.monotonic() < deadline:
        if in_flight:
            quiet_since = time.monotonic()
        page.wait_for_timeout(20)
    counting = True
    # Time stands still but for the steps below; each step lets the requests it started
    # finish, so the page schedules its next refresh from their answers, as it would.
    page.clock.pause_at(int(page.evaluate("() => Date.now()")) + 1000)
    for _ in range(IDLE_MINUTES * 60):
        page.clock.run_for(1000)
        deadline = time.monotonic() + HTTP_TIMEOUT
        while in_flight and time.monotonic() < deadline:
            page.wait_for_timeout(5)
        page.wait_for_timeout(2)
    page.context.close()
    return counted


# ---- the report -------------------------------------------------------------------------------
def ms(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    return f"{statistics.median(known):,.0f} ms" + (
        f" ({min(known):,.0f}-{max(known):,.0f})" if len(known) > 1 else ""
    )


def report(loads: list[Load], idle: dict[str, int], seeded: str) -> None:
    kb = [load.bytes / 1024 for load in loads]
    print(seeded)
    print(f"{len(loads)} fresh loads of the console as staff, headless chromium, median (range):")
    rows = [
        ("first paint", ms([load.first_paint for load in loads])),
        ("first contentful paint", ms([load.first_contentful_paint for load in loads])),
        (f"day view ready ({loads[0].ready_mark})", ms([load.ready for load in loads])),
        ("bytes transferred to ready", f"{statistics.median(kb):,.1f} KiB"),
        ("week view ready after the switch", ms([load.week_ready for load in loads])),
        (
            "week view bytes",
            "n/a"
            if loads[0].week_bytes is None
            else f"{statistics.median([(load.week_bytes or 0) / 1024 for load in loads]):,.1f} KiB",
        ),
    ]
    total = sum(idle.values())
    rows.append(
        (f"idle API requests per minute ({IDLE_MINUTES} min)", f"{total / IDLE_MINUTES:.1f}")
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print("  idle requests by path: " + ", ".join(f"{p} {n}" for p, n in sorted(idle.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=2000)
    parser.add_argument("--open-items", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=1500, help="seconds for the whole run")
    args = parser.parse_args()
    with budget(args.budget), tempfile.TemporaryDirectory() as folder:
        stack = local_stack.start(Path(folder))
        try:
            tenant = stack.tenants[0]
            seeded = seed(stack, tenant, args.appointments, args.open_items)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
                )
                try:
                    page = signed_in_page(browser, stack, tenant)
                    progress(f"{args.rounds} loads of the console")
                    loads = [one_load(page, stack) for _ in range(args.rounds)]
                    page.context.close()
                    progress(f"{IDLE_MINUTES} idle minutes on the page's clock")
                    idle = idle_requests(browser, stack, tenant)
                finally:
                    browser.close()
            report(loads, idle, seeded)
        finally:
            try:
                local_stack.stop(stack, timeout=60)
            except AssertionError:
                progress("the local stack was still busy: killed")


if __name__ == "__main__":
    main()
