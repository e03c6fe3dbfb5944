"""Outcomes: post and update through /outcome (and triage), versions, notices in each reader's
language, the follow-up chase, bad input, and roles (the observer writes nothing)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.council import outcomes, timers
from bot.council.access import Person
from handlers.callbacks import pack
from tests.support.agenda import accept, item_id, raise_item, status_of
from tests.support.harness import Harness


async def _post(h: Harness, staff: int, ref: str, kind: str, *typed: str) -> None:
    """/outcome REF, pick the kind, type each answer, then post."""
    await h.tg.send(staff, f"/outcome {ref}")
    await h.tg.press(staff, kind)
    for text in typed:
        await h.tg.send(staff, text)
    await h.tg.press(staff, "Post it")


async def _outcome_rows(h: Harness, ref: str) -> list[dict[str, object]]:
    return await h.rows(
        "SELECT version, latest, kind, text, reason, owner_id, owner_name, follow_up_on, source"
        " FROM outcome WHERE item_id = ? ORDER BY version",
        (item_id(ref),),
    )


async def test_post_resolved_tells_submitter_and_supporters_in_their_language(h: Harness) -> None:
    owner = await h.join("member")
    fan = await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner)
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Answer now")
    await h.tg.press(staff, "Resolved")
    await h.tg.send(staff, "New shower heads were fitted on Friday.")
    preview = h.tg.last_text(staff)
    assert preview.startswith(f"Please check the outcome for {ref}:")
    assert "Outcome: Resolved" in preview and "New shower heads" in preview
    assert h.tg.buttons(staff) == ["Post it", "Cancel"]
    await h.tg.press(staff, "Post it")
    assert await status_of(h, ref) == "closed"  # new -> answered -> closed, by the agenda's table
    rows = await _outcome_rows(h, ref)
    assert rows == [
        {
            "version": 1,
            "latest": 1,
            "kind": "resolved",
            "text": "New shower heads were fitted on Friday.",
            "reason": None,
            "owner_id": None,
            "owner_name": None,
            "follow_up_on": None,
            "source": "triage",
        }
    ]
    audit = await h.rows("SELECT action, detail FROM audit_log WHERE action LIKE 'outcome.%'")
    assert [a["action"] for a in audit] == ["outcome.post"]
    assert json.loads(audit[0]["detail"])["to"] == "closed"
    await h.deliver()
    assert h.tg.last_text(owner) == (
        f"There is an outcome.\nYour issue {ref} (Food): resolved.\n"
        "New shower heads were fitted on Friday."
    )
    del fan  # supporters: see the update test


async def test_update_keeps_every_version_and_supporters_hear_it(h: Harness) -> None:
    owner = await h.join("member")
    fan = await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner)
    await accept(h, staff, ref)
    await h.tg.send(fan, f"/browse {ref}")
    await h.tg.press(fan, h.tg.buttons(fan)[0])
    assert await h.rows("SELECT COUNT(*) AS n FROM agenda_support") == [{"n": 1}]
    # Accepted items wait for their meeting: the outcome is refused kindly.
    await h.tg.send(staff, f"/outcome {ref}")
    assert h.tg.last_text(staff) == (
        f"{ref} waits for its council meeting. Record the outcome in the minutes."
    )
    # A new one is answered in part, then updated to in progress, then resolved.
    second = await raise_item(h, owner, "The library opens too late on Saturdays for us.")
    await _post(h, staff, second, "Partly resolved", "Open at 10 from next month.")
    assert await status_of(h, second) == "answered"
    await h.tg.send(staff, f"/outcome {second}")
    await h.tg.press(staff, "In progress")
    await h.tg.send(staff, "The governor is reviewing staffing.")
    assert h.tg.last_text(staff).startswith(f"Who is dealing with {second}?")
    rows = await _outcome_rows(h, second)
    assert [r["kind"] for r in rows] == ["partly_resolved"]  # in progress still needs owner/date
    await h.tg.press(staff, "Me")
    await h.tg.send(staff, "25 Dec 2026")
    await h.tg.press(staff, "Post it")
    rows = await _outcome_rows(h, second)
    assert [(r["version"], r["latest"], r["kind"]) for r in rows] == [
        (1, 0, "partly_resolved"),
        (2, 1, "in_progress"),
    ]
    assert rows[1]["follow_up_on"] == "2026-12-25"
    await h.deliver()
    notice = h.tg.last_text(owner)
    assert notice.startswith(f"The outcome has changed.\nYour issue {second} (Food): in progress.")
    assert "Next check: Friday 25 December 2026" in notice
    # The list of own items shows the latest answer.
    await h.tg.send(owner, "/myitems")
    assert "The governor is reviewing staffing." in h.tg.last_text(owner)


async def test_refusals_merged_unknown_declined_and_bad_typing(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    original = await raise_item(h, member)
    copy = await raise_item(h, member, "The showers are cold on the landing, again.")
    await h.tg.send(staff, f"/triage {copy}")
    await h.tg.press(staff, "Join with another")
    await h.tg.send(staff, original)
    await h.tg.send(staff, f"/outcome {copy}")
    assert (
        h.tg.last_text(staff)
        == f"{copy} was joined with {original}. Post the outcome on {original}."
    )
    await h.tg.send(staff, "/outcome A-9999")
    assert h.tg.last_text(staff) == "I cannot find the issue A-9999."
    await h.tg.send(staff, "/outcome")
    assert h.tg.last_text(staff).startswith("Which issue?")
    await h.tg.send(staff, "not a reference")
    assert h.tg.last_text(staff) == "I cannot find the issue -."
    # Not possible: the reason is asked for, and empty or too long text gets another try.
    await h.tg.send(staff, f"/outcome {original}")
    await h.tg.press(staff, "Not possible")
    await h.tg.send(staff, "   ")
    assert h.tg.last_text(staff) == "Please type some words."
    await h.tg.send(staff, "We cannot change the boiler.")
    assert h.tg.last_text(staff).startswith(f"Type the reason it is not possible for {original}.")
    await h.tg.send(staff, "x" * 501)
    assert h.tg.last_text(staff).startswith("That is too long: 501 characters.")
    await h.tg.send_photo(staff)
    assert await _outcome_rows(h, original) == []
    await h.tg.send(staff, "The estates budget is spent until April.")
    await h.tg.press(staff, "Post it")
    rows = await _outcome_rows(h, original)
    assert rows[0]["reason"] == "The estates budget is spent until April."
    assert await status_of(h, original) == "closed"
    # A closed item takes only a resolved or not-possible correction.
    await h.tg.send(staff, f"/outcome {original}")
    assert h.tg.buttons(staff) == ["Resolved", "Not possible", "Cancel"]
    await h.tg.press(staff, "Cancel")
    assert h.tg.last_text(staff) == "Nothing was posted."


async def test_in_progress_needs_owner_and_a_date_not_in_the_past(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    other_member = await h.join("member")
    ref = await raise_item(h, member)
    await h.tg.send(staff, f"/outcome {ref}")
    await h.tg.press(staff, "In progress")
    await h.tg.send(staff, "The kitchen is looking at the menu.")
    other = await h.person(other_member)
    assert other is not None
    await h.tg.send(staff, f"P-{other.id:04d}")  # a member cannot own a follow-up
    assert h.tg.last_text(staff).startswith("That reference is not an active member of staff.")
    await h.tg.send(staff, "Catering manager")
    await h.tg.send(staff, "1 Nov 2026")  # yesterday
    assert h.tg.last_text(staff) == "That date is in the past. Please give today or a later date."
    await h.tg.send(staff, "someday")
    assert h.tg.last_text(staff).startswith("I cannot read that date.")
    await h.tg.send(staff, "2026-11-09")
    await h.tg.press(staff, "Post it")
    rows = await _outcome_rows(h, ref)
    assert rows[0]["owner_name"] == "Catering manager" and rows[0]["follow_up_on"] == "2026-11-09"
    assert await status_of(h, ref) == "answered"


async def test_council_refuses_missing_reason_past_date_and_wrong_roles(h: Harness) -> None:
    member = await h.join("member")
    staff_user = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    staff = await h.person(staff_user)
    chair = Person(0, None, "chair", "active", "en", True, "a", "x", False)
    observer = Person(0, None, "observer", "active", "en", True, None, "x", False)
    assert staff is not None
    clock, settings = h.clock, h.settings
    async with h.db.transaction() as tx:
        no_reason = await outcomes.post(
            tx,
            clock,
            settings,
            actor=staff,
            item_id=item_id(ref),
            version=None,
            posting=outcomes.Posting(outcomes.NOT_POSSIBLE, "We cannot do this."),
            source=outcomes.COMMAND,
        )
        assert no_reason.result == "reason"
        past = await outcomes.post(
            tx,
            clock,
            settings,
            actor=staff,
            item_id=item_id(ref),
            version=None,
            posting=outcomes.Posting(
                outcomes.IN_PROGRESS,
                "Looking at it.",
                owner_name="Governor",
                follow_up_on=date(2026, 11, 1),
            ),
            source=outcomes.COMMAND,
        )
        assert past.result == "past"
        no_owner = outcomes.Posting(outcomes.IN_PROGRESS, "Looking.", follow_up_on=date(2027, 1, 1))
        assert outcomes.problem(no_owner, on=date(2026, 11, 2)) == "owner"
        for actor, source in ((chair, outcomes.COMMAND), (observer, outcomes.TRIAGE)):
            with pytest.raises(outcomes.NotAllowed):
                await outcomes.post(
                    tx,
                    clock,
                    settings,
                    actor=actor,
                    item_id=item_id(ref),
                    version=None,
                    posting=outcomes.Posting(outcomes.RESOLVED, "Done."),
                    source=source,
                )
    assert await h.rows("SELECT * FROM outcome") == []
    assert await status_of(h, ref) == "new"


async def test_follow_up_reminds_owner_then_escalates_and_an_update_stops_it(h: Harness) -> None:
    admin = await h.admin()
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    first = await raise_item(h, member)
    second = await raise_item(h, member, "The gym is shut every Sunday afternoon.")
    for ref in (first, second):
        await h.tg.send(staff, f"/outcome {ref}")
        await h.tg.press(staff, "In progress")
        await h.tg.send(staff, "Under review by the governor.")
        await h.tg.press(staff, "Me")
        await h.tg.send(staff, "5 Nov 2026")
        await h.tg.press(staff, "Post it")
    pending = await h.rows("SELECT key, kind, due_at FROM timer WHERE status = 'pending'")
    assert (
        sorted(r["kind"] for r in pending)
        == ["outcome_escalate", "outcome_escalate"] + ["outcome_followup"] * 2
    )
    # Updating the second outcome stops its chase.
    await _post(h, staff, second, "Resolved", "The gym now opens on Sundays.")
    await h.deliver()
    h.clock.set(h.clock.now().replace(day=5, hour=9, minute=30))
    fired = await timers.fire_due(h.db, h.clock, h.settings)
    assert fired == {"fired": 1}
    await h.deliver()
    reminder = h.tg.last_text(staff)
    assert reminder.startswith(f"Follow-up due today: {first} (Food).")
    assert f"/outcome {first}" in reminder
    h.clock.advance(timedelta(days=7))
    assert await timers.fire_due(h.db, h.clock, h.settings) == {"fired": 1}
    await h.deliver()
    assert h.tg.last_text(admin).startswith(f"A follow-up is 7 days late: {first} (Food).")
    statuses = await h.rows("SELECT kind, status FROM timer ORDER BY id")
    assert sorted(s["status"] for s in statuses if s["kind"].startswith("outcome")) == [
        "cancelled",
        "cancelled",
        "fired",
        "fired",
    ]


async def test_stale_repeated_and_forged_outcome_buttons_change_nothing(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    other_staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await h.tg.send(staff, f"/outcome {ref}")
    await h.tg.send(other_staff, f"/outcome {ref}")
    await h.tg.press(staff, "Resolved")
    await h.tg.send(staff, "Fixed on Monday by the works team.")
    preview = h.double.last(staff)
    assert preview is not None
    post = preview.button("Post it")
    assert post is not None and post.callback_data is not None
    await h.tg.press(staff, "Post it")
    # The same press again, and the other staff member's older kind button: answered, not obeyed.
    await h.tg.press_data(staff, preview.message_id, post.callback_data)
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    await h.tg.press(other_staff, "Partly resolved")
    assert h.tg.answer_for(other_staff) == "This issue has changed. Please look again."
    for data in ("1:ock:1:0:c:z", "1:ock:x", "1:ocy:99:0", pack("ock", 999, 0, "c", "r")):
        await h.tg.press_data(staff, preview.message_id, data)
    assert len(await _outcome_rows(h, ref)) == 1
    assert await h.rows("SELECT * FROM conversation") == []


OBSERVER_WRITES = [
    "/outcome A-0001",
    "/board",
    "/raise",
    "/triage",
    "/keyin",
    "/newpoll",
    "/consult",
    "/schedule",
    "/minutes",
    "/invite",
    "/announce",
    "/revoke",
    "/myrecord",
]


async def test_observer_reads_but_is_refused_on_every_write_path(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    ref = await raise_item(h, member)
    await _post(h, staff, ref, "Resolved", "Fixed on Monday by the works team.")
    for command in OBSERVER_WRITES:
        await h.tg.send(observer, command)
        assert h.tg.last_text(observer) == "Sorry, you cannot do that.", command
    message = h.double.last(observer)
    assert message is not None
    forged = [
        pack("ock", item_id(ref), 0, "c", "r"),
        pack("ocy", item_id(ref), 0),
        pack("oco", item_id(ref)),
        pack("obd", "all"),
        pack("atr", "a", item_id(ref), 0),
        pack("asp", item_id(ref)),
        pack("plt", 1, 0),
        pack("rsvp", 1, "going"),
        pack("csa", 1, 1, 0),
        pack("inv", "member"),
        pack("anny", 1),
    ]
    for data in forged:
        await h.tg.press_data(observer, message.message_id, data)
        assert h.tg.answer_for(observer) == "This button is not for you.", data
    assert len(await _outcome_rows(h, ref)) == 1
    # What the observer may read: the board, the audit log.
    await h.tg.send(observer, "/outcomes")
    assert "Fixed on Monday by the works team." in h.tg.last_text(observer)
    await h.tg.send(observer, "/audit")
    assert "posted the outcome of A-0001." in h.tg.last_text(observer)
    # Members may not post outcomes or read reports.
    for command in ("/outcome A-0001", "/report", "/board"):
        await h.tg.send(member, command)
        assert h.tg.last_text(member) == "Sorry, you cannot do that.", command
