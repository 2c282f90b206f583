"""The managers' view: settings (merge patch with If-Match, a 412 and a 422 said plainly),
webhook endpoints with their delivery log and a retry, and the texts whose retries ran out
sent again. Staff never see the view."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import (
    HTTP_TIMEOUT,
    ConsoleTab,
    StaffApi,
    StaffMember,
    text_the_business,
    wait_for_open_item,
)
from tests.support.local_stack import LocalStackProcess, Tenant, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

OpenConsole = Callable[..., ConsoleTab]
TEMPLATE_KINDS = ("confirmation", "moved", "reminder")  # the ones a manager may override


def settings(api: StaffApi, manager: StaffMember) -> dict[str, Any]:
    found: dict[str, Any] = api.get("/v1/settings", manager.token)
    return found


def patch_settings(api: StaffApi, manager: StaffMember, patch: dict[str, Any]) -> None:
    version = settings(api, manager)["version"]
    answer = requests.patch(
        api.stack.url("/v1/settings"),
        headers={"Authorization": f"Bearer {manager.token}", "If-Match": f'"{version}"'},
        json=patch,
        timeout=HTTP_TIMEOUT,
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def restore_settings(staff_api: StaffApi, manager: StaffMember) -> Iterator[None]:
    """The settings as they were, whatever the test changed (the stack is shared)."""
    before = settings(staff_api, manager)
    yield
    editable = set(before) - set(before["read_only"]) - {"version", "read_only"}
    editable.discard("effective_templates")
    patch = {name: before[name] for name in editable}
    patch["templates"] = {
        locale: {kind: before["templates"].get(locale, {}).get(kind) for kind in TEMPLATE_KINDS}
        for locale in before["effective_templates"]
    }
    patch["opening_hours"] = {
        "days": {str(d): before["opening_hours"]["days"].get(str(d)) for d in range(1, 8)}
    }
    patch_settings(staff_api, manager, patch)


def open_manage(tab: ConsoleTab, manager: StaffMember) -> Page:
    tab.sign_in(manager)
    tab.show_view("manage")
    page = tab.page
    expect(page.get_by_role("heading", name="Manage", exact=True)).to_be_focused()
    expect(page.get_by_label("Name (starts every text)")).not_to_have_value("")
    return page


def test_staff_do_not_see_the_managers_view(console: OpenConsole, staff: StaffMember) -> None:
    tab = console()
    page = tab.page
    tab.sign_in(staff)

    expect(page.locator("#views")).not_to_contain_text("Manage")
    assert page.locator('#views button[data-view="manage"]').count() == 0
    # Not even by calling the shell: the view is for managers.
    assert page.evaluate("() => RV.showView('manage')") is False
    expect(page.locator("#view-manage")).to_be_hidden()
    expect(page.get_by_role("heading", name="Settings")).to_have_count(0)


def test_a_manager_changes_a_setting_and_is_told_what_was_refused(
    console: OpenConsole,
    staff_api: StaffApi,
    manager: StaffMember,
    restore_settings: None,
) -> None:
    before = settings(staff_api, manager)
    tab = console()
    page = open_manage(tab, manager)

    # What a manager may not change is shown, not offered as a field.
    fixed = page.locator("#settings-fixed")
    expect(fixed).to_contain_text(before["phone_number"])
    expect(fixed).to_contain_text(before["tenant_id"])
    assert page.locator(f'input[value="{before["phone_number"]}"]').count() == 0
    expect(page.get_by_label("Name (starts every text)")).to_have_value(before["name"])
    tab.screenshot("20-manage-settings")

    cap = page.get_by_label("At most this many texts to one customer a day")
    cap.fill("50")
    page.get_by_label("Contact line (optional)").fill("Call 555 0100 to change a visit")
    page.get_by_role("button", name="Save settings").click()

    # The API's 422 names daily_cap: its words go next to that field, nothing is saved.
    expect(page.locator("#set-daily-cap-error")).to_contain_text("20")
    expect(cap).to_have_attribute("aria-invalid", "true")
    expect(cap).to_be_focused()
    assert settings(staff_api, manager)["version"] == before["version"]
    tab.screenshot("21-manage-settings-refused")

    cap.fill("3")
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator("#settings-message")).to_have_text("Settings saved.")
    expect(page.locator("#set-daily-cap-error")).to_be_empty()
    after = settings(staff_api, manager)
    assert after["version"] == before["version"] + 1
    assert after["daily_cap"] == 3
    assert after["contact"] == "Call 555 0100 to change a visit"
    # Only what changed was sent: the rest is as it was.
    assert after["quiet_hours"] == before["quiet_hours"]
    assert after["templates"] == before["templates"]
    expect(page.locator("#settings-fixed")).to_contain_text(str(after["version"]))


def test_a_change_someone_else_saved_first_is_reloaded_not_overwritten(
    console: OpenConsole,
    staff_api: StaffApi,
    manager: StaffMember,
    restore_settings: None,
) -> None:
    tab = console()
    page = open_manage(tab, manager)
    page.get_by_label("Contact line (optional)").fill("Mine")
    # A colleague saves meanwhile (another tab, the same API).
    patch_settings(staff_api, manager, {"name": "Clinique Renommée"})

    page.get_by_role("button", name="Save settings").click()

    expect(page.locator("#settings-message")).to_contain_text("Someone else changed the settings")
    expect(page.get_by_label("Name (starts every text)")).to_have_value("Clinique Renommée")
    expect(page.get_by_label("Contact line (optional)")).not_to_have_value("Mine")
    assert settings(staff_api, manager)["contact"] != "Mine"
    tab.screenshot("22-manage-settings-conflict")


def test_a_template_shows_its_segments_as_it_is_typed(
    console: OpenConsole, manager: StaffMember
) -> None:
    tab = console()
    page = open_manage(tab, manager)
    page.locator("summary", has_text="English").click()
    reminder = page.locator("#set-tpl-en-reminder")
    count = page.locator("#set-tpl-en-reminder-count")
    expect(count).to_contain_text("1 SMS segment")

    reminder.fill("{business}: see you {time}. " + "Bring your card please. " * 7)
    expect(count).to_contain_text("2 SMS segments")
    reminder.fill("{business}: see you {time} 🙂")
    expect(count).to_have_text(re.compile(r"^\d+ characters as written · 1 SMS segment$"))
    tab.screenshot("23-manage-template")


class Receiver:
    """The sandbox's booking-system receiver: what arrived, answering as configured."""

    def __init__(self, stack: LocalStackProcess) -> None:
        self.name = f"crm-{uuid.uuid4().hex[:8]}"
        self.url = f"{stack.twilio_base_url}/sandbox/webhooks/{self.name}"

    def configure(self, **config: object) -> None:
        answer = requests.put(f"{self.url}/config", json=config, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text

    def answered(self) -> list[int]:
        answer = requests.get(self.url, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text
        return [int(a["answered"]) for a in answer.json()["arrivals"]]


def test_a_manager_adds_an_endpoint_reads_its_log_retries_and_deletes_it(
    console: OpenConsole,
    stack: LocalStackProcess,
    clinic: Tenant,
    staff: StaffMember,
    staff_api: StaffApi,
    manager: StaffMember,
    customer: str,
) -> None:
    receiver = Receiver(stack)
    tab = console()
    page = open_manage(tab, manager)

    page.get_by_label("Name (letters, digits, - and _)").fill(receiver.name)
    page.get_by_label("URL (https)").fill(receiver.url)
    page.get_by_label("queue.item_opened").check()
    page.get_by_role("button", name="Add endpoint").click()

    secret_box = page.locator("#hook-secret-value")
    expect(secret_box).to_have_value(re.compile(r"^whsec_"))
    receiver.configure(secret=secret_box.input_value())
    endpoint = page.locator(f'#hooks-list [data-endpoint="{receiver.name}"]')
    expect(endpoint).to_contain_text("queue.item_opened")
    tab.screenshot("24-manage-webhook-added")

    text_the_business(stack, clinic, customer, "Is there parking near you?")
    wait_for_open_item(staff_api, staff, customer)
    wait_for(receiver.answered, timeout=10, what="the event at the receiver")
    endpoint.get_by_role("button", name=f"Delivery log {receiver.name}").click()
    log = page.locator("#hook-log-rows tr")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("queue.item_opened")
    expect(log.first).to_contain_text("delivered")
    expect(log.first).to_contain_text("HTTP 200")

    # The booking system lost it and is down: a retry by hand fails at once...
    receiver.configure(fail_next=1, status=503)
    log.first.get_by_role("button", name=re.compile("^Retry queue.item_opened")).click()
    expect(page.locator("#announcer")).to_contain_text("Retrying the delivery of queue.item_opened")
    expect(log.first).to_contain_text("failed", timeout=15_000)
    expect(log.first).to_contain_text("HTTP 503")
    tab.screenshot("25-manage-webhook-failed")
    # ...and the next one, once it is back, delivers it.
    log.first.get_by_role("button", name=re.compile("^Retry")).click()
    expect(log.first).to_contain_text("delivered", timeout=15_000)
    assert receiver.answered() == [200, 503, 200]

    def accept(dialog: Dialog) -> None:
        assert receiver.name in dialog.message
        dialog.accept()

    page.once("dialog", accept)
    endpoint.get_by_role("button", name=f"Delete {receiver.name}").click()
    expect(endpoint).to_have_count(0)
    expect(page.locator("#hook-log")).to_be_hidden()
    names = [e["endpoint_id"] for e in staff_api.get("/v1/webhooks", manager.token)["endpoints"]]
    assert receiver.name not in names


def test_a_refused_endpoint_url_is_said_next_to_the_field(
    console: OpenConsole, manager: StaffMember
) -> None:
    tab = console()
    page = open_manage(tab, manager)
    page.get_by_label("Name (letters, digits, - and _)").fill("private-crm")
    page.get_by_label("URL (https)").fill("http://10.0.0.8/hooks")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#hook-events-error")).to_have_text("Choose at least one event.")

    page.get_by_label("appointment.confirmed").check()
    page.get_by_role("button", name="Add endpoint").click()

    expect(page.locator("#hook-url-error")).not_to_be_empty()
    expect(page.get_by_label("URL (https)")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#hook-events-error")).to_be_empty()


def test_the_managers_view_fits_a_phone_and_speaks_french(
    console: OpenConsole, manager: StaffMember
) -> None:
    tab = console(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = open_manage(tab, manager)

    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    for name in ("Save settings", "Add endpoint"):
        button = page.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        expect(button).to_be_in_viewport()
    tab.screenshot("27-manage-390")

    page.get_by_label("Language", exact=True).select_option("fr")

    expect(page.get_by_role("heading", name="Gestion", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Réglages", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer les réglages")).to_be_visible()
    expect(page.locator("#set-day-1")).to_have_text("lundi")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
