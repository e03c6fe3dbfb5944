"""Several channels, one process: one python-telegram-bot Application per configured channel,
all sharing the one database, clock, council services, timers and outbox (docs/CHANNELS.md).

Each channel's Application has its own Services (naming the channel), its own outbox sender
(paced by that channel's limits) and its own health (bot/channels.py). The first channel's job
queue runs the timers for all. A channel whose server is down is retried in the background: the
others keep working, and its notices wait in the outbox until it answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.channels import ChannelHealth, CouncilApp
from bot.config import Channel

log = logging.getLogger(__name__)

MAX_RETRY_S = 60.0


@dataclass
class Running:
    """One channel in this process: its config, Application and health."""

    channel: Channel
    app: CouncilApp
    health: ChannelHealth
    connect: asyncio.Task[None] | None = None
    started: bool = False  # app.start() and the updater ran
    tried: asyncio.Event = field(default_factory=asyncio.Event)  # its first try is over
    fatal: BaseException | None = None  # what stopped it for good at start (a taken port)


@dataclass
class Channels:
    """Every channel of the process, started and stopped together. `primary` (the first
    channel) runs the timers; every channel runs its own outbox sender."""

    running: list[Running] = field(default_factory=list)
    polling: bool = True
    # Channels taking updates by webhook instead of long polling: name -> what starts it (the
    # Application is started first). A webhook that cannot listen stops start() with its error.
    webhooks: dict[str, Callable[[CouncilApp], Awaitable[None]]] = field(default_factory=dict)

    @property
    def primary(self) -> Running:
        return self.running[0]

    def by_name(self, name: str) -> Running | None:
        return next((r for r in self.running if r.channel.name == name), None)

    async def start(self) -> None:
        """Timers and senders start at once, whatever the network; each channel then connects
        in the background and keeps trying while its server is down."""
        from bot import delivery
        from bot.app import start_background

        await start_background(self.primary.app)
        for run in self.running[1:]:
            delivery.start(run.app)
        for run in self.running:
            run.connect = asyncio.create_task(
                self._connect(run), name=f"channel-{run.channel.name}"
            )
        # Each channel has had its first try when this returns (a down one keeps trying).
        await asyncio.gather(*(r.tried.wait() for r in self.running))
        for run in self.running:
            if run.fatal is not None:
                raise run.fatal

    async def _connect(self, run: Running) -> None:
        from bot.app import on_start

        wait = 1.0
        while True:
            try:
                await run.app.initialize()
                try:
                    await on_start(run.app)
                except NetworkError:
                    raise
                except TelegramError as exc:
                    # A Bot API server without command menus (an in-cell one may lack them) is
                    # still a working channel.
                    log.warning(
                        "channel %s: the command list was not set (%s)",
                        run.channel.name,
                        type(exc).__name__,
                    )
                if not run.app.running:
                    await run.app.start()
                hook = self.webhooks.get(run.channel.name)
                if hook is not None:
                    try:
                        await hook(run.app)
                    except OSError as exc:
                        # A taken port is the operator's to fix, not a network blip to retry.
                        run.fatal = exc
                        run.tried.set()
                        return
                elif self.polling:
                    assert run.app.updater is not None
                    await run.app.updater.start_polling(error_callback=_polling_error(run))
                run.started = True
                run.health.connected = True
                run.tried.set()
                log.info("channel %s (%s) is connected", run.channel.name, run.channel.kind)
                return
            except InvalidToken:
                run.health.error = "the token was refused"
                run.health.refused = True
                log.error(
                    "channel %s: the token in %s was refused; this channel stays off",
                    run.channel.name,
                    run.channel.token_env,
                )
                run.tried.set()
                return
            except (TelegramError, OSError) as exc:
                run.health.error = run.health.error or type(exc).__name__
                log.warning(
                    "channel %s cannot be reached (%s); trying again in %.0f s",
                    run.channel.name,
                    type(exc).__name__,
                    wait,
                )
                run.tried.set()
                await asyncio.sleep(wait)
                wait = min(wait * 2, MAX_RETRY_S)

    async def stop(self) -> None:
        """Stop taking updates everywhere, then stop the senders and the timers; unsent
        notices stay in the outbox for the next start."""
        from bot import delivery
        from bot.app import stop_background

        for run in self.running:
            if run.connect is not None and not run.connect.done():
                run.connect.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await run.connect
            if run.started and run.app.updater is not None and run.app.updater.running:
                await run.app.updater.stop()
        for run in self.running[1:]:
            await delivery.stop(run.app)
        await stop_background(self.primary.app)
        for run in self.running:
            if run.app.running:
                await run.app.stop()
            run.health.connected = False
            await run.app.shutdown()
            # A channel that never connected has open transports the Application never owned.
            await run.app.bot.shutdown()


def _polling_error(run: Running) -> Any:
    def on_error(exc: TelegramError) -> None:
        # The updater retries on its own; this only keeps the log short and names the channel.
        log.warning("channel %s: polling failed (%s)", run.channel.name, type(exc).__name__)

    return on_error
