"""Staff announcements: audience, text, preview, confirm; through the outbox; in the audit log.
Every hostile path (wrong role, forged or foreign buttons, repeated and concurrent presses,
bad text, a photo) gets a kind answer and changes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from handlers.callbacks import pack
from tests.support.harness import Harness

TEXT = "The gym is closed on Friday. Sorry."


async def _preview(h: Harness, staff: int, audience: str = "Members", text: str = TEXT) -> None:
    await h.tg.send(staff, "/announce")
    assert h.tg.buttons(staff) == ["Members", "Families", "Staff", "Everyone"]
    await h.tg.press(staff, audience)
    assert h.tg.last_text(staff) == "Type the announcement. Keep it short: up to 1000 characters."
    await h.tg.send(staff, text)


async def _draft_id(h: Harness) -> int:
    rows = await h.rows("SELECT id FROM announcement ORDER BY id DESC LIMIT 1")
    return int(rows[0]["id"])


async def test_staff_announce_to_members_in_their_own_language(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    english = await h.join("member")
    welsh = await h.join("member", wing="b", lang="cy")
    family = await h.join("family", wing=None)

    await _preview(h, staff)
    assert h.tg.last_text(staff) == (
        f"This goes to Members. People who will get it: 2.\n\n{TEXT}\n\nSend it?"
    )
    assert h.tg.buttons(staff) == ["Send it", "Do not send"]
    preview = h.double.last(staff)
    assert preview is not None
    await h.tg.press(staff, "Send it")
    assert h.tg.last_text(staff) == "Queued to send. People who will get it: 2."
    replaced = h.double.message(staff, preview.message_id)
    assert replaced is not None and replaced.buttons == []  # no button left to press twice

    keys = [r["key"] for r in await h.rows("SELECT key FROM outbox ORDER BY id")]
    assert len(keys) == 2 and all(k.startswith("announce:") for k in keys)
    audit = await h.rows(
        "SELECT action, subject, detail FROM audit_log WHERE action = ?", ("announce.send",)
    )
    assert len(audit) == 1
    assert json.loads(audit[0]["detail"]) == {"audience": "members", "recipients": 2, "text": TEXT}

    assert await h.deliver() == 2
    assert h.tg.last_text(english) == f"Announcement from HMP Example:\n\n{TEXT}"
    assert h.tg.last_text(welsh) == f"Cyhoeddiad gan HMP Example:\n\n{TEXT}"
    assert TEXT not in "\n".join(h.tg.texts(family))
    announcement = await h.rows("SELECT status, recipients FROM announcement")
    assert announcement == [{"status": "sent", "recipients": 2}]


async def test_repeated_and_concurrent_presses_send_once(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    for _ in range(3):
        await h.join("member")
    await _preview(h, staff)
    draft = await _draft_id(h)
    preview = h.double.last(staff)
    assert preview is not None
    data = pack("anny", draft)
    await asyncio.gather(
        h.tg.press_data(staff, preview.message_id, data),
        h.tg.press_data(staff, preview.message_id, data),
    )
    await h.tg.press_data(staff, preview.message_id, data)
    assert h.tg.last_text(staff) == "This announcement was already sent."
    assert len(await h.rows("SELECT id FROM outbox")) == 3
    assert len(await h.rows("SELECT id FROM audit_log WHERE action = 'announce.send'")) == 1


async def test_cancel_sends_nothing(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.join("member")
    await _preview(h, staff)
    await h.tg.press(staff, "Do not send")
    assert h.tg.last_text(staff) == "Not sent."
    draft = await _draft_id(h)
    preview = h.double.last(staff)
    assert preview is not None
    await h.tg.press_data(staff, preview.message_id, pack("anny", draft))
    assert h.tg.last_text(staff) == "Not sent."
    assert await h.rows("SELECT id FROM outbox") == []


async def test_wrong_role_forged_and_foreign_buttons_change_nothing(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    other_staff = await h.join("staff", wing=None)
    member = await h.join("member")
    await h.tg.send(member, "/announce")
    assert h.tg.last_text(member) == "Sorry, you cannot do that."

    await _preview(h, staff)
    draft = await _draft_id(h)
    mine = h.double.last(staff)
    assert mine is not None
    # A member pressing a staff button, another staff member pressing my draft's button.
    await h.tg.send(member, "/menu")
    their = h.double.last(member)
    assert their is not None
    await h.tg.press_data(member, their.message_id, pack("anny", draft))
    assert h.tg.answer_for(member) == "This button is not for you."
    await h.tg.send(other_staff, "/menu")
    theirs = h.double.last(other_staff)
    assert theirs is not None
    await h.tg.press_data(other_staff, theirs.message_id, pack("anny", draft))
    assert h.tg.answer_for(other_staff) == "This button is not for you."
    # Forged: a draft that does not exist, an audience that does not exist, garbage.
    await h.tg.press_data(staff, mine.message_id, pack("anny", 999))
    assert h.tg.answer_for(staff) == "This button is not for you."
    await h.tg.press_data(staff, mine.message_id, pack("ann", "guards"))
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    await h.tg.press_data(staff, mine.message_id, "1:anny:x")
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    assert await h.rows("SELECT id FROM outbox") == []
    assert await h.rows("SELECT status FROM announcement") == [{"status": "draft"}]


async def test_bad_text_and_photos_get_a_kind_answer_and_the_step_stays(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.join("member")
    await h.tg.send(staff, "/announce")
    await h.tg.press(staff, "Members")
    await h.tg.send(staff, "x" * 1001)
    assert h.tg.last_text(staff) == "That is too long. Please keep it to 1000 characters."
    await h.tg.send(staff, "!!")
    assert (
        h.tg.last_text(staff) == "I cannot send that text. Please type it again with plain words."
    )
    await h.tg.send(staff, "a")
    assert h.tg.last_text(staff) == "That is too short. Please type at least 2 characters."
    await h.tg.send_photo(staff)
    assert h.tg.last_text(staff) == "Please type your answer as words."
    assert await h.rows("SELECT id FROM announcement") == []
    await h.tg.send(staff, "\u200bHello   everyone\u202e")
    assert h.tg.last_text(staff).startswith(
        "This goes to Members. People who will get it: 1.\n\nHello   everyone\n"
    )


async def test_nobody_in_the_audience_and_an_old_preview(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await _preview(h, staff, audience="Families")
    assert h.tg.last_text(staff) == "Nobody is in that audience yet. Nothing was sent."
    await h.join("member")
    await _preview(h, staff)
    h.clock.advance(timedelta(hours=25))
    await h.tg.press(staff, "Send it")
    assert h.tg.last_text(staff) == "This preview is out of date. Send /announce to start again."
    assert await h.rows("SELECT id FROM outbox") == []


async def test_everyone_reaches_all_roles_but_not_the_author(h: Harness) -> None:
    admin = await h.admin()
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    family = await h.join("family", wing=None)
    observer = await h.join("observer", wing=None)
    await _preview(h, staff, audience="Everyone")
    assert "People who will get it: 4." in h.tg.last_text(staff)
    await h.tg.press(staff, "Send it")
    assert await h.deliver() == 4
    for user in (admin, member, family, observer):
        assert h.tg.last_text(user) == f"Announcement from HMP Example:\n\n{TEXT}"
    assert f"Announcement from HMP Example:\n\n{TEXT}" not in h.tg.texts(staff)
