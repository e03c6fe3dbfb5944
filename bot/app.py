"""Builds the python-telegram-bot Application: request, handlers, error handler, jobs, sender."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot import delivery, i18n, logs, scheduler
from bot.channels import ChannelHealth, TrackedRequest
from bot.config import Settings
from bot.council import consultations, elections, polls, retention
from bot.council import timers as timer_kinds
from bot.council.clock import Clock, SystemClock
from bot.ops import hooks as ops
from bot.serve import Channels, Running
from bot.services import Services
from storage import polls as poll_store
from storage.db import Database

log = logging.getLogger(__name__)

CouncilApp = Application[Any, Any, Any, Any, Any, Any]


def build_application(
    settings: Settings,
    db: Database,
    *,
    token: str,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    base_url: str | None = None,
    channel: str | None = None,
    extras: dict[str, Any] | None = None,
) -> CouncilApp:
    """The Application for one channel (default: the first configured one). Applications of
    one process share `extras` (and the database, clock and settings); see bot/serve.py."""
    config = settings.channel(channel) if channel else settings.all_channels()[0]
    if config is None:
        raise ValueError(f"no channel named {channel} in {settings.path}")
    clock = clock or SystemClock()
    health = ChannelHealth(config.name, config.kind, clock)
    # Every call is counted in the channel's health (what /delivery shows).
    if request is None:
        # aiohttp's client instead of PTB's httpx default: the HTTP client was the bot's cost.
        from bot.request import AiohttpRequest

        request = AiohttpRequest()
        get_updates_request = get_updates_request or AiohttpRequest(connections=2)
    else:
        get_updates_request = get_updates_request or request
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url or config.base_url)
        .base_file_url(config.base_file_url)
        # Handlers hold no state between updates (it is in the database), so updates may overlap.
        .concurrent_updates(64)
        .request(TrackedRequest(request, health))
        .get_updates_request(TrackedRequest(get_updates_request, health))
    )
    app: CouncilApp = builder.build()
    # Library DEBUG lines would hold button data next to chat ids (a ballot choice): cut them.
    logs.hide_payloads()
    shared = {} if extras is None else extras
    shared.setdefault("channel_health", {})[config.name] = health
    app.bot_data["channel_health"] = health
    app.bot_data["services"] = Services(settings, db, clock, extras=shared, channel=config.name)
    handlers.register(app)
    timer_kinds.install(handlers.TIMERS)
    app.add_error_handler(on_error)
    # Operations watch each channel under its own name (bot/ops: health, metrics).
    ops.attach(app, config.name)
    return app


def build_channels(
    settings: Settings,
    db: Database,
    *,
    tokens: dict[str, str],
    clock: Clock | None = None,
    requests: dict[str, tuple[BaseRequest, BaseRequest]] | None = None,
    polling: bool = True,
) -> Channels:
    """One Application per configured channel, sharing one database, clock and extras."""
    clock = clock or SystemClock()
    extras: dict[str, Any] = {}
    running: list[Running] = []
    for config in settings.all_channels():
        request, updates = (requests or {}).get(config.name, (None, None))
        app = build_application(
            settings,
            db,
            token=tokens[config.name],
            clock=clock,
            request=request,
            get_updates_request=updates,
            channel=config.name,
            extras=extras,
        )
        health = app.bot_data["channel_health"]
        assert isinstance(health, ChannelHealth)
        running.append(Running(config, app, health))
    return Channels(running, polling=polling)


def services(app: CouncilApp) -> Services:
    found = app.bot_data["services"]
    assert isinstance(found, Services)
    return found


async def on_start(app: CouncilApp) -> None:
    """After app.initialize(): learn the bot's name and set the public command list."""
    svc = services(app)
    svc.bot_username = app.bot.username or ""
    # Every channel's bot name, for invite links made on another channel (handlers/channels.py).
    svc.extras.setdefault("bot_usernames", {})[svc.channel] = svc.bot_username
    # Strangers see only /start and /help: no hint of what members can do.
    for lang in i18n.LANGUAGES:
        commands = [
            BotCommand("start", i18n.t(lang, "commands.start")),
            BotCommand("help", i18n.t(lang, "commands.help")),
        ]
        await app.bot.set_my_commands(
            commands,
            scope=BotCommandScopeDefault(),
            language_code=None if lang == "en" else lang,
        )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # The log filter strips tokens and codes; the update itself is never logged (it holds text).
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    svc = context.application.bot_data.get("services")
    lang = svc.settings.establishment.default_language if isinstance(svc, Services) else "en"
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, i18n.t(lang, "common.error"))
    except Exception:
        log.warning("could not tell the user about the error")


async def start_background(app: CouncilApp) -> None:
    """Start the outbox sender and rebuild the timers from the database (see bot/delivery.py
    and bot/scheduler.py). Timers due while the bot was down fire here, late, once."""
    timers = scheduler.scheduler_of(app)
    timers.listen()
    await ops.start(app)
    await timers.rebuild()
    # Personal data past [retention] days goes in a nightly sweep at 03:30 (docs/PRIVACY.md).
    await retention.ensure_scheduled(services(app).db, services(app).clock, services(app).settings)
    # Polls opened by a version that kept counts in clear are sealed now (docs/BALLOT_SECRECY.md).
    async with services(app).db.transaction() as tx:
        await poll_store.seal_open_counts(tx)
    await close_overdue(app)
    if app.job_queue is not None:
        await app.job_queue.start()
    delivery.start(app)


async def close_overdue(app: CouncilApp) -> None:
    """A close timer missed beyond the grace period is recorded as missed, but a vote or a
    consultation must not stay open because the bot was down: close them now, late."""
    svc = services(app)
    closed = await polls.close_overdue(svc.db, svc.clock, svc.settings)
    async with svc.db.transaction() as tx:
        closed += await consultations.close_overdue(tx, svc.clock)
    # Elections whose voting should have opened or closed while down (issue 16).
    closed += await elections.catch_up(svc.db, svc.clock, svc.settings)
    if closed:
        log.info(
            "closed %d poll(s) or consultation(s) whose closing time passed while down", closed
        )


async def stop_background(app: CouncilApp) -> None:
    """Stop the outbox sender cleanly; unsent notices stay in the outbox for the next start.
    The job queue stops too: the timer rows stay, and the next start rebuilds it from them."""
    await delivery.stop(app)
    if app.job_queue is not None:
        await app.job_queue.stop()
    await ops.stop(app)
