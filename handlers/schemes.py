"""Peer schemes (docs/SCHEMES.md): /schemes, asking for help, "I am arranging this", the
follow-up, /arrived, coordinators' pages (peer workers, hours, agenda), the record and its PDF.
Thin: the rules are in bot.council.schemes, scheme_requests and scheme_workers; the PDF is
gathered by bot.council.scheme_record and drawn by bot.documents.scheme_record."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, TypeVar, assert_never
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta

from bot import i18n
from bot.config import Settings
from bot.council import notices, scheme_record
from bot.council import scheme_buttons as sb
from bot.council import scheme_flows as flows
from bot.council import scheme_requests as asks
from bot.council import scheme_workers as peers
from bot.council import schemes as council
from bot.council.access import Person, parse_person_ref, person_ref
from bot.council.flows import Draft, Flow
from bot.council.reports import Month
from bot.council.text import clean
from bot.documents import scheme_record as record_page
from handlers.base import Button, Call, Reply, Result, stale, wing_label
from handlers.labels import Ids

S = TypeVar("S", bound=enum.StrEnum)
D = TypeVar("D", bound=Draft)

# Catalogue ids looked up from a kind or a step (families: handlers/labels.py).
KIND = Ids("schemes.kind.{}", sb.SchemeKind)
ASK = Ids("schemes.ask.{}", sb.SchemeKind)
NEW_PROMPT = Ids("schemes.new.{}", flows.NewSchemeStep)


def _refused(call: Call) -> Result:
    """The council refused the person's role (the registry's roles should have already)."""
    if call.pressed is not None:
        call.toast = call.t("common.not_for_you")
        return None
    return call.reply("common.not_for_role")


def _expect(call: Call, minutes: int) -> str:
    return format_timedelta(timedelta(minutes=minutes), locale=call.lang)


def _text(labels: dict[str, str], lang: str) -> str:
    return council.in_language(labels, lang)


def _partner_lines(call: Call, scheme_id: str | None) -> list[str]:
    return [
        call.t(
            "schemes.partner",
            name=_text(p.names, call.lang),
            phone=p.phone,
            about=_text(p.about, call.lang),
        ).strip()
        for p in council.partners_for(call.services.settings, scheme_id)
    ]


async def _scheme(call: Call, scheme_id: str) -> council.Scheme | None:
    return await council.get(call.tx, call.services.settings, scheme_id)


async def _save(call: Call, flow: Flow[S, D], step: S, draft: D) -> None:
    await flow.save(call.tx, call.me.id, step, draft, call.services.clock.now())


# --- the directory and a scheme's page -------------------------------------------------------


async def directory(call: Call) -> Result:
    return await _directory(call, edit=False)


async def directory_button(call: Call, b: sb.SchemeDirectory) -> Result:
    return await _directory(call, edit=True)


async def _directory(call: Call, *, edit: bool) -> Result:
    found = await council.directory(call.tx, call.services.settings, call.me)
    if not found:
        return call.reply("schemes.none", edit=edit)
    lines = [call.t("schemes.title")]
    for scheme in found:
        lines.append(
            call.t(
                "schemes.line", name=scheme.name(call.lang), about=_text(scheme.about, call.lang)
            )
        )
    lines += _partner_lines(call, None)
    buttons = [[Button(s.name(call.lang), sb.SchemePage(s.id).pack())] for s in found]
    if council.may_set_up(call.me):
        buttons.append([call.button("schemes.new.button", sb.NewScheme())])
    return Reply("\n".join(lines), buttons, edit=edit)


async def page(call: Call, b: sb.SchemePage) -> Result:
    scheme = await _scheme(call, b.scheme_id)
    if scheme is None:
        return stale(call)
    me, lang = call.me, call.lang
    lines = [
        call.t("schemes.page.title", name=scheme.name(lang)),
        _text(scheme.about, lang),
        "",
        call.t("schemes.page.how", how=_text(scheme.how, lang)),
    ]
    if scheme.wings:
        where = ", ".join(wing_label(call, w) for w in scheme.wings)
        lines.append(call.t("schemes.page.wings", wings=where))
    else:
        lines.append(call.t("schemes.page.all_wings"))
    view = await council.page_view(call.tx, scheme, me)
    if view.own_wing:
        names = ", ".join(name for on in view.listed.values() for name in on)
        lines.append(
            call.t("schemes.page.listed", names=names)
            if names
            else call.t("schemes.page.none_listed")
        )
    else:
        for wing_id, names_on in view.listed.items():
            lines.append(
                call.t(
                    "schemes.page.listed_wing",
                    wing=wing_label(call, wing_id),
                    names=", ".join(names_on),
                )
            )
    partners = _partner_lines(call, scheme.id)
    if partners:
        lines += ["", *partners]
    buttons: list[list[Button]] = []
    if view.may_ask:
        mine = view.waiting
        if mine is None:
            label = ASK[scheme.kind]
            buttons.append([call.button(label, sb.AskScheme(scheme.id))])
        else:
            lines += ["", call.t("schemes.page.waiting")]
            buttons.append([call.button("schemes.cancel.button", sb.CancelRequest(mine.id))])
    if view.manages:
        buttons += [
            [
                call.button("schemes.manage.requests", sb.OpenRequests(scheme.id)),
                call.button("schemes.manage.workers", sb.Workers(scheme.id)),
            ],
            [
                call.button("schemes.manage.add_worker", sb.AddWorker(scheme.id)),
                call.button("schemes.manage.hours", sb.HoursStart(scheme.id)),
            ],
            [call.button("schemes.manage.agenda", sb.SchemeAgenda(scheme.id))],
        ]
        if view.appoints:
            buttons.append(
                [call.button("schemes.manage.coordinator", sb.AddCoordinator(scheme.id))]
            )
    buttons.append([call.button("schemes.back", sb.SchemeDirectory())])
    return Reply("\n".join(lines), buttons, edit=True)


# --- asking, cancelling, the follow-up --------------------------------------------------------


async def ask_button(call: Call, b: sb.AskScheme) -> Result:
    scheme = await _scheme(call, b.scheme_id)
    if scheme is None:
        return stale(call)
    problem = await asks.check_ask(call.tx, call.services.clock, scheme, call.me)
    if problem is not None:
        return _ask_answer(call, problem, scheme)
    if scheme.notes:
        return call.reply(
            "schemes.note.offer",
            name=scheme.name(call.lang),
            buttons=[
                [call.button("schemes.note.send_now", sb.AskNow(scheme.id))],
                [call.button("schemes.note.add", sb.AskWithNote(scheme.id))],
            ],
        )
    return await _ask(call, scheme, None)


async def send_now(call: Call, b: sb.AskNow) -> Result:
    scheme = await _scheme(call, b.scheme_id)
    if scheme is None:
        return stale(call)
    return await _ask(call, scheme, None)


async def add_note(call: Call, b: sb.AskWithNote) -> Result:
    scheme = await _scheme(call, b.scheme_id)
    if scheme is None or not scheme.notes:
        return stale(call)
    problem = await asks.check_ask(call.tx, call.services.clock, scheme, call.me)
    if problem is not None:
        return _ask_answer(call, problem, scheme)
    await _save(call, flows.NOTE, flows.NoteStep.NOTE, flows.ForScheme(scheme.id))
    return call.reply("schemes.note.type", most=asks.NOTE_MAX)


async def note_typed(call: Call) -> Result:
    at = flows.NOTE.read(call.state)
    scheme = await council.get(call.tx, call.services.settings, at.draft.scheme if at else None)
    if scheme is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    # The wrapper has already screened this text for risk (safeguarding) before we see it.
    problem = asks.note_problem(call.text)
    if problem is not None:
        return _ask_answer(call, problem, scheme, length=len(call.text))
    await call.end_flow()
    return await _ask(call, scheme, call.text)


def _ask_answer(
    call: Call,
    outcome: asks.Ask,
    scheme: council.Scheme,
    request_id: int | None = None,
    length: int = 0,
) -> Result:
    name, most = scheme.name(call.lang), asks.NOTE_MAX
    match outcome:
        case asks.Ask.SENT:
            if request_id is None:
                return stale(call)
            return _asked(call, scheme, request_id)
        case asks.Ask.ON_ITS_WAY:
            return call.reply("schemes.ask.on_its_way", name=name)
        case asks.Ask.NOT_ON_WING:
            return call.reply("schemes.ask.not_on_wing", name=name)
        case asks.Ask.NO_NOTES:
            return call.reply("schemes.ask.no_notes", name=name)
        case asks.Ask.NOTE_TOO_LONG:
            return call.reply("schemes.note.too_long", most=most, length=length)
        case asks.Ask.NOTE_EMPTY:
            return call.reply("schemes.note.empty", most=most, length=length)
        case asks.Ask.NOT_ALLOWED:
            return _refused(call)
        case _:
            assert_never(outcome)


async def _ask(call: Call, scheme: council.Scheme, note: str | None) -> Result:
    asked = await asks.ask(
        call.tx,
        call.services.clock,
        call.services.settings,
        person=call.me,
        scheme=scheme,
        note=note,
    )
    return _ask_answer(call, asked.outcome, scheme, asked.request_id)


def _asked(call: Call, scheme: council.Scheme, request_id: int) -> Reply:
    lines = [
        call.t("schemes.asked.sent", name=scheme.name(call.lang)),
        call.t(
            "schemes.asked.urgent" if scheme.urgent else "schemes.asked.next",
            within=_expect(call, scheme.expect_within),
        ),
    ]
    # For Listeners the Samaritans' number comes at once, in the same message.
    lines += _partner_lines(call, scheme.id)
    return Reply(
        "\n".join(lines),
        [[call.button("schemes.cancel.button", sb.CancelRequest(request_id))]],
    )


async def cancel_request(call: Call, b: sb.CancelRequest) -> Result:
    done = await asks.cancel(
        call.tx,
        call.services.clock,
        call.services.settings,
        person=call.me,
        request_id=b.request_id,
    )
    match done:
        case asks.Cancel.CANCELLED:
            return call.reply("schemes.cancel.done", edit=True)
        case asks.Cancel.GONE:
            return stale(call)
        case _:
            assert_never(done)


async def followup(call: Call, b: sb.FollowupPick) -> Result:
    done = await asks.answer_followup(
        call.tx, call.services.settings, person=call.me, request_id=b.request_id, answer=b.answer
    )
    match done:
        case asks.Followup.THANKS:
            return call.reply("schemes.followup.thanks", edit=True)
        case asks.Followup.GONE:
            return stale(call)
        case _:
            assert_never(done)


# --- staff: "I am arranging this", open requests, new arrivals ----------------------------------


async def arrange(call: Call, b: sb.ArrangeRequest) -> Result:
    done = await asks.arrange(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        request_id=b.request_id,
    )
    ref = asks.request_ref(b.request_id)
    match done:
        case asks.Arrange.ARRANGED:
            return call.reply("schemes.arrange.done", ref=ref)
        case asks.Arrange.NOT_COORDINATOR:
            call.toast = call.t("schemes.not_coordinator")
            return None
        case asks.Arrange.GONE:
            return stale(call)
        case asks.Arrange.ALREADY:
            call.toast = call.t("schemes.arrange.already", ref=ref)
            return None
        case asks.Arrange.CANCELLED:
            call.toast = call.t("schemes.arrange.cancelled", ref=ref)
            return None
        case _:
            assert_never(done)


async def requests(call: Call, b: sb.OpenRequests) -> Result:
    scheme = await _scheme(call, b.scheme_id)
    if scheme is None:
        return stale(call)
    listing = await asks.open_requests(call.tx, scheme, call.me)
    match listing.outcome:
        case council.Shown.SHOWN:
            found = listing.rows
        case council.Shown.NOT_COORDINATOR:
            return stale(call, "schemes.not_coordinator")
        case _:
            assert_never(listing.outcome)
    if not found:
        return call.reply("schemes.requests.none", name=scheme.name(call.lang))
    lines = [call.t("schemes.requests.title", name=scheme.name(call.lang))]
    buttons: list[list[Button]] = []
    for request in found:
        lines.append(
            call.t(
                "schemes.requests.line",
                ref=asks.request_ref(request.id),
                person=person_ref(request.person_id or 0),
                wing=wing_label(call, request.wing),
                when=notices.when(request.created_at),
            )
        )
        if request.note:
            lines.append(call.t("schemes.requests.note", note=request.note))
        buttons.append(
            [
                call.button(
                    "schemes.arrange.for",
                    sb.ArrangeRequest(request.id),
                    ref=asks.request_ref(request.id),
                )
            ]
        )
    return Reply("\n".join(lines), buttons)


async def join_welcome(call: Call) -> list[Reply]:
    """For a member who has just joined: the Insiders' welcome, with one tap to ask."""
    settings = call.services.settings
    insiders = await asks.welcome_once(call.tx, call.services.clock, settings, call.me)
    if insiders is None:
        return []
    text = call.t(
        "schemes.welcome.text",
        scheme=insiders.name(call.lang),
        establishment=settings.establishment.name,
    )
    return [Reply(text, [[call.button("schemes.welcome.button", sb.AskScheme(insiders.id))]])]


async def arrived(call: Call) -> Result:
    person_id = parse_person_ref(call.args[0]) if call.args else None
    if person_id is None:
        return call.reply("schemes.arrived.usage")
    done = await asks.mark_arrived(
        call.tx, call.services.clock, call.services.settings, actor=call.me, person_id=person_id
    )
    ref = person_ref(person_id)
    match done:
        case asks.Arrived.WELCOMED:
            return call.reply("schemes.arrived.welcomed", ref=ref)
        case asks.Arrived.ALREADY:
            return call.reply("schemes.arrived.already", ref=ref)
        case asks.Arrived.NOT_MEMBER:
            return call.reply("schemes.arrived.not_member", ref=ref)
        case asks.Arrived.NO_INSIDERS:
            return call.reply("schemes.arrived.no_insiders", ref=ref)
        case asks.Arrived.NOT_ALLOWED:
            return _refused(call)
        case _:
            assert_never(done)


# --- coordinators: peer workers, hours, agenda, coordinators ------------------------------------


async def _managed(call: Call, scheme_id: str) -> council.Scheme | None:
    scheme = await _scheme(call, scheme_id)
    if scheme is None or not await council.may_manage(call.tx, scheme, call.me):
        return None
    return scheme


async def workers(call: Call, b: sb.Workers) -> Result:
    scheme = await _managed(call, b.scheme_id)
    if scheme is None:
        return stale(call, "schemes.not_coordinator")
    listing = await peers.workers(call.tx, scheme, call.me)
    match listing.outcome:
        case council.Shown.SHOWN:
            found = listing.rows
        case council.Shown.NOT_COORDINATOR:
            return stale(call, "schemes.not_coordinator")
        case _:
            assert_never(listing.outcome)
    if not found:
        return call.reply("schemes.workers.none", name=scheme.name(call.lang))
    lines = [call.t("schemes.workers.title", name=scheme.name(call.lang))]
    buttons: list[list[Button]] = []
    for w in found:
        ref = person_ref(w.person_id or 0)
        lines.append(
            call.t(
                "schemes.workers.line",
                ref=ref,
                name=w.listed_name or "-",
                wing=wing_label(call, w.wing),
                training=w.training,
                since={"$day": w.started_on.isoformat()},
                hours=_hours(w.hours),
            )
        )
        buttons.append([call.button("schemes.workers.end", sb.EndRoleAsk(w.id), ref=ref)])
    return Reply("\n".join(lines), buttons)


def _hours(value: float) -> str:
    return f"{value:g}"


async def end_ask(call: Call, b: sb.EndRoleAsk) -> Result:
    return call.reply(
        "schemes.workers.end_confirm",
        buttons=[
            [
                call.button("schemes.workers.end_yes", sb.EndRoleConfirm(b.worker_id)),
                call.button("schemes.workers.end_no", sb.EndRoleKeep()),
            ]
        ],
    )


async def end_confirm(call: Call, b: sb.EndRoleConfirm) -> Result:
    ended = await peers.end_role(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        worker_id=b.worker_id,
    )
    match ended.outcome:
        case peers.End.ENDED:
            return call.reply("schemes.workers.ended", ref=person_ref(ended.person_id), edit=True)
        case peers.End.GONE:
            return stale(call)
        case peers.End.NOT_COORDINATOR:
            return stale(call, "schemes.not_coordinator")
        case _:
            assert_never(ended.outcome)


async def end_keep(call: Call, b: sb.EndRoleKeep) -> Result:
    return call.reply("schemes.workers.kept", edit=True)


async def add_worker_start(call: Call, b: sb.AddWorker) -> Result:
    scheme = await _managed(call, b.scheme_id)
    if scheme is None:
        return stale(call, "schemes.not_coordinator")
    await _save(call, flows.WORKER, flows.WorkerStep.REF, flows.AddingWorker(scheme.id))
    return _worker_prompt(call, flows.WorkerStep.REF)


def _worker_prompt(call: Call, step: flows.WorkerStep) -> Reply:
    match step:
        case flows.WorkerStep.REF:
            return call.reply("schemes.add.ref")
        case flows.WorkerStep.NAME:
            return call.reply("schemes.add.name")
        case flows.WorkerStep.TRAINING:
            return call.reply("schemes.add.training")
        case flows.WorkerStep.TRAINED_ON:
            return call.reply("schemes.add.trained_on")
        case flows.WorkerStep.STARTED_ON:
            return call.reply("schemes.add.started_on")
        case _:
            assert_never(step)


async def add_worker_typed(call: Call) -> Result:
    at = flows.WORKER.read(call.state)
    scheme = await council.get(call.tx, call.services.settings, at.draft.scheme if at else None)
    if at is None or scheme is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    step, draft = at.step, at.draft
    text = call.text.strip()
    if step is flows.WorkerStep.REF:
        person_id = parse_person_ref(text)
        if person_id is None:
            return call.reply("schemes.add.bad_ref")
        if not await peers.is_member(call.tx, person_id):
            return call.reply("schemes.add.not_member_ref", ref=person_ref(person_id))
        draft = replace(draft, person=person_id)
    elif step is flows.WorkerStep.NAME:
        if text != "-":
            name = clean(text, max_len=peers.NAME_MAX, need_words=True)
            if not name.ok:
                return call.reply("schemes.add.bad_name", most=peers.NAME_MAX)
            draft = replace(draft, name=name.text)
    elif step is flows.WorkerStep.TRAINING:
        training = clean(text, min_len=2, max_len=peers.TRAINING_MAX, need_words=True)
        if not training.ok:
            return call.reply("schemes.add.bad_training", most=peers.TRAINING_MAX)
        draft = replace(draft, training=training.text)
    elif not (step is flows.WorkerStep.TRAINED_ON and text == "-"):
        day = peers.parse_day(text)
        if day is None:
            return call.reply("schemes.add.bad_day")
        if step is flows.WorkerStep.TRAINED_ON:
            draft = replace(draft, trained_on=day.isoformat())
        else:
            draft = replace(draft, started_on=day.isoformat())
    steps = list(flows.WorkerStep)
    following = steps.index(step) + 1
    if following < len(steps):
        await _save(call, flows.WORKER, steps[following], draft)
        return _worker_prompt(call, steps[following])
    await call.end_flow()
    if draft.person is None or draft.started_on is None:
        return call.reply("common.use_menu")  # a damaged draft: nothing half-saved
    done = await peers.add_worker(
        call.tx,
        call.services.clock,
        actor=call.me,
        scheme=scheme,
        person_id=draft.person,
        listed_name=draft.name,
        training=draft.training,
        trained_on=date.fromisoformat(draft.trained_on) if draft.trained_on else None,
        started_on=date.fromisoformat(draft.started_on),
    )
    ref, called = person_ref(draft.person), scheme.name(call.lang)
    match done:
        case peers.Worker.ADDED:
            return call.reply("schemes.add.added", ref=ref, name=called)
        case peers.Worker.NOT_MEMBER:
            return call.reply("schemes.add.not_member", ref=ref, name=called)
        case peers.Worker.ALREADY:
            return call.reply("schemes.add.already", ref=ref, name=called)
        case peers.Worker.NOT_COORDINATOR:
            return call.reply("schemes.not_coordinator")
        case _:
            assert_never(done)


async def hours_start(call: Call, b: sb.HoursStart) -> Result:
    scheme = await _managed(call, b.scheme_id)
    if scheme is None:
        return stale(call, "schemes.not_coordinator")
    zone = call.services.settings.establishment.timezone
    this_week = peers.week_start(call.services.clock.now().astimezone(zone).date())
    last_week = this_week - timedelta(days=7)
    return call.reply(
        "schemes.hours.pick_week",
        buttons=[
            [
                call.button(
                    "schemes.hours.this_week", sb.HoursWeek(scheme.id, this_week.isoformat())
                ),
                call.button(
                    "schemes.hours.last_week", sb.HoursWeek(scheme.id, last_week.isoformat())
                ),
            ]
        ],
    )


async def hours_week(call: Call, b: sb.HoursWeek) -> Result:
    scheme = await _managed(call, b.scheme_id)
    week = peers.parse_day(b.week)
    if scheme is None or week is None:
        return stale(call)
    draft = flows.HoursFor(scheme.id, week.isoformat())
    await _save(call, flows.HOURS, flows.HoursStep.LINES, draft)
    return call.reply(
        "schemes.hours.type", week={"$day": week.isoformat()}, most=int(peers.HOURS_MAX)
    )


async def hours_typed(call: Call) -> Result:
    at = flows.HOURS.read(call.state)
    scheme = await council.get(call.tx, call.services.settings, at.draft.scheme if at else None)
    week = peers.parse_day(at.draft.week if at else "")
    if scheme is None or week is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    done = await peers.record_hours(
        call.tx, call.services.clock, actor=call.me, scheme=scheme, week=week, text=call.text
    )
    match done.outcome:
        case peers.Hours.SAVED:
            await call.end_flow()
            return call.reply(
                "schemes.hours.saved", count=done.saved, week={"$day": week.isoformat()}
            )
        case peers.Hours.REFUSED:
            lines = [call.t("schemes.hours.refused", most=int(peers.HOURS_MAX))]
            lines += [_hours_problem(call, b) for b in done.bad]
            return Reply("\n".join(lines))
        case peers.Hours.NOT_COORDINATOR:
            await call.end_flow()
            return call.reply("schemes.not_coordinator")
        case _:
            assert_never(done.outcome)


def _hours_problem(call: Call, bad: peers.HoursLine) -> str:
    most = int(peers.HOURS_MAX)
    match bad.problem:
        case peers.HoursProblem.FORMAT:
            return call.t("schemes.hours.bad_format", line=bad.line, most=most)
        case peers.HoursProblem.HOURS:
            return call.t("schemes.hours.bad_hours", line=bad.line, most=most)
        case peers.HoursProblem.NOT_WORKER:
            return call.t("schemes.hours.bad_not_worker", line=bad.line, most=most)
        case peers.HoursProblem.TWICE:
            return call.t("schemes.hours.bad_twice", line=bad.line, most=most)
        case _:
            assert_never(bad.problem)


async def agenda_start(call: Call, b: sb.SchemeAgenda) -> Result:
    scheme = await _managed(call, b.scheme_id)
    if scheme is None:
        return stale(call, "schemes.not_coordinator")
    await _save(call, flows.AGENDA, flows.AgendaStep.TEXT, flows.ForScheme(scheme.id))
    return call.reply("schemes.agenda.type", name=scheme.name(call.lang))


async def agenda_typed(call: Call) -> Result:
    at = flows.AGENDA.read(call.state)
    scheme = await council.get(call.tx, call.services.settings, at.draft.scheme if at else None)
    if scheme is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    raised = await council.raise_on_agenda(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        scheme=scheme,
        text=call.text,
    )
    match raised.outcome:
        case council.Raise.RAISED:
            await call.end_flow()
            return call.reply("schemes.agenda.done", ref=raised.ref)
        case council.Raise.BAD_TEXT:
            return call.reply("schemes.agenda.bad_text")
        case council.Raise.NOT_COORDINATOR:
            await call.end_flow()
            return call.reply("schemes.not_coordinator")
        case _:
            assert_never(raised.outcome)


async def coordinator_start(call: Call, b: sb.AddCoordinator) -> Result:
    scheme = await _scheme(call, b.scheme_id)
    if scheme is None:
        return stale(call)
    await _save(call, flows.COORDINATOR, flows.CoordinatorStep.REF, flows.ForScheme(scheme.id))
    return call.reply("schemes.coordinator.type", name=scheme.name(call.lang))


async def coordinator_typed(call: Call) -> Result:
    at = flows.COORDINATOR.read(call.state)
    scheme = await council.get(call.tx, call.services.settings, at.draft.scheme if at else None)
    person_id = parse_person_ref(call.text)
    if scheme is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    if person_id is None:
        return call.reply("schemes.add.bad_ref")
    done = await council.add_coordinator(
        call.tx, call.services.clock, actor=call.me, scheme=scheme, person_id=person_id
    )
    match done:
        case council.Appoint.APPOINTED:
            await call.end_flow()
            return call.reply(
                "schemes.coordinator.done", ref=person_ref(person_id), name=scheme.name(call.lang)
            )
        case council.Appoint.NOT_STAFF:
            return call.reply("schemes.coordinator.not_staff", ref=person_ref(person_id))
        case council.Appoint.NOT_ALLOWED:
            await call.end_flow()
            return _refused(call)
        case _:
            assert_never(done)


# --- staff set up a scheme ---------------------------------------------------------------------


def _new_steps(call: Call) -> list[flows.NewSchemeStep]:
    """Each text, in each of the establishment's content languages (config content_languages)."""
    return flows.new_steps(call.services.settings.establishment.content_languages)


def _ask_step(call: Call, step: flows.NewSchemeStep) -> Reply:
    return call.reply(NEW_PROMPT[step], most=flows.NEW_MAX[step.field])


async def new_start(call: Call, b: sb.NewScheme) -> Result:
    buttons = [[call.button(KIND[kind], sb.NewSchemeKind(kind))] for kind in sb.SchemeKind]
    return call.reply("schemes.new.kind", buttons=buttons)


async def new_kind(call: Call, b: sb.NewSchemeKind) -> Result:
    first = _new_steps(call)[0]
    await _save(call, flows.NEW, first, flows.NewSchemeDraft(kind=b.kind))
    return _ask_step(call, first)


async def new_typed(call: Call) -> Result:
    at = flows.NEW.read(call.state)
    steps = _new_steps(call)
    if at is None or at.step not in steps or at.draft.kind is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    step = at.step
    cleaned = clean(call.text, min_len=2, max_len=flows.NEW_MAX[step.field], need_words=True)
    if not cleaned.ok:
        return _ask_step(call, step)
    draft = at.draft.typed(step, cleaned.text)
    following = steps.index(step) + 1
    if following < len(steps):
        await _save(call, flows.NEW, steps[following], draft)
        return _ask_step(call, steps[following])
    await call.end_flow()
    langs = call.services.settings.establishment.content_languages
    created = await council.create_scheme(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        kind=at.draft.kind,
        names=draft.texts("name", langs),
        about=draft.texts("about", langs),
        how=draft.texts("how", langs),
    )
    match created.outcome:
        case council.Create.CREATED:
            assert created.scheme is not None
            name = created.scheme.name(call.lang)
            return call.reply(
                "schemes.new.done",
                name=name,
                buttons=[[Button(name, sb.SchemePage(created.scheme.id).pack())]],
            )
        case council.Create.NOT_ALLOWED:
            return _refused(call)
        case _:
            assert_never(created.outcome)


# --- a person's record: the section of /myrecord, and the printed page --------------------------


def print_button(call: Call) -> Button:
    return call.button("schemes.record.print", sb.PrintRecord())


async def record_lines(call: Call) -> list[str]:
    """The peer schemes part of /myrecord: roles, training, dates and hours."""
    found = await peers.record(call.tx, call.services.settings, call.me)
    lines = [call.t("schemes.record.title")]
    if not found.roles:
        lines.append(call.t("schemes.record.none"))
    for role in found.roles:
        lines.append(
            call.t(
                "schemes.record.role",
                scheme=_text(role.scheme, call.lang),
                since={"$day": role.started_on.isoformat()},
            )
        )
        if role.ended_on is not None:
            lines.append(call.t("schemes.record.ended", on={"$day": role.ended_on.isoformat()}))
        trained = (
            call.t(
                "schemes.record.trained_on",
                training=role.training,
                on={"$day": role.trained_on.isoformat()},
            )
            if role.trained_on
            else call.t("schemes.record.trained", training=role.training)
        )
        lines += [trained, call.t("schemes.record.hours", hours=_hours(role.hours))]
    return lines


async def print_record(call: Call, b: sb.PrintRecord) -> Result:
    settings, clock, me, lang = call.services.settings, call.services.clock, call.me, call.lang
    page_data = await scheme_record.gather(call.tx, clock, settings, me)
    call.toast = call.t("schemes.record.printing")

    async def draw() -> list[Reply]:
        pdf = await asyncio.to_thread(record_page.render, page_data, lang)
        caption = i18n.t(lang, "schemes.record.caption", settings.establishment.timezone)
        return [Reply(caption, document=(record_page.file_name(page_data), pdf))]

    return Reply("", later=draw)


# --- the month's report: one section, called by the report -------------------------------------


def report_lines(
    figures: list[council.Figures], least: int, lang: str, zone: ZoneInfo
) -> list[str]:
    """Each scheme's figures with the small-number rules: a count from 1 to least-1 is shown
    as "fewer than N"; the follow-up split and the time to arranged need enough answers."""

    def t(message_id: str, **params: Any) -> str:
        return i18n.t(lang, message_id, zone, **params)

    def count(value: int) -> str:
        return t("schemes.report.few", least=least) if 0 < value < least else str(value)

    lines = [t("schemes.report.title")]
    for f in figures:
        lines += ["", t("schemes.report.scheme", name=f.scheme.name(lang))]
        lines.append(
            t("schemes.report.requests", count=count(f.requests), arranged=count(f.arranged))
        )
        if f.median_minutes is not None and f.arranged >= least:
            lines.append(t("schemes.report.median", minutes=f"{f.median_minutes:g}"))
        answered = sum(f.followup.values())
        if answered >= least:
            lines.append(
                t(
                    "schemes.report.followup",
                    yes=f.followup.get("yes", 0),
                    partly=f.followup.get("partly", 0),
                    no=f.followup.get("no", 0),
                )
            )
        else:
            lines.append(t("schemes.report.followup_few", count=count(answered)))
        hours = _hours(f.hours) if not 0 < f.workers < least else t("schemes.report.hidden")
        lines.append(t("schemes.report.workers", count=count(f.workers), hours=hours))
    return lines


async def report_reply(
    db: council.Database, settings: Settings, viewer: Person, month: Month, lang: str
) -> list[Reply]:
    """The peer schemes section of /report, from its own snapshot (called after the commit)."""
    start, end = month.bounds(settings)
    found = await council.month_figures(db, settings, viewer=viewer, start=start, end=end)
    if not any(f.requests or f.workers or f.followup for f in found):
        return []  # a month with no scheme activity adds nothing (an empty report stays empty)
    zone = settings.establishment.timezone
    return [Reply("\n".join(report_lines(found, settings.report_min_cell, lang, zone)))]
