"""Words staff write for others, in each content language (config content_languages). The
owning row keeps the first language's words; the others are kept beside it (storage.content),
and a reader gets their own language, or the first one marked as such (bot.i18n.resolve)."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from storage import content as store
from storage.db import Tx


def first(settings: Settings) -> str:
    return settings.establishment.content_languages[0]


def others(settings: Settings) -> tuple[str, ...]:
    """The languages every wizard asks for after the first."""
    return settings.establishment.content_languages[1:]


async def start(tx: Tx, person_id: int) -> None:
    """A wizard starts: translations typed for an earlier one do not carry over."""
    await store.clear_drafts(tx, person_id)


async def keep(
    tx: Tx,
    person_id: int,
    kind: str,
    ref_id: int,
    fields: dict[str, str],
    *,
    clear: bool = True,
) -> None:
    """Publishing: the translations typed in the wizard now belong to the new row (clear=False
    keeps them for the next row too: every meeting of a series)."""
    await store.keep(tx, person_id, kind, ref_id, fields, clear=clear)


async def versions(
    tx: Tx, settings: Settings, kind: str, ref_id: int, field: str, text: str
) -> dict[str, str]:
    """{language: words}, the first language first (it is the one others fall back to)."""
    kept = await store.texts(tx, kind, ref_id)
    out = {first(settings): text}
    for lang in others(settings):
        if (field, lang) in kept:
            out[lang] = kept[(field, lang)]
    return out


def param(settings: Settings, versions: dict[str, str]) -> dict[str, Any]:
    """A notice parameter shown in each reader's language (see bot.i18n.resolve). A reader of
    a content language that is missing gets the first one, marked; readers of a language the
    establishment does not write in get the first one as it is."""
    return {"$content": versions, "$expected": list(settings.establishment.content_languages)}


async def shown(
    tx: Tx, settings: Settings, kind: str, ref_id: int, fields: dict[str, str], lang: str
) -> dict[str, str]:
    """Several fields for one reader: {field: words in their language, or the first's}."""
    kept = await store.texts(tx, kind, ref_id)
    return {name: kept.get((name, lang), text) for name, text in fields.items()}
