"""Meetings' agenda and minutes end to end: attach accepted items, order them, /agenda for the
audience in their language, then attendance, decisions with owner and due date, roll-over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.council import agenda
from bot.council.meetings.buttons import AgendaAdd, MinutesKind, MinutesOpen
from tests.e2e.test_meetings import STARTS, schedule
from tests.support.agenda import accept, item_id, raise_item, status_of
from tests.support.harness import Harness


async def _support(h: Harness, user: int, ref: str) -> None:
    person = await h.person(user)
    assert person is not None
    async with h.db.transaction() as tx:
        assert await agenda.support(tx, h.clock, person=person, item_id=item_id(ref)) == "added"


async def _open_card(h: Harness, staff: int, index: int = 1) -> None:
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[index])


async def _setup(h: Harness) -> tuple[int, int, int, list[str], int]:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    welsh = await h.join("member", wing="a", lang="cy")
    refs = [
        await raise_item(h, member, "The showers on the landing are cold every morning."),
        await raise_item(h, member, "Canteen sheets arrive too late to order in time."),
        await raise_item(h, member, "The library should open on Saturday afternoons too."),
    ]
    for ref in refs:
        await accept(h, staff, ref)
    meeting = await schedule(h, staff)
    await _open_card(h, staff)
    await h.tg.press(staff, "Agenda")
    for ref in refs:
        await h.tg.press(staff, "Add items")
        await h.tg.press(staff, f"Add {ref}")
    return staff, member, welsh, refs, meeting


async def test_accepted_items_go_on_the_agenda_in_order_and_members_read_it(h: Harness) -> None:
    staff, member, welsh, refs, meeting = await _setup(h)
    assert [await status_of(h, r) for r in refs] == ["on_agenda"] * 3
    order = await h.rows(
        "SELECT item_id FROM meeting_agenda WHERE meeting_id = ? ORDER BY position", (meeting,)
    )
    assert [r["item_id"] for r in order] == [item_id(r) for r in refs]
    await h.deliver()
    assert any("is on the agenda of the council meeting" in t for t in h.tg.texts(member))
    # Order by support, then move one by hand.
    await _support(h, welsh, refs[2])
    chair = await h.join("chair", wing="a")
    await h.tg.send(chair, "/agenda")
    await h.tg.press(chair, "Agenda")
    await h.tg.press(chair, "Order by support")
    text = h.tg.last_text(chair)
    assert text.index(refs[2]) < text.index(refs[0]) < text.index(refs[1])
    await h.tg.press(chair, f"▼ {refs[2]}")
    await h.tg.press(chair, f"▲ {refs[2]}")
    await h.tg.press(chair, f"▲ {refs[2]}")
    assert h.tg.answer_for(chair) == "It cannot move further."
    await h.tg.press(chair, f"▼ {refs[1]}")
    assert h.tg.answer_for(chair) == "It cannot move further."
    order = await h.rows(
        "SELECT item_id FROM meeting_agenda WHERE meeting_id = ? ORDER BY position", (meeting,)
    )
    assert [r["item_id"] for r in order] == [item_id(refs[i]) for i in (2, 0, 1)]
    assert len(await h.rows("SELECT * FROM audit_log WHERE action = 'meeting.agenda_order'")) == 3
    # The audience reads it in their own language, without edit buttons.
    await h.tg.send(welsh, "/agenda")
    text = h.tg.last_text(welsh)
    assert text.startswith("Agenda Wing council, dydd Iau 3 Rhagfyr 2026")
    assert "[cefnogwyr: 1]" in text and h.tg.buttons(welsh) != ["Agenda"]
    family = await h.join("family", wing=None)
    await h.tg.send(family, "/agenda")
    assert h.tg.last_text(family) == "There is no meeting planned for you yet."
    message = h.double.last(family)
    assert message is not None
    await h.tg.press_data(family, message.message_id, AgendaAdd(meeting, item_id(refs[0])).pack())
    assert h.tg.answer_for(family) == "This button is not for you."
    # A stale "Add" for an item already on the agenda changes nothing.
    await h.tg.press_data(staff, message.message_id, AgendaAdd(meeting, item_id(refs[0])).pack())
    assert h.tg.answer_for(staff) == "That item has changed. Nothing was done."


async def test_members_items_never_go_to_a_meeting_families_attend(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    ref = await raise_item(h, member)
    await accept(h, staff, ref)
    forum = await schedule(h, staff, kind="Family forum", audience="Families", wing=None)
    await _open_card(h, staff)
    assert "Agenda" not in h.tg.buttons(staff)
    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(staff, message.message_id, AgendaAdd(forum, item_id(ref)).pack())
    assert h.tg.answer_for(staff) == "Members' items go only on meetings for members."
    assert await status_of(h, ref) == "accepted"


async def test_cancelling_a_meeting_puts_its_items_back_to_wait(h: Harness) -> None:
    staff, _, _, refs, meeting = await _setup(h)
    await _open_card(h, staff)
    await h.tg.press(staff, "Cancel meeting")
    await h.tg.press(staff, "Yes, cancel it")
    assert [await status_of(h, r) for r in refs] == ["accepted"] * 3
    assert await h.rows("SELECT * FROM meeting_agenda WHERE meeting_id = ?", (meeting,)) == []


async def test_minutes_record_attendance_decisions_and_roll_over(h: Harness) -> None:
    staff, member, welsh, refs, meeting = await _setup(h)
    later = await schedule(h, staff, when="7 Jan 14:00", title="January council")
    await h.deliver()
    await h.tg.send(member, "/meetings")
    await h.tg.press(member, h.tg.buttons(member)[0])
    await h.tg.press(member, "Going")
    await h.tg.send(welsh, "/meetings")
    await h.tg.press(welsh, h.tg.buttons(welsh)[0])
    await h.tg.press(welsh, "Ddim yn siŵr")
    # Before the meeting there is nothing to minute, and a forged press is refused.
    await h.tg.send(staff, "/minutes")
    assert h.tg.last_text(staff) == "There are no meetings waiting for minutes."
    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(staff, message.message_id, MinutesOpen(meeting).pack())
    assert h.tg.answer_for(staff) == "This meeting has not happened yet."

    h.clock.set(STARTS + timedelta(hours=2))
    await h.tg.send(staff, "/minutes")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    register = h.tg.last_text(staff)
    assert register.startswith("Who came to Wing council")
    going = next(b for b in h.tg.buttons(staff) if "(you: going)" in b)
    assert "− 1 other" not in h.tg.buttons(staff)  # nothing to take off at 0
    await h.tg.press(staff, going)
    await h.tg.press(staff, "+ 1 other")
    await h.tg.press(staff, "+ 1 other")
    await h.tg.press(staff, "− 1 other")
    assert "Marked as here: 1. Others who came: 1." in h.tg.last_text(staff)
    member_id = (await h.person(member)).id  # type: ignore[union-attr]
    assert await h.rows("SELECT person_id FROM meeting_attendance") == [{"person_id": member_id}]

    await h.tg.press(staff, "Decisions")
    await h.tg.press(staff, f"{refs[0]}: decided")
    await h.tg.send(staff, "   ")
    assert h.tg.last_text(staff).startswith("Please type some words")
    await h.tg.send(staff, "Showers will be fixed; boiler part ordered.")
    await h.tg.send(staff, "Head of Residence")
    await h.tg.send(staff, "31 Feb")
    assert h.tg.last_text(staff).startswith("That date does not exist.")
    await h.tg.send(staff, "15 Jan")
    assert any("Saved the decision for" in t for t in h.tg.texts(staff)[-2:])
    await h.tg.press(staff, f"{refs[1]}: in progress")
    await h.tg.send(staff, "Kitchen will look at the order times.")
    await h.tg.send(staff, "Catering manager")
    await h.tg.send(staff, "2027-02-01")
    decisions = await h.rows(
        "SELECT item_id, kind, owner, due_on FROM meeting_decision ORDER BY item_id"
    )
    assert decisions == [
        {
            "item_id": item_id(refs[0]),
            "kind": "decided",
            "owner": "Head of Residence",
            "due_on": "2027-01-15",
        },
        {
            "item_id": item_id(refs[1]),
            "kind": "in_progress",
            "owner": "Catering manager",
            "due_on": "2027-02-01",
        },
    ]
    # Decisions are posted as outcomes (docs/OUTCOMES.md): decided -> resolved, so closed;
    # in progress -> outcome posted, with its follow-up chase.
    assert [await status_of(h, r) for r in refs] == ["closed", "outcome_posted", "on_agenda"]
    answer = await h.rows("SELECT answer FROM agenda_item WHERE id = ?", (item_id(refs[0]),))
    assert answer == [{"answer": "Showers will be fixed; boiler part ordered."}]
    # A second decision for the same item (an old button) changes nothing.
    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(
        staff, message.message_id, MinutesKind(meeting, item_id(refs[0]), "d").pack()
    )
    assert h.tg.answer_for(staff) == "That item already has a decision."

    await h.tg.press(staff, "Move items not reached to the next meeting")
    assert h.tg.answer_for(staff) == f"1 item moved to M-{later:04d}."
    moved = await h.rows(
        "SELECT status, meeting_id FROM agenda_item WHERE id = ?", (item_id(refs[2]),)
    )
    assert moved == [{"status": "on_agenda", "meeting_id": later}]
    assert await h.rows(
        "SELECT meeting_id FROM meeting_agenda WHERE item_id = ? ORDER BY meeting_id",
        (item_id(refs[2]),),
    ) == [{"meeting_id": meeting}, {"meeting_id": later}]
    await h.tg.press(staff, "Finish minutes")
    assert h.tg.last_text(staff) == "The minutes are finished. Thank you."
    await h.tg.send(staff, "/minutes")
    assert h.tg.last_text(staff) == "There are no meetings waiting for minutes."
    actions = {r["action"] for r in await h.rows("SELECT action FROM audit_log")}
    assert {
        "meeting.attendance",
        "meeting.attendance_others",
        "meeting.decision",
        "meeting.roll_over",
        "meeting.minutes",
    } <= actions
    # The member who raised the items hears what was decided.
    await h.deliver()
    texts = h.tg.texts(member)
    assert any("moves to the council meeting on Thursday 7 January 2027" in t for t in texts)
    assert datetime(2026, 12, 3, tzinfo=UTC) < h.clock.now()
