"""Secret polls: /polls, the ballot buttons, creating a poll step by step, closing early.

A choice in progress travels only in the voter's own buttons (a bitmask in the callback data)
and in the message they see; it is never stored next to them. Nothing here logs a callback."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import assert_never

from bot.council import content, polls
from bot.council.poll_buttons import (
    TICK_OFF,
    TICK_ON,
    Audience,
    Closing,
    PollAudience,
    PollBallot,
    PollCancel,
    PollChoose,
    PollCloseAsk,
    PollCloseConfirm,
    PollCloses,
    PollConfirm,
    PollKind,
    PollList,
    PollNew,
    PollOpen,
    PollOptionsDone,
    PollResults,
    PollToggle,
    PollWing,
    ballot_specs,
)
from bot.council.polls import NEW_POLL, BadClosing, Draft, EarlyClose, Opening, PollStep, Vote
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale

__all__ = ["ballot_specs"]  # bot/local/seed.py passes it; the council uses it by default

SHORT = 32

# Catalogue ids from the enums, never built by f-string, so tests can check every one.
BAD_CLOSING: dict[BadClosing, str] = {
    BadClosing.FORMAT: "polls.closes_format",
    BadClosing.TOO_SOON: "polls.closes_too_soon",
    BadClosing.TOO_FAR: "polls.closes_too_far",
}
AUDIENCE_LABEL: dict[Audience, str] = {
    "members": "polls.audience_members",
    "families": "polls.audience_families",
    "both": "polls.audience_both",
}
QUICK_LABEL: dict[Closing, str] = {
    "1d": "polls.quick_1d",
    "3d": "polls.quick_3d",
    "7d": "polls.quick_7d",
}


def short(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def ballot_reply(call: Call, ballot: polls.Ballot) -> Reply:
    poll = ballot.poll
    if poll.multiple:
        buttons = [
            [
                Button(
                    f"{TICK_ON if ballot.mask & (1 << i) else TICK_OFF} {label}",
                    PollToggle(poll.id, ballot.mask ^ (1 << i)).pack(),
                )
            ]
            for i, label in enumerate(ballot.labels)
        ]
        buttons.append([call.button("polls.done", PollChoose(poll.id, ballot.mask))])
    else:
        buttons = [
            [Button(label, PollChoose(poll.id, 1 << i).pack())]
            for i, label in enumerate(ballot.labels)
        ]
    return call.reply(
        "polls.ballot",
        buttons=buttons,
        edit=True,
        question=poll.question,
        options=polls.numbered(ballot.labels),
        how=call.t("polls.how_multiple" if poll.multiple else "polls.how_single"),
        closes=poll.closes_at,
    )


def refusal(call: Call, why: Vote) -> Result:
    """One kind answer per reason. A forged or foreign ballot gets a toast and changes nothing."""
    match why:
        case Vote.CLOSED:
            return call.reply("polls.closed", edit=True)
        case Vote.ALREADY:
            return call.reply("polls.already", edit=True)
        case Vote.EMPTY:
            call.toast = call.t("polls.choose_one")
            return None
        case Vote.NOT_OPEN | Vote.RECORDED:  # RECORDED is never a refusal; answered safely
            call.toast = call.t("polls.not_open")
            call.toast_alert = True
            return None
        case _:
            assert_never(why)


async def _ballot(call: Call, poll_id: int, mask: int) -> polls.Ballot | Vote:
    services = call.services
    found = await polls.ballot(call.tx, services.clock, services.settings, call.me, poll_id, mask)
    if isinstance(found, Vote):
        return found
    # The question and options in the voter's content language (bot.council.content).
    fields = {"question": found.poll.question} | {
        f"option:{i}": label for i, label in enumerate(found.labels)
    }
    words = await content.shown(call.tx, services.settings, "poll", poll_id, fields, call.lang)
    return replace(
        found,
        poll=replace(found.poll, question=words["question"]),
        labels=[words[f"option:{i}"] for i in range(len(found.labels))],
    )


async def show_ballot(call: Call, b: PollBallot) -> Result:
    """From a ballot notice's "Vote" or /polls: the ballot with nothing selected."""
    found = await _ballot(call, b.poll_id, 0)
    return refusal(call, found) if isinstance(found, Vote) else ballot_reply(call, found)


async def toggle(call: Call, b: PollToggle) -> Result:
    """Multiple choice: the button carries the whole new selection; nothing is stored."""
    found = await _ballot(call, b.poll_id, b.mask)
    return refusal(call, found) if isinstance(found, Vote) else ballot_reply(call, found)


async def choose(call: Call, b: PollChoose) -> Result:
    """ "You chose ... Confirm?" — an edit of the voter's own message, never a stored notice."""
    found = await _ballot(call, b.poll_id, b.mask)
    if isinstance(found, Vote):
        return refusal(call, found)
    if not found.chosen:
        return refusal(call, Vote.EMPTY)
    poll = found.poll
    back = PollToggle(poll.id, found.mask) if poll.multiple else PollBallot(poll.id)
    buttons = [
        [call.button("polls.confirm", PollConfirm(poll.id, found.mask))],
        [call.button("polls.change", back)],
    ]
    return call.reply(
        "polls.you_chose",
        buttons=buttons,
        edit=True,
        question=poll.question,
        chosen="\n".join(found.chosen),
    )


async def confirm(call: Call, b: PollConfirm) -> Result:
    poll_id, mask = b.poll_id, b.mask
    services = call.services
    outcome = await polls.cast(call.tx, services.clock, services.settings, call.me, poll_id, mask)
    if outcome is Vote.RECORDED:
        # Replaces the "You chose" text: the chat keeps the choice no longer than needed, but
        # keeps the question, so the voter still knows which poll this was.
        # The same words for every voter of this poll reading this language: made once.
        key = ("polls.recorded", poll_id, call.lang)
        text = call.tx.memo.get(key)
        if not isinstance(text, str):
            question = await polls.question_in(call.tx, services.settings, poll_id, call.lang)
            text = call.tx.memo[key] = call.t("reader.poll.recorded", question=question)
        return Reply(text, edit=True)
    if outcome is Vote.ALREADY:
        # A second press of the same Confirm: leave the message, say it once.
        call.toast = call.t("polls.already")
        return None
    return refusal(call, outcome)


# --- /polls --------------------------------------------------------------------------------


async def polls_command(call: Call) -> Result:
    return await _overview(call, edit=False)


async def polls_button(call: Call, b: PollList) -> Result:
    return await _overview(call, edit=True)


async def _overview(call: Call, *, edit: bool) -> Result:
    services = call.services
    seen = await polls.overview(call.tx, services.clock, services.settings, call.me)
    blocks: list[list[str]] = []
    buttons: list[list[Button]] = []
    if seen.to_vote:
        block = [call.t("polls.section_vote")]
        for poll, voted in seen.to_vote:
            state = call.t("polls.you_voted" if voted else "polls.not_voted")
            block.append(call.t("polls.line_vote", question=poll.question, state=state))
            if not voted:
                buttons.append(
                    [call.button("polls.vote_button", PollBallot(poll.id), q=short(poll.question))]
                )
        blocks.append(block)
    if seen.running:
        block = [call.t("polls.section_running")]
        for poll in seen.running:
            block.append(
                call.t(
                    "polls.line_running",
                    question=poll.question,
                    voted=poll.ballots,
                    electorate=poll.electorate,
                    turnout=polls.percent(poll.ballots, poll.electorate),
                    closes=poll.closes_at,
                )
            )
            if polls.may_manage(call.me, poll):
                buttons.append(
                    [
                        call.button(
                            "polls.close_button", PollCloseAsk(poll.id), q=short(poll.question)
                        )
                    ]
                )
        blocks.append(block)
    if seen.closed:
        block = [call.t("polls.section_closed")]
        for poll in seen.closed:
            block.append(call.t("polls.line_closed", question=poll.question))
            buttons.append(
                [call.button("polls.results_button", PollResults(poll.id), q=short(poll.question))]
            )
        blocks.append(block)
    if seen.may_create:
        buttons.append([call.button("polls.new_button", PollNew())])
    if not blocks:
        blocks.append([call.t("polls.none")])
    return Reply("\n\n".join("\n".join(b) for b in blocks), buttons, edit)


async def results(call: Call, b: PollResults) -> Result:
    poll = await polls.get(call.tx, b.poll_id)
    if poll is None or not await polls.may_see_results(call.tx, call.me, poll):
        return refusal(call, Vote.NOT_OPEN)
    shown = await polls.results(call.tx, call.services.settings, poll)
    if shown is None:
        call.toast = call.t("polls.not_yet")
        return None
    message, params = shown.notice()
    return call.reply(
        message, buttons=[[call.button("polls.back", PollList())]], edit=True, **params
    )


async def close_ask(call: Call, b: PollCloseAsk) -> Result:
    poll = await polls.get(call.tx, b.poll_id)
    if poll is None or not polls.may_manage(call.me, poll):
        return refusal(call, Vote.NOT_OPEN)
    if not poll.is_open:
        return call.reply("polls.close_already", edit=True)
    buttons = [
        [
            call.button("polls.close_yes", PollCloseConfirm(poll.id)),
            call.button("polls.close_no", PollList()),
        ]
    ]
    return call.reply(
        "polls.close_confirm",
        buttons=buttons,
        edit=True,
        question=poll.question,
        voted=poll.ballots,
        electorate=poll.electorate,
    )


async def close_confirm(call: Call, b: PollCloseConfirm) -> Result:
    services = call.services
    outcome = await polls.close_early(
        call.tx, services.clock, services.settings, actor=call.me, poll_id=b.poll_id
    )
    match outcome:
        case EarlyClose.CLOSED:
            return call.reply("polls.closed_early", edit=True)
        case EarlyClose.ALREADY:
            return call.reply("polls.close_already", edit=True)
        case EarlyClose.NOT_ALLOWED:
            return refusal(call, Vote.NOT_OPEN)
        case _:
            assert_never(outcome)


# --- creating a poll -----------------------------------------------------------------------


def _draft(call: Call, step: PollStep) -> Draft | None:
    """The draft, if the person is at this step of writing a poll (else the button is stale)."""
    at = NEW_POLL.read(call.state)
    return at.draft if at is not None and at.step is step else None


async def _step(call: Call, step: PollStep, draft: Draft) -> None:
    await NEW_POLL.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def new_poll_button(call: Call, b: PollNew) -> Result:
    return await new_poll(call)


async def new_poll(call: Call) -> Result:
    if not polls.may_create(call.me.role):
        return call.reply("common.not_for_role")
    await content.start(call.tx, call.me.id)
    await _step(call, PollStep.QUESTION, Draft())
    return call.reply("polls.ask_question", max=polls.MAX_QUESTION)


async def draft_text(call: Call) -> Result:
    """Typed replies while writing a poll: the question, each option, or a closing time."""
    at = NEW_POLL.read(call.state)
    if at is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    draft = at.draft
    if at.step is PollStep.QUESTION:
        cleaned = polls.check_question(call.text)
        if not cleaned.ok:
            return call.reply("polls.question_problem", max=polls.MAX_QUESTION)
        await _step(call, PollStep.OPTIONS, replace(draft, question=cleaned.text))
        return await asking.ask_other(
            call,
            field="question",
            text=cleaned.text,
            most=polls.MAX_QUESTION,
            then=call.reply("polls.ask_option", number=1, max=polls.MAX_OPTION),
        )
    if at.step is PollStep.OPTIONS:
        return await _add_option(call, draft)
    if at.step is PollStep.CLOSES:
        moment = polls.parse_closing(call.text, call.services.settings, call.services.clock.now())
        if isinstance(moment, BadClosing):
            return call.reply(BAD_CLOSING[moment])
        return await _preview(call, draft, moment, edit=False)
    return call.reply("polls.use_buttons")


async def _add_option(call: Call, draft: Draft) -> Result:
    cleaned = polls.check_option(call.text, draft.options)
    if cleaned.problem == "duplicate":
        return call.reply("polls.option_duplicate")
    if not cleaned.ok:
        return call.reply("polls.option_problem", max=polls.MAX_OPTION)
    draft = replace(draft, options=(*draft.options, cleaned.text))
    field = f"option:{len(draft.options) - 1}"
    if len(draft.options) >= polls.MAX_OPTIONS:
        await _step(call, PollStep.KIND, draft)
        then: Result = [call.reply("polls.options_full", max=polls.MAX_OPTIONS), _ask_kind(call)]
    else:
        await _step(call, PollStep.OPTIONS, draft)
        buttons = (
            [[call.button("polls.options_done", PollOptionsDone())]]
            if len(draft.options) >= polls.MIN_OPTIONS
            else []
        )
        then = call.reply(
            "polls.option_added" if buttons else "polls.option_added_need_more",
            buttons=buttons,
            count=len(draft.options),
            number=len(draft.options) + 1,
        )
    return await asking.ask_other(
        call, field=field, text=cleaned.text, most=polls.MAX_OPTION, then=then
    )


def _ask_kind(call: Call, *, edit: bool = False) -> Reply:
    buttons = [
        [call.button("polls.kind_single", PollKind("single"))],
        [call.button("polls.kind_multiple", PollKind("multi"))],
    ]
    return call.reply("polls.ask_kind", buttons=buttons, edit=edit)


async def options_done(call: Call, b: PollOptionsDone) -> Result:
    draft = _draft(call, PollStep.OPTIONS)
    if draft is None or len(draft.options) < polls.MIN_OPTIONS:
        return _stale(call)
    await _step(call, PollStep.KIND, draft)
    return _ask_kind(call, edit=True)


async def pick_kind(call: Call, b: PollKind) -> Result:
    draft = _draft(call, PollStep.KIND)
    if draft is None:
        return _stale(call)
    draft = replace(draft, multiple=b.kind == "multi")
    audiences = polls.audiences_for(call.me.role)
    if len(audiences) == 1:
        return await _after_audience(call, replace(draft, audience=audiences[0]))
    await _step(call, PollStep.AUDIENCE, draft)
    buttons = [[call.button(AUDIENCE_LABEL[a], PollAudience(a))] for a in audiences]
    return call.reply("polls.ask_audience", buttons=buttons, edit=True)


async def pick_audience(call: Call, b: PollAudience) -> Result:
    draft = _draft(call, PollStep.AUDIENCE)
    if draft is None or b.audience not in polls.audiences_for(call.me.role):
        return _stale(call)
    return await _after_audience(call, replace(draft, audience=b.audience))


async def _after_audience(call: Call, draft: Draft) -> Result:
    if draft.audience != "members":
        return await _ask_closes(call, replace(draft, wing=None))
    await _step(call, PollStep.WING, draft)
    buttons = [[call.button("polls.wing_all", PollWing("all"))]] + [
        [Button(w.label(call.lang), PollWing(w.id).pack())] for w in call.services.settings.wings
    ]
    return call.reply("polls.ask_wing", buttons=buttons, edit=True)


async def pick_wing(call: Call, b: PollWing) -> Result:
    draft = _draft(call, PollStep.WING)
    if draft is None:
        return _stale(call)
    if b.wing != "all" and call.services.settings.wing(b.wing) is None:
        return _stale(call)
    return await _ask_closes(call, replace(draft, wing=None if b.wing == "all" else b.wing))


async def _ask_closes(call: Call, draft: Draft) -> Result:
    await _step(call, PollStep.CLOSES, draft)
    return _closes_question(call, edit=True)


def _closes_question(call: Call, *, edit: bool = False) -> Reply:
    buttons = [[call.button(QUICK_LABEL[k], PollCloses(k)) for k in polls.QUICK_CLOSING]]
    return call.reply("polls.ask_closes", buttons=buttons, edit=edit)


async def pick_closes(call: Call, b: PollCloses) -> Result:
    draft = _draft(call, PollStep.CLOSES)
    if draft is None:
        return _stale(call)
    moment = polls.quick_closing(b.choice, call.services.clock.now())
    return await _preview(call, draft, moment, edit=True)


async def _preview(call: Call, draft: Draft, closes: datetime, *, edit: bool) -> Result:
    draft = replace(draft, closes_at=closes)
    await _step(call, PollStep.PREVIEW, draft)
    settings = call.services.settings
    wing = settings.wing(draft.wing) if draft.wing else None
    buttons = [
        [call.button("polls.open_button", PollOpen())],
        [call.button("polls.cancel_button", PollCancel())],
    ]
    return call.reply(
        "polls.preview",
        buttons=buttons,
        edit=edit,
        question=draft.question,
        options=polls.numbered(draft.options),
        kind=call.t("polls.kind_multiple" if draft.multiple else "polls.kind_single"),
        audience=call.t(AUDIENCE_LABEL[draft.audience]) if draft.audience else "",
        wing=wing.label(call.lang) if wing else call.t("polls.wing_all"),
        closes=closes,
    )


async def open_poll(call: Call, b: PollOpen) -> Result:
    draft = _draft(call, PollStep.PREVIEW)
    if draft is None:
        return _stale(call)
    services = call.services
    opened = await polls.open_poll(
        call.tx,
        services.clock,
        services.settings,
        actor=call.me,
        draft=draft,
    )
    match opened.outcome:
        case Opening.OPENED:
            await call.end_flow()
            return call.reply(
                "polls.opened", edit=True, count=opened.electorate, closes=draft.closes_at
            )
        case Opening.NO_ELECTORS:
            await call.end_flow()
            return call.reply("polls.no_electors", edit=True)
        case Opening.TOO_SOON | Opening.TOO_FAR:
            # The preview sat too long (or the date drifted): pick the time again.
            await _step(call, PollStep.CLOSES, draft)
            too = BadClosing.TOO_SOON if opened.outcome is Opening.TOO_SOON else BadClosing.TOO_FAR
            return [call.reply(BAD_CLOSING[too], edit=True), _closes_question(call)]
        case Opening.NOT_ALLOWED | Opening.INVALID:
            await call.end_flow()
            return call.reply("common.not_for_role", edit=True)
        case _:
            assert_never(opened.outcome)


async def cancel_draft(call: Call, b: PollCancel) -> Result:
    if NEW_POLL.read(call.state) is None:
        return _stale(call)
    await call.end_flow()
    return call.reply("polls.draft_cancelled", edit=True)
