"""The one wrapper every update goes through: private chats only, load the person, check the role,
run the handler inside one transaction, then render what it returned. No path can forget a step."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot import i18n
from bot.council import safeguarding, session
from bot.council.access import Person
from bot.council.buttons import ButtonData
from bot.council.session import ConversationRow, Tx
from bot.council.text import excerpt as excerpt  # one helper, for handlers and the council
from bot.services import Services
from handlers.callbacks import Callback
from handlers.patience import patiently

log = logging.getLogger(__name__)

STRANGERS = frozenset({"*stranger*"})  # marker: the handler also serves people with no role


@dataclass
class Button:
    label: str
    data: str = ""
    url: str = ""


@dataclass
class Reply:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    edit: bool = False  # for a button press: replace the pressed message instead of a new one
    document: tuple[str, bytes] | None = None
    photo: bytes | None = None
    # Slow work (drawing charts, a PDF) done after the transaction commits, so the database is
    # free for everyone else meanwhile. It returns the replies to send in this one's place.
    later: Callable[[], Awaitable[list[Reply]]] | None = None
    # For a button press: change only the pressed message's buttons (mark the chosen answer).
    markup_only: bool = False
    # Several pictures sent together as one album, each with its caption.
    album: list[tuple[bytes, str]] | None = None


Result = Reply | list[Reply] | None


@dataclass
class Call:
    """Everything a handler needs about the update, with the transaction already open."""

    services: Services
    tx: Tx
    person: Person | None
    lang: str
    user_id: int
    chat_id: int
    tg_language: str | None
    text: str = ""
    args: list[str] = field(default_factory=list)
    callback: Callback | None = None
    pressed: ButtonData | None = None  # the typed button, for a kind declared as a type
    state: ConversationRow | None = None
    toast: str | None = None
    toast_alert: bool = False
    commands_changed: bool = False
    extra: list[Reply] = field(default_factory=list)
    disclosed: bool = False  # the words suggest risk: the support reply is sent, and no nag

    @property
    def me(self) -> Person:
        assert self.person is not None, "the wrapper checked the role"
        return self.person

    def t(self, message_id: str, **params: Any) -> str:
        return i18n.t(
            self.lang, message_id, self.services.settings.establishment.timezone, **params
        )

    def reply(
        self,
        message_id: str,
        *,
        buttons: list[list[Button]] | None = None,
        edit: bool = False,
        **params: Any,
    ) -> Reply:
        return Reply(self.t(message_id, **params), buttons or [], edit)

    def button(self, message_id: str, data: str | ButtonData, **params: Any) -> Button:
        packed = data.pack() if isinstance(data, ButtonData) else data
        return Button(self.t(message_id, **params), packed)

    async def begin(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        clock = self.services.clock
        await session.begin(self.tx, clock, self.me.id, flow, step, data or {})

    async def end_flow(self) -> bool:
        return await session.end_flow(self.tx, self.me.id)


Handler = Callable[[Call], Awaitable[Result]]
B = TypeVar("B", bound=ButtonData)


@dataclass(frozen=True)
class Spec:
    # Handler for commands, typed replies and untyped buttons; (Call, typed button) for a
    # typed button kind (see pressed()).
    fn: Callable[..., Awaitable[Result]]
    roles: frozenset[str]
    button: type[ButtonData] | None = None


def pressed(
    button: type[B], fn: Callable[[Call, B], Awaitable[Result]], roles: frozenset[str]
) -> tuple[str, Spec]:
    """A registry entry for a typed button: mypy checks that the handler takes that button.
    The wrapper unpacks it; forged, old or garbled data is answered "stale" before any handler."""
    return button.prefix, Spec(fn, roles, button)


def language_for(person: Person | None, tg_language: str | None, services: Services) -> str:
    if person is not None:
        return person.language
    if tg_language and tg_language.lower().startswith("cy"):
        return "cy"
    return services.settings.establishment.default_language


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.application.bot_data["services"]
    assert isinstance(services, Services)
    return services


async def run(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    spec: Spec | None,
    *,
    kind: str,
    callback: Callback | None = None,
    pressed: ButtonData | None = None,
    text: str = "",
    args: list[str] | None = None,
) -> None:
    """kind is "command", "button", "text" or "other" (a photo, a sticker...)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    services = services_of(context)
    query = update.callback_query
    if chat.type != ChatType.PRIVATE:
        # In a group the bot says one line when addressed and nothing else.
        if kind in ("command", "button"):
            line = i18n.t(language_for(None, user.language_code, services), "common.private_only")
            if query is not None:
                await _answer(query, line, alert=False)
            else:
                await patiently(context.bot.send_message, chat.id, line)
        return

    settings, clock = services.settings, services.clock
    async with services.db.transaction() as tx:
        who = await session.caller(tx, clock, settings, user.id, services.channel)
        person = who.person
        lang = language_for(person, user.language_code, services)
        call = Call(
            services=services,
            tx=tx,
            person=person,
            lang=lang,
            user_id=user.id,
            chat_id=chat.id,
            tg_language=user.language_code,
            text=text,
            args=args or [],
            callback=callback,
            pressed=pressed,
            state=who.state,
        )
        replies = await _decide(call, spec, kind)

    await _render(update, context, call, replies)


async def _decide(call: Call, spec: Spec | None, kind: str) -> list[Reply]:
    person = call.person
    settings = call.services.settings
    support: list[Reply] = []
    if kind in ("text", "edited") and safeguarding.suggests_risk(settings, call.text):
        # Checked for everyone, before anything else, so no free-text path can skip it.
        told = False
        if person is not None:
            where = "edited" if kind == "edited" else call.state.flow if call.state else "message"
            screened = await safeguarding.screen(
                call.tx, call.services.clock, settings, person=person, text=call.text, where=where
            )
            told = screened.told
        call.disclosed = True
        support.append(Reply(_support_text(call, told=told)))

    if spec is None:
        if kind == "button":
            call.toast = call.t("common.stale_button")
            return support
        if person is None:
            return [*support, stranger(call)]
        if kind == "text":
            # No "please use the buttons" after a support reply.
            return support or [call.reply("common.use_menu")]
        key = "common.text_only" if call.state else "common.only_text_and_buttons"
        return [*support, call.reply(key)]

    if person is None and not spec.roles & STRANGERS:
        if kind == "button":
            call.toast = call.t("common.not_for_you")
            return support
        return [*support, stranger(call)]
    if person is not None and person.role not in spec.roles:
        if kind == "button":
            call.toast = call.t("common.not_for_you")
            return support
        return [*support, call.reply("common.not_for_role")]

    if spec.button is not None:
        # The registry only hands a typed spec a button it parsed (handlers/__init__.py).
        assert isinstance(call.pressed, spec.button)
        result = await spec.fn(call, call.pressed)
    else:
        result = await spec.fn(call)
    replies = [] if result is None else [result] if isinstance(result, Reply) else list(result)
    return [*support, *replies, *call.extra]


def stale(call: Call, message_id: str = "common.stale_button") -> Result:
    """Answer a press that no longer means anything (a finished step, forged data) with a
    toast, and change nothing."""
    call.toast = call.t(message_id)
    return None


def pairs(buttons: list[Button]) -> list[list[Button]]:
    """Buttons two to a row."""
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def topic_label(call: Call, topic_id: str) -> str:
    topic = call.services.settings.topic(topic_id)
    return topic.label(call.lang) if topic else topic_id


def wing_label(call: Call, wing_id: str) -> str:
    wing = call.services.settings.wing(wing_id)
    return wing.label(call.lang) if wing else wing_id


def stranger(call: Call) -> Reply:
    return call.reply("common.stranger", establishment=call.services.settings.establishment.name)


def _support_text(call: Call, *, told: bool) -> str:
    """Listener and Samaritans (or the establishment's own words), then a line that is always
    true: the team was told only when an alert was queued for a contact."""
    custom = call.services.settings.safeguarding.message
    first = custom.get(call.lang) or custom.get("en") or call.t("safety.support")
    return f"{first}\n{call.t('safety.told' if told else 'safety.not_told')}"


def markup(buttons: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in buttons
        ]
    )


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Telegram takes 4096 characters a message: split long text at line ends."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


async def _answer(query: CallbackQuery, text: str | None, *, alert: bool) -> None:
    try:
        await patiently(query.answer, text=text, show_alert=alert)
    except BadRequest:
        # A press older than Telegram's answer window: nothing useful to do.
        log.info("callback query too old to answer")


async def _render(
    update: Update, context: ContextTypes.DEFAULT_TYPE, call: Call, replies: list[Reply]
) -> None:
    query = update.callback_query
    if query is not None:
        await _answer(query, call.toast, alert=call.toast_alert)
    bot = context.bot
    queue = list(replies)
    while queue:
        reply = queue.pop(0)
        if reply.later is not None:
            queue[0:0] = await reply.later()
            continue
        try:
            if reply.document is not None:
                name, data = reply.document
                await patiently(
                    bot.send_document,
                    call.chat_id,
                    InputFile(data, filename=name),
                    caption=reply.text,
                )
                continue
            if reply.photo is not None:
                await patiently(
                    bot.send_photo, call.chat_id, reply.photo, caption=reply.text[:1024]
                )
                continue
            if reply.markup_only and query is not None and query.message is not None:
                try:
                    await query.edit_message_reply_markup(markup(reply.buttons))
                except BadRequest:
                    log.info("could not mark the chosen button")
                continue
            if reply.album:
                await _send_album(bot, call.chat_id, reply.album)
                continue
            chunks = split_text(reply.text)
            if reply.edit and query is not None and query.message is not None and len(chunks) == 1:
                try:
                    await patiently(
                        query.edit_message_text, chunks[0], reply_markup=markup(reply.buttons)
                    )
                    continue
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        continue
                    # The pressed message can no longer be edited: say it in a new message.
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                await patiently(
                    bot.send_message,
                    call.chat_id,
                    chunk,
                    reply_markup=markup(reply.buttons) if last else None,
                )
        except Forbidden:
            # They blocked the bot between pressing and our answer: nothing to tell them.
            log.info("reply not delivered: the user blocked the bot")
            return
    if call.commands_changed and call.person is not None:
        await _set_chat_commands(context, call.chat_id, call.person.role, call.lang)


async def _send_album(bot: Any, chat_id: int, album: list[tuple[bytes, str]]) -> None:
    """Pictures together: Telegram takes 2 to 10 in an album, so one goes alone."""
    for start in range(0, len(album), 10):
        chunk = album[start : start + 10]
        if len(chunk) == 1:
            await bot.send_photo(chat_id, chunk[0][0], caption=chunk[0][1][:1024])
            continue
        media = [InputMediaPhoto(data, caption=caption[:1024]) for data, caption in chunk]
        await bot.send_media_group(chat_id, media)


async def _set_chat_commands(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, role: str, lang: str
) -> None:
    """The command list a joined person sees: their role's commands, in their language."""
    from handlers import COMMANDS, help_id_for

    listed = [(c.name, help_id_for(c, role)) for c in COMMANDS]
    commands = [BotCommand(name, i18n.t(lang, hid)[:256]) for name, hid in listed if hid]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError:
        log.info("could not set the chat's command list")
