"""Joining, roles, invites, revocation and the one wrapper, end to end through the Bot API double."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.callbacks import pack
from tests.support.harness import ADMIN_ID, Harness, make_harness

STRANGER = "This bot is for the council at HMP Example. Ask staff for an invite code."


async def test_a_stranger_gets_one_polite_sentence_and_nothing_else(h: Harness) -> None:
    user = h.new_user()
    for text in ("/start", "/help", "/menu", "/invite", "hello", "/whoami"):
        shown = await h.tg.send(user, text)
        assert [m.text for m in shown] == [STRANGER], text
        assert all(not m.buttons for m in shown)
    await h.tg.send_photo(user)
    assert h.tg.last_text(user) == STRANGER
    assert await h.rows("SELECT * FROM person") == []


async def test_a_stranger_writing_in_welsh_gets_welsh(h: Harness) -> None:
    user = h.new_user(language_code="cy")
    await h.tg.send(user, "/start")
    assert h.tg.last_text(user).startswith("Mae'r bot hwn ar gyfer y cyngor yn HMP Example.")


async def test_joining_with_a_code_picks_language_and_shows_welcome_and_menu(h: Harness) -> None:
    user = h.new_user()
    code = await h.invite_code("member", "b")
    await h.tg.send(user, f"/start {code}")
    assert "Choose your language." in h.tg.last_text(user)
    assert "Dewiswch eich iaith." in h.tg.last_text(user)
    await h.tg.press(user, "Cymraeg")
    texts = h.tg.texts(user)
    assert any(t.startswith("Croeso i'r cyngor yn HMP Example.") for t in texts)
    assert any("tîm dalfa ddiogelach" in t for t in texts)  # the welcome says safeguarding happens
    assert "Help" in h.tg.buttons(user) and "Iaith" in h.tg.buttons(user)
    person = await h.person(user)
    assert person is not None
    assert (person.role, person.wing, person.language) == ("member", "b", "cy")
    # The member's own command list is set for their chat, in their language.
    assert any(c for c in h.double.commands if str(user) in str(c))


async def test_codes_are_single_use_and_stored_only_as_hashes(h: Harness) -> None:
    code = await h.invite_code("family", None)
    first, second = h.new_user(), h.new_user()
    await h.tg.send(first, f"/start {code}")
    assert (await h.person(first)) is not None
    await h.tg.send(second, f"/start {code}")
    assert "That code does not work." in h.tg.last_text(second)
    assert (await h.person(second)) is None
    # The code itself appears nowhere in the database file.
    await h.db.close()
    with sqlite3.connect(h.settings.database_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                assert code not in " ".join(map(str, row)), table
    h.db = await type(h.db).open(h.settings.database_path)
    h.services.db = h.db


async def test_codes_expire_and_malformed_codes_are_refused(h: Harness) -> None:
    code = await h.invite_code("member", "a")
    h.clock.advance(timedelta(days=7, minutes=1))
    user = h.new_user()
    await h.tg.send(user, f"/start {code}")
    assert "That code does not work." in h.tg.last_text(user)
    # Four wrong tries so far is still under the lockout (five).
    for junk in ("'; DROP TABLE person; --", "Ж" * 300, "0O1IL0O1IL0O"):
        await h.tg.send(user, f"/start {junk}")
        assert "That code does not work." in h.tg.last_text(user)
    assert (await h.person(user)) is None
    assert await h.rows("SELECT * FROM lockout") == []


async def test_codes_are_typed_forgivingly(h: Harness) -> None:
    code = await h.invite_code("member", "a")
    user = h.new_user()
    spaced = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    await h.tg.send(user, f"/start {spaced}")
    assert "Choose your language." in h.tg.last_text(user)


async def test_wrong_codes_lock_out_and_a_restart_does_not_lift_it(tmp_path: Path) -> None:
    h = await make_harness(tmp_path)
    user = h.new_user()
    good = await h.invite_code("member", "a")
    for _ in range(4):
        await h.tg.send(user, "/start ABCDEFGHJKMN")
        assert "That code does not work." in h.tg.last_text(user)
    await h.tg.send(user, "/start ABCDEFGHJKMN")
    assert "Too many wrong codes." in h.tg.last_text(user)
    await h.tg.send(user, f"/start {good}")  # even a good code waits out the lockout
    assert "Too many wrong codes." in h.tg.last_text(user)
    moment = h.clock.now()
    await h.close()

    again = await make_harness(tmp_path)
    again.clock.set(moment + timedelta(minutes=30))
    again.double.user(user)
    await again.tg.send(user, f"/start {good}")
    assert "Too many wrong codes." in again.tg.last_text(user)
    again.clock.advance(timedelta(minutes=31))
    await again.tg.send(user, f"/start {good}")
    assert "Choose your language." in again.tg.last_text(user)
    await again.close()


async def test_the_configured_admin_is_admitted_without_a_code(h: Harness) -> None:
    await h.admin()
    assert h.tg.last_text(ADMIN_ID) == "Choose your language.\nDewiswch eich iaith."
    await h.tg.press(ADMIN_ID, "Cymraeg")
    assert any(t.startswith("Croeso") for t in h.tg.texts(ADMIN_ID))
    await h.tg.send(ADMIN_ID, "/start")
    assert "Croeso" in h.tg.last_text(ADMIN_ID)
    person = await h.person(ADMIN_ID)
    assert person is not None and person.role == "admin"
    assert await h.rows("SELECT action FROM audit_log") == [
        {"action": "admin.admitted_from_config"}
    ]


async def test_staff_invite_members_but_never_admins(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/invite")
    labels = h.tg.buttons(staff)
    assert labels == ["Member", "Chair", "Family member"]
    # A forged "invite an admin" button changes nothing.
    message = h.double.last(staff)
    await h.tg.press_data(staff, message.message_id, pack("inv", "admin"))
    assert h.tg.answer_for(staff) == "This button is not for you."
    await h.tg.press(staff, "Member")
    await h.tg.press(staff, "B wing")
    await h.tg.send(staff, "J. Jones, cell 3-14")
    made = h.tg.last_text(staff)
    assert "Invite code for a member:" in made
    assert "https://t.me/council_test_bot?start=" in made
    invites = await h.rows("SELECT role, wing, label, used_at FROM invite WHERE role = 'member'")
    assert invites == [
        {"role": "member", "wing": "b", "label": "J. Jones, cell 3-14", "used_at": None}
    ]
    audit = await h.rows(
        "SELECT actor_id, detail FROM audit_log WHERE action = 'invite.create' AND actor_id = ?",
        ((await h.person(staff)).id,),
    )
    assert len(audit) == 1 and '"role": "member"' in audit[0]["detail"]
    # The made code really works.
    code = made.split("\n")[1].strip()
    newcomer = h.new_user()
    await h.tg.send(newcomer, f"/start {code}")
    assert "Choose your language." in h.tg.last_text(newcomer)


async def test_admin_may_invite_staff_and_the_label_step_refuses_bad_text(h: Harness) -> None:
    await h.admin()
    await h.tg.send(ADMIN_ID, "/invite")
    assert h.tg.buttons(ADMIN_ID) == [
        "Member",
        "Chair",
        "Family member",
        "Staff",
        "Observer",
        "Admin",
    ]
    await h.tg.press(ADMIN_ID, "Staff")
    await h.tg.send(ADMIN_ID, "x" * 10_000)
    assert h.tg.last_text(ADMIN_ID) == "Please type a short note, up to 60 characters."
    await h.tg.send(ADMIN_ID, "\u200b\u200f   ")
    assert h.tg.last_text(ADMIN_ID) == "Please type a short note, up to 60 characters."
    await h.tg.send_sticker(ADMIN_ID)
    assert h.tg.last_text(ADMIN_ID) == "Please type your answer as words."
    assert await h.rows("SELECT * FROM invite") == []
    await h.tg.press(ADMIN_ID, "Skip")
    assert "Invite code for a staff:" in h.tg.last_text(ADMIN_ID)


async def test_the_invite_flow_survives_a_restart_and_cancel_ends_it(tmp_path: Path) -> None:
    h = await make_harness(tmp_path)
    await h.admin()
    await h.tg.send(ADMIN_ID, "/invite")
    await h.tg.press(ADMIN_ID, "Family member")
    await h.close()
    again = await make_harness(tmp_path)
    again.double.user(ADMIN_ID)
    await again.tg.send(ADMIN_ID, "Mrs Evans")
    assert "Invite code for a family member:" in again.tg.last_text(ADMIN_ID)
    await again.tg.send(ADMIN_ID, "/invite")
    await again.tg.press(ADMIN_ID, "Observer")
    await again.tg.send(ADMIN_ID, "/cancel")
    assert again.tg.last_text(ADMIN_ID) == "Stopped. Nothing was saved."
    await again.tg.send(ADMIN_ID, "Someone")
    assert again.tg.last_text(ADMIN_ID).startswith("I was not waiting for typed words just now")
    assert len(await again.rows("SELECT * FROM invite")) == 1
    await again.close()


async def test_help_shows_only_what_the_role_can_do(h: Harness) -> None:
    member = await h.join("member")
    await h.tg.send(member, "/help")
    member_help = h.tg.last_text(member)
    assert (
        "/whoami" in member_help and "/invite" not in member_help and "/revoke" not in member_help
    )
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/help")
    assert "/invite" in h.tg.last_text(staff) and "/revoke" in h.tg.last_text(staff)


async def test_whoami_and_language_switch(h: Harness) -> None:
    member = await h.join("member", wing="c")
    await h.tg.send(member, "/whoami")
    text = h.tg.last_text(member)
    assert "You are a member of the council at HMP Example." in text and "C wing" in text
    await h.tg.send(member, "/language")
    await h.tg.press(member, "Cymraeg")
    assert "Byddaf yn ysgrifennu atoch chi yn Gymraeg." in h.tg.last_text(member)
    await h.tg.send(member, "/whoami")
    assert "Adain C" in h.tg.last_text(member)


async def test_revoke_with_confirmation_makes_the_person_a_stranger(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = f"P-{(await h.person(member)).id:04d}"
    await h.tg.send(staff, f"/revoke {ref}")
    assert "Remove access for this person?" in h.tg.last_text(staff)
    await h.tg.press(staff, "No, keep")
    assert (await h.person(member)).status == "active"
    await h.tg.send(staff, f"/revoke {ref}")
    await h.tg.press(staff, "Yes, remove")
    assert h.tg.last_text(staff) == f"Done. {ref} no longer has access."
    assert (await h.person(member)).status == "revoked"
    await h.tg.send(member, "/menu")
    assert h.tg.last_text(member) == STRANGER
    # Pressing the stale confirm again (as from a second device) changes nothing and says so.
    confirm = h.double.last(staff)
    await h.tg.press_data(staff, confirm.message_id, pack("rvky", (await h.person(member)).id))
    assert h.tg.last_text(staff) == "That person has no access already."
    audit = await h.rows("SELECT subject FROM audit_log WHERE action = 'person.revoke'")
    assert audit == [{"subject": ref}]


async def test_staff_cannot_revoke_admins_or_themselves(h: Harness) -> None:
    await h.admin()
    staff = await h.join("staff", wing=None)
    admin_ref = f"P-{(await h.person(ADMIN_ID)).id:04d}"
    staff_ref = f"P-{(await h.person(staff)).id:04d}"
    for ref in (admin_ref, staff_ref):
        await h.tg.send(staff, f"/revoke {ref}")
        assert h.tg.last_text(staff) == "You cannot remove that person's access."
    await h.tg.send(staff, "/revoke nobody")
    assert "like this: /revoke P-0012" in h.tg.last_text(staff)


async def test_a_member_pressing_forged_staff_buttons_changes_nothing(h: Harness) -> None:
    member = await h.join("member")
    other = await h.join("member")
    other_id = (await h.person(other)).id
    message = h.double.last(member)
    for data in (
        pack("rvky", other_id),
        pack("inv", "admin"),
        pack("aud", 5),
        "1:rvky:../../etc",
        "garbage",
        "9:rvky:1",
        "",
    ):
        await h.tg.press_data(member, message.message_id, data)
        assert h.tg.answer_for(member) in (
            "This button is not for you.",
            "This button no longer works. Send /menu to start again.",
        ), data
    assert (await h.person(other)).status == "active"
    assert await h.rows("SELECT * FROM invite WHERE role = 'admin'") == []


async def test_concurrent_presses_of_one_revoke_count_once(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    member_id = (await h.person(member)).id
    await h.tg.send(staff, f"/revoke P-{member_id:04d}")
    message = h.double.last(staff)
    await asyncio.gather(
        *(h.tg.press_data(staff, message.message_id, pack("rvky", member_id)) for _ in range(10))
    )
    assert len(await h.rows("SELECT * FROM audit_log WHERE action = 'person.revoke'")) == 1


async def test_in_a_group_the_bot_says_one_line_or_nothing(h: Harness) -> None:
    member = await h.join("member")
    h.double.group(-1001, "Wing chat")
    before = len(h.double.calls)
    await h.tg.send_in_group(-1001, member, "hello everyone")
    assert [c for c in h.double.calls[before:] if c.method == "sendMessage"] == []
    await h.tg.send_in_group(-1001, member, "/help")
    assert h.double.sent_texts(-1001) == ["Please message me privately."]


async def test_the_people_list_pages_and_offers_removal(h: Harness) -> None:
    await h.admin()
    for _ in range(9):
        await h.join("member")
    await h.tg.send(ADMIN_ID, "/people")
    assert "People with access: 10" in h.tg.last_text(ADMIN_ID)
    assert "More »" in h.tg.buttons(ADMIN_ID)
    await h.tg.press(ADMIN_ID, "More »")
    assert h.tg.last_text(ADMIN_ID).count("member") == 2


async def test_audit_log_is_for_admin_and_observer_only(h: Harness) -> None:
    observer = await h.join("observer", wing=None)
    staff = await h.join("staff", wing=None)
    await h.tg.send(observer, "/audit")
    assert "Audit log, newest first:" in h.tg.last_text(observer)
    await h.tg.send(staff, "/audit")
    assert h.tg.last_text(staff) == "Sorry, you cannot do that."


async def test_an_error_gets_a_kind_answer_and_logs_no_secret(
    h: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import logs
    from handlers import access as access_handlers

    redactor = logs.Redactor([h.double.token])
    logging.getLogger().addFilter(redactor)
    caplog.handler.addFilter(redactor)
    caplog.set_level(logging.DEBUG)
    code = await h.invite_code("member", "a")
    user = h.new_user()
    await h.tg.send(user, f"/start {code}")
    await h.tg.press(user, "English")

    async def broken(call: object) -> None:
        raise RuntimeError(f"boom with {code} and {h.double.token}")

    monkeypatch.setattr(access_handlers, "whoami", broken)
    from handlers import COMMAND_BY_NAME, Command

    original = COMMAND_BY_NAME["whoami"]
    COMMAND_BY_NAME["whoami"] = Command(
        "whoami", type(original.spec)(broken, original.spec.roles), None
    )
    try:
        await h.tg.send(user, "/whoami")
    finally:
        COMMAND_BY_NAME["whoami"] = original
    assert h.tg.last_text(user) == "Sorry, something went wrong. Please try again in a minute."
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records)
    assert "boom" in logged  # the error was logged...
    assert code not in logged and h.double.token not in logged  # ...without the secrets
    # Nothing half-done was stored by the failed update.
    assert (await h.person(user)).status == "active"
