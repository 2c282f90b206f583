"""The words of R with free slots: the options by digit and "just taken", in en/fr/es, each
one GSM-7 segment with the benchmark's business names and the longest times of each locale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from benchmarks.segments import TENANTS
from rendezvous.messages.gsm import segment_count
from rendezvous.messages.render import SmsRenderer, format_options
from rendezvous.messages.templates import OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS

# Wednesdays to Fridays at 10:30 and 12:30 in December: the widest day, month and clock
# words of each locale (en's "10:30am", fr's "10h30").
LONGEST = [
    datetime(2026, 12, 9, 18, 30, tzinfo=UTC),
    datetime(2026, 12, 10, 20, 30, tzinfo=UTC),
    datetime(2026, 12, 11, 18, 30, tzinfo=UTC),
]
NAMES = ("reschedule_options", "reschedule_taken_options", "reschedule_taken")


@pytest.mark.parametrize("locale", sorted(TENANTS))
@pytest.mark.parametrize("name", NAMES)
def test_each_reschedule_text_is_one_gsm7_segment(locale: str, name: str) -> None:
    tenant = TENANTS[locale]

    body = SmsRenderer().reply(name, tenant, None, due=LONGEST[0], options=LONGEST)

    assert body.startswith(f"{tenant.name}: ".replace("í", "i"))
    assert segment_count(body) == ("GSM-7", 1), body
    words = {w.strip(".,:").upper() for w in body.split()}
    assert not words & (OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS)


def test_the_options_are_numbered_from_1_in_the_order_given() -> None:
    zone = "America/Los_Angeles"
    both = format_options(LONGEST[:2], zone, "en")

    assert both == "1 for Wed 9 Dec 10:30am, 2 for Thu 10 Dec 12:30pm"
    assert format_options(LONGEST[:1], "Europe/Paris", "fr") == "1 pour mer 9 déc 19h30"
    assert format_options([], zone, "es") == ""


def test_the_options_text_says_how_to_answer_in_each_language() -> None:
    bodies = {
        locale: SmsRenderer().reply("reschedule_options", t, None, options=LONGEST[:1])
        for locale, t in TENANTS.items()
    }

    assert "reply 1 for " in bodies["en"]
    assert "rép. 1 pour " in bodies["fr"]
    assert "resp. 1 para " in bodies["es"]
