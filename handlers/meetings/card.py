"""A meeting's card, move and cancel with a confirm, /meetings and answers (RSVP)."""

from __future__ import annotations

from dataclasses import replace

from bot.council import meetings as council
from bot.council import roles, when
from bot.council.meetings.buttons import (
    AgendaEdit,
    CancelConfirm,
    CancelMeeting,
    KeepMeeting,
    MoveConfirm,
    MoveMeeting,
    Rsvp,
    ViewMeeting,
)
from bot.council.meetings.results import Said
from handlers.base import Button, Call, Reply, Result
from handlers.base import stale as _stale
from handlers.meetings.common import (
    MOVE,
    RSVP_WORDS,
    SAVED_WORDS,
    SHORT_WORDS,
    YOURS_WORDS,
    MoveDraft,
    MoveStep,
    _in_language,
    _listed,
    _moment,
    _name,
    _open_button,
    _problem,
    _rsvp_buttons,
    _save,
    _summary,
    refusal_changed,
    refusal_said,
)

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
                lines.append(f"{call.t(RSVP_WORDS[choice])}: {names}")
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


# --- move and cancel ----------------------------------------------------------------------------


async def move_start(call: Call, b: MoveMeeting) -> Result:
    meeting_id, version = b.meeting_id, b.version
    checked = await council.open_to_change(call.tx, call.me, meeting_id, version)
    meeting = checked.meeting
    if not checked.done or meeting is None:
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
    checked = await council.open_to_change(call.tx, call.me, meeting_id, version)
    meeting = checked.meeting
    if not checked.done or meeting is None:
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
