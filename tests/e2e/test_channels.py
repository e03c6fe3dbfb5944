"""One council on two channels at once: Telegram for families and staff, the in-cell channel for
members. The real Applications (one per channel), one SQLite file, one clock, the real senders;
each channel's Bot API server is its own double. See docs/CHANNELS.md."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.council import notices, timers
from handlers.callbacks import pack
from storage import people
from tests.e2e.test_consultations import answer_all, write_consultation
from tests.e2e.test_meetings import schedule
from tests.e2e.test_polls import create_poll, tallies, vote
from tests.support.channels import INCELL, TELEGRAM, TwoChannels, make_two_channels
from tests.support.harness import ADMIN_ID

WRONG_CHANNEL = (
    "This code is for a different way of using the bot. Use it where staff told you,"
    " or ask staff for a new code."
)


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[TwoChannels]:
    council = await make_two_channels(tmp_path)
    try:
        yield council
    finally:
        await council.close()


async def identities(two: TwoChannels) -> list[tuple[int, str, int]]:
    rows = await two.tg.rows("SELECT person_id, channel, user_id FROM identity ORDER BY id")
    return [(r["person_id"], r["channel"], r["user_id"]) for r in rows]


async def test_a_family_on_telegram_and_a_member_in_cell_share_a_consultation_and_a_meeting(
    two: TwoChannels,
) -> None:
    staff = await two.tg.join("staff", wing=None)
    family = await two.tg.join("family", wing=None)
    member = await two.cell.join("member", wing="a")
    found = await two.tg.person(family)
    assert found is not None and found.role == "family"
    async with two.db.transaction() as tx:
        on_cell = await people.by_identity(tx, "incell", member)
        # A user id means nothing without its channel: this member is nobody on Telegram.
        assert await people.by_identity(tx, "telegram", member) is None
    assert on_cell is not None and on_cell.role == "member" and on_cell.tg_user_id is None

    # One consultation for families and members: each is invited on their own channel.
    consultation = await write_consultation(two.tg, staff)
    assert await two.deliver() == 2
    assert any("Visits on Saturdays" in t for t in two.tg.tg.texts(family))
    assert any("Visits on Saturdays" in t for t in two.cell.tg.texts(member))
    assert two.tg.double.chat(member) == [] and two.cell.double.chat(family) == []
    await answer_all(two.tg, family, consultation, "A cafe please")
    await answer_all(two.cell, member, consultation, "Longer visits")
    rows = await two.tg.rows(
        "SELECT COUNT(*) AS n FROM consultation_participant"
        " WHERE consultation_id = ? AND submitted_at IS NOT NULL",
        (consultation,),
    )
    assert rows[0]["n"] == 2

    # One family forum-style meeting for everyone: the notice reaches both channels, and both
    # answers land on the same meeting.
    meeting = await schedule(two.tg, staff, audience="Members and families", wing="All wings")
    await two.deliver()
    assert two.tg.tg.last_text(family).startswith("New Council meeting: Wing council")
    assert two.cell.tg.last_text(member).startswith("New Council meeting: Wing council")
    await two.tg.tg.press(family, "Going")
    await two.cell.tg.press(member, "Can't go")
    answers = await two.tg.rows(
        "SELECT answer FROM meeting_rsvp WHERE meeting_id = ? ORDER BY answer", (meeting,)
    )
    assert [r["answer"] for r in answers] == ["cant", "going"]

    # No relay: nothing the member typed ever reaches anyone on any channel.
    await two.cell.tg.send(member, "Message for my mum: see you Saturday")
    await two.deliver()
    everything = [
        m.text
        for double in (two.tg.double, two.cell.double)
        for chat in (staff, family, member)
        for m in double.chat(chat)
    ]
    assert not any("see you Saturday" in (t or "") for t in everything)
    assert not any("Longer visits" in (t or "") for t in everything)


async def test_a_poll_for_members_and_families_reaches_both_channels_and_counts_once(
    two: TwoChannels,
) -> None:
    staff = await two.tg.join("staff", wing=None)
    families = [await two.tg.join("family", wing=None) for _ in range(3)]
    members = [await two.cell.join("member", wing="a") for _ in range(3)]
    poll_id = await create_poll(two.tg, staff, "New visit times?", ["Yes", "No"], audience="both")
    assert await two.deliver() == 6
    ballot = two.cell.double.last(members[0])
    assert ballot is not None
    yes_data = ballot.button("Yes").callback_data  # type: ignore[union-attr]
    for user in families:
        assert two.tg.tg.buttons(user)[:2] == ["Yes", "No"]
    for user in members:
        assert two.cell.tg.buttons(user)[:2] == ["Yes", "No"]
    for user in families:
        await vote(two.tg, user, ["Yes"])
    for user in members[:2]:
        await vote(two.cell, user, ["No"])
    # members[0] holds a second identity, on Telegram: their ballot from there counts nothing.
    async with two.db.transaction() as tx:
        first = await people.by_identity(tx, "incell", members[0])
        assert first is not None
        phone = two.tg.new_user()
        assert await people.add_identity(tx, first.id, "telegram", phone, two.clock.now())
    await two.tg.tg.send(phone, "/polls")
    shown = two.tg.double.last(phone)
    assert shown is not None
    await two.tg.tg.press_data(phone, shown.message_id, yes_data)
    if "Yes, cast my vote" in two.tg.tg.buttons(phone):
        await two.tg.tg.press(phone, "Yes, cast my vote")
    assert await tallies(two.tg, poll_id) == [3, 2]
    rows = await two.tg.rows(
        "SELECT COUNT(*) AS n FROM poll_elector WHERE poll_id = ? AND voted = 1", (poll_id,)
    )
    assert rows[0]["n"] == 5
    two.clock.advance(timedelta(days=1))
    await timers.fire_due(two.db, two.clock, two.tg.settings)
    await two.deliver()
    # The results go where each person used the bot last: members[0] last used Telegram.
    for side, users in ((two.tg, [*families, phone]), (two.cell, members[1:])):
        for user in users:
            assert "Turnout: 5 of 6 people voted" in side.tg.last_text(user)
    assert not any("Turnout" in t for t in two.cell.tg.texts(members[0]))


async def test_one_channel_down_the_other_works_and_its_notices_go_when_it_returns(
    two: TwoChannels,
) -> None:
    staff = await two.tg.join("staff", wing=None)
    family = await two.tg.join("family", wing=None)
    member = await two.cell.join("member", wing="a")
    two.pull("incell")
    await two.cell.tg.send(member, "/help")  # updates cannot arrive either; nothing breaks
    meeting = await schedule(two.tg, staff, audience="Members and families", wing="All wings")
    for _ in range(4):  # several passes while it is down: no try is used up, nothing parked
        await two.deliver()
        two.clock.advance(timedelta(minutes=2))
    assert two.tg.tg.last_text(family).startswith("New Council meeting")
    waiting = await two.tg.rows(
        "SELECT status, attempts, channel FROM outbox WHERE channel = 'incell'"
    )
    assert waiting and all(r["status"] == "queued" and r["attempts"] == 0 for r in waiting)
    # The admin sees which channel is down, and what waits for it.
    await two.tg.admin()
    await two.tg.tg.send(ADMIN_ID, "/delivery")
    view = two.tg.tg.last_text(ADMIN_ID)
    assert "Telegram: working." in view
    assert "the in-cell service: not answering. Last answer: " in view
    assert f"Waiting: {len(waiting)}" in view

    two.pull("incell", down=False)
    two.clock.advance(timedelta(minutes=2))
    await two.deliver()
    notices = [t for t in two.cell.tg.texts(member) if t.startswith("New Council meeting")]
    assert len(notices) == 1
    await two.cell.tg.press(member, "Going")
    answers = await two.tg.rows("SELECT answer FROM meeting_rsvp WHERE meeting_id = ?", (meeting,))
    assert [r["answer"] for r in answers] == ["going"]
    # Delivered once: more passes send nothing again.
    two.clock.advance(timedelta(minutes=10))
    assert await two.deliver() == 0
    assert len([t for t in two.cell.tg.texts(member) if t.startswith("New Council meeting")]) == 1


async def test_an_invite_names_its_channel_and_roles_join_only_where_allowed(
    two: TwoChannels,
) -> None:
    staff = await two.tg.join("staff", wing=None)
    await two.tg.tg.send(staff, "/invite")
    await two.tg.tg.press(staff, "Member")
    await two.tg.tg.press(staff, "A wing")
    await two.tg.tg.press(staff, "Skip")
    assert two.tg.tg.last_text(staff) == "Where will they use the code?"
    # Telegram does not admit members, so it is not offered.
    assert two.tg.tg.buttons(staff) == ["the in-cell service", "Any channel"]
    await two.tg.tg.press(staff, "the in-cell service")
    made = two.tg.tg.last_text(staff)
    assert "to use on the in-cell service" in made and "Link:" not in made
    code = made.split("\n")[1]
    # Used on Telegram it does nothing (and stays good); on the in-cell channel it works.
    stranger = two.tg.new_user()
    await two.tg.tg.send(stranger, f"/start {code}")
    assert two.tg.tg.last_text(stranger) == WRONG_CHANNEL
    assert await two.tg.person(stranger) is None
    member = two.cell.new_user()
    await two.cell.tg.send(member, f"/start {code}")
    await two.cell.tg.press(member, "English")
    async with two.db.transaction() as tx:
        joined = await people.by_identity(tx, "incell", member)
    assert joined is not None and joined.role == "member" and joined.wing == "a"
    # An "any channel" code for a member still cannot be used where members may not join.
    any_code = await two.tg.invite_code("member")
    other = two.tg.new_user()
    await two.tg.tg.send(other, f"/start {any_code}")
    assert two.tg.tg.last_text(other) == WRONG_CHANNEL


async def test_staff_give_a_member_a_second_identity_and_notices_follow_them(
    two: TwoChannels,
) -> None:
    staff = await two.tg.join("staff", wing=None)
    member = await two.cell.join("member", wing="a")
    async with two.db.transaction() as tx:
        record = await people.by_identity(tx, "incell", member)
    assert record is not None
    ref = f"P-{record.id:04d}"
    # Released on licence: staff give them a code for Telegram; their council record stays.
    await two.tg.tg.send(staff, f"/link {ref}")
    assert two.tg.tg.buttons(staff) == ["Telegram", "the in-cell service", "Any channel"]
    await two.tg.tg.press(staff, "Telegram")
    made = two.tg.tg.last_text(staff)
    assert made.startswith(f"Code for {ref}, to use on Telegram:")
    assert "https://t.me/council_test_bot?start=" in made
    code = made.split("\n")[1]
    phone = two.tg.new_user()
    await two.tg.tg.send(phone, f"/start {code}")
    assert two.tg.tg.last_text(phone).startswith("Welcome back. You can now use the bot here too.")
    assert await identities(two) == [
        (1, "telegram", staff),
        (record.id, "incell", member),
        (record.id, "telegram", phone),
    ]
    again = await two.tg.person(phone)
    assert again is not None and again.id == record.id and again.role == "member"
    # /people says where each person can be reached, with more than one channel configured.
    await two.tg.tg.send(staff, "/people")
    listed = two.tg.tg.last_text(staff)
    assert f"{ref} · member · A wing · test · the in-cell service, Telegram" in listed
    assert "P-0001 · staff · - · test · Telegram" in listed
    # The code works once.
    thief = two.tg.new_user()
    await two.tg.tg.send(thief, f"/start {code}")
    assert "That code does not work" in two.tg.tg.last_text(thief)
    audit = await two.tg.rows("SELECT action FROM audit_log WHERE action LIKE 'identity.%'")
    assert [r["action"] for r in audit] == ["identity.link_code", "identity.linked"]

    # Notices go where they used the bot last (Telegram now), or where they chose.
    await two.tg.tg.send(staff, "/announce")
    await two.tg.tg.press(staff, "Members")
    await two.tg.tg.send(staff, "The gym opens late on Friday.")
    await two.tg.tg.press(staff, "Send it")
    await two.deliver()
    assert any("gym opens late" in t for t in two.tg.tg.texts(phone))
    assert not any("gym opens late" in t for t in two.cell.tg.texts(member))
    await two.tg.tg.send(phone, "/channel")
    assert two.tg.tg.buttons(phone) == [
        "the in-cell service",
        "Telegram",
        "Where I used the bot last",
    ]
    await two.tg.tg.press(phone, "the in-cell service")
    assert two.tg.tg.last_text(phone) == (
        "Done. Messages from the bot will go to the in-cell service."
    )
    await two.tg.tg.send(staff, "/announce")
    await two.tg.tg.press(staff, "Members")
    await two.tg.tg.send(staff, "Visits hall closed on Monday.")
    await two.tg.tg.press(staff, "Send it")
    await two.deliver()
    assert any("Visits hall closed" in t for t in two.cell.tg.texts(member))
    assert not any("Visits hall closed" in t for t in two.tg.tg.texts(phone))


async def test_the_same_number_on_two_channels_is_two_people(two: TwoChannels) -> None:
    number = 700_000_001
    two.tg.double.user(number, first_name="Family")
    two.cell.double.user(number, first_name="Member")
    await two.tg.tg.send(number, f"/start {await two.tg.invite_code('family', None)}")
    await two.tg.tg.press(number, "English")
    await two.cell.tg.send(number, f"/start {await two.cell.invite_code('member')}")
    await two.cell.tg.press(number, "Cymraeg")
    async with two.db.transaction() as tx:
        family = await people.by_identity(tx, "telegram", number)
        member = await people.by_identity(tx, "incell", number)
    assert family is not None and member is not None and family.id != member.id
    assert (family.role, family.language) == ("family", "en")
    assert (member.role, member.language) == ("member", "cy")


async def announce(two: TwoChannels, staff: int, text: str) -> None:
    await two.tg.tg.send(staff, "/announce")
    await two.tg.tg.press(staff, "Members")
    await two.tg.tg.send(staff, text)
    await two.tg.tg.press(staff, "Send it")
    await two.deliver()


async def test_a_block_on_one_channel_leaves_the_other_reachable(two: TwoChannels) -> None:
    staff = await two.tg.join("staff", wing=None)
    member = await two.cell.join("member", wing="a")
    async with two.db.transaction() as tx:
        record = await people.by_identity(tx, "incell", member)
        assert record is not None
        phone = two.tg.new_user()
        await people.add_identity(tx, record.id, "telegram", phone, two.clock.now())
    await two.cell.tg.send(member, "/whoami")  # the in-cell channel is the one used last
    two.cell.double.block(member)
    await announce(two, staff, "The library opens at nine.")
    parked = await two.tg.rows("SELECT status, channel FROM outbox WHERE channel = 'incell'")
    assert [r["status"] for r in parked] == ["parked"]
    async with two.db.transaction() as tx:
        found = await people.by_id(tx, record.id)
        mine = await people.identities(tx, record.id)
    # Only that identity is unreachable: the person is still reached on Telegram.
    assert found is not None and not found.unreachable
    assert [(i.channel, i.unreachable) for i in mine] == [("incell", True), ("telegram", False)]
    await announce(two, staff, "The gym opens at ten.")
    assert any("gym opens at ten" in t for t in two.tg.tg.texts(phone))
    # Writing again on the in-cell channel makes it reachable, and the one used last.
    two.cell.double.unblock(member)
    await two.cell.tg.send(member, "/whoami")
    await announce(two, staff, "The chapel is closed.")
    assert any("chapel is closed" in t for t in two.cell.tg.texts(member))


async def test_start_and_stop_together_with_one_server_down(tmp_path: Path) -> None:
    """The real start: timers, senders and long polling on both channels; the in-cell server
    is down at start, the Telegram channel works, and the in-cell one connects once it is up."""
    two = await make_two_channels(tmp_path, initialize=False, polling=True)
    try:
        two.pull("incell")
        await two.council.start()
        telegram, incell = two.council.running
        assert telegram.health.connected and not incell.health.connected
        user = two.tg.new_user()
        two.tg.double.push_update(two.tg.double.message_update(user, "/start"))
        for _ in range(100):
            if two.tg.double.chat(user):
                break
            await asyncio.sleep(0.05)
        assert "ask staff for an invite code" in (two.tg.double.chat(user)[-1].text or "").lower()
        two.pull("incell", down=False)
        for _ in range(100):  # the background retry finds it (first retry after 1 s)
            if incell.health.connected:
                break
            await asyncio.sleep(0.05)
        assert incell.health.connected and incell.health.up
    finally:
        await two.council.stop()
        await two.db.close()
    assert not any(r.app.running for r in two.council.running)


async def test_forged_and_stale_channel_buttons_change_nothing(two: TwoChannels) -> None:
    staff = await two.tg.join("staff", wing=None)
    family = await two.tg.join("family", wing=None)
    member = await two.cell.join("member", wing="a")
    async with two.db.transaction() as tx:
        record = await people.by_identity(tx, "incell", member)
    assert record is not None
    await two.tg.admin()
    async with two.db.transaction() as tx:
        admin = await people.by_identity(tx, "telegram", ADMIN_ID)
    assert admin is not None
    message = two.tg.double.last(staff)
    assert message is not None
    stale = "This button no longer works. Send /menu to start again."
    presses = {
        pack("invc", "incell"): stale,  # no invite being made
        pack("lnk", record.id, "whatsapp"): stale,  # no such channel
        pack("lnk", admin.id, "telegram"): "This button is not for you.",  # staff cannot
        pack("chn", "incell"): stale,  # not one of the staff member's identities
    }
    for data, answer in presses.items():
        await two.tg.tg.press_data(staff, message.message_id, data)
        assert two.tg.tg.answer_for(staff) == answer, data
    await two.tg.tg.press_data(staff, message.message_id, pack("lnk", 99999, "telegram"))
    assert two.tg.tg.last_text(staff) == "I cannot find anyone with access by that reference."
    # A family member pressing a staff button gets the role refusal and no code.
    family_message = two.tg.double.last(family)
    assert family_message is not None
    await two.tg.tg.press_data(
        family, family_message.message_id, pack("lnk", record.id, "telegram")
    )
    assert two.tg.tg.answer_for(family) is not None
    await two.tg.tg.send(family, f"/link P-{record.id:04d}")
    assert "Code for" not in two.tg.tg.last_text(family)
    rows = await two.tg.rows("SELECT COUNT(*) AS n FROM invite WHERE person_id IS NOT NULL")
    assert rows[0]["n"] == 0
    # Typed references that are not one get the usage line.
    await two.tg.tg.send(staff, "/link Bob")
    assert two.tg.tg.last_text(staff) == "Write the person's reference, like this: /link P-0012"


async def test_my_data_names_every_way_in(two: TwoChannels) -> None:
    member = await two.cell.join("member", wing="a")
    async with two.db.transaction() as tx:
        record = await people.by_identity(tx, "incell", member)
        assert record is not None
        await people.add_identity(tx, record.id, "telegram", 700_000_009, two.clock.now())
    await two.cell.tg.send(member, "/mydata")
    assert "You use the bot on: the in-cell service, Telegram" in two.cell.tg.last_text(member)


async def test_a_notice_is_cut_to_each_channels_longest_message(tmp_path: Path) -> None:
    # A kiosk screen that shows at most 1,000 characters a message.
    incell = replace(INCELL, max_text_length=1000)
    two = await make_two_channels(tmp_path, channels=(TELEGRAM, incell))
    try:
        family = await two.tg.join("family", wing=None)
        member = await two.cell.join("member", wing="a")
        long_text = "word " * 1200  # 6,000 characters
        async with two.db.transaction() as tx:
            for user, channel in ((family, "telegram"), (member, "incell")):
                person = await people.by_identity(tx, channel, user)
                assert person is not None
                await notices.notify(
                    tx,
                    two.clock,
                    key=f"long:{channel}",
                    message="announce.notice",
                    params={"establishment": "HMP Example", "text": long_text},
                    person=person,
                )
        assert await two.deliver() == 2
        on_telegram = two.tg.tg.last_text(family)
        on_cell = two.cell.tg.last_text(member)
        assert len(on_telegram) == 4096 and on_telegram.endswith("…")
        assert len(on_cell) == 1000 and on_cell.endswith("…")
        assert on_cell[:-1] == on_telegram[:999]
    finally:
        await two.close()


async def test_a_refused_token_keeps_that_channel_off_and_the_admin_sees_why(
    tmp_path: Path,
) -> None:
    two = await make_two_channels(tmp_path, initialize=False, tokens={"incell": "999:WRONG"})
    try:
        await two.council.start()  # returns: a refused token does not hold up the others
        telegram, incell = two.council.running
        assert telegram.health.connected and incell.health.refused and not incell.health.connected
        await two.tg.admin()
        await two.tg.tg.send(ADMIN_ID, "/delivery")
        view = two.tg.tg.last_text(ADMIN_ID)
        assert "Telegram: working." in view
        assert "the in-cell service: its token was refused: check the token." in view
    finally:
        await two.council.stop()
        await two.db.close()
