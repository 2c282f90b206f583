"""A handler's import loads only what every request needs; the rest comes on first use.

boto3 (and anything that imports it), the Twilio client and the X-Ray SDK are paid for by
the requests that use them, not by the import Lambda runs before any request. The time
itself is measured by benchmarks/cold_start.py; this pins which modules stay out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from infra.template import ROOT, load_template, resources_of

FUNCTIONS = {
    name: fn["Properties"]["CodeUri"]
    for name, fn in resources_of(load_template(), "AWS::Serverless::Function").items()
}
DEFERRED = ("boto3", "twilio", "aws_xray_sdk", "aws_lambda_powertools.utilities.idempotency")


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_importing_a_handler_defers_aws_clients_twilio_and_tracing(function: str) -> None:
    probe = (
        "import json, sys; sys.path[:0] = [{code!r}, {layer!r}]; import app; "
        "print(json.dumps(sorted(sys.modules)))"
    ).format(code=str(ROOT / FUNCTIONS[function]), layer=str(ROOT / "layers" / "shared"))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TABLE_NAME": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert "rendezvous.runtime" in loaded or function == "ConsoleFunction"
    assert [m for m in loaded if m.startswith(DEFERRED)] == []
