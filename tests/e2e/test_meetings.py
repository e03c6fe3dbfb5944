"""Meetings end to end: schedule, notice and answers, reminders, move and cancel, recurrence.
Real Application, handlers, SQLite file and sender; the Bot API double in place of Telegram."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.council import timers
from bot.council.meetings.buttons import (
    CancelConfirm,
    MoveConfirm,
    MoveMeeting,
    NewTime,
    Rsvp,
    ViewMeeting,
)
from tests.support.harness import Harness, make_harness

WHEN = "3 Dec 14:00"
STARTS = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


async def schedule(
    h: Harness,
    staff: int,
    *,
    when: str = WHEN,
    kind: str = "Council meeting",
    title: str = "Wing council",
    place: str = "Chapel",
    audience: str = "Members",
    wing: str | None = "All wings",
    repeat: str = "Only once",
    count: str | None = None,
) -> int:
    """Staff plan a meeting through the real buttons; returns its id."""
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, "New meeting")
    await h.tg.press(staff, kind)
    await h.tg.send(staff, title)
    await h.tg.send(staff, place)
    await h.tg.press(staff, audience)
    if wing is not None:
        await h.tg.press(staff, wing)
    await h.tg.send(staff, when)
    await h.tg.press(staff, repeat)
    if count is not None:
        await h.tg.send(staff, count)
    await h.tg.press(staff, "Publish")
    assert "Done." in h.tg.last_text(staff), h.tg.last_text(staff)
    rows = await h.rows("SELECT MAX(id) AS id FROM meeting")
    return int(rows[0]["id"])


async def fire_and_deliver(h: Harness) -> dict[str, int]:
    fired = await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()
    return fired


def reminders(h: Harness, user: int) -> list[str]:
    return [t for t in h.tg.texts(user) if t.startswith("Reminder:")]


async def test_a_meeting_reaches_its_audience_with_answer_buttons(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    a1, a2 = await h.join("member", wing="a"), await h.join("chair", wing="a")
    b1 = await h.join("member", wing="b")
    family = await h.join("family", wing=None)
    meeting = await schedule(h, staff, wing="A wing")
    await h.deliver()
    for user in (a1, a2):
        text = h.tg.last_text(user)
        assert text.startswith("New Council meeting: Wing council"), text
        assert "Thursday 3 December 2026, 14:00" in text and "Chapel" in text
        assert h.tg.buttons(user) == ["Going", "Can't go", "Not sure"]
    assert not any("Wing council" in t for t in h.tg.texts(b1) + h.tg.texts(family))
    stored = await h.rows("SELECT kind, audience, wing, starts_at, status FROM meeting")
    assert stored == [
        {
            "kind": "council",
            "audience": "members",
            "wing": "a",
            "starts_at": "2026-12-03T14:00:00.000000Z",
            "status": "scheduled",
        }
    ]
    assert len(await h.rows("SELECT * FROM meeting_told WHERE meeting_id = ?", (meeting,))) == 2
    pending = await h.rows("SELECT key, due_at FROM timer WHERE status = 'pending' ORDER BY due_at")
    assert [r["key"] for r in pending] == [
        f"meeting:{meeting}:reminder:604800",
        f"meeting:{meeting}:reminder:86400",
        f"meeting:{meeting}:reminder:3600",
    ]
    assert [r["due_at"][:16] for r in pending] == [
        "2026-11-26T14:00",
        "2026-12-02T14:00",
        "2026-12-03T13:00",
    ]
    assert await h.rows("SELECT action FROM audit_log WHERE action = 'meeting.schedule'")


async def test_answers_change_and_staff_see_counts_and_names(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    other = await h.join("member", wing="b")
    meeting = await schedule(h, staff)
    await h.deliver()
    await h.tg.press(member, "Going")
    assert h.tg.answer_for(member) == "Thank you. You said you are going."
    await h.tg.press(member, "✓ Going")  # a repeated press changes nothing
    await h.tg.press(member, "Not sure")
    await h.tg.press(other, "Can't go")
    assert await h.rows(
        "SELECT person_id, answer FROM meeting_rsvp WHERE meeting_id = ? ORDER BY answer",
        (meeting,),
    ) == [
        {"person_id": (await h.person(other)).id, "answer": "cant"},  # type: ignore[union-attr]
        {"person_id": (await h.person(member)).id, "answer": "maybe"},  # type: ignore[union-attr]
    ]
    await h.tg.send(member, "/meetings")
    assert "(you: not sure)" in h.tg.last_text(member)
    await h.tg.send(staff, "/meetings")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    card = h.tg.last_text(staff)
    assert "Answers: 0 going, 1 not sure, 1 can't go." in card
    assert "Not sure: P-" in card and "Can't go: P-" in card


async def test_a_family_member_forging_an_answer_to_a_members_meeting_is_refused(
    h: Harness,
) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family", wing=None)
    meeting = await schedule(h, staff)
    await h.tg.send(family, "/meetings")
    assert h.tg.last_text(family) == "No meetings are planned for you at the moment."
    message = h.double.last(family)
    assert message is not None
    await h.tg.press_data(family, message.message_id, Rsvp(meeting, "going").pack())
    assert h.tg.answer_for(family) == "Sorry, this meeting is not for you. Nothing was saved."
    # Forged and garbled data: a kind answer, nothing stored.
    for data in (f"1:rsvp:{meeting}:yes", "1:rsvp:x:going", "1:rsvp:99999:going"):
        await h.tg.press_data(family, message.message_id, data)
        assert h.tg.answer_for(family) in (
            "This button no longer works. Send /menu to start again.",
            "This meeting is not there any more.",
        )
    # Nor may they open the card.
    await h.tg.press_data(family, message.message_id, ViewMeeting(meeting).pack())
    assert h.tg.answer_for(family) == "I cannot find that meeting."
    # Staff are not the audience: the answer button is not for them.
    await h.tg.press_data(staff, message.message_id, Rsvp(meeting, "going").pack())
    assert h.tg.answer_for(staff) == "This button is not for you."
    assert await h.rows("SELECT * FROM meeting_rsvp") == []


async def test_members_and_families_cannot_plan_meetings(h: Harness) -> None:
    member = await h.join("member", wing="a")
    family = await h.join("family", wing=None)
    for user in (member, family):
        for command in ("/meeting", "/schedule", "/minutes"):
            await h.tg.send(user, command)
            assert h.tg.last_text(user) == "Sorry, you cannot do that."
        message = h.double.last(user)
        assert message is not None
        await h.tg.press_data(user, message.message_id, CancelConfirm(1, 0).pack())
        assert h.tg.answer_for(user) == "This button is not for you."
    assert await h.rows("SELECT * FROM meeting") == []


async def test_bad_dates_get_clear_messages_and_the_ambiguous_hour_is_explained(
    h: Harness,
) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/schedule")
    await h.tg.press(staff, "Family forum")
    await h.tg.send(staff, "x" * 200)
    assert h.tg.last_text(staff) == "Please type some words, up to 80 characters."
    await h.tg.send_photo(staff)
    assert h.tg.last_text(staff) == "Please type your answer as words."
    await h.tg.send(staff, "Family forum")
    await h.tg.send(staff, "Visits hall")
    await h.tg.press(staff, "Families")
    cases = {
        "1 Nov 2026 14:00": "That time has already passed.",
        "31 Feb 14:00": "That date does not exist.",
        "28 Mar 2027 01:30": "the clocks go forward that night",
        "next Tuesday": "I cannot read that.",
    }
    for typed, expected in cases.items():
        await h.tg.send(staff, typed)
        assert expected in h.tg.last_text(staff), typed
    await h.tg.send(staff, "31 Oct 2027 01:30")
    await h.tg.press(staff, "Only once")
    text = h.tg.last_text(staff)
    assert "this time happens twice. I used the first one (summer time)" in text
    await h.tg.press(staff, "Publish")
    assert await h.rows("SELECT starts_at FROM meeting") == [
        {"starts_at": "2027-10-31T00:30:00.000000Z"}
    ]


async def test_days_and_times_can_be_picked_with_buttons(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/schedule")
    await h.tg.press(staff, "Council meeting")
    await h.tg.send(staff, "Council")
    await h.tg.send(staff, "Library")
    await h.tg.press(staff, "Members and families")
    await h.tg.press(staff, "All wings")
    await h.tg.press(staff, "Wed 4 Nov")
    await h.tg.press(staff, "10:00")
    await h.tg.press(staff, "Only once")
    await h.tg.press(staff, "Publish")
    assert await h.rows("SELECT audience, starts_at FROM meeting") == [
        {"audience": "both", "starts_at": "2026-11-04T10:00:00.000000Z"}
    ]
    # A forged day that does not exist changes nothing.
    await h.tg.send(staff, "/schedule")
    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(staff, message.message_id, NewTime("20270231", "1000").pack())
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."


async def test_reminders_fire_once_and_not_to_those_who_cannot_go(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    going, cant, silent = [await h.join("member", wing="a") for _ in range(3)]
    meeting = await schedule(h, staff)
    await h.deliver()
    await h.tg.press(going, "Going")
    await h.tg.press(cant, "Can't go")
    h.clock.set(STARTS - timedelta(days=7))
    assert await fire_and_deliver(h) == {"fired": 1}
    assert len(reminders(h, going)) == 1 and len(reminders(h, silent)) == 1
    assert reminders(h, cant) == []
    assert h.tg.buttons(going) == ["Going", "Can't go", "Not sure"]
    assert await fire_and_deliver(h) == {}  # nothing twice
    h.clock.set(STARTS - timedelta(days=1, minutes=-30))
    assert await fire_and_deliver(h) == {"fired": 1}  # half an hour late: within the grace
    h.clock.set(STARTS - timedelta(hours=1))
    assert await fire_and_deliver(h) == {"fired": 1}
    assert len(reminders(h, going)) == 3 and reminders(h, cant) == []
    keys = await h.rows(
        "SELECT key, expires_at FROM outbox WHERE key LIKE ?", (f"meeting:{meeting}:reminder:%",)
    )
    assert len(keys) == 6 and {k["expires_at"] for k in keys} == {"2026-12-03T14:00:00.000000Z"}


async def test_reminders_at_local_time_across_the_clocks_going_back(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    # Monday 1 Nov 2027 10:00; the clocks go back on Sunday 31 Oct.
    meeting = await schedule(h, staff, when="2027-11-01 10:00")
    due = {
        r["key"].rsplit(":", 1)[1]: r["due_at"][:16]
        for r in await h.rows("SELECT key, due_at FROM timer WHERE subject_id = ?", (meeting,))
    }
    assert due == {
        "604800": "2027-10-25T09:00",  # 10:00 summer time
        "86400": "2027-10-31T10:00",  # 10:00 local the day before, after the change
        "3600": "2027-11-01T09:00",
    }


async def test_moving_twice_quickly_withdraws_stale_reminders_and_tells_everyone(
    h: Harness,
) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    meeting = await schedule(h, staff)
    await h.deliver()
    h.clock.set(STARTS - timedelta(days=7))
    await timers.fire_due(h.db, h.clock, h.settings)  # the 7-day reminder is queued, not sent
    h.clock.advance(timedelta(minutes=5))
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[1])
    card = h.double.last(staff)
    assert card is not None
    await h.tg.press(staff, "Move")
    await h.tg.send(staff, "10 Dec 14:00")
    first_confirm = h.double.last(staff)
    assert first_confirm is not None
    assert "From: Thursday 3 December 2026, 14:00" in first_confirm.text
    await h.tg.press(staff, "Yes, move it")
    assert "now on Thursday 10 December 2026, 14:00" in h.tg.last_text(staff)
    # Quickly again, from the same card (its buttons carry the old version: refused)...
    await h.tg.press_data(staff, card.message_id, MoveMeeting(meeting, 0).pack())
    assert h.tg.answer_for(staff) == "This meeting has changed since. Please open it again."
    # ...and from a fresh card.
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[1])
    await h.tg.press(staff, "Move")
    await h.tg.send(staff, "2 Dec 09:30")
    await h.tg.press(staff, "Yes, move it")
    # The old confirm button does nothing now.
    await h.tg.press_data(staff, first_confirm.message_id, MoveConfirm(meeting, 0).pack())
    assert await h.rows("SELECT starts_at, version FROM meeting") == [
        {"starts_at": "2026-12-02T09:30:00.000000Z", "version": 2}
    ]
    outbox = await h.rows(
        "SELECT key, status FROM outbox WHERE key LIKE ? ORDER BY id", (f"meeting:{meeting}:%",)
    )
    statuses = {r["key"].split(":")[2]: r["status"] for r in outbox}
    assert statuses["reminder"] == "withdrawn"
    moved = [r for r in outbox if ":moved:" in r["key"]]
    assert [r["status"] for r in moved] == ["withdrawn", "queued"]  # only the latest is sent
    await h.deliver()
    assert reminders(h, member) == []
    text = h.tg.last_text(member)
    assert "has moved" in text and "It is now: Wednesday 2 December 2026, 09:30" in text
    # The new time's reminders: the 7-day one has passed (skipped, never late); the others set.
    pending = await h.rows(
        "SELECT key, due_at FROM timer WHERE subject_id = ? AND status = 'pending'", (meeting,)
    )
    assert sorted(r["key"].rsplit(":", 1)[1] for r in pending) == ["3600", "86400"]
    h.clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert await fire_and_deliver(h) == {"fired": 1}
    assert len(reminders(h, member)) == 1
    assert "Wednesday 2 December 2026, 09:30" in reminders(h, member)[0]
    assert len(await h.rows("SELECT * FROM audit_log WHERE action = 'meeting.move'")) == 2


async def test_cancelling_withdraws_queued_reminders_and_tells_everyone(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    members = [await h.join("member", wing="a") for _ in range(2)]
    meeting = await schedule(h, staff)
    await h.deliver()
    h.clock.set(STARTS - timedelta(days=7))
    assert await timers.fire_due(h.db, h.clock, h.settings) == {"fired": 1}
    queued = await h.rows("SELECT * FROM outbox WHERE status = 'queued'")
    assert len(queued) == 2
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[1])
    await h.tg.press(staff, "Cancel meeting")
    assert "Cancel M-" in h.tg.last_text(staff)
    await h.tg.press(staff, "Yes, cancel it")
    assert "is cancelled" in h.tg.last_text(staff)
    statuses = await h.rows(
        "SELECT status, COUNT(*) AS n FROM outbox WHERE key LIKE ? GROUP BY status",
        (f"meeting:{meeting}:reminder:%",),
    )
    assert statuses == [{"status": "withdrawn", "n": 2}]
    assert await h.rows("SELECT status FROM timer WHERE status = 'pending'") == []
    await h.deliver()
    for member in members:
        assert reminders(h, member) == []
        assert h.tg.last_text(member) == (
            'The Council meeting "Wing council" on Thursday 3 December 2026, 14:00 is cancelled.'
        )
    # A late answer to a cancelled meeting is refused kindly.
    await h.tg.press(members[0], "Going")
    assert h.tg.answer_for(members[0]) == "This meeting was cancelled."
    assert await h.rows("SELECT * FROM meeting_rsvp") == []
    audit = await h.rows("SELECT detail FROM audit_log WHERE action = 'meeting.cancel'")
    assert json.loads(audit[0]["detail"])["starts_at"].startswith("2026-12-03")


async def test_recurring_meetings_are_bounded_and_each_is_its_own_row(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    await h.tg.send(staff, "/schedule")
    await h.tg.press(staff, "Council meeting")
    await h.tg.send(staff, "Monthly council")
    await h.tg.send(staff, "Chapel")
    await h.tg.press(staff, "Members")
    await h.tg.press(staff, "All wings")
    await h.tg.send(staff, "3 Nov 14:00")  # a Tuesday
    assert "Every month: the first Tuesday" in h.tg.buttons(staff)
    await h.tg.press(staff, "Every 2 weeks")
    await h.tg.send(staff, "60")
    assert "at most 27 meetings of this kind at once, up to one year ahead" in h.tg.last_text(staff)
    await h.tg.send(staff, "0")
    assert h.tg.last_text(staff) == "Please type a number from 1 to 27."
    assert await h.rows("SELECT * FROM meeting") == []
    await h.tg.send(staff, "/schedule")
    await h.tg.press(staff, "Council meeting")
    await h.tg.send(staff, "Monthly council")
    await h.tg.send(staff, "Chapel")
    await h.tg.press(staff, "Members")
    await h.tg.press(staff, "All wings")
    await h.tg.send(staff, "3 Nov 14:00")
    await h.tg.press(staff, "Every month: the first Tuesday")
    await h.tg.send(staff, "13")
    assert "at most 12 meetings" in h.tg.last_text(staff)
    await h.tg.send(staff, "4")
    assert "4 meetings in all. The last is on Tuesday 2 February 2027, 14:00." in h.tg.last_text(
        staff
    )
    await h.tg.press(staff, "Publish")
    rows = await h.rows("SELECT series_id, starts_at FROM meeting ORDER BY starts_at")
    assert [r["starts_at"][:16] for r in rows] == [
        "2026-11-03T14:00",
        "2026-12-01T14:00",
        "2027-01-05T14:00",
        "2027-02-02T14:00",
    ]
    assert len({r["series_id"] for r in rows}) == 1
    await h.deliver()
    notices = [t for t in h.tg.texts(member) if t.startswith("New Council meeting")]
    assert len(notices) == 1 and "4 meetings, from" in notices[0]
    # Each occurrence is changed on its own: cancel the second only.
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[2])
    await h.tg.press(staff, "Cancel meeting")
    await h.tg.press(staff, "Yes, cancel it")
    statuses = await h.rows("SELECT status FROM meeting ORDER BY starts_at")
    assert [r["status"] for r in statuses] == ["scheduled", "cancelled", "scheduled", "scheduled"]
    await h.tg.send(member, "/meetings")
    assert h.tg.last_text(member).count("Monthly council") == 3


async def test_reminders_survive_a_restart(tmp_path: Path) -> None:
    h = await make_harness(tmp_path)
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    await schedule(h, staff)
    await h.deliver()
    await h.close()

    again = await make_harness(tmp_path)
    again.double.user(member)
    # Down over the 7-day reminder's moment: sent late, within the grace period.
    again.clock.set(STARTS - timedelta(days=7) + timedelta(hours=2))
    assert await fire_and_deliver(again) == {"fired": 1}
    assert len(reminders(again, member)) == 1
    # Down for longer than the grace period: recorded as missed, not sent.
    again.clock.set(STARTS - timedelta(hours=12))
    assert await fire_and_deliver(again) == {"missed": 1}
    assert len(reminders(again, member)) == 1
    await again.close()


async def test_quiet_hours_never_deliver_a_reminder_after_the_start(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    # 07:15 in December (GMT): the 1-hour reminder falls at 06:15, inside quiet hours.
    await schedule(h, staff, when="3 Dec 07:15")
    await h.deliver()
    h.clock.set(datetime(2026, 12, 3, 6, 15, tzinfo=UTC))
    await fire_and_deliver(h)
    h.clock.set(datetime(2026, 12, 3, 7, 30, tzinfo=UTC))
    await h.deliver()
    assert reminders(h, member) == []
    dropped = await h.rows(
        "SELECT status FROM outbox WHERE key LIKE 'meeting:%:reminder:p%:3600:%'"
    )
    assert dropped == [{"status": "dropped"}]


async def test_two_cancel_presses_at_once_cancel_once(h: Harness) -> None:
    import asyncio

    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    meeting = await schedule(h, staff)
    await h.deliver()
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, h.tg.buttons(staff)[1])
    await h.tg.press(staff, "Cancel meeting")
    confirm = h.double.last(staff)
    assert confirm is not None
    data = CancelConfirm(meeting, 0).pack()
    await asyncio.gather(
        h.tg.press_data(staff, confirm.message_id, data),
        h.tg.press_data(staff, confirm.message_id, data),
    )
    assert len(await h.rows("SELECT * FROM audit_log WHERE action = 'meeting.cancel'")) == 1
    await h.deliver()
    assert sum("is cancelled" in t for t in h.tg.texts(member)) == 1


async def test_saying_cant_go_withdraws_a_reminder_already_queued(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member, other = await h.join("member", wing="a"), await h.join("member", wing="a")
    meeting = await schedule(h, staff)
    await h.deliver()
    h.clock.set(STARTS - timedelta(days=7))
    assert await timers.fire_due(h.db, h.clock, h.settings) == {"fired": 1}
    await h.tg.press(member, "Can't go")
    assert h.tg.answer_for(member) == (
        "Thank you. You said you can't go. You will get no reminders."
    )
    rows = await h.rows(
        "SELECT person_id, status FROM outbox WHERE key LIKE ? ORDER BY person_id",
        (f"meeting:{meeting}:reminder:%",),
    )
    assert [r["status"] for r in rows] == ["withdrawn", "queued"]
    await h.deliver()
    assert reminders(h, member) == [] and len(reminders(h, other)) == 1


async def test_forged_meetings_buttons_are_answered_stale_and_change_nothing(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    meeting = await schedule(h, staff)
    before = await h.rows("SELECT * FROM meeting")
    await h.tg.send(staff, "/meeting")
    message = h.double.last(staff)
    assert message is not None
    forged = (
        "1:mnk:parliament",  # not a kind of meeting
        "1:mna:everyone",  # not an audience
        "1:mnr:yearly:1",  # not a repeat rule
        f"1:mtmv:{meeting}",  # the version is missing
        f"1:mtcxy:{meeting}:x",  # the version is not a number
        f"1:mmk:{meeting}:1:z",  # neither decided nor in progress
        f"1:mmo:{meeting}",  # the step is missing
        f"1:mtv:{meeting}:1:2",  # too many parts
    )
    for data in forged:
        await h.tg.press_data(staff, message.message_id, data)
        assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    assert await h.rows("SELECT * FROM meeting") == before


def test_every_meetings_id_looked_up_has_its_words_in_both_languages() -> None:
    from bot import i18n
    from bot.council import when
    from bot.council.meetings.results import Changed, Minuted, Ordered, Said
    from handlers import meetings as handler

    looked_up = [
        *(handler.refusal_said(r) for r in Said),
        *(handler.refusal_changed(r) for r in Changed),
        *(handler.refusal_ordered(r) for r in Ordered),
        *(handler.refusal_minuted(r) for r in Minuted),
    ]
    ids = [i for i in looked_up if i is not None]
    words = (
        handler.KIND_WORDS,
        handler.AUDIENCE_WORDS,
        handler.RSVP_WORDS,
        handler.SAVED_WORDS,
        handler.YOURS_WORDS,
        handler.SHORT_WORDS,
        handler.NTH_WORDS,
        handler.DONE_WORDS,
    )
    looked_up_words = [i for table in words for i in table.values()]
    looked_up_words += [handler.when_problem(p) for p in (None, *when.Problem)]
    looked_up_words += [handler.due_problem(p) for p in (None, *when.Problem)]
    assert len(ids) == len(Said) - 2 + len(Changed) - 1 + len(Ordered) - 2 + len(Minuted) - 1
    for lang in ("en", "cy"):
        assert [i for i in ids if i not in i18n.catalogue(lang)] == []
        assert [i for i in looked_up_words if i not in i18n.catalogue(lang)] == []
