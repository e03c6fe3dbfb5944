"""/minutes: the register, decisions, roll-over, finishing."""

from __future__ import annotations

from dataclasses import replace

from bot.council import agenda as agenda_council
from bot.council import meetings as council
from bot.council import when
from bot.council.meetings import MeetingRow
from bot.council.meetings.buttons import (
    MinutesAttended,
    MinutesDecisions,
    MinutesFinish,
    MinutesKind,
    MinutesList,
    MinutesOpen,
    MinutesOthers,
    MinutesRollOver,
)
from handlers.base import Button, Call, Reply, Result, excerpt
from handlers.base import stale as _stale
from handlers.meetings.common import (
    DONE_WORDS,
    EXCERPT,
    MINUTES,
    SHORT_WORDS,
    MinutesDraft,
    MinutesStep,
    _moment,
    _name,
    _save,
    _short,
    due_problem,
    refusal_minuted,
)

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
        label = f"{mark} {_name(person)} ({call.t(SHORT_WORDS[choice])})"
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
                    due=row.decision.due_on.isoformat(),
                )
            )
        elif item.status == agenda_council.ON_AGENDA and item.meeting_id == meeting_id:
            waiting += 1
            lines.append(
                call.t("meetings.minutes.open_item", ref=label, text=excerpt(item.text, EXCERPT))
            )
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
