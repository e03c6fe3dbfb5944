"""Writing a consultation keeps a typed draft (bot/council/consultation_flows.ConsultationDraft) in
the conversation row. A draft stored before drafts were typed carries on; a damaged or forged one
reads as no draft and publishes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.council.consultation_buttons import NewPublish
from bot.council.consultation_flows import NEW, ConsultationDraft, NewStep, Question
from tests.support.harness import Harness

# The shape handlers wrote before the draft was typed: questions as [kind, prompt, options]
# lists, "" for what is not chosen yet, the closing time as database text.
OLD_SHAPE: dict[str, Any] = {
    "title": "Visits on Saturdays",
    "background": "We want to change the visits hall on Saturdays.",
    "questions": [
        ["text", "What would make visits better?", []],
        ["single", "Which time suits you best?", ["Morning", "Afternoon"]],
    ],
    "audience": "families",
    "closes_at": "2026-11-09T17:00:00.000000Z",
}


async def _stored(h: Harness, user: int, step: str, data: dict[str, Any]) -> int:
    """Put a consult_new row as an older version (or a forger) left it; the staff member's
    last message id, to press on."""
    person = await h.person(user)
    assert person is not None
    async with h.db.transaction() as tx:
        await tx.execute(
            "UPDATE conversation SET step = ?, data = ? WHERE person_id = ?",
            (step, json.dumps(data), person.id),
        )
    message = h.double.last(user)
    assert message is not None
    return message.message_id


def test_a_draft_reads_back_as_it_was_saved() -> None:
    closes = datetime(2026, 11, 9, 17, 0, tzinfo=UTC)
    draft = ConsultationDraft(
        title="Visits",
        background="Why",
        questions=(Question("single", "When?", ("Morning", "Afternoon")), Question("text", "Why?")),
        audience="both",
        closes_at=closes,
        prompt="Next?",
        kind="multiple",
    )
    assert ConsultationDraft.from_data(json.loads(json.dumps(draft.to_data()))) == draft
    assert ConsultationDraft.from_data({}) == ConsultationDraft()


def test_the_older_shape_reads_as_a_typed_draft() -> None:
    draft = ConsultationDraft.from_data({**OLD_SHAPE, "prompt": "Next?", "kind": "single"})
    assert draft is not None
    assert draft.questions == (
        Question("text", "What would make visits better?"),
        Question("single", "Which time suits you best?", ("Morning", "Afternoon")),
    )
    assert draft.audience == "families" and draft.kind == "single" and draft.prompt == "Next?"
    assert draft.closes_at == datetime(2026, 11, 9, 17, 0, tzinfo=UTC)
    unset = ConsultationDraft.from_data({**OLD_SHAPE, "audience": "", "closes_at": ""})
    assert unset is not None and unset.audience is None and unset.closes_at is None


@pytest.mark.parametrize(
    "forged",
    [
        {"questions": [["poll", "Which?", ["a", "b"]]]},  # a kind that is not ours
        {"questions": [{"kind": "single", "prompt": 7, "options": ["a", "b"]}]},
        {"questions": [["single", "Which?", [1, 2]]]},
        {"questions": "not a list"},
        {"audience": "everyone"},
        {"kind": "poll"},
        {"title": ["not", "words"]},
        {"closes_at": "tomorrow"},
        {"closes_at": {"t": "2026-11-09T17:00:00"}},  # a time with no zone
    ],
)
def test_a_forged_draft_reads_as_no_draft(forged: dict[str, Any]) -> None:
    assert ConsultationDraft.from_data({**OLD_SHAPE, **forged}) is None


async def test_a_draft_stored_before_the_upgrade_still_publishes(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    family = await h.join("family")
    await h.tg.send(staff, "/consult")
    message_id = await _stored(h, staff, "preview", OLD_SHAPE)
    await h.tg.press_data(staff, message_id, NewPublish().pack())
    assert h.tg.last_text(staff).startswith("Published.")
    stored = await h.rows("SELECT title, audience, closes_at FROM consultation")
    assert stored == [
        {
            "title": "Visits on Saturdays",
            "audience": "families",
            "closes_at": "2026-11-09T17:00:00.000000Z",
        }
    ]
    questions = await h.rows("SELECT kind, options FROM consultation_question ORDER BY position")
    assert questions == [
        {"kind": "text", "options": "[]"},
        {"kind": "single", "options": '["Morning", "Afternoon"]'},
    ]
    assert await h.rows("SELECT * FROM conversation") == []
    await h.deliver()
    assert "Visits on Saturdays" in h.tg.last_text(family)


async def test_an_older_draft_half_way_carries_on(h: Harness) -> None:
    """Stored at the options step (its prompt and kind beside the draft), with no audience or
    closing time yet: the staff member types the options and goes on as today."""
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/consult")
    old = {**OLD_SHAPE, "audience": "", "closes_at": "", "prompt": "Which day?", "kind": "single"}
    await _stored(h, staff, "options", old)
    await h.tg.send(staff, "Saturday\nSunday")
    assert h.tg.buttons(staff) == ["Add a question", "No more questions"]
    await h.tg.press(staff, "No more questions")
    await h.tg.press(staff, "Families and members")
    await h.tg.press(staff, "In 7 days")
    preview = h.tg.last_text(staff)
    assert "3. Which day? (Pick one option)" in preview and "- Sunday" in preview
    await h.tg.press(staff, "Publish")
    assert h.tg.last_text(staff).startswith("Published.")
    rows = await h.rows("SELECT audience FROM consultation")
    assert rows == [{"audience": "both"}]


async def test_a_forged_draft_publishes_nothing(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/consult")
    forged = {**OLD_SHAPE, "audience": "everyone"}
    message_id = await _stored(h, staff, "preview", forged)
    await h.tg.press_data(staff, message_id, NewPublish().pack())
    assert h.tg.answer_for(staff) == "This button no longer works. Send /menu to start again."
    # Typed words on a draft that does not read: the flow ends and the person is told.
    await h.tg.send(staff, "Hello")
    assert h.tg.last_text(staff).startswith("This cannot be published as it is.")
    assert await h.rows("SELECT * FROM conversation") == []
    assert await h.rows("SELECT * FROM consultation") == []


async def test_a_draft_saved_by_the_flow_holds_an_aware_time(h: Harness) -> None:
    """No database text in the draft: the closing time is kept as an aware datetime."""
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/consult")
    await h.tg.send(staff, "Visits")
    await h.tg.send(staff, "We want to change the visits hall.")
    await h.tg.send(staff, "What would help?")
    await h.tg.press(staff, "In their own words")
    await h.tg.press(staff, "No more questions")
    await h.tg.press(staff, "Families")
    await h.tg.press(staff, "In 14 days")
    rows = await h.rows("SELECT flow, step, data FROM conversation")
    assert [(r["flow"], r["step"]) for r in rows] == [(NEW.name, NewStep.PREVIEW.value)]
    data = json.loads(rows[0]["data"])
    assert isinstance(data["closes_at"], dict)  # {"t": iso time with its offset}
    draft = ConsultationDraft.from_data(data)
    assert draft is not None and draft.closes_at is not None
    assert draft.closes_at - h.clock.now() > timedelta(days=13)
