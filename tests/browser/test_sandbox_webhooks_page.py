"""The sandbox's webhooks page in Chromium, under its own Content-Security-Policy: what a
receiver got shows up with its verdict, and the policy blocks nothing the page needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, expect

from infra.local.sandbox import SandboxConfig, SandboxServer
from rendezvous.adapters.webhook_http import HttpWebhookPoster
from tests.browser.conftest import accessible

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"type":"appointment.confirmed","timestamp":"2030-01-10T17:05:00.000Z","data":{}}'


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(account_sid="AC" + "0" * 32, auth_token="t" * 32)) as server:
        yield server


def test_the_page_shows_each_arrival_with_its_verdict_under_its_policy(
    browser: Browser, sandbox: SandboxServer
) -> None:
    requests.put(
        f"{sandbox.base_url}/sandbox/webhooks/crm/config", json={"secret": SECRET}, timeout=5
    ).raise_for_status()
    poster = HttpWebhookPoster(allow_loopback=True)
    poster.post(f"{sandbox.base_url}/sandbox/webhooks/crm", "evt_good", BODY, SECRET)
    poster.post(f"{sandbox.base_url}/sandbox/webhooks/crm", "evt_forged", BODY, "whsec_Zm9yZ2Vk")
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{sandbox.base_url}/sandbox/webhooks")

    expect(page.get_by_role("heading", name="crm (2 received)")).to_be_visible()
    items = page.locator("li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("not verified: No matching signature found")
    expect(items.nth(0)).to_contain_text("webhook-id evt_forged")
    expect(items.nth(1)).to_contain_text("signature verified")
    expect(items.nth(1)).to_contain_text('"type": "appointment.confirmed"')
    accessible(page, "sandbox-webhooks")
    assert problems == []
    page.close()
