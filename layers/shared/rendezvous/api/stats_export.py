"""GET /v1/stats/export: the results of GET /v1/stats as one CSV table, for a spreadsheet.

Made from the JSON answer itself (StatsOut), so the two never disagree. A row per group
(`texts`, `appointments`, then each `kind`, `variant`, `cadence` and `day`); the columns
are `group`, `key`, then every member of a Group, a Cohort and a day, each once; a cell
left empty where its column does not apply (or its rate has nothing to divide by). A day
row's key is its day.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from rendezvous.api.staff import CohortOut, DayOut, GroupOut, StatsOut

# Spreadsheets run a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns() -> list[str]:
    names = ["group", "key"]
    for model in (GroupOut, CohortOut, DayOut):
        names.extend(n for n in model.model_fields if n not in names and n != "day")
    return names


def safe_cell(value: Any) -> str:
    """A cell as text, prefixed with `'` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _rows(answer: StatsOut) -> Iterator[tuple[str, BaseModel]]:
    yield "texts", answer.rates.texts
    yield "appointments", answer.rates.appointments
    yield from (("kind", g) for g in answer.by_kind)
    yield from (("variant", g) for g in answer.by_variant)
    yield from (("cadence", c) for c in answer.by_cadence)
    yield from (("day", d) for d in answer.daily)


def stats_csv(answer: StatsOut) -> str:
    header = columns()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for group, block in _rows(answer):
        values = block.model_dump()
        values["key"] = values.pop("day", values.get("key"))
        writer.writerow([safe_cell(group), *(safe_cell(values.get(n)) for n in header[1:])])
    return out.getvalue()


def export_filename(tenant_id: str, days: int) -> str:
    return f"rendezvous-stats-{tenant_id}-{days}d.csv"
