"""/metrics in Prometheus' format (prometheus-client): figures for the IT team's monitoring.

Counts only: notices by status and park reason per channel, timers by kind and status, updates
and handler errors by kind, the oldest queued notice's age, the database's size. No label ever
holds a person, a chat, a text or a choice (docs/DEPLOY.md lists every series).

The outbox and timer figures are read from the database at each scrape, so they are right after
a restart and need no hook in the sender; the update and error counts are kept in this process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.ops.channels import Channel, CouncilApp
from bot.services import Services
from storage import ops as store

_KEY = "ops.counts"
# Runs before every handler group the council registers (they use 0 and up).
_FIRST_GROUP = -1000
BACKUP_PATTERN = "council-*.sqlite3"


class UpdateCounts:
    """Updates handled and handler errors, by the kind of update (message, button, ...)."""

    def __init__(self) -> None:
        self.updates: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "none"
    for kind in ("message", "edited_message", "callback_query", "my_chat_member", "inline_query"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def install(app: CouncilApp) -> UpdateCounts:
    """Count every update and every handler error of this Application."""
    found = app.bot_data.get(_KEY)
    if isinstance(found, UpdateCounts):
        return found
    counts = UpdateCounts()
    app.bot_data[_KEY] = counts

    async def count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        counts.updates[update_kind(update)] += 1

    async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The error's class names the fault; its message could quote what someone typed.
        error = type(context.error).__name__ if context.error is not None else "unknown"
        counts.errors[(update_kind(update), error)] += 1

    app.add_handler(TypeHandler(Update, count), group=_FIRST_GROUP)
    app.add_error_handler(count_error)
    return counts


def counts_of(app: CouncilApp) -> UpdateCounts:
    found = app.bot_data.get(_KEY)
    return found if isinstance(found, UpdateCounts) else UpdateCounts()


class _Families(Collector):
    """Hands prometheus-client the families gathered (asynchronously) just before."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


async def gather(services: Services, channels: Sequence[Channel]) -> list[Metric]:
    db, clock, settings = services.db, services.clock, services.settings
    now = clock.now()
    async with db.snapshot() as tx:
        default = channels[0].name if channels else "main"
        outbox = await store.outbox_figures(tx, now, default)
        timers = await store.timer_figures(tx, now)

    notices = GaugeMetricFamily(
        "council_notices",
        "Notices in the outbox by status (kept for the retention period).",
        labels=["channel", "status"],
    )
    parked = GaugeMetricFamily(
        "council_notices_parked",
        "Notices parked as dead letters, by reason.",
        labels=["channel", "reason"],
    )
    oldest = GaugeMetricFamily(
        "council_outbox_oldest_queued_age_seconds",
        "Age of the oldest notice still to send (quiet hours hold notices overnight).",
        labels=["channel"],
    )
    waiting = GaugeMetricFamily(
        "council_outbox_oldest_due_wait_seconds",
        "How long the oldest notice due now has waited for the sender.",
        labels=["channel"],
    )
    for figures in outbox:
        for status in ("queued", "sending", "sent", "parked", "dropped", "withdrawn"):
            notices.add_metric([figures.channel, status], figures.by_status.get(status, 0))
        for reason, n in sorted(figures.parked_by_reason.items()):
            parked.add_metric([figures.channel, reason], n)
        for family, at in ((oldest, figures.oldest_queued_at), (waiting, figures.oldest_due_at)):
            age = 0.0 if at is None else max((now - at).total_seconds(), 0.0)
            family.add_metric([figures.channel], age)

    timer_rows = GaugeMetricFamily(
        "council_timers", "Timers by kind and status.", labels=["kind", "status"]
    )
    for (kind, status), n in sorted(timers.by_kind_status.items()):
        timer_rows.add_metric([kind, status], n)
    due = GaugeMetricFamily(
        "council_timers_due",
        "Timers past due and not yet fired: none while the bot runs well.",
        labels=["kind"],
    )
    for kind, n in sorted(timers.due_by_kind.items()):
        due.add_metric([kind], n)

    updates = CounterMetricFamily(
        "council_updates", "Updates handled since start, by kind.", labels=["channel", "kind"]
    )
    errors = CounterMetricFamily(
        "council_handler_errors",
        "Errors raised while handling an update, by update kind and error class.",
        labels=["channel", "kind", "error"],
    )
    for channel in channels:
        counts = counts_of(channel.app)
        for kind, n in sorted(counts.updates.items()):
            updates.add_metric([channel.name, kind], n)
        for (kind, error), n in sorted(counts.errors.items()):
            errors.add_metric([channel.name, kind, error], n)

    size = GaugeMetricFamily(
        "council_database_bytes", "Size of the database on disk.", labels=["file"]
    )
    for part, n in store.database_bytes(db.path).items():
        size.add_metric([part], n)

    backups = GaugeMetricFamily(
        "council_backup_last_success_timestamp_seconds",
        "When the newest backup in [backups] directory was written (0: none yet).",
    )
    backups.add_metric([], newest_backup_time(settings.backups.folder(settings.database_path)))
    return [notices, parked, oldest, waiting, timer_rows, due, updates, errors, size, backups]


def newest_backup_time(folder: Path) -> float:
    times = [p.stat().st_mtime for p in folder.glob(BACKUP_PATTERN)] if folder.is_dir() else []
    return max(times, default=0.0)


async def render(services: Services, channels: Sequence[Channel]) -> bytes:
    collector = _Families()
    collector.families = await gather(services, channels)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    # The process's memory, CPU and open files (process_*), from /proc where there is one.
    ProcessCollector(registry=registry)
    data: bytes = generate_latest(registry)
    return data
