"""The menu: council work first and "me" last; staff and admin see sections first."""

from __future__ import annotations

import handlers
from handlers.callbacks import pack
from tests.support.harness import ADMIN_ID, Harness


def test_every_menu_command_is_in_exactly_one_section() -> None:
    placed = [name for _, names in handlers.MENU_SECTIONS for name in names]
    assert len(placed) == len(set(placed))
    on_menu = {c.name for c in handlers.COMMANDS if c.menu_id}
    assert on_menu == set(placed), on_menu ^ set(placed)


async def test_a_member_sees_one_flat_menu_with_help_last(h: Harness) -> None:
    member = await h.join("member")
    await h.tg.send(member, "/menu")
    labels = h.tg.buttons(member)
    assert labels[0] == "Raise an issue"
    assert labels[-4:] == ["About me", "My data", "Language", "Help"]
    assert "Invite someone" not in labels and "Issues" not in labels


async def test_staff_see_sections_then_the_section_then_back(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/menu")
    assert h.tg.buttons(staff) == [
        "Issues",
        "Meetings",
        "Polls and consultations",
        "Outcomes and reports",
        "Peer schemes",
        "People and access",
        "About me and help",
    ]
    await h.tg.press(staff, "People and access")
    assert h.tg.buttons(staff) == ["Invite someone", "People", "« Menu"]
    await h.tg.press(staff, "Invite someone")
    assert h.tg.last_text(staff) == "Who is the code for?"
    await h.tg.send(staff, "/menu")
    await h.tg.press(staff, "People and access")
    await h.tg.press(staff, "« Menu")
    assert "Issues" in h.tg.buttons(staff)


async def test_the_admin_sections_hold_admin_only_entries(h: Harness) -> None:
    await h.admin()
    await h.tg.send(ADMIN_ID, "/menu")
    await h.tg.press(ADMIN_ID, "People and access")
    assert h.tg.buttons(ADMIN_ID) == [
        "Invite someone",
        "People",
        "Safer custody",
        "Audit log",
        "Delivery",
        "« Menu",
    ]


async def test_forged_sections_and_menu_entries_are_refused(h: Harness) -> None:
    member = await h.join("member")
    message = h.double.last(member)
    await h.tg.press_data(member, message.message_id, pack("mgrp", "people"))
    assert h.tg.answer_for(member) == "This button no longer works. Send /menu to start again."
    await h.tg.press_data(member, message.message_id, pack("menu", "invite"))
    assert h.tg.answer_for(member) == "This button is not for you."
    assert await h.rows("SELECT * FROM invite WHERE created_by IS NOT NULL") == []
