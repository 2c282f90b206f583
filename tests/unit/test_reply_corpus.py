"""Real-looking replies in en, fr and es, each with the intent it must get (tests/data)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from rendezvous.domain.keywords import Intent, classify

CORPUS = Path(__file__).parent.parent / "data" / "replies.csv"


def _rows() -> list[tuple[str, Intent]]:
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        return [(row["body"], Intent(row["intent"])) for row in csv.DictReader(handle)]


def test_corpus_is_large_and_covers_every_intent() -> None:
    rows = _rows()
    assert len(rows) >= 200
    # A digit is a choice, Y a take, only while one is open: the inbound service knows.
    only_in_context = {Intent.CHOICE, Intent.TAKE_OFFER}
    assert set(Counter(intent for _, intent in rows)) == set(Intent) - only_in_context


@pytest.mark.parametrize(("body", "intent"), _rows())
def test_corpus_reply_gets_its_intent(body: str, intent: Intent) -> None:
    assert classify(body) is intent
