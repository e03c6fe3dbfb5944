"""Translation catalogues: bot/locale/<lang>/*.toml, one file per part of the bot, flattened to
"section.key" ids. Babel formats dates in the reader's language and the establishment's zone."""

from __future__ import annotations

import string
import tomllib
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime

from storage.outbox import param_time

LANGUAGES = ("en", "cy")
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}
FALLBACK = "en"


# CLDR plural categories (Babel carries the rules: English has one/other, Welsh all six).
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})


def _is_plural(value: dict[str, Any]) -> bool:
    return "other" in value and set(value) <= PLURAL_CATEGORIES


def _flatten(
    prefix: str,
    node: dict[str, Any],
    out: dict[str, str],
    plural: dict[str, dict[str, str]] | None = None,
) -> None:
    for key, value in node.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and _is_plural(value):
            # A count sentence: one text per plural category, chosen by {count} (see t()).
            out[name] = value["other"]
            if plural is not None:
                plural[name] = dict(value)
        elif isinstance(value, dict):
            _flatten(name, value, out, plural)
        elif isinstance(value, str):
            out[name] = value
        else:
            raise TypeError(f"catalogue entry {name} must be text")


@cache
def _load(lang: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    out: dict[str, str] = {}
    plural: dict[str, dict[str, str]] = {}
    folder = resources.files("bot.locale").joinpath(lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            part: dict[str, str] = {}
            _flatten("", tomllib.loads(entry.read_text(encoding="utf-8")), part, plural)
            clash = set(part) & set(out)
            if clash:
                raise ValueError(f"{lang}/{entry.name} repeats ids {sorted(clash)}")
            out.update(part)
    return out, plural


def catalogue(lang: str) -> dict[str, str]:
    """Every message id and its text (for a count sentence, its "other" form)."""
    return _load(lang)[0]


def plural_forms(lang: str) -> dict[str, dict[str, str]]:
    """Count sentences: message id -> {CLDR category: text}."""
    return _load(lang)[1]


def plural_category(lang: str, count: int) -> str:
    return str(Locale.parse(lang).plural_form(abs(count)))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def has(message_id: str) -> bool:
    return message_id in catalogue(FALLBACK)


def format_when(moment: datetime, lang: str, zone: ZoneInfo) -> str:
    return format_datetime(moment, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=lang)


def format_day(moment: datetime, lang: str, zone: ZoneInfo) -> str:
    return format_datetime(moment, "d MMM y", tzinfo=zone, locale=lang)


def resolve(value: Any, lang: str, zone: ZoneInfo) -> Any:
    """Turn a stored parameter into text for this reader (see bot.council.notices helpers)."""
    if isinstance(value, dict):
        if "$dt" in value:
            return format_when(param_time(value["$dt"]), lang, zone)
        if "$day" in value:
            # A calendar day (e.g. an outcome's follow-up date): no time, no zone shift.
            return format_date(date.fromisoformat(value["$day"]), "EEEE d MMMM y", locale=lang)
        if "$content" in value:
            expected = value.get("$expected") or list(value["$content"])
            return content_for(value["$content"], lang, zone, marked=lang in expected)
        if "$label" in value:
            labels = value["$label"]
            return labels.get(lang) or labels.get(FALLBACK) or ""
        if "$msg" in value:
            # A catalogue phrase, possibly a count phrase: {"$msg": id, "count": n}.
            extra = {k: v for k, v in value.items() if k != "$msg"}
            return t(lang, value["$msg"], zone, **extra)
    if isinstance(value, datetime):
        return format_when(value, lang, zone)
    return value


def content_for(
    versions: dict[str, str], lang: str, zone: ZoneInfo | None = None, *, marked: bool = True
) -> str:
    """Words staff wrote, in the reader's language; else the first language's, marked."""
    if lang in versions:
        return versions[lang]
    if not versions:
        return ""
    source, text = next(iter(versions.items()))
    if not marked:
        return text
    name = t(lang, f"reader.content.lang_name.{source}")
    return t(lang, "reader.content.fallback", zone, text=text, language=name)


def t(lang: str, message_id: str, zone: ZoneInfo | None = None, **params: Any) -> str:
    lang = lang if lang in LANGUAGES else FALLBACK
    texts = catalogue(lang)
    template = texts.get(message_id) or catalogue(FALLBACK).get(message_id)
    if template is None:
        raise KeyError(f"no catalogue entry {message_id!r}")
    forms = plural_forms(lang).get(message_id)
    count = params.get("count")
    if forms is not None and isinstance(count, int):
        template = forms.get(plural_category(lang, count), forms["other"])
    if not params:
        return template
    values = {k: resolve(v, lang, zone or ZoneInfo("Europe/London")) for k, v in params.items()}
    if lang == "cy":
        values = _welsh_days(template, params, values)
    return template.format_map(values)


# Welsh: "Dydd Gwener" opens a sentence; mid-sentence it is "dydd Gwener", and after ar, tan, o
# and i it takes the soft mutation: "ar ddydd Gwener". Babel gives the first; the code makes
# the others, so the catalogue can say "Mae'n cau ar {closes}" and read right.
_SOFT_AFTER = ("ar", "tan", "o", "i")


def _is_date(value: Any) -> bool:
    return isinstance(value, datetime) or (
        isinstance(value, dict) and ("$dt" in value or "$day" in value)
    )


def _welsh_days(template: str, params: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name, value in params.items():
        text = out.get(name)
        if not _is_date(value) or not isinstance(text, str) or not text.startswith("Dydd "):
            continue
        at = template.find("{" + name + "}")
        if at <= 0:
            continue  # opens the message: stays "Dydd"
        raw = template[:at]
        before = raw.rstrip()
        last = before.split()[-1].lower() if before.split() else ""
        if last in _SOFT_AFTER:
            out[name] = "ddydd " + text[len("Dydd ") :]
        elif before and not raw.endswith("\n") and before[-1] not in ".!?:":
            out[name] = "dydd " + text[len("Dydd ") :]
    return out
