"""Meetings: schedule (staff), the meeting card with answers, move and cancel with a confirm,
/meetings and answers (RSVP) for everyone, /agenda and its order, /minutes. Thin: the rules are
in bot.council.meetings; this file reads the update and renders the answer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar, assert_never

from babel.dates import format_date

from bot.council import access, content, roles, when
from bot.council import agenda as agenda_council
from bot.council import meetings as council
from bot.council.flows import Draft, Flow
from bot.council.meetings import MeetingRow, Plan
from bot.council.meetings.buttons import (
    AgendaAdd,
    AgendaBySupport,
    AgendaDown,
    AgendaEdit,
    AgendaUp,
    AgendaWaiting,
    CancelConfirm,
    CancelMeeting,
    KeepMeeting,
    MinutesAttended,
    MinutesDecisions,
    MinutesFinish,
    MinutesKind,
    MinutesList,
    MinutesOpen,
    MinutesOthers,
    MinutesRollOver,
    MoveConfirm,
    MoveMeeting,
    NewAudience,
    NewDay,
    NewKind,
    NewMeeting,
    NewPublish,
    NewRepeat,
    NewStop,
    NewTime,
    NewWing,
    Rsvp,
    ViewMeeting,
)
from bot.council.meetings.results import Changed, Minuted, Ordered, Said
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result, excerpt
from handlers.base import stale as _stale
from handlers.base import topic_label as _topic

S = TypeVar("S", bound=StrEnum)
D = TypeVar("D", bound=Draft)
PICK_DAYS = 14
PICK_TIMES = ("0930", "1000", "1100", "1400", "1500", "1800")
EXCERPT = 120


# --- the three flows: scheduling, moving, minuting -------------------------------------------


class NewStep(StrEnum):
    KIND = "kind"
    TITLE = "title"
    PLACE = "place"
    AUDIENCE = "audience"
    WING = "wing"
    WHEN = "when"
    REPEAT = "repeat"
    COUNT = "count"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class NewDraft(Draft):
    kind: str = ""
    title: str = ""
    place: str = ""
    audience: str = ""
    wing: str | None = None
    starts_at: datetime | None = None
    ambiguous: bool = False
    rule: str = council.ONCE
    every: int = 1
    count: int = 1


NEW = Flow("meeting_new", NewStep, NewDraft)


class MoveStep(StrEnum):
    WHEN = "when"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class MoveDraft(Draft):
    id: int = 0  # the meeting; the stored names are today's, so old rows keep working
    version: int = 0
    to: datetime | None = None


MOVE = Flow("meeting_move", MoveStep, MoveDraft)


class MinutesStep(StrEnum):
    DECISION = "decision"
    OWNER = "owner"
    DUE = "due"


@dataclass(frozen=True)
class MinutesDraft(Draft):
    meeting: int = 0
    item: int = 0
    kind: str = council.DECIDED
    decision: str = ""
    owner: str = ""


MINUTES = Flow("minutes", MinutesStep, MinutesDraft)


async def _save(call: Call, flow: Flow[S, D], step: S, draft: D) -> None:
    await flow.save(call.tx, call.me.id, step, draft, call.services.clock.now())


def _moment(meeting: MeetingRow) -> datetime:
    return meeting.starts_at


# --- catalogue ids, looked up (never built), so a test can check every one -------------------

KIND_WORDS: dict[str, str] = {
    council.COUNCIL: "meetings.kind.council",
    council.FORUM: "meetings.kind.forum",
}
AUDIENCE_WORDS: dict[str, str] = {
    council.MEMBERS: "meetings.audience.members",
    council.FAMILIES: "meetings.audience.families",
    council.BOTH: "meetings.audience.both",
}
RSVP_WORDS = {
    council.GOING: "meetings.rsvp.going",
    council.CANT: "meetings.rsvp.cant",
    council.MAYBE: "meetings.rsvp.maybe",
}
SAVED_WORDS = {
    council.GOING: "meetings.saved.going",
    council.CANT: "meetings.saved.cant",
    council.MAYBE: "meetings.saved.maybe",
}
YOURS_WORDS: dict[str | None, str] = {
    council.GOING: "meetings.yours.going",
    council.CANT: "meetings.yours.cant",
    council.MAYBE: "meetings.yours.maybe",
    None: "meetings.yours.none",
}
SHORT_WORDS: dict[str | None, str] = {
    council.GOING: "meetings.short.going",
    council.CANT: "meetings.short.cant",
    council.MAYBE: "meetings.short.maybe",
    None: "meetings.short.none",
}
NTH_WORDS = {
    1: "meetings.nth.1",
    2: "meetings.nth.2",
    3: "meetings.nth.3",
    4: "meetings.nth.4",
    -1: "meetings.nth.-1",
}
DONE_WORDS = {
    council.DECIDED: "meetings.minutes.done_decided",
    council.IN_PROGRESS: "meetings.minutes.done_in_progress",
}


def when_problem(problem: when.Problem | None) -> str:
    match problem:
        case None | when.Problem.UNREADABLE:
            return "meetings.problem.unreadable"
        case when.Problem.NO_SUCH_DATE:
            return "meetings.problem.no_such_date"
        case when.Problem.NO_SUCH_TIME:
            return "meetings.problem.no_such_time"
        case when.Problem.PAST:
            return "meetings.problem.past"
        case when.Problem.GAP:
            return "meetings.problem.gap"
        case when.Problem.TOO_FAR:
            return "meetings.problem.too_far"
        case _:
            assert_never(problem)


def due_problem(problem: when.Problem | None) -> str:
    match problem:
        case None | when.Problem.UNREADABLE | when.Problem.NO_SUCH_TIME | when.Problem.GAP:
            return "meetings.problem.due_unreadable"  # a due date has no time to be wrong
        case when.Problem.NO_SUCH_DATE:
            return "meetings.problem.due_no_such_date"
        case when.Problem.PAST:
            return "meetings.problem.due_past"
        case when.Problem.TOO_FAR:
            return "meetings.problem.due_too_far"
        case _:
            assert_never(problem)


# --- what the rules answered: each refusal's catalogue id, looked up (None: not a refusal) ---


def refusal_said(result: Said) -> str | None:
    match result:
        case Said.SAVED | Said.SAME:
            return None
        case Said.UNKNOWN:
            return "meetings.rsvp_refused.unknown"
        case Said.NOT_AUDIENCE:
            return "meetings.rsvp_refused.not_audience"
        case Said.CANCELLED:
            return "meetings.rsvp_refused.cancelled"
        case Said.STARTED:
            return "meetings.rsvp_refused.started"
        case _:
            assert_never(result)


def refusal_changed(result: Changed) -> str | None:
    match result:
        case Changed.DONE:
            return None
        case Changed.UNKNOWN:
            return "meetings.refused.unknown"
        case Changed.HANDLED:
            return "meetings.refused.handled"
        case Changed.CANCELLED:
            return "meetings.refused.cancelled"
        case Changed.STARTED:
            return "meetings.refused.started"
        case Changed.SAME:
            return "meetings.refused.same"
        case Changed.PAST:
            return "meetings.refused.past"
        case _:
            assert_never(result)


def refusal_ordered(result: Ordered) -> str | None:
    match result:
        case Ordered.DONE | Ordered.EDGE:
            return None
        case Ordered.UNKNOWN:
            return "meetings.agenda.refused.unknown"
        case Ordered.CANCELLED:
            return "meetings.agenda.refused.cancelled"
        case Ordered.STARTED:
            return "meetings.agenda.refused.started"
        case Ordered.NOT_MEMBERS:
            return "meetings.agenda.refused.not_members"
        case Ordered.WING:
            return "meetings.agenda.refused.wing"
        case Ordered.HANDLED:
            return "meetings.agenda.refused.handled"
        case Ordered.FULL:
            return "meetings.agenda.refused.full"
        case _:
            assert_never(result)


def refusal_minuted(result: Minuted) -> str | None:
    match result:
        case Minuted.DONE:
            return None
        case Minuted.UNKNOWN:
            return "meetings.minutes.refused.unknown"
        case Minuted.CANCELLED:
            return "meetings.minutes.refused.cancelled"
        case Minuted.NOT_YET:
            return "meetings.minutes.refused.not_yet"
        case Minuted.FINISHED:
            return "meetings.minutes.refused.finished"
        case Minuted.NOT_LISTED:
            return "meetings.minutes.refused.not_listed"
        case Minuted.TEXT:
            return "meetings.minutes.refused.text"
        case Minuted.NOT_ON_AGENDA:
            return "meetings.minutes.refused.not_on_agenda"
        case Minuted.HANDLED:
            return "meetings.minutes.refused.handled"
        case Minuted.NONE:
            return "meetings.minutes.refused.none"
        case Minuted.NO_MEETING:
            return "meetings.minutes.refused.no_meeting"
        case _:
            assert_never(result)


def _wing_label(call: Call, wing: str | None) -> str:
    found = call.services.settings.wing(wing) if wing else None
    return found.label(call.lang) if found else call.t("meetings.all_wings")


def _rsvp_buttons(call: Call, meeting_id: int, chosen: str | None = None) -> list[list[Button]]:
    """The answer buttons; the person's own answer is marked, and they may still change it."""
    row = []
    for choice in council.ANSWERS:
        label = call.t(RSVP_WORDS[choice])
        if choice == chosen:
            label = call.t("reader.rsvp.chosen", answer=label)
        row.append(Button(label, Rsvp(meeting_id, choice).pack()))
    return [row]


async def _in_language(call: Call, meeting: MeetingRow) -> MeetingRow:
    """The title and place in the reader's content language (bot.council.content)."""
    return await council.shown(call.tx, call.services.settings, meeting, call.lang)


def _summary(call: Call, meeting: MeetingRow) -> str:
    return call.t(
        "meetings.card",
        ref=council.ref(meeting.id),
        kind=call.t(KIND_WORDS[meeting.kind]),
        title=meeting.title,
        when=_moment(meeting),
        place=meeting.place,
        audience=call.t(AUDIENCE_WORDS[meeting.audience]),
        wing=_wing_label(call, meeting.wing),
    )


def _problem(call: Call, problem: when.Problem | None, **params: Any) -> Reply:
    return call.reply(when_problem(problem), **params)


# --- schedule (staff) ---------------------------------------------------------------------------


async def desk(call: Call) -> Result:
    """/meeting: the meetings to come, and a button to schedule one."""
    if call.state is not None and call.state.flow in (NEW.name, MOVE.name, MINUTES.name):
        await call.end_flow()
    rows = await council.upcoming_for(call.tx, call.services.clock, call.me, limit=8)
    buttons = [[call.button("meetings.new", NewMeeting())]]
    for listed in rows:
        buttons.append([_open_button(call, listed.meeting)])
    buttons.append([call.button("meetings.minutes_button", MinutesList())])
    key = "meetings.desk" if rows else "meetings.desk_empty"
    return call.reply(key, buttons=buttons)


def _open_button(call: Call, meeting: MeetingRow) -> Button:
    return call.button(
        "meetings.open", ViewMeeting(meeting.id), when=_short(call, meeting), title=meeting.title
    )


def _short(call: Call, meeting: MeetingRow) -> str:
    local = _moment(meeting).astimezone(call.services.settings.establishment.timezone)
    return f"{format_date(local.date(), 'EEE d MMM', locale=call.lang)} {local:%H:%M}"


async def new_start(call: Call) -> Result:
    await _save(call, NEW, NewStep.KIND, NewDraft())
    await content.start(call.tx, call.me.id)
    buttons = [[call.button(KIND_WORDS[k], NewKind(k)) for k in council.KINDS]]
    return call.reply("meetings.ask.kind", buttons=buttons)


async def new_start_pressed(call: Call, b: NewMeeting) -> Result:
    return await new_start(call)


async def new_kind(call: Call, b: NewKind) -> Result:
    if NEW.read(call.state) is None:
        return _stale(call)
    await _save(call, NEW, NewStep.TITLE, NewDraft(kind=b.kind))
    return call.reply("meetings.ask.title", edit=True)


async def new_typed(call: Call) -> Result:
    """The typed steps of scheduling: title, place, date and time, how many."""
    at = NEW.read(call.state)
    if at is None:
        return _stale(call)
    data, step = at.draft, at.step
    if step is NewStep.TITLE:
        title, problem = council.text_problem(call.text, council.TITLE_MAX)
        if problem:
            return call.reply("meetings.problem.text", most=council.TITLE_MAX)
        await _save(call, NEW, NewStep.PLACE, replace(data, title=title))
        return await asking.ask_other(
            call,
            flow=NEW.name,
            step=NewStep.PLACE,
            field="title",
            text=title,
            most=council.TITLE_MAX,
            then=call.reply("meetings.ask.place"),
        )
    if step is NewStep.PLACE:
        place, problem = council.text_problem(call.text, council.PLACE_MAX)
        if problem:
            return call.reply("meetings.problem.text", most=council.PLACE_MAX)
        await _save(call, NEW, NewStep.AUDIENCE, replace(data, place=place))
        return await asking.ask_other(
            call,
            flow=NEW.name,
            step=NewStep.AUDIENCE,
            field="place",
            text=place,
            most=council.PLACE_MAX,
            then=_ask_audience(call),
        )
    if step is NewStep.WHEN:
        reading = when.parse(
            call.text,
            now=call.services.clock.now(),
            zone=call.services.settings.establishment.timezone,
        )
        if not reading.ok or reading.moment is None:
            return _problem(call, reading.problem)
        return await _chosen_when(call, data, reading, edit=False)
    if step is NewStep.COUNT:
        raw = call.text.strip()
        most = council.max_count(data.rule, data.every)
        if not raw.isdigit() or not 1 <= int(raw) <= 999:
            return call.reply("meetings.problem.count", most=most)
        return await _confirm_new(call, replace(data, count=int(raw)), edit=False)
    # A step that waits for a button (kind, audience, wing, repeat): say so, keep the flow.
    return call.reply("agenda.raise.use_buttons")


def _ask_audience(call: Call) -> Reply:
    buttons = [[call.button(AUDIENCE_WORDS[a], NewAudience(a))] for a in council.AUDIENCES]
    return call.reply("meetings.ask.audience", buttons=buttons)


async def new_audience(call: Call, b: NewAudience) -> Result:
    at = NEW.read(call.state)
    if at is None or not at.draft.place:
        return _stale(call)
    data = replace(at.draft, audience=b.audience)
    if b.audience == council.FAMILIES:
        return await _ask_when(call, replace(data, wing=None))
    await _save(call, NEW, NewStep.WING, data)
    buttons = [[call.button("meetings.all_wings", NewWing(None))]]
    buttons += [
        [Button(w.label(call.lang), NewWing(w.id).pack())] for w in call.services.settings.wings
    ]
    return call.reply("meetings.ask.wing", buttons=buttons, edit=True)


async def new_wing(call: Call, b: NewWing) -> Result:
    at = NEW.read(call.state)
    if at is None or not at.draft.audience:
        return _stale(call)
    if b.wing is not None and call.services.settings.wing(b.wing) is None:
        return _stale(call)
    return await _ask_when(call, replace(at.draft, wing=b.wing))


async def _ask_when(call: Call, data: NewDraft) -> Reply:
    await _save(call, NEW, NewStep.WHEN, data)
    zone = call.services.settings.establishment.timezone
    today = call.services.clock.now().astimezone(zone).date()
    # Today first: a meeting can be planned for later today.
    days = [today + timedelta(days=n) for n in range(PICK_DAYS)]
    labels = [
        Button(
            call.t("reader.meeting.today")
            if d == today
            else format_date(d, "EEE d MMM", locale=call.lang),
            NewDay(d.strftime("%Y%m%d")).pack(),
        )
        for d in days
    ]
    buttons = [labels[i : i + 4] for i in range(0, len(labels), 4)]
    return call.reply("meetings.ask.when", buttons=buttons, edit=True)


def _picked_day(raw: str) -> date | None:
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


async def new_day(call: Call, b: NewDay) -> Result:
    at = NEW.read(call.state)
    day = _picked_day(b.day)
    if at is None or day is None or at.step is not NewStep.WHEN:
        return _stale(call)
    stamp = day.strftime("%Y%m%d")
    zone = call.services.settings.establishment.timezone
    local_now = call.services.clock.now().astimezone(zone)
    # For today, only the times still ahead; any other time can be typed, like 19:54.
    times = [
        t
        for t in PICK_TIMES
        if day > local_now.date() or time(int(t[:2]), int(t[2:])) > local_now.time()
    ]
    row = [Button(f"{t[:2]}:{t[2:]}", NewTime(stamp, t).pack()) for t in times]
    buttons = [row[i : i + 3] for i in range(0, len(row), 3)]
    return call.reply(
        "meetings.ask.time", buttons=buttons, edit=True, day=format_date(day, locale=call.lang)
    )


async def new_time(call: Call, b: NewTime) -> Result:
    at = NEW.read(call.state)
    day = _picked_day(b.day)
    raw = b.time
    if at is None or day is None or raw not in PICK_TIMES or at.step is not NewStep.WHEN:
        return _stale(call)
    reading = when.check_future(
        when.local_moment(
            day, time(int(raw[:2]), int(raw[2:])), call.services.settings.establishment.timezone
        ),
        now=call.services.clock.now(),
    )
    if not reading.ok:
        return _problem(call, reading.problem)
    return await _chosen_when(call, at.draft, reading, edit=True)


async def _chosen_when(call: Call, data: NewDraft, reading: when.Reading, *, edit: bool) -> Reply:
    assert reading.moment is not None
    data = replace(data, starts_at=reading.moment, ambiguous=reading.ambiguous)
    await _save(call, NEW, NewStep.REPEAT, data)
    zone = call.services.settings.establishment.timezone
    local = reading.moment.astimezone(zone).date()
    nth = council.monthly_position(local)
    weekday = format_date(local, "EEEE", locale=call.lang)
    buttons = [
        [call.button("meetings.repeat.once", NewRepeat("once", 1))],
        [call.button("meetings.repeat.weekly", NewRepeat("weekly", 1))],
        [call.button("meetings.repeat.every", NewRepeat("weekly", n), n=n) for n in (2, 3, 4)],
        [
            call.button(
                "meetings.repeat.monthly",
                NewRepeat("monthly", 1),
                nth=call.t(NTH_WORDS[nth]),
                weekday=weekday,
            )
        ],
    ]
    return call.reply("meetings.ask.repeat", buttons=buttons, edit=edit)


async def new_repeat(call: Call, b: NewRepeat) -> Result:
    at = NEW.read(call.state)
    rule, every = b.rule, b.every
    if at is None or at.draft.starts_at is None or not 1 <= every <= 4:
        return _stale(call)
    data = replace(at.draft, rule=rule, every=every if rule == council.WEEKLY else 1)
    if rule == council.ONCE:
        return await _confirm_new(call, replace(data, count=1), edit=True)
    await _save(call, NEW, NewStep.COUNT, data)
    most = council.max_count(rule, data.every)
    return call.reply("meetings.ask.count", edit=True, most=most)


def _plan(data: NewDraft) -> Plan | None:
    if not (data.kind and data.title and data.place and data.audience) or data.starts_at is None:
        return None
    return Plan(
        kind=data.kind,
        title=data.title,
        place=data.place,
        audience=data.audience,
        wing=data.wing,
        starts_at=data.starts_at,
        rule=data.rule,
        every=data.every,
        count=data.count,
    )


async def _confirm_new(call: Call, data: NewDraft, *, edit: bool) -> Reply:
    plan = _plan(data)
    if plan is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    settings = call.services.settings
    found = council.occurrences(plan, settings, call.services.clock.now())
    if found.problem is not None:
        # Stay on this step: staff type another number (or /cancel).
        return _occurrence_problem(call, found.problem, found.detail)
    await _save(call, NEW, NewStep.CONFIRM, data)
    lines = [
        call.t(
            "meetings.confirm.new",
            kind=call.t(KIND_WORDS[plan.kind]),
            title=plan.title,
            when=plan.starts_at,
            place=plan.place,
            audience=call.t(AUDIENCE_WORDS[plan.audience]),
            wing=_wing_label(call, plan.wing),
        )
    ]
    if len(found.moments) > 1:
        lines.append(
            call.t("meetings.confirm.series", count=len(found.moments), last=found.moments[-1])
        )
    for moment in found.ambiguous:
        lines.append(call.t("meetings.confirm.ambiguous", when=moment))
    # The preview shows the other content languages' words too.
    drafts = await council.words_drafted(call.tx, call.me.id)
    for lang in content.others(settings):
        for name in ("title", "place"):
            if (name, lang) in drafts:
                lines.append(
                    call.t(
                        "reader.content.kept",
                        language=call.t(f"reader.content.lang_label.{lang}"),
                        text=drafts[(name, lang)],
                    )
                )
    buttons = [
        [
            call.button("meetings.confirm.publish", NewPublish()),
            call.button("meetings.confirm.stop", NewStop()),
        ]
    ]
    return Reply("\n\n".join(lines), buttons, edit)


def _occurrence_problem(call: Call, problem: str, detail: dict[str, Any]) -> Reply:
    if problem in ("too_many", "too_long"):
        return call.reply("meetings.problem.too_many", most=detail.get("most", 1))
    if problem == "gap":
        return call.reply("meetings.problem.series_gap", day=detail["day"].date().isoformat())
    return call.reply("meetings.problem.past")


async def new_publish(call: Call, b: NewPublish) -> Result:
    at = NEW.read(call.state)
    if at is None or at.step is not NewStep.CONFIRM:
        return _stale(call)
    plan = _plan(at.draft)
    await call.end_flow()
    if plan is None:
        return call.reply("common.use_menu", edit=True)
    made = await council.schedule(
        call.tx, call.services.clock, call.services.settings, actor=call.me, plan=plan
    )
    if made.problem is not None:
        if made.problem in ("too_many", "too_long", "gap", "past"):
            return _occurrence_problem(call, made.problem, made.detail)
        return call.reply("common.use_menu")
    first = made.meetings[0]
    return call.reply(
        "meetings.published",
        edit=True,
        buttons=[[_open_button(call, first)]],
        ref=council.ref(first.id),
        count=len(made.meetings),
    )


async def new_stop(call: Call, b: NewStop) -> Result:
    if NEW.read(call.state) is not None:
        await call.end_flow()
    return call.reply("common.cancelled", edit=True)


# --- the meeting card ---------------------------------------------------------------------------


async def view(call: Call, b: ViewMeeting) -> Result:
    return await _card(call, b.meeting_id, edit=False)


async def _card(call: Call, meeting_id: int, *, edit: bool) -> Result:
    meeting = await council.visible(call.tx, call.me, meeting_id)
    if meeting is None:
        return _stale(call, "meetings.problem.unknown")
    meeting = await _in_language(call, meeting)
    lines = [_summary(call, meeting)]
    if meeting.status == council.CANCELLED:
        lines.append(call.t("meetings.is_cancelled"))
    buttons: list[list[Button]] = []
    if call.me.role in roles.STAFF_SIDE | {roles.OBSERVER}:
        seen = await council.attendance(call.tx, call.me, meeting.id)
        lines.append(call.t("meetings.counts", **seen.counts))
        for choice in council.ANSWERS:
            if seen.names[choice]:
                names = ", ".join(_name(p) for p in seen.names[choice])
                lines.append(f"{call.t(f'meetings.rsvp.{choice}')}: {names}")
    upcoming = meeting.status == council.SCHEDULED and _moment(meeting) > call.services.clock.now()
    if call.me.role in roles.STAFF_SIDE and upcoming:
        buttons.append(
            [
                call.button("meetings.move", MoveMeeting(meeting.id, meeting.version)),
                call.button("meetings.cancel", CancelMeeting(meeting.id, meeting.version)),
            ]
        )
    if council.in_audience(meeting, call.me) and upcoming:
        mine = await council.answer_of(call.tx, call.me, meeting.id)
        lines.append(call.t(YOURS_WORDS[mine]))
        buttons += _rsvp_buttons(call, meeting.id, mine)
    if call.me.role in roles.TRIAGE and upcoming and council.takes_items(meeting):
        buttons.append([call.button("meetings.agenda_button", AgendaEdit(meeting.id))])
    return Reply("\n".join(lines), buttons, edit)


def _name(person: access.Person) -> str:
    ref = access.person_ref(person.id)
    return f"{ref} {person.label}" if person.label else ref


async def _listed(call: Call) -> list[council.Listed]:
    return await council.upcoming_for(call.tx, call.services.clock, call.me, limit=20)


# --- move and cancel ----------------------------------------------------------------------------


async def move_start(call: Call, b: MoveMeeting) -> Result:
    meeting_id, version = b.meeting_id, b.version
    meeting = await council.get(call.tx, meeting_id)
    if meeting is None or meeting.version != version or meeting.status != council.SCHEDULED:
        return _stale(call, "meetings.problem.changed")
    await _save(call, MOVE, MoveStep.WHEN, MoveDraft(meeting_id, version))
    return call.reply("meetings.ask.new_when", ref=council.ref(meeting_id), when=_moment(meeting))


async def move_typed(call: Call) -> Result:
    at = MOVE.read(call.state)
    if at is None:
        return _stale(call)
    data = at.draft
    reading = when.parse(
        call.text,
        now=call.services.clock.now(),
        zone=call.services.settings.establishment.timezone,
    )
    if not reading.ok or reading.moment is None:
        return _problem(call, reading.problem)
    meeting = await council.get(call.tx, data.id)
    if meeting is None or meeting.version != data.version:
        await call.end_flow()
        return call.reply("meetings.problem.changed")
    await _save(call, MOVE, MoveStep.CONFIRM, replace(data, to=reading.moment))
    lines = [
        call.t(
            "meetings.confirm.move",
            ref=council.ref(meeting.id),
            title=meeting.title,
            old=_moment(meeting),
            new=reading.moment,
        )
    ]
    if reading.ambiguous:
        lines.append(call.t("meetings.confirm.ambiguous", when=reading.moment))
    buttons = [
        [
            call.button("meetings.confirm.move_yes", MoveConfirm(meeting.id, meeting.version)),
            call.button("meetings.confirm.keep", KeepMeeting()),
        ]
    ]
    return Reply("\n\n".join(lines), buttons)


async def move_confirm(call: Call, b: MoveConfirm) -> Result:
    at = MOVE.read(call.state)
    meeting_id, version = b.meeting_id, b.version
    if (
        at is None
        or at.draft.to is None
        or (at.draft.id, at.draft.version) != (meeting_id, version)
    ):
        return _stale(call)
    to = at.draft.to
    await call.end_flow()
    change = await council.move(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        meeting_id=meeting_id,
        version=version,
        starts_at=to,
    )
    if change.done and change.meeting is not None:
        return call.reply(
            "meetings.moved", edit=True, ref=council.ref(meeting_id), when=_moment(change.meeting)
        )
    refused = refusal_changed(change.result)
    assert refused is not None
    return call.reply(refused, edit=True)


async def cancel_ask(call: Call, b: CancelMeeting) -> Result:
    meeting_id, version = b.meeting_id, b.version
    meeting = await council.get(call.tx, meeting_id)
    if meeting is None or meeting.version != version or meeting.status != council.SCHEDULED:
        return _stale(call, "meetings.problem.changed")
    buttons = [
        [
            call.button("meetings.confirm.cancel_yes", CancelConfirm(meeting_id, version)),
            call.button("meetings.confirm.keep", KeepMeeting()),
        ]
    ]
    return call.reply(
        "meetings.confirm.cancel",
        buttons=buttons,
        ref=council.ref(meeting_id),
        title=meeting.title,
        when=_moment(meeting),
    )


async def cancel_confirm(call: Call, b: CancelConfirm) -> Result:
    meeting_id, version = b.meeting_id, b.version
    change = await council.cancel(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        meeting_id=meeting_id,
        version=version,
    )
    if change.done:
        return call.reply("meetings.cancelled", edit=True, ref=council.ref(meeting_id))
    refused = refusal_changed(change.result)
    assert refused is not None
    return call.reply(refused, edit=True)


async def keep(call: Call, b: KeepMeeting) -> Result:
    if MOVE.read(call.state) is not None:
        await call.end_flow()
    return call.reply("meetings.kept", edit=True)


# --- /meetings and answers ----------------------------------------------------------------------


async def listing(call: Call) -> Result:
    rows = await _listed(call)
    if not rows:
        return call.reply("meetings.none")
    lines = [call.t("meetings.list_title")]
    buttons: list[list[Button]] = []
    for listed in rows[:10]:
        meeting = await _in_language(call, listed.meeting)
        yours = ""
        if council.in_audience(meeting, call.me):
            yours = call.t(SHORT_WORDS[listed.answer])
        lines.append(
            call.t(
                "meetings.line",
                ref=council.ref(meeting.id),
                when=_moment(meeting),
                title=meeting.title,
                place=meeting.place,
                yours=yours,
            )
        )
        buttons.append([_open_button(call, meeting)])
    return Reply("\n".join(lines), buttons)


async def rsvp(call: Call, b: Rsvp) -> Result:
    meeting_id, choice = b.meeting_id, b.choice
    result = await council.answer(
        call.tx, call.services.clock, person=call.me, meeting_id=meeting_id, choice=choice
    )
    refused = refusal_said(result)
    if refused is None:
        call.toast = call.t(SAVED_WORDS[choice])
        if call.callback is not None:
            return Reply("", _rsvp_buttons(call, meeting_id, choice), markup_only=True)
    else:
        call.toast = call.t(refused)
        call.toast_alert = result is Said.NOT_AUDIENCE
    return None


# --- the agenda ---------------------------------------------------------------------------------


async def agenda(call: Call) -> Result:
    """/agenda: the next meeting's agenda for this person, in their language."""
    meeting = await council.next_meeting(call.tx, call.services.clock, call.me)
    if meeting is None:
        return call.reply("meetings.agenda.no_meeting")
    return await _agenda_view(call, meeting, edit=False)


async def _agenda_view(call: Call, meeting: MeetingRow, *, edit: bool) -> Reply:
    meeting = await _in_language(call, meeting)
    items = await council.agenda_of(call.tx, meeting.id)
    lines = [call.t("meetings.agenda.title", title=meeting.title, when=_moment(meeting))]
    if not items:
        lines.append(call.t("meetings.agenda.empty"))
    for index, item in enumerate(items, start=1):
        lines.append(
            call.t(
                "meetings.agenda.line",
                n=index,
                ref=agenda_council.ref(item.id),
                topic=_topic(call, item.topic),
                text=_excerpt(item.text),
                support=item.support_count,
            )
        )
    buttons: list[list[Button]] = []
    if call.me.role in roles.TRIAGE and council.takes_items(meeting):
        buttons.append([call.button("meetings.agenda_button", AgendaEdit(meeting.id))])
    return Reply("\n".join(lines), buttons, edit)


async def agenda_edit(call: Call, b: AgendaEdit) -> Result:
    return await _agenda_editor(call, b.meeting_id, edit=True)


async def _agenda_editor(call: Call, meeting_id: int, *, edit: bool) -> Result:
    meeting = await council.get(call.tx, meeting_id)
    if meeting is None or not council.takes_items(meeting):
        return _stale(call, "meetings.problem.unknown")
    view = await _agenda_view(call, meeting, edit=edit)
    items = await council.agenda_of(call.tx, meeting.id)
    buttons: list[list[Button]] = []
    for item in items:
        label = agenda_council.ref(item.id)
        buttons.append(
            [
                Button(f"▲ {label}", AgendaUp(meeting.id, item.id).pack()),
                Button(f"▼ {label}", AgendaDown(meeting.id, item.id).pack()),
            ]
        )
    buttons.append(
        [
            call.button("meetings.agenda.add", AgendaWaiting(meeting.id)),
            call.button("meetings.agenda.by_support", AgendaBySupport(meeting.id)),
        ]
    )
    return Reply(view.text, buttons, edit)


async def agenda_waiting(call: Call, b: AgendaWaiting) -> Result:
    meeting = await council.get(call.tx, b.meeting_id)
    if meeting is None:
        return _stale(call)
    items = await council.waiting_items(call.tx, call.me, meeting)
    if not items:
        return call.reply("meetings.agenda.none_waiting")
    lines = [call.t("meetings.agenda.waiting_title")]
    buttons: list[list[Button]] = []
    for item in items[:10]:
        lines.append(
            call.t(
                "meetings.agenda.line",
                n="•",
                ref=agenda_council.ref(item.id),
                topic=_topic(call, item.topic),
                text=_excerpt(item.text),
                support=item.support_count,
            )
        )
        buttons.append(
            [
                call.button(
                    "meetings.agenda.add_one",
                    AgendaAdd(meeting.id, item.id),
                    ref=agenda_council.ref(item.id),
                )
            ]
        )
    return Reply("\n".join(lines), buttons)


async def agenda_add(call: Call, b: AgendaAdd) -> Result:
    meeting_id, item_id = b.meeting_id, b.item_id
    result = await council.attach(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        meeting_id=meeting_id,
        item_id=item_id,
    )
    if (refused := refusal_ordered(result)) is not None:
        return _stale(call, refused)
    call.toast = call.t("meetings.agenda.added", ref=agenda_council.ref(item_id))
    return await _agenda_editor(call, meeting_id, edit=False)


async def agenda_up(call: Call, b: AgendaUp) -> Result:
    return await _agenda_step(call, b.meeting_id, b.item_id, -1)


async def agenda_down(call: Call, b: AgendaDown) -> Result:
    return await _agenda_step(call, b.meeting_id, b.item_id, 1)


async def _agenda_step(call: Call, meeting_id: int, item_id: int, step: int) -> Result:
    result = await council.reorder(
        call.tx,
        call.services.clock,
        actor=call.me,
        meeting_id=meeting_id,
        item_id=item_id,
        step=step,
    )
    if result is Ordered.EDGE:
        call.toast = call.t("meetings.agenda.edge")
        return None
    if (refused := refusal_ordered(result)) is not None:
        return _stale(call, refused)
    return await _agenda_editor(call, meeting_id, edit=True)


async def agenda_by_support(call: Call, b: AgendaBySupport) -> Result:
    meeting_id = b.meeting_id
    result = await council.order_by_support(
        call.tx, call.services.clock, actor=call.me, meeting_id=meeting_id
    )
    if (refused := refusal_ordered(result)) is not None:
        return _stale(call, refused)
    return await _agenda_editor(call, meeting_id, edit=True)


# --- minutes ------------------------------------------------------------------------------------


async def minutes(call: Call) -> Result:
    if MINUTES.read(call.state) is not None:
        await call.end_flow()
    rows = await council.to_minute(call.tx, call.services.clock, call.me)
    if not rows:
        return call.reply("meetings.minutes.none")
    buttons = [[_minutes_button(call, m)] for m in rows]
    return call.reply("meetings.minutes.pick", buttons=buttons)


def _minutes_button(call: Call, meeting: MeetingRow) -> Button:
    return call.button(
        "meetings.open", MinutesOpen(meeting.id), when=_short(call, meeting), title=meeting.title
    )


async def minutes_list(call: Call, b: MinutesList) -> Result:
    return await minutes(call)


async def minutes_open(call: Call, b: MinutesOpen) -> Result:
    return await _register(call, b.meeting_id, edit=True)


async def _register(call: Call, meeting_id: int, *, edit: bool) -> Result:
    got = await council.register(call.tx, call.services.clock, call.me, meeting_id)
    if got.register is None:
        refused = refusal_minuted(got.result)
        assert refused is not None
        return _stale(call, refused)
    found = got.register
    lines = [
        call.t("meetings.minutes.register", title=found.meeting.title, when=_moment(found.meeting)),
        call.t("meetings.minutes.tally", attended=len(found.attended), others=found.others),
    ]
    buttons: list[list[Button]] = []
    for person, choice in found.people[:40]:
        mark = "✅" if person.id in found.attended else "▫️"
        label = f"{mark} {_name(person)} ({call.t(f'meetings.short.{choice}')})"
        buttons.append([Button(label[:60], MinutesAttended(meeting_id, person.id).pack())])
    # "− 1" only when there is someone to take off the count.
    counter = [call.button("meetings.minutes.others", MinutesOthers(meeting_id, 1))]
    if found.others > 0:
        counter.insert(0, call.button("reader.minutes.one_fewer", MinutesOthers(meeting_id, 0)))
    buttons.append(counter)
    buttons.append([call.button("meetings.minutes.decisions", MinutesDecisions(meeting_id))])
    return Reply("\n".join(lines), buttons, edit)


async def minutes_attended(call: Call, b: MinutesAttended) -> Result:
    meeting_id, person_id = b.meeting_id, b.person_id
    result = await council.mark_attended(
        call.tx, call.services.clock, actor=call.me, meeting_id=meeting_id, person_id=person_id
    )
    if (refused := refusal_minuted(result)) is not None:
        return _stale(call, refused)
    return await _register(call, meeting_id, edit=True)


async def minutes_others(call: Call, b: MinutesOthers) -> Result:
    meeting_id, step = b.meeting_id, b.step
    if step not in (0, 1):
        return _stale(call)
    result = await council.add_others(
        call.tx, call.services.clock, actor=call.me, meeting_id=meeting_id, step=1 if step else -1
    )
    if (refused := refusal_minuted(result)) is not None:
        return _stale(call, refused)
    return await _register(call, meeting_id, edit=True)


async def minutes_decisions(call: Call, b: MinutesDecisions) -> Result:
    return await _decisions(call, b.meeting_id, edit=True)


async def _decisions(call: Call, meeting_id: int, *, edit: bool) -> Result:
    got = await council.register(call.tx, call.services.clock, call.me, meeting_id)
    if got.register is None:
        refused = refusal_minuted(got.result)
        assert refused is not None
        return _stale(call, refused)
    found = got.register
    rows = await council.minutes_items(call.tx, call.services.clock, call.me, meeting_id)
    lines = [call.t("meetings.minutes.decisions_title", title=found.meeting.title)]
    buttons: list[list[Button]] = []
    waiting = 0
    for row in rows:
        item = row.item
        label = agenda_council.ref(item.id)
        if row.decision is not None:
            lines.append(
                call.t(
                    DONE_WORDS[row.decision.kind],
                    ref=label,
                    decision=row.decision.decision,
                    owner=row.decision.owner,
                    due=row.decision.due_on,
                )
            )
        elif item.status == agenda_council.ON_AGENDA and item.meeting_id == meeting_id:
            waiting += 1
            lines.append(call.t("meetings.minutes.open_item", ref=label, text=_excerpt(item.text)))
            buttons.append(
                [
                    call.button(
                        "meetings.minutes.decided", MinutesKind(meeting_id, item.id, "d"), ref=label
                    ),
                    call.button(
                        "meetings.minutes.in_progress",
                        MinutesKind(meeting_id, item.id, "p"),
                        ref=label,
                    ),
                ]
            )
        else:
            lines.append(call.t("meetings.minutes.moved_on", ref=label))
    if not rows:
        lines.append(call.t("meetings.agenda.empty"))
    if waiting:
        buttons.append([call.button("meetings.minutes.roll_over", MinutesRollOver(meeting_id))])
    buttons.append(
        [
            call.button("meetings.minutes.back", MinutesOpen(meeting_id)),
            call.button("meetings.minutes.finish", MinutesFinish(meeting_id)),
        ]
    )
    return Reply("\n".join(lines), buttons, edit)


async def minutes_kind(call: Call, b: MinutesKind) -> Result:
    meeting_id, item_id = b.meeting_id, b.item_id
    kind = council.DECIDED if b.kind == "d" else council.IN_PROGRESS
    items = await council.minutes_items(call.tx, call.services.clock, call.me, meeting_id)
    if not any(i.item.id == item_id and i.decision is None for i in items):
        return _stale(call, "meetings.minutes.refused.handled")
    await _save(call, MINUTES, MinutesStep.DECISION, MinutesDraft(meeting_id, item_id, kind))
    return call.reply("meetings.minutes.ask_decision", ref=agenda_council.ref(item_id))


async def minutes_typed(call: Call) -> Result:
    at = MINUTES.read(call.state)
    if at is None:
        return _stale(call)
    data, step = at.draft, at.step
    if step is MinutesStep.DECISION:
        text, problem = council.decision_text(call.text)
        if problem:
            return call.reply("meetings.problem.text", most=council.DECISION_MAX)
        await _save(call, MINUTES, MinutesStep.OWNER, replace(data, decision=text))
        return call.reply("meetings.minutes.ask_owner")
    if step is MinutesStep.OWNER:
        owner, problem = council.owner_text(call.text)
        if problem:
            return call.reply("meetings.problem.text", most=council.OWNER_MAX)
        await _save(call, MINUTES, MinutesStep.DUE, replace(data, owner=owner))
        return call.reply("meetings.minutes.ask_due")
    if step is MinutesStep.DUE:
        zone = call.services.settings.establishment.timezone
        today = call.services.clock.now().astimezone(zone).date()
        reading = when.parse_day(call.text, today=today)
        if reading.day is None:
            return call.reply(due_problem(reading.problem))
        await call.end_flow()
        meeting_id = data.meeting
        result = await council.decide(
            call.tx,
            call.services.clock,
            call.services.settings,
            actor=call.me,
            meeting_id=meeting_id,
            item_id=data.item,
            kind=data.kind,
            decision=data.decision,
            owner=data.owner,
            due_on=reading.day,
        )
        if (refused := refusal_minuted(result)) is not None:
            return call.reply(refused)
        recorded = call.reply("meetings.minutes.recorded", ref=agenda_council.ref(data.item))
        view = await _decisions(call, meeting_id, edit=False)
        return [recorded] if view is None else [recorded, view] if isinstance(view, Reply) else view
    return call.reply("agenda.raise.use_buttons")


async def minutes_roll_over(call: Call, b: MinutesRollOver) -> Result:
    meeting_id = b.meeting_id
    moved = await council.roll_over(
        call.tx, call.services.clock, call.services.settings, actor=call.me, meeting_id=meeting_id
    )
    refused = refusal_minuted(moved.result)
    if refused is None and moved.to is not None:
        call.toast = call.t(
            "meetings.minutes.rolled", count=moved.moved, ref=council.ref(moved.to.id)
        )
        return await _decisions(call, meeting_id, edit=True)
    return _stale(call, refused or "meetings.minutes.refused.none")


async def minutes_finish(call: Call, b: MinutesFinish) -> Result:
    meeting_id = b.meeting_id
    result = await council.finish_minutes(
        call.tx, call.services.clock, actor=call.me, meeting_id=meeting_id
    )
    if (refused := refusal_minuted(result)) is not None:
        return _stale(call, refused)
    return call.reply("meetings.minutes.finished", edit=True)


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    return excerpt(text, limit)
