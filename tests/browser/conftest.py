"""The console in headless chromium, against one `python -m infra.local` for the session.

Debian's chromium (/usr/bin/chromium, put there by infra/ensure_chromium.sh) is driven by
Playwright; Playwright's own browser downloads are never used. Screenshots of each main
state go to test-artifacts/console/, and axe-core checks each of those states
(`accessible`): a serious or critical violation fails the test.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from infra.template import ROOT
from tests.support import local_stack
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ENSURE_CHROMIUM = ROOT / "infra" / "ensure_chromium.sh"
ARTIFACTS = ROOT / "test-artifacts" / "console"
# npm's axe-core, vendored with its licence (tests/browser/vendor/axe-core/README.md).
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_FAILING_IMPACTS = ("serious", "critical")
UI_TIMEOUT_MS = 10_000
POLL_MS = 20_000  # console.js's QUEUE_EVERY_MS: the open queue's refresh
POLL_TIMEOUT_MS = 12_000  # one poll (after poll_now) and some slack
HTTP_TIMEOUT = 10.0
DESKTOP = {"width": 1366, "height": 900}

PR_SET_PDEATHSIG = 1

expect.set_options(timeout=UI_TIMEOUT_MS)
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Login:
    """A username and password from credentials.json's `users` (or made by a test)."""

    username: str
    password: str
    role: str
    tenant_id: str


@dataclass(frozen=True)
class StaffMember:
    """A person who signs in to the console, and the ID token the tests call the API with."""

    login: Login
    sub: str
    name: str  # who the API says acted (claimed by, paused by): the token's e-mail
    token: str


@dataclass(frozen=True)
class CognitoConfig:
    """What the page signs in against: read from the page itself, as the browser does."""

    endpoint: str
    region: str
    user_pool_id: str
    client_id: str
    auth_flow: str

    def call(self, action: str, body: dict[str, Any]) -> requests.Response:
        """Cognito's JSON API, as the page calls it."""
        return requests.post(
            self.endpoint,
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
            },
            data=json.dumps(body),
            timeout=HTTP_TIMEOUT,
        )

    def tokens(self, login: Login) -> dict[str, Any]:
        answer = self.call(
            "InitiateAuth",
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": self.client_id,
                "AuthParameters": {"USERNAME": login.username, "PASSWORD": login.password},
            },
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["AuthenticationResult"]
        return result


@dataclass
class ConsoleTab:
    """A page with the console open, and what went wrong in it that nobody caught."""

    page: Page
    stack: LocalStackProcess
    problems: list[str] = field(default_factory=list)

    def open(self, fragment: str = "") -> None:
        answer = self.page.goto(self.stack.url("/console") + fragment)
        assert answer is not None, "GET /console answered nothing"
        assert answer.ok, (
            f"GET /console answered {answer.status}: is ConsoleFunction in template.yaml?"
        )

    def poll_now(self) -> None:
        """The page's next poll, now rather than up to POLL_MS later: its timers run on a
        clock installed before it opened (`console(own_clock=True)`), moved forward here.
        A poll already under way is not hurried: the one it schedules comes in real time."""
        self.page.clock.fast_forward(POLL_MS)

    def sign_in(self, who: StaffMember | Login) -> None:
        """Through the form, with a username and password."""
        login = who.login if isinstance(who, StaffMember) else who
        self.open()
        self.fill_sign_in(login.username, login.password)
        self.expect_signed_in()

    def fill_sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label("Email").fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in", exact=True).click()

    def stored_session(self) -> dict[str, Any] | None:
        """What the page keeps in this tab's sessionStorage."""
        raw = self.page.evaluate("() => sessionStorage.getItem('rendezvous.console.session')")
        return json.loads(raw) if raw else None

    def expect_signed_in(self) -> None:
        expect(self.page.locator("#workspace")).to_be_visible()
        expect(self.page.locator("#tenant-name")).not_to_be_empty()

    def show_view(self, name: str) -> None:
        """The view by its button in the nav (the day view comes first after sign-in);
        with one view only there is no nav, and that view is on screen."""
        button = self.page.locator(f'#views button[data-view="{name}"]')
        if button.is_visible():
            button.click()
        expect(self.page.locator(f"#view-{name}")).to_be_visible()

    def queue_item(self, phone: str) -> Any:
        # By number, not by text: a card shows the customer's name, or a masked number.
        return self.page.locator(f'#queue-list .queue-item[data-phone="{phone}"]')

    def open_item(self, phone: str) -> None:
        self.show_view("queue")
        self.queue_item(phone).get_by_role("button").click()
        # "Conversation with +1415…", or with the name first when the customer has one.
        heading = self.page.locator("#conv-heading")
        expect(heading).to_contain_text("Conversation with")
        expect(heading).to_contain_text(phone)

    def screenshot(self, name: str) -> None:
        """A main state of the page: saved as a picture, and checked by axe-core."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        accessible(self.page, name)


# ---- accessibility ------------------------------------------------------------------------
@cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text("utf-8")


def accessible(page: Page, name: str) -> None:
    """axe-core's rules on the page as it is now; fails on any serious or critical violation,
    naming each with the elements it found, and saves the whole report beside the screenshots.

    axe goes in through Playwright's evaluate (DevTools' Runtime.evaluate), which a page's
    Content-Security-Policy does not govern, rather than a <script> tag the console's policy
    would refuse. The alternative, a context with bypass_csp=True, would switch the policy off
    for the whole test, so a page that only works without its policy (an inline handler, a
    string into innerHTML that Trusted Types refuse) would pass: the page under test keeps
    its real policy. axe itself needs neither eval nor HTML strings, so it runs under it.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # `;0`: the script's own completion value is nothing to bring back.
        page.evaluate(_axe_source() + "\n;0")
    report: dict[str, Any] = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then((r) => ({
            url: r.url,
            violations: r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(' '), summary: n.failureSummary,
                })),
            })),
        }))"""
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    failing = [v for v in report["violations"] if v["impact"] in AXE_FAILING_IMPACTS]
    if failing:
        lines = [f"axe-core on {name!r} ({report['url']}): {len(failing)} serious/critical"]
        for violation in failing:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
            lines.extend(f"    {n['target']}: {n['summary']}" for n in violation["nodes"][:5])
        print("\n".join(lines))
        pytest.fail("\n".join(lines), pytrace=False)


class StaffApi:
    """The staff API over HTTP, for setting up and checking what the page did."""

    def __init__(self, stack: LocalStackProcess) -> None:
        self.stack = stack

    def request(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            self.stack.url(path),
            headers={"Authorization": f"Bearer {token}"},
            timeout=HTTP_TIMEOUT,
            **kwargs,
        )

    def get(self, path: str, token: str) -> Any:
        answer = self.request("GET", path, token)
        assert answer.status_code == 200, answer.text
        return answer.json()


# ---- the browser ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        try:
            done = subprocess.run(
                ["bash", str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=900
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{ENSURE_CHROMIUM} did not finish in 15 minutes")
        if done.returncode != 0 or not CHROMIUM.exists():
            pytest.fail(f"no chromium at {CHROMIUM}: {done.stderr.strip() or done.stdout.strip()}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console(browser: Browser, stack: LocalStackProcess) -> Iterator[Callable[..., ConsoleTab]]:
    """Opens console tabs, each in its own browser context (its own sessionStorage)."""
    tabs: list[ConsoleTab] = []

    def open_tab(*, own_clock: bool = False, **context_options: Any) -> ConsoleTab:
        options: dict[str, Any] = {"viewport": DESKTOP, "locale": "en-US"}
        options.update(context_options)
        context = browser.new_context(**options)
        context.set_default_timeout(UI_TIMEOUT_MS)
        tab = ConsoleTab(context.new_page(), stack)
        if own_clock:
            # Playwright's clock flows in real time until poll_now() jumps it forward.
            tab.page.clock.install()

        def on_console(message: ConsoleMessage) -> None:
            # A 4xx the page handles is logged by chromium too; CSP refusals and Trusted
            # Types violations are not handled by anyone.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                tab.problems.append(message.text)

        tab.page.on("console", on_console)
        tab.page.on("pageerror", lambda error: tab.problems.append(f"uncaught: {error}"))
        tabs.append(tab)
        return tab

    yield open_tab
    problems = [p for tab in tabs for p in tab.problems]
    for tab in tabs:
        tab.page.context.close()
    assert not problems, f"the page reported errors: {problems}"


# ---- the stack ----------------------------------------------------------------------------
def _die_with_the_tests() -> None:
    """In the child: a test run that is killed takes its stack along (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _spawn_bound_to_us(
    local_dir: Path, api_port: int, sandbox_port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    """local_stack.spawn's process, which does not outlive a killed test run."""
    env = local_stack._environment(local_dir, api_port, sandbox_port)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "infra.local"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_the_tests,
        )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_stack, "spawn", _spawn_bound_to_us)
        running = local_stack.start(Path(tmp_path_factory.mktemp("rendezvous-console")))
    yield running
    code = local_stack.stop(running)
    assert code == 0, f"the local stack exited with {code}:\n{running.output()}"


@pytest.fixture(scope="session")
def staff_api(stack: LocalStackProcess) -> StaffApi:
    return StaffApi(stack)


@pytest.fixture(scope="session")
def clinic(stack: LocalStackProcess) -> Tenant:
    return stack.tenants[0]


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


@pytest.fixture(scope="session")
def cognito(stack: LocalStackProcess) -> CognitoConfig:
    answer = requests.get(stack.url("/console"), timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    found = re.search(r'id="console-config">(.*?)</script>', answer.text)
    assert found, "the console page embeds no sign-in config"
    config = json.loads(found.group(1))
    return CognitoConfig(
        endpoint=config["endpoint"],
        region=config["region"],
        user_pool_id=config["userPoolId"],
        client_id=config["clientId"],
        auth_flow=config["authFlow"],
    )


def demo_login(stack: LocalStackProcess, tenant: Tenant, role: str) -> Login:
    """The tenant's demo login for `role` from credentials.json."""
    for user in stack.credentials["users"]:
        if user["tenant_id"] == tenant.tenant_id and user["role"] == role:
            return Login(user["username"], user["password"], user["role"], user["tenant_id"])
    raise AssertionError(f"credentials.json lists no {role} login of {tenant.tenant_id}")


def signed_in(cognito: CognitoConfig, login: Login) -> StaffMember:
    token = str(cognito.tokens(login)["IdToken"])
    claims = _claims(token)
    return StaffMember(login, str(claims["sub"]), str(claims.get("email") or claims["sub"]), token)


@pytest.fixture(scope="session")
def staff(stack: LocalStackProcess, clinic: Tenant, cognito: CognitoConfig) -> StaffMember:
    """The clinic's staff member from credentials.json."""
    return signed_in(cognito, demo_login(stack, clinic, "staff"))


@pytest.fixture(scope="session")
def manager(stack: LocalStackProcess, clinic: Tenant, cognito: CognitoConfig) -> StaffMember:
    """The clinic's manager from credentials.json."""
    return signed_in(cognito, demo_login(stack, clinic, "manager"))


@pytest.fixture(scope="session")
def colleague(manager: StaffMember) -> StaffMember:
    """A second person of the same clinic (its manager: whatever staff may do, so may they)."""
    return manager


# ---- customers ------------------------------------------------------------------------------
@pytest.fixture
def customer() -> str:
    """A number no other test texts from: +1 415 555 04xx."""
    return f"+14155550{400 + next(_numbers):03d}"


def text_the_business(stack: LocalStackProcess, tenant: Tenant, phone: str, body: str) -> None:
    """The customer texts the business from the sandbox phone."""
    answer = requests.post(
        f"{stack.twilio_base_url}/sandbox/phone/send",
        json={"from": phone, "to": tenant.phone_number, "body": body},
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 200, answer.text


def wait_for_open_item(api: StaffApi, staff: StaffMember, phone: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        items = api.get("/v1/queue?status=open&limit=100", staff.token)["items"]
        return next((i for i in items if i["phone"] == phone), None)

    return wait_for(find, timeout=10, interval=0.1, what=f"an open item from {phone}")


def texts_to(stack: LocalStackProcess, phone: str) -> list[str]:
    """Bodies of the texts the sandbox phone at `phone` has received."""
    answer = requests.get(f"{stack.twilio_base_url}/sandbox/messages", timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return [m["body"] for m in answer.json()["messages"] if m.get("to") == phone]
