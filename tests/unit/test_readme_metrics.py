"""README's table of metrics names exactly the metrics the code emits."""

from __future__ import annotations

import re

from tests.support.metric_names import ROOT, emitted_metric_names


def readme_metric_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Metrics and the dashboard", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(\w+)`", row.split("|")[1])}


def test_the_readme_lists_every_metric_the_code_emits_and_no_other() -> None:
    listed = readme_metric_names()

    assert emitted_metric_names() - listed == set()
    assert listed - emitted_metric_names() == set()
