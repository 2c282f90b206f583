"""The arrows run one way: handler -> domain -> ports <- adapters. The domain, and every
module of ours it imports, imports no adapter, no wiring, no renderer and no AWS, Twilio
or Powertools package, so the domain runs (and is tested) without any of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "shared"
DOMAIN = PACKAGE_ROOT / "rendezvous" / "domain"
FORBIDDEN = (
    "rendezvous.adapters",
    "rendezvous.api",
    "rendezvous.messages",
    "rendezvous.runtime",
    "boto3",
    "botocore",
    "mypy_boto3_dynamodb",
    "twilio",
    "aws_lambda_powertools",
)


def imported_names(source: str, module: str) -> set[str]:
    """Every module an import statement in `source` names, wherever the statement sits
    (inside functions and TYPE_CHECKING blocks too); relative imports made absolute."""
    names: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).rstrip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def module_file(name: str) -> Path | None:
    path = PACKAGE_ROOT / Path(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def forbidden_imports(start: dict[str, str]) -> dict[str, set[str]]:
    """Forbidden names imported by the modules in `start` (name -> source) and by every
    module of ours they reach, keyed by the importing module."""
    found: dict[str, set[str]] = {}
    pending = dict(start)
    seen: set[str] = set()
    while pending:
        module, source = pending.popitem()
        seen.add(module)
        for name in imported_names(source, module):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                found.setdefault(module, set()).add(name)
            elif name.startswith("rendezvous.") and name not in seen and name not in pending:
                path = module_file(name)
                if path is not None:
                    pending[name] = path.read_text()
    return found


def domain_modules() -> dict[str, str]:
    return {
        f"rendezvous.domain.{path.stem}": path.read_text()
        for path in sorted(DOMAIN.glob("*.py"))
        if path.stem != "__init__"
    }


def test_the_domain_imports_no_adapter_renderer_aws_twilio_or_powertools() -> None:
    modules = domain_modules()
    assert "rendezvous.domain.ports" in modules

    assert forbidden_imports(modules) == {}


@pytest.mark.parametrize(
    "line",
    [
        "import boto3",
        "from botocore.exceptions import ClientError",
        "from twilio.rest import Client",
        "from aws_lambda_powertools import Logger",
        "from rendezvous.adapters.dynamodb.table import serialize",
        "from rendezvous.messages.render import format_when",
        "from rendezvous import runtime",
        "def later() -> None:\n    import boto3",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from twilio.rest import Client",
        "from ..adapters import aws",
    ],
)
def test_the_check_catches_a_forbidden_import(line: str) -> None:
    modules = {"rendezvous.domain.planted": line + "\n"}

    assert list(forbidden_imports(modules)) == ["rendezvous.domain.planted"]


def test_the_check_follows_our_own_modules_the_domain_imports() -> None:
    # rendezvous.observability imports Powertools: a domain module importing it brings that in.
    modules = {"rendezvous.domain.planted": "from rendezvous.observability import logger\n"}

    assert "rendezvous.observability" in forbidden_imports(modules)
