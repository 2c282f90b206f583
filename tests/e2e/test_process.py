"""The process around the stack: one per state directory."""

from __future__ import annotations

import subprocess

import pytest

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
