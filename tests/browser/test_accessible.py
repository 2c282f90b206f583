"""The axe-core check itself: it finds what it should, even under a strict policy."""

from __future__ import annotations

import pytest
from _pytest.outcomes import Failed
from playwright.sync_api import Browser

from tests.browser.conftest import accessible

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

# The console's own policy, in short: no script but a hashed one, Trusted Types enforced.
STRICT = (
    "default-src 'none'; script-src 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)


def test_a_nameless_button_and_a_missing_label_fail_under_a_strict_policy(
    browser: Browser,
) -> None:
    page = browser.new_page()
    page.route(
        "http://rendezvous.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": STRICT},
            body='<!doctype html><html lang="en"><title>t</title><main>'
            '<button type="button"></button><input type="text"></main></html>',
        ),
    )
    page.goto("http://rendezvous.test/")

    with pytest.raises(Failed) as failed:
        accessible(page, "axe-self-check-bad")

    assert "[critical] button-name" in str(failed.value)
    assert "label" in str(failed.value)
    page.close()


def test_a_plain_named_page_passes(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Fine</title></head><body><main>'
        '<h1>Fine</h1><label for="n">Name</label><input id="n" type="text">'
        '<button type="button">Save</button></main></body></html>'
    )

    accessible(page, "axe-self-check-good")

    page.close()
