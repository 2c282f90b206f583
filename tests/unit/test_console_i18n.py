"""The console's words: every key in English, French and Spanish, with the same placeholders,
and every key the scripts and the page ask for exists.

The dictionaries are the `Object.assign(I18N.<lang>, {...})` blocks of i18n.js, desk.js and
manage.js, read here as the object literals they are (string keys, plain string values).
"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from rendezvous.console import SCRIPT_FILES

LANGUAGES = ("en", "fr", "es")
CONSOLE = files("rendezvous.console")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
BLOCK = re.compile(r"Object\.assign\(\s*I18N\.(en|fr|es)\s*,\s*")


class LiteralError(ValueError):
    pass


def _skip_space(text: str, at: int) -> int:
    while at < len(text):
        if text[at].isspace() or text[at] == ",":
            at += 1
        elif text.startswith("//", at):
            at = text.index("\n", at)
        elif text.startswith("/*", at):
            at = text.index("*/", at) + 2
        else:
            return at
    return at


def _string(text: str, at: int) -> tuple[str, int]:
    quote = text[at]
    if quote not in "\"'":
        raise LiteralError(f"a string was expected at {text[at : at + 30]!r}")
    out: list[str] = []
    at += 1
    while text[at] != quote:
        if text[at] == "\\":
            escaped = text[at + 1]
            if escaped == "u":
                out.append(chr(int(text[at + 2 : at + 6], 16)))
                at += 6
                continue
            out.append({"n": "\n", "t": "\t"}.get(escaped, escaped))
            at += 2
            continue
        out.append(text[at])
        at += 1
    return "".join(out), at + 1


def object_literal(text: str, at: int) -> dict[str, str]:
    """{ "key": "value", key2: 'value', } from `at` (its opening brace)."""
    if text[at] != "{":
        raise LiteralError(f"an object was expected at {text[at : at + 30]!r}")
    entries: dict[str, str] = {}
    at = _skip_space(text, at + 1)
    while text[at] != "}":
        if text[at] in "\"'":
            key, at = _string(text, at)
        else:
            found = re.compile(r"[A-Za-z_$][\w$]*").match(text, at)
            if not found:
                raise LiteralError(f"a key was expected at {text[at : at + 30]!r}")
            key, at = found.group(), found.end()
        at = _skip_space(text, at)
        if text[at] != ":":
            raise LiteralError(f"':' was expected after {key!r}")
        value, at = _string(text, _skip_space(text, at + 1))
        if key in entries:
            raise LiteralError(f"{key!r} twice in one block")
        entries[key] = value
        at = _skip_space(text, at)
    return entries


def dictionaries() -> dict[str, dict[str, str]]:
    words: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for name in SCRIPT_FILES:
        text = (CONSOLE / name).read_text("utf-8")
        for block in BLOCK.finditer(text):
            words[block.group(1)].update(object_literal(text, block.end()))
    return words


def scripts() -> str:
    return "\n".join((CONSOLE / name).read_text("utf-8") for name in SCRIPT_FILES)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_dictionaries_are_read() -> None:
    words = dictionaries()

    # The shell's own words at least: a parser that found nothing would pass everything.
    assert len(words["en"]) > 200
    assert words["fr"]["conv.claim"] == "Prendre en charge"
    assert words["es"]["queue.tabOpen"] == "Abiertos"


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_key_is_in_every_language(language: str) -> None:
    words = dictionaries()

    assert sorted(set(words["en"]) - set(words[language])) == []
    assert sorted(set(words[language]) - set(words["en"])) == []


def test_translations_keep_the_placeholders_and_are_not_empty() -> None:
    words = dictionaries()
    wrong = []
    for key, english in words["en"].items():
        for language in LANGUAGES:
            text = words[language].get(key, "")
            # A singular may say "one hour" instead of "{count} hour".
            ignore = {"count"} if key.endswith(".one") else set()
            if not text.strip() or placeholders(text) - ignore != placeholders(english) - ignore:
                wrong.append(f"{language} {key}: {text!r}")

    assert wrong == []


def test_every_key_the_scripts_ask_for_exists() -> None:
    english = dictionaries()["en"]
    code = scripts()
    asked = set(re.findall(r"\bt\(\s*\"([\w.]+)\"", code))
    plurals = set(re.findall(r"\btn\(\s*\"([\w.]+)\"", code))
    # Keys chosen by a condition: t(x ? "a.b" : "c.d").
    asked |= set(re.findall(r"\bt\([^()\"]*\?\s*\"([\w.]+)\"\s*:\s*\"[\w.]+\"", code))
    asked |= set(re.findall(r"\bt\([^()\"]*\?\s*\"[\w.]+\"\s*:\s*\"([\w.]+)\"", code))

    missing = sorted(k for k in asked if k not in english)
    missing += sorted(
        f"{k}.{form}" for k in plurals for form in ("one", "other") if f"{k}.{form}" not in english
    )
    assert asked, "no t() call found: the pattern no longer matches the scripts"
    assert missing == []


def test_every_key_the_page_names_exists() -> None:
    english = dictionaries()["en"]
    page = (CONSOLE / "page.html").read_text("utf-8")
    named = set(re.findall(r'data-i18n(?:-label|-title|-placeholder)?="([\w.]+)"', page))

    assert len(named) > 30
    assert sorted(k for k in named if k not in english) == []


def test_a_block_that_is_not_a_plain_literal_is_refused() -> None:
    text = '{ "a.b": `template ${x}` }'

    with pytest.raises(LiteralError):
        object_literal(text, 0)
