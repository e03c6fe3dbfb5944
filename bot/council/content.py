"""Words staff write for others, in each content language (config content_languages). The
owning row keeps the first language's words; the others are kept beside it (storage.content),
and a reader gets their own language, or the first one marked as such (bot.i18n.resolve)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.config import Settings
from storage import content as store
from storage import conversation
from storage.content import Pending
from storage.db import Tx

__all__ = ["Pending"]


def first(settings: Settings) -> str:
    return settings.establishment.content_languages[0]


def others(settings: Settings) -> tuple[str, ...]:
    """The languages every wizard asks for after the first."""
    return settings.establishment.content_languages[1:]


async def start(tx: Tx, person_id: int) -> None:
    """A wizard starts: translations typed for an earlier one do not carry over."""
    await store.clear_drafts(tx, person_id)


async def step_of(tx: Tx, person_id: int) -> tuple[str, str] | None:
    """The flow and step the person is at (None: no wizard open)."""
    state = await conversation.get(tx, person_id)
    return None if state is None else (state.flow, state.step)


async def ask(tx: Tx, person_id: int, pending: Pending) -> None:
    """The bot now waits for these words in pending.lang."""
    await store.set_pending(tx, person_id, pending)


async def waiting(tx: Tx, person_id: int, at: tuple[str, str]) -> Pending | None:
    """The translation the bot waits for, if the person is still at that step (flow, step)."""
    pending = await store.get_pending(tx, person_id)
    if pending is None:
        return None
    if (pending.flow, pending.step) != at:
        await store.clear_pending(tx, person_id)  # they moved on: ask no more
        return None
    return pending


@dataclass(frozen=True)
class Took:
    """After one language's words: the next language to ask for, or (None) every draft so far,
    {(field, language): words}."""

    following: Pending | None
    drafts: dict[tuple[str, str], str]


async def took(tx: Tx, settings: Settings, person_id: int, pending: Pending, text: str) -> Took:
    await store.put_draft(tx, person_id, pending.field, pending.lang, text)
    rest = others(settings)
    later = rest[rest.index(pending.lang) + 1 :] if pending.lang in rest else ()
    if later:
        following = replace(pending, lang=later[0])
        await store.set_pending(tx, person_id, following)
        return Took(following, {})
    await store.clear_pending(tx, person_id)
    return Took(None, await store.drafts(tx, person_id))


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
