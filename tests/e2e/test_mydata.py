"""/mydata and deleting one's own details (docs/PRIVACY.md), through the real Application."""

from __future__ import annotations

import asyncio
from typing import Any

from handlers.callbacks import pack
from tests.e2e.test_meetings import schedule
from tests.e2e.test_polls import create_poll, vote
from tests.support.agenda import accept, raise_item
from tests.support.harness import Harness

STRANGER = "This bot is for the council at HMP Example."
ASK_ADMIN = "Staff, observers and admins cannot delete their own details here."


async def busy_member(h: Harness) -> dict[str, Any]:
    """A member who raised an issue, supports another, answered a meeting and voted."""
    staff = await h.join("staff", wing=None)
    owner = await h.join("member")
    member = await h.join("member")
    theirs = await raise_item(h, owner, "The gym is closed every weekend now.")
    await accept(h, staff, theirs)
    mine = await raise_item(h, member)
    await h.tg.send(member, "/browse")
    await h.tg.press(member, f"Support {theirs}")
    meeting = await schedule(h, staff)
    poll = await create_poll(h, staff, "Breakfast?", ["Porridge", "Toast"])
    await h.deliver()
    # The ballot is the newest message; the meeting notice is earlier: answer it by its data.
    await vote(h, member, ["Porridge"])
    notice = next(m for m in h.double.chat(member) if m.text.startswith("New Council meeting"))
    await h.tg.press_data(member, notice.message_id, pack("rsvp", meeting, "going"))
    return {
        "staff": staff,
        "owner": owner,
        "member": member,
        "theirs": theirs,
        "mine": mine,
        "meeting": meeting,
        "poll": poll,
    }


async def test_mydata_counts_what_is_held_and_never_shows_a_choice(h: Harness) -> None:
    world = await busy_member(h)
    member = world["member"]
    await h.tg.send(member, "/mydata")
    text = h.tg.last_text(member)
    assert text.startswith("What the bot holds about you:")
    for line in (
        "Role: member",
        "Wing: A wing",
        "Staff note about you: test",
        "Language: English",
        "Joined: Monday 2 November 2026",
        "Issues you raised: 1",
        "Issues you support: 1",
        "Meetings you answered: 1. Meetings you attended: 0.",
        "Polls you could vote in: 1.",
        "Consultations you answered: 0.",
        "Messages waiting to be sent to you: 0",
        "Old records are removed after 730 days.",
    ):
        assert line in text, line
    assert "Porridge" not in text and "Toast" not in text and "Going" not in text
    assert h.tg.buttons(member) == ["Delete my details"]
    # On the menu, in the "me" part.
    await h.tg.send(member, "/menu")
    assert "My data" in h.tg.buttons(member)


async def test_deleting_as_a_member_ends_access_and_leaves_no_telegram_id(h: Harness) -> None:
    world = await busy_member(h)
    member, owner = world["member"], world["owner"]
    person = await h.person(member)
    assert person is not None
    await h.tg.send(owner, "/browse")
    await h.tg.press(owner, "All wings")
    assert "Supporters: 1" in h.tg.last_text(owner)

    await h.tg.send(member, "/mydata")
    await h.tg.press(member, "Delete my details")
    assert h.tg.last_text(member).startswith("Do you want to leave?")
    await h.tg.press(member, "No, keep them")
    assert h.tg.last_text(member) == "Good. Nothing changed."
    assert (await h.person(member)) is not None
    await h.tg.send(member, "/mydata")
    await h.tg.press(member, "Delete my details")
    await h.tg.press(member, "Yes, delete")
    assert h.tg.last_text(member).startswith("You have left, and your details are deleted.")

    # Access ends: they are a stranger.
    await h.tg.send(member, "/menu")
    assert h.tg.last_text(member).startswith(STRANGER)
    row = (await h.rows("SELECT * FROM person WHERE id = ?", (person.id,)))[0]
    assert (row["status"], row["tg_user_id"], row["label"], row["wing"]) == (
        "left",
        None,
        None,
        None,
    )
    # Their item stays, with nobody named; their support still counts on browse.
    assert await h.rows(
        "SELECT submitter_id, text FROM agenda_item WHERE submitter_id IS NULL"
    ) == [{"submitter_id": None, "text": "The showers on the landing are cold every morning."}]
    await h.tg.send(owner, "/browse")
    await h.tg.press(owner, "All wings")
    assert "Supporters: 1" in h.tg.last_text(owner)
    assert await h.rows("SELECT * FROM agenda_support") == []
    assert await h.rows("SELECT * FROM meeting_rsvp") == []
    # The poll is still open: their elector row stays (turnout must not change), nameless.
    assert await h.rows("SELECT voted FROM poll_elector WHERE person_id = ?", (person.id,)) == [
        {"voted": 1}
    ]
    # Nothing anywhere holds their Telegram id.
    names = [
        r["name"]
        for r in await h.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in names:
        for found in await h.rows(f"SELECT * FROM {table}"):
            for value in found.values():
                assert value != member and str(member) not in str(value), (table, found)
    actions = [r["action"] for r in await h.rows("SELECT action FROM audit_log")]
    assert actions.count("person.leave") == 1


async def test_repeated_and_concurrent_yes_presses_delete_once(h: Harness) -> None:
    member = await h.join("member")
    await h.tg.send(member, "/leave")
    assert h.tg.buttons(member) == ["Yes, leave", "No, stay"]
    message = h.double.last(member)
    assert message is not None
    await asyncio.gather(
        h.tg.press_data(member, message.message_id, pack("lvy")),
        h.tg.press_data(member, message.message_id, pack("lvy")),
    )
    await h.tg.press_data(member, message.message_id, pack("lvy"))
    assert h.tg.answer_for(member) == "This button is not for you."
    actions = [r["action"] for r in await h.rows("SELECT action FROM audit_log")]
    assert actions.count("person.leave") == 1
    assert await h.rows("SELECT status FROM person WHERE role = 'member'") == [{"status": "left"}]


async def test_staff_observers_and_admins_are_told_kindly_and_nothing_changes(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    admin = await h.admin()
    for user in (staff, observer, admin):
        await h.tg.send(user, "/mydata")
        text = h.tg.last_text(user)
        assert text.startswith("What the bot holds about you:") and ASK_ADMIN in text
        assert "Delete my details" not in h.tg.buttons(user)
        await h.tg.send(user, "/leave")
        assert h.tg.last_text(user).startswith(ASK_ADMIN)
        # Forged buttons: a kind answer, nothing changes.
        message = h.double.last(user)
        assert message is not None
        for data in (pack("lvd"), pack("lvy")):
            await h.tg.press_data(user, message.message_id, data)
            assert h.tg.answer_for(user) is not None
            assert h.tg.answer_for(user).startswith(ASK_ADMIN)  # type: ignore[union-attr]
        # Garbled data (extra parts) is answered "stale" by the typed-button wrapper.
        await h.tg.press_data(user, message.message_id, pack("lvy", 1, "x"))
        assert h.tg.answer_for(user) == "This button no longer works. Send /menu to start again."
    rows = await h.rows("SELECT status FROM person")
    assert {r["status"] for r in rows} == {"active"}
    assert "person.leave" not in [r["action"] for r in await h.rows("SELECT action FROM audit_log")]
    # Staff do not see a Leave button on their menu; members do not either (My data has it).
    await h.tg.send(staff, "/menu")
    await h.tg.press(staff, "About me and help")
    assert "Leave" not in h.tg.buttons(staff) and "My data" in h.tg.buttons(staff)


async def test_a_stranger_and_a_chair(h: Harness) -> None:
    stranger = h.new_user()
    await h.tg.send(stranger, "/mydata")
    assert h.tg.last_text(stranger).startswith(STRANGER)
    await h.tg.send(stranger, "/leave")
    assert h.tg.last_text(stranger).startswith(STRANGER)
    chair = await h.join("chair")
    await h.tg.send(chair, "/leave")
    await h.tg.press(chair, "Yes, leave")
    assert h.tg.last_text(chair).startswith("You have left")
    assert await h.rows("SELECT status, tg_user_id FROM person WHERE role = 'chair'") == [
        {"status": "left", "tg_user_id": None}
    ]


async def test_the_audit_log_never_holds_a_staff_note_about_someone(h: Harness) -> None:
    # The audit log is kept forever (append-only), so the label given at invite time stays out.
    await h.invite_code("member", label="J. Jones, cell 3-14")
    rows = await h.rows("SELECT detail FROM audit_log WHERE action = 'invite.create'")
    assert rows and all("Jones" not in r["detail"] for r in rows)
    assert '"labelled": true' in rows[0]["detail"]


async def test_mydata_names_elections_and_peer_support_only_when_there_are_some(
    h: Harness,
) -> None:
    from tests.e2e.test_elections import call_two_wing_election, stand

    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    quiet = await h.join("member")
    await h.join("member", wing="b")  # B wing's office needs electors too
    await call_two_wing_election(h, staff)
    await stand(h, member, "A wing rep", "I will listen to everyone on A wing.")
    await h.tg.send(member, "/schemes")
    await h.tg.press(member, "Listeners")
    await h.tg.press(member, "Ask for a Listener")
    await h.tg.send(member, "/mydata")
    text = h.tg.last_text(member)
    assert "Elections you could vote in: 1. How you ranked is never stored with your name." in text
    assert "Times you stood for election: 1" in text
    assert "Council roles you hold now: 0" in text
    assert "Times you asked for peer support: 1. Only staff see these." in text
    assert "Peer support roles you hold now: 0" in text
    # Another member on the register, who neither stood nor asked: no peer support lines.
    await h.tg.send(quiet, "/mydata")
    text = h.tg.last_text(quiet)
    assert "Elections you could vote in: 1." in text and "Times you stood for election: 0" in text
    assert "peer support" not in text
