"""Default templates, safe substitution and template validation."""

from __future__ import annotations

import re

import pytest

from rendezvous.domain.models import SUPPORTED_LOCALES, MessageKind
from rendezvous.messages.templates import (
    DEFAULT_TEMPLATES,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    STOP_LINES,
    substitute,
    validate_template,
)

ALL_DEFAULTS = [
    pytest.param(locale, kind, text, id=f"{locale}-{kind.value}")
    for locale, kinds in DEFAULT_TEMPLATES.items()
    for kind, text in kinds.items()
]


def test_given_the_defaults_when_listed_then_every_locale_has_every_kind() -> None:
    assert set(DEFAULT_TEMPLATES) == set(SUPPORTED_LOCALES)
    for kinds in DEFAULT_TEMPLATES.values():
        assert set(kinds) == set(MessageKind)
    assert set(STOP_LINES) == set(SUPPORTED_LOCALES)


@pytest.mark.parametrize(("locale", "kind", "text"), ALL_DEFAULTS)
def test_given_every_default_template_when_validated_then_it_has_no_problem(
    locale: str, kind: MessageKind, text: str
) -> None:
    assert validate_template(text, kind=kind) == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_given_every_stop_line_when_validated_then_it_is_a_legitimate_opt_out(locale: str) -> None:
    assert "STOP" in STOP_LINES[locale]
    assert validate_template(STOP_LINES[locale]) == []


@pytest.mark.parametrize(("locale", "kind", "text"), ALL_DEFAULTS)
def test_given_every_default_when_read_then_it_names_the_business_and_offers_c_r_x(
    locale: str, kind: MessageKind, text: str
) -> None:
    assert text.startswith("{business}: ")
    # A reminder to a confirmed visit thanks them instead of asking for C again; a
    # cancelled visit has nothing to confirm or cancel: R asks a person for a new time.
    # An offer is taken with Y; "just taken" asks nothing.
    offered: tuple[str, ...] = {
        MessageKind.REMINDER_CONFIRMED: ("R", "X"),
        MessageKind.CANCELLED: ("R",),
        MessageKind.OFFER: ("Y",),
        MessageKind.OFFER_TAKEN: (),
    }.get(kind, ("C", "R", "X"))
    for keyword in offered:
        assert re.search(rf"(?<!\w){keyword}(?!\w)", text), keyword
    for keyword in {"C", "X"} - set(offered):
        assert not re.search(rf"(?<!\w){keyword}(?!\w)", text), keyword


@pytest.mark.parametrize(("locale", "kind", "text"), ALL_DEFAULTS)
def test_given_every_default_when_read_then_no_carrier_keyword_appears_as_a_word(
    locale: str, kind: MessageKind, text: str
) -> None:
    words = set(re.findall(r"[\w]+", text))
    assert words.isdisjoint(OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS)


@pytest.mark.parametrize(("locale", "kind", "text"), ALL_DEFAULTS)
def test_given_every_default_when_read_then_it_mentions_no_provider_or_service_by_itself(
    locale: str, kind: MessageKind, text: str
) -> None:
    # The cancellation and an offer's texts say nothing about the visit but its time (who
    # reads it may not be the patient).
    if kind in {MessageKind.CANCELLED, MessageKind.OFFER, MessageKind.OFFER_TAKEN}:
        assert not {"{details}", "{first_name}", "{location}"} & set(re.findall(r"\{\w+\}", text))
    else:
        assert "{details}" in text
    assert "provider" not in text.lower()
    assert "service" not in text.lower()


@pytest.mark.parametrize(
    "bad",
    [
        "Reply CANCEL to cancel",
        "Reply YES to confirm",
        "Text END when done",
        "reply yes to confirm",
        "Reply with the word quit to leave the queue",
        "Reply to this text with STOP to cancel your booking.",
        "Reply C to confirm, R to reschedule, CANCEL to cancel.",
        'Send "start" when you arrive',
        "YES = confirm, X = cancel",
        "Répondez OUI ou YES pour confirmer",
        "Responda CANCEL para cancelar",
        "Reply STOP to confirm",
        "Responda STOP para planta baja",
    ],
)
def test_given_a_template_asking_for_a_carrier_keyword_when_validated_then_it_is_rejected(
    bad: str,
) -> None:
    problems = validate_template(bad)
    assert len(problems) == 1
    assert "for another purpose" in problems[0]


@pytest.mark.parametrize(
    "good",
    [
        "Reply STOP to opt out.",
        "Reply STOP to unsubscribe.",
        "To opt out, reply STOP.",
        "Reply START to resubscribe.",
        "Reply START to opt back in.",
        "Répondez STOP pour vous désabonner.",
        "Responda STOP para darse de baja.",
        "STOP to opt out.",
        "STOP pour se désabonner.",
        "STOP para baja.",
        "Reply X to cancel, C to confirm.",
        "Text us at the end of the week if you want.",
        "Responda X para cancelar.",
    ],
)
def test_given_standard_opt_out_or_unrelated_wording_when_validated_then_it_passes(
    good: str,
) -> None:
    assert validate_template(good) == []


def test_given_an_unknown_placeholder_when_validated_then_it_is_reported() -> None:
    problems = validate_template("{business}: Hi {customer_name}")
    assert problems == [
        "unknown placeholder {customer_name} (allowed: {business}, {details}, "
        "{first_name}, {location}, {old_when}, {when})"
    ]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {first_name", "unbalanced '{' at position 3"),
        ("Hi first_name}", "unbalanced '}' at position 13"),
        ("Hi {{first_name}", "unbalanced '{' at position 3"),
        ("Hi {} there", "malformed placeholder {} at position 3"),
    ],
)
def test_given_unbalanced_braces_when_validated_then_they_are_reported(
    template: str, expected: str
) -> None:
    assert expected in validate_template(template)


def test_given_old_when_outside_a_moved_template_when_validated_then_it_is_reported() -> None:
    assert validate_template("{business}: was {old_when}", kind=MessageKind.REMINDER) == [
        "{old_when} is only known in a 'moved' template"
    ]
    assert validate_template("{business}: was {old_when}", kind=MessageKind.MOVED) == []


@pytest.mark.parametrize("hostile", ["{0}", "%s", "{business}", "{{x}}", "{first_name}", "\\1"])
def test_given_a_value_that_looks_like_template_syntax_when_substituted_then_it_stays_literal(
    hostile: str,
) -> None:
    out = substitute("{business}: Hi {first_name}!", {"business": "Acme", "first_name": hostile})
    assert out == f"Acme: Hi {hostile}!"


def test_given_an_unknown_placeholder_when_substituted_then_it_is_left_as_written() -> None:
    assert substitute("Hi {nope} {when}", {"when": "Tue"}) == "Hi {nope} Tue"
