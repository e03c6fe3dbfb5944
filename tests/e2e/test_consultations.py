"""Consultations end to end: staff write and publish, families and members answer in private,
the close is a stored timer, staff get the summary and CSV, everyone who took part hears back,
and a family member can leave. Through the real Application and the Bot API double."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

from bot.council import timers
from handlers.callbacks import pack
from tests.support.harness import Harness, make_harness

NOT_FOR_ROLE = "Sorry, you cannot do that."
TYPE_WORDS = "Please type your answer as words."


async def write_consultation(
    h: Harness,
    staff: int,
    *,
    audience: str = "Families and members",
    title: str = "Visits on Saturdays",
) -> int:
    """Staff write a three-question consultation through the real typed flow and publish it."""
    await h.tg.send(staff, "/consult")
    await h.tg.send(staff, title)
    await h.tg.send(staff, "We want to change the visits hall on Saturdays. Tell us what matters.")
    await h.tg.send(staff, "What would make visits better?")
    await h.tg.press(staff, "In their own words")
    await h.tg.press(staff, "Add a question")
    await h.tg.send(staff, "Which time suits you best?")
    await h.tg.press(staff, "Pick one option")
    await h.tg.send(staff, "Morning\nAfternoon\n\nEvening")
    await h.tg.press(staff, "Add a question")
    await h.tg.send(staff, "What should the hall have?")
    await h.tg.press(staff, "Pick one or more options")
    await h.tg.send(staff, "Toys\nA cafe\nQuiet room")
    await h.tg.press(staff, "No more questions")
    await h.tg.press(staff, audience)
    await h.tg.press(staff, "In 7 days")
    preview = h.tg.last_text(staff)
    assert "Please check it before you publish." in preview
    assert "2. Which time suits you best? (Pick one option)" in preview
    assert "- Afternoon" in preview
    await h.tg.press(staff, "Publish")
    assert h.tg.last_text(staff).startswith("Published.")
    rows = await h.rows("SELECT id FROM consultation ORDER BY id DESC LIMIT 1")
    return int(rows[0]["id"])


async def close_it(h: Harness) -> None:
    """Just past the closing time (17:00 a week on): the stored timer fires."""
    h.clock.advance(timedelta(days=7, hours=7, minutes=1))
    await timers.fire_due(h.db, h.clock, h.settings)


async def answer_all(
    h: Harness, user: int, consultation_id: int, text: str = "More seats", *, anonymous: bool = True
) -> None:
    """Open the consultation from the list and answer every question, then send: the name
    question comes before the answers are sent (anonymous=False leaves it for the test)."""
    await h.tg.send(user, "/consultations")
    await h.tg.press(user, "Visits on Saturdays")
    await h.tg.press(user, "Start")
    await h.tg.send(user, text)
    await h.tg.press(user, "Afternoon")
    await h.tg.press(user, "☐ Toys")
    await h.tg.press(user, "☐ Quiet room")
    await h.tg.press(user, "Done")
    await h.tg.press(user, "Send my answers")
    if anonymous:
        await h.tg.press(user, "No, keep me anonymous")


async def test_staff_publish_and_only_the_audience_is_invited(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    member = await h.join("member")
    cid = await write_consultation(h, staff, audience="Families")
    stored = await h.rows("SELECT title, audience, status FROM consultation")
    assert stored == [{"title": "Visits on Saturdays", "audience": "families", "status": "open"}]
    questions = await h.rows(
        "SELECT position, kind, options FROM consultation_question ORDER BY position"
    )
    assert [q["kind"] for q in questions] == ["text", "single", "multiple"]
    assert questions[1]["options"] == '["Morning", "Afternoon", "Evening"]'
    keys = [r["key"] for r in await h.rows("SELECT key FROM outbox")]
    family_row = await h.person(family)
    assert family_row is not None
    assert keys == [f"consultation:{cid}:invite:{family_row.id}"]
    timer = await h.rows("SELECT kind, due_at FROM timer")
    assert timer == [{"kind": "consultation_close", "due_at": "2026-11-09T17:00:00.000000Z"}]
    actions = [r["action"] for r in await h.rows("SELECT action FROM audit_log")]
    assert "consultation.publish" in actions

    await h.deliver()
    assert h.tg.last_text(family).startswith("New consultation: Visits on Saturdays")
    assert "Only staff will read your answers." in h.tg.last_text(family)
    # The member is not in the audience: nothing in their list, nothing sent.
    await h.tg.send(member, "/consultations")
    assert h.tg.last_text(member) == "There are no consultations for you at the moment."
    # The invitation's button opens it.
    await h.tg.press(family, "Open it")
    assert "We want to change the visits hall" in h.tg.last_text(family)
    assert "You have not started yet." in h.tg.last_text(family)


async def test_publishing_twice_by_a_double_press_makes_one_consultation(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await write_consultation(h, staff)
    published = h.double.last(staff)
    assert published is not None
    await h.tg.press_data(staff, published.message_id, pack("cnp"))
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    assert len(await h.rows("SELECT id FROM consultation")) == 1


async def test_the_draft_refuses_bad_input_and_keeps_its_place(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/consult")
    await h.tg.send(staff, "x" * 121)
    assert h.tg.last_text(staff) == "Please type a title in words, up to 120 characters."
    await h.tg.send(staff, "Food")
    await h.tg.send(staff, "b" * 2001)
    assert h.tg.last_text(staff).endswith("Yours has 2001.")
    await h.tg.send_photo(staff)
    assert h.tg.last_text(staff) == TYPE_WORDS
    await h.tg.send(staff, "The menu changes next month.")
    await h.tg.send(staff, "What do you think?")
    await h.tg.send(staff, "typed instead of pressing")
    assert h.tg.last_text(staff).startswith("Please press one of the buttons above.")
    await h.tg.press(staff, "Pick one option")
    await h.tg.send(staff, "Only one")
    assert h.tg.last_text(staff).startswith("I need 2 to 10 different options")
    await h.tg.send(staff, "Same\nsame")
    assert h.tg.last_text(staff).startswith("I need 2 to 10 different options")
    await h.tg.send(staff, "Good\nBad")
    await h.tg.press(staff, "No more questions")
    await h.tg.press(staff, "Members")
    await h.tg.send(staff, "02/11/2026 10:30")  # half an hour from now: too soon
    assert h.tg.last_text(staff).startswith("I could not use that.")
    await h.tg.send(staff, "31/02/2027")
    assert h.tg.last_text(staff).startswith("I could not use that.")
    await h.tg.send(staff, "20/11/2026 18:00")
    assert "Closes: Friday 20 November 2026, 18:00" in h.tg.last_text(staff)
    await h.tg.press(staff, "Cancel")
    assert h.tg.last_text(staff) == "Stopped. Nothing was published."
    assert await h.rows("SELECT * FROM consultation") == []


async def test_answering_in_private_review_change_and_submit(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await h.tg.send(family, "/consultations")
    assert "Open consultations:" in h.tg.last_text(family)
    await h.tg.press(family, "Visits on Saturdays")
    await h.tg.press(family, "Start")
    assert h.tg.last_text(family).startswith("Question 1 of 3\nWhat would make visits better?")
    await h.tg.send(family, "Longer visits, please")
    assert h.tg.last_text(family).startswith("Question 2 of 3")
    await h.tg.press(family, "Morning")
    assert h.tg.answer_for(family) == "Saved."
    # Multiple choice: toggles, shown as ticks, then Done.
    await h.tg.press(family, "☐ Toys")
    await h.tg.press(family, "☐ A cafe")
    await h.tg.press(family, "☑ Toys")
    assert "☑ A cafe" in h.tg.buttons(family) and "☐ Toys" in h.tg.buttons(family)
    await h.tg.press(family, "Done")
    review = h.tg.last_text(family)
    assert review.startswith("Your answers to Visits on Saturdays:")
    assert "→ Longer visits, please" in review and "→ Morning" in review and "→ A cafe" in review
    assert "Not sent yet." in review
    # Change one answer from the review: back to the review afterwards.
    await h.tg.press(family, "Change 2")
    await h.tg.press(family, "Afternoon")
    assert "→ Afternoon" in h.tg.last_text(family)
    await h.tg.press(family, "Send my answers")
    # The name question comes first; "sent" only after it is answered.
    assert h.tg.last_text(family).startswith("May staff see your name with your answers?")
    assert not any(t.startswith("Thank you. Your answers are sent") for t in h.tg.texts(family))
    await h.tg.press(family, "No, keep me anonymous")
    texts = h.tg.texts(family)
    assert texts[-2] == "Your answers stay anonymous."
    assert texts[-1].startswith("Thank you. Your answers are sent to staff.")
    assert "staff will write back here to everyone who took part" in texts[-1]

    person = await h.person(family)
    assert person is not None
    participant = await h.rows(
        "SELECT id, person_id, grp, name, submitted_at IS NOT NULL AS sent"
        " FROM consultation_participant"
    )
    assert participant == [
        {
            "id": participant[0]["id"],
            "person_id": person.id,
            "grp": "family",
            "name": None,
            "sent": 1,
        }
    ]
    answers = await h.rows(
        "SELECT position, choice, answer FROM consultation_answer ORDER BY position"
    )
    assert answers == [
        {"position": 1, "choice": None, "answer": "Longer visits, please"},
        {"position": 2, "choice": "[1]", "answer": None},
        {"position": 3, "choice": "[1]", "answer": None},
    ]
    # Still open: they may change an answer after sending, and it is one row, not two.
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, "Visits on Saturdays")
    assert "Your answers are sent. You can change them until it closes." in h.tg.last_text(family)
    await h.tg.press(family, "Check my answers")
    await h.tg.press(family, "Change 1")
    assert "Your answer now: Longer visits, please" in h.tg.last_text(family)
    await h.tg.send(family, "Longer visits and a play corner")
    assert "Sent. Any change you make is saved at once" in h.tg.last_text(family)
    rows = await h.rows("SELECT answer FROM consultation_answer WHERE position = 1")
    assert rows == [{"answer": "Longer visits and a play corner"}]
    assert cid


async def test_staff_see_counts_by_group_while_open_and_participants_see_no_one(
    h: Harness,
) -> None:
    staff = await h.join("staff", wing=None)
    families = [await h.join("family") for _ in range(2)]
    member = await h.join("member")
    await write_consultation(h, staff)
    for user in families:
        await answer_all(h, user, 1)
    await h.tg.send(member, "/consultations")
    await h.tg.press(member, "Visits on Saturdays")
    await h.tg.press(member, "Start")
    await h.tg.send(member, "A draft only")
    await h.tg.send(staff, "/consultations")
    assert "2 families and 0 members have sent answers" in h.tg.last_text(staff)
    await h.tg.press(staff, "Visits on Saturdays")
    view = h.tg.last_text(staff)
    assert "Families: 2 sent, 0 started." in view and "Members: 0 sent, 1 started." in view
    # Nobody answering is shown how many others took part, or who.
    for user in [*families, member]:
        for text in h.tg.texts(user):
            assert "families and" not in text and "sent, " not in text
    # Staff cannot read answers before close.
    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(staff, message.message_id, pack("csx", 1))
    assert h.tg.answer_for(staff) == "You can see the summary once it has closed."


async def test_close_by_timer_summary_and_csv_without_names_unless_given(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    named, anonymous = await h.join("family"), await h.join("member")
    drafter = await h.join("family")
    cid = await write_consultation(h, staff)
    await answer_all(h, named, cid, text="=HYPERLINK(1) please", anonymous=False)
    await h.tg.press(named, "Yes, show my name")
    await h.tg.send(named, "Mrs Ann Evans")
    said = h.tg.texts(named)
    assert said[-2] == "Staff will see the name Mrs Ann Evans with your answers."
    assert said[-1].startswith("Thank you. Your answers are sent to staff.")
    await answer_all(h, anonymous, cid, text="Quieter hall")
    await h.tg.send(drafter, "/consultations")
    await h.tg.press(drafter, "Visits on Saturdays")
    await h.tg.press(drafter, "Start")
    await h.tg.send(drafter, "Never sent")
    await h.deliver()

    await close_it(h)
    assert await h.rows("SELECT status FROM consultation") == [{"status": "closed"}]
    # Who answered what is cut at close; drafts are gone; takers are kept apart.
    participants = await h.rows("SELECT person_id, grp, name FROM consultation_participant")
    assert sorted((p["grp"], p["name"]) for p in participants) == [
        ("family", "Mrs Ann Evans"),
        ("member", None),
    ]
    assert all(p["person_id"] is None for p in participants)
    assert len(await h.rows("SELECT * FROM consultation_taker")) == 2
    assert "Never sent" not in str(await h.rows("SELECT answer FROM consultation_answer"))
    # A second firing changes nothing.
    assert (await timers.fire_due(h.db, h.clock, h.settings)) == {}

    await h.deliver()
    notice = h.tg.last_text(staff)
    assert notice.startswith("The consultation Visits on Saturdays has closed.")
    assert "1 family and 1 member took part." in notice
    shown = await h.tg.press(staff, "Summary and answers")
    summary = next(m.text for m in shown if m.text.startswith("Summary:"))
    assert "Took part: 1 family and 1 member (2 in all)." in summary
    assert "Afternoon: 2 (100%)" in summary and "Morning: 0 (0%)" in summary
    assert "Toys: 2 (100%)" in summary and "A cafe: 0 (0%)" in summary
    assert "2 written answers" in summary
    document = next(m for m in shown if m.kind == "document")
    assert document.filename == f"consultation-{cid}.csv" and document.data is not None
    table = list(csv.reader(io.StringIO(document.data.decode("utf-8-sig"))))
    assert table[0][:3] == ["Response", "Group", "Name (if given)"]
    assert table[0][3] == "1. What would make visits better?"
    body = sorted(table[1:], key=lambda row: row[1])
    assert body[0][1:] == [
        "family",
        "Mrs Ann Evans",
        "'=HYPERLINK(1) please",
        "Afternoon",
        "Toys; Quiet room",
    ]
    assert body[1][1:] == ["member", "", "Quieter hall", "Afternoon", "Toys; Quiet room"]
    # No person id, reference or Telegram id anywhere in the file.
    for user in (named, anonymous):
        person = await h.person(user)
        assert person is not None
        assert (
            str(user) not in document.data.decode()
            and f"P-{person.id:04d}" not in document.data.decode()
        )
    assert "consultation.summary" in [
        r["action"] for r in await h.rows("SELECT action FROM audit_log")
    ]


async def test_answering_after_close_changes_nothing(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, "Visits on Saturdays")
    await h.tg.press(family, "Start")  # a text question: the typed step is waiting
    question = h.double.last(family)
    assert question is not None
    h.clock.advance(timedelta(days=8))  # past closing, before the timer has even fired
    await h.tg.send(family, "Too late?")
    assert h.tg.last_text(family) == "This consultation has closed. Answers can no longer change."
    await h.tg.press_data(family, question.message_id, pack("csa", cid, 2, 0, "n"))
    assert h.tg.answer_for(family) == "This consultation has closed. Answers can no longer change."
    await h.tg.press_data(family, question.message_id, pack("css", cid))
    assert await h.rows("SELECT * FROM consultation_answer") == []
    assert await h.rows("SELECT * FROM consultation_participant") == []
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.tg.send(family, "/consultations")
    assert "Closed consultations:" in h.tg.last_text(family)
    await h.tg.press(family, "Visits on Saturdays")
    assert "This consultation closed on" in h.tg.last_text(family)
    assert "You took part" not in h.tg.last_text(family)


async def test_forged_answers_to_a_members_only_consultation_are_refused(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff, audience="Members")
    await h.tg.send(family, "/consultations")
    message = h.double.last(family)
    assert message is not None
    for data in (
        pack("cso", cid),
        pack("csq", cid, 1, "n"),
        pack("csa", cid, 2, 0, "n"),
        pack("csk", cid, 1, "n"),
        pack("css", cid),
        pack("csn", cid, 1),
    ):
        await h.tg.press_data(family, message.message_id, data)
        assert h.tg.answer_for(family) == "This consultation is not open to you.", data
    member = await h.join("member")
    await h.tg.send(member, "/consultations")
    message = h.double.last(member)
    assert message is not None
    for data in (
        pack("csa", cid, 2, 7, "n"),  # no option 7
        pack("csa", cid, 1, 0, "n"),  # question 1 is free text
        pack("csa", cid, 11, 0, "n"),  # no question 11
        pack("csq", 999, 1, "n"),  # no such consultation
        "1:csa:x:y",
        "garbage",
    ):
        await h.tg.press_data(member, message.message_id, data)
        assert h.tg.answer_for(member) is not None, data
    # A member pressing a staff button is turned away too.
    await h.tg.press_data(member, message.message_id, pack("cnp"))
    assert h.tg.answer_for(member) == "This button is not for you."
    assert await h.rows("SELECT * FROM consultation_answer") == []
    assert await h.rows("SELECT * FROM consultation_participant") == []


async def test_a_skipped_question_then_submit(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    await write_consultation(h, staff)
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, "Visits on Saturdays")
    await h.tg.press(family, "Start")
    await h.tg.press(family, "Skip")
    assert h.tg.last_text(family).startswith("Question 2 of 3")
    await h.tg.press(family, "Evening")
    await h.tg.press(family, "Skip")
    review = h.tg.last_text(family)
    assert review.count("→ (skipped)") == 2 and "→ Evening" in review
    # A typed message now is not an answer: no question is waiting for text.
    await h.tg.send(family, "stray words")
    assert h.tg.last_text(family).startswith("I was not waiting for typed words just now")
    await h.tg.press(family, "Send my answers")
    await h.tg.press(family, "No, keep me anonymous")
    assert any(t.startswith("Thank you.") for t in h.tg.texts(family))
    assert await h.rows("SELECT position, choice FROM consultation_answer") == [
        {"position": 2, "choice": "[2]"}
    ]


async def test_long_text_and_photos_and_voice_get_a_kind_answer(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    await write_consultation(h, staff)
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, "Visits on Saturdays")
    await h.tg.press(family, "Start")
    await h.tg.send(family, "a" * 1001)
    assert h.tg.last_text(family) == "Please keep your answer to 1,000 characters. Yours has 1001."
    await h.tg.send_photo(family)
    assert h.tg.last_text(family) == TYPE_WORDS
    await h.tg.send_voice(family)
    assert h.tg.last_text(family) == TYPE_WORDS
    await h.tg.send(family, "\u200b\u200b ")
    assert h.tg.last_text(family) == "Please type your answer in words, or press Skip."
    assert await h.rows("SELECT * FROM consultation_answer") == []
    # Still on the same question: exactly 1,000 characters is fine.
    await h.tg.send(family, "b" * 1000)
    assert h.tg.last_text(family).startswith("Question 2 of 3")
    rows = await h.rows("SELECT length(answer) AS n FROM consultation_answer")
    assert rows == [{"n": 1000}]


async def test_two_devices_submitting_at_once_send_once(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await h.tg.send(family, "/consultations")
    message = h.double.last(family)
    assert message is not None
    # Two devices answer the same question at the same moment: one row, the last answer wins.
    await asyncio.gather(
        h.tg.press_data(family, message.message_id, pack("csa", cid, 2, 0, "r")),
        h.tg.press_data(family, message.message_id, pack("csa", cid, 2, 1, "r")),
    )
    assert len(await h.rows("SELECT * FROM consultation_participant")) == 1
    assert len(await h.rows("SELECT * FROM consultation_answer")) == 1
    mark = h.double.change_mark()
    await asyncio.gather(
        h.tg.press_data(family, message.message_id, pack("csn", cid, 0)),
        h.tg.press_data(family, message.message_id, pack("csn", cid, 0)),
    )
    shown = [m.text for m in h.double.changes_since(mark, chat_id=family)]
    assert sum(t.startswith("Thank you.") for t in shown) == 1
    assert sum(t == "Your answers were sent already. Nothing was sent twice." for t in shown) == 1
    rows = await h.rows("SELECT submitted_at FROM consultation_participant")
    assert len(rows) == 1 and rows[0]["submitted_at"] is not None


async def test_a_family_member_cannot_raise_items_or_use_staff_commands(h: Harness) -> None:
    family = await h.join("family")
    for command in ("/raise", "/consult", "/triage", "/invite", "/keyin"):
        await h.tg.send(family, command)
        assert h.tg.last_text(family) in (
            NOT_FOR_ROLE,
            "I do not know that command. Send /help to see what you can do.",
        ), command
    await h.tg.send(family, "/help")
    help_text = h.tg.last_text(family)
    assert "/consultations" in help_text and "/leave" in help_text and "/consult " not in help_text
    assert await h.rows("SELECT * FROM conversation") == []
    member = await h.join("member")
    # Members may leave too now (docs/PRIVACY.md); staff are told an admin removes them.
    await h.tg.send(member, "/leave")
    assert h.tg.last_text(member).startswith("Do you want to leave?")
    await h.tg.send(staff_user := await h.join("staff", wing=None), "/leave")
    assert h.tg.last_text(staff_user).startswith("Staff, observers and admins cannot delete")


async def test_a_risky_free_text_answer_gets_the_support_reply(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    await write_consultation(h, staff)
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, "Visits on Saturdays")
    await h.tg.press(family, "Start")
    shown = await h.tg.send(family, "Honestly some days I want to end it all")
    texts = [m.text for m in shown]
    assert any("Samaritans" in t for t in texts)
    assert any(t.startswith("Question 2 of 3") for t in texts)


async def test_report_back_reaches_everyone_who_took_part_in_their_language(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    english = await h.join("family")
    welsh = await h.join("member", lang="cy")
    bystander = await h.join("family")
    cid = await write_consultation(h, staff)
    await answer_all(h, english, cid)
    await h.tg.send(welsh, "/consultations")
    message = h.double.last(welsh)
    assert message is not None
    await h.tg.press_data(welsh, message.message_id, pack("css", cid))
    await h.tg.press_data(welsh, message.message_id, pack("csn", cid, 0))
    await close_it(h)
    await h.deliver()

    await h.tg.send(staff, "/consultations")
    await h.tg.press(staff, "Visits on Saturdays")
    assert "Staff are reading the answers." in h.tg.last_text(staff)
    await h.tg.press(staff, "Write back")
    await h.tg.send(staff, "w" * 2001)
    assert h.tg.last_text(staff).endswith("Yours has 2001.")
    await h.tg.send(staff, "You want longer visits and a quiet room.")
    await h.tg.send(staff, "From January visits are two hours, and room 3 is a quiet room.")
    assert "It goes to the 2 people who took part." in h.tg.last_text(staff)
    await h.tg.press(staff, "Publish")
    assert h.tg.last_text(staff) == "Published. 2 people will get it."
    await h.deliver()

    assert h.tg.last_text(english).startswith(
        "You took part in the consultation Visits on Saturdays."
    )
    assert "What we will do:\nFrom January visits are two hours" in h.tg.last_text(english)
    assert h.tg.last_text(welsh).startswith("Roeddech chi wedi cymryd rhan yn yr ymgynghoriad")
    assert "Beth glywon ni:\nYou want longer visits" in h.tg.last_text(welsh)
    assert not any("You took part" in t for t in h.tg.texts(bystander))
    keys = {r["key"] for r in await h.rows("SELECT key FROM outbox WHERE key LIKE '%:report:%'")}
    assert len(keys) == 2
    # It stays readable with its report, in the closed section.
    await h.tg.send(english, "/consultations")
    await h.tg.press(english, "Visits on Saturdays")
    view = h.tg.last_text(english)
    assert "You took part. Thank you." in view and "What we heard:" in view
    # Publishing a second report is refused, and nothing more is queued.
    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(staff, message.message_id, pack("csp", cid))
    assert h.tg.answer_for(staff) == "The report for this consultation is published already."
    assert len(await h.rows("SELECT key FROM outbox WHERE key LIKE '%:report:%'")) == 2


async def test_leave_deletes_details_keeps_answers_anonymous_and_drops_notices(
    h: Harness,
) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await answer_all(h, family, cid, text="Kept, but anonymous", anonymous=False)
    await h.tg.press(family, "Yes, show my name")
    await h.tg.send(family, "Mrs Evans")
    person = await h.person(family)
    assert person is not None
    # Queue a notice to them that is not sent yet (quiet hours hold nothing here: not_before).
    async with h.db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET not_before = '2099-01-01T00:00:00.000000Z' WHERE person_id = ?",
            (person.id,),
        )

    await h.tg.send(family, "/leave")
    assert h.tg.last_text(family).startswith("Do you want to leave?")
    await h.tg.press(family, "No, stay")
    assert h.tg.last_text(family) == "Good. Nothing changed."
    await h.tg.send(family, "/leave")
    await h.tg.press(family, "Yes, leave")
    assert h.tg.last_text(family).startswith("You have left, and your details are deleted.")

    rows = await h.rows(
        "SELECT status, tg_user_id, label, wing FROM person WHERE id = ?", (person.id,)
    )
    assert rows == [{"status": "left", "tg_user_id": None, "label": None, "wing": None}]
    assert await h.rows("SELECT label FROM invite WHERE used_by = ?", (person.id,)) == [
        {"label": None}
    ]
    assert await h.rows("SELECT person_id, name FROM consultation_participant") == [
        {"person_id": None, "name": None}
    ]
    assert await h.rows("SELECT answer FROM consultation_answer WHERE position = 1") == [
        {"answer": "Kept, but anonymous"}
    ]
    statuses = await h.rows("SELECT status, chat_id FROM outbox WHERE person_id = ?", (person.id,))
    assert statuses and all(r["status"] == "dropped" and r["chat_id"] == 0 for r in statuses)
    assert "person.leave" in [r["action"] for r in await h.rows("SELECT action FROM audit_log")]
    # Their access has ended: they are a stranger now, and old buttons do nothing.
    await h.tg.send(family, "/consultations")
    assert h.tg.last_text(family).startswith("This bot is for the council at HMP Example.")
    # The answers still count, without a name, and they are not told the outcome.
    await close_it(h)
    assert await h.rows("SELECT * FROM consultation_taker") == []
    async with h.db.transaction() as tx:
        from bot.council import consultations
        from bot.documents.consultations import export_csv

        gathered = await consultations.responses(tx, cid)
    assert not isinstance(gathered, consultations.Refusal), gathered
    exported = export_csv(gathered, "en")
    assert isinstance(exported, bytes), exported
    data = exported.decode("utf-8-sig")
    assert "Kept, but anonymous" in data and "Evans" not in data


async def test_the_close_timer_survives_a_restart(tmp_path: Path) -> None:
    h = await make_harness(tmp_path)
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await answer_all(h, family, cid)
    moment = h.clock.now()
    await h.close()

    again = await make_harness(tmp_path)
    again.double.user(staff)
    again.clock.set(moment + timedelta(days=7, hours=8))  # closed at 17:00, back at 18:00
    pending = await timers.pending(again.db)
    assert [t.key for t in pending] == [f"consultation:{cid}:close"]
    assert await timers.fire_due(again.db, again.clock, again.settings) == {"fired": 1}
    assert await again.rows("SELECT status FROM consultation") == [{"status": "closed"}]
    await again.deliver()
    assert "has closed" in again.tg.last_text(staff)
    await again.close()


def test_export_consultation_on_the_command_line(tmp_path: Path) -> None:
    from bot.__main__ import main
    from tests.support.paths import EXAMPLE_CONFIG

    async def prepare() -> int:
        h = await make_harness(tmp_path)
        staff = await h.join("staff", wing=None)
        member = await h.join("member")
        cid = await write_consultation(h, staff)
        await answer_all(h, member, cid, text="From the console")
        await close_it(h)
        await h.close()
        return cid

    cid = asyncio.run(prepare())
    config = tmp_path / "config.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'path = "data/council.sqlite3"', f'path = "{tmp_path / "council.sqlite3"}"'
    )
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert (
        main(["--config", str(config), "export", "consultation", str(cid), "--out", str(out)]) == 0
    )
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert table[1][1:] == ["member", "", "From the console", "Afternoon", "Toys; Quiet room"]
    assert main(["--config", str(config), "export", "consultation", "999", "--out", str(out)]) == 1


async def test_a_close_missed_while_the_bot_was_down_still_closes(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    cid = await write_consultation(h, staff)
    await answer_all(h, family, cid)
    h.clock.advance(timedelta(days=9))  # down past the closing time and the grace period
    assert await timers.fire_due(h.db, h.clock, h.settings) == {"missed": 1}
    assert await h.rows("SELECT status FROM consultation") == [{"status": "open"}]
    # The first look at consultations closes it, and staff are told as if on time.
    await h.tg.send(family, "/consultations")
    assert "Closed consultations:" in h.tg.last_text(family)
    assert await h.rows("SELECT status FROM consultation") == [{"status": "closed"}]
    assert len(await h.rows("SELECT * FROM consultation_taker")) == 1
    await h.deliver()
    assert "has closed" in h.tg.last_text(staff)
    await h.tg.press(staff, "Summary and answers")
    assert any(m.kind == "document" for m in h.double.chat(staff))
