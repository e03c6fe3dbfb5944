"""Staff announcements (/announce: audience, text, preview, confirm) and the admin's /delivery
view of the outbox. The notices themselves go out through bot/delivery.py."""

from __future__ import annotations

from typing import assert_never

from bot.council import announcements, content, notices
from bot.council.announcements import CancelAnnouncement, PickAudience, SendAnnouncement
from bot.council.text import clean
from handlers import channels
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result
from handlers.labels import Ids

LAST_PARKED = 5
AUDIENCE = Ids("announce.audience_{}", announcements.AUDIENCES)
_PROBLEMS = {
    "empty": "announce.too_short",
    "too_short": "announce.too_short",
    "too_long": "announce.too_long",
    "no_words": "announce.bad_text",
}


def _audience_label(call: Call, audience: str) -> str:
    return call.t(AUDIENCE[audience])


async def announce(call: Call) -> Result:
    await call.end_flow()
    buttons = [
        [Button(_audience_label(call, name), PickAudience(name).pack())]
        for name in announcements.AUDIENCES
    ]
    return call.reply("announce.pick_audience", buttons=buttons)


async def announce_audience(call: Call, b: PickAudience) -> Result:
    audience = b.audience
    await _save(call, announcements.AnnounceStep.TEXT, announcements.Announcing(audience))
    await content.start(call.tx, call.me.id)
    return call.reply("announce.ask_text", edit=True, max=announcements.MAX_LEN)


async def announce_text(call: Call) -> Result:
    at = announcements.FLOW.read(call.state)
    if at is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    audience = at.draft.audience
    cleaned = clean(
        call.text,
        min_len=announcements.MIN_LEN,
        max_len=announcements.MAX_LEN,
        need_words=True,
    )
    if cleaned.problem is not None:
        # The flow stays open: they can simply type it again.
        return call.reply(
            _PROBLEMS.get(cleaned.problem, "announce.bad_text"),
            min=announcements.MIN_LEN,
            max=announcements.MAX_LEN,
        )
    draft = await announcements.draft(
        call.tx, call.services.clock, actor=call.me, audience_name=audience, text=cleaned.text
    )
    match draft.result:
        case announcements.Drafting.PREVIEW:
            pass
        case announcements.Drafting.NOBODY:
            await call.end_flow()
            return call.reply("announce.nobody")
        case announcements.Drafting.UNKNOWN_AUDIENCE:
            await call.end_flow()
            return call.reply("common.use_menu")
        case announcements.Drafting.NOT_ALLOWED:
            await call.end_flow()
            return call.reply("common.not_for_role")
        case _:
            assert_never(draft.result)
    confirming = announcements.Announcing(audience, draft.id)
    await _save(call, announcements.AnnounceStep.CONFIRM, confirming)
    buttons = [
        [
            call.button("announce.send", SendAnnouncement(draft.id)),
            call.button("announce.cancel", CancelAnnouncement(draft.id)),
        ]
    ]
    preview = call.reply(
        "announce.preview",
        buttons=buttons,
        audience=_audience_label(call, audience),
        count=draft.count,
        text=cleaned.text,
    )
    # The same words in each other content language, then the preview (with both).
    return await asking.ask_other(
        call,
        flow=announcements.FLOW.name,
        step=announcements.AnnounceStep.CONFIRM,
        field="text",
        text=cleaned.text,
        most=announcements.MAX_LEN,
        then=preview,
    )


async def _save(
    call: Call, step: announcements.AnnounceStep, draft: announcements.Announcing
) -> None:
    await announcements.FLOW.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def _end_if_current(call: Call, draft_id: int) -> None:
    at = announcements.FLOW.read(call.state)
    if at is not None and at.draft.draft == draft_id:
        await call.end_flow()


def _answer(call: Call, outcome: announcements.Outcome) -> Result:
    count = outcome.count
    match outcome.result:
        case announcements.Result.DONE:
            return call.reply("announce.sent", edit=True, count=count)
        case announcements.Result.ALREADY:
            return call.reply("announce.already", edit=True, count=count)
        case announcements.Result.CANCELLED:
            return call.reply("announce.cancelled", edit=True, count=count)
        case announcements.Result.EXPIRED:
            return call.reply("announce.expired", edit=True, count=count)
        case announcements.Result.NOBODY:
            return call.reply("announce.nobody", edit=True, count=count)
        case (
            announcements.Result.NOT_YOURS
            | announcements.Result.UNKNOWN
            | announcements.Result.NOT_ALLOWED
        ):
            # A forged or foreign button changes nothing.
            call.toast = call.t("common.not_for_you")
            return None
        case _:
            assert_never(outcome.result)


async def announce_send(call: Call, b: SendAnnouncement) -> Result:
    draft_id = b.draft_id
    await content.keep(call.tx, call.me.id, "announcement", draft_id, {"text": "text"})
    outcome = await announcements.send(
        call.tx, call.services.clock, call.services.settings, actor=call.me, draft_id=draft_id
    )
    await _end_if_current(call, draft_id)
    return _answer(call, outcome)


async def announce_cancel(call: Call, b: CancelAnnouncement) -> Result:
    draft_id = b.draft_id
    outcome = await announcements.cancel(
        call.tx, call.services.clock, actor=call.me, draft_id=draft_id
    )
    await _end_if_current(call, draft_id)
    return _answer(call, outcome)


async def delivery_view(call: Call) -> Result:
    state = await notices.delivery_state(call.tx, LAST_PARKED)
    counts, timer_counts = state.notices, state.timers
    lines = [
        call.t("delivery.title"),
        call.t("delivery.queued", count=counts.get("queued", 0) + counts.get("sending", 0)),
        call.t("delivery.sent", count=counts.get("sent", 0)),
        call.t("delivery.parked", count=counts.get("parked", 0)),
        call.t("delivery.dropped", count=counts.get("dropped", 0)),
        call.t("delivery.unreachable", count=state.unreachable),
        call.t(
            "delivery.timers",
            pending=timer_counts.get("pending", 0),
            missed=timer_counts.get("missed", 0),
        ),
        "",
        # Each channel: up or down, when it last answered, what waits for it (docs/CHANNELS.md).
        *await channels.health_lines(call),
        "",
    ]
    parked = state.parked
    if not parked:
        lines.append(call.t("delivery.none_parked"))
    else:
        lines.append(call.t("delivery.last_parked"))
        for key, reason, when in parked:
            stamp = "" if when is None else f"{when:%Y-%m-%d %H:%M}"  # UTC, as stored
            lines.append(call.t("delivery.parked_line", when=stamp, key=key, reason=reason))
    return Reply("\n".join(lines))
