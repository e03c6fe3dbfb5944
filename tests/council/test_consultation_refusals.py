"""The consultations council answers with enums and never raises: a refusal is a value beside
the result (Refusal), matched in the handler, and every id it leads to is in the catalogue.
Council rules tested directly: a real SQLite file, a moved clock, no Telegram."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot import i18n
from bot.config import Settings
from bot.council import consultations as council
from bot.council.access import Person
from bot.council.clock import FakeClock
from bot.council.consultations import CloseEarly, Done, Refusal, Sent
from storage.db import Database
from tests.council.conftest import MakePerson


async def _people(person: MakePerson) -> dict[str, Person]:
    roles = (("staff", None), ("family", "a"), ("member", "a"), ("observer", None))
    return {role: await person(role, wing=wing) for role, wing in roles}


def _draft(clock: FakeClock, **changes: Any) -> council.ConsultationDraft:
    draft = council.ConsultationDraft(
        title="Visits on Saturdays",
        background="We want to change the visits hall.",
        questions=(
            council.Question("text", "What would help?"),
            council.Question("single", "When?", ("Morning", "Afternoon")),
        ),
        audience="families",
        closes_at=clock.now() + timedelta(days=7),
    )
    return replace(draft, **changes)


async def test_refusals_are_answered_not_raised(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    who = await _people(person)
    async with db.transaction() as tx:
        # Only staff publish; a draft that does not hold together is refused as a whole.
        assert await council.publish(
            tx, clock, settings, actor=who["family"], draft=_draft(clock)
        ) is (Refusal.NOT_FOR_YOU)
        too_soon = _draft(clock, closes_at=clock.now() + timedelta(minutes=30))
        assert await council.publish(tx, clock, settings, actor=who["staff"], draft=too_soon) is (
            Refusal.BAD_DRAFT
        )
        published = await council.publish(
            tx, clock, settings, actor=who["staff"], draft=_draft(clock)
        )
        assert isinstance(published, council.Published)
        cid = published.consultation_id

        assert await council.visible(tx, who["family"], 999) is Refusal.NOT_FOUND
        assert await council.visible(tx, who["member"], cid) is Refusal.NOT_FOR_YOU
        assert await council.progress(tx, clock, who["staff"], cid) is Refusal.NOT_FOR_YOU
        family = who["family"]
        assert await council.choose(tx, clock, family, cid, 9, 0) is Refusal.BAD_QUESTION
        assert await council.choose(tx, clock, family, cid, 1, 0) is Refusal.BAD_OPTION
        assert await council.choose(tx, clock, family, cid, 2, 5) is Refusal.BAD_OPTION
        assert await council.write(tx, clock, family, cid, 2, "words") is Refusal.BAD_QUESTION
        assert await council.give_name(tx, clock, family, cid, "Ann") is Refusal.BAD_QUESTION
        assert await council.choose(tx, clock, family, cid, 2, 1) == [1]
        assert await council.skip(tx, clock, family, cid, 1) is Done.SAVED
        assert await council.submit(tx, clock, family, cid) is Sent.FIRST
        assert await council.submit(tx, clock, family, cid) is Sent.ALREADY
        assert await council.give_name(tx, clock, family, cid, None) is Done.SAVED

        # Staff read and write back only after the close.
        assert await council.summary(tx, cid) is Refusal.NOT_CLOSED
        assert await council.responses(tx, cid) is Refusal.NOT_CLOSED
        assert await council.responses(tx, 999) is Refusal.NOT_FOUND
        assert await council.to_report(tx, who["staff"], cid) is Refusal.NOT_CLOSED
        summary = await council.staff_view_summary(tx, clock, who["family"], cid)
        assert summary is Refusal.NOT_FOR_YOU

        # Closing early: the observer may not; the one who opened it may, once.
        assert await council.to_close(tx, who["observer"], cid) is CloseEarly.NOT_ALLOWED
        assert await council.to_close(tx, who["staff"], 999) is Refusal.NOT_FOUND
        assert await council.to_close(tx, who["staff"], cid) == await council.visible(
            tx, who["staff"], cid
        )
        closed = await council.close_early(tx, clock, actor=who["staff"], consultation_id=cid)
        assert closed is CloseEarly.CLOSED
        assert await council.to_close(tx, who["staff"], cid) is CloseEarly.ALREADY

        # After the close: answering is refused as closed, the report goes once.
        assert await council.choose(tx, clock, family, cid, 2, 0) is Refusal.CLOSED
        report = await council.report(
            tx, clock, actor=who["staff"], consultation_id=cid, heard="  ", will_do="More seats"
        )
        assert report is Refusal.BAD_DRAFT
        told = await council.report(
            tx, clock, actor=who["staff"], consultation_id=cid, heard="Seats", will_do="More"
        )
        assert told == 1
        again = await council.report(
            tx, clock, actor=who["staff"], consultation_id=cid, heard="Seats", will_do="More"
        )
        assert again is Refusal.REPORTED
        assert await council.to_report(tx, who["staff"], cid) is Refusal.REPORTED


def test_every_id_the_consultation_council_names_exists() -> None:
    for group in ("family", "member"):
        assert i18n.has(council.group_id(group)), group
    for button in (council.open_button(1), council.summary_button(1), council.read_button(1)):
        assert i18n.has(str(button["m"])), button
