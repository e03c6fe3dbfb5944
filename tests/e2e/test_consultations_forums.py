"""Family forums are meetings with a family audience (docs/MEETINGS.md): families get the notice,
answer, and are reminded like members; they never see who else comes; a family member who
leaves gets nothing more."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.test_meetings import STARTS, fire_and_deliver, reminders, schedule
from tests.support.harness import Harness


async def test_families_answer_and_are_reminded_of_a_family_forum(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family, other = await h.join("family", wing=None), await h.join("family", wing=None)
    leaver = await h.join("family", wing=None)
    member = await h.join("member", wing="a")
    await schedule(
        h, staff, kind="Family forum", title="Family forum", audience="Families", wing=None
    )
    await h.deliver()
    for user in (family, other, leaver):
        assert h.tg.last_text(user).startswith("New Family forum: Family forum")
        assert h.tg.buttons(user) == ["Going", "Can't go", "Not sure"]
    assert not any("Family forum" in t for t in h.tg.texts(member))
    await h.tg.press(family, "Going")
    await h.tg.press(other, "Going")
    # The one who leaves gets no reminder: nothing is queued to someone who left.
    await h.tg.send(leaver, "/leave")
    await h.tg.press(leaver, "Yes, leave")

    h.clock.set(STARTS - timedelta(days=7))
    assert await fire_and_deliver(h) == {"fired": 1}
    assert len(reminders(h, family)) == 1 and len(reminders(h, other)) == 1
    assert reminders(h, leaver) == []
    # A family member sees the forum, never who else is coming.
    other_person = await h.person(other)
    assert other_person is not None
    await h.tg.send(family, "/meetings")
    for text in h.tg.texts(family):
        assert f"P-{other_person.id:04d}" not in text
