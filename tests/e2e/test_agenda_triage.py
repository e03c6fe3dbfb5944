"""Triage by staff and the chair, hidden names, assisted entry, and the notices members get."""

from __future__ import annotations

import asyncio
import json

from handlers.callbacks import pack
from tests.support.agenda import (
    ISSUE,
    accept,
    answer_now,
    item_id,
    raise_item,
    ref_in,
    status_of,
)
from tests.support.harness import Harness

HANDLED = "Someone already dealt with this issue."


async def _ref_of(h: Harness, user: int) -> str:
    person = await h.person(user)
    assert person is not None
    return f"P-{person.id:04d}"


async def test_triage_shows_the_oldest_new_item_first_and_skips(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/triage")
    assert h.tg.last_text(staff) == "There are no new issues to sort. Well done."
    first = await raise_item(h, member, "First: the laundry loses socks every week.")
    second = await raise_item(h, member, "Second: the kettle on A wing is broken.")
    await h.tg.send(staff, "/triage")
    view = h.tg.last_text(staff)
    assert view.startswith("New issues waiting: 2")
    assert first in view and "Raised: Monday 2 November 2026, 10:00" in view
    assert h.tg.buttons(staff) == [
        "Accept for a meeting",
        "Answer now",
        "Decline",
        "Join with another",
        "Ask for more information",
        "Skip »",
    ]
    await h.tg.press(staff, "Skip »")
    assert second in h.tg.last_text(staff)
    await h.tg.press(staff, "Skip »")  # past the end: back to the oldest
    assert first in h.tg.last_text(staff)


async def test_accept_tells_the_member_in_their_language_and_is_audited(h: Harness) -> None:
    member = await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member, topic="Bwyd", wing="Adain A", hide=True, lang="cy")
    await h.tg.send(staff, "/triage")
    await h.tg.press(staff, "Accept for a meeting")
    texts = h.tg.texts(staff)
    assert f"Done. {ref} is accepted and waits for a meeting. The member will be told." in texts
    assert h.tg.last_text(staff) == "There are no new issues to sort. Well done."
    assert await status_of(h, ref) == "accepted"
    audit = await h.rows("SELECT actor_role, action, subject, detail FROM audit_log")
    accepted = [a for a in audit if a["action"] == "agenda.accept"]
    assert len(accepted) == 1 and accepted[0]["subject"] == ref
    assert json.loads(accepted[0]["detail"]) == {"from": "new", "to": "accepted"}
    assert await h.deliver() == 1
    notice = h.tg.last_text(member)
    assert notice.startswith(f"Newyddion da. Mae eich mater {ref} (Bwyd) wedi'i dderbyn.")
    await h.tg.send(member, "/myitems")
    assert "Wedi'i dderbyn. Yn aros am gyfarfod o'r cyngor." in h.tg.last_text(member)


async def test_answer_directly_becomes_the_outcome(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await h.tg.send(staff, "/triage")
    await h.tg.press(staff, "Answer now")
    # "Answer now" posts an outcome through bot.council.outcomes: kind, text, confirm.
    await h.tg.press(staff, "Partly resolved")
    assert h.tg.last_text(staff).startswith(f"{ref}: Partly resolved.\nType the outcome")
    await h.tg.send(staff, "x")
    assert h.tg.last_text(staff) == "That is too short. Please type a little more."
    await h.tg.send(staff, "The boiler is <b>fixed</b> on Friday.")
    await h.tg.press(staff, "Post it")
    assert h.tg.last_text(staff).startswith(
        f"Done. The outcome of {ref} is posted: Partly resolved."
    )
    rows = await h.rows("SELECT status, answer FROM agenda_item")
    assert rows == [{"status": "answered", "answer": "The boiler is <b>fixed</b> on Friday."}]
    await h.deliver()
    notice = h.double.last(member)
    assert notice is not None and notice.entities == []
    assert notice.text == (
        f"There is an outcome.\nYour issue {ref} (Food): partly resolved.\n"
        "The boiler is <b>fixed</b> on Friday."
    )


async def test_decline_with_a_reason_the_member_reads(h: Harness) -> None:
    member = await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await h.tg.send(staff, "/triage")
    await h.tg.press(staff, "Decline")
    await h.tg.send(staff, "x" * 1001)
    assert "That is too long: 1001 characters." in h.tg.last_text(staff)
    await h.tg.send(staff, "The showers are being replaced next month already.")
    await h.deliver()
    assert h.tg.last_text(member) == (
        f"Your issue {ref} (Food) was not taken forward. The reason:\n"
        "The showers are being replaced next month already."
    )
    assert await status_of(h, ref) == "declined"
    audit = await h.rows("SELECT action FROM audit_log WHERE subject = ?", (ref,))
    assert [a["action"] for a in audit] == ["agenda.decline"]


async def test_ask_for_more_information_and_the_reply_returns_to_the_queue(h: Harness) -> None:
    member = await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member, topic="Bwyd", wing="Adain A", lang="cy")
    await h.tg.send(staff, "/triage")
    await h.tg.press(staff, "Ask for more information")
    await h.tg.send(staff, "Which landing, and since when?")
    assert f"Done. Your question about {ref} is on its way to the member." in h.tg.texts(staff)
    assert h.tg.last_text(staff) == "There are no new issues to sort. Well done."
    assert await status_of(h, ref) == "needs_info"
    await h.deliver()
    assert "Which landing, and since when?" in h.tg.last_text(member)
    assert h.tg.buttons(member) == ["Ateb"]
    await h.tg.press(member, "Ateb")
    assert "Which landing, and since when?" in h.tg.last_text(member)
    await h.tg.send_photo(member)
    assert await status_of(h, ref) == "needs_info"
    await h.tg.send(member, "Landing 3, since October.")
    assert h.tg.last_text(member).startswith(f"Diolch. Mae eich ateb wedi'i ychwanegu at {ref}.")
    assert await status_of(h, ref) == "new"
    await h.tg.press(member, "Ateb")  # the old button again: answered, not obeyed
    assert h.tg.answer_for(member) == "Nid yw'r mater hwn yn aros am ateb mwyach."
    await h.tg.send(staff, "/triage")
    view = h.tg.last_text(staff)
    assert "Staff asked: Which landing, and since when?" in view
    assert "Reply: Landing 3, since October." in view
    rows = await h.rows("SELECT info_question, info_reply FROM agenda_item")
    assert rows == [
        {
            "info_question": "Which landing, and since when?",
            "info_reply": "Landing 3, since October.",
        }
    ]


async def test_two_staff_at_once_one_wins_the_other_is_told(h: Harness) -> None:
    member = await h.join("member")
    one = await h.join("staff", wing=None)
    two = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    views = {}
    for staff in (one, two):
        await h.tg.send(staff, "/triage")
        shown = h.double.last(staff)
        assert shown is not None
        views[staff] = shown
    accept_data = views[one].button("Accept for a meeting")
    assert accept_data is not None and accept_data.callback_data is not None
    await asyncio.gather(
        h.tg.press_data(one, views[one].message_id, accept_data.callback_data),
        h.tg.press_data(two, views[two].message_id, accept_data.callback_data),
    )
    said = [*h.tg.texts(one), *h.tg.texts(two)]
    assert sum(f"Done. {ref} is accepted" in t for t in said) == 1
    assert sum(f"{ref} was already dealt with by someone else." in t for t in said) == 1
    assert HANDLED in (h.tg.answer_for(one), h.tg.answer_for(two))
    assert len(await h.rows("SELECT * FROM audit_log WHERE action = 'agenda.accept'")) == 1
    assert len(await h.rows("SELECT * FROM outbox WHERE key LIKE 'agenda:%'")) == 1

    # One starts typing a reason; the other accepts meanwhile; the typed reason loses.
    second = await raise_item(h, member, "The phones on B wing are always queued.")
    await h.tg.send(one, f"/triage {second}")
    await h.tg.press(one, "Decline")
    await h.tg.send(two, f"/triage {second}")
    await h.tg.press(two, "Accept for a meeting")
    await h.tg.send(one, "Not something the council can change.")
    assert f"{second} was already dealt with by someone else. Nothing changed." in h.tg.texts(one)
    assert await status_of(h, second) == "accepted"
    assert await h.rows("SELECT * FROM audit_log WHERE action = 'agenda.decline'") == []
    assert await h.rows("SELECT * FROM conversation") == []


async def test_stale_and_forged_triage_buttons_are_answered_not_obeyed(h: Harness) -> None:
    member = await h.join("member")
    family = await h.join("family", wing=None)
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member)
    await h.tg.send(staff, "/triage")
    view = h.double.last(staff)
    assert view is not None
    await h.tg.press(staff, "Accept for a meeting")
    # The old view's other buttons are for a state that has passed.
    for label in ("Answer now", "Decline", "Accept for a meeting"):
        button = view.button(label)
        assert button is not None and button.callback_data is not None
        await h.tg.press_data(staff, view.message_id, button.callback_data)
        assert h.tg.answer_for(staff) == HANDLED, label
    assert await h.rows("SELECT * FROM conversation") == []
    assert len(await h.rows("SELECT * FROM audit_log WHERE subject = ?", (ref,))) == 1

    second = await raise_item(h, member, "The gym timetable changes without notice.")
    version = (await h.rows("SELECT version FROM agenda_item WHERE id = ?", (item_id(second),)))[0][
        "version"
    ]
    for user in (member, family):
        await h.tg.send(user, "/menu")
        own = h.double.last(user)
        assert own is not None
        for action in ("a", "n", "d", "m", "q"):
            await h.tg.press_data(
                user, own.message_id, pack("atr", action, item_id(second), version)
            )
            assert h.tg.answer_for(user) == "This button is not for you."
        await h.tg.press_data(user, own.message_id, pack("atn", item_id(second)))
        assert h.tg.answer_for(user) == "This button is not for you."
    for forged in (
        pack("atr", "z", item_id(second), version),
        pack("atr", "a", 9999, 0),
        pack("atr", "n", 9999, 0),
        pack("atr", "a", item_id(second)),
        "1:atr:a:2:0:extra:" + "9" * 40,
        "garbage",
    ):
        await h.tg.press_data(staff, view.message_id, forged)
        assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    # A forged version of a live item is treated like a stale view.
    await h.tg.press_data(staff, view.message_id, pack("atr", "a", item_id(second), version + 5))
    assert h.tg.answer_for(staff) == HANDLED
    assert await status_of(h, second) == "new"


async def test_merge_moves_submitter_and_supporters_and_refuses_self_and_loops(
    h: Harness,
) -> None:
    owner, copier, earlier, fan = [await h.join("member") for _ in range(4)]
    staff = await h.join("staff", wing=None)
    original = await raise_item(h, owner, "The canteen list has no halal snacks.")
    await accept(h, staff, original)
    await h.tg.send(fan, f"/browse {original}")
    await h.tg.press(fan, f"Support {original}")
    copy = await raise_item(h, copier, "No halal snacks on the canteen sheet at all.")
    first_copy = await raise_item(h, earlier, "Please add halal snacks to the canteen.")
    declined = await raise_item(h, owner, "Something the council already said no to.")
    await h.tg.send(staff, f"/triage {declined}")
    await h.tg.press(staff, "Decline")
    await h.tg.send(staff, "The council looked at this last month.")

    # An earlier copy joins the copy first, so the copy has a supporter of its own.
    await h.tg.send(staff, f"/triage {first_copy}")
    await h.tg.press(staff, "Join with another")
    await h.tg.send(staff, copy)
    assert f"Done. {first_copy} is joined with {copy}." in "\n".join(h.tg.texts(staff))

    await h.tg.send(staff, f"/triage {copy}")
    await h.tg.press(staff, "Join with another")
    expected = {
        "hello": "Please type a reference like A-0012, or send /cancel.",
        copy: "An issue cannot be joined with itself.",
        first_copy: f"{first_copy} is already joined with this issue.",
        declined: f"{declined} is declined, joined or closed.",
        "A-0999": "There is no issue A-0999.",
    }
    for typed, answer in expected.items():
        await h.tg.send(staff, typed)
        assert answer in h.tg.last_text(staff), typed
        assert await status_of(h, copy) == "new"
    await h.tg.send(staff, original.lower().replace("-", ""))
    assert f"Done. {copy} is joined with {original}." in "\n".join(h.tg.texts(staff))

    rows = await h.rows("SELECT id, status, merged_into, support_count FROM agenda_item")
    by_id = {r["id"]: r for r in rows}
    assert by_id[item_id(copy)]["status"] == "merged"
    assert by_id[item_id(copy)]["merged_into"] == item_id(original)
    assert by_id[item_id(first_copy)]["merged_into"] == item_id(original)  # the chain is short
    assert by_id[item_id(copy)]["support_count"] == 0
    assert by_id[item_id(original)]["support_count"] == 3
    supporters = await h.rows(
        "SELECT person_id FROM agenda_support WHERE item_id = ?", (item_id(original),)
    )
    ids = {(await h.person(u)).id for u in (copier, earlier, fan)}  # type: ignore[union-attr]
    assert {r["person_id"] for r in supporters} == ids

    await h.deliver()
    assert any(
        f"Your issue {copy} (Food) is about the same thing as {original}." in t
        for t in h.tg.texts(copier)
    )
    assert any(
        f"An issue you support, {copy} (Food), was joined with {original}." in t
        for t in h.tg.texts(earlier)
    )
    # The copier can now read the original (a published item they support) by reference.
    await h.tg.send(copier, f"/browse {original}")
    assert "The canteen list has no halal snacks." in h.tg.last_text(copier)
    audit = await h.rows("SELECT detail FROM audit_log WHERE action = 'agenda.merge'")
    assert json.loads(audit[-1]["detail"])["into"] == original


async def test_a_hidden_name_never_reaches_staff_or_the_chair(h: Harness) -> None:
    code = await h.invite_code("member", "a", label="Jo Bloggs")
    member = h.new_user()
    await h.tg.send(member, f"/start {code}")
    await h.tg.press(member, "English")
    visible_member = await h.join("member")
    staff = await h.join("staff", wing=None)
    chair = await h.join("chair")
    admin = await h.admin()
    person_ref = await _ref_of(h, member)
    hidden = await raise_item(h, member, hide=True)
    shown = await raise_item(h, visible_member, "The phones take money but do not connect.")

    for viewer in (staff, chair):
        for command in ("/triage", f"/triage {hidden}"):
            await h.tg.send(viewer, command)
            text = h.tg.last_text(viewer)
            assert "From: name hidden" in text
            assert person_ref not in text and "Jo Bloggs" not in text
        await h.tg.send(viewer, f"/triage {shown}")
        assert f"From: {await _ref_of(h, visible_member)} (test)" in h.tg.last_text(viewer)
    await h.tg.send(chair, f"/triage {hidden}")
    await h.tg.press(chair, "Accept for a meeting")
    await h.tg.send(staff, "/triage")
    await answer_now(h, staff, "We will fix the phones by Friday.")

    audit = await h.rows("SELECT actor_role, action, subject, detail FROM audit_log")
    chair_lines = [a for a in audit if a["subject"] == hidden]
    assert [(a["actor_role"], a["action"]) for a in chair_lines] == [("chair", "agenda.accept")]
    assert not any(person_ref in json.dumps(a) for a in audit if a["subject"] == hidden)
    await h.tg.send(admin, "/audit")
    for line in h.tg.last_text(admin).splitlines():
        assert not (person_ref in line and hidden in line), line
    outbox = await h.rows("SELECT chat_id, message, params FROM outbox")
    for row in outbox:
        if row["chat_id"] in (staff, chair, admin):
            assert person_ref not in row["params"] and "Jo Bloggs" not in row["params"]
    # Other members never see who raised anything.
    await h.tg.send(visible_member, f"/browse {hidden}")
    assert "From" not in h.tg.last_text(visible_member)
    assert person_ref not in h.tg.last_text(visible_member)


async def test_staff_key_in_a_paper_slip_and_news_goes_to_them(h: Harness) -> None:
    keyer = await h.join("staff", wing=None)
    other = await h.join("staff", wing=None)
    member = await h.join("member")
    await h.tg.send(member, "/keyin")
    assert h.tg.last_text(member) == "Sorry, you cannot do that."
    await h.tg.send(keyer, "/keyin")
    assert "A complaint about a person" not in h.tg.buttons(keyer)
    await h.tg.press(keyer, "Work")
    await h.tg.press(keyer, "B wing")
    assert h.tg.last_text(keyer).startswith("Whose slip is it?")
    await h.tg.press(keyer, "Not given")
    await h.tg.send(keyer, "short")
    assert "That is a bit short." in h.tg.last_text(keyer)
    await h.tg.send(keyer, "Workshop pay has not gone up in three years.")
    assert h.tg.last_text(keyer).startswith("Why are you keying it in?")
    await h.tg.send(keyer, "No device; slip from the B wing box")
    summary = h.tg.last_text(keyer)
    assert "Why you are keying it in: No device; slip from the B wing box" in summary
    assert "Whose slip: Not given" in summary
    await h.tg.press(keyer, "Confirm")
    ref = ref_in(h.tg.last_text(keyer))
    rows = await h.rows(
        "SELECT keyed_in, submitter_id, keyed_by, keyed_reason, wing, topic FROM agenda_item"
    )
    keyer_person = await h.person(keyer)
    assert keyer_person is not None
    assert rows == [
        {
            "keyed_in": 1,
            "submitter_id": None,
            "keyed_by": keyer_person.id,
            "keyed_reason": "No device; slip from the B wing box",
            "wing": "b",
            "topic": "work",
        }
    ]
    audit = await h.rows("SELECT actor_id, action, subject, detail FROM audit_log")
    keyin = [a for a in audit if a["action"] == "agenda.keyin"]
    assert len(keyin) == 1 and keyin[0]["actor_id"] == keyer_person.id
    assert keyin[0]["subject"] == ref
    assert json.loads(keyin[0]["detail"])["reason"] == "No device; slip from the B wing box"

    await h.tg.send(other, "/triage")
    assert (
        f"Keyed in from a paper slip by P-{keyer_person.id:04d}. Reason: No device"
        in h.tg.last_text(other)
    )
    await answer_now(h, other, "Pay rates are reviewed in April.")
    await h.deliver()
    news = h.tg.last_text(keyer)
    assert news.startswith(
        f"There is an outcome.\nIssue {ref} (Work) was keyed in from a paper slip."
        " Outcome: Partly resolved."
    )
    assert "Pay rates are reviewed in April." in news
    assert "Please tell the person who wrote the slip." in news


async def test_supporters_hear_about_an_answer(h: Harness) -> None:
    owner, earlier = await h.join("member"), await h.join("member", lang="cy")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner)
    duplicate = await raise_item(
        h, earlier, f"{ISSUE} Again.", topic="Bwyd", wing="Adain A", lang="cy"
    )
    await h.tg.send(staff, f"/triage {duplicate}")
    await h.tg.press(staff, "Join with another")
    await h.tg.send(staff, ref)
    await h.tg.send(staff, f"/triage {ref}")
    await answer_now(h, staff, "New shower heads are fitted next week.", kind="Resolved")
    await h.deliver()
    assert h.tg.last_text(owner).startswith(
        f"There is an outcome.\nYour issue {ref} (Food): resolved."
    )
    assert h.tg.last_text(earlier).startswith(
        f"Mae canlyniad.\nMater rydych yn ei gefnogi, {ref} (Bwyd): wedi'i ddatrys."
    )


async def test_supporters_who_came_by_a_merge_hear_it_was_accepted(h: Harness) -> None:
    owner, earlier = await h.join("member"), await h.join("member")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, owner)
    duplicate = await raise_item(h, earlier, f"{ISSUE} Still.")
    await h.tg.send(staff, f"/triage {duplicate}")
    await h.tg.press(staff, "Join with another")
    await h.tg.send(staff, ref)
    await accept(h, staff, ref)
    await h.deliver()
    assert h.tg.last_text(earlier) == (
        f"An issue you support, {ref} (Food), was accepted. It will go to a council meeting."
    )


async def test_the_keyer_answers_a_question_for_the_writer_of_a_slip(h: Harness) -> None:
    keyer = await h.join("staff", wing=None)
    chair = await h.join("chair")
    await h.tg.send(keyer, "/keyin")
    await h.tg.press(keyer, "Regime")
    await h.tg.press(keyer, "A wing")
    await h.tg.press(keyer, "Not given")
    await h.tg.send(keyer, "Association is cut short most evenings.")
    await h.tg.send(keyer, "Paper slip, no device")
    await h.tg.press(keyer, "Confirm")
    ref = ref_in(h.tg.last_text(keyer))
    await h.tg.send(chair, "/triage")
    await h.tg.press(chair, "Ask for more information")
    await h.tg.send(chair, "How many evenings last week?")
    await h.deliver()
    assert "How many evenings last week?" in h.tg.last_text(keyer)
    await h.tg.press(keyer, "Reply")
    await h.tg.send(keyer, "Four of seven, says the writer.")
    assert await status_of(h, ref) == "new"
    audit = await h.rows("SELECT actor_role, action FROM audit_log WHERE subject = ?", (ref,))
    assert [(a["actor_role"], a["action"]) for a in audit] == [
        ("staff", "agenda.keyin"),
        ("chair", "agenda.ask_info"),
        ("staff", "agenda.reply_info"),
    ]
