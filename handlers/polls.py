"""Secret polls: /polls, the ballot buttons, creating a poll step by step, closing early.

A choice in progress travels only in the voter's own buttons (a bitmask in the callback data)
and in the message they see; it is never stored next to them. Nothing here logs a callback."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.council import content, polls
from bot.council.notices import ButtonSpec
from bot.council.polls import Draft, PollRow
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale
from handlers.callbacks import pack
from storage.clock import from_db, to_db

FLOW = "poll_new"
SHORT = 32
TICK_ON = "✅"
TICK_OFF = "⬜"


def short(text: str) -> str:
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _arg(call: Call, index: int) -> int | None:
    return call.callback.int_arg(index) if call.callback else None


# --- ballot buttons (also used for the queued ballot notices) --------------------------------


def ballot_specs(poll_id: int, labels: list[str], multiple: bool) -> list[list[ButtonSpec]]:
    """The ballot as stored in a notice: the same for every elector, no selection in it."""
    if not multiple:
        return [[{"x": label, "d": pack("plt", poll_id, 1 << i)}] for i, label in enumerate(labels)]
    rows: list[list[ButtonSpec]] = [
        [{"x": f"{TICK_OFF} {label}", "d": pack("plm", poll_id, 1 << i)}]
        for i, label in enumerate(labels)
    ]
    rows.append([{"m": "polls.done", "d": pack("plt", poll_id, 0)}])
    return rows


def ballot_reply(call: Call, ballot: polls.Ballot) -> Reply:
    poll = ballot.poll
    if poll.multiple:
        buttons = [
            [
                Button(
                    f"{TICK_ON if ballot.mask & (1 << i) else TICK_OFF} {label}",
                    pack("plm", poll.id, ballot.mask ^ (1 << i)),
                )
            ]
            for i, label in enumerate(ballot.labels)
        ]
        buttons.append([call.button("polls.done", pack("plt", poll.id, ballot.mask))])
    else:
        buttons = [
            [Button(label, pack("plt", poll.id, 1 << i))] for i, label in enumerate(ballot.labels)
        ]
    return call.reply(
        "polls.ballot",
        buttons=buttons,
        edit=True,
        question=poll.question,
        options=polls.numbered(ballot.labels),
        how=call.t("polls.how_multiple" if poll.multiple else "polls.how_single"),
        closes=from_db(poll.closes_at),
    )


def refusal(call: Call, why: str) -> Result:
    """One kind answer per reason. A forged or foreign ballot gets a toast and changes nothing."""
    if why == polls.CLOSED:
        return call.reply("polls.closed", edit=True)
    if why == polls.ALREADY:
        return call.reply("polls.already", edit=True)
    if why == polls.EMPTY:
        call.toast = call.t("polls.choose_one")
        return None
    call.toast = call.t("polls.not_open")
    call.toast_alert = True
    return None


async def _ballot(call: Call, poll_id: int | None, mask: int | None) -> polls.Ballot | str:
    if poll_id is None or mask is None:
        return polls.NOT_OPEN
    services = call.services
    found = await polls.ballot(call.tx, services.clock, services.settings, call.me, poll_id, mask)
    if isinstance(found, str):
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


async def show_ballot(call: Call) -> Result:
    """From a ballot notice's "Vote" or /polls: the ballot with nothing selected."""
    found = await _ballot(call, _arg(call, 0), 0)
    return refusal(call, found) if isinstance(found, str) else ballot_reply(call, found)


async def toggle(call: Call) -> Result:
    """Multiple choice: the button carries the whole new selection; nothing is stored."""
    found = await _ballot(call, _arg(call, 0), _arg(call, 1))
    return refusal(call, found) if isinstance(found, str) else ballot_reply(call, found)


async def choose(call: Call) -> Result:
    """ "You chose ... Confirm?" — an edit of the voter's own message, never a stored notice."""
    found = await _ballot(call, _arg(call, 0), _arg(call, 1))
    if isinstance(found, str):
        return refusal(call, found)
    if not found.chosen:
        return refusal(call, polls.EMPTY)
    poll = found.poll
    back = pack("plm", poll.id, found.mask) if poll.multiple else pack("plb", poll.id)
    buttons = [
        [call.button("polls.confirm", pack("plc", poll.id, found.mask))],
        [call.button("polls.change", back)],
    ]
    return call.reply(
        "polls.you_chose",
        buttons=buttons,
        edit=True,
        question=poll.question,
        chosen="\n".join(found.chosen),
    )


async def confirm(call: Call) -> Result:
    poll_id, mask = _arg(call, 0), _arg(call, 1)
    if poll_id is None or mask is None:
        return refusal(call, polls.NOT_OPEN)
    services = call.services
    outcome = await polls.cast(call.tx, services.clock, services.settings, call.me, poll_id, mask)
    if outcome == polls.RECORDED:
        # Replaces the "You chose" text: the chat keeps the choice no longer than needed, but
        # keeps the question, so the voter still knows which poll this was.
        question = await polls.question(call.tx, poll_id) or ""
        question = (
            await content.shown(
                call.tx, services.settings, "poll", poll_id, {"question": question}, call.lang
            )
        )["question"]
        return call.reply("reader.poll.recorded", edit=True, question=question)
    if outcome == polls.ALREADY:
        # A second press of the same Confirm: leave the message, say it once.
        call.toast = call.t("polls.already")
        return None
    return refusal(call, outcome)


# --- /polls --------------------------------------------------------------------------------


async def polls_command(call: Call) -> Result:
    return await _overview(call, edit=False)


async def polls_button(call: Call) -> Result:
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
                    [call.button("polls.vote_button", pack("plb", poll.id), q=short(poll.question))]
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
                    closes=from_db(poll.closes_at),
                )
            )
            if polls.may_manage(call.me, poll):
                buttons.append(
                    [
                        call.button(
                            "polls.close_button", pack("ple", poll.id), q=short(poll.question)
                        )
                    ]
                )
        blocks.append(block)
    if seen.closed:
        block = [call.t("polls.section_closed")]
        for poll in seen.closed:
            block.append(call.t("polls.line_closed", question=poll.question))
            buttons.append(
                [call.button("polls.results_button", pack("plr", poll.id), q=short(poll.question))]
            )
        blocks.append(block)
    if seen.may_create:
        buttons.append([call.button("polls.new_button", pack("pln"))])
    if not blocks:
        blocks.append([call.t("polls.none")])
    return Reply("\n\n".join("\n".join(b) for b in blocks), buttons, edit)


async def results(call: Call) -> Result:
    poll = await _poll(call)
    if poll is None or not await polls.may_see_results(call.tx, call.me, poll):
        return refusal(call, polls.NOT_OPEN)
    shown = await polls.results(call.tx, call.services.settings, poll)
    if shown is None:
        call.toast = call.t("polls.not_yet")
        return None
    message, params = shown.notice()
    return call.reply(
        message, buttons=[[call.button("polls.back", pack("pll"))]], edit=True, **params
    )


async def _poll(call: Call) -> PollRow | None:
    poll_id = _arg(call, 0)
    return None if poll_id is None else await polls.get(call.tx, poll_id)


async def close_ask(call: Call) -> Result:
    poll = await _poll(call)
    if poll is None or not polls.may_manage(call.me, poll):
        return refusal(call, polls.NOT_OPEN)
    if not poll.is_open:
        return call.reply("polls.close_already", edit=True)
    buttons = [
        [
            call.button("polls.close_yes", pack("plf", poll.id)),
            call.button("polls.close_no", pack("pll")),
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


async def close_confirm(call: Call) -> Result:
    poll_id = _arg(call, 0)
    if poll_id is None:
        return refusal(call, polls.NOT_OPEN)
    services = call.services
    outcome = await polls.close_early(
        call.tx, services.clock, services.settings, actor=call.me, poll_id=poll_id
    )
    if outcome == "closed":
        return call.reply("polls.closed_early", edit=True)
    if outcome == "already":
        return call.reply("polls.close_already", edit=True)
    return refusal(call, polls.NOT_OPEN)


# --- creating a poll -----------------------------------------------------------------------


def _draft(call: Call, step: str) -> Draft | None:
    """The draft, if the person is at this step of writing a poll (else the button is stale)."""
    state = call.state
    if state is None or state.flow != FLOW or state.step != step:
        return None
    return Draft.from_data(state.data)


async def _step(call: Call, step: str, draft: Draft) -> None:
    await call.begin(FLOW, step, draft.to_data())


async def new_poll(call: Call) -> Result:
    if not polls.may_create(call.me.role):
        return call.reply("common.not_for_role")
    await content.start(call.tx, call.me.id)
    await _step(call, "question", Draft())
    return call.reply("polls.ask_question", max=polls.MAX_QUESTION)


async def draft_text(call: Call) -> Result:
    """Typed replies while writing a poll: the question, each option, or a closing time."""
    state = call.state
    assert state is not None
    draft = Draft.from_data(state.data)
    if state.step == "question":
        cleaned = polls.check_question(call.text)
        if not cleaned.ok:
            return call.reply("polls.question_problem", max=polls.MAX_QUESTION)
        draft.question = cleaned.text
        await _step(call, "options", draft)
        return await asking.ask_other(
            call,
            field="question",
            text=cleaned.text,
            most=polls.MAX_QUESTION,
            then=call.reply("polls.ask_option", number=1, max=polls.MAX_OPTION),
        )
    if state.step == "options":
        return await _add_option(call, draft)
    if state.step == "closes":
        moment, problem = polls.parse_closing(
            call.text, call.services.settings, call.services.clock.now()
        )
        if moment is None or problem:
            return call.reply(f"polls.closes_{problem or 'format'}")
        return await _preview(call, draft, moment, edit=False)
    return call.reply("polls.use_buttons")


async def _add_option(call: Call, draft: Draft) -> Result:
    cleaned = polls.check_option(call.text, draft.options)
    if cleaned.problem == "duplicate":
        return call.reply("polls.option_duplicate")
    if not cleaned.ok:
        return call.reply("polls.option_problem", max=polls.MAX_OPTION)
    draft.options.append(cleaned.text)
    field = f"option:{len(draft.options) - 1}"
    if len(draft.options) >= polls.MAX_OPTIONS:
        await _step(call, "kind", draft)
        then: Result = [call.reply("polls.options_full", max=polls.MAX_OPTIONS), _ask_kind(call)]
    else:
        await _step(call, "options", draft)
        buttons = (
            [[call.button("polls.options_done", pack("plo"))]]
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
        [call.button("polls.kind_single", pack("plk", "single"))],
        [call.button("polls.kind_multiple", pack("plk", "multi"))],
    ]
    return call.reply("polls.ask_kind", buttons=buttons, edit=edit)


async def options_done(call: Call) -> Result:
    draft = _draft(call, "options")
    if draft is None or len(draft.options) < polls.MIN_OPTIONS:
        return _stale(call)
    await _step(call, "kind", draft)
    return _ask_kind(call, edit=True)


async def pick_kind(call: Call) -> Result:
    draft = _draft(call, "kind")
    kind = call.callback.arg(0) if call.callback else None
    if draft is None or kind not in ("single", "multi"):
        return _stale(call)
    draft.multiple = kind == "multi"
    audiences = polls.audiences_for(call.me.role)
    if len(audiences) == 1:
        draft.audience = audiences[0]
        return await _after_audience(call, draft)
    await _step(call, "audience", draft)
    buttons = [[call.button(f"polls.audience_{a}", pack("pla", a))] for a in audiences]
    return call.reply("polls.ask_audience", buttons=buttons, edit=True)


async def pick_audience(call: Call) -> Result:
    draft = _draft(call, "audience")
    audience = call.callback.arg(0) if call.callback else None
    if draft is None or audience not in polls.audiences_for(call.me.role):
        return _stale(call)
    draft.audience = audience
    return await _after_audience(call, draft)


async def _after_audience(call: Call, draft: Draft) -> Result:
    if draft.audience != "members":
        draft.wing = None
        return await _ask_closes(call, draft)
    await _step(call, "wing", draft)
    buttons = [[call.button("polls.wing_all", pack("plw", "all"))]] + [
        [Button(w.label(call.lang), pack("plw", w.id))] for w in call.services.settings.wings
    ]
    return call.reply("polls.ask_wing", buttons=buttons, edit=True)


async def pick_wing(call: Call) -> Result:
    draft = _draft(call, "wing")
    wing = call.callback.arg(0) if call.callback else None
    if draft is None or wing is None:
        return _stale(call)
    if wing != "all" and call.services.settings.wing(wing) is None:
        return _stale(call)
    draft.wing = None if wing == "all" else wing
    return await _ask_closes(call, draft)


async def _ask_closes(call: Call, draft: Draft) -> Result:
    await _step(call, "closes", draft)
    return _closes_question(call, edit=True)


def _closes_question(call: Call, *, edit: bool = False) -> Reply:
    buttons = [[call.button(f"polls.quick_{k}", pack("plx", k)) for k in polls.QUICK_CLOSING]]
    return call.reply("polls.ask_closes", buttons=buttons, edit=edit)


async def pick_closes(call: Call) -> Result:
    draft = _draft(call, "closes")
    choice = call.callback.arg(0) if call.callback else None
    moment = polls.quick_closing(choice or "", call.services.clock.now())
    if draft is None or moment is None:
        return _stale(call)
    return await _preview(call, draft, moment, edit=True)


async def _preview(call: Call, draft: Draft, closes: datetime, *, edit: bool) -> Result:
    draft.closes_at = to_db(closes)
    await _step(call, "preview", draft)
    settings = call.services.settings
    wing = settings.wing(draft.wing) if draft.wing else None
    buttons = [
        [call.button("polls.open_button", pack("ply"))],
        [call.button("polls.cancel_button", pack("plq"))],
    ]
    return call.reply(
        "polls.preview",
        buttons=buttons,
        edit=edit,
        question=draft.question,
        options=polls.numbered(draft.options),
        kind=call.t("polls.kind_multiple" if draft.multiple else "polls.kind_single"),
        audience=call.t(f"polls.audience_{draft.audience}"),
        wing=wing.label(call.lang) if wing else call.t("polls.wing_all"),
        closes=closes,
    )


async def open_poll(call: Call) -> Result:
    draft = _draft(call, "preview")
    if draft is None:
        return _stale(call)
    services = call.services
    opened = await polls.open_poll(
        call.tx,
        services.clock,
        services.settings,
        actor=call.me,
        draft=draft,
        ballot_buttons=ballot_specs,
    )
    if opened.problem == "no_electors":
        await call.end_flow()
        return call.reply("polls.no_electors", edit=True)
    if opened.problem in ("too_soon", "too_far"):
        # The preview sat too long (or the date drifted): pick the time again.
        await _step(call, "closes", draft)
        return [call.reply(f"polls.closes_{opened.problem}", edit=True), _closes_question(call)]
    if opened.problem:
        await call.end_flow()
        return call.reply("common.not_for_role", edit=True)
    await call.end_flow()
    return call.reply(
        "polls.opened",
        edit=True,
        count=opened.electorate,
        closes=from_db(draft.closes_at or ""),
    )


async def cancel_draft(call: Call) -> Result:
    if call.state is None or call.state.flow != FLOW:
        return _stale(call)
    await call.end_flow()
    return call.reply("polls.draft_cancelled", edit=True)
