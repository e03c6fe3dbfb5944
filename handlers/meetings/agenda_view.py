"""/agenda and the order of a meeting's agenda."""

from __future__ import annotations

from bot.council import agenda as agenda_council
from bot.council import meetings as council
from bot.council import roles
from bot.council.meetings import MeetingRow
from bot.council.meetings.buttons import (
    AgendaAdd,
    AgendaBySupport,
    AgendaDown,
    AgendaEdit,
    AgendaUp,
    AgendaWaiting,
)
from bot.council.meetings.results import Ordered
from handlers.base import Button, Call, Reply, Result, excerpt
from handlers.base import stale as _stale
from handlers.base import topic_label as _topic
from handlers.meetings.common import EXCERPT, _in_language, _moment, refusal_ordered

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
                text=excerpt(item.text, EXCERPT),
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
                text=excerpt(item.text, EXCERPT),
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
