"""The sandbox's booking-system receiver, fed by the deliverer's own HTTP adapter: it
verifies what Rendezvous signs, refuses what it did not, fails on demand, and its page
runs under a policy that admits only its own style and script."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from infra.local.sandbox import SandboxConfig, SandboxServer
from rendezvous.adapters.webhook_http import HttpWebhookPoster

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = json.dumps(
    {"type": "appointment.confirmed", "timestamp": "2026-11-27T09:00:00Z", "data": {}}
)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(account_sid="AC" + "0" * 32, auth_token="t" * 32)) as server:
        yield server


def configure(sandbox: SandboxServer, name: str, **config: object) -> requests.Response:
    return requests.put(
        f"{sandbox.base_url}/sandbox/webhooks/{name}/config", json=config, timeout=5
    )


def test_a_signed_post_is_recorded_as_verified(sandbox: SandboxServer) -> None:
    configure(sandbox, "crm", secret=SECRET).raise_for_status()

    outcome = HttpWebhookPoster(allow_loopback=True).post(
        f"{sandbox.base_url}/sandbox/webhooks/crm", "evt_1", BODY, SECRET
    )

    record = requests.get(f"{sandbox.base_url}/sandbox/webhooks/crm", timeout=5).json()
    assert outcome.status_code == 200
    (arrival,) = record["arrivals"]
    assert (arrival["verified"], arrival["webhook_id"], arrival["body"]) == (True, "evt_1", BODY)
    assert "secret" not in record["config"]
    assert record["config"]["has_secret"] is True


def test_a_post_signed_with_another_secret_is_recorded_unverified(sandbox: SandboxServer) -> None:
    configure(sandbox, "crm", secret=SECRET).raise_for_status()

    HttpWebhookPoster(allow_loopback=True).post(
        f"{sandbox.base_url}/sandbox/webhooks/crm", "evt_1", BODY, "whsec_b3RoZXJzZWNyZXQ="
    )

    (arrival,) = requests.get(f"{sandbox.base_url}/sandbox/webhooks/crm", timeout=5).json()[
        "arrivals"
    ]
    assert arrival["verified"] is False
    assert arrival["problem"] == "No matching signature found"


def test_fail_next_answers_the_next_posts_with_the_status_then_recovers(
    sandbox: SandboxServer,
) -> None:
    configure(sandbox, "crm", secret=SECRET, fail_next=2, status=503).raise_for_status()
    poster = HttpWebhookPoster(allow_loopback=True)

    statuses = [
        poster.post(f"{sandbox.base_url}/sandbox/webhooks/crm", "evt_1", BODY, SECRET).status_code
        for _ in range(3)
    ]

    assert statuses == [503, 503, 200]


def test_a_delay_longer_than_the_timeout_is_a_timeout(sandbox: SandboxServer) -> None:
    configure(sandbox, "slow", delay_seconds=2).raise_for_status()

    outcome = HttpWebhookPoster(allow_loopback=True, timeout_seconds=0.3).post(
        f"{sandbox.base_url}/sandbox/webhooks/slow", "evt_1", BODY, SECRET
    )

    assert outcome.error == "timed out"


@pytest.mark.parametrize(
    "config",
    [
        {"fail_next": -1},
        {"status": 42},
        {"delay_seconds": 600},
        {"secret": "not base64!"},
        {"colour": 1},
    ],
)
def test_a_bad_config_is_a_400_and_changes_nothing(
    sandbox: SandboxServer, config: dict[str, object]
) -> None:
    answer = configure(sandbox, "crm", **config)

    assert answer.status_code == 400
    assert requests.get(f"{sandbox.base_url}/sandbox/webhooks", timeout=5).json()["receivers"] == []


def test_the_page_admits_only_its_own_style_and_script(sandbox: SandboxServer) -> None:
    answer = requests.get(
        f"{sandbox.base_url}/sandbox/webhooks", headers={"Accept": "text/html"}, timeout=5
    )

    policy = dict(
        d.strip().split(" ", 1) for d in answer.headers["Content-Security-Policy"].split(";")
    )
    assert answer.headers["Content-Type"].startswith("text/html")
    assert policy["default-src"] == "'none'"
    assert policy["script-src"].startswith("'sha256-")
    assert " " not in policy["script-src"]
    assert policy["connect-src"] == "'self'"
