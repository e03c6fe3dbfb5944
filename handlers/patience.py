"""Replies keep to Telegram's limits too: a 429 on a reply waits what Telegram asked and tries
again, instead of falling into the error handler and losing the answer."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram.error import RetryAfter

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TRIES = 3
# A longer wait than this is a flood the person will not sit through: let the error handler say so.
MAX_WAIT_S = 30.0
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests replace it: no real waiting


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that retry_after becomes a timedelta
        value: Any = exc.retry_after
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    return max(float(value), 0.0)


async def patiently(send: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """send(*args, **kwargs), and after a 429 again once Telegram's retry_after has passed."""
    for attempt in range(1, MAX_TRIES + 1):
        try:
            return await send(*args, **kwargs)
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if attempt == MAX_TRIES or wait > MAX_WAIT_S:
                raise
            log.info("429 on a reply: waiting %.1f s before trying again", wait)
            await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
