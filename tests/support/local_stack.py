"""`python -m infra.local` as a subprocess, for end-to-end tests that drive it over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from twilio.rest import Client

from infra.template import ROOT

T = TypeVar("T")

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (distinct from each other)."""
    sockets = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
    try:
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.05,
    what: str = "a condition",
) -> T:
    """`probe()`'s first truthy answer, or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    phone_number: str
    timezone: str
    staff_token: str
    booking_token: str
    manager_token: str
    # The booking system's own sign-in: BookingClient id and secret, machine user, password.
    booking_login: dict[str, str]
    # The tenant's Cal.com integration: POST /integrations/calcom/<id>, signed with the secret.
    calcom_integration_id: str
    calcom_secret: str


@dataclass
class LocalStackProcess:
    process: subprocess.Popen[bytes]
    local_dir: Path
    log_path: Path
    api_port: int
    sandbox_port: int
    started_at: float
    ready_seconds: float = 0.0
    credentials: dict[str, Any] = field(default_factory=dict)

    @property
    def api_base_url(self) -> str:
        return str(self.credentials["api_base_url"])

    @property
    def twilio_base_url(self) -> str:
        return str(self.credentials["twilio_base_url"])

    @property
    def tenants(self) -> list[Tenant]:
        fields = set(Tenant.__dataclass_fields__)
        return [
            Tenant(**{k: v for k, v in t.items() if k in fields})
            for t in self.credentials["tenants"]
        ]

    def url(self, path: str) -> str:
        return self.api_base_url + path

    def output(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def twilio(self) -> Client:
        """The official client, talking to the sandbox."""
        client = Client(self.credentials["account_sid"], self.credentials["auth_token"])
        client.api.base_url = self.twilio_base_url
        return client

    def stack_reported_ready_seconds(self) -> float | None:
        for line in self.output().splitlines():
            if "ready in" in line:
                return float(line.split("ready in", 1)[1].split()[0])
        return None


def _environment(local_dir: Path, api_port: int, sandbox_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PORT=str(api_port),
        SANDBOX_PORT=str(sandbox_port),
        RENDEZVOUS_LOCAL_DIR=str(local_dir),
        PYTHONUNBUFFERED="1",
    )
    return env


def spawn(
    local_dir: Path, api_port: int, sandbox_port: int, log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "infra.local"],
            cwd=ROOT,
            env=_environment(local_dir, api_port, sandbox_port),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def start(local_dir: Path, timeout: float = START_TIMEOUT_SECONDS) -> LocalStackProcess:
    """Start the stack and wait (bounded) for its credentials and a responding API."""
    local_dir.mkdir(parents=True, exist_ok=True)
    api_port, sandbox_port = free_ports(2)
    log_path = local_dir / "stack.log"
    started = time.monotonic()
    stack = LocalStackProcess(
        spawn(local_dir, api_port, sandbox_port, log_path),
        local_dir,
        log_path,
        api_port,
        sandbox_port,
        started,
    )
    credentials_path = local_dir / "credentials.json"

    def ready() -> bool:
        if stack.process.poll() is not None:
            raise RuntimeError(
                f"the local stack exited with {stack.process.returncode}:\n{stack.output()}"
            )
        if not credentials_path.exists():
            return False
        try:
            stack.credentials = json.loads(credentials_path.read_text())
            answer = requests.get(stack.url("/_local/clock"), timeout=2)
        except (ValueError, requests.RequestException):
            return False
        return answer.status_code == 200

    try:
        wait_for(ready, timeout=timeout, interval=0.1, what="the local stack to be ready")
    except AssertionError as exc:
        stop(stack)
        raise RuntimeError(f"{exc}; its output:\n{stack.output()}") from exc
    stack.ready_seconds = time.monotonic() - started
    return stack


def stop(stack: LocalStackProcess, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
    """SIGTERM, then wait; a stack that does not stop in time is killed (and reported)."""
    if stack.process.poll() is None:
        stack.process.terminate()
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait(5)
            raise AssertionError(
                f"the local stack ignored SIGTERM for {timeout} s:\n{stack.output()}"
            ) from None
    return stack.process.returncode
