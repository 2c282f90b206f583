"""What a customer's text asks for: one keyword (any case, spaces and punctuation ignored),
or free text for a person to read."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    STOP_REQUEST = "stop_request"  # free text asking us to stop: a person decides
    FREE_TEXT = "free_text"


# CONTRACT.md. CANCEL is an opt-out word at the carrier, so it opts out here too: cancelling
# an appointment is X or 2.
KEYWORDS: dict[str, Intent] = {
    **dict.fromkeys(
        ["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"],
        Intent.OPT_OUT,
    ),
    **dict.fromkeys(["START", "YES", "UNSTOP"], Intent.OPT_IN),
    **dict.fromkeys(["HELP", "INFO"], Intent.HELP),
    **dict.fromkeys(["C", "CONFIRM", "1"], Intent.CONFIRM),
    **dict.fromkeys(["X", "2"], Intent.CANCEL),
    **dict.fromkeys(["R", "RESCHEDULE", "3"], Intent.RESCHEDULE),
}

# Free text that asks for the texts to stop, in the three supported languages. It does not
# opt out by itself (only the carrier keywords do); staff see it flagged and act on it.
STOP_REQUEST = re.compile(
    r"\b(stop (texting|messaging|sending|contacting)|don'?t (text|message|contact)|"
    r"no more (texts|messages)|remove me|take me off|unsubscribe me|leave me alone|"
    r"arr[eê]te[rz]? (de m'?envoyer|les (sms|messages))|ne plus (recevoir|m'?envoyer)|"
    r"d[eé]sinscri|dejen? de (enviar|escribir|mandar)|no (me )?(env[ií]en|escriban|manden) "
    r"m[aá]s|b[aá]jenme|darme de baja)",
    re.IGNORECASE,
)


def normalise_keyword(body: str) -> str:
    """`  Stop! ` -> `STOP`; `Confirm.` -> `CONFIRM`; accents, emoji and punctuation go."""
    decomposed = unicodedata.normalize("NFKD", body)
    letters = "".join(ch for ch in decomposed if ch.isalnum() and ch.isascii())
    return letters.upper()


def classify(body: str) -> Intent:
    words = re.findall(r"\w+", body, flags=re.UNICODE)
    if len(words) <= 1:
        intent = KEYWORDS.get(normalise_keyword(body))
        if intent is not None:
            return intent
    if STOP_REQUEST.search(body):
        return Intent.STOP_REQUEST
    return Intent.FREE_TEXT
