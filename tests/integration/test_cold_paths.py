"""What a first request loads: a send pays for the Messages API, not all of Twilio's API.

The official client's `client.messages` is reached through Twilio's whole 2010 API tree
(usage records, SIP, queues, ...), hundreds of modules that cost a sender's first request
more than `import boto3` does. Timing is benchmarks/cold_start.py's job; this pins the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from infra.local.sandbox import SandboxServer
from infra.template import ROOT
from tests.support.aws import ACCOUNT_SID, AUTH_TOKEN

PROBE = """
import json, sys
from rendezvous.adapters.twilio_gateway import TwilioSmsGateway
from rendezvous.domain.ports import OutboundSms

gateway = TwilioSmsGateway(
    account_sid={sid!r}, auth_token_provider=lambda: {token!r},
    status_callback_url="http://127.0.0.1:9/twilio/status", api_base_url={url!r},
)
receipt = gateway.send(OutboundSms("+14155550123", "+14155550100", "See you", "ref-1"))
print(json.dumps({{"sid": receipt.sid, "status": receipt.status,
                  "tree": [m for m in sys.modules if m.startswith("twilio.rest.api")]}}))
"""


def test_a_send_loads_the_messages_api_not_twilios_whole_api_tree(
    sandbox: SandboxServer,
) -> None:
    probe = PROBE.format(sid=ACCOUNT_SID, token=AUTH_TOKEN, url=sandbox.base_url)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "layers" / "shared")},
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout.splitlines()[-1])
    assert sent["sid"].startswith("SM")
    assert sent["status"] == "queued"
    assert sent["tree"] == []
    message = sandbox.sandbox.fetch_message(sent["sid"])
    assert message["body"] == "See you"
    assert message["to"] == "+14155550123"
