"""Typed text routing, /cancel and the unknown command."""

from __future__ import annotations

from bot.council import agenda, roles
from bot.council.agenda_buttons import ReplyLoose, ReplyLooseDrop
from handlers import content
from handlers.base import Call, Result, stranger
from handlers.labels import Ids


async def typed_text(call: Call) -> Result:
    from handlers import FLOWS

    if call.person is None:
        return stranger(call)
    if call.state is None:
        if call.disclosed:
            # After a support reply, no "please use the buttons" (safety.support says what to do).
            return None
        return await _unexpected(call)
    spec = FLOWS.get(call.state.flow)
    if spec is not None and call.me.role in spec.roles:
        # Waiting for the same words in another content language (handlers/content.py)?
        pending = await content.waiting(call)
        if pending is not None:
            return await content.typed(call, pending)
    if spec is None or call.me.role not in spec.roles:
        # A flow this role may no longer use (the role changed): end it rather than obey it.
        await call.end_flow()
        return call.reply("common.use_menu")
    return await spec.fn(call)


async def _unexpected(call: Call) -> Result:
    """Words typed when no step was waiting for them: say so, and keep them where they can
    still matter (an open question from staff about one of the member's issues)."""
    if call.me.role in roles.IN_CUSTODY:
        item = await agenda.waiting_for_answer(call.tx, call.me)
        cleaned = agenda.note_text(call.text)
        if item is not None and cleaned.ok:
            await call.begin("agenda_reply", "loose", {"item": item.id, "text": cleaned.text})
            ref = agenda.ref(item.id)
            buttons = [
                [call.button("reader.unexpected.send_answer", ReplyLoose(item.id), ref=ref)],
                [call.button("reader.unexpected.discard", ReplyLooseDrop())],
            ]
            return call.reply(
                "reader.unexpected.answer_offer",
                ref=ref,
                question=item.info_question or "",
                buttons=buttons,
            )
    return call.reply(_ROLE_HINT.get(call.me.role, _HINT["member"]))


_HINT = Ids("reader.unexpected.{}", ("member", "family", "staff", "observer"))
_ROLE_HINT = {
    roles.MEMBER: _HINT["member"],
    roles.CHAIR: _HINT["member"],
    roles.FAMILY: _HINT["family"],
    roles.STAFF: _HINT["staff"],
    roles.ADMIN: _HINT["staff"],
    roles.OBSERVER: _HINT["observer"],
}


async def cancel(call: Call) -> Result:
    if await call.end_flow():
        return call.reply("common.cancelled")
    return call.reply("common.nothing_to_cancel")


async def unknown_command(call: Call) -> Result:
    return call.reply("common.unknown_command")
