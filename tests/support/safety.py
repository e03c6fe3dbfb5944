"""Shared steps for tests that need a safer-custody contact."""

from __future__ import annotations

from bot.council.access import person_ref
from tests.support.harness import Harness


async def make_contact(h: Harness) -> int:
    """A staff member joins and the admin flags them with /safercustody; returns their user id."""
    admin = await h.admin()
    staff = await h.join("staff", wing=None)
    person = await h.person(staff)
    assert person is not None
    await h.tg.send(admin, f"/safercustody {person_ref(person.id)}")
    assert "is now a safer-custody contact" in h.tg.last_text(admin), h.tg.last_text(admin)
    return staff
