"""Shared steps for the agenda tests: raise an item through the real flow, find references."""

from __future__ import annotations

import re

from bot import i18n
from tests.support.harness import Harness

ISSUE = "The showers on the landing are cold every morning."
_REF = re.compile(r"A-\d{4,}")


def ref_in(text: str) -> str:
    match = _REF.search(text)
    assert match, f"no reference in {text!r}"
    return match.group(0)


def item_id(ref: str) -> int:
    return int(ref.split("-", 1)[1])


async def raise_item(
    h: Harness,
    user: int,
    text: str = ISSUE,
    *,
    topic: str = "Food",
    wing: str = "A wing",
    hide: bool = False,
    lang: str = "en",
) -> str:
    """A member raises an item through the real buttons; returns its reference."""
    await h.tg.send(user, "/raise")
    await h.tg.press(user, topic)
    await h.tg.press(user, wing)
    await h.tg.send(user, text)
    choice = "agenda.raise.name_hide" if hide else "agenda.raise.name_show"
    await h.tg.press(user, i18n.t(lang, choice))
    await h.tg.press(user, i18n.t(lang, "agenda.raise.confirm"))
    return ref_in(h.tg.last_text(user))


async def status_of(h: Harness, ref: str) -> str:
    rows = await h.rows("SELECT status FROM agenda_item WHERE id = ?", (item_id(ref),))
    return str(rows[0]["status"])


async def accept(h: Harness, staff: int, ref: str) -> None:
    """Staff accept an item through the real triage buttons (looked up by reference)."""
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Accept for a meeting")
    assert await status_of(h, ref) == "accepted"


async def answer_now(h: Harness, staff: int, text: str, *, kind: str = "Partly resolved") -> None:
    """Triage's "Answer now" posts an outcome (docs/OUTCOMES.md): kind, text, then confirm."""
    await h.tg.press(staff, "Answer now")
    await h.tg.press(staff, kind)
    await h.tg.send(staff, text)
    await h.tg.press(staff, "Post it")
