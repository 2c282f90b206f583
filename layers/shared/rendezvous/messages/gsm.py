"""GSM 03.38: which texts fit the 7-bit alphabet, how long they are, and how many parts they need.

A text that is entirely GSM-7 travels as 7-bit septets: 160 per single SMS, 153 per part of
a concatenated one (the user data header takes the rest). One character outside the
alphabet turns the whole message into UCS-2: 70 UTF-16 code units alone, 67 per part.
Characters of the extension table (`{ } [ ] ~ \\ | ^ €` and form feed) are sent as an escape
plus a septet, so they count twice, and an escape pair is never split across two parts.
"""

from __future__ import annotations

import unicodedata
from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The default alphabet, in table order, without 0x1B (the escape to the extension table).
GSM7_BASIC: Final[frozenset[str]] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final[frozenset[str]] = frozenset("\f^{}\\[~]|€")

SINGLE_GSM7: Final = 160
PART_GSM7: Final = 153
SINGLE_UCS2: Final = 70
PART_UCS2: Final = 67


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 default alphabet or its extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def septet_length(text: str) -> int:
    """Septets the text takes in GSM-7; extension characters count 2. Needs a GSM-7 text."""
    total = 0
    for ch in text:
        if ch in GSM7_BASIC:
            total += 1
        elif ch in GSM7_EXTENSION:
            total += 2
        else:
            raise ValueError(f"not a GSM-7 character: U+{ord(ch):04X}")
    return total


def ucs2_length(text: str) -> int:
    """UTF-16 code units: characters beyond the BMP (most emoji) count 2."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _parts(units: list[int], single: int, per_part: int) -> int:
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for size in units:  # an escape pair or a surrogate pair is never split across parts
        if used + size > per_part:
            parts += 1
            used = 0
        used += size
    return parts


def segment_count(text: str) -> tuple[Encoding, int]:
    """The encoding the text needs and how many SMS parts it takes (an empty text takes 1)."""
    if is_gsm7(text):
        return "GSM-7", _parts(
            [2 if ch in GSM7_EXTENSION else 1 for ch in text], SINGLE_GSM7, PART_GSM7
        )
    return "UCS-2", _parts([2 if ord(ch) > 0xFFFF else 1 for ch in text], SINGLE_UCS2, PART_UCS2)


# Typographic characters that would force UCS-2, and their GSM-7 stand-ins.
_REPLACEMENTS: Final[dict[str, str]] = {
    # apostrophes and single quotes
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u2035": "'",  # ‵
    "\u02bc": "'",  # ʼ
    "\u02b9": "'",  # ʹ
    "\u02bb": "'",  # ʻ
    "\u00b4": "'",  # ´
    "`": "'",
    "\u2039": "'",  # ‹
    "\u203a": "'",  # ›
    "\uff07": "'",  # fullwidth apostrophe
    # double quotes
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″
    "\u2036": '"',  # ‶
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\uff02": '"',  # fullwidth quotation mark
    # dashes and hyphens
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # –
    "\u2014": "-",  # —
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u2043": "-",  # hyphen bullet
    "\ufe58": "-",  # small em dash
    "\ufe63": "-",  # small hyphen-minus
    "\uff0d": "-",  # fullwidth hyphen-minus
    # bullets and dots
    "\u2022": "-",  # •
    "\u2023": "-",  # ‣
    "\u2219": "-",  # bullet operator
    "\u25e6": "-",  # white bullet
    "\u00b7": "-",  # middle dot
    "\u2026": "...",  # …
    # spaces (all widths become one ordinary space)
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u1680": " ",
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",  # figure space
    "\u2008": " ",
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space
    "\u205f": " ",
    "\u3000": " ",
    "\u2028": "\n",  # line separator
    "\u2029": "\n",  # paragraph separator
    # invisible characters that carry nothing in an SMS
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte order mark
    # assorted symbols
    "\u02c6": "^",  # modifier circumflex
    "\u02dc": "~",  # small tilde
    "\u00a6": "|",  # broken bar
    "\u2044": "/",  # fraction slash
    "\u2215": "/",  # division slash
    "\u00d7": "x",  # multiplication sign
    "\u203c": "!!",  # ‼
    "\u2047": "??",
    "\u2048": "?!",
    "\u2049": "!?",
    # letters with no decomposition to strip
    "\u0142": "l",  # ł
    "\u0141": "L",  # Ł
    "\u0111": "d",  # đ
    "\u0110": "D",  # Đ
    "\u00f0": "d",  # ð
    "\u00d0": "D",  # Ð
    "\u0127": "h",  # ħ
    "\u0126": "H",  # Ħ
    "\u0131": "i",  # dotless ı
    "\u0153": "oe",  # œ
    "\u0152": "OE",  # Œ
    "\u00fe": "th",  # þ
    "\u00de": "Th",  # Þ
    "\u0138": "k",  # ĸ
    "\u017f": "s",  # long s
}


def _fallback(ch: str) -> str | None:
    """A GSM-7 spelling of one non-GSM character, or None when there is none."""
    mapped = _REPLACEMENTS.get(ch)
    if mapped is not None:
        return mapped
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed == ch:
        return None
    # Keep the accent when the base letter plus its first mark is itself GSM (e.g. ǘ -> ü).
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if len(decomposed) >= 2 and unicodedata.combining(decomposed[1]):
        partial = unicodedata.normalize("NFC", decomposed[:2])
        if len(partial) == 1 and partial in GSM7_BASIC:
            return partial + base[1:]
    out = "".join(_REPLACEMENTS.get(c, c) for c in base)
    return out if is_gsm7(out) else None


def to_gsm_compatible(text: str) -> str:
    """Twilio-style "smart encoding": swap what forces UCS-2 for a GSM-7 equivalent.

    Typographic quotes, dashes, ellipses, odd spaces and bullets become their plain forms;
    accented letters outside GSM-7 lose their accent (á -> a, ł -> l) while those inside it
    (é è à ù ì ò ä ö ü ñ Ç É Å ø æ ß ...) stay as they are. Whatever has no GSM-7 spelling
    (emoji, CJK) is left alone, so the message honestly goes out as UCS-2.
    """
    if is_gsm7(text):
        return text
    out: list[str] = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            continue
        mapped = _fallback(ch)
        out.append(ch if mapped is None else mapped)
    return "".join(out)
