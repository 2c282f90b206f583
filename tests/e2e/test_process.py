"""The process around the stack: one per state directory."""

from __future__ import annotations

import subprocess

import pytest
import requests

from tests.support.local_stack import LocalStackProcess, free_ports, spawn

pytestmark = pytest.mark.e2e


def test_a_second_stack_on_the_same_state_directory_exits_at_once(
    stack: LocalStackProcess,
) -> None:
    api_port, sandbox_port = free_ports(2)
    log = stack.local_dir / "second.log"

    second = spawn(stack.local_dir, api_port, sandbox_port, log)
    try:
        code = second.wait(10)
    except subprocess.TimeoutExpired:
        second.kill()
        second.wait(5)
        pytest.fail("a second stack kept running")

    assert code != 0
    output = log.read_text()
    assert "already running" in output
    assert str(stack.local_dir) in output
    assert stack.process.poll() is None  # the first one is untouched


def test_the_ready_banner_says_where_staff_sign_in_and_with_which_login(
    stack: LocalStackProcess,
) -> None:
    banner = stack.output()
    console = f"{stack.api_base_url}/console"
    rows = banner.splitlines()
    at = next((i for i, row in enumerate(rows) if row.rstrip().endswith(console)), None)
    assert at is not None, f"the banner does not name {console}:\n{banner}"
    assert '"users"' in rows[at + 1]  # and says where the logins are, right under it
    assert all(user["password"] not in banner for user in stack.credentials["users"])

    page = requests.get(console, timeout=10)
    assert page.status_code == 200
    assert 'id="signin-button"' in page.text


def test_the_ready_banner_names_the_page_of_what_the_webhooks_posted(
    stack: LocalStackProcess,
) -> None:
    receivers = f"{stack.credentials['twilio_base_url']}/sandbox/webhooks"
    assert any(row.rstrip().endswith(receivers) for row in stack.output().splitlines()), (
        f"the banner does not name {receivers}:\n{stack.output()}"
    )

    # A browser asks for HTML (without it the same URL answers the receivers as JSON).
    page = requests.get(receivers, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "Sandbox webhooks" in page.text
