"""Staff announcements (/announce: audience, text, preview, confirm) and the admin's /delivery
view of the outbox. The notices themselves go out through bot/delivery.py."""

from __future__ import annotations

from bot.council import announcements, content
from bot.council.text import clean
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result
from handlers.callbacks import pack
from storage import outbox
from storage import timers as timer_store

LAST_PARKED = 5
_PROBLEMS = {
    "empty": "announce.too_short",
    "too_short": "announce.too_short",
    "too_long": "announce.too_long",
    "no_words": "announce.bad_text",
}


def _audience_label(call: Call, audience: str) -> str:
    return call.t(f"announce.audience_{audience}")


async def announce(call: Call) -> Result:
    await call.end_flow()
    buttons = [
        [Button(_audience_label(call, name), pack("ann", name))] for name in announcements.AUDIENCES
    ]
    return call.reply("announce.pick_audience", buttons=buttons)


async def announce_audience(call: Call) -> Result:
    audience = call.callback.arg(0) if call.callback else None
    if audience not in announcements.AUDIENCES:
        call.toast = call.t("common.stale_button")
        return None
    await call.begin("announce", "text", {"audience": audience})
    await content.start(call.tx, call.me.id)
    return call.reply("announce.ask_text", edit=True, max=announcements.MAX_LEN)


async def announce_text(call: Call) -> Result:
    state = call.state
    audience = state.data.get("audience") if state else None
    if not isinstance(audience, str) or audience not in announcements.AUDIENCES:
        await call.end_flow()
        return call.reply("common.use_menu")
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
    if draft.count == 0:
        await call.end_flow()
        return call.reply("announce.nobody")
    await call.begin("announce", "confirm", {"audience": audience, "draft": draft.id})
    buttons = [
        [
            call.button("announce.send", pack("anny", draft.id)),
            call.button("announce.cancel", pack("annn", draft.id)),
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
        flow="announce",
        step="confirm",
        field="text",
        text=cleaned.text,
        most=announcements.MAX_LEN,
        then=preview,
    )


async def _end_if_current(call: Call, draft_id: int) -> None:
    if call.state is not None and call.state.flow == "announce":
        if call.state.data.get("draft") == draft_id:
            await call.end_flow()


_ANSWERS = {
    "done": "announce.sent",
    "already": "announce.already",
    "cancelled": "announce.cancelled",
    "expired": "announce.expired",
    "nobody": "announce.nobody",
}


def _answer(call: Call, outcome: announcements.Outcome) -> Result:
    message = _ANSWERS.get(outcome.result)
    if message is None:  # not_yours or unknown: a forged or foreign button changes nothing
        call.toast = call.t("common.not_for_you")
        return None
    return call.reply(message, edit=True, count=outcome.count)


async def announce_send(call: Call) -> Result:
    draft_id = call.callback.int_arg(0) if call.callback else None
    if draft_id is None:
        call.toast = call.t("common.stale_button")
        return None
    await content.keep(call.tx, call.me.id, "announcement", draft_id, {"text": "text"})
    outcome = await announcements.send(
        call.tx, call.services.clock, call.services.settings, actor=call.me, draft_id=draft_id
    )
    await _end_if_current(call, draft_id)
    return _answer(call, outcome)


async def announce_cancel(call: Call) -> Result:
    draft_id = call.callback.int_arg(0) if call.callback else None
    if draft_id is None:
        call.toast = call.t("common.stale_button")
        return None
    outcome = await announcements.cancel(
        call.tx, call.services.clock, actor=call.me, draft_id=draft_id
    )
    await _end_if_current(call, draft_id)
    return _answer(call, outcome)


async def delivery_view(call: Call) -> Result:
    counts = await outbox.counts(call.tx)
    timer_counts = await timer_store.counts(call.tx)
    lines = [
        call.t("delivery.title"),
        call.t("delivery.queued", count=counts.get("queued", 0) + counts.get("sending", 0)),
        call.t("delivery.sent", count=counts.get("sent", 0)),
        call.t("delivery.parked", count=counts.get("parked", 0)),
        call.t("delivery.dropped", count=counts.get("dropped", 0)),
        call.t("delivery.unreachable", count=await outbox.unreachable_people(call.tx)),
        call.t(
            "delivery.timers",
            pending=timer_counts.get("pending", 0),
            missed=timer_counts.get("missed", 0),
        ),
        "",
    ]
    parked = await outbox.last_parked(call.tx, LAST_PARKED)
    if not parked:
        lines.append(call.t("delivery.none_parked"))
    else:
        lines.append(call.t("delivery.last_parked"))
        for key, reason, when in parked:
            stamp = when[:16].replace("T", " ")
            lines.append(call.t("delivery.parked_line", when=stamp, key=key, reason=reason))
    return Reply("\n".join(lines))
