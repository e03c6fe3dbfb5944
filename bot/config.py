"""config.toml -> frozen, typed settings. Every problem names the key, the bad value and the fix."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("en", "cy")
ROLES = ("member", "chair", "family", "staff", "observer", "admin")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
_DURATION = re.compile(r"^(\d{1,4})([mhd])$")


@dataclass(frozen=True)
class Problem:
    key: str
    value: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.value} -> {self.fix}"


class ConfigError(Exception):
    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path} has {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Labelled:
    """A configurable choice (topic or wing) with its label in each language."""

    id: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]


@dataclass(frozen=True)
class Establishment:
    name: str
    timezone: ZoneInfo
    default_language: str
    # Languages staff write their words in for others (polls, meetings, announcements...): the
    # first is the one every wizard asks for first; readers of another get their own.
    content_languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True)
class Telegram:
    token_env: str
    base_url: str
    base_file_url: str
    webhook_url: str
    webhook_secret_env: str
    webhook_listen: str
    webhook_port: int
    # The path the webhook server answers on; by default the path of webhook_url (docs/DEPLOY.md).
    webhook_path: str = ""


CHANNEL_KINDS = ("telegram", "incell")
# Telegram's own limits; an in-cell channel runs on the prison's server and may go faster.
TELEGRAM_MAX_RATE = 30.0
INCELL_MAX_RATE = 1000.0
TELEGRAM_MAX_TEXT = 4096  # Telegram's own limit, and the in-cell channel's default
INCELL_MAX_TEXT = 65536


@dataclass(frozen=True)
class Channel:
    """One Bot API connection the council is reached through (docs/CHANNELS.md)."""

    name: str
    kind: str  # "telegram" or "incell"
    base_url: str
    base_file_url: str
    token_env: str
    roles: tuple[str, ...]  # who may join on it with an invite code
    rate_per_second: float
    per_chat_interval_s: float
    # The longest message the channel takes; a notice is cut to it when rendered (send time).
    max_text_length: int = TELEGRAM_MAX_TEXT

    def token(self) -> str | None:
        value = os.environ.get(self.token_env, "").strip()
        return value or None


@dataclass(frozen=True)
class Invites:
    expiry: timedelta
    max_failures: int
    failure_window: timedelta
    lockout: timedelta
    # Wrong codes from everyone together in an hour before code entry pauses for everyone new.
    establishment_max_failures: int = 30
    establishment_pause: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Delivery:
    rate_per_second: float
    per_chat_interval_s: float
    quiet_start: time
    quiet_end: time
    timer_grace: timedelta
    max_attempts: int


@dataclass(frozen=True)
class Safeguarding:
    # The contacts are people flagged by an admin (/safercustody), not ids in this file.
    phrases: tuple[str, ...]
    message: dict[str, str]
    escalate_after: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class InCell:
    """[local] sign-in and sessions for the in-cell channel (docs/INCELL.md)."""

    signin: str = "none"  # "none" (the demo: anyone is anyone), "pin" or "oidc"
    public_url: str = ""  # the address people open, behind the reverse proxy
    kiosk: bool = False
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    pin_max_failures: int = 5
    pin_lockout: timedelta = timedelta(minutes=30)
    max_body_bytes: int = 64 * 1024
    slow_client_s: float = 15.0
    bot_api_port: int = 0  # the Bot API's own port on 127.0.0.1 (0: any free port)
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret_env: str = "INCELL_OIDC_CLIENT_SECRET"  # noqa: S105 (a variable name)
    oidc_scopes: str = "openid"
    oidc_establishment_claim: str = "establishment"
    oidc_establishment: str = ""

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class Monitoring:
    """The /healthz and /metrics endpoint (bot/ops/): off while port is 0."""

    listen: str = "127.0.0.1"
    port: int = 0
    # A channel whose Bot API has not answered for this long is probed, and unhealthy if it fails.
    api_silence: timedelta = timedelta(minutes=2)


@dataclass(frozen=True)
class Backups:
    """The nightly online backup (bot/ops/backups.py)."""

    enabled: bool = True
    # Relative to the database's folder, so a test's or a container's data stays together.
    directory: Path = Path("backups")
    at: time = time(2, 30)
    keep: int = 14

    def folder(self, database_path: Path) -> Path:
        return (
            self.directory
            if self.directory.is_absolute()
            else database_path.parent / self.directory
        )


@dataclass(frozen=True)
class Settings:
    path: str
    establishment: Establishment
    telegram: Telegram
    admins: tuple[int, ...]
    database_path: Path
    invites: Invites
    topics: tuple[Labelled, ...]
    wings: tuple[Labelled, ...]
    complaints_route: dict[str, str]
    delivery: Delivery
    reminder_offsets: tuple[timedelta, ...]
    poll_min_votes: int
    poll_closing_soon: timedelta
    retention: timedelta
    safeguarding: Safeguarding
    local_host: str
    local_port: int
    report_min_cell: int
    followup_escalate_after: timedelta
    # The key that seals open polls' counts: kept outside the database directory and out of
    # every backup (storage/sealing.py, docs/BALLOT_SECRECY.md).
    key_path: Path = Path("keys/council.key")
    # [[channels]] as written (empty: none written; see all_channels). Admins from config are
    # identities: (channel name, user id on it).
    channels: tuple[Channel, ...] = ()
    admin_identities: tuple[tuple[str, int], ...] = ()
    incell: InCell = field(default_factory=InCell)
    extra: dict[str, Any] = field(default_factory=dict)
    # Elections (docs/ELECTIONS.md): how long an elected person holds office, and how long
    # before a term ends staff are reminded.
    election_term: timedelta = timedelta(days=365)
    election_term_reminder: timedelta = timedelta(days=28)
    schemes: Schemes = field(default_factory=lambda: Schemes())  # peer schemes (docs/SCHEMES.md)
    monitoring: Monitoring = field(default_factory=Monitoring)
    backups: Backups = field(default_factory=Backups)

    def all_channels(self) -> tuple[Channel, ...]:
        """Every channel, in config order. Without [[channels]], one Telegram channel named
        'telegram', made from [telegram] and [delivery] as they are now (a config written
        before channels existed runs as it did)."""
        if self.channels:
            return self.channels
        return (
            Channel(
                name="telegram",
                kind="telegram",
                base_url=self.telegram.base_url,
                base_file_url=self.telegram.base_file_url,
                token_env=self.telegram.token_env,
                roles=ROLES,
                rate_per_second=self.delivery.rate_per_second,
                per_chat_interval_s=self.delivery.per_chat_interval_s,
            ),
        )

    def channel(self, name: str) -> Channel | None:
        return next((c for c in self.all_channels() if c.name == name), None)

    def is_configured_admin(self, channel: str, user_id: int) -> bool:
        return (channel, user_id) in self.admin_identities

    def token(self) -> str | None:
        value = os.environ.get(self.telegram.token_env, "").strip()
        return value or None

    def topic(self, topic_id: str) -> Labelled | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def wing(self, wing_id: str) -> Labelled | None:
        return next((w for w in self.wings if w.id == wing_id), None)


class _Reader:
    """Reads values out of the TOML tree, collecting every problem instead of stopping at the first."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []

    def raw(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def bad(self, key: str, value: Any, fix: str) -> None:
        shown = "(missing)" if value is None else repr(value)
        self.problems.append(Problem(key, shown, fix))

    def text(self, key: str, default: str | None = None, *, max_len: int = 200) -> str:
        value = self.raw(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip() or len(value) > max_len:
            self.bad(key, value, f"set it to a text of 1 to {max_len} characters")
            return default or ""
        return value.strip()

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.bad(key, value, f"set it to a whole number from {lo} to {hi}")
            return default
        return value

    def number(self, key: str, default: float, lo: float, hi: float) -> float:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            self.bad(key, value, f"set it to a number from {lo} to {hi}")
            return default
        return float(value)

    def clock_time(self, key: str, default: str) -> time:
        value = self.raw(key)
        value = default if value is None else value
        try:
            if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
                raise ValueError
            return time.fromisoformat(value)
        except ValueError:
            self.bad(key, value, 'write a 24-hour time like "21:30"')
            return time.fromisoformat(default)

    def duration(self, key: str, value: Any) -> timedelta | None:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if not match:
            self.bad(key, value, 'write a duration like "7d", "1d", "1h" or "30m"')
            return None
        amount, unit = int(match.group(1)), match.group(2)
        return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
            unit, timedelta(days=amount)
        )

    def user_ids(self, key: str, *, required: bool) -> tuple[int, ...]:
        value = self.raw(key)
        if value is None and not required:
            return ()
        if (
            not isinstance(value, list)
            or (required and not value)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            need = "at least one" if required else "zero or more"
            self.bad(key, value, f"list {need} numeric Telegram user ids, like [123456789]")
            return ()
        return tuple(value)

    def choices(self, key: str) -> tuple[Labelled, ...]:
        value = self.raw(key)
        if not isinstance(value, list) or not value:
            self.bad(key, value, f'add at least one [[{key}]] table with id = "..." and en = "..."')
            return ()
        seen: set[str] = set()
        out: list[Labelled] = []
        for index, entry in enumerate(value):
            where = f"{key}[{index}]"
            if not isinstance(entry, dict):
                self.bad(
                    where, entry, 'write it as a table: { id = "food", en = "Food", cy = "Bwyd" }'
                )
                continue
            ident = entry.get("id")
            if not isinstance(ident, str) or not _ID.match(ident) or ident in seen:
                self.bad(
                    f"{where}.id",
                    ident,
                    "use a unique short id: lower-case letters, digits, - or _, up to 20",
                )
                continue
            seen.add(ident)
            labels: dict[str, str] = {}
            for lang in LANGUAGES:
                label = entry.get(lang)
                if label is None and lang != "en":
                    continue
                if not isinstance(label, str) or not label.strip() or len(label) > 40:
                    self.bad(f"{where}.{lang}", label, "give a label of 1 to 40 characters")
                    continue
                labels[lang] = label.strip()
            if "en" in labels:
                out.append(Labelled(ident, labels))
        return tuple(out)

    def per_language(self, key: str, *, required: bool, max_len: int = 1000) -> dict[str, str]:
        value = self.raw(key)
        if value is None and not required:
            return {}
        if not isinstance(value, dict) or not isinstance(value.get("en"), str):
            self.bad(key, value, 'give the text in each language: { en = "...", cy = "..." }')
            return {}
        out: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in LANGUAGES:
                self.bad(f"{key}.{lang}", lang, f"use one of the languages {', '.join(LANGUAGES)}")
            elif not isinstance(text, str) or not text.strip() or len(text) > max_len:
                self.bad(f"{key}.{lang}", text, f"give a text of 1 to {max_len} characters")
            else:
                out[lang] = text.strip()
        return out


# --- peer schemes (docs/SCHEMES.md) ---------------------------------------------------------------

SCHEME_KINDS = (
    "listeners",
    "insiders",
    "peer_support",
    "peer_education",
    "peer_mentoring",
    "health_trainers",
    "peer_advisors",
    "other",
)


@dataclass(frozen=True)
class SchemeConfig:
    id: str
    kind: str
    names: dict[str, str]
    about: dict[str, str]
    how: dict[str, str]
    wings: tuple[str, ...]  # empty: every wing
    notes: bool
    urgent: bool
    escalate_after: int  # minutes; 0: never
    expect_within: int  # minutes
    coordinators: tuple[int, ...]  # Telegram user ids of staff


@dataclass(frozen=True)
class Partner:
    id: str
    names: dict[str, str]
    phone: str
    about: dict[str, str]
    schemes: tuple[str, ...]  # shown on these schemes' pages; empty: on the directory


@dataclass(frozen=True)
class Schemes:
    listed: tuple[SchemeConfig, ...] = ()
    partners: tuple[Partner, ...] = ()
    wing_staff: dict[str, tuple[int, ...]] = field(default_factory=dict)
    request_retention: timedelta = timedelta(days=30)
    followup_after: timedelta = timedelta(days=3)


def _schemes(r: _Reader, wings: tuple[Labelled, ...]) -> Schemes:
    wing_ids = {w.id for w in wings}
    listed: list[SchemeConfig] = []
    for index, entry in enumerate(r.raw("schemes.list") or []):
        key = f"schemes.list[{index}]"
        sub = _Reader({"s": entry})
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or not _ID.match(ident) or ident in {s.id for s in listed}:
            r.bad(f"{key}.id", ident, "use a unique short id: lower-case letters, digits, - or _")
            continue
        kind = entry.get("kind", "other")
        if kind not in SCHEME_KINDS:
            r.bad(f"{key}.kind", kind, f"use one of {', '.join(SCHEME_KINDS)}")
        names = sub.per_language("s.name", required=True, max_len=40)
        about = sub.per_language("s.about", required=True, max_len=600)
        how = sub.per_language("s.how", required=True, max_len=400)
        scheme_wings = entry.get("wings", [])
        if not isinstance(scheme_wings, list) or not set(scheme_wings) <= wing_ids:
            r.bad(f"{key}.wings", scheme_wings, "list wing ids from [[wings]], or [] for all")
            scheme_wings = []
        listed.append(
            SchemeConfig(
                id=ident,
                kind=kind if kind in SCHEME_KINDS else "other",
                names=names,
                about=about,
                how=how,
                wings=tuple(scheme_wings),
                notes=bool(entry.get("notes", False)),
                urgent=bool(entry.get("urgent", False)),
                escalate_after=sub.integer("s.escalate_after_minutes", 0, 0, 10080),
                expect_within=sub.integer("s.expect_within_minutes", 1440, 1, 43200),
                coordinators=sub.user_ids("s.coordinators", required=False),
            )
        )
        r.problems += [
            Problem(p.key.replace("s.", f"{key}.", 1), p.value, p.fix) for p in sub.problems
        ]
    partners: list[Partner] = []
    for index, entry in enumerate(r.raw("schemes.partners") or []):
        key = f"schemes.partners[{index}]"
        sub = _Reader({"p": entry})
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or not _ID.match(ident):
            r.bad(f"{key}.id", ident, "use a short id: lower-case letters, digits, - or _")
            continue
        shown_on = entry.get("schemes", [])
        if not isinstance(shown_on, list) or not all(isinstance(s, str) for s in shown_on):
            r.bad(f"{key}.schemes", shown_on, 'list scheme ids, like ["listeners"]')
            shown_on = []
        partners.append(
            Partner(
                id=ident,
                names=sub.per_language("p.name", required=True, max_len=60),
                phone=sub.text("p.phone", max_len=30),
                about=sub.per_language("p.about", required=False, max_len=300),
                schemes=tuple(shown_on),
            )
        )
        r.problems += [
            Problem(p.key.replace("p.", f"{key}.", 1), p.value, p.fix) for p in sub.problems
        ]
    wing_staff: dict[str, tuple[int, ...]] = {}
    raw_staff = r.raw("schemes.wing_staff") or {}
    if not isinstance(raw_staff, dict):
        r.bad("schemes.wing_staff", raw_staff, "write it as { a = [123456789], b = [] }")
        raw_staff = {}
    for wing_id in raw_staff:
        if wing_id not in wing_ids:
            r.bad(f"schemes.wing_staff.{wing_id}", wing_id, "use a wing id from [[wings]]")
            continue
        wing_staff[wing_id] = r.user_ids(f"schemes.wing_staff.{wing_id}", required=False)
    retention_days = r.integer("schemes.request_retention_days", 30, 7, 365)
    followup_days = r.integer("schemes.followup_days", 3, 1, 30)
    if followup_days >= retention_days:
        r.bad(
            "schemes.followup_days",
            followup_days,
            "make it shorter than schemes.request_retention_days",
        )
    return Schemes(
        listed=tuple(listed),
        partners=tuple(partners),
        wing_staff=wing_staff,
        request_retention=timedelta(days=retention_days),
        followup_after=timedelta(days=followup_days),
    )


def parse_settings(data: dict[str, Any], path: str = "config.toml") -> Settings:
    r = _Reader(data)

    name = r.text("establishment.name", max_len=80)
    tz_name = r.raw("establishment.timezone") or "Europe/London"
    try:
        zone = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        r.bad("establishment.timezone", tz_name, 'use an IANA time zone like "Europe/London"')
        zone = ZoneInfo("Europe/London")
    default_language = r.raw("establishment.default_language") or "en"
    if default_language not in LANGUAGES:
        r.bad("establishment.default_language", default_language, f"use one of {LANGUAGES}")
        default_language = "en"
    content_languages = _content_languages(r, default_language)

    token_env = r.text("telegram.token_env", "TELEGRAM_BOT_TOKEN", max_len=64)
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", token_env):
        r.bad(
            "telegram.token_env", token_env, "name an environment variable, like TELEGRAM_BOT_TOKEN"
        )
    base_url = r.text("telegram.base_url", "https://api.telegram.org/bot", max_len=300)
    base_file_url = r.text(
        "telegram.base_file_url", "https://api.telegram.org/file/bot", max_len=300
    )
    for key, url in (("telegram.base_url", base_url), ("telegram.base_file_url", base_file_url)):
        if not re.match(r"^https?://[^\s/]+", url):
            r.bad(
                key,
                url,
                "give a full address starting with https:// (or http:// on a closed network)",
            )
    webhook_url = str(r.raw("telegram.webhook_url") or "")
    if webhook_url and not webhook_url.startswith("https://"):
        r.bad(
            "telegram.webhook_url",
            webhook_url,
            "leave it empty for long polling, or give an https:// address",
        )
    # PTB's webhook server answers on one path; behind a proxy it is the public address's path.
    webhook_path_raw = r.raw("telegram.webhook_path")
    webhook_path = urlsplit(webhook_url).path.strip("/") if webhook_url else ""
    if webhook_path_raw is not None:
        if not isinstance(webhook_path_raw, str) or not re.fullmatch(
            r"/?[A-Za-z0-9._~/-]{0,200}", webhook_path_raw
        ):
            r.bad(
                "telegram.webhook_path",
                webhook_path_raw,
                'give a path like "/telegram/hook", or leave it out to use webhook_url\'s path',
            )
        else:
            webhook_path = webhook_path_raw.strip("/")

    monitoring = Monitoring(
        listen=r.text("monitoring.listen", "127.0.0.1", max_len=64),
        port=r.integer("monitoring.port", 0, 0, 65535),
        api_silence=timedelta(seconds=r.integer("monitoring.api_silence_seconds", 120, 10, 86400)),
    )
    backups_enabled = r.raw("backups.enabled")
    if backups_enabled is not None and not isinstance(backups_enabled, bool):
        r.bad("backups.enabled", backups_enabled, "write true or false")
    backups = Backups(
        enabled=backups_enabled is not False,
        directory=Path(r.text("backups.directory", "backups", max_len=500)),
        at=r.clock_time("backups.time", "02:30"),
        keep=r.integer("backups.keep", 14, 1, 365),
    )

    # With identities on other channels listed, no Telegram admin is needed.
    admins = r.user_ids("admins.telegram_ids", required=r.raw("admins.identities") is None)

    db_path = Path(r.text("database.path", "data/council.sqlite3", max_len=500))
    key_path = Path(r.text("secrecy.key_file", "keys/council.key", max_len=500))

    invites = Invites(
        expiry=timedelta(days=r.integer("invites.expiry_days", 7, 1, 90)),
        max_failures=r.integer("invites.max_failures", 5, 1, 50),
        failure_window=timedelta(minutes=r.integer("invites.failure_window_minutes", 60, 1, 1440)),
        lockout=timedelta(minutes=r.integer("invites.lockout_minutes", 60, 1, 10080)),
        establishment_max_failures=r.integer("invites.establishment_max_failures", 30, 5, 10000),
        establishment_pause=timedelta(
            minutes=r.integer("invites.establishment_pause_minutes", 30, 1, 1440)
        ),
    )

    topics = r.choices("topics")
    wings = r.choices("wings")
    complaints = r.per_language("complaints.route", required=True)

    delivery = Delivery(
        rate_per_second=r.number("delivery.rate_per_second", 25, 1, 30),
        per_chat_interval_s=r.number("delivery.per_chat_interval_seconds", 1.0, 0.0, 60.0),
        quiet_start=r.clock_time("delivery.quiet_hours_start", "21:30"),
        quiet_end=r.clock_time("delivery.quiet_hours_end", "07:30"),
        timer_grace=timedelta(hours=r.integer("delivery.timer_grace_hours", 6, 0, 168)),
        max_attempts=r.integer("delivery.max_attempts", 8, 1, 100),
    )

    offsets_raw = r.raw("meetings.reminder_offsets")
    offsets_raw = ["7d", "1d", "1h"] if offsets_raw is None else offsets_raw
    offsets: list[timedelta] = []
    if not isinstance(offsets_raw, list) or len(offsets_raw) > 6:
        r.bad(
            "meetings.reminder_offsets",
            offsets_raw,
            'list up to 6 durations, like ["7d", "1d", "1h"]',
        )
    else:
        for i, item in enumerate(offsets_raw):
            d = r.duration(f"meetings.reminder_offsets[{i}]", item)
            if d is not None:
                offsets.append(d)

    closing_soon = r.duration("polls.closing_soon", r.raw("polls.closing_soon") or "24h")

    phrases_raw = r.raw("safeguarding.phrases")
    phrases: tuple[str, ...] = ()
    if phrases_raw is None:
        pass  # the built-in list (bot/council/safeguarding.py) is enough on its own
    elif not isinstance(phrases_raw, list) or not all(
        isinstance(p, str) and p.strip() for p in phrases_raw
    ):
        r.bad(
            "safeguarding.phrases",
            phrases_raw,
            'list the words and phrases to watch for, like ["end it all"]',
        )
    else:
        phrases = tuple(p.strip().casefold() for p in phrases_raw)
    if r.raw("safeguarding.contacts"):
        r.bad(
            "safeguarding.contacts",
            r.raw("safeguarding.contacts"),
            "remove this line: safer-custody contacts are now people the bot knows. An admin"
            " sends /safercustody P-0012 (the person's reference from /people), or run"
            " python -m bot invite --role staff --safer-custody",
        )
    safeguarding = Safeguarding(
        phrases=phrases,
        message=r.per_language("safeguarding.message", required=False),
        escalate_after=timedelta(
            minutes=r.integer("safeguarding.escalate_after_minutes", 15, 1, 1440)
        ),
    )

    channels = _channels(r)
    admin_identities = _admin_identities(r, admins, channels)

    settings = Settings(
        path=path,
        establishment=Establishment(name, zone, default_language, content_languages),
        telegram=Telegram(
            token_env=token_env,
            base_url=base_url,
            base_file_url=base_file_url,
            webhook_url=webhook_url,
            webhook_secret_env=r.text(
                "telegram.webhook_secret_env", "TELEGRAM_WEBHOOK_SECRET", max_len=64
            ),
            webhook_listen=r.text("telegram.webhook_listen", "127.0.0.1", max_len=64),
            webhook_port=r.integer("telegram.webhook_port", 8443, 1, 65535),
            webhook_path=webhook_path,
        ),
        admins=admins,
        database_path=db_path,
        invites=invites,
        topics=topics,
        wings=wings,
        complaints_route=complaints,
        delivery=delivery,
        reminder_offsets=tuple(sorted(offsets, reverse=True)),
        poll_min_votes=r.integer("polls.min_votes", 5, 1, 1000),
        poll_closing_soon=closing_soon or timedelta(hours=24),
        retention=timedelta(days=r.integer("retention.days", 730, 30, 3650)),
        safeguarding=safeguarding,
        local_host=r.text("local.host", "127.0.0.1", max_len=64),
        local_port=r.integer("local.port", 8080, 1, 65535),
        report_min_cell=r.integer("reports.min_cell", 5, 1, 100),
        followup_escalate_after=timedelta(days=r.integer("outcomes.escalate_after_days", 7, 1, 90)),
        schemes=_schemes(r, wings),
        monitoring=monitoring,
        backups=backups,
        key_path=key_path,
        election_term=timedelta(days=r.integer("elections.term_days", 365, 30, 1830)),
        election_term_reminder=timedelta(
            days=r.integer("elections.term_reminder_days", 28, 1, 180)
        ),
        channels=channels,
        admin_identities=admin_identities,
    )
    settings = replace(settings, incell=_read_incell(r))
    if r.problems:
        raise ConfigError(path, r.problems)
    return settings


def _channels(r: _Reader) -> tuple[Channel, ...]:
    """[[channels]], or one Telegram channel named 'telegram' made from [telegram] (a config
    written before channels existed runs as it did)."""
    raw = r.raw("channels")
    if raw is None:
        return ()  # Settings.all_channels() makes the one 'telegram' channel from [telegram]
    if not isinstance(raw, list) or not raw:
        r.bad(
            "channels",
            raw,
            "add [[channels]] tables with name, kind, base_url and token_env, or remove it to"
            " run on [telegram] alone",
        )
        return ()
    out: list[Channel] = []
    names: set[str] = set()
    envs: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"channels[{index}]"
        if not isinstance(entry, dict):
            r.bad(where, entry, 'write it as a table: [[channels]] name = "telegram" ...')
            continue
        before = len(r.problems)
        name = entry.get("name")
        if not isinstance(name, str) or not _ID.match(name) or name in names:
            r.bad(
                f"{where}.name",
                name,
                "give a unique short name: lower-case letters, digits, - or _, up to 20"
                ' (the Telegram channel used before channels existed is "telegram")',
            )
            name = f"?{index}"
        names.add(name)
        kind = entry.get("kind")
        if kind not in CHANNEL_KINDS:
            r.bad(f"{where}.kind", kind, 'use "telegram" or "incell" (the prison\'s own network)')
            kind = "telegram"
        default_url = "https://api.telegram.org/bot" if kind == "telegram" else None
        url = entry.get("base_url", default_url)
        if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
            r.bad(
                f"{where}.base_url",
                url,
                "give the Bot API address, like https://api.telegram.org/bot (or"
                " http://10.0.0.5:8081/bot for the in-cell server on the closed network)",
            )
            url = ""
        file_default = (
            "https://api.telegram.org/file/bot"
            if kind == "telegram"
            else url.replace("/bot", "/file/bot", 1)
            if url.endswith("/bot")
            else url
        )
        file_url = entry.get("base_file_url", file_default)
        if not isinstance(file_url, str) or not re.match(r"^https?://[^\s/]+", file_url):
            r.bad(
                f"{where}.base_file_url", file_url, "give the Bot API file address, or leave it out"
            )
            file_url = ""
        env = entry.get("token_env")
        if not isinstance(env, str) or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", env) or env in envs:
            r.bad(
                f"{where}.token_env",
                env,
                "name an environment variable of its own for this channel's token, like"
                " INCELL_BOT_TOKEN",
            )
            env = ""
        envs.add(env)
        roles_raw = entry.get("roles", list(ROLES))
        if (
            not isinstance(roles_raw, list)
            or not roles_raw
            or not all(isinstance(x, str) and x in ROLES for x in roles_raw)
        ):
            r.bad(
                f"{where}.roles",
                roles_raw,
                f"list the roles that may join on this channel, from {', '.join(ROLES)}",
            )
            roles_raw = list(ROLES)
        max_rate = TELEGRAM_MAX_RATE if kind == "telegram" else INCELL_MAX_RATE
        rate = entry.get("rate_per_second", 25 if kind == "telegram" else 100)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 1 <= rate <= max_rate:
            r.bad(
                f"{where}.rate_per_second",
                rate,
                f"set it to a number from 1 to {max_rate:g}"
                + (" (Telegram's own limit is about 30)" if kind == "telegram" else ""),
            )
            rate = min(max_rate, 25)
        interval = entry.get("per_chat_interval_seconds", 1.0 if kind == "telegram" else 0.0)
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | float)
            or not 0 <= interval <= 60
        ):
            r.bad(f"{where}.per_chat_interval_seconds", interval, "set it to a number from 0 to 60")
            interval = 1.0
        max_text = entry.get("max_text_length", TELEGRAM_MAX_TEXT)
        text_cap = TELEGRAM_MAX_TEXT if kind == "telegram" else INCELL_MAX_TEXT
        if (
            isinstance(max_text, bool)
            or not isinstance(max_text, int)
            or not 100 <= max_text <= text_cap
        ):
            r.bad(
                f"{where}.max_text_length",
                max_text,
                f"set it to a whole number from 100 to {text_cap}"
                + (" (Telegram's own limit)" if kind == "telegram" else ""),
            )
            max_text = TELEGRAM_MAX_TEXT
        unknown = set(entry) - {
            "max_text_length",
            "name",
            "kind",
            "base_url",
            "base_file_url",
            "token_env",
            "roles",
            "rate_per_second",
            "per_chat_interval_seconds",
        }
        for key in sorted(unknown):
            r.bad(f"{where}.{key}", entry[key], "remove it: channels do not have this setting")
        if len(r.problems) == before:
            out.append(
                Channel(
                    name=name,
                    kind=str(kind),
                    base_url=url,
                    base_file_url=file_url,
                    token_env=env,
                    roles=tuple(x for x in ROLES if x in roles_raw),
                    rate_per_second=float(rate),
                    per_chat_interval_s=float(interval),
                    max_text_length=max_text,
                )
            )
    for role in ROLES:
        if out and len(out) == len(raw) and not any(role in c.roles for c in out):
            r.bad(
                "channels",
                f"no channel admits {role}",
                f'add "{role}" to the roles of the channel people with that role will use',
            )
    return tuple(out)


def _admin_identities(
    r: _Reader, telegram_ids: tuple[int, ...], channels: tuple[Channel, ...]
) -> tuple[tuple[str, int], ...]:
    """admins.telegram_ids are user ids on admins.channel (default: the first Telegram channel);
    admins.identities adds others, written "channel:user id", like "incell:1001"."""
    if not channels:
        channels = (Channel("telegram", "telegram", "", "", "", ROLES, 0, 0),)
    default = next((c.name for c in channels if c.kind == "telegram"), None)
    chosen = r.raw("admins.channel")
    names = [c.name for c in channels]
    if chosen is not None and chosen not in names:
        r.bad("admins.channel", chosen, f"name one of the channels: {', '.join(names)}")
    channel = chosen if isinstance(chosen, str) and chosen in names else default
    out: list[tuple[str, int]] = []
    if telegram_ids:
        if channel is None:
            r.bad(
                "admins.telegram_ids",
                list(telegram_ids),
                "there is no Telegram channel: set admins.channel, or use admins.identities"
                ' like ["incell:1001"]',
            )
        else:
            out.extend((channel, i) for i in telegram_ids)
    raw = r.raw("admins.identities")
    if raw is not None:
        fix = (
            f'list identities like ["incell:1001"]: a channel ({", ".join(names)}), ":", a user id'
        )
        if not isinstance(raw, list) or not raw:
            r.bad("admins.identities", raw, fix)
            return tuple(out)
        for index, item in enumerate(raw):
            name, _, number = str(item).partition(":")
            if not isinstance(item, str) or name not in names or not number.isdigit():
                r.bad(f"admins.identities[{index}]", item, fix)
                continue
            out.append((name, int(number)))
    return tuple(out)


def _read_incell(r: _Reader) -> InCell:
    signin = r.text("local.signin", "none", max_len=8)
    if signin not in ("none", "pin", "oidc"):
        r.bad("local.signin", signin, 'set it to "none" (the demo), "pin" or "oidc"')
    kiosk = r.raw("local.kiosk")
    if kiosk is not None and not isinstance(kiosk, bool):
        r.bad("local.kiosk", kiosk, "set it to true or false")
    public_url = r.text("local.public_url", "", max_len=300) if r.raw("local.public_url") else ""
    if public_url and not public_url.startswith(("https://", "http://")):
        r.bad(
            "local.public_url",
            public_url,
            "set it to the address people open, like https://council.example/",
        )
    incell = InCell(
        signin=signin,
        public_url=public_url.rstrip("/"),
        kiosk=bool(kiosk),
        idle=timedelta(minutes=r.integer("local.idle_minutes", 30, 1, 1440)),
        absolute=timedelta(hours=r.integer("local.absolute_hours", 12, 1, 168)),
        pin_max_failures=r.integer("local.pin_max_failures", 5, 3, 20),
        pin_lockout=timedelta(minutes=r.integer("local.pin_lockout_minutes", 30, 1, 10080)),
        max_body_bytes=r.integer("local.max_body_kb", 64, 8, 1024) * 1024,
        slow_client_s=r.number("local.slow_client_seconds", 15.0, 1.0, 300.0),
        bot_api_port=r.integer("local.bot_api_port", 0, 0, 65535),
        oidc_issuer=r.text("local.oidc.issuer", "", max_len=300)
        if r.raw("local.oidc.issuer")
        else "",
        oidc_client_id=r.text("local.oidc.client_id", "", max_len=200)
        if r.raw("local.oidc.client_id")
        else "",
        oidc_client_secret_env=r.text(
            "local.oidc.client_secret_env", "INCELL_OIDC_CLIENT_SECRET", max_len=64
        ),
        oidc_scopes=r.text("local.oidc.scopes", "openid", max_len=200),
        oidc_establishment_claim=r.text(
            "local.oidc.establishment_claim", "establishment", max_len=64
        ),
        oidc_establishment=r.text("local.oidc.establishment", "", max_len=64)
        if r.raw("local.oidc.establishment")
        else "",
    )
    if signin != "none" and not incell.public_url:
        r.bad(
            "local.public_url",
            None,
            "set the address people open (https://...) when local.signin is set",
        )
    if signin == "oidc":
        for key, value in (
            ("local.oidc.issuer", incell.oidc_issuer),
            ("local.oidc.client_id", incell.oidc_client_id),
            ("local.oidc.establishment", incell.oidc_establishment),
        ):
            if not value:
                r.bad(key, None, "set it for OpenID Connect sign-in (docs/INCELL.md)")
    return incell


def load_settings(path: str | os.PathLike[str]) -> Settings:
    p = Path(path)
    if not p.exists():
        raise ConfigError(
            str(p),
            [Problem("(file)", str(p), "copy config.example.toml to config.toml and edit it")],
        )
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            str(p), [Problem("(syntax)", str(exc), "fix the TOML syntax at that line")]
        ) from exc
    settings = parse_settings(data, str(p))
    # Relative paths are relative to the config file, not to wherever the bot starts.
    if not settings.database_path.is_absolute():
        settings = replace(settings, database_path=(p.parent / settings.database_path).resolve())
    if not settings.key_path.is_absolute():
        settings = replace(settings, key_path=(p.parent / settings.key_path).resolve())
    if settings.key_path.parent == settings.database_path.parent:
        # A key beside the database would travel with every copy of the data directory.
        raise ConfigError(
            str(p),
            [
                Problem(
                    "secrecy.key_file",
                    str(settings.key_path),
                    "put the key file in a directory of its own, apart from database.path"
                    ' (for example "keys/council.key")',
                )
            ],
        )
    backup_folder = settings.backups.folder(settings.database_path).resolve()
    if settings.backups.enabled and (
        backup_folder == settings.key_path.parent or backup_folder in settings.key_path.parents
    ):
        # The key must never sit with the backups: the two together can be read.
        raise ConfigError(
            str(p),
            [
                Problem(
                    "backups.directory",
                    str(backup_folder),
                    "put the backups apart from the key file's folder ([secrecy] key_file)",
                )
            ],
        )
    return settings


def _content_languages(r: _Reader, default_language: str) -> tuple[str, ...]:
    raw = r.raw("establishment.content_languages")
    if raw is None:
        return (default_language,)
    fix = f'a list of languages from {LANGUAGES}, like ["en", "cy"]'
    if (
        not isinstance(raw, list)
        or not raw
        or any(lang not in LANGUAGES for lang in raw)
        or len(set(raw)) != len(raw)
    ):
        r.bad("establishment.content_languages", raw, fix)
        return (default_language,)
    return tuple(str(lang) for lang in raw)
