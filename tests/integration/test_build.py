"""The build ships bytecode: Lambda's /opt and /var/task are read-only, so a module without
its .pyc is compiled again on every cold start."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.artifacts import MAKEFILE, Artifacts, bare_python, build
from infra.template import ROOT, load_template, resources_of

TEMPLATE = load_template()
BUILT = {
    **resources_of(TEMPLATE, "AWS::Serverless::Function"),
    **resources_of(TEMPLATE, "AWS::Serverless::LayerVersion"),
}
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked
# Counts the modules loaded from the build, and those the loader had to compile from source
# (SourceLoader.source_to_code runs only when no valid .pyc is found).
PROBE = """
import sys
import importlib._bootstrap_external as external
compiled = []
original = external.SourceLoader.source_to_code
def spy(self, data, path, **kwargs):
    compiled.append(path)
    return original(self, data, path, **kwargs)
external.SourceLoader.source_to_code = spy
roots = {paths!r}
sys.path[:0] = roots
import app, boto3
app.get_runtime().store()
from_build = [m for m in list(sys.modules.values())
              if any(str(getattr(m, "__file__", None) or "").startswith(r) for r in roots)]
print(len(from_build), len([p for p in compiled if p.startswith(tuple(roots))]))
"""


def _dry_run(logical_id: str) -> str:
    result = subprocess.run(
        ["make", "-n", "-f", str(MAKEFILE), f"build-{logical_id}", "ARTIFACTS_DIR=/tmp/x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("logical_id", sorted(BUILT))
def test_sam_builds_every_function_and_the_layer_with_the_makefile(logical_id: str) -> None:
    metadata = BUILT[logical_id].get("Metadata") or {}

    assert metadata.get("BuildMethod") == "makefile"
    assert metadata.get("BuildArchitecture") == "arm64"
    assert ROOT / metadata["ContextPath"] / "Makefile" == MAKEFILE
    assert "compileall" in _dry_run(logical_id)


def test_the_layer_is_built_for_lambdas_python_and_platform() -> None:
    commands = _dry_run("SharedLayer")

    assert "python3.13 -m compileall" in commands
    assert "--invalidation-mode unchecked-hash" in commands
    assert "--python-version 3.13" in commands
    assert "--platform manylinux2014_aarch64" in commands
    # requirements.txt is the whole locked tree without boto3/botocore, which the runtime
    # has: resolving dependencies again would pull botocore back in behind aws-xray-sdk.
    assert "--no-deps" in commands


def test_the_build_refuses_bytecode_from_another_python(tmp_path: Path) -> None:
    # This machine's Python is not the runtime's 3.13: its .pyc would be ignored on Lambda.
    wrong = [f"ARTIFACTS_DIR={tmp_path}", f"LAMBDA_PYTHON={sys.executable}"]
    result = subprocess.run(
        ["make", "-s", "-f", str(MAKEFILE), "build-ConsoleFunction", *wrong],
        cwd=ROOT / "functions" / "console",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "the runtime is 3.13" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    return build(tmp_path_factory.mktemp("build"), functions=["TwilioInboundFunction"])


def _unshipped(tree: Path) -> list[str]:
    """Every module under `tree` without an unchecked-hash .pyc for this interpreter."""
    missing = []
    for source in tree.rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            missing.append(f"{source.relative_to(tree)}: no {cached.name}")
        elif int.from_bytes(cached.read_bytes()[4:8], "little") != UNCHECKED_HASH:
            missing.append(f"{source.relative_to(tree)}: not unchecked-hash")
    return missing


def test_the_built_layer_ships_bytecode_for_every_module(built: Artifacts) -> None:
    modules = list(built.layer.rglob("*.py"))

    assert (built.layer / "rendezvous" / "runtime.py") in modules
    assert (built.layer / "pydantic" / "main.py") in modules
    assert _unshipped(built.layer) == []
    assert not (built.layer / "botocore").exists(), "the runtime's botocore, not the layer's"


def test_a_built_function_ships_bytecode_and_loads_from_it_alone(built: Artifacts) -> None:
    function = built.functions["TwilioInboundFunction"]

    assert _unshipped(function) == []
    # Imported read-only as Lambda does (-B), from the build alone (-S -E: no site-packages
    # of this machine): the loader compiles nothing from source, all of it is shipped.
    probe = PROBE.format(paths=[str(p) for p in built.path_for("TwilioInboundFunction")])
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TABLE_NAME": "t",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [bare_python(), "-S", "-E", "-B", "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    loaded, compiled = result.stdout.split()
    assert int(loaded) > 100
    assert compiled == "0", result.stdout
