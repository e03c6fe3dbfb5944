"""Typed text routing, /cancel and the unknown command."""

from __future__ import annotations

from handlers.base import Call, Result, stranger


async def typed_text(call: Call) -> Result:
    from handlers import FLOWS

    if call.person is None:
        return stranger(call)
    if call.state is None:
        # After a support reply, no "please use the buttons" (safety.support says what to do).
        return None if call.disclosed else call.reply("common.use_menu")
    spec = FLOWS.get(call.state.flow)
    if spec is None or call.me.role not in spec.roles:
        # A flow this role may no longer use (the role changed): end it rather than obey it.
        await call.end_flow()
        return call.reply("common.use_menu")
    return await spec.fn(call)


async def cancel(call: Call) -> Result:
    if await call.end_flow():
        return call.reply("common.cancelled")
    return call.reply("common.nothing_to_cancel")


async def unknown_command(call: Call) -> Result:
    return call.reply("common.unknown_command")
