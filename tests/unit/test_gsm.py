"""GSM 03.38 knowledge: alphabet, septet length, segment counting and smart encoding."""

from __future__ import annotations

import pytest

from rendezvous.messages.gsm import is_gsm7, segment_count, septet_length, to_gsm_compatible


def test_given_ascii_and_gsm_accented_letters_when_checked_then_text_is_gsm7() -> None:
    assert is_gsm7("Renée, à demain! Ñandu Øresund ß @£$¥ {[~]} € ÄÖÜäöüñ ÉÇåÅøæÆ")


def test_given_a_letter_outside_the_alphabet_when_checked_then_text_is_not_gsm7() -> None:
    assert not is_gsm7("Siobhán")


def test_given_extension_characters_when_measured_then_each_counts_two_septets() -> None:
    assert septet_length("{}[]~\\|^€") == 18
    assert septet_length("abc") == 3


def test_given_a_non_gsm_character_when_measuring_septets_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="U\\+00E1"):
        septet_length("á")


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_given_gsm7_text_of_some_length_when_counted_then_160_fit_one_and_153_fill_each_part(
    length: int, segments: int
) -> None:
    assert segment_count("a" * length) == ("GSM-7", segments)


def test_given_159_chars_plus_one_extension_char_when_counted_then_it_overflows_to_two() -> None:
    assert segment_count("a" * 158 + "€") == ("GSM-7", 1)
    assert segment_count("a" * 159 + "€") == ("GSM-7", 2)


def test_given_an_escape_pair_on_a_part_boundary_when_counted_then_the_pair_is_not_split() -> None:
    # 152 septets then "€" (2 septets) would straddle the 153 boundary: it moves to part 2.
    text = "a" * 152 + "€" + "a" * 152
    assert septet_length(text) == 306
    assert segment_count(text) == ("GSM-7", 3)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_given_ucs2_text_of_some_length_when_counted_then_70_fit_one_and_67_fill_each_part(
    length: int, segments: int
) -> None:
    assert segment_count("á" * length) == ("UCS-2", segments)


def test_given_emoji_when_counted_then_each_takes_two_utf16_units() -> None:
    assert segment_count("😀" * 35) == ("UCS-2", 1)
    assert segment_count("😀" * 35 + "a") == ("UCS-2", 2)


def test_given_an_empty_text_when_counted_then_it_is_one_gsm7_segment() -> None:
    assert segment_count("") == ("GSM-7", 1)


@pytest.mark.parametrize(
    ("typographic", "plain"),
    [
        ("it’s", "it's"),
        ("‘quoted’", "'quoted'"),
        ("ʼokina", "'okina"),
        ("“Hi”", '"Hi"'),
        ("„Hallo“", '"Hallo"'),
        ("«Bonjour»", '"Bonjour"'),
        ("9–5 — closed", "9-5 - closed"),
        ("wait…", "wait..."),
        ("10\u00a0h\u2009\u202f30", "10 h  30"),
        ("• Room 2", "- Room 2"),
        ("a\u200bb", "ab"),
    ],
)
def test_given_typographic_characters_when_made_gsm_compatible_then_plain_equivalents_are_used(
    typographic: str, plain: str
) -> None:
    converted = to_gsm_compatible(typographic)
    assert converted == plain
    assert is_gsm7(converted)


@pytest.mark.parametrize(
    ("accented", "stripped"),
    [
        ("José Álvarez", "José Alvarez"),
        ("Siobhán", "Siobhan"),
        ("Françoise", "Francoise"),
        ("Łukasz Wiśniewski", "Lukasz Wisniewski"),
        ("Nguyễn", "Nguyen"),
        ("âêîôû ãõ ā", "aeiou ao a"),
        ("Zoë", "Zoe"),
        ("août", "aout"),
    ],
)
def test_given_letters_outside_gsm7_when_made_compatible_then_diacritics_are_stripped(
    accented: str, stripped: str
) -> None:
    assert to_gsm_compatible(accented) == stripped


def test_given_letters_inside_gsm7_when_made_compatible_then_they_are_kept() -> None:
    text = "éèàùìò äöüñ ÄÖÜÑ ÉÇ åÅ øØ æÆ ß"
    assert to_gsm_compatible(text) == text


def test_given_emoji_and_cjk_when_made_compatible_then_they_are_left_and_text_stays_ucs2() -> None:
    text = "王芳 says hi 🌸"
    converted = to_gsm_compatible(text)
    assert converted == text
    assert segment_count(converted)[0] == "UCS-2"


def test_given_a_mix_when_made_compatible_then_only_the_unmappable_part_remains() -> None:
    assert to_gsm_compatible("It’s Zoë 🌸") == "It's Zoe 🌸"
