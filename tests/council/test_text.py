"""clean() by Unicode category: invisible characters go, the joiners that scripts and emoji
need stay."""

from __future__ import annotations

import pytest

from bot.council.text import clean

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # mi-khaham, with a ZWNJ
WALES = "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
HEART_ON_FIRE = "\u2764\ufe0f\u200d\U0001f525"
TECHNOLOGIST = "\U0001f469\U0001f3fd\u200d\U0001f4bb"  # woman, skin tone, ZWJ, laptop
DEVANAGARI = "\u0915\u094d\u200d\u0937"  # a half form made with ZWJ


@pytest.mark.parametrize(
    "kept", [FAMILY, PERSIAN, WALES, HEART_ON_FIRE, TECHNOLOGIST, DEVANAGARI, "Caf\u00e9 ok"]
)
def test_what_scripts_and_emoji_need_is_kept(kept: str) -> None:
    assert clean(f"Look {kept} here", max_len=100).text == f"Look {kept} here"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\u061cb", "ab"),  # Arabic letter mark
        ("a\u180eb", "ab"),  # Mongolian vowel separator
        ("a\u034fb", "ab"),  # combining grapheme joiner
        ("a\u200bb\u2060c\ufeffd\u00ade", "abcde"),  # zero width, word joiner, BOM, soft hyphen
        ("pay \u202eriot\u202c now", "pay riot now"),  # bidi override
        ("a\u2066b\u2069c", "abc"),  # bidi isolates
        ("one\u2028two\u2029three", "one\ntwo\nthree"),  # line and paragraph separators
        ("hi\U000e0069\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065", "hi"),  # tag text
        ("\U0001f3f4\U000e0067\U000e0062", "\U0001f3f4"),  # a broken flag: the tags go
        ("\u200dstart and end\u200c", "start and end"),  # joiners with nothing to join
        ("two  \u200d spaces", "two   spaces"),
        ("\u3164\u3164", ""),  # Hangul filler: an invisible "name"
        ("a\U000f0000b", "a\U000f0000b"),  # private use stays (it is visible in some fonts)
    ],
)
def test_invisible_characters_go(raw: str, expected: str) -> None:
    cleaned = clean(raw, max_len=100)
    assert cleaned.text == expected
    if not expected:
        assert cleaned.problem == "empty"
