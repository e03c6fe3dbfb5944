"""The agenda state machine, the seam for meetings, references and the support count, tested
against the real council code and a real SQLite file."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from bot.council import agenda, triage
from bot.council.access import Person
from bot.council.agenda import Draft
from storage import agenda as store
from tests.support.agenda import ISSUE
from tests.support.harness import Harness


async def _person(h: Harness, role: str, lang: str = "en") -> Person:
    user = await h.join(role, wing="a" if role in ("member", "chair") else None, lang=lang)
    person = await h.person(user)
    assert person is not None
    return person


async def _item(h: Harness, member: Person, status: str = "new") -> int:
    async with h.db.transaction() as tx:
        item = await agenda.raise_item(
            tx,
            h.clock,
            h.settings,
            person=member,
            draft=Draft("food", "a", ISSUE, name_hidden=False),
        )
        if status != "new":
            await tx.execute("UPDATE agenda_item SET status = ? WHERE id = ?", (status, item.id))
        return item.id


def test_references_are_padded_and_parsed_kindly() -> None:
    assert agenda.ref(42) == "A-0042"
    assert agenda.ref(123456) == "A-123456"
    for text in ("A-0042", "a-42", "A42", " 42 ", "a 0042"):
        assert agenda.parse_ref(text) == 42, text
    for text in ("", "A-", "A-0", "P-0042", "42x", "A--42", "-42", "A-1234567890", None):
        assert agenda.parse_ref(text) is None, text


def test_the_transition_table_is_complete_and_finished_states_are_final() -> None:
    assert set(agenda.TRANSITIONS) == set(agenda.STATUSES)
    for targets in agenda.TRANSITIONS.values():
        assert targets <= set(agenda.STATUSES)
    for final in (agenda.DECLINED, agenda.MERGED, agenda.CLOSED):
        assert agenda.TRANSITIONS[final] == frozenset()
    # The issue's path: new -> (needs info) -> accepted -> on agenda -> discussed -> outcome -> closed.
    path = [
        agenda.NEW,
        agenda.NEEDS_INFO,
        agenda.ACCEPTED,
        agenda.ON_AGENDA,
        agenda.DISCUSSED,
        agenda.OUTCOME_POSTED,
        agenda.CLOSED,
    ]
    for old, new in itertools.pairwise(path):
        assert agenda.may_move(old, new), (old, new)
    assert agenda.may_move(agenda.ANSWERED, agenda.CLOSED)
    assert not agenda.may_move(agenda.NEW, agenda.ON_AGENDA)
    assert not agenda.may_move(agenda.DECLINED, agenda.ACCEPTED)


@pytest.mark.parametrize("old", agenda.STATUSES)
async def test_only_allowed_transitions_happen(h: Harness, old: str) -> None:
    member = await _person(h, "member")
    staff = await _person(h, "staff")
    for new in agenda.STATUSES:
        item_id = await _item(h, member, old)
        async with h.db.transaction() as tx:
            decided = await agenda.move(
                tx, h.clock, h.settings, actor=staff, item_id=item_id, new=new
            )
            after = await store.get(tx, item_id)
        assert after is not None
        if agenda.may_move(old, new):
            assert decided.result == "done", (old, new)
            assert (after.status, after.version) == (new, 1)
        else:
            assert decided.result == "refused", (old, new)
            assert (after.status, after.version) == (old, 0)
    audited = await h.rows("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'agenda.%'")
    assert audited == [{"n": len(agenda.TRANSITIONS[old])}]


async def test_a_conditional_update_lets_only_one_change_win(h: Harness) -> None:
    member = await _person(h, "member")
    item_id = await _item(h, member)
    now = h.clock.now()
    async with h.db.transaction() as tx:
        first = await store.change_status(
            tx, item_id, expected="new", version=0, new="accepted", now=now
        )
        second = await store.change_status(
            tx, item_id, expected="new", version=0, new="declined", now=now
        )
    assert (first, second) == (True, False)
    with pytest.raises(ValueError):
        async with h.db.transaction() as tx:
            await store.change_status(
                tx, item_id, expected="accepted", version=1, new="x", now=now, fields={"text": ""}
            )


async def test_triage_needs_a_triage_role_in_the_council_code_too(h: Harness) -> None:
    member = await _person(h, "member")
    family = await _person(h, "family")
    item_id = await _item(h, member)
    for actor in (member, family):
        async with h.db.transaction() as tx:
            with pytest.raises(agenda.NotAllowed):
                await triage.accept(
                    tx, h.clock, h.settings, actor=actor, item_id=item_id, version=0
                )
            with pytest.raises(agenda.NotAllowed):
                await triage.queue(tx, actor)
    async with h.db.transaction() as tx:
        with pytest.raises(agenda.NotAllowed):
            await agenda.raise_item(
                tx,
                h.clock,
                h.settings,
                person=family,
                draft=Draft("food", "a", ISSUE, name_hidden=False),
            )
        with pytest.raises(ValueError):
            await agenda.raise_item(
                tx,
                h.clock,
                h.settings,
                person=member,
                draft=Draft("complaint", "a", ISSUE, name_hidden=False),
            )


async def test_the_support_count_follows_the_support_rows(h: Harness) -> None:
    member = await _person(h, "member")
    others = [await _person(h, "member") for _ in range(3)]
    item_id = await _item(h, member, "accepted")
    now = h.clock.now()
    async with h.db.transaction() as tx:
        for other in others:
            assert await store.add_support(tx, item_id, other.id, now)
        assert not await store.add_support(tx, item_id, others[0].id, now)
        await tx.execute(
            "DELETE FROM agenda_support WHERE item_id = ? AND person_id = ?",
            (item_id, others[1].id),
        )
        item = await store.get(tx, item_id)
    assert item is not None and item.support_count == 2
    async with h.db.transaction() as tx:
        assert await agenda.support(tx, h.clock, person=member, item_id=item_id) == "own"
        await tx.execute("UPDATE agenda_item SET status = 'discussed' WHERE id = ?", (item_id,))
        assert await agenda.support(tx, h.clock, person=others[1], item_id=item_id) == "closed"


async def test_the_meeting_seam_puts_accepted_items_on_an_agenda_and_tells_people(
    h: Harness,
) -> None:
    owner = await _person(h, "member", lang="cy")
    fan = await _person(h, "member")
    staff = await _person(h, "staff")
    item_id = await _item(h, owner, "accepted")
    fresh = await _item(h, owner)
    async with h.db.transaction() as tx:
        await store.add_support(tx, item_id, fan.id, h.clock.now())
        waiting = await agenda.awaiting_meeting(tx, wing="a", limit=10)
        assert [i.id for i in waiting] == [item_id]
        when = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
        done = await agenda.attach_to_meeting(
            tx, h.clock, h.settings, actor=staff, item_id=item_id, meeting_id=7, when=when
        )
        refused = await agenda.attach_to_meeting(
            tx, h.clock, h.settings, actor=staff, item_id=fresh, meeting_id=7, when=when
        )
    assert done.done and done.item is not None and done.item.meeting_id == 7
    assert refused.result == "refused"
    await h.deliver()
    owner_text = h.tg.last_text(owner.tg_user_id or 0)
    assert owner_text.startswith(f"Mae eich mater {agenda.ref(item_id)} (Bwyd) ar agenda")
    assert "1 Rhagfyr 2026, 14:00" in owner_text
    fan_text = h.tg.last_text(fan.tg_user_id or 0)
    assert fan_text.startswith(f"An issue you support, {agenda.ref(item_id)} (Food), is on")
    assert "Tuesday 1 December 2026, 14:00" in fan_text
    # Not reached: carried over to a later meeting, still on an agenda, and people are told.
    later = datetime(2027, 1, 5, 14, 0, tzinfo=UTC)
    async with h.db.transaction() as tx:
        carried = await agenda.carry_over(
            tx, h.clock, h.settings, actor=staff, item_id=item_id, meeting_id=8, when=later
        )
        not_listed = await agenda.carry_over(
            tx, h.clock, h.settings, actor=staff, item_id=fresh, meeting_id=8, when=later
        )
    assert carried.done and carried.item is not None
    assert (carried.item.status, carried.item.meeting_id) == ("on_agenda", 8)
    assert not_listed.result == "refused"
    await h.deliver()
    assert "moves to the council meeting on Tuesday 5 January 2027" in h.tg.last_text(
        fan.tg_user_id or 0
    )
    # Taken off the agenda again (a cancelled meeting): back to accepted, meeting cleared.
    async with h.db.transaction() as tx:
        back = await agenda.move(
            tx, h.clock, h.settings, actor=None, item_id=item_id, new=agenda.ACCEPTED
        )
    assert back.done and back.item is not None and back.item.meeting_id is None
