"""Every CloudWatch metric name the code emits, read from its source: the names given to
`add_metric`, `add_breakdown` and `single_metric`, and the values of the `METRIC_BY_*`
tables that name a metric by an outcome or an event."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (ROOT / "layers" / "shared" / "rendezvous", ROOT / "functions")
EMITTERS = {"add_metric", "add_breakdown", "single_metric"}


def emitted_metric_names() -> set[str]:
    names: set[str] = set()
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            names.update(_names_in(ast.parse(path.read_text(), str(path))))
    return names


def _names_in(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in EMITTERS:
            given = [k.value for k in node.keywords if k.arg == "name"] or node.args[:1]
            for name in given:
                yield from _texts(name)
        if isinstance(node, ast.Assign) and _is_metric_table(node):
            for value in node.value.values if isinstance(node.value, ast.Dict) else []:
                yield from _texts(value)


def _is_metric_table(assign: ast.Assign) -> bool:
    named = any(isinstance(t, ast.Name) and t.id.startswith("METRIC_BY") for t in assign.targets)
    return named and isinstance(assign.value, ast.Dict)


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _texts(node: ast.AST | None) -> Iterator[str]:
    """The literal names an expression gives: "A", or "A" if ... else "B"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)
