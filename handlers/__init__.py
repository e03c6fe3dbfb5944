"""register(app): the one list of every command, button and typed-reply step, with its roles.
A newcomer finds any behaviour here, then follows the function into bot/council/."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.council import roles as r
from handlers import access, common
from handlers.base import STRANGERS, Spec, run
from handlers.callbacks import unpack


@dataclass(frozen=True)
class Command:
    name: str
    spec: Spec
    help_id: str | None  # catalogue id of its line in /help; None keeps it out of /help
    menu_id: str | None = None  # catalogue id of its button on the menu; None keeps it off


def _cmd(
    name: str, fn: object, roles: frozenset[str], help_id: str | None, menu_id: str | None = None
) -> Command:
    return Command(name, Spec(fn, roles), help_id, menu_id)  # type: ignore[arg-type]


# Commands, in the order /help and the menu show them.
COMMANDS: list[Command] = [
    _cmd("start", access.start, r.ALL | STRANGERS, None),
    _cmd("menu", access.menu, r.ALL, "help.menu"),
    _cmd("invite", access.invite, r.STAFF_SIDE, "help.invite", "menu.invite"),
    _cmd("people", access.people, r.STAFF_SIDE, "help.people", "menu.people"),
    _cmd("revoke", access.revoke, r.STAFF_SIDE, "help.revoke"),
    _cmd("audit", access.audit_log, r.READERS - {r.STAFF}, "help.audit", "menu.audit"),
    _cmd("whoami", access.whoami, r.ALL, "help.whoami", "menu.whoami"),
    _cmd("language", access.language, r.ALL, "help.language", "menu.language"),
    _cmd("cancel", common.cancel, r.ALL, "help.cancel"),
    _cmd("help", access.help_, r.ALL | STRANGERS, "help.help", "menu.help"),
]
COMMAND_BY_NAME = {c.name: c for c in COMMANDS}

# Buttons by the kind in their callback data ("1:kind:args").
BUTTONS: dict[str, Spec] = {
    "menu": Spec(access.menu_button, r.ALL),
    "lang": Spec(access.pick_language, r.ALL),
    "inv": Spec(access.invite_role, r.STAFF_SIDE),
    "invw": Spec(access.invite_wing, r.STAFF_SIDE),
    "invskip": Spec(access.invite_skip_label, r.STAFF_SIDE),
    "ppl": Spec(access.people_page, r.STAFF_SIDE),
    "rvk": Spec(access.revoke_ask, r.STAFF_SIDE),
    "rvky": Spec(access.revoke_confirm, r.STAFF_SIDE),
    "rvkn": Spec(access.revoke_keep, r.STAFF_SIDE),
    "aud": Spec(access.audit_page, r.READERS - {r.STAFF}),
}

# Typed replies, by the flow stored for the person (conversation table).
FLOWS: dict[str, Spec] = {
    "invite": Spec(access.invite_label, r.STAFF_SIDE),
}


async def _command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = message.text if message and message.text else ""
    name = text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower() if text else ""
    command = COMMAND_BY_NAME.get(name)
    spec = command.spec if command else Spec(common.unknown_command, r.ALL)
    # A MessageHandler gets no context.args (only CommandHandler does): split the text here.
    await run(update, context, spec, kind="command", text=text, args=text.split()[1:])


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    callback = unpack(query.data if query else None)
    spec = BUTTONS.get(callback.kind) if callback else None
    await run(update, context, spec, kind="button", callback=callback)


async def _text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    await run(
        update,
        context,
        Spec(common.typed_text, r.ALL | STRANGERS),
        kind="text",
        text=message.text if message and message.text else "",
    )


async def _other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await run(update, context, None, kind="other")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.COMMAND, _command))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _text))
    app.add_handler(MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, _other))
