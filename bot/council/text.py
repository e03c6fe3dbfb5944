"""Free text from people: cleaned of invisible tricks, checked for length, kept literal."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")

# Invisible characters can hide text, or reorder or disguise what staff read. They are found by
# Unicode category, not by a list that misses the next one: every format character (Cf: bidi
# controls, zero-width spaces, U+061C, U+180E, the tag block...) goes, except the joiners that
# a script or an emoji sequence needs; line and paragraph separators become plain line ends.
_ZWNJ, _ZWJ = "\u200c", "\u200d"
# Default-ignorable characters outside Cf: the combining grapheme joiner and the Hangul fillers
# (invisible "letters" used to fake blank names).
_IGNORABLE = frozenset("\u034f\u115f\u1160\u3164\uffa0")
# The flags of England, Scotland and Wales are the black flag followed by tag characters:
# the one place the tag block is needed, so a whole, well-formed flag is kept.
_TAG_FLAG = re.compile("\U0001f3f4[\U000e0061-\U000e007a]{2,7}\U000e007f")


def _visible(ch: str) -> bool:
    """A letter, mark, symbol or digit: what a joiner may sit between."""
    return unicodedata.category(ch)[0] in "LMSN" and ch not in _IGNORABLE


def _strip_invisible(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\U0001f3f4":
            flag = _TAG_FLAG.match(text, i)
            if flag:
                out.append(flag.group())
                i = flag.end()
                continue
        category = unicodedata.category(ch)
        if ch in (_ZWJ, _ZWNJ):
            # Kept only between two visible characters (an emoji sequence, Persian, Indic
            # scripts), and never twice in a row.
            if out and _visible(out[-1]) and i + 1 < n and _visible(text[i + 1]):
                out.append(ch)
        elif category in ("Zl", "Zp"):
            out.append("\n")
        elif category in ("Cf", "Cn", "Cs") or ch in _IGNORABLE:
            pass
        else:
            out.append(ch)
        i += 1
    return "".join(out)


# Every problem clean() can report (handlers name each one: handlers/labels.py families).
PROBLEMS = ("empty", "too_short", "too_long", "no_words")


@dataclass(frozen=True)
class Cleaned:
    text: str
    problem: str | None  # None, "empty", "too_short", "too_long", "no_words"

    @property
    def ok(self) -> bool:
        return self.problem is None


def clean(raw: str | None, *, min_len: int = 1, max_len: int, need_words: bool = False) -> Cleaned:
    text = unicodedata.normalize("NFC", raw or "")
    text = _strip_invisible(text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _MANY_BLANK_LINES.sub("\n\n", text).strip()
    if not text:
        return Cleaned("", "empty")
    if len(text) > max_len:
        return Cleaned(text, "too_long")
    if len(text) < min_len:
        return Cleaned(text, "too_short")
    if need_words and not any(ch.isalnum() for ch in text):
        return Cleaned(text, "no_words")
    return Cleaned(text, None)


def excerpt(text: str, limit: int) -> str:
    """The text cut to at most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
