"""Logging that can never carry the bot token or an invite code, whatever a library prints."""

from __future__ import annotations

import logging
import re

from bot.council.access import CODE_ALPHABET, CODE_LENGTH

_CODE = re.compile(rf"(?<![A-Za-z0-9])[{CODE_ALPHABET}]{{{CODE_LENGTH}}}(?![A-Za-z0-9])")
_START_ARG = re.compile(r"(/start(?:@\w+)?\s+|start=)\S+", re.IGNORECASE)
_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class Redactor(logging.Filter):
    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _TOKEN_SHAPE.sub("[token]", text)
        text = _START_ARG.sub(lambda m: m.group(1) + "[code]", text)
        return _CODE.sub("[code]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = self.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


# python-telegram-bot logs whole updates and Bot API calls at DEBUG (button data, message text
# and chat ids together), and aiosqlite logs every statement with its parameters. Either would
# put a voter next to a ballot choice (or a member next to an anonymous item), so those records
# keep only what the call was (the endpoint, the update's number), never what it carried.
_PAYLOAD_LOGGERS = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Application",
    "telegram.ext.Updater",  # the webhook server logs what it received under this name
    "telegram.ext",
    "aiosqlite",
)
_PAYLOAD_MESSAGES = frozenset(
    {
        "executing %s",
        "operation %s completed",
        "returning exception %s",
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "Call to Bot API endpoint `%s` finished with return value `%s`",
        "Processing update %s",
        "Dropping pending update: %s",
        "Webhook received data: %s",
        # A body the webhook could not read as an update (only with the secret: bot/ops/webhook.py).
        "Something went wrong processing the data received from Telegram. "
        "Received data was *not* processed! Received data was: %r",
    }
)


class PayloadHider(logging.Filter):
    """Keeps what a library call was, drops what it carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg in _PAYLOAD_MESSAGES and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            if len(args) == 1:  # an update or raw data: keep only the update's number
                record.args = (getattr(args[0], "update_id", "[payload]"),)
            else:  # the endpoint, then what was sent or returned
                record.args = (args[0], *("[payload]" for _ in args[1:]))
        return True


def hide_payloads() -> None:
    """Attach the PayloadHider to the library loggers that carry payloads (idempotent)."""
    for name in _PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PayloadHider) for f in logger.filters):
            logger.addFilter(PayloadHider())


def install(secrets: list[str] | None = None, level: int = logging.INFO) -> Redactor:
    """Redact at every handler of the root logger, so records from any library pass through it."""
    redactor = Redactor(secrets)
    root = logging.getLogger()
    if not root.handlers:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    for handler in root.handlers:
        handler.addFilter(redactor)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Two lines per job at every start: with a thousand timers they bury what matters. The
    # bot logs its own one-line summary of the rebuild (bot.scheduler).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return redactor
