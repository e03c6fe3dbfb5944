"""python -m bot: run, demo, check-config, migrate, backup, invite, export, board, report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from storage.db import Database, StorageError
from storage.sealing import Sealer, SealError

if TYPE_CHECKING:
    from telegram.request import BaseRequest

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
    print(
        f"{args.config} is fine: {settings.establishment.name}, {len(settings.topics)} topics,"
        f" {len(settings.wings)} wings, {len(settings.admins)} admin(s)."
    )
    if settings.token() is None:
        print(f"Note: the environment variable {settings.telegram.token_env} is not set yet.")
    return 0


async def _open(settings: Settings) -> Database:
    try:
        sealer = Sealer.load_or_create(settings.key_path)
        return await Database.open(settings.database_path, sealer=sealer)
    except (StorageError, SealError) as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(3) from None


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args.config)

    async def go() -> None:
        db = await _open(settings)
        print(f"{settings.database_path}: schema version {await db.schema_version()}")
        await db.close()

    asyncio.run(go())
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    settings = _settings(args.config)

    async def go() -> None:
        db = await _open(settings)
        await db.backup(args.path)
        await db.close()
        print(f"Backup written to {args.path}")

    asyncio.run(go())
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Make an invite code from the server itself (for the first staff, or when locked out)."""
    from bot.council import access
    from bot.council.clock import SystemClock
    from storage.people import PersonRow

    settings = _settings(args.config)

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
            )
        await db.close()
        # Printed to the console for the operator; never logged.
        print(
            f"Invite code for {made.role}: {made.code}  (runs out {made.expires_at:%Y-%m-%d %H:%M} UTC)"
        )

    asyncio.run(go())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a closed consultation's answers as CSV (no names unless given; see CONSULTATIONS.md)."""
    from bot.council import consultations

    settings = _settings(args.config)

    async def go() -> bytes | str:
        db = await _open(settings)
        try:
            async with db.transaction() as tx:
                return await consultations.export_csv(
                    tx, args.id, settings.establishment.default_language
                )
        except consultations.Refused as exc:
            reason = {"not_found": "no such consultation", "not_closed": "it is still open"}
            return reason.get(exc.reason, exc.reason)
        finally:
            await db.close()

    data = asyncio.run(go())
    if isinstance(data, str):
        print(f"Consultation {args.id} cannot be exported: {data}.", file=sys.stderr)
        return 1
    with open(args.out, "wb") as out:
        out.write(data)
    print(f"Consultation {args.id} written to {args.out}")
    return 0


def cmd_board(args: argparse.Namespace) -> int:
    """The printable outcomes board as an A4 PDF, for one wing or all (docs/OUTCOMES.md)."""
    from bot.council import board
    from bot.council.clock import SystemClock

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
        out.write(board.render(gathered))
    print(f"Board with {len(gathered.entries)} outcome(s) written to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """A month's evidence report: PNG charts and CSV files in a folder (docs/REPORTS.md)."""
    from pathlib import Path

    from bot.council import reports
    from bot.council.clock import SystemClock

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
    files = reports.charts(report, settings, lang) + reports.csv_files(report, settings, lang)
    for name, data in files:
        (folder / name).write_bytes(data)
    print(f"Report for {month.label}: {len(files)} file(s) written to {folder}")
    return 0


def _no_token_message(settings: Settings) -> str:
    return (
        f"No bot token is set, so the bot cannot reach Telegram.\n"
        f"  1. Talk to @BotFather on Telegram and create a bot. It gives you a token.\n"
        f"  2. Set it in the environment:  export {settings.telegram.token_env}=123456:ABC...\n"
        f"  3. Run `make run` again.\n"
        f"The configuration ({settings.path}) is fine and the database is ready at"
        f" {settings.database_path}."
    )


async def serve(settings: Settings, token: str, *, request: BaseRequest | None = None) -> None:
    from bot.app import build_application, on_start, start_background, stop_background

    db = await _open(settings)
    # request: the local channel's in-process transport (bot/local/transport.py); else HTTP.
    app = build_application(settings, db, token=token, request=request)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app:
        await on_start(app)
        await start_background(app)
        await app.start()
        assert app.updater is not None
        if settings.telegram.webhook_url:
            import os

            await app.updater.start_webhook(
                listen=settings.telegram.webhook_listen,
                port=settings.telegram.webhook_port,
                webhook_url=settings.telegram.webhook_url,
                secret_token=os.environ.get(settings.telegram.webhook_secret_env) or None,
            )
        else:
            await app.updater.start_polling()
        log.info(
            "The council bot is running for %s. Press Ctrl+C to stop.", settings.establishment.name
        )
        await stop.wait()
        await app.updater.stop()
        await stop_background(app)
        await app.stop()
    await db.close()


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
            await serve(channel.bot_settings(settings), channel.token, request=channel.request())
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
            f" {settings.telegram.token_env}=<token from @BotFather> and start again\n"
            f"  with a fresh database: the demo people in {settings.database_path} are not real.\n"
        )
        await serve(channel.bot_settings(settings), channel.token, request=channel.request())
    finally:
        await channel.close()
        if link_db is not None:
            await link_db.close()


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    token = settings.token()
    logs.install([token] if token else [])
    if token is None:
        print("No bot token is set: starting the local channel instead of Telegram.")
        asyncio.run(serve_local(settings, seed=False))
        return 0
    asyncio.run(serve(settings, token))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The local channel with a demo council, whether or not a token is set."""
    from dataclasses import replace

    settings = _settings(args.config)
    logs.install([])
    # A demo is tried at any hour: notices are not held back for quiet hours.
    delivery = replace(settings.delivery, quiet_start=settings.delivery.quiet_end)
    settings = replace(settings, delivery=delivery)
    if settings.incell.signin != "none":
        # This config runs a real in-cell channel: the demo (anyone is anyone) gets its own
        # database, key and channel file beside it, never the real ones.
        demo_dir = settings.database_path.parent / "demo"
        print(f"[local] signin is set: the demo uses its own files in {demo_dir}.")
        settings = replace(
            settings,
            database_path=demo_dir / "council.sqlite3",
            key_path=demo_dir.parent / "demo-key" / "council.key",
            incell=replace(settings.incell, signin="none", kiosk=False),
        )
    asyncio.run(serve_local(settings, seed=args.seed))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The council bot.")
    parser.add_argument("--config", default="config.toml", help="path to config.toml")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "run", help="run the bot (on the local channel when no token is set)"
    ).set_defaults(fn=cmd_run)
    demo = sub.add_parser("demo", help="try the bot in a browser with a demo council")
    demo.add_argument(
        "--seed", action="store_true", help="add the demo council (done anyway when empty)"
    )
    demo.set_defaults(fn=cmd_demo)
    sub.add_parser("check-config", help="check the configuration file").set_defaults(
        fn=cmd_check_config
    )
    sub.add_parser("migrate", help="create or upgrade the database").set_defaults(fn=cmd_migrate)
    backup = sub.add_parser("backup", help="copy the database safely while the bot runs")
    backup.add_argument("path")
    backup.set_defaults(fn=cmd_backup)
    invite = sub.add_parser("invite", help="make an invite code from the server console")
    invite.add_argument(
        "--role", required=True, choices=["member", "chair", "family", "staff", "observer", "admin"]
    )
    invite.add_argument("--wing", default=None)
    invite.add_argument("--label", default=None)
    invite.set_defaults(fn=cmd_invite)
    export = sub.add_parser("export", help="write a closed consultation's answers to a CSV file")
    export.add_argument("what", choices=["consultation"])
    export.add_argument("id", type=int)
    export.add_argument("--out", required=True, help="the CSV file to write")
    export.set_defaults(fn=cmd_export)
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
