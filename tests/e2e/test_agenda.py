"""Raising, following and supporting agenda items, end to end through the Bot API double."""

from __future__ import annotations

import asyncio
from pathlib import Path

from handlers.callbacks import pack
from tests.support.agenda import ISSUE, accept, answer_now, item_id, raise_item, ref_in, status_of
from tests.support.harness import Harness, make_harness

HIDE = "Keep my name hidden from them"
SHOW = "Staff and the chair may see my name"


async def test_a_member_raises_an_item_and_gets_a_reference(h: Harness) -> None:
    member = await h.join("member", wing="b")
    await h.tg.send(member, "/raise")
    assert h.tg.last_text(member) == "What is your issue about?"
    assert "A complaint about a person" in h.tg.buttons(member)
    await h.tg.press(member, "Visits")
    assert h.tg.last_text(member) == "Which wing is it about?"
    await h.tg.press(member, "B wing")
    assert "Type your issue in your own words. Use 10 to 1000 characters." in h.tg.last_text(member)
    await h.tg.send(member, "  Visits start late on Saturdays, so families lose time.  ")
    assert h.tg.buttons(member) == [SHOW, HIDE, "Cancel"]
    await h.tg.press(member, HIDE)
    summary = h.tg.last_text(member)
    assert "Topic: Visits" in summary and "Wing: B wing" in summary
    assert "Your name: hidden from staff and the chair" in summary
    assert "Visits start late on Saturdays, so families lose time." in summary
    assert h.tg.buttons(member) == ["Confirm", "Change something", "Cancel"]
    await h.tg.press(member, "Confirm")
    done = h.tg.last_text(member)
    assert done.startswith("Thank you. Your issue is A-0001.")
    assert "You will get a message each time its status changes." in done

    rows = await h.rows("SELECT * FROM agenda_item")
    person = await h.person(member)
    assert person is not None
    assert len(rows) == 1
    row = rows[0]
    assert (row["topic"], row["wing"], row["status"], row["name_hidden"]) == (
        "visits",
        "b",
        "new",
        1,
    )
    assert row["text"] == "Visits start late on Saturdays, so families lose time."
    assert row["submitter_id"] == person.id and row["keyed_in"] == 0
    assert await h.rows("SELECT * FROM conversation") == []
    # Raising is the member's own act: it is not in the staff audit log (which would name them).
    assert await h.rows("SELECT * FROM audit_log WHERE subject = 'A-0001'") == []


async def test_a_half_written_item_survives_a_restart(tmp_path: Path) -> None:
    first = await make_harness(tmp_path)
    try:
        member = await first.join("member")
        await first.tg.send(member, "/raise")
        await first.tg.press(member, "Healthcare")
        await first.tg.press(member, "C wing")
    finally:
        await first.close()

    second = await make_harness(tmp_path)  # the same database file: a restarted bot
    try:
        second.double.user(member)
        await second.tg.send(member, "The nurse comes to C wing only once a week now.")
        assert second.tg.buttons(member) == [SHOW, HIDE, "Cancel"]
        await second.tg.press(member, SHOW)
        assert "Topic: Healthcare" in second.tg.last_text(member)
        assert "Wing: C wing" in second.tg.last_text(member)
        await second.tg.press(member, "Confirm")
        assert ref_in(second.tg.last_text(member)) == "A-0001"
        rows = await second.rows("SELECT topic, wing, status FROM agenda_item")
        assert rows == [{"topic": "healthcare", "wing": "c", "status": "new"}]
    finally:
        await second.close()


async def test_cancel_ends_the_flow_at_every_step(h: Harness) -> None:
    member = await h.join("member")
    steps = [
        [],
        ["Food"],
        ["Food", "A wing"],
        ["Food", "A wing", ISSUE],
        ["Food", "A wing", ISSUE, SHOW],
    ]
    for done in steps:
        await h.tg.send(member, "/raise")
        for step in done:
            if step == ISSUE:
                await h.tg.send(member, step)
            else:
                await h.tg.press(member, step)
        await h.tg.send(member, "/cancel")
        assert h.tg.last_text(member) == "Stopped. Nothing was saved.", done
        assert await h.rows("SELECT * FROM conversation") == []
    # The Cancel button works as well as /cancel.
    await h.tg.send(member, "/raise")
    await h.tg.press(member, "Cancel")
    assert h.tg.last_text(member) == "Stopped. Nothing was saved."
    assert await h.rows("SELECT * FROM agenda_item") == []


async def test_a_complaint_about_a_person_explains_the_route_and_creates_nothing(
    h: Harness,
) -> None:
    member = await h.join("member")
    await h.tg.send(member, "/raise")
    await h.tg.press(member, "A complaint about a person")
    text = h.tg.last_text(member)
    assert "It cannot deal with a complaint about a person." in text
    assert "Use a COMP1 form." in text
    welsh = await h.join("member", lang="cy")
    await h.tg.send(welsh, "/raise")
    await h.tg.press(welsh, "Cwyn am berson")
    assert "Defnyddiwch ffurflen COMP1." in h.tg.last_text(welsh)
    assert await h.rows("SELECT * FROM agenda_item") == []
    assert await h.rows("SELECT * FROM conversation") == []


async def _at_text_step(h: Harness, member: int) -> None:
    await h.tg.send(member, "/raise")
    await h.tg.press(member, "Food")
    await h.tg.press(member, "A wing")


async def test_bad_text_gets_a_kind_answer_and_another_try(h: Harness) -> None:
    member = await h.join("member")
    await _at_text_step(h, member)
    cases = {
        "too short": "That is a bit short. Please use at least 10 characters",
        "x" * 1001: "That is too long: 1001 characters. Please use 1000 characters or fewer",
        "😀😀😀😀😀😀😀😀😀😀😀": "not only symbols",
        "\u200b\u200c\u200d\u2060\ufeff": "Please type your issue in words.",
        "!!!??? ... ---": "not only symbols",
    }
    for text, expected in cases.items():
        await h.tg.send(member, text)
        assert expected in h.tg.last_text(member), text
    await h.tg.send_photo(member)
    assert h.tg.last_text(member) == "Please type your answer as words."
    await h.tg.send_sticker(member)
    assert h.tg.last_text(member) == "Please type your answer as words."
    assert await h.rows("SELECT * FROM agenda_item") == []
    state = await h.rows("SELECT flow, step FROM conversation")
    assert state == [{"flow": "raise", "step": "text"}]
    # Exactly 1,000 characters is fine.
    await h.tg.send(member, "y" * 1000)
    await h.tg.press(member, SHOW)
    await h.tg.press(member, "Confirm")
    rows = await h.rows("SELECT length(text) AS n FROM agenda_item")
    assert rows == [{"n": 1000}]


async def test_invisible_and_direction_characters_are_removed(h: Harness) -> None:
    member = await h.join("member")
    await _at_text_step(h, member)
    await h.tg.send(member, "\u200f\u200bThe canteen\u202e menu is\u2066 too small\u2069")
    await h.tg.press(member, SHOW)
    assert "\nThe canteen menu is too small" in h.tg.last_text(member)
    await h.tg.press(member, "Confirm")
    rows = await h.rows("SELECT text FROM agenda_item")
    assert rows == [{"text": "The canteen menu is too small"}]


async def test_html_and_markdown_show_literally_everywhere(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    text = "<b>Cold</b> showers & *hot* _water_ [link](http://x.y) `code` </i>"
    await _at_text_step(h, member)
    await h.tg.send(member, text)
    await h.tg.press(member, SHOW)
    summary = h.double.last(member)
    assert summary is not None and text in summary.text and summary.entities == []
    await h.tg.press(member, "Confirm")
    await h.tg.send(staff, "/triage")
    view = h.double.last(staff)
    assert view is not None and text in view.text and view.entities == []
    rows = await h.rows("SELECT text FROM agenda_item")
    assert rows == [{"text": text}]


async def test_the_summary_can_be_edited_before_confirming(h: Harness) -> None:
    member = await h.join("member")
    await _at_text_step(h, member)
    await h.tg.send(member, ISSUE)
    await h.tg.press(member, HIDE)
    await h.tg.press(member, "Change something")
    assert h.tg.buttons(member) == [
        "Topic",
        "Wing",
        "Words",
        "Name choice",
        "« Back to the summary",
    ]
    await h.tg.press(member, "Wing")
    await h.tg.press(member, "C wing")
    assert "Wing: C wing" in h.tg.last_text(member)
    await h.tg.press(member, "Change something")
    await h.tg.press(member, "Words")
    await h.tg.send(member, "The hot water on C wing runs out by seven.")
    summary = h.tg.last_text(member)
    assert "The hot water on C wing runs out by seven." in summary
    assert "Your name: hidden from staff and the chair" in summary  # the other answers are kept
    await h.tg.press(member, "Confirm")
    rows = await h.rows("SELECT wing, text, name_hidden FROM agenda_item")
    assert rows == [
        {"wing": "c", "text": "The hot water on C wing runs out by seven.", "name_hidden": 1}
    ]


async def test_confirm_twice_or_at_once_makes_one_item(h: Harness) -> None:
    member = await h.join("member")
    await _at_text_step(h, member)
    await h.tg.send(member, ISSUE)
    await h.tg.press(member, SHOW)
    summary = h.double.last(member)
    assert summary is not None
    await asyncio.gather(
        h.tg.press_data(member, summary.message_id, pack("arc")),
        h.tg.press_data(member, summary.message_id, pack("arc")),
    )
    await h.tg.press_data(member, summary.message_id, pack("arc"))
    assert h.tg.answer_for(member) == "This button no longer works. Send /menu to start again."
    assert len(await h.rows("SELECT id FROM agenda_item")) == 1


async def test_typing_while_a_button_is_expected_gets_a_reminder(h: Harness) -> None:
    member = await h.join("member")
    await h.tg.send(member, "/raise")
    await h.tg.send(member, "food please")
    assert h.tg.last_text(member) == "Please use the buttons above. Send /cancel to stop."


async def test_other_roles_cannot_raise_and_forged_raise_buttons_do_nothing(h: Harness) -> None:
    family = await h.join("family", wing=None)
    await h.tg.send(family, "/raise")
    assert h.tg.last_text(family) == "Sorry, you cannot do that."
    member = await h.join("member")
    await h.tg.send(member, "/menu")
    menu = h.double.last(member)
    assert menu is not None and "Raise an issue" in menu.labels
    for data in (pack("art", "food"), pack("arc"), pack("arn", "hide"), pack("art", "nonsense")):
        await h.tg.press_data(member, menu.message_id, data)
        assert "no longer works" in (h.tg.answer_for(member) or "")
    await h.tg.send(family, "/menu")
    family_menu = h.double.last(family)
    assert family_menu is not None
    await h.tg.press_data(family, family_menu.message_id, pack("arc"))
    assert h.tg.answer_for(family) == "This button is not for you."
    assert await h.rows("SELECT * FROM agenda_item") == []


async def test_my_items_lists_only_my_own_items_with_status_and_answer(h: Harness) -> None:
    member = await h.join("member")
    other = await h.join("member")
    staff = await h.join("staff", wing=None)
    await h.tg.send(member, "/myitems")
    assert h.tg.last_text(member) == "You have not raised any issues yet."
    refs = [await raise_item(h, member, f"{ISSUE} Number {n}.") for n in range(7)]
    theirs = await raise_item(h, other, "The gym is closed on B wing every evening.")
    await h.tg.send(staff, f"/triage {refs[-1]}")
    await answer_now(h, staff, "The boiler is fixed on Friday.")

    await h.tg.send(member, "/myitems")
    page = h.tg.last_text(member)
    assert page.startswith("Your issues, newest first:")
    assert refs[-1] in page and "Answer: The boiler is fixed on Friday." in page
    assert "Status: Partly resolved." in page and "Status: New. Waiting to be read." in page
    assert theirs not in page and refs[0] not in page  # five a page, newest first
    await h.tg.press(member, "More »")
    assert refs[0] in h.tg.last_text(member)
    assert theirs not in h.tg.last_text(member)


async def test_guessing_another_members_reference_shows_nothing_private(h: Harness) -> None:
    owner = await h.join("member")
    guesser = await h.join("member", wing="b")
    staff = await h.join("staff", wing=None)
    await h.tg.send(owner, "/raise")
    ref = await raise_item(h, owner, "The library trolley never reaches B wing.", hide=True)
    declined = await raise_item(h, owner, "I want a transfer to another prison soon.")
    for command in ("/browse", "/myitems"):
        for guess in (ref, declined, "A-9999", "A-0000", "junk", "'; DROP TABLE x; --"):
            await h.tg.send(guesser, f"{command} {guess}")
            assert h.tg.last_text(guesser) == (
                "I cannot find an issue you can see with that reference."
            ), (command, guess)
    await accept(h, staff, ref)
    await h.tg.send(staff, f"/triage {declined}")
    await h.tg.press(staff, "Decline")
    await h.tg.send(staff, "This is a personal matter. Please see your offender manager.")

    await h.tg.send(guesser, f"/browse {ref}")
    seen = h.tg.last_text(guesser)
    assert "The library trolley never reaches B wing." in seen
    assert "Status: Accepted." in seen
    owner_row = await h.person(owner)
    assert owner_row is not None
    assert "From" not in seen and f"P-{owner_row.id:04d}" not in seen and "test" not in seen
    assert f"Support {ref}" in h.tg.buttons(guesser)
    await h.tg.send(guesser, f"/myitems {declined}")
    assert h.tg.last_text(guesser) == "I cannot find an issue you can see with that reference."
    # The owner sees their own declined item in full, with the reason.
    await h.tg.send(owner, f"/myitems {declined}")
    assert "Reason: This is a personal matter." in h.tg.last_text(owner)


async def test_browse_and_support_once(h: Harness) -> None:
    owner = await h.join("member")
    fan = await h.join("member")
    far = await h.join("member", wing="c")
    staff = await h.join("staff", wing=None)
    first = await raise_item(h, owner, "The canteen sheet arrives too late to order.")
    second = await raise_item(h, owner, "Education has no Welsh classes this term.", wing="B wing")
    unseen = await raise_item(h, owner, "This one is still new and unpublished.")
    await accept(h, staff, first)
    await accept(h, staff, second)

    await h.tg.send(fan, "/browse")
    page = h.tg.last_text(fan)
    assert page.startswith("Issues open for support: A wing, newest first.")
    assert first in page and second not in page and unseen not in page
    await h.tg.press(fan, "All wings")
    page = h.tg.last_text(fan)
    assert "all wings" in page and first in page and second in page and unseen not in page
    assert page.index(second) < page.index(first)  # newest first
    await h.tg.press(fan, f"Support {first}")
    assert h.tg.answer_for(fan) == "Thank you. Your support is counted."
    assert "Supporters: 1 (you support this)" in h.tg.last_text(fan)
    assert f"Support {first}" not in h.tg.buttons(fan)
    await h.tg.press(fan, "Most supported")
    assert h.tg.last_text(fan).index(first) < h.tg.last_text(fan).index(second)

    # A second press (an old button) says so and changes nothing.
    browse = h.double.last(fan)
    assert browse is not None
    await h.tg.press_data(fan, browse.message_id, pack("asp", item_id(first), "a", "n", 0))
    assert h.tg.answer_for(fan) == "You already support this issue."
    await h.tg.send(owner, "/browse")
    assert "(your issue)" in h.tg.last_text(owner)
    own = h.double.last(owner)
    assert own is not None
    await h.tg.press_data(owner, own.message_id, pack("asp", item_id(first), "w", "n", 0))
    assert h.tg.answer_for(owner) == "This is your own issue."
    await h.tg.press_data(owner, own.message_id, pack("asp", item_id(unseen), "w", "n", 0))
    assert h.tg.answer_for(owner) == "I cannot find that issue."
    await h.tg.send(far, "/browse")
    assert "There are no issues to show here yet." in h.tg.last_text(far)

    rows = await h.rows("SELECT id, support_count FROM agenda_item ORDER BY id")
    assert [r["support_count"] for r in rows] == [1, 0, 0]
    assert len(await h.rows("SELECT * FROM agenda_support")) == 1


async def test_concurrent_support_presses_count_exactly(h: Harness) -> None:
    owner = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner)
    await accept(h, staff, ref)
    members = [await h.join("member", wing="b") for _ in range(8)]
    pages: dict[int, int] = {}
    for member in members:
        await h.tg.send(member, f"/browse {ref}")
        shown = h.double.last(member)
        assert shown is not None
        pages[member] = shown.message_id
    data = pack("asp", item_id(ref))
    presses = [h.tg.press_data(m, pages[m], data) for m in members]
    presses += [h.tg.press_data(m, pages[m], data) for m in members[:3]]  # pressed twice at once
    await asyncio.gather(*presses)
    rows = await h.rows("SELECT support_count FROM agenda_item WHERE id = ?", (item_id(ref),))
    assert rows == [{"support_count": 8}]
    supports = await h.rows("SELECT COUNT(*) AS n FROM agenda_support")
    assert supports == [{"n": 8}]


async def test_family_and_staff_cannot_browse_or_support(h: Harness) -> None:
    family = await h.join("family", wing=None)
    owner = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner)
    await accept(h, staff, ref)
    for user in (family, staff):
        await h.tg.send(user, "/browse")
        assert h.tg.last_text(user) == "Sorry, you cannot do that."
        await h.tg.send(user, "/menu")
        menu = h.double.last(user)
        assert menu is not None
        await h.tg.press_data(user, menu.message_id, pack("asp", item_id(ref)))
        assert h.tg.answer_for(user) == "This button is not for you."
    assert await h.rows("SELECT * FROM agenda_support") == []


async def test_safeguarding_words_in_an_item_alert_with_its_reference(h: Harness) -> None:
    from tests.support.safety import make_contact

    contact = await make_contact(h)
    member = await h.join("member")
    await _at_text_step(h, member)
    words = "The food is so bad some days I want to end it all."
    shown = await h.tg.send(member, words)
    texts = [m.text for m in shown]
    assert any("Samaritans" in t for t in texts)  # the kind reply comes at once
    await h.tg.press(member, HIDE)
    await h.tg.press(member, "Confirm")
    ref = ref_in(h.tg.last_text(member))
    await h.deliver()
    alerts = h.tg.texts(contact)
    assert any("Safer custody alert." in t for t in alerts)
    assert any(ref in t and "A wing" in t for t in alerts)
    assert not any(words in t or "food is so bad" in t for t in alerts)
    assert await status_of(h, ref) == "new"  # the item is still made; staff see it as usual


def test_every_answer_of_the_agenda_has_its_sentence() -> None:
    # The ids come from the enums (matched exhaustively), so the catalogue test cannot see them.
    from bot import i18n
    from handlers import agenda as agenda_handlers
    from handlers import outcomes as outcome_handlers
    from handlers import triage as triage_handlers

    ids = [
        *agenda_handlers._SUPPORTED.values(),
        *triage_handlers._WRONG_TARGET.values(),
        *triage_handlers._TYPE_PROMPT.values(),
        *outcome_handlers._REFUSED.values(),
    ]
    assert ids and all(i18n.has(i) for i in ids), [i for i in ids if not i18n.has(i)]


async def test_forged_agenda_buttons_are_stale_and_change_nothing(h: Harness) -> None:
    # The typed buttons (bot/council/agenda_buttons.py) are parsed once, in the wrapper.
    owner, fan = await h.join("member"), await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner, ISSUE)
    await accept(h, staff, ref)
    await h.tg.send(fan, "/browse")
    page = h.double.last(fan)
    assert page is not None
    stale = "This button no longer works. Send /menu to start again."
    for forged in (
        f"1:asp:{item_id(ref)}:x:s:0",  # a scope that is neither "w" nor "a"
        f"1:asp:{item_id(ref)}:w:s:0:9",  # one part too many
        "1:asp:-:w:s:0",
        "1:abr:w:z:0",
        "1:abr:w:n",
        "1:amy:x",
        "1:arn:maybe",
        "1:arf:everything",
    ):
        await h.tg.press_data(fan, page.message_id, forged)
        assert h.tg.answer_for(fan) == stale, forged
    assert await h.rows("SELECT * FROM agenda_support") == []
    # The short form (an item shown by reference) and the long form (on a browse page) are one
    # kind: both count the support once.
    await h.tg.press_data(fan, page.message_id, pack("asp", item_id(ref)))
    await h.tg.press_data(fan, page.message_id, pack("asp", item_id(ref), "w", "n", 0))
    assert len(await h.rows("SELECT * FROM agenda_support")) == 1


def test_every_status_kind_and_text_problem_has_its_sentence() -> None:
    # These ids are built from a status, a kind or a problem word (handlers/items.py): the
    # catalogue test skips them, so they are checked here against every value the council has.
    from bot import i18n
    from bot.council import agenda as rules
    from bot.council import outcomes
    from bot.council.agenda_flows import RaiseStep
    from bot.council.triage import Writer

    ids = [f"agenda.status.{s}" for s in rules.STATUSES]
    ids += [f"reader.status_staff.{s}" for s in rules.STATUSES]
    ids += [f"outcomes.kind.{k}" for k in outcomes.KINDS]
    ids += [f"outcomes.notice.{k}" for k in outcomes.KINDS]
    ids += [f"agenda.by.{w}" for w in Writer]
    ids += [f"agenda.raise.change_{f}" for f in RaiseStep if f not in ("confirm",)]
    problems = ("empty", "too_short", "too_long", "no_words")
    ids += [f"agenda.text.{p}" for p in problems] + [f"agenda.note.{p}" for p in problems]
    ids += [f"outcomes.problem.{p}" for p in problems]
    assert [i for i in ids if not i18n.has(i)] == []
