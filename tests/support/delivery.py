"""Helpers shared by the delivery, timer and crash tests: seed people and queue notices fast."""

from __future__ import annotations

from typing import Any

from bot.council import notices
from storage import people
from storage.people import PersonRow
from tests.support.harness import Harness


async def seed_people(
    h: Harness, count: int, *, role: str = "member", lang: str = "en"
) -> list[PersonRow]:
    """People admitted straight into the database (no join flow), known to the double."""
    made: list[PersonRow] = []
    now = h.clock.now()
    async with h.db.transaction() as tx:
        for _ in range(count):
            user_id = h.new_user(lang)
            person_id = await people.upsert_member(
                tx,
                tg_user_id=user_id,
                role=role,
                wing="a" if role in ("member", "chair") else None,
                label=None,
                language=lang,
                now=now,
            )
            if lang != "en":
                await people.set_language(tx, person_id, lang, now)
            person = await people.by_id(tx, person_id)
            assert person is not None
            made.append(person)
    return made


async def queue(
    h: Harness,
    person: PersonRow,
    key: str,
    text: str = "hello",
    **options: Any,
) -> bool:
    """Queue the announcement notice (a catalogue sentence with literal text) to one person."""
    async with h.db.transaction() as tx:
        fresh = await people.by_id(tx, person.id)
        assert fresh is not None
        return await notices.notify(
            tx,
            h.clock,
            key=key,
            message="announce.notice",
            params={"establishment": "HMP Example", "text": text},
            person=fresh,
            **options,
        )


async def statuses(h: Harness) -> dict[str, str]:
    rows = await h.rows("SELECT key, status FROM outbox")
    return {r["key"]: r["status"] for r in rows}
