"""The sandbox phone page on a phone: 390 px wide, nothing wider than the screen, the
controls a customer needs in view, and nothing axe-core calls serious."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ViewportSize, expect
from twilio.rest import Client

from infra.local.sandbox import SandboxConfig, SandboxServer
from tests.browser.conftest import ARTIFACTS, accessible

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

BUSINESS = "+15005550006"
CUSTOMER = "+14155550199"
# Long words and a long unbroken line: what made the page 1,686 px wide.
LONG_TEXT = (
    "Reminder: your appointment at Clinique Saint-Exupéry-des-Jardins is tomorrow at 09:30. "
    "Reply C to confirm, X to cancel. Details: https://rendezvous.example/a/" + "x" * 120
)
PHONE_SCREEN: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        account_sid="AC" + "0" * 32, auth_token="t" * 32, business_numbers=[BUSINESS]
    )
    with SandboxServer(config) as server:
        yield server


def test_the_phone_page_fits_a_390_px_screen(browser: Browser, sandbox: SandboxServer) -> None:
    twilio = Client(sandbox.config.account_sid, sandbox.config.auth_token)
    twilio.api.base_url = sandbox.base_url
    for n in range(3):
        twilio.messages.create(from_=BUSINESS, to=f"+1415555019{n}", body=LONG_TEXT)
    twilio.messages.create(from_=BUSINESS, to=CUSTOMER, body=LONG_TEXT)
    context = browser.new_context(
        viewport=PHONE_SCREEN, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{sandbox.base_url}/sandbox/phone")
    conversation = page.get_by_role("button", name=CUSTOMER)
    expect(conversation).to_be_visible()
    conversation.click()
    expect(page.get_by_role("heading", name=f"Conversation with {CUSTOMER}")).to_be_visible()
    expect(page.locator("#thread li")).to_have_count(1)

    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    for control in (
        conversation,
        page.get_by_label("Another customer number"),
        page.get_by_role("button", name="Open", exact=True),
        page.get_by_label("Text the business number"),
        page.get_by_label("Message", exact=True),
        page.get_by_role("button", name="Send", exact=True),
    ):
        control.scroll_into_view_if_needed()
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box is not None
        assert box["x"] >= 0, box
        assert box["x"] + box["width"] <= 390, box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-phone-390.png"), full_page=True)
    accessible(page, "sandbox-phone-390")
    assert problems == []
    context.close()
