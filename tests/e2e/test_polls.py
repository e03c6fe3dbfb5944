"""Secret polls end to end: creating, voting, refusing, reminding, closing, results, /polls.
(Secrecy and concurrency: tests/e2e/test_polls_secrecy.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.council import polls, timers
from handlers.callbacks import pack
from storage import people
from storage.clock import to_db
from tests.support.harness import Harness, make_harness

QUICK = {"1d": "In 1 day", "3d": "In 3 days", "7d": "In 1 week"}
AUDIENCE = {"members": "Members", "families": "Families", "both": "Members and families"}
RECORDED = "Your vote is recorded. Nobody, staff included, can see how you voted."
NOT_OPEN = "This poll is not open to you."


# --- steps shared with the other poll tests ----------------------------------------------------


async def create_poll(
    h: Harness,
    creator: int,
    question: str,
    options: list[str],
    *,
    multiple: bool = False,
    audience: str | None = "members",
    wing: str | None = None,
    closes: str = "1d",
) -> int:
    """Drive the creation flow as the user; returns the new poll's id."""
    await h.tg.send(creator, "/newpoll")
    await h.tg.send(creator, question)
    for option in options:
        await h.tg.send(creator, option)
    if len(options) < polls.MAX_OPTIONS:
        await h.tg.press(creator, "Done adding options")
    await h.tg.press(creator, "More than one" if multiple else "One option")
    if audience is not None:
        await h.tg.press(creator, AUDIENCE[audience])
    if audience in (None, "members"):
        await h.tg.press(creator, "All wings" if wing is None else f"{wing.upper()} wing")
    if closes in QUICK:
        await h.tg.press(creator, QUICK[closes])
    else:
        await h.tg.send(creator, closes)
    await h.tg.press(creator, "Open the poll")
    assert "The poll is open" in h.tg.last_text(creator), h.tg.last_text(creator)
    rows = await h.rows("SELECT MAX(id) AS id FROM poll")
    return int(rows[0]["id"])


async def vote(h: Harness, user_id: int, labels: list[str], *, multiple: bool = False) -> None:
    """Tap the option(s) on the newest ballot, then confirm."""
    if multiple:
        for label in labels:
            await h.tg.press(user_id, f"⬜ {label}")
        await h.tg.press(user_id, "Done")
    else:
        (label,) = labels
        await h.tg.press(user_id, label)
    await h.tg.press(user_id, "Yes, cast my vote")


async def add_people(
    h: Harness, count: int, *, role: str = "member", wing: str | None = "a"
) -> list[int]:
    """Many people at once, straight into storage (hundreds of join flows would be slow)."""
    ids = [h.new_user() for _ in range(count)]
    async with h.db.transaction() as tx:
        for user_id in ids:
            await people.upsert_member(
                tx,
                tg_user_id=user_id,
                role=role,
                wing=wing,
                label=None,
                language="en",
                now=h.clock.now(),
            )
    return ids


async def poll_row(h: Harness, poll_id: int) -> dict[str, Any]:
    """The poll's row, with ballots counted from the electorate while it is open."""
    row = (await h.rows("SELECT * FROM poll WHERE id = ?", (poll_id,)))[0]
    if row["status"] == "open":
        voted = await h.rows(
            "SELECT COUNT(*) AS n FROM poll_elector WHERE poll_id = ? AND voted = 1", (poll_id,)
        )
        row["ballots"] = voted[0]["n"]
    return row


async def tallies(h: Harness, poll_id: int) -> list[int]:
    """The counts as they stand, unsealed while the poll is open (storage.polls.counts_now)."""
    from storage import polls as poll_store

    async with h.db.transaction() as tx:
        return await poll_store.counts_now(tx, poll_id)


def ballot_message_id(h: Harness, user_id: int) -> int:
    message = next(m for m in reversed(h.double.chat(user_id)) if m.buttons)
    return message.message_id


# --- creating ------------------------------------------------------------------------------


async def test_staff_create_a_poll_step_by_step_and_electors_get_ballots(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member_a = await h.join("member", wing="a")
    chair_b = await h.join("chair", wing="b")
    family = await h.join("family", wing=None)
    await h.tg.send(staff, "/newpoll")
    assert h.tg.last_text(staff) == "Type the question for the poll. Up to 300 characters."
    await h.tg.send(staff, "x" * 301)
    assert "up to 300 characters" in h.tg.last_text(staff)
    for blank in ("   ", "\u200b\u200b", "?!"):
        await h.tg.send(staff, blank)
        assert "Please type a question with words" in h.tg.last_text(staff)
    await h.tg.send(staff, "Which evening for the gym?")
    assert h.tg.last_text(staff) == "Type option 1. Up to 100 characters."
    await h.tg.send(staff, "Monday")
    assert "A poll needs at least 2 options." in h.tg.last_text(staff)
    assert "Done adding options" not in h.tg.buttons(staff)
    await h.tg.send(staff, "monday")
    assert h.tg.last_text(staff) == "You already have that option. Please type a different one."
    await h.tg.send(staff, "y" * 101)
    assert "up to 100 characters" in h.tg.last_text(staff)
    await h.tg.send_photo(staff)
    assert h.tg.last_text(staff) == "Please type your answer as words."
    await h.tg.send(staff, "Tuesday")
    assert "Done adding options" in h.tg.buttons(staff)
    await h.tg.press(staff, "Done adding options")
    await h.tg.press(staff, "One option")
    assert h.tg.buttons(staff) == ["Members", "Families", "Members and families"]
    await h.tg.press(staff, "Members and families")
    # No wing step for a mixed audience: families belong to no wing.
    assert h.tg.buttons(staff) == ["In 1 day", "In 3 days", "In 1 week"]
    await h.tg.send(staff, "tomorrow")
    assert h.tg.last_text(staff) == "Please type the date and time like this: 2026-12-03 14:00"
    await h.tg.send(staff, "2026-11-02 10:30")
    assert "too soon" in h.tg.last_text(staff)
    await h.tg.send(staff, "2027-06-01 10:00")
    assert "too far ahead" in h.tg.last_text(staff)
    await h.tg.send(staff, "2026-11-05 14:00")
    preview = h.tg.last_text(staff)
    assert "Which evening for the gym?" in preview and "1. Monday\n2. Tuesday" in preview
    assert "Who can vote: Members and families" in preview
    assert "Thursday 5 November 2026, 14:00" in preview  # shown in the establishment's zone
    assert await h.rows("SELECT * FROM poll") == []
    await h.tg.press(staff, "Open the poll")
    assert "The poll is open. 3 people can vote." in h.tg.last_text(staff)

    row = (await h.rows("SELECT * FROM poll"))[0]
    assert row["closes_at"] == "2026-11-05T14:00:00.000000Z"  # 14:00 GMT is 14:00 UTC
    assert (row["audience"], row["electorate"], row["ballots"], row["status"]) == (
        "both",
        3,
        0,
        "open",
    )
    electors = await h.rows("SELECT person_id, voted FROM poll_elector ORDER BY person_id")
    ids = {(await h.person(u)).id for u in (member_a, chair_b, family)}  # type: ignore[union-attr]
    assert {e["person_id"] for e in electors} == ids and all(e["voted"] == 0 for e in electors)
    keys = {r["key"] for r in await h.rows("SELECT key FROM timer WHERE status = 'pending'")}
    assert {f"poll:{row['id']}:close", f"poll:{row['id']}:soon"} <= keys
    audit = await h.rows("SELECT * FROM audit_log WHERE action = 'poll.open'")
    assert len(audit) == 1 and "Monday" not in audit[0]["detail"]
    assert await h.rows("SELECT * FROM conversation") == []

    await h.deliver()
    for user in (member_a, chair_b, family):
        ballot = h.tg.last_text(user)
        assert ballot.startswith("New secret poll:\nWhich evening for the gym?"), ballot
        assert h.tg.buttons(user) == ["Monday", "Tuesday"]
    assert "New secret poll" not in " ".join(h.tg.texts(staff))


async def test_the_chair_asks_members_only_and_a_wing_narrows_the_electorate(h: Harness) -> None:
    chair = await h.join("chair", wing="a")
    a_member = await h.join("member", wing="a")
    b_member = await h.join("member", wing="b")
    await h.join("family", wing=None)
    await h.tg.send(chair, "/newpoll")
    await h.tg.send(chair, "Should A wing ask for a second kettle?")
    await h.tg.send(chair, "Yes")
    await h.tg.send(chair, "No")
    await h.tg.press(chair, "Done adding options")
    await h.tg.press(chair, "One option")
    # The chair is never offered families: straight to the wing.
    assert h.tg.buttons(chair) == ["All wings", "A wing", "B wing", "C wing"]
    msg = ballot_message_id(h, chair)
    await h.tg.press_data(chair, msg, pack("pla", "families"))
    assert h.tg.answer_for(chair) == "This button no longer works. Send /menu to start again."
    await h.tg.press(chair, "A wing")
    await h.tg.press(chair, "In 3 days")
    await h.tg.press(chair, "Open the poll")
    assert "2 people can vote" in h.tg.last_text(chair)  # the chair and the A wing member
    await h.deliver()
    assert h.tg.buttons(a_member) == ["Yes", "No"]
    assert h.tg.buttons(b_member) == [] or "Yes" not in h.tg.buttons(b_member)


async def test_people_who_cannot_create_are_refused_and_stale_steps_do_nothing(
    h: Harness,
) -> None:
    member = await h.join("member")
    family = await h.join("family", wing=None)
    for user in (member, family):
        await h.tg.send(user, "/newpoll")
        assert h.tg.last_text(user) == "Sorry, you cannot do that."
        await h.tg.send(user, "/menu")
        await h.tg.press_data(user, ballot_message_id(h, user), pack("ply"))
        assert h.tg.answer_for(user) == "This button is not for you."
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/polls")
    # A creation button pressed out of order is stale and changes nothing.
    await h.tg.press_data(staff, h.double.last(staff).message_id, pack("ply"))  # type: ignore[union-attr]
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    await h.tg.press_data(staff, h.double.last(staff).message_id, pack("plx", "99d"))  # type: ignore[union-attr]
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    assert await h.rows("SELECT * FROM poll") == []


async def test_ten_options_is_the_most_and_cancel_opens_nothing(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.join("member")
    await h.tg.send(staff, "/newpoll")
    await h.tg.send(staff, "Pick a film")
    for n in range(10):
        await h.tg.send(staff, f"Film {n}")
    assert "That is 10 options, the most a poll can have." in h.tg.texts(staff)[-2]
    assert h.tg.buttons(staff) == ["One option", "More than one"]
    await h.tg.press(staff, "More than one")
    await h.tg.press(staff, "Members")
    await h.tg.press(staff, "All wings")
    await h.tg.press(staff, "In 1 week")
    await h.tg.press(staff, "Cancel")
    assert h.tg.last_text(staff) == "Stopped. The poll was not opened."
    assert await h.rows("SELECT * FROM poll") == []
    assert await h.rows("SELECT * FROM outbox WHERE key LIKE 'poll:%'") == []


async def test_a_poll_with_nobody_in_its_audience_is_not_opened(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.join("member", wing="a")
    await h.tg.send(staff, "/newpoll")
    await h.tg.send(staff, "Family visits on Sundays?")
    await h.tg.send(staff, "Yes")
    await h.tg.send(staff, "No")
    await h.tg.press(staff, "Done adding options")
    await h.tg.press(staff, "One option")
    await h.tg.press(staff, "Families")
    await h.tg.press(staff, "In 1 day")
    await h.tg.press(staff, "Open the poll")
    assert "Nobody can vote in this poll yet" in h.tg.last_text(staff)
    assert await h.rows("SELECT * FROM poll") == []
    assert await h.rows("SELECT * FROM timer WHERE kind LIKE 'poll%'") == []


# --- voting --------------------------------------------------------------------------------


async def test_a_single_choice_vote_is_confirmed_recorded_and_counted_once(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    poll_id = await create_poll(h, staff, "Gym evening?", ["Monday", "Tuesday"])
    await h.deliver()
    await h.tg.press(member, "Tuesday")
    assert h.tg.last_text(member) == (
        "Gym evening?\n\nYou chose:\nTuesday\n\nConfirm your vote? You cannot change it after this."
    )
    # Nothing is stored while the voter decides: the choice is only in their own message.
    assert await tallies(h, poll_id) == [0, 0]
    assert (await h.rows("SELECT voted FROM poll_elector"))[0]["voted"] == 0
    await h.tg.press(member, "Change my choice")
    assert h.tg.buttons(member) == ["Monday", "Tuesday"]
    await h.tg.press(member, "Monday")
    await h.tg.press(member, "Yes, cast my vote")
    # The same message now says only that the vote is recorded: the choice is gone from the chat.
    assert h.tg.last_text(member).endswith(RECORDED)
    assert not any("You chose" in t for t in h.tg.texts(member))
    assert await tallies(h, poll_id) == [1, 0]
    assert (await poll_row(h, poll_id))["ballots"] == 1
    # A second vote, through a fresh ballot from /polls, is refused.
    await h.tg.send(member, "/polls")
    assert "You have voted." in h.tg.last_text(member)
    await h.tg.press_data(member, h.double.last(member).message_id, pack("plc", poll_id, 2))  # type: ignore[union-attr]
    assert h.tg.answer_for(member) == "You have already voted."
    await h.tg.press_data(member, h.double.last(member).message_id, pack("plb", poll_id))  # type: ignore[union-attr]
    assert h.tg.last_text(member) == "You have already voted."
    assert await tallies(h, poll_id) == [1, 0]
    assert (
        await h.rows("SELECT * FROM outbox WHERE key LIKE ? AND status = 'queued'", ("poll:%",))
        == []
    )


async def test_a_multiple_choice_selection_lives_in_the_buttons_until_done(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    poll_id = await create_poll(
        h, staff, "What should the shop stock?", ["Fruit", "Noodles", "Stamps"], multiple=True
    )
    await h.deliver()
    assert h.tg.buttons(member) == ["⬜ Fruit", "⬜ Noodles", "⬜ Stamps", "Done"]
    await h.tg.press(member, "Done")
    assert h.tg.answer_for(member) == "Please choose at least one option."
    await h.tg.press(member, "⬜ Fruit")
    await h.tg.press(member, "⬜ Stamps")
    await h.tg.press(member, "⬜ Noodles")
    await h.tg.press(member, "✅ Noodles")  # and off again
    assert h.tg.buttons(member) == ["✅ Fruit", "⬜ Noodles", "✅ Stamps", "Done"]
    # The selection so far is the button data of the voter's own message, nothing stored.
    assert await h.rows("SELECT * FROM conversation") == []
    assert await tallies(h, poll_id) == [0, 0, 0]
    await h.tg.press(member, "Done")
    assert "You chose:\nFruit\nStamps" in h.tg.last_text(member)
    await h.tg.press(member, "Change my choice")
    assert h.tg.buttons(member) == ["✅ Fruit", "⬜ Noodles", "✅ Stamps", "Done"]
    await h.tg.press(member, "Done")
    await h.tg.press(member, "Yes, cast my vote")
    assert h.tg.last_text(member).endswith(RECORDED)
    assert await tallies(h, poll_id) == [1, 0, 1]
    assert (await poll_row(h, poll_id))["ballots"] == 1


async def test_forged_ballots_change_nothing_and_get_the_same_refusal(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    family = await h.join("family", wing=None)
    b_member = await h.join("member", wing="b")
    members_poll = await create_poll(h, staff, "Members only?", ["Yes", "No"], wing="a")
    both_poll = await create_poll(h, staff, "Everyone?", ["Yes", "No"], audience="both")
    other_poll = await create_poll(h, staff, "Multi?", ["A1", "B1", "C1"], multiple=True)
    await h.deliver()
    msg = ballot_message_id(h, member)
    forged = [
        (member, pack("plc", 999, 1)),  # a poll that does not exist
        (member, pack("plc", members_poll, 4)),  # option index 2 of a 2-option poll
        (member, pack("plc", members_poll, 1024)),  # far out of range
        (member, pack("plc", members_poll, 3)),  # two options in a single-choice poll
        (member, pack("plt", members_poll, 8)),
        (member, pack("plm", other_poll, 16)),
        (family, pack("plc", members_poll, 1)),  # a family voting in a members-only poll
        (b_member, pack("plc", members_poll, 1)),  # a member of another wing
        (family, pack("plb", members_poll)),
    ]
    for user, data in forged:
        target = ballot_message_id(h, user) if h.double.chat(user) else msg
        await h.tg.press_data(user, target, data)
        assert h.tg.answer_for(user) == NOT_OPEN, data
    assert await tallies(h, members_poll) == [0, 0]
    assert await tallies(h, both_poll) == [0, 0]
    assert await tallies(h, other_poll) == [0, 0, 0]
    assert all(r["voted"] == 0 for r in await h.rows("SELECT voted FROM poll_elector"))
    # An empty selection is not a vote.
    await h.tg.press_data(member, msg, pack("plc", members_poll, 0))
    assert h.tg.answer_for(member) == "Please choose at least one option."
    assert all(r["voted"] == 0 for r in await h.rows("SELECT voted FROM poll_elector"))
    # Garbled data never reaches the handler at all: the wrapper answers it as stale (issue 13:
    # typed buttons are checked once, centrally), and nothing is counted.
    await h.tg.press_data(member, msg, "1:plc:x:y")
    assert h.tg.answer_for(member) == "This button no longer works. Send /menu to start again."
    assert all(r["voted"] == 0 for r in await h.rows("SELECT voted FROM poll_elector"))
    await h.tg.press_data(member, msg, "2:plc:1:1")
    assert h.tg.answer_for(member) == "This button no longer works. Send /menu to start again."
    # Staff have no ballot at all.
    await h.tg.send(staff, "/polls")
    await h.tg.press_data(staff, h.double.last(staff).message_id, pack("plc", both_poll, 1))  # type: ignore[union-attr]
    assert h.tg.answer_for(staff) == "This button is not for you."
    assert await tallies(h, both_poll) == [0, 0]


async def test_nobody_joining_later_gets_a_vote_and_a_closed_poll_refuses(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    early = await h.join("member")
    poll_id = await create_poll(h, staff, "Fixed electorate?", ["Yes", "No"])
    late = await h.join("member")
    await h.deliver()
    assert "Yes" not in h.tg.buttons(late)
    await h.tg.send(late, "/polls")
    assert h.tg.last_text(late) == "There are no polls for you right now."
    await h.tg.press_data(late, h.double.last(late).message_id, pack("plc", poll_id, 1))  # type: ignore[union-attr]
    assert h.tg.answer_for(late) == NOT_OPEN
    await h.tg.press(early, "Yes")  # the voter is at the confirm step when the poll closes
    h.clock.advance(timedelta(days=1, minutes=1))
    await h.tg.press(early, "Yes, cast my vote")
    assert h.tg.last_text(early) == "This poll has closed."
    row = await poll_row(h, poll_id)
    assert (row["status"], row["ballots"]) == ("closed", 0)
    assert await tallies(h, poll_id) == [0, 0]


# --- reminders, closing, results ---------------------------------------------------------


async def test_closing_soon_reminds_only_those_who_have_not_voted_once(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    voter = await h.join("member")
    waiting = await h.join("member")
    poll_id = await create_poll(h, staff, "Reminders?", ["Yes", "No"], closes="3d")
    await h.deliver()
    await vote(h, voter, ["Yes"])
    soon = (await h.rows("SELECT due_at FROM timer WHERE key = ?", (f"poll:{poll_id}:soon",)))[0]
    # Three days open: the reminder is 24 hours before close.
    assert soon["due_at"] == to_db(datetime(2026, 11, 4, 10, 0, tzinfo=h.clock.now().tzinfo))
    h.clock.advance(timedelta(days=2))
    assert (await timers.fire_due(h.db, h.clock, h.settings)).get("fired") == 1
    assert (await timers.fire_due(h.db, h.clock, h.settings)) == {}
    await h.deliver()
    assert h.tg.last_text(waiting).startswith('Reminder: the poll "Reminders?" closes on')
    assert h.tg.buttons(waiting) == ["Yes", "No"]
    assert not any(t.startswith("Reminder:") for t in h.tg.texts(voter))
    await vote(h, waiting, ["No"])
    assert await tallies(h, poll_id) == [1, 1]


async def test_a_short_poll_reminds_halfway() -> None:
    from datetime import UTC

    from bot.config import load_settings
    from tests.support.harness import EXAMPLE_CONFIG

    settings = load_settings(EXAMPLE_CONFIG)
    opened = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert polls.reminder_at(opened, opened + timedelta(days=1), settings) == opened + timedelta(
        hours=12
    )
    assert polls.reminder_at(opened, opened + timedelta(days=7), settings) == opened + timedelta(
        days=6
    )


async def test_results_go_to_the_electorate_with_counts_shares_and_turnout(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    voters = [await h.join("member") for _ in range(6)]
    absent = await h.join("member")
    poll_id = await create_poll(h, staff, "Menu change?", ["Curry", "Pasta", "Salad"])
    await h.deliver()
    choices = ["Curry", "Curry", "Curry", "Pasta", "Pasta", "Curry"]
    for user, label in zip(voters, choices, strict=True):
        await vote(h, user, [label])
    # Before close nobody sees a split: not staff, not the creator, not a voter.
    await h.tg.send(staff, "/polls")
    listing = h.tg.last_text(staff)
    assert "6 of 7 have voted (86%)" in listing and "Curry:" not in listing
    await h.tg.press_data(staff, h.double.last(staff).message_id, pack("plr", poll_id))  # type: ignore[union-attr]
    assert h.tg.answer_for(staff) == "Results are shown when the poll closes."
    h.clock.advance(timedelta(days=1))
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()
    expected = (
        "Poll results:\nMenu change?\n\nCurry: 4 (67%)\nPasta: 2 (33%)\nSalad: 0 (0%)\n\n"
        "Each person chose one option.\nTurnout: 6 of 7 people voted (86%)."
    )
    for user in [*voters, absent, staff]:
        assert h.tg.last_text(user) == expected
    # Fires once: a second run (or a restart) sends nothing more.
    assert await timers.fire_due(h.db, h.clock, h.settings) == {}
    assert await h.deliver() == 0
    await h.tg.send(absent, "/polls")
    await h.tg.press(absent, "Results: Menu change?")
    assert h.tg.last_text(absent) == expected


async def test_below_the_minimum_only_turnout_is_shown(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    voters = [await h.join("member") for _ in range(4)]
    poll_id = await create_poll(h, staff, "Small poll?", ["Yes", "No"])
    await h.deliver()
    for user in voters:
        await vote(h, user, ["Yes"])
    h.clock.advance(timedelta(days=1))
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()
    text = h.tg.last_text(voters[0])
    assert "Turnout: 4 of 4 people voted (100%)." in text
    assert "Fewer than 5 people voted, so the results are not shown." in text
    assert "Yes:" not in text
    outbox = await h.rows(
        "SELECT params FROM outbox WHERE key LIKE ?", (f"poll:{poll_id}:result:%",)
    )
    assert outbox and all('"lines"' not in r["params"] for r in outbox)


async def test_the_creator_closes_early_with_a_confirm_and_it_is_audited(h: Harness) -> None:
    chair = await h.join("chair")
    other_chair = await h.join("chair")
    staff = await h.join("staff", wing=None)
    voters = [await h.join("member") for _ in range(5)]
    poll_id = await create_poll(h, chair, "Close early?", ["Yes", "No"], audience=None)
    await h.deliver()
    for user in voters:
        await vote(h, user, ["No"])
    # Another chair did not create it: no close button, and forged data is refused.
    await h.tg.send(other_chair, "/polls")
    assert not any(b.startswith("Close early") for b in h.tg.buttons(other_chair))
    await h.tg.press_data(
        other_chair,
        h.double.last(other_chair).message_id,
        pack("plf", poll_id),  # type: ignore[union-attr]
    )
    assert h.tg.answer_for(other_chair) == NOT_OPEN
    await h.tg.send(chair, "/polls")
    assert "5 of 7 have voted" in h.tg.last_text(chair)
    await h.tg.press(chair, "Close early: Close early?")
    assert "Close this poll now?" in h.tg.last_text(chair)
    await h.tg.press(chair, "No, keep it open")
    assert (await poll_row(h, poll_id))["status"] == "open"
    await h.tg.press(chair, "Close early: Close early?")
    await h.tg.press(chair, "Yes, close it")
    assert h.tg.last_text(chair) == "The poll is closed. The results are on their way."
    row = await poll_row(h, poll_id)
    assert (row["status"], row["closed_early"]) == ("closed", 1)
    audit = await h.rows("SELECT * FROM audit_log WHERE action = 'poll.close_early'")
    assert len(audit) == 1 and audit[0]["detail"] == '{"ballots": 5, "electorate": 7}'
    timer_states = await h.rows("SELECT status FROM timer WHERE key LIKE ?", (f"poll:{poll_id}:%",))
    assert {t["status"] for t in timer_states} == {"cancelled"}
    await h.deliver()
    assert "No: 5 (100%)" in h.tg.last_text(voters[0])
    assert "No: 5 (100%)" in h.tg.last_text(chair)
    # Staff outside the audience read the results from /polls.
    await h.tg.send(staff, "/polls")
    await h.tg.press(staff, "Results: Close early?")
    assert "No: 5 (100%)" in h.tg.last_text(staff)
    # Pressing the old confirm again: already closed, nothing twice.
    await h.tg.press_data(chair, h.double.last(chair).message_id, pack("plf", poll_id))  # type: ignore[union-attr]
    assert h.tg.last_text(chair) == "This poll is already closed."
    assert len(await h.rows("SELECT * FROM audit_log WHERE action = 'poll.close_early'")) == 1


async def test_the_poll_closes_after_a_restart_that_spanned_its_closing_time(
    tmp_path: Path,
) -> None:
    from bot.app import start_background, stop_background

    h = await make_harness(tmp_path)
    staff = await h.join("staff", wing=None)
    voters = [await h.join("member") for _ in range(5)]
    poll_id = await create_poll(h, staff, "Restart?", ["Yes", "No"])
    await h.deliver()
    for user in voters:
        await vote(h, user, ["Yes"])
    await h.close()
    # Down for a day and an hour: the closing time passed while nothing ran.
    again = await make_harness(tmp_path)
    again.clock.set(h.clock.now() + timedelta(days=1, hours=1))
    for user in [staff, *voters]:
        again.double.user(user)
    await start_background(again.app)
    try:
        row = await poll_row(again, poll_id)
        assert row["status"] == "closed"
        await again.deliver()
        assert "Yes: 5 (100%)" in again.tg.last_text(voters[0])
        state = await again.rows(
            "SELECT status FROM timer WHERE key = ?", (f"poll:{poll_id}:close",)
        )
        assert state[0]["status"] == "fired"
    finally:
        await stop_background(again.app)
        await again.close()


async def test_a_poll_missed_beyond_the_grace_period_still_closes_when_touched(
    h: Harness,
) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    poll_id = await create_poll(h, staff, "Long outage?", ["Yes", "No"])
    h.clock.advance(timedelta(days=3))
    await timers.fire_due(h.db, h.clock, h.settings)  # far beyond grace: recorded missed
    assert (await poll_row(h, poll_id))["status"] == "open"
    await h.tg.send(member, "/polls")
    assert (await poll_row(h, poll_id))["status"] == "closed"
    assert "Closed polls:" in h.tg.last_text(member)
    assert await polls.close_overdue(h.db, h.clock, h.settings) == 0


# --- /polls and the menu -------------------------------------------------------------------


async def test_the_menu_shows_polls_and_the_list_offers_the_ballot_again(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    observer = await h.join("observer", wing=None)
    await h.tg.send(member, "/menu")
    assert "Polls" in h.tg.buttons(member)
    await h.tg.press(member, "Polls")
    assert h.tg.last_text(member) == "There are no polls for you right now."
    await create_poll(h, staff, "Ballot again?", ["Yes", "No"])
    await h.tg.send(member, "/polls")
    assert "Ballot again?\n  You have not voted yet." in h.tg.last_text(member)
    await h.tg.press(member, "Vote: Ballot again?")
    assert h.tg.buttons(member) == ["Yes", "No"]
    await vote(h, member, ["No"])
    await h.tg.send(member, "/polls")
    assert "You have voted." in h.tg.last_text(member)
    assert "Vote: Ballot again?" not in h.tg.buttons(member)
    # The observer reads turnout, never a ballot and never a close button.
    await h.tg.send(observer, "/polls")
    assert "1 of 1 have voted (100%)" in h.tg.last_text(observer)
    assert h.double.last(observer).buttons == []  # type: ignore[union-attr]
    await h.tg.send(staff, "/menu")
    await h.tg.press(staff, "Polls and consultations")  # staff see the menu in sections
    await h.tg.press(staff, "Polls")
    assert "Start a new poll" in h.tg.buttons(staff)
    await h.tg.press(staff, "Start a new poll")
    assert h.tg.last_text(staff) == "Type the question for the poll. Up to 300 characters."


async def test_welsh_speakers_get_welsh_ballots_and_results(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member", lang="cy")
    await create_poll(h, staff, "Pa noson?", ["Llun", "Mawrth"])
    await h.deliver()
    assert h.tg.last_text(member).startswith("Pleidlais gudd newydd:\nPa noson?")
    await h.tg.press(member, "Llun")
    assert "Eich dewis:\nLlun" in h.tg.last_text(member)
    await h.tg.press(member, "Ydw, bwrw fy mhleidlais")
    assert h.tg.last_text(member).startswith("Pa noson?\n\nMae eich pleidlais wedi'i chofnodi.")


async def test_a_poll_missed_beyond_grace_closes_at_the_next_start(tmp_path: Path) -> None:
    from bot.app import start_background, stop_background

    h = await make_harness(tmp_path)
    staff = await h.join("staff", wing=None)
    voters = [await h.join("member") for _ in range(5)]
    poll_id = await create_poll(h, staff, "Long outage?", ["Yes", "No"])
    await h.deliver()
    for user in voters:
        await vote(h, user, ["No"])
    await h.close()
    # Down for three days: far beyond the six-hour grace, so the close timer is missed.
    again = await make_harness(tmp_path)
    again.clock.set(h.clock.now() + timedelta(days=3))
    for user in [staff, *voters]:
        again.double.user(user)
    await start_background(again.app)
    try:
        assert (await poll_row(again, poll_id))["status"] == "closed"
        state = await again.rows(
            "SELECT status FROM timer WHERE key = ?", (f"poll:{poll_id}:close",)
        )
        assert state[0]["status"] == "missed"
        await again.deliver()
        assert "No: 5 (100%)" in again.tg.last_text(voters[0])
    finally:
        await stop_background(again.app)
        await again.close()


def test_every_poll_answer_has_its_catalogue_id() -> None:
    """Catalogue ids come from the outcome enums (issue 13), so each one is checked here."""
    from typing import get_args

    from bot import i18n
    from bot.council import poll_buttons
    from handlers import polls as poll_handlers

    assert set(poll_handlers.BAD_CLOSING) == set(polls.BadClosing)
    assert set(poll_handlers.AUDIENCE_LABEL) == set(get_args(poll_buttons.Audience))
    assert set(poll_handlers.QUICK_LABEL) == set(get_args(poll_buttons.Closing))
    assert set(polls.QUICK_CLOSING) == set(get_args(poll_buttons.Closing))
    ids = [
        *poll_handlers.BAD_CLOSING.values(),
        *poll_handlers.AUDIENCE_LABEL.values(),
        *poll_handlers.QUICK_LABEL.values(),
    ]
    assert [i for i in ids if not i18n.has(i)] == []


async def test_forged_poll_buttons_are_answered_stale_and_change_nothing(h: Harness) -> None:
    """Typed poll buttons: data of the right kind but the wrong shape never reaches a handler."""
    staff = await h.join("staff", wing=None)
    member = await h.join("member", wing="a")
    poll_id = await create_poll(h, staff, "Forged?", ["Yes", "No"], wing="a")
    await h.deliver()
    stale = "This button no longer works. Send /menu to start again."
    for user, data in (
        (member, "1:plc:1"),
        (member, f"1:plc:{poll_id}:1:9"),
        (member, f"1:plt:{poll_id}:-"),
        (member, "1:plb:x"),
        (staff, "1:plk:both"),
        (staff, "1:pla:staff"),
        (staff, "1:plx:99d"),
        (staff, f"1:plf:{poll_id}x"),
    ):
        await h.tg.press_data(user, h.double.last(user).message_id, data)  # type: ignore[union-attr]
        assert h.tg.answer_for(user) == stale, data
    assert await tallies(h, poll_id) == [0, 0]
    assert (await h.rows("SELECT status FROM poll WHERE id = ?", (poll_id,)))[0]["status"] == "open"
