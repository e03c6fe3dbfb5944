"""Triage (staff and the chair): the queue of new items, one at a time, and the decision on each:
accept, answer now (an outcome: handlers/outcomes.py), decline with a reason, merge into its
original, or ask the writer a question. Thin: the rules are in bot.council.triage."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, assert_never

from bot import i18n
from bot.council import agenda, content, outcomes
from bot.council import triage as rules
from bot.council.agenda import ItemRow, Verdict
from bot.council.agenda_buttons import (
    DeclineConfirm,
    DeclineDrop,
    TriageAction,
    TriageMove,
    TriageNext,
)
from bot.council.agenda_flows import TRIAGE, TriageDraft, TriageStep
from bot.council.triage import Byline, Writer
from handlers import content as asking
from handlers import outcomes as outcome_handlers
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale
from handlers.base import topic_label as _topic
from handlers.base import wing_label as _wing
from handlers.items import NOTE_PROBLEM, latest_line, staff_status_word

# Triage moves that are typed next (the reason, the target, the question), and the status each
# leads to.
_TYPED_ACTIONS = {
    TriageMove.DECLINE: TriageStep.DECLINE,
    TriageMove.MERGE: TriageStep.MERGE,
    TriageMove.ASK: TriageStep.ASK,
}
_TYPE_PROMPT = {
    TriageStep.DECLINE: "agenda.triage.type_decline",
    TriageStep.MERGE: "agenda.triage.type_merge",
    TriageStep.ASK: "agenda.triage.type_ask",
}
_WANTED = {
    TriageMove.ANSWER: agenda.ANSWERED,
    TriageMove.DECLINE: agenda.DECLINED,
    TriageMove.MERGE: agenda.MERGED,
    TriageMove.ASK: agenda.NEEDS_INFO,
}


# A merge into the wrong item: the step stays open for another reference.
_WRONG_TARGET = {
    Verdict.SELF: "agenda.triage.merge_self",
    Verdict.LOOP: "agenda.triage.merge_loop",
    Verdict.TARGET: "agenda.triage.merge_target",
    Verdict.NO_TARGET: "agenda.triage.merge_no_target",
}


async def triage(call: Call) -> Result:
    if call.args:
        # Staff and the chair see every item in full: by reference, it opens in triage's view.
        item_id = agenda.parse_ref(call.args[0])
        seen = await agenda.look_up(call.tx, call.me, item_id) if item_id else None
        if seen is None:
            return call.reply("agenda.item.not_found")
        return await view(call, seen.item, waiting=None, edit=False)
    await _end_triage_flow(call)
    return await _next_item(call, None, edit=False)


async def triage_next(call: Call, b: TriageNext) -> Result:
    await _end_triage_flow(call)
    return await _next_item(call, b.after, edit=True)


async def _end_triage_flow(call: Call) -> None:
    if TRIAGE.read(call.state) is not None:
        await call.end_flow()


async def _next_item(call: Call, after: int | None, *, edit: bool) -> Reply:
    found = await rules.queue(call.tx, call.me, after=after)
    if found.item is None:
        return call.reply("agenda.triage.empty", edit=edit)
    return await view(call, found.item, waiting=found.waiting, edit=edit)


async def view(call: Call, item: ItemRow, *, waiting: int | None, edit: bool) -> Reply:
    lines: list[str] = []
    if waiting is not None:
        lines += [call.t("agenda.triage.waiting", count=waiting), ""]
    lines.append(
        call.t(
            "agenda.item.head",
            ref=agenda.ref(item.id),
            topic=_topic(call, item.topic),
            wing=_wing(call, item.wing),
        )
    )
    staff_status = staff_status_word(call, item.status)
    lines.append(call.t("agenda.item.status", status=staff_status))
    lines.append(call.t("agenda.triage.raised", when=item.created_at))
    lines.append(_byline(call, await rules.byline(call.tx, item, call.me), item))
    if item.support_count:
        lines.append(call.t("agenda.item.supporters", count=item.support_count))
    lines += ["", await _own_words(call, item)]
    if item.info_question:
        lines += ["", call.t("agenda.triage.asked", question=item.info_question)]
        if item.info_reply:
            lines.append(call.t("agenda.triage.reply", reply=item.info_reply))
    for note in await rules.notes(call.tx, item.id):
        lines.append(call.t("reader.late.note", text=note.text, when=note.created_at))
    latest = latest_line(call, item) if item.status not in agenda.UNDECIDED else ""
    if latest:
        lines.append(latest)
    buttons: list[list[Button]] = []
    if item.status in agenda.UNDECIDED:
        v = item.version
        buttons = [
            [
                call.button("agenda.triage.accept", TriageAction(TriageMove.ACCEPT, item.id, v)),
                call.button("agenda.triage.answer", TriageAction(TriageMove.ANSWER, item.id, v)),
            ],
            [
                call.button("agenda.triage.decline", TriageAction(TriageMove.DECLINE, item.id, v)),
                call.button("agenda.triage.merge", TriageAction(TriageMove.MERGE, item.id, v)),
            ],
            [call.button("agenda.triage.ask", TriageAction(TriageMove.ASK, item.id, v))],
        ]
    elif agenda.may_move(item.status, agenda.MERGED):
        merge = TriageAction(TriageMove.MERGE, item.id, item.version)
        buttons = [[call.button("agenda.triage.merge", merge)]]
    if waiting is not None:
        buttons.append([call.button("agenda.triage.skip", TriageNext(item.id))])
    return Reply("\n".join(lines), buttons, edit)


async def _own_words(call: Call, item: ItemRow) -> str:
    """A member's words as written, marked with their language when it is not the reader's.
    Not for a hidden name: the language would hint at who wrote it."""
    language = await rules.writer_language(call.tx, item)
    if language is None or language == call.lang:
        return item.text
    return i18n.content_for({language: item.text}, call.lang)


def _byline(call: Call, by: Byline, item: ItemRow) -> str:
    match by.kind:
        case Writer.KEYED:
            return call.t("agenda.by.keyed", ref=by.ref, reason=item.keyed_reason or "-")
        case Writer.NAMED:
            return call.t("agenda.by.named", ref=by.ref, label=by.label or "-")
        case Writer.YOU:
            return call.t("agenda.by.you")
        case Writer.NONE:
            return call.t("agenda.by.none")
        case Writer.HIDDEN:
            return call.t("agenda.by.hidden")
        case _:
            assert_never(by.kind)


async def triage_action(call: Call, b: TriageAction) -> Result:
    action, item_id, version = b.move, b.item_id, b.version
    clock, settings = call.services.clock, call.services.settings
    if action is TriageMove.ACCEPT:
        decided = await rules.accept(
            call.tx, clock, settings, actor=call.me, item_id=item_id, version=version
        )
        return await _after_decision(call, decided, "agenda.triage.accepted")
    may = await rules.may_decide(call.tx, call.me, item_id, version, _WANTED[action])
    if may.item is None:
        return _stale(call)
    if not may.done:
        # Dealt with since this button was shown: answered, not obeyed.
        call.toast = call.t("agenda.triage.handled")
        call.toast_alert = True
        return await _next_item(call, None, edit=False)
    if action is TriageMove.ANSWER:
        # "Answer now" posts the item's outcome (kind, text, confirm): the one road for outcomes
        # is bot.council.outcomes.post, through handlers/outcomes.py (docs/OUTCOMES.md).
        return await outcome_handlers.choose_kind(call, may.item, outcomes.TRIAGE)
    step = _TYPED_ACTIONS[action]
    await _save_triage(call, step, TriageDraft(item_id, version))
    await content.start(call.tx, call.me.id)
    return call.reply(_TYPE_PROMPT[step], ref=agenda.ref(item_id))


async def _save_triage(call: Call, step: TriageStep, draft: TriageDraft) -> None:
    await TRIAGE.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def triage_typed(call: Call) -> Result:
    at = TRIAGE.read(call.state)
    if at is None:
        return call.reply("common.use_menu")
    step, item_id, version = at.step, at.draft.item, at.draft.version
    clock, settings = call.services.clock, call.services.settings
    if step is TriageStep.DECLINE_CONFIRM:
        return call.reply("reader.decline.use_buttons", ref=agenda.ref(item_id))
    if step is TriageStep.MERGE:
        target = agenda.parse_ref(call.text)
        if target is None:
            return call.reply("agenda.triage.merge_bad_ref")
        decided = await rules.merge(
            call.tx,
            clock,
            settings,
            actor=call.me,
            item_id=item_id,
            version=version,
            target_id=target,
        )
        wrong_target = _WRONG_TARGET.get(decided.result)
        if wrong_target is not None:
            # Stay in the step: they may type another reference, or /cancel.
            return call.reply(wrong_target, target=agenda.ref(target))
        await call.end_flow()
        return await _after_decision(
            call,
            decided,
            "agenda.triage.merged",
            target=agenda.ref(decided.target.id if decided.target else target),
        )
    cleaned = agenda.note_text(call.text)
    if not cleaned.ok:
        return call.reply(
            NOTE_PROBLEM[cleaned.problem or "empty"],
            length=len(cleaned.text),
            most=agenda.NOTE_MAX,
        )
    if step is TriageStep.DECLINE and content.others(settings):
        # The member reads the reason in their language: ask for the others, then confirm.
        await _save_triage(call, TriageStep.DECLINE_CONFIRM, replace(at.draft, reason=cleaned.text))
        buttons = [
            [call.button("reader.decline.yes", DeclineConfirm(item_id, version))],
            [call.button("agenda.cancel", DeclineDrop())],
        ]
        then = call.reply(
            "reader.decline.confirm", buttons=buttons, ref=agenda.ref(item_id), reason=cleaned.text
        )
        return await asking.ask_other(
            call, field="reason", text=cleaned.text, most=agenda.NOTE_MAX, then=then
        )
    await call.end_flow()
    if step is TriageStep.DECLINE:
        decided = await rules.decline(
            call.tx,
            clock,
            settings,
            actor=call.me,
            item_id=item_id,
            version=version,
            reason=cleaned.text,
        )
        return await _after_decision(call, decided, "agenda.triage.declined")
    decided = await rules.ask_info(
        call.tx,
        clock,
        settings,
        actor=call.me,
        item_id=item_id,
        version=version,
        question=cleaned.text,
    )
    return await _after_decision(call, decided, "agenda.triage.asked_done")


async def decline_confirm(call: Call, b: DeclineConfirm) -> Result:
    """Decline with the reason typed in each content language (triage_typed)."""
    at = TRIAGE.read(call.state)
    item_id, version = b.item_id, b.version
    if (
        at is None
        or at.step is not TriageStep.DECLINE_CONFIRM
        or (item_id, version) != (at.draft.item, at.draft.version)
        or at.draft.reason is None
    ):
        return _stale(call)
    await call.end_flow()
    decided = await rules.decline(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        item_id=item_id,
        version=version,
        reason=at.draft.reason,
    )
    return await _after_decision(call, decided, "agenda.triage.declined")


async def decline_drop(call: Call, _b: DeclineDrop) -> Result:
    if TRIAGE.read(call.state) is None:
        return _stale(call)
    await call.end_flow()
    return call.reply("common.cancelled", edit=True)


async def _after_decision(
    call: Call, decided: agenda.Decision, done_id: str, **params: Any
) -> Result:
    following = await _next_item(call, None, edit=False)
    if decided.item is None or decided.result in (Verdict.UNKNOWN, Verdict.REFUSED):
        # A forged button, or one for a state the item is no longer in: answered, not obeyed.
        call.toast = call.t("common.stale_button")
        return [call.reply("agenda.triage.not_now"), following]
    ref = agenda.ref(decided.item.id)
    if decided.done:
        return [call.reply(done_id, ref=ref, **params), following]
    # Someone else got there first.
    if call.pressed is not None:
        call.toast = call.t("agenda.triage.handled")
    return [call.reply("agenda.triage.handled_ref", ref=ref), following]
