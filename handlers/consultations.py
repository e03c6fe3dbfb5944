"""Consultations: staff write and publish them (/consult), families and members answer in private
(/consultations), staff read the summary and CSV and write back. Leaving: handlers/privacy.py.
Thin: every rule is in bot/council/consultations.py."""

from __future__ import annotations

import enum
from dataclasses import replace
from typing import TypeVar, assert_never

from bot.council import consultation_flows as flows
from bot.council import consultations as council
from bot.council import content
from bot.council.access_buttons import MenuCommand
from bot.council.consultation_buttons import (
    CloseEarlyAsk,
    CloseEarlyConfirm,
    ConsultationSummary,
    DoneMultiple,
    GoToQuestion,
    Mode,
    NameChoice,
    NewAudience,
    NewClose,
    NewDiscard,
    NewKind,
    NewMore,
    NewPublish,
    OpenConsultation,
    PickOption,
    ReportPublish,
    ReportStart,
    ReviewAnswers,
    SkipQuestion,
    SubmitAnswers,
)
from bot.council.consultation_flows import (
    Answering,
    AnswerStep,
    ConsultationDraft,
    NewStep,
    Question,
    Reporting,
    ReportStep,
)
from bot.council.consultations import CloseEarly, Progress, Refusal, Sent
from bot.council.flows import Draft as FlowDraft
from bot.council.flows import Flow
from bot.documents import consultations as consultation_documents
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale
from handlers.labels import Ids

LIST_OPEN, LIST_CLOSED = 10, 5
S = TypeVar("S", bound=enum.StrEnum)
D = TypeVar("D", bound=FlowDraft)
LABEL_MAX = 40
_KIND = Ids("consultations.kind_{}", council.KINDS)
_AUDIENCE = Ids("consultations.audience_{}", council.AUDIENCES)
_STATUS = Ids("consultations.status_{}", ("open", "closed"))


def refusal_id(reason: Refusal) -> str:
    """The catalogue id that answers a refusal."""
    match reason:
        case Refusal.NOT_FOUND:
            return "consultations.not_found"
        case Refusal.NOT_FOR_YOU:
            return "consultations.not_for_you"
        case Refusal.CLOSED:
            return "consultations.closed_answering"
        case Refusal.NOT_CLOSED:
            return "consultations.not_closed"
        case Refusal.REPORTED:
            return "consultations.already_reported"
        case Refusal.BAD_DRAFT:
            return "consultations.not_ready"
        case Refusal.BAD_QUESTION | Refusal.BAD_OPTION:
            return "common.stale_button"  # a press that no longer fits the consultation
        case _:
            assert_never(reason)


def _refused(call: Call, why: Refusal) -> Result:
    """A kind answer that changes nothing: a toast for a button, a message otherwise."""
    message_id = refusal_id(why)
    if call.callback is not None:
        call.toast = call.t(message_id)
        call.toast_alert = why is Refusal.CLOSED
        return None
    return call.reply(message_id)


async def _save(call: Call, flow: Flow[S, D], step: S, draft: D) -> None:
    await flow.save(call.tx, call.me.id, step, draft, call.services.clock.now())


def _label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


# --- the list and one consultation -----------------------------------------------------------


async def list_(call: Call) -> Result:
    me = call.me
    await council.close_overdue(call.tx, call.services.clock)
    staff = council.sees_all(me.role)
    opened = await council.listed(call.tx, me, status="open", limit=LIST_OPEN)
    closed = await council.listed(call.tx, me, status="closed", limit=LIST_CLOSED)
    buttons: list[list[Button]] = []
    lines: list[str] = []
    if opened:
        lines.append(call.t("consultations.list_open"))
        for c in opened:
            if staff:
                numbers = await council.turnout(call.tx, c.id)
                lines.append(
                    call.t(
                        "consultations.list_line_staff",
                        title=c.title,
                        closes=c.closes_at,
                        families=_families(numbers.families),
                        members=_members(numbers.members),
                    )
                )
            else:
                lines.append(call.t("consultations.list_line", title=c.title, closes=c.closes_at))
            buttons.append([Button(_label(c.title), OpenConsultation(c.id).pack())])
    if closed:
        lines.append(call.t("consultations.list_closed"))
        for c in closed:
            lines.append(call.t("consultations.list_line_closed", title=c.title))
            buttons.append([Button(_label(c.title), OpenConsultation(c.id).pack())])
    if not lines:
        lines.append(call.t("consultations.list_none"))
    if council.runs_them(me.role):
        buttons.append([call.button("consultations.menu_consult", MenuCommand("consult"))])
    return Reply("\n".join(lines), buttons)


async def view(call: Call, b: OpenConsultation) -> Result:
    consultation_id = b.consultation_id
    await council.close_overdue(call.tx, call.services.clock)
    consultation = await council.visible(call.tx, call.me, consultation_id)
    if isinstance(consultation, Refusal):
        return _refused(call, consultation)
    if council.sees_all(call.me.role):
        return await _staff_view(call, consultation)
    if not council.is_open(consultation, call.services.clock):
        return await _closed_view(call, consultation)
    progress = await _progress(call, consultation_id)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    return _open_view(call, progress)


async def _progress(call: Call, consultation_id: int) -> Progress | Refusal:
    """The person's progress, with the words staff wrote in their content language."""
    progress = await council.progress(call.tx, call.services.clock, call.me, consultation_id)
    if isinstance(progress, Refusal):
        return progress
    return await progress.in_language(call.tx, call.services.settings, call.lang)


def _open_view(call: Call, progress: Progress) -> Reply:
    c = progress.consultation
    total = len(progress.questions)
    if progress.submitted:
        status = call.t("consultations.status_sent")
    elif progress.answers:
        status = call.t("consultations.status_draft", answered=len(progress.answers), total=total)
    else:
        status = call.t("consultations.status_new")
    text = call.t(
        "consultations.view_open",
        title=c.title,
        background=c.background,
        closes=c.closes_at,
        total=total,
    )
    first = next((q.position for q in progress.questions if q.position not in progress.answers), 1)
    start_id = "consultations.start" if not progress.answers else "consultations.continue"
    buttons = [[call.button(start_id, GoToQuestion(c.id, first, "n"))]]
    if progress.answers or progress.submitted:
        buttons.append([call.button("consultations.review_button", ReviewAnswers(c.id))])
    return Reply(f"{text}\n\n{status}", buttons)


async def _closed_view(call: Call, consultation: council.ConsultationRow) -> Reply:
    # The title and the report back in the reader's content language.
    words = await content.shown(
        call.tx,
        call.services.settings,
        "consultation",
        consultation.id,
        {
            "title": consultation.title,
            "heard": consultation.heard or "",
            "will": consultation.will_do or "",
        },
        call.lang,
    )
    consultation = replace(
        consultation,
        title=words["title"],
        heard=words["heard"] or consultation.heard,
        will_do=words["will"] or consultation.will_do,
    )
    lines = [
        call.t(
            "consultations.view_closed",
            title=consultation.title,
            closed=consultation.closed_at or consultation.closes_at,
        )
    ]
    if await council.took_part(call.tx, consultation.id, call.me):
        lines.append(call.t("consultations.you_took_part"))
    lines.append(_report_text(call, consultation))
    return Reply("\n\n".join(lines))


def _report_text(call: Call, consultation: council.ConsultationRow) -> str:
    if consultation.reported_at is None:
        return call.t("consultations.report_pending")
    return call.t("consultations.report_block", heard=consultation.heard, will=consultation.will_do)


async def _staff_view(call: Call, consultation: council.ConsultationRow) -> Reply:
    numbers = await council.turnout(call.tx, consultation.id)
    is_open = consultation.status == "open"
    text = call.t(
        "consultations.staff_view",
        title=consultation.title,
        audience=call.t(_AUDIENCE[consultation.audience]),
        status=call.t(_STATUS[consultation.status]),
        closes=consultation.closes_at,
        families=numbers.families,
        families_started=numbers.families_started if is_open else 0,
        members=numbers.members,
        members_started=numbers.members_started if is_open else 0,
    )
    buttons: list[list[Button]] = []
    if is_open and council.may_close_early(call.me, consultation):
        buttons.append([call.button("reader.consult.close", CloseEarlyAsk(consultation.id))])
    if not is_open:
        text = f"{text}\n\n{_report_text(call, consultation)}"
        if council.runs_them(call.me.role):
            buttons.append(
                [call.button("consultations.summary_button", ConsultationSummary(consultation.id))]
            )
            if council.awaits_report(consultation):
                buttons.append(
                    [call.button("consultations.report_button", ReportStart(consultation.id))]
                )
    return Reply(text, buttons)


async def close_ask(call: Call, b: CloseEarlyAsk) -> Result:
    consultation = await council.to_close(call.tx, call.me, b.consultation_id)
    if isinstance(consultation, Refusal):
        return _refused(call, consultation)
    if isinstance(consultation, CloseEarly):
        return _closing(call, consultation)
    numbers = await council.turnout(call.tx, consultation.id)
    buttons = [
        [
            call.button("reader.consult.close_yes", CloseEarlyConfirm(consultation.id)),
            call.button("reader.consult.close_no", OpenConsultation(consultation.id)),
        ]
    ]
    return call.reply(
        "reader.consult.close_confirm",
        buttons=buttons,
        edit=True,
        title=consultation.title,
        sent=numbers.families + numbers.members,
    )


async def close_confirm(call: Call, b: CloseEarlyConfirm) -> Result:
    outcome = await council.close_early(
        call.tx, call.services.clock, actor=call.me, consultation_id=b.consultation_id
    )
    return _closing(call, outcome)


def _closing(call: Call, outcome: CloseEarly) -> Result:
    match outcome:
        case CloseEarly.NOT_ALLOWED:
            return _stale(call, "common.not_for_you")
        case CloseEarly.ALREADY:
            return call.reply("reader.consult.closed_already", edit=True)
        case CloseEarly.CLOSED:
            return call.reply("reader.consult.closed_early", edit=True)
        case _:
            assert_never(outcome)


def _families(count: int) -> dict[str, object]:
    """A count phrase ("1 family", "2 deulu") in the reader's language (bot.i18n.resolve)."""
    return {"$msg": "reader.n.families", "count": count}


def _members(count: int) -> dict[str, object]:
    return {"$msg": "reader.n.members", "count": count}


# --- answering -------------------------------------------------------------------------------


def _answer_text(
    call: Call, question: council.QuestionRow, answer: council.AnswerRow | None
) -> str:
    if answer is None:
        return call.t("consultations.skipped")
    if answer.choice is not None:
        return "; ".join(question.options[i] for i in answer.choice if i < len(question.options))
    return answer.answer or ""


async def _leave_answer_flow(call: Call) -> None:
    if call.state is not None and call.state.flow == flows.ANSWER.name:
        await call.end_flow()


async def _question(call: Call, progress: Progress, position: int, mode: Mode) -> Result:
    question = next((q for q in progress.questions if q.position == position), None)
    if question is None:
        return _stale(call)
    c = progress.consultation
    answer = progress.answers.get(position)
    lines = [
        call.t(
            "consultations.question",
            number=position,
            total=len(progress.questions),
            prompt=question.prompt,
        )
    ]
    buttons: list[list[Button]] = []
    if question.kind == "text":
        await _save(call, flows.ANSWER, AnswerStep.TEXT, Answering(c.id, position, mode))
        if answer is not None:
            lines.append(
                call.t("consultations.current", answer=_answer_text(call, question, answer))
            )
        lines.append(call.t("consultations.type_answer"))
    else:
        await _leave_answer_flow(call)
        chosen = set(answer.choice or []) if answer else set()
        multiple = question.kind == "multiple"
        lines.append(call.t("consultations.pick_many" if multiple else "consultations.pick_one"))
        for index, option in enumerate(question.options):
            mark = (
                ("☑ " if index in chosen else "☐ ")
                if multiple
                else ("● " if index in chosen else "")
            )
            buttons.append([Button(mark + option, PickOption(c.id, position, index, mode).pack())])
        if multiple:
            buttons.append([call.button("consultations.done", DoneMultiple(c.id, position, mode))])
    buttons.append(
        [
            call.button("consultations.skip", SkipQuestion(c.id, position, mode)),
            call.button("consultations.review_button", ReviewAnswers(c.id)),
        ]
    )
    return Reply("\n\n".join(lines), buttons, edit=call.callback is not None)


async def _next(call: Call, consultation_id: int, position: int, mode: Mode) -> Result:
    """After an answer: the next question, or the review when it was the last or a change."""
    progress = await _progress(call, consultation_id)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    return await _after(call, progress, position, mode)


async def _after(call: Call, progress: Progress, position: int, mode: Mode) -> Result:
    last = max(q.position for q in progress.questions)
    if mode == "r" or position >= last:
        return await _review(call, progress)
    return await _question(call, progress, position + 1, mode)


async def _review(call: Call, progress: Progress) -> Result:
    await _leave_answer_flow(call)
    c = progress.consultation
    lines = [call.t("consultations.review", title=c.title)]
    for question in progress.questions:
        lines.append(
            call.t(
                "consultations.review_line",
                number=question.position,
                prompt=question.prompt,
                answer=_answer_text(call, question, progress.answers.get(question.position)),
            )
        )
    closes = c.closes_at
    if progress.submitted:
        lines.append(call.t("consultations.review_sent", closes=closes))
    else:
        lines.append(call.t("consultations.review_unsent"))
    change = [
        call.button("consultations.change", GoToQuestion(c.id, q.position, "r"), number=q.position)
        for q in progress.questions
    ]
    buttons = [change[i : i + 5] for i in range(0, len(change), 5)]
    if not progress.submitted:
        buttons.append([call.button("consultations.submit", SubmitAnswers(c.id))])
    return Reply("\n\n".join(lines), buttons, edit=call.callback is not None)


async def go_to_question(call: Call, b: GoToQuestion) -> Result:
    progress = await _progress(call, b.consultation_id)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    return await _question(call, progress, b.position, b.mode)


async def pick(call: Call, b: PickOption) -> Result:
    consultation_id, position, option = b.consultation_id, b.position, b.option
    clock = call.services.clock
    chosen = await council.choose(call.tx, clock, call.me, consultation_id, position, option)
    if isinstance(chosen, Refusal):
        return _refused(call, chosen)
    progress = await _progress(call, consultation_id)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    call.toast = call.t("consultations.saved")
    question = next(q for q in progress.questions if q.position == position)
    if question.kind == "multiple":
        # Stay on the question: the ticks on the redrawn buttons show the choice.
        return await _question(call, progress, position, b.mode)
    return await _after(call, progress, position, b.mode)


async def done_multiple(call: Call, b: DoneMultiple) -> Result:
    return await _next(call, b.consultation_id, b.position, b.mode)


async def skip(call: Call, b: SkipQuestion) -> Result:
    skipped = await council.skip(
        call.tx, call.services.clock, call.me, b.consultation_id, b.position
    )
    if isinstance(skipped, Refusal):
        return _refused(call, skipped)
    return await _next(call, b.consultation_id, b.position, b.mode)


async def review(call: Call, b: ReviewAnswers) -> Result:
    progress = await _progress(call, b.consultation_id)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    return await _review(call, progress)


async def submit(call: Call, b: SubmitAnswers) -> Result:
    """ "Send my answers": first ask whether staff may see the name, then send (name_choice)."""
    cid = b.consultation_id
    progress = await _progress(call, cid)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    if progress.submitted:
        return call.reply("consultations.already_sent")
    ask = [
        [call.button("consultations.name_no", NameChoice(cid, False))],
        [call.button("consultations.name_yes", NameChoice(cid, True))],
        [call.button("reader.consult.back", ReviewAnswers(cid))],
    ]
    return call.reply("consultations.ask_name", buttons=ask, edit=True)


async def name_choice(call: Call, b: NameChoice) -> Result:
    cid = b.consultation_id
    clock = call.services.clock
    # Sent now, whatever follows, so answers are never lost if the name is not typed.
    sent = await council.submit(call.tx, clock, call.me, cid)
    if isinstance(sent, Refusal):
        return _refused(call, sent)
    progress = await _progress(call, cid)
    if isinstance(progress, Refusal):
        return _refused(call, progress)
    await _leave_answer_flow(call)
    match sent:
        case Sent.ALREADY:
            return call.reply("consultations.already_sent", edit=True)
        case Sent.FIRST:
            pass
        case _:
            assert_never(sent)
    if not b.give_name:
        named = await council.give_name(call.tx, clock, call.me, cid, None)
        if isinstance(named, Refusal):
            return _refused(call, named)
        return [
            call.reply("consultations.name_anonymous", edit=True),
            call.reply("consultations.thanks", closes=progress.consultation.closes_at),
        ]
    await _save(call, flows.ANSWER, AnswerStep.NAME, Answering(cid))
    return call.reply("consultations.ask_name_text", edit=True)


async def answer_typed(call: Call) -> Result:
    """Typed replies while answering: a free-text answer, or the name to show staff."""
    at = flows.ANSWER.read(call.state)
    if at is None or at.draft.c is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    answered = await _answer_typed(call, at.step, at.draft.c, at.draft.q, at.draft.m)
    if isinstance(answered, Refusal):
        await call.end_flow()
        return _refused(call, answered)
    return answered


async def _answer_typed(
    call: Call, step: AnswerStep, consultation_id: int, position: int | None, m: str
) -> Result | Refusal:
    clock = call.services.clock
    if step is AnswerStep.NAME:
        cleaned = council.name_text(call.text)
        if not cleaned.ok:
            return call.reply("consultations.name_problem")
        named = await council.give_name(call.tx, clock, call.me, consultation_id, cleaned.text)
        if isinstance(named, Refusal):
            return named
        await call.end_flow()
        progress = await _progress(call, consultation_id)
        if isinstance(progress, Refusal):
            return progress
        closes = progress.consultation.closes_at
        return [
            call.reply("consultations.name_given", name=cleaned.text),
            call.reply("consultations.thanks", closes=closes),
        ]
    if position is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    written = await council.write(call.tx, clock, call.me, consultation_id, position, call.text)
    if isinstance(written, Refusal):
        return written
    if written.problem == "too_long":
        return call.reply("consultations.answer_too_long", count=len(written.text))
    if not written.ok:
        return call.reply("consultations.answer_empty")
    mode: Mode = "r" if m == "r" else "n"
    progress = await _progress(call, consultation_id)
    if isinstance(progress, Refusal):
        return progress
    return [
        call.reply("consultations.saved"),
        *_as_list(await _after(call, progress, position, mode)),
    ]


def _as_list(result: Result) -> list[Reply]:
    if result is None:
        return []
    return [result] if isinstance(result, Reply) else list(result)


# --- staff: writing a consultation -----------------------------------------------------------


async def new(call: Call) -> Result:
    await _save(call, flows.NEW, NewStep.TITLE, ConsultationDraft())
    await content.start(call.tx, call.me.id)
    return call.reply("consultations.ask_title")


def _draft_at(call: Call, step: NewStep) -> ConsultationDraft | None:
    at = flows.NEW.read(call.state)
    return at.draft if at is not None and at.step is step else None


def _kind_buttons(call: Call) -> list[list[Button]]:
    return [[Button(call.t(_KIND[k]), NewKind(k).pack())] for k in council.KINDS]


def _audience_buttons(call: Call) -> list[list[Button]]:
    return [[Button(call.t(_AUDIENCE[a]), NewAudience(a).pack())] for a in council.AUDIENCES]


def _close_buttons(call: Call) -> list[list[Button]]:
    return [
        [call.button("consultations.close_days", NewClose(d), count=d)]
        for d in council.QUICK_CLOSE_DAYS
    ]


def _more_buttons(call: Call) -> list[list[Button]]:
    return [
        [call.button("consultations.more_yes", NewMore(True))],
        [call.button("consultations.more_no", NewMore(False))],
    ]


async def new_typed(call: Call) -> Result:
    at = flows.NEW.read(call.state)
    if at is None:  # a stored draft that no longer reads: start again
        await call.end_flow()
        return call.reply("consultations.not_ready")
    draft = at.draft
    match at.step:
        case NewStep.TITLE:
            cleaned = council.title_text(call.text)
            if not cleaned.ok:
                return call.reply("consultations.title_problem")
            await _save(call, flows.NEW, NewStep.BACKGROUND, replace(draft, title=cleaned.text))
            return await asking.ask_other(
                call,
                field="title",
                text=cleaned.text,
                most=council.TITLE_MAX,
                then=call.reply("consultations.ask_background"),
            )
        case NewStep.BACKGROUND:
            cleaned = council.background_text(call.text)
            if not cleaned.ok:
                return call.reply("consultations.background_problem", count=len(cleaned.text))
            draft = replace(draft, background=cleaned.text)
            await _save(call, flows.NEW, NewStep.QUESTION, draft)
            return await asking.ask_other(
                call,
                field="background",
                text=cleaned.text,
                most=council.BACKGROUND_MAX,
                then=call.reply("consultations.ask_question", number=1),
            )
        case NewStep.QUESTION:
            cleaned = council.prompt_text(call.text)
            if not cleaned.ok:
                return call.reply("consultations.question_problem")
            await _save(call, flows.NEW, NewStep.KIND, replace(draft, prompt=cleaned.text))
            return await asking.ask_other(
                call,
                field=f"prompt:{len(draft.questions)}",
                text=cleaned.text,
                most=council.PROMPT_MAX,
                then=call.reply("consultations.ask_kind", buttons=_kind_buttons(call)),
            )
        case NewStep.OPTIONS:
            options = council.options_text(call.text)
            if options is None:
                return call.reply("consultations.options_problem")
            if not draft.prompt or draft.kind not in ("single", "multiple"):
                await call.end_flow()
                return call.reply("consultations.not_ready")
            question = Question(draft.kind, draft.prompt, tuple(options))
            draft = _with(draft, question)
            return await asking.ask_other(
                call,
                field=f"options:{len(draft.questions) - 1}",
                text="\n".join(options),
                most=council.OPTION_MAX * council.MAX_OPTIONS + council.MAX_OPTIONS,
                then=await _after_question(call, draft),
            )
        case NewStep.CLOSE:
            zone = call.services.settings.establishment.timezone
            closes = council.parse_closing(call.text, call.services.clock, zone)
            if closes is None:
                return call.reply("consultations.close_problem")
            return await _preview(call, replace(draft, closes_at=closes))
        case NewStep.KIND | NewStep.MORE | NewStep.AUDIENCE | NewStep.PREVIEW:
            return call.reply("consultations.use_buttons")
        case _:
            assert_never(at.step)


def _with(draft: ConsultationDraft, question: Question) -> ConsultationDraft:
    """The draft with one more question, and no question half-written."""
    return replace(draft, questions=(*draft.questions, question), prompt="", kind=None)


async def _after_question(call: Call, draft: ConsultationDraft) -> Result:
    if not council.room_for_more(draft):
        await _save(call, flows.NEW, NewStep.AUDIENCE, draft)
        return call.reply("consultations.ask_audience", buttons=_audience_buttons(call))
    await _save(call, flows.NEW, NewStep.MORE, draft)
    return call.reply(
        "consultations.ask_more", buttons=_more_buttons(call), number=len(draft.questions)
    )


async def new_kind(call: Call, b: NewKind) -> Result:
    draft = _draft_at(call, NewStep.KIND)
    if draft is None or not draft.prompt:
        return _stale(call)
    if b.kind == "text":
        return await _after_question(call, _with(draft, Question("text", draft.prompt)))
    await _save(call, flows.NEW, NewStep.OPTIONS, replace(draft, kind=b.kind))
    return call.reply("consultations.ask_options", edit=True)


async def new_more(call: Call, b: NewMore) -> Result:
    draft = _draft_at(call, NewStep.MORE)
    if draft is None:
        return _stale(call)
    if b.more and council.room_for_more(draft):
        await _save(call, flows.NEW, NewStep.QUESTION, draft)
        return call.reply("consultations.ask_question", number=len(draft.questions) + 1, edit=True)
    await _save(call, flows.NEW, NewStep.AUDIENCE, draft)
    return call.reply("consultations.ask_audience", buttons=_audience_buttons(call), edit=True)


async def new_audience(call: Call, b: NewAudience) -> Result:
    draft = _draft_at(call, NewStep.AUDIENCE)
    if draft is None:
        return _stale(call)
    await _save(call, flows.NEW, NewStep.CLOSE, replace(draft, audience=b.audience))
    return call.reply("consultations.ask_close", buttons=_close_buttons(call), edit=True)


async def new_close(call: Call, b: NewClose) -> Result:
    draft = _draft_at(call, NewStep.CLOSE)
    zone = call.services.settings.establishment.timezone
    closes = council.quick_closing(b.days, call.services.clock, zone)
    if draft is None or closes is None:
        return _stale(call)
    return await _preview(call, replace(draft, closes_at=closes))


async def _preview(call: Call, draft: ConsultationDraft) -> Result:
    if draft.audience is None or draft.closes_at is None:  # an old draft that skipped a step
        await call.end_flow()
        return call.reply("consultations.not_ready")
    await _save(call, flows.NEW, NewStep.PREVIEW, draft)
    questions: list[str] = []
    for number, question in enumerate(draft.questions, start=1):
        questions.append(
            call.t(
                "consultations.preview_question",
                number=number,
                prompt=question.prompt,
                kind=call.t(_KIND[question.kind]),
            )
        )
        questions.extend(call.t("consultations.preview_option", option=o) for o in question.options)
    text = call.t(
        "consultations.preview",
        title=draft.title,
        background=draft.background,
        questions="\n".join(questions),
        audience=call.t(_AUDIENCE[draft.audience]),
        closes=draft.closes_at,
    )
    buttons = [
        [
            call.button("consultations.publish", NewPublish()),
            call.button("consultations.discard", NewDiscard()),
        ]
    ]
    return Reply(text, buttons)


async def new_publish(call: Call, b: NewPublish) -> Result:
    draft = _draft_at(call, NewStep.PREVIEW)
    if draft is None:
        return _stale(call)
    await call.end_flow()
    published = await council.publish(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        draft=draft,
    )
    if isinstance(published, Refusal):
        return call.reply(refusal_id(published), edit=True)
    return call.reply(
        "consultations.published",
        edit=True,
        count=published.invited,
        closes=draft.closes_at,
    )


async def discard(call: Call, b: NewDiscard) -> Result:
    state = call.state
    if state is None or state.flow not in (flows.NEW.name, flows.REPORT.name):
        return _stale(call)
    await call.end_flow()
    return call.reply("consultations.discarded", edit=True)


# --- staff: summary, CSV, report back --------------------------------------------------------


async def summary(call: Call, b: ConsultationSummary) -> Result:
    cid = b.consultation_id
    await council.close_overdue(call.tx, call.services.clock)
    found = await council.staff_view_summary(call.tx, call.services.clock, call.me, cid)
    if isinstance(found, Refusal):
        return _refused(call, found)
    gathered = await council.responses(call.tx, cid)
    if isinstance(gathered, Refusal):
        return _refused(call, gathered)
    data = consultation_documents.export_csv(gathered, call.lang)
    numbers = found.turnout
    lines = [
        call.t(
            "consultations.summary_title",
            title=found.consultation.title,
            families=_families(numbers.families),
            members=_members(numbers.members),
            responses=found.responses,
        )
    ]
    for item in found.questions:
        q = item.question
        if q.kind == "text":
            lines.append(
                call.t(
                    "consultations.summary_text",
                    number=q.position,
                    prompt=q.prompt,
                    count=item.answered,
                )
            )
            continue
        block = [
            call.t(
                "consultations.summary_choice",
                number=q.position,
                prompt=q.prompt,
                answered=item.answered,
            )
        ]
        for option, count in zip(q.options, item.counts, strict=True):
            share = round(100 * count / item.answered) if item.answered else 0
            block.append(
                call.t("consultations.summary_option", option=option, count=count, share=share)
            )
        lines.append("\n".join(block))
    document = Reply(
        call.t("consultations.summary_file"),
        document=(f"consultation-{cid}.csv", data),
    )
    return [Reply("\n\n".join(lines)), document]


async def report_start(call: Call, b: ReportStart) -> Result:
    consultation = await council.to_report(call.tx, call.me, b.consultation_id)
    if isinstance(consultation, Refusal):
        return _refused(call, consultation)
    await _save(call, flows.REPORT, ReportStep.HEARD, Reporting(consultation.id))
    await content.start(call.tx, call.me.id)
    return call.reply("consultations.ask_heard", title=consultation.title)


async def report_typed(call: Call) -> Result:
    at = flows.REPORT.read(call.state)
    cleaned = council.report_text(call.text)
    if at is None or at.step is ReportStep.PREVIEW:
        return call.reply("consultations.use_buttons")
    if not cleaned.ok:
        return call.reply("consultations.report_problem", count=len(cleaned.text))
    if at.step is ReportStep.HEARD:
        await _save(call, flows.REPORT, ReportStep.WILL, replace(at.draft, heard=cleaned.text))
        return await asking.ask_other(
            call,
            field="heard",
            text=cleaned.text,
            most=council.REPORT_MAX,
            then=call.reply("consultations.ask_will"),
        )
    draft = replace(at.draft, will=cleaned.text)
    await _save(call, flows.REPORT, ReportStep.PREVIEW, draft)
    consultation_id = draft.c
    takers = 0 if consultation_id is None else await council.taker_count(call.tx, consultation_id)
    report = call.t("consultations.report_block", heard=draft.heard, will=cleaned.text)
    buttons = [
        [
            call.button("consultations.report_publish", ReportPublish(consultation_id or 0)),
            call.button("consultations.discard", NewDiscard()),
        ]
    ]
    preview = call.reply(
        "consultations.report_preview", buttons=buttons, report=report, count=takers
    )
    return await asking.ask_other(
        call, field="will", text=cleaned.text, most=council.REPORT_MAX, then=preview
    )


async def report_publish(call: Call, b: ReportPublish) -> Result:
    at = flows.REPORT.read(call.state)
    if at is None or at.step is not ReportStep.PREVIEW or at.draft.c != b.consultation_id:
        return _stale(call)
    await call.end_flow()
    told = await council.report(
        call.tx,
        call.services.clock,
        actor=call.me,
        consultation_id=b.consultation_id,
        heard=at.draft.heard,
        will_do=at.draft.will,
        settings=call.services.settings,
    )
    if isinstance(told, Refusal):
        return call.reply(refusal_id(told), edit=True)
    return call.reply("consultations.report_published", edit=True, count=told)
