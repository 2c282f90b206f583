"""A handler's import loads only what every request needs; the rest comes on first use.

boto3 (and anything that imports it), the Twilio client, the X-Ray SDK, the FHIR models and
phonenumbers (some 50 ms) are paid for by the requests that use them, not by the import
Lambda runs before any request. The time itself is measured by benchmarks/cold_start.py;
this pins which modules stay out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.template import ROOT, load_template, resources_of

FUNCTIONS = {
    name: fn["Properties"]["CodeUri"]
    for name, fn in resources_of(load_template(), "AWS::Serverless::Function").items()
}
DEFERRED = (
    "boto3",
    "twilio",
    "aws_xray_sdk",
    "aws_lambda_powertools.utilities.idempotency",
    "fhir",
    "phonenumbers",
)
# Lambda's runtime-hook library is part of its managed Python runtime, not of this
# environment: this stand-in records what is registered.
HOOKS = """
after_restore = []
def register_after_restore(func, *args, **kwargs):
    after_restore.append((func, args, kwargs))
"""


def import_handler(
    function: str, then: str = "", env: dict[str, str] | None = None, path: Path | None = None
) -> Any:
    """Import the handler in a fresh interpreter; run `then`; return what it prints as JSON."""
    paths = [str(ROOT / FUNCTIONS[function]), str(ROOT / "layers" / "shared")]
    paths += [str(path)] if path else []
    probe = f"import json, sys; sys.path[:0] = {paths!r}; import app\n{then}"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ.get("PATH", ""),
            "TABLE_NAME": "t",
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **(env or {}),
        },
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_importing_a_handler_defers_aws_clients_twilio_and_tracing(function: str) -> None:
    loaded = import_handler(function, "print(json.dumps(sorted(sys.modules)))")

    assert "rendezvous.runtime" in loaded or function == "ConsoleFunction"
    assert [m for m in loaded if m.startswith(DEFERRED)] == []


@pytest.mark.parametrize("function", ["TwilioInboundFunction", "StaffApiFunction"])
def test_under_snapstart_init_imports_boto3_and_restores_reseed_random(
    function: str, tmp_path: Path
) -> None:
    (tmp_path / "snapshot_restore_py.py").write_text(HOOKS)
    after_restore = """
import random, snapshot_restore_py
snapshot = random.getstate()
for func, args, kwargs in snapshot_restore_py.after_restore:
    func(*args, **kwargs)
print(json.dumps({"boto3": "boto3" in sys.modules,
                  "clients": "rendezvous.adapters.aws" in sys.modules,
                  "hooks": len(snapshot_restore_py.after_restore),
                  "reseeded": random.getstate() != snapshot}))
"""
    seen = import_handler(
        function, after_restore, env={"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}, path=tmp_path
    )

    assert seen == {"boto3": True, "clients": False, "hooks": 1, "reseeded": True}


def test_on_demand_init_registers_no_restore_hook(tmp_path: Path) -> None:
    (tmp_path / "snapshot_restore_py.py").write_text(HOOKS)
    then = "print(json.dumps('snapshot_restore_py' in sys.modules))"

    assert import_handler("StaffApiFunction", then, path=tmp_path) is False
