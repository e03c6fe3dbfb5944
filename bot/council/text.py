"""Free text from people: cleaned of invisible tricks, checked for length, kept literal."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width characters and bidirectional controls can hide or reorder what staff read.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Cleaned:
    text: str
    problem: str | None  # None, "empty", "too_short", "too_long", "no_words"

    @property
    def ok(self) -> bool:
        return self.problem is None


def clean(raw: str | None, *, min_len: int = 1, max_len: int, need_words: bool = False) -> Cleaned:
    text = unicodedata.normalize("NFC", raw or "")
    text = _INVISIBLE.sub("", text)
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
