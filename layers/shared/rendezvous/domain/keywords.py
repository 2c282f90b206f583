"""What a customer's text asks for: a keyword (any case, spaces, punctuation and emoji
ignored), a confirmation in the customer's words, a short closing, or free text for a person."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    # YES opts in, and also confirms when the number is not opted out and an unconfirmed
    # visit is coming: only the inbound service knows which, so it resolves this one.
    YES = "yes"
    HELP = "help"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    STOP_REQUEST = "stop_request"  # free text asking us to stop: a person decides
    CLOSING = "closing"  # "thanks", "merci", an emoji: joins a conversation quietly
    # A digit that answered an open choice (the times offered after an R): only the inbound
    # service knows one is open, so classify never returns it.
    CHOICE = "choice"
    # Y (or the offered digit) while an offer to the number is open: only the inbound
    # service knows one is, so classify never returns it.
    TAKE_OFFER = "take_offer"
    FREE_TEXT = "free_text"


# CONTRACT.md v2. CANCEL is an opt-out word at the carrier, so it opts out here too:
# cancelling an appointment is X. Digits mean nothing until an offer is open (free text).
KEYWORDS: dict[str, Intent] = {
    **dict.fromkeys(
        ["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"],
        Intent.OPT_OUT,
    ),
    **dict.fromkeys(["START", "UNSTOP"], Intent.OPT_IN),
    "YES": Intent.YES,
    **dict.fromkeys(["HELP", "INFO"], Intent.HELP),
    **dict.fromkeys(["X"], Intent.CANCEL),
    **dict.fromkeys(["R", "RESCHEDULE"], Intent.RESCHEDULE),
}

# Words that confirm in en, fr and es, with the inflections people type ("Confirmed").
CONFIRM_WORDS = frozenset(
    {"C", "CONFIRM", "CONFIRMED", "CONFIRME", "CONFIRMO", "CONFIRMADO", "Y", "OK", "OKAY"}
    | {"OUI", "OUII", "SI"}
)
THUMBS_UP = "\N{THUMBS UP SIGN}"
# C and "confirm" in its forms: what confirmations and reminders ask for ("Reply C to
# confirm"), so they confirm the visit even while a waitlist offer to the number is open;
# the other confirm words (Y, OK, OUI, SI, 👍, YES) answer the offer (CONTRACT.md).
VISIT_CONFIRM_WORDS = frozenset({"C", "CONFIRM", "CONFIRMED", "CONFIRME", "CONFIRMO", "CONFIRMADO"})

# Politeness that may follow a confirm word without making it a question for a person.
COURTESY = frozenset(
    {"THANKS", "THANK", "YOU", "THX", "TY", "PLEASE", "PLS", "SEE", "THEN", "MERCI", "BCP"}
    | {"BEAUCOUP", "GRACIAS", "MUCHAS", "CONFIRM", "CONFIRMED", "YES", "OK", "SVP"}
)

# A closing on its own: thanks in three languages, with a few friendly words around it.
CLOSING_WORDS = frozenset({"THANKS", "THANK", "THX", "TY", "MERCI", "GRACIAS", "THANKYOU"})
CLOSING_EXTRAS = frozenset(
    {"OK", "YOU", "MANY", "GREAT", "PERFECT", "A", "LOT", "BEAUCOUP", "BCP", "SUPER"}
    | {"PARFAIT", "MUCHAS", "MIL", "PERFECTO", "SO", "MUCH"}
)

# Free text that asks for the texts to stop, in the three supported languages. It does not
# opt out by itself (only the carrier keywords do); staff see it flagged and act on it.
STOP_REQUEST = re.compile(
    r"\b(stop (texting|messaging|sending|contacting)|don'?t (text|message|contact)|"
    r"^\W*(please )?stop\W*( (it|now|pls|plz|please|thanks|thank you|merci|svp|stp|"
    r"s'il vous pla[iî]t|por favor|gracias|sms|texts|messages|mensajes))*\W*$|"
    r"no more (texts|messages)|remove me|take me off|unsubscribe me|leave me alone|"
    r"^\W*arr[eê]te[rz]?\b|arr[eê]te[rz]? (de m'?envoyer|les (sms|messages))|"
    r"ne (veux )?plus (recevoir|m'?envoyer)|"
    r"d[eé]sinscri|dejen? de (enviar|escribir|mandar)|no (me )?(env[ií]en|escriban|manden) "
    r"m[aá]s|ya no me (env[ií]en|escriban|manden)|no m[aá]s (mensajes|sms|textos)|"
    r"b[aá]jenme|darme de baja)",
    re.IGNORECASE,
)


def normalise_keyword(body: str) -> str:
    """`  Stop! ` -> `STOP`; `Confirm.` -> `CONFIRM`; accents, emoji and punctuation go."""
    decomposed = unicodedata.normalize("NFKD", body)
    letters = "".join(ch for ch in decomposed if ch.isalnum() and ch.isascii())
    return letters.upper()


def _words(body: str) -> list[str]:
    return [w for w in (normalise_keyword(w) for w in re.split(r"[\s,.!?;:]+", body)) if w]


def _only_emoji(body: str) -> bool:
    # Symbols, skin tones and joiners, and no letter or digit: a reaction, not a question.
    stripped = [ch for ch in body if not ch.isspace()]
    return bool(stripped) and all(
        unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") or ch in "\ufe0f\u200d"
        for ch in stripped
    )


def classify(body: str) -> Intent:
    words = _words(body)
    if len(words) == 1 and (intent := KEYWORDS.get(words[0])) is not None:
        return intent
    if STOP_REQUEST.search(body.strip()):
        return Intent.STOP_REQUEST
    if _only_emoji(body):
        return Intent.CONFIRM if THUMBS_UP in body else Intent.CLOSING
    if any(w in CLOSING_WORDS for w in words) and all(
        w in CLOSING_WORDS or w in CLOSING_EXTRAS for w in words
    ):
        # "ok thanks" closes a conversation (CONTRACT.md); "Oui merci" confirms.
        return Intent.CLOSING
    if words and words[0] in CONFIRM_WORDS and all(w in COURTESY for w in words[1:]):
        return Intent.CONFIRM
    if words and words[0] == "YES" and all(w in COURTESY for w in words[1:]):
        explicit = any(w in ("CONFIRM", "CONFIRMED") for w in words[1:])
        return Intent.CONFIRM if explicit else Intent.YES
    return Intent.FREE_TEXT


def confirms_the_visit(body: str) -> bool:
    """A confirmation that says C or confirm ("C", "Confirmé", "yes confirm"): the answer
    to a reminder, never to a waitlist offer."""
    return classify(body) is Intent.CONFIRM and any(w in VISIT_CONFIRM_WORDS for w in _words(body))


def keyword_of(body: str) -> str | None:
    """The keyword a text is, as the thread names it (`C`, `X`, `STOP`, `OUI`, 👍), or None
    for words a person reads."""
    words = _words(body)
    if len(words) == 1 and (words[0] in KEYWORDS or words[0] in CONFIRM_WORDS):
        return words[0]
    if _only_emoji(body) and THUMBS_UP in body:
        return THUMBS_UP
    return None
