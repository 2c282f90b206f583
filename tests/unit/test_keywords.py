"""Reply keywords: one word, any case, spaces and punctuation ignored (CONTRACT.md v2)."""

from __future__ import annotations

import pytest

from rendezvous.domain.keywords import Intent, classify


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("STOP", Intent.OPT_OUT),
        ("stop", Intent.OPT_OUT),
        ("  Stop!  ", Intent.OPT_OUT),
        ("Stop.", Intent.OPT_OUT),
        ("StopAll", Intent.OPT_OUT),
        ("unsubscribe", Intent.OPT_OUT),
        ("End", Intent.OPT_OUT),
        ("QUIT", Intent.OPT_OUT),
        ("cancel", Intent.OPT_OUT),
        ("Revoke", Intent.OPT_OUT),
        ("optout", Intent.OPT_OUT),
        ("STOP 🛑", Intent.OPT_OUT),
        ("start", Intent.OPT_IN),
        ("Yes!", Intent.YES),
        ("unstop", Intent.OPT_IN),
        ("help", Intent.HELP),
        ("Info?", Intent.HELP),
        ("HÉLP", Intent.HELP),
        ("c", Intent.CONFIRM),
        ("C.", Intent.CONFIRM),
        (" confirm ", Intent.CONFIRM),
        ("Y", Intent.CONFIRM),
        ("ok", Intent.CONFIRM),
        ("Oui", Intent.CONFIRM),
        ("SÍ", Intent.CONFIRM),
        ("👍", Intent.CONFIRM),
        ("Confirm ✅", Intent.CONFIRM),
        ("«C»", Intent.CONFIRM),
        ("x", Intent.CANCEL),
        ("X!", Intent.CANCEL),
        ("r", Intent.RESCHEDULE),
        ("Reschedule", Intent.RESCHEDULE),
        ("\tR\n", Intent.RESCHEDULE),
    ],
)
def test_keyword_variants(body: str, intent: Intent) -> None:
    assert classify(body) is intent


@pytest.mark.parametrize(
    "body",
    [
        "stop by tomorrow?",
        "can I cancel?",
        "yes but can we move it to 4pm?",
        "1",
        "2",
        "3",
        "C you there",
        "12",
        "what time?",
        "",
        "ok but I might be late",
    ],
)
def test_anything_that_is_not_one_keyword_is_free_text_for_a_person(body: str) -> None:
    assert classify(body) is Intent.FREE_TEXT


@pytest.mark.parametrize(
    "body",
    [
        "Please stop texting me",
        "don't text me again",
        "No more texts please",
        "remove me from your list",
        "Arrêtez de m'envoyer des SMS",
        "Dejen de enviar mensajes",
        "no me envíen más mensajes",
    ],
)
def test_free_text_asking_to_stop_is_flagged_for_staff(body: str) -> None:
    assert classify(body) is Intent.STOP_REQUEST
