"""Replies keep to Telegram's limits: a 429 on a reply waits retry_after and tries again, so the
person still gets their answer and the error handler never runs."""

from __future__ import annotations

import pytest

from handlers import patience
from tests.support.harness import Harness


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    asked: list[float] = []

    async def no_real_wait(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(patience, "sleep", no_real_wait)
    return asked


async def test_a_429_on_a_reply_waits_and_the_reply_arrives(h: Harness, waits: list[float]) -> None:
    user = await h.join("member")
    h.double.fail_next("sendMessage", chat_id=user, error="429", retry_after=2)
    replies = await h.tg.send(user, "/help")
    assert waits == [2.0]
    refused = [c for c in h.double.calls if c.method == "sendMessage" and c.status == 429]
    assert len(refused) == 1
    assert replies and "went wrong" not in replies[-1].text.lower()
    assert [c.status for c in h.double.calls if c.method == "sendMessage"][-2:] == [429, 200]


async def test_a_429_on_a_button_answer_and_edit_is_retried(h: Harness, waits: list[float]) -> None:
    user = await h.join("member")
    await h.tg.send(user, "/menu")
    h.double.fail_next("answerCallbackQuery", error="429", retry_after=1)
    h.double.fail_next("editMessageText", error="429", retry_after=1)
    h.double.fail_next("sendMessage", error="429", retry_after=1)
    await h.tg.press(user, "Help")
    statuses = [c.status for c in h.double.calls if c.method == "answerCallbackQuery"]
    assert statuses[-2:] == [429, 200]
    assert waits[0] == 1.0 and len(waits) == 2  # the answer, then the help (edited or sent)
    assert "went wrong" not in " ".join(h.double.sent_texts(user)).lower()


async def test_a_long_flood_still_reaches_the_error_handler(h: Harness, waits: list[float]) -> None:
    user = await h.join("member")
    h.double.fail_next("sendMessage", chat_id=user, error="429", retry_after=120)
    await h.tg.send(user, "/help")
    assert waits == []  # two minutes is not worth holding the answer for
    assert "went wrong" in h.double.sent_texts(user)[-1].lower()
