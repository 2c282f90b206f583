"""Default SMS templates per locale, tenant overrides, safe substitution and validation.

Templates use `{name}` placeholders (see PLACEHOLDERS). Values are substituted in one pass
with a regular expression, never with str.format: a customer called `{business}` or `%s`
comes out literally. Every default says who it is from and offers the reply keywords
C (confirm), R (reschedule) and X (cancel); none asks for an opt-out or opt-in word
(STOP, CANCEL, END, YES, START, ...) for another purpose, because the carrier would act on
it. The STOP line is not part of a template: render adds it to the first text to a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from rendezvous.domain.models import MessageKind, Tenant

PLACEHOLDERS: Final[frozenset[str]] = frozenset(
    {"first_name", "business", "when", "location", "details", "old_when"}
)

# Carrier keywords (see CONTRACT.md). A template may only use them for their own purpose.
OPT_OUT_KEYWORDS: Final[frozenset[str]] = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS: Final[frozenset[str]] = frozenset({"START", "YES", "UNSTOP"})

# Sized for one GSM-7 segment (160 characters) with the names and places of
# benchmarks/segments.py: every kind, with the 12-hour clock of en, "in 3 days, Fri 3:30pm"
# in a reminder and the STOP line on a confirmation (tests/unit/test_render.py holds it).
# The offer kinds stay one segment with any GSM-7 business name the settings accept (60
# characters) and the STOP line (messages/rules.py measures them on every settings change).
# Hence the terse parts: the greeting word only where there is room, the weekday alone for
# a day within the week, "R to rebook".
DEFAULT_TEMPLATES: Final[Mapping[str, Mapping[MessageKind, str]]] = {
    "en": {
        MessageKind.CONFIRMATION: (
            "{business}: {first_name}, booked {when}, {location} {details}. "
            "Reply C to confirm, R to rebook, X to cancel."
        ),
        MessageKind.MOVED: (
            "{business}: {first_name}, moved: {when} (was {old_when}), {location} {details}. "
            "Reply C to confirm, R to rebook, X to cancel."
        ),
        MessageKind.REMINDER: (
            "{business}: Hi {first_name}, your visit is {when}, {location} {details}. "
            "Reply C to confirm, R to rebook, X to cancel."
        ),
        MessageKind.REMINDER_CONFIRMED: (
            "{business}: Thanks for confirming, {first_name}! See you {when}, "
            "{location} {details}. "
            "Reply R to rebook, X to cancel."
        ),
        # No name, no place, no service: whoever reads the phone learns only that a
        # visit at that time is off. R (a new time) reaches a person, as it always does.
        MessageKind.CANCELLED: (
            "{business}: your appointment {when} is cancelled. Reply R to rebook."
        ),
        # An offer names the business and the time only: nothing about the visit it came
        # from or the person it goes to. Y is no carrier word (YES would be). Its STOP line
        # is render's, on a first text, as for every kind.
        MessageKind.OFFER: (
            "{business}: a slot opened {when}. Reply Y to take it (first reply gets it)."
        ),
        # "Questions? Reply.": free text reaches a person, as any other text does.
        MessageKind.OFFER_TAKEN: (
            "{business}: sorry, {when} is taken. You stay on the waitlist. Questions? Reply."
        ),
    },
    "fr": {
        MessageKind.CONFIRMATION: (
            "{business}: {first_name}, RDV {when}, {location} {details}. "
            "Rép. C confirmer, R reporter, X annuler."
        ),
        MessageKind.MOVED: (
            "{business}: {first_name}, RDV déplacé: {when} (avant {old_when}), "
            "{location} {details}. "
            "Rép. C confirmer, R reporter, X annuler."
        ),
        MessageKind.REMINDER: (
            "{business}: Bonjour {first_name}, rappel: RDV {when}, {location} {details}. "
            "Rép. C confirmer, R reporter, X annuler."
        ),
        MessageKind.REMINDER_CONFIRMED: (
            "{business}: Merci d'avoir confirmé, {first_name}! RDV {when}, "
            "{location} {details}. "
            "Rép. R reporter, X annuler."
        ),
        MessageKind.CANCELLED: (
            "{business}: votre RDV {when} est annulé. Rép. R pour reprendre RDV."
        ),
        MessageKind.OFFER: ("{business}: un créneau s'est libéré {when}. Rép. Y pour le prendre."),
        MessageKind.OFFER_TAKEN: (
            "{business}: désolé, {when} est pris. Vous restez inscrit. Écrivez-nous."
        ),
    },
    "es": {
        MessageKind.CONFIRMATION: (
            "{business}: Hola {first_name}, su cita: {when}, {location} {details}. "
            "Resp. C confirmar, R cambiar, X cancelar."
        ),
        MessageKind.MOVED: (
            "{business}: {first_name}, nueva cita: {when} (era {old_when}), "
            "{location} {details}. "
            "Resp. C confirmar, R cambiar, X cancelar."
        ),
        MessageKind.REMINDER: (
            "{business}: Hola {first_name}, su cita es {when}, {location} {details}. "
            "Resp. C confirmar, R cambiar, X cancelar."
        ),
        MessageKind.REMINDER_CONFIRMED: (
            "{business}: ¡Gracias por confirmar, {first_name}! Su cita es {when}, "
            "{location} {details}. "
            "Resp. R cambiar, X cancelar."
        ),
        MessageKind.CANCELLED: (
            "{business}: su cita {when} está cancelada. Resp. R para otra cita."
        ),
        MessageKind.OFFER: (
            "{business}: hay una cita libre {when}. Resp. Y para tomarla (gana la primera)."
        ),
        MessageKind.OFFER_TAKEN: (
            "{business}: lo sentimos, {when} ya se ocupó. Sigue en la lista. ¿Dudas? Responda."
        ),
    },
}

# Added to the first automated text a number receives from a tenant. Short on purpose (it
# rides on a text that should stay one segment) but still a plain opt-out instruction.
STOP_LINES: Final[Mapping[str, str]] = {
    "en": "STOP to opt out.",
    "fr": "STOP pour se désabonner.",
    "es": "STOP para baja.",
}

DEFAULT_LOCALE: Final = "en"


def default_template(locale: str, kind: MessageKind) -> str:
    return DEFAULT_TEMPLATES.get(locale, DEFAULT_TEMPLATES[DEFAULT_LOCALE])[kind]


def tenant_template(tenant: Tenant, locale: str, kind: MessageKind) -> str | None:
    """The tenant's own text for this locale and kind, if it has one."""
    text = tenant.templates.get(locale, {}).get(kind.value)
    return text if text and text.strip() else None


def stop_line(locale: str) -> str:
    return STOP_LINES.get(locale, STOP_LINES[DEFAULT_LOCALE])


# The word that, written in capitals in a template, stands in for the STOP line: render
# leaves its own line off such a template's first text.
STOP_WORD = re.compile(r"(?<![\w-])STOP(?![\w-])")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(template: str, values: Mapping[str, str]) -> str:
    """Fill `{name}` placeholders in ONE pass; values are never re-read as template text.

    An unknown placeholder is left as written (validate_template reports it).
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# --- validation ---------------------------------------------------------------------------

_VERBS = re.compile(
    # en
    r"\b(?:reply|replying|text|texting|txt|send|sending|respond|answer|type|enter|write|sms"
    # fr
    r"|r[ée]pond(?:ez|re|s)?|envoy(?:ez|er)|tap(?:ez|er)|[ée]criv(?:ez)|[ée]crire|textez"
    # es
    r"|respond(?:a|e|er)|contest(?:a|e|ar)|env[ií](?:a|e|ar)|escrib(?:a|e|ir)|mand(?:a|e|ar))\b",
    re.I,
)
_OPEN_QUOTES = "\"'«“‘"
_CLOSE_QUOTES = "\"'»”’"
# Words that may stand between the verb and the keyword in "reply with the word YES".
_CLOSE_PREFIX = re.compile(
    rf"[\s:,{_OPEN_QUOTES}]*(?:(?:with|the|word|keyword|back|us|me|a|an|just|only|simply"
    r"|avec|le|mot|mot-cl[ée]|simplement|par|nous|con|la|el|palabra|solo|s[óo]lamente|nos"
    rf"|un|una)\b[\s:,{_OPEN_QUOTES}]*){{0,4}}",
    re.I,
)
_KEYWORD = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted(OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS)) + r")(?![\w-])", re.I
)
# The keyword with a purpose right after it: "YES to confirm", "END = done", "CANCEL: cancel".
_PURPOSE_AFTER = re.compile(r"[\"'»”’]?\s*(?:to|for|=|:|-|->|pour|para|afin)(?:\s|$)", re.I)
_PURPOSE_LEAD = re.compile(
    r"[\"'»”’]?\s*(?:(?:to|for|in\s+order\s+to|pour|afin\s+de|para|vous|se|te|nos)\s+)*", re.I
)
_OPT_OUT_PURPOSE = re.compile(
    r"opt[\s-]*out|unsubscribe|stop\s+(?:receiving|getting|all|these|messages|texts|sms)"
    r"|d[ée]sabonner|d[ée]sinscrire|ne\s+plus\s+recevoir|(?:dar(?:se)?\s+de\s+)?baja\b"
    r"|dejar\s+de\s+recibir|no\s+recibir|cancelar\s+(?:la\s+)?suscripci[óo]n",
    re.I,
)
_OPT_IN_PURPOSE = re.compile(
    r"opt[\s-]*(?:back\s+)?in|re-?subscribe|subscribe\s+again|start\s+(?:receiving|again)"
    r"|receive\s+(?:messages|texts)\s+again|r[ée]abonner|r[ée]inscrire|recevoir\s+[àa]\s+nouveau"
    r"|volver\s+a\s+(?:suscribirse|recibir)|suscribirse\s+de\s+nuevo|reactivar",
    re.I,
)
_SENTENCE_BREAKS = ".!?\n"
_FAR_WINDOW = 80


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(c, 0, start) for c in _SENTENCE_BREAKS) + 1
    rights = [i for i in (text.find(c, end) for c in _SENTENCE_BREAKS) if i != -1]
    return left, min(rights, default=len(text))


def _legitimate(text: str, keyword: str, start: int, end: int) -> bool:
    """True for an opt-out word used to opt out, or an opt-in word used to opt back in."""
    purpose = _OPT_OUT_PURPOSE if keyword.upper() in OPT_OUT_KEYWORDS else _OPT_IN_PURPOSE
    lead = _PURPOSE_LEAD.match(text, end)
    if lead is not None and purpose.match(text, lead.end()):
        return True  # "Reply STOP to opt out", "Répondez STOP pour vous désabonner"
    # "To opt out, reply STOP." : the keyword ends the sentence and its purpose came first.
    if re.match(r"[\"'»”’]?\s*(?:[.!?\n]|$)", text[end:]):
        left, _ = _sentence_bounds(text, start, end)
        return purpose.search(text, left, start) is not None
    return False


def _quoted(text: str, start: int, end: int) -> bool:
    return (
        start > 0
        and text[start - 1] in _OPEN_QUOTES
        and end < len(text)
        and text[end] in _CLOSE_QUOTES
    )


def _misused_keywords(text: str) -> list[str]:
    candidates: dict[int, str] = {}
    for verb in _VERBS.finditer(text):
        _, sentence_end = _sentence_bounds(text, verb.start(), verb.end())
        stop = min(sentence_end, verb.end() + _FAR_WINDOW)
        for kw in _KEYWORD.finditer(text, verb.end(), stop):
            word = kw.group()
            close = _CLOSE_PREFIX.fullmatch(text, verb.end(), kw.start()) is not None
            if close or word.isupper() or _quoted(text, kw.start(), kw.end()):
                candidates[kw.start()] = word
    for kw in _KEYWORD.finditer(text):
        word = kw.group()
        shouted = word.isupper() or _quoted(text, kw.start(), kw.end())
        if shouted and _PURPOSE_AFTER.match(text, kw.end()):
            candidates[kw.start()] = word
    problems = []
    for pos, word in sorted(candidates.items()):
        if _legitimate(text, word, pos, pos + len(word)):
            continue
        which = "opt-out" if word.upper() in OPT_OUT_KEYWORDS else "opt-in"
        left, right = _sentence_bounds(text, pos, pos + len(word))
        problems.append(
            f"asks for the {which} keyword {word.upper()} for another purpose; the carrier "
            f"would act on it: {text[left:right].strip()!r}"
        )
    return problems


def _brace_problems(text: str) -> tuple[list[str], list[str]]:
    """(problems, placeholder names) for the braces in a template."""
    problems: list[str] = []
    names: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "}":
            problems.append(f"unbalanced '}}' at position {i}")
        elif ch == "{":
            close = text.find("}", i + 1)
            nested = text.find("{", i + 1)
            if close == -1 or (nested != -1 and nested < close):
                problems.append(f"unbalanced '{{' at position {i}")
            else:
                inner = text[i + 1 : close]
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", inner):
                    names.append(inner)
                else:
                    problems.append(f"malformed placeholder {{{inner}}} at position {i}")
                i = close
        i += 1
    return problems, names


def stop_hint_problems(text: str) -> list[str]:
    """A template that writes STOP replaces the STOP line of a first text, so it must offer
    STOP to opt out ("Reply STOP to opt out"), not merely say the word."""
    found = list(STOP_WORD.finditer(text))
    if not found or any(_legitimate(text, m.group(), m.start(), m.end()) for m in found):
        return []
    return [
        'writes STOP without offering it to opt out ("Reply STOP to opt out"); the STOP '
        "line is then left off a customer's first text"
    ]


def validate_template(text: str, *, kind: MessageKind | None = None) -> list[str]:
    """Problems with a template, empty when it is fit to send.

    Reports unknown placeholders (and `{old_when}` outside a `moved` template when `kind`
    is given), unbalanced or malformed braces, and any phrase asking the customer to reply
    with an opt-out word (STOP, CANCEL, END, ...) or opt-in word (START, YES, UNSTOP) for
    another purpose. "Reply STOP to opt out" and "Reply START to resubscribe" are fine.
    """
    problems, names = _brace_problems(text)
    for name in dict.fromkeys(names):
        if name not in PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            problems.append(f"unknown placeholder {{{name}}} (allowed: {allowed})")
        elif name == "old_when" and kind is not None and kind is not MessageKind.MOVED:
            problems.append("{old_when} is only known in a 'moved' template")
    problems.extend(_misused_keywords(text))
    return problems
