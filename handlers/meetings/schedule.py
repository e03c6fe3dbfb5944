"""Scheduling a meeting (staff): /meeting, /schedule and the steps of the plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any, assert_never

from babel.dates import format_date

from bot.council import content, when
from bot.council import meetings as council
from bot.council.meetings import Plan
from bot.council.meetings.buttons import (
    MinutesList,
    NewAudience,
    NewDay,
    NewKind,
    NewMeeting,
    NewPublish,
    NewRepeat,
    NewStop,
    NewTime,
    NewWing,
)
from bot.council.meetings.results import PlanProblem
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale
from handlers.labels import LANG_LABEL
from handlers.meetings.common import (
    AUDIENCE_WORDS,
    KIND_WORDS,
    MINUTES,
    MOVE,
    NEW,
    NTH_WORDS,
    PICK_DAYS,
    PICK_TIMES,
    NewDraft,
    NewStep,
    _open_button,
    _problem,
    _save,
    _wing_label,
)

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
        return _plan_refused(call, found.problem, found.detail)
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
                        language=call.t(LANG_LABEL[lang]),
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


def _plan_refused(call: Call, problem: PlanProblem, detail: dict[str, Any]) -> Reply:
    match problem:
        case PlanProblem.TOO_MANY | PlanProblem.TOO_LONG:
            return call.reply("meetings.problem.too_many", most=detail.get("most", 1))
        case PlanProblem.GAP:
            return call.reply("meetings.problem.series_gap", day=detail["day"].date().isoformat())
        case PlanProblem.PAST:
            return call.reply("meetings.problem.past")
        case (
            PlanProblem.KIND
            | PlanProblem.AUDIENCE
            | PlanProblem.WING
            | PlanProblem.RULE
            | PlanProblem.TEXT
        ):
            # Only a damaged draft reaches here: the steps offer nothing else.
            return call.reply("common.use_menu")
        case _:
            assert_never(problem)


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
        return _plan_refused(call, made.problem, made.detail)
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
