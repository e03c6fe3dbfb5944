"""python -m bot: run, demo, check-config, migrate, backup, restore, health, invite, export,
board, report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from storage.db import RESTORE_HINT, Database, StorageError
from storage.sealing import Sealer, SealError

if TYPE_CHECKING:
    from telegram.request import BaseRequest

    from bot.config import Channel
    from bot.local import LocalChannel

log = logging.getLogger("bot")


def _settings(path: str) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"The configuration in {exc.path} cannot be used:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem.key}: {problem.value}\n      fix: {problem.fix}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    if _webhook_problems(settings, args.config):
        return 2
    channels = settings.all_channels()
    admins = len(settings.admin_identities)
    print(
        f"{args.config} is fine: {settings.establishment.name}, {len(settings.topics)} topics,"
        f" {len(settings.wings)} wings, {admins} {'admin' if admins == 1 else 'admins'},"
        f" {len(channels)} {'channel' if len(channels) == 1 else 'channels'}."
    )
    for channel in channels:
        print(
            f"  channel {channel.name} ({channel.kind}) at {channel.base_url}:"
            f" {', '.join(channel.roles)}; up to {channel.rate_per_second:g} a second"
        )
        if channel.token() is None:
            print(f"Note: the environment variable {channel.token_env} is not set yet.")
    _print_ops(settings)
    problems = [] if args.config_only else _data_problems(settings)
    for problem in problems:
        print(f"Problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _print_ops(settings: Settings) -> None:
    """What the IT team set up (docs/DEPLOY.md), so a wrong path shows before the first night."""
    telegram, ops, kept = settings.telegram, settings.monitoring, settings.backups
    if telegram.webhook_url:
        print(
            f"Webhook: {telegram.webhook_url} -> http://{telegram.webhook_listen}:"
            f"{telegram.webhook_port}/{telegram.webhook_path}"
        )
    if ops.port:
        print(f"Health and metrics: http://{ops.listen}:{ops.port}/healthz and /metrics")
    if kept.enabled:
        print(
            f"Backups: nightly at {kept.at:%H:%M} into {kept.folder(settings.database_path)},"
            f" keeping {kept.keep}; the key file {settings.key_path} stays apart."
        )


def _webhook_problems(settings: Settings, path: str) -> bool:
    """A webhook address without a secret token is refused (bot/ops/webhook.py)."""
    from bot.ops import webhook

    found = webhook.problems(settings)
    if found:
        print(f"The configuration in {path} cannot be used:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem.key}: {problem.value}\n      fix: {problem.fix}", file=sys.stderr)
    return bool(found)


NO_CONTACT_FIX = (
    "no safer-custody contact, so alerts about risk of harm would reach nobody.\n"
    "  fix: an admin sends /safercustody P-0012 (a staff member's reference from /people),\n"
    "       or make the first one from the server:\n"
    '       python -m bot invite --role staff --safer-custody --label "Safer custody lead"'
)


def _data_problems(settings: Settings) -> list[str]:
    """What check-config can see of the data without changing it: files others can read, and
    a database with no safer-custody contact. Nothing is created if there is no database yet."""
    from storage import files

    problems: list[str] = []
    db = settings.database_path
    exposed = files.exposed([db, Path(f"{db}-wal"), Path(f"{db}-shm"), settings.key_path])
    if exposed:
        # Not opened: reading it would make a -shm as readable as the database.
        return [exposed]
    if not db.exists():
        print(f"Note: there is no database at {db} yet; `migrate` or `run` makes it.")
        return problems
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            contacts, pending = _contact_counts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        problems.append(f"the database {db} cannot be read ({exc}). {RESTORE_HINT}")
        return problems
    if contacts == 0 and pending == 0:
        problems.append(NO_CONTACT_FIX)
    elif contacts == 0:
        print(f"Note: no safer-custody contact has joined yet ({pending} invite(s) waiting).")
    return problems


def _contact_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "safer_custody_contact" not in tables:
        return 0, 0
    contacts = conn.execute(
        "SELECT COUNT(*) FROM safer_custody_contact c JOIN person p ON p.id = c.person_id"
        " WHERE p.status = 'active'"
    ).fetchone()[0]
    pending = conn.execute(
        "SELECT COUNT(*) FROM invite WHERE safer_custody = 1 AND used_at IS NULL"
        " AND expires_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    ).fetchone()[0]
    return int(contacts), int(pending)


async def _open(settings: Settings, *, check_sealed: bool = False) -> Database:
    try:
        sealer = Sealer.load_or_create(settings.key_path)
        db = await Database.open(settings.database_path, sealer=sealer)
    except (StorageError, SealError) as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(3) from None
    if check_sealed:
        from storage import polls as poll_store

        async with db.transaction() as tx:
            bad = await poll_store.unopenable(tx)
        if bad:
            await db.close()
            print(
                f"The open poll(s) {', '.join(map(str, bad))} were sealed with another key than"
                f" {settings.key_path}. Put back the key file that was in use when they opened"
                " (it is kept apart from backups); without it they cannot be counted.",
                file=sys.stderr,
            )
            raise SystemExit(3)
    return db


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args.config)

    async def go() -> None:
        db = await _open(settings)
        print(f"{settings.database_path}: schema version {await db.schema_version()}")
        await db.close()

    asyncio.run(go())
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """An online backup while the bot runs: to PATH, or into [backups] directory (docs/DEPLOY.md)."""
    from pathlib import Path

    from bot.council.clock import SystemClock
    from bot.ops import backups

    settings = _settings(args.config)

    async def go() -> Path:
        db = await _open(settings)
        try:
            target = Path(args.path) if args.path else None
            return await backups.backup_now(db, SystemClock(), settings, target)
        finally:
            await db.close()

    made = asyncio.run(go())
    print(f"Backup written to {made}")
    print(backups.key_file_note(settings))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Put a backup in place of the database, with the bot stopped (docs/DEPLOY.md)."""
    from pathlib import Path

    from bot.council.clock import SystemClock
    from bot.ops import backups

    settings = _settings(args.config)
    try:
        done = backups.restore(settings, Path(args.backup), SystemClock())
    except backups.RestoreRefused as exc:
        print(f"Nothing was restored. {exc}", file=sys.stderr)
        return 1
    print(f"Restored {args.backup} to {done.database} (schema {done.schema_version}).")
    for moved in done.kept_aside:
        print(f"  the file it replaced is kept as {moved}")
    print(
        f"The bot uses the key file {settings.key_path}: it must be the one in use when the"
        " backup was made. Start the bot again; it upgrades the database if it needs to."
    )
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """The health check for scripts and the container: exit 0 healthy, 1 not (docs/DEPLOY.md)."""
    from bot.ops import health_cli

    settings = _settings(args.config)
    return asyncio.run(health_cli.run(settings))


def cmd_invite(args: argparse.Namespace) -> int:
    """Make an invite code from the server itself (for the first staff, or when locked out)."""
    from bot.council import access
    from bot.council.clock import SystemClock
    from storage.people import PersonRow

    settings = _settings(args.config)
    if args.channel is not None:
        found = settings.channel(args.channel)
        if found is None or args.role not in found.roles:
            names = ", ".join(c.name for c in settings.all_channels() if args.role in c.roles)
            print(
                f"The channel {args.channel!r} does not admit {args.role}s."
                f" Channels that do: {names or 'none'}.",
                file=sys.stderr,
            )
            raise SystemExit(2)

    async def go() -> None:
        db = await _open(settings)
        system = PersonRow(0, None, "admin", "active", "en", True, None, "server console", False)
        async with db.transaction() as tx:
            made = await access.create_invite(
                tx,
                SystemClock(),
                settings,
                actor=system,
                role=args.role,
                wing=args.wing,
                label=args.label,
                safer_custody=args.safer_custody,
                channel=args.channel,
            )
        await db.close()
        # Printed to the console for the operator; never logged.
        where = f" on {made.channel}" if made.channel else ""
        print(
            f"Invite code for {made.role}{where}: {made.code}"
            f"  (runs out {made.expires_at:%Y-%m-%d %H:%M} UTC)"
        )

    asyncio.run(go())
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    """A one-time code that gives an existing person one more way in (docs/CHANNELS.md)."""
    from bot.council import access
    from bot.council.clock import SystemClock
    from storage.people import PersonRow

    settings = _settings(args.config)
    person_id = access.parse_person_ref(args.person)
    if person_id is None:
        print(f"Write the person's reference like P-0012, not {args.person!r}.", file=sys.stderr)
        return 2
    if args.channel is not None and settings.channel(args.channel) is None:
        names = ", ".join(c.name for c in settings.all_channels())
        print(f"There is no channel {args.channel!r}. The channels are: {names}.", file=sys.stderr)
        return 2

    async def go() -> access.NewInvite | None:
        db = await _open(settings)
        system = PersonRow(0, None, "admin", "active", "en", True, None, "server console", False)
        try:
            async with db.transaction() as tx:
                return await access.create_link(
                    tx,
                    SystemClock(),
                    settings,
                    actor=system,
                    person_id=person_id,
                    channel=args.channel,
                )
        except ValueError:
            return None
        finally:
            await db.close()

    made = asyncio.run(go())
    if made is None:
        print(f"Nobody with access has the reference {args.person}.", file=sys.stderr)
        return 1
    where = made.channel or "any channel"
    # Printed to the console for the operator; never logged.
    print(
        f"Code for {access.person_ref(person_id)} on {where}: {made.code}"
        f"  (runs out {made.expires_at:%Y-%m-%d %H:%M} UTC)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a closed consultation's answers as CSV (no names unless given; see CONSULTATIONS.md)."""
    from bot.council import consultations
    from bot.documents import consultations as consultation_documents

    settings = _settings(args.config)

    async def go() -> bytes | str:
        db = await _open(settings)
        try:
            async with db.transaction() as tx:
                found = await consultations.responses(tx, args.id)
        finally:
            await db.close()
        if isinstance(found, consultations.Refusal):
            reason = {"not_found": "no such consultation", "not_closed": "it is still open"}
            return reason.get(found, found)
        return consultation_documents.export_csv(found, settings.establishment.default_language)

    data = asyncio.run(go())
    if isinstance(data, str):
        print(f"Consultation {args.id} cannot be exported: {data}.", file=sys.stderr)
        return 1
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"Consultation {args.id} written to {args.out}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Ids, state and titles, so that `export consultation N` can be given a real N."""
    from storage import listing

    settings = _settings(args.config)
    zone = settings.establishment.timezone

    async def go() -> list[listing.Listed]:
        db = await _open(settings)
        try:
            async with db.transaction() as tx:
                return await listing.listed(tx, args.what)
        finally:
            await db.close()

    rows = asyncio.run(go())
    if not rows:
        print(f"There are no {args.what} yet.")
    for row in rows:
        at = row.when.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        print(f"{row.id:>4}  {row.status:<9}  {at}  {row.title}")
    return 0


def cmd_board(args: argparse.Namespace) -> int:
    """The printable outcomes board as an A4 PDF, for one wing or all (docs/OUTCOMES.md)."""
    from bot.council import board
    from bot.council.clock import SystemClock
    from bot.documents import board as board_document

    settings = _settings(args.config)
    wing = args.wing.strip().lower() if args.wing else None
    if wing is not None and settings.wing(wing) is None:
        known = ", ".join(w.id for w in settings.wings)
        print(f"There is no wing {args.wing!r}. The wings are: {known}.", file=sys.stderr)
        return 2

    async def go() -> board.Board:
        db = await _open(settings)
        try:
            async with db.transaction() as tx:
                return await board.gather(tx, SystemClock(), settings, actor=None, wing=wing)
        finally:
            await db.close()

    gathered = asyncio.run(go())
    with open(args.out, "wb") as out:
        out.write(board_document.render(gathered))
    print(f"Board with {len(gathered.entries)} outcome(s) written to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """A month's evidence report: PNG charts and CSV files in a folder (docs/REPORTS.md)."""
    from pathlib import Path

    from bot.council import reports
    from bot.council.clock import SystemClock
    from bot.documents import reports as documents

    settings = _settings(args.config)
    clock = SystemClock()
    month = reports.parse_month(args.month) if args.month else None
    if month is None:
        month = reports.last_full_month(clock, settings)
        if args.month:
            print(f"Write the month like 2026-11, not {args.month!r}.", file=sys.stderr)
            return 2

    async def go() -> reports.Report:
        db = await _open(settings)
        try:
            async with db.transaction() as tx:
                return await reports.build(tx, clock, settings, viewer=None, month=month)
        finally:
            await db.close()

    report = asyncio.run(go())
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    lang = args.language or settings.establishment.default_language
    files = documents.charts(report, settings, lang) + documents.csv_files(report, settings, lang)
    for name, data in files:
        (folder / name).write_bytes(data)
    print(f"Report for {month.label}: {len(files)} file(s) written to {folder}")
    return 0


@contextlib.contextmanager
def _listening(key: str, host: str, port: int) -> Iterator[None]:
    """A port that is taken stops start-up with the key to change, not a traceback."""
    try:
        yield
    except OSError as exc:
        print(
            f"The bot cannot listen on {host}:{port} ({exc.strerror or exc}).\n"
            f"  fix: stop what uses that port, or set {key} in the configuration.",
            file=sys.stderr,
        )
        raise SystemExit(4) from None


async def serve(
    settings: Settings,
    token: str | dict[str, str],
    *,
    requests: dict[str, tuple[BaseRequest, BaseRequest]] | None = None,
) -> None:
    """Every channel in one process, started and stopped together (docs/CHANNELS.md); token:
    the first channel's token, or each channel's by name. requests: a channel's own transport
    (the local channel's in-process one, bot/local/transport.py); else the default client.
    An `incell` channel with [local] signin set is served by this process (docs/INCELL.md)."""
    from bot.app import build_channels
    from bot.ops import runlock
    from bot.ops.channels import channel_of
    from bot.ops.server import OpsServer

    channels = settings.all_channels()
    tokens = {channels[0].name: token} if isinstance(token, str) else token
    try:
        lock = runlock.RunLock(settings.database_path).acquire()
    except runlock.AlreadyRunning as exc:
        print(f"Not started: {exc}. Stop the other one first.", file=sys.stderr)
        raise SystemExit(5) from None
    db = await _open(settings, check_sealed=True)
    requests = dict(requests or {})
    incell = await _incell_in_process(settings, db, channels, tokens, requests)
    council = build_channels(settings, db, tokens=tokens, requests=requests)
    if settings.telegram.webhook_url:
        # The webhook in [telegram] serves the first Telegram channel; the others poll.
        from bot.ops import webhook

        secret = webhook.secret(settings)
        assert secret is not None  # cmd_run refused to start without it
        first = next((c for c in channels if c.kind == "telegram"), None)
        if first is not None:

            async def start_webhook(app: Any) -> None:
                await webhook.start(app, settings, secret)

            council.webhooks[first.name] = start_webhook
    ops_server: OpsServer | None = None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        telegram = settings.telegram
        with _listening("telegram.webhook_port", telegram.webhook_listen, telegram.webhook_port):
            await council.start()
        if settings.monitoring.port:
            primary = council.primary.app
            watched = [channel_of(run.app) for run in council.running]
            ops_server = OpsServer(primary.bot_data["services"], watched)
            monitoring = settings.monitoring
            with _listening("monitoring.port", monitoring.listen, monitoring.port):
                await ops_server.start(monitoring.listen, monitoring.port)
        log.info(
            "The council bot is running for %s on %d %s. Press Ctrl+C to stop.",
            settings.establishment.name,
            len(channels),
            "channel" if len(channels) == 1 else "channels",
        )
        await stop.wait()
    finally:
        # Also when start-up stops half-way (a port taken): everything started is stopped.
        if ops_server is not None:
            await ops_server.stop()
        await council.stop()
        if incell is not None:
            await incell.close()
        await db.close()
        lock.release()


def _through(settings: Settings, channel: LocalChannel) -> dict[str, tuple[Any, Any]]:
    """The first channel's transport: the local channel's own, in this process."""
    name = settings.all_channels()[0].name
    return {name: (channel.request(), channel.request())}


async def _incell_in_process(
    settings: Settings,
    db: Database,
    channels: tuple[Channel, ...],
    tokens: dict[str, str],
    requests: dict[str, tuple[Any, Any]],
) -> LocalChannel | None:
    """An `incell` channel with [local] signin set is the in-cell page and its Bot API, served by
    this process (docs/INCELL.md): its Application talks to it through the in-process transport,
    with the token the channel makes; its base_url and token_env are then not used."""
    if settings.incell.signin == "none":
        return None
    found = next((c for c in channels if c.kind == "incell"), None)
    if found is None or found.name in requests:
        return None
    from bot.council.clock import SystemClock
    from bot.local import LocalChannel, store_path
    from bot.local.council_link import CouncilLink

    host, port = settings.local_host, settings.local_port
    with _listening("local.port", host, port):
        channel = await LocalChannel.open(
            store_path(settings),
            host=host,
            port=port,
            incell=settings.incell,
            council=CouncilLink(db, settings, SystemClock()),
        )
    logs.install([channel.token])
    tokens[found.name] = channel.token
    requests[found.name] = (channel.request(), channel.request())
    log.info(
        "The in-cell channel %s is served here on %s:%d for %s",
        found.name,
        host,
        port,
        settings.incell.public_url,
    )
    return channel


async def serve_local(settings: Settings, *, seed: bool) -> None:
    """The bot on the local channel: a Bot API server and chat page on this machine, the bot
    pointed at it through base_url like any self-hosted Bot API server (docs/LOCAL_CHANNEL.md).
    With [local] signin set, the in-cell channel: everyone signed in, never seeded
    (docs/INCELL.md)."""
    from bot.council.clock import SystemClock
    from bot.local import LocalChannel, store_path
    from bot.local.council_link import CouncilLink
    from bot.local.seed import is_empty, seed_demo

    host, port = settings.local_host, settings.local_port
    incell = settings.incell.signin != "none"
    link_db = await _open(settings) if incell else None
    try:
        channel = await LocalChannel.open(
            store_path(settings),
            host=host,
            port=port,
            incell=settings.incell,
            council=CouncilLink(link_db, settings, SystemClock()) if link_db else None,
        )
    except OSError as exc:
        if link_db is not None:
            await link_db.close()
        print(
            f"The local channel cannot listen on {host}:{port} ({exc.strerror}).\n"
            f"  fix: stop what uses that port, or set [local] port in {settings.path}.",
            file=sys.stderr,
        )
        raise SystemExit(4) from None
    logs.install([channel.token])
    try:
        if incell:
            print(
                f"The in-cell channel is serving {host}:{port} for {settings.incell.public_url}"
                f" (sign-in: {settings.incell.signin}"
                f"{', kiosk' if settings.incell.kiosk else ''}). See docs/INCELL.md."
            )
            await serve(
                channel.bot_settings(settings),
                channel.token,
                requests=_through(settings, channel),
            )
            return
        db = await _open(settings)
        try:
            if await is_empty(db):
                seeded = await seed_demo(settings, db, channel.store, SystemClock())
                print(
                    f"Made a demo council: {len(seeded.people)} people, items"
                    f" {', '.join(seeded.items)}, a meeting, a poll and a consultation."
                )
            elif seed:
                print("The database already has people, so no demo was added.")
        finally:
            await db.close()
        print(
            f"\nOpen {channel.address} in your browser.\n"
            f"  Choose who you are at the top of the page; each person has their own chat.\n"
            f"  To use real Telegram instead, stop this (Ctrl+C), set"
            f" {settings.telegram.token_env}=<token from @BotFather> and run it again.\n"
            f"  The real bot has its own database: the demo people here ({settings.database_path})"
            " never reach it.\n"
        )
        await serve(
            channel.bot_settings(settings), channel.token, requests=_through(settings, channel)
        )
    finally:
        await channel.close()
        if link_db is not None:
            await link_db.close()


def demo_settings(settings: Settings) -> Settings:
    """The demo's own database and key, beside the real ones but never them: the demo people
    are not real, and a demo must never run the unauthenticated local channel on real data.
    A demo is tried at any hour, so notices are not held back for quiet hours."""
    db = settings.database_path
    delivery = replace(settings.delivery, quiet_start=settings.delivery.quiet_end)
    return replace(
        settings,
        database_path=db.parent / "demo" / db.name,
        key_path=settings.key_path.parent / "demo.key",
        delivery=delivery,
        # The demo is one local channel standing in for Telegram, whatever [[channels]] says.
        channels=(),
        # Anyone is anyone in the demo: never the in-cell channel's sign-in, never a kiosk.
        incell=replace(settings.incell, signin="none", kiosk=False),
    )


def _no_token_refusal(settings: Settings) -> str:
    return (
        f"No bot token is set ({settings.telegram.token_env}), and no other channel is"
        " configured, so there is nothing safe to run on the real database.\n"
        f"  To run for real: export {settings.telegram.token_env}=<the token from @BotFather>\n"
        "  To try the bot in a browser with a demo council (its own database): python -m bot demo"
    )


async def _safety_ready(settings: Settings) -> bool:
    """Real use needs a safer-custody contact, or an invite for one on its way."""
    from bot.council import safeguarding
    from bot.council.clock import SystemClock

    db = await _open(settings)
    try:
        async with db.transaction() as tx:
            contacts, pending = await safeguarding.readiness(tx, SystemClock())
    finally:
        await db.close()
    if contacts == 0 and pending == 0:
        print(f"The bot will not start: {NO_CONTACT_FIX}", file=sys.stderr)
        return False
    if contacts == 0:
        log.warning("no safer-custody contact has joined yet: %d invite(s) waiting", pending)
    else:
        log.info("safer-custody contacts: %d", contacts)
    return True


def cmd_run(args: argparse.Namespace) -> int:
    from bot.ops import webhook

    settings = _settings(args.config)
    channels = settings.all_channels()
    tokens = {c.name: c.token() for c in channels}
    secret = webhook.secret(settings)
    logs.install([s for s in (*tokens.values(), secret) if s])
    token = tokens[channels[0].name]
    if not settings.channels and token is None and settings.incell.signin != "none":
        # The in-cell channel alone on the real database (docs/INCELL.md): no Telegram needed.
        if not asyncio.run(_safety_ready(settings)):
            return 2
        asyncio.run(serve_local(settings, seed=False))
        return 0
    if not settings.channels and token is None:
        if not args.or_demo:
            print(_no_token_refusal(settings), file=sys.stderr)
            return 2
        # `make run` on a fresh checkout: the demo, on its own database, and what to set.
        print(
            f"No bot token is set, so this is the demo: a council of made-up people on its own"
            f" database ({demo_settings(settings).database_path}), in your browser.\n"
            f"To run for real with Telegram: export {settings.telegram.token_env}=<the token"
            " Telegram's BotFather gave you>, then `make run` again."
        )
        asyncio.run(serve_local(demo_settings(settings), seed=False))
        return 0
    # An incell channel with [local] signin set is served by this process, with its own token.
    served_here = settings.incell.signin != "none"
    missing = [
        c for c in channels if tokens[c.name] is None and not (served_here and c.kind == "incell")
    ]
    if missing:
        for channel in missing:
            print(
                f"The channel {channel.name} has no token: set the environment variable"
                f" {channel.token_env}.",
                file=sys.stderr,
            )
        return 2
    if _webhook_problems(settings, args.config):
        return 2
    if not asyncio.run(_safety_ready(settings)):
        return 2
    asyncio.run(serve(settings, {name: t for name, t in tokens.items() if t}))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The local channel with a demo council on the demo database, whether or not a token is set."""
    settings = _settings(args.config)
    logs.install([])
    asyncio.run(serve_local(demo_settings(settings), seed=args.seed))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The council bot.")
    parser.add_argument("--config", default="config.toml", help="path to config.toml")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot on Telegram (needs the token)")
    run.add_argument(
        "--or-demo",
        action="store_true",
        help="with no token, start the demo on its own database instead of refusing (make run)",
    )
    run.set_defaults(fn=cmd_run)
    demo = sub.add_parser("demo", help="try the bot in a browser with a demo council")
    demo.add_argument(
        "--seed", action="store_true", help="add the demo council (done anyway when empty)"
    )
    demo.set_defaults(fn=cmd_demo)
    check = sub.add_parser("check-config", help="check the configuration file and the data")
    check.add_argument(
        "--config-only",
        action="store_true",
        help="check the file alone, not the database and key it names (make test)",
    )
    check.set_defaults(fn=cmd_check_config)
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(fn=cmd_migrate)
    backup = sub.add_parser("backup", help="copy the database safely while the bot runs")
    backup.add_argument(
        "path", nargs="?", default=None, help="the file to write; default: into [backups] directory"
    )
    backup.set_defaults(fn=cmd_backup)
    restore = sub.add_parser("restore", help="put a backup in place of the database (bot stopped)")
    restore.add_argument("backup", help="the backup file to restore")
    restore.set_defaults(fn=cmd_restore)
    sub.add_parser(
        "health", help="check the running bot's health (exit 0 healthy, 1 not)"
    ).set_defaults(fn=cmd_health)
    invite = sub.add_parser("invite", help="make an invite code from the server console")
    invite.add_argument(
        "--role", required=True, choices=["member", "chair", "family", "staff", "observer", "admin"]
    )
    invite.add_argument("--wing", default=None)
    invite.add_argument("--label", default=None)
    invite.add_argument(
        "--safer-custody",
        action="store_true",
        help="whoever joins with it gets safer-custody alerts (staff or admin)",
    )
    invite.add_argument(
        "--channel", default=None, help="the channel it is used on (default: any that admits it)"
    )
    invite.set_defaults(fn=cmd_invite)
    link = sub.add_parser("link", help="a code giving an existing person one more way in")
    link.add_argument("--person", required=True, help="their reference, like P-0012")
    link.add_argument("--channel", default=None, help="the channel it is used on (default: any)")
    link.set_defaults(fn=cmd_link)
    export = sub.add_parser("export", help="write a closed consultation's answers to a CSV file")
    export.add_argument("what", choices=["consultation"])
    export.add_argument("id", type=int)
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.set_defaults(fn=cmd_export)
    listing = sub.add_parser("list", help="list consultations, polls or meetings with their ids")
    listing.add_argument("what", choices=["consultations", "polls", "meetings"])
    listing.set_defaults(fn=cmd_list)
    board_cmd = sub.add_parser("board", help="print the outcomes board as an A4 PDF")
    board_cmd.add_argument("--wing", default=None, help="a wing id; leave out for all wings")
    board_cmd.add_argument("--out", required=True, help="the PDF file to write")
    board_cmd.set_defaults(fn=cmd_board)
    report = sub.add_parser("report", help="a month's report: charts (PNG) and figures (CSV)")
    report.add_argument("--month", default=None, help="like 2026-11; default the last full month")
    report.add_argument("--out", required=True, help="the folder to write the files into")
    report.add_argument("--language", choices=["en", "cy"], default=None)
    report.set_defaults(fn=cmd_report)
    # Accept --config after the sub-command too: `python -m bot run --config x.toml`.
    for p in sub.choices.values():
        p.add_argument("--config", default=argparse.SUPPRESS, help="path to config.toml")
    args = parser.parse_args(argv)
    result: int = args.fn(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
