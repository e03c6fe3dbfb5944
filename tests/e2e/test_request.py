"""bot/request.py: PTB's BaseRequest on aiohttp, over real HTTP against the Bot API double."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.request import AiohttpRequest
from tests.fakes.double import BotApiDouble, serve_http


async def test_calls_uploads_long_polls_and_errors_over_http() -> None:
    double = BotApiDouble()
    double.user(4242)
    with serve_http(double) as server:
        async with Bot(
            double.token,
            base_url=server.base_url,
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(connections=2),
        ) as bot:
            sent = await bot.send_message(4242, "Hello, «Welsh» ŵ ŷ", reply_markup=None)
            assert double.sent_texts(4242) == ["Hello, «Welsh» ŵ ŷ"]
            await bot.send_document(4242, b"a,b\n1,2\n", filename="figures.csv", caption="CSV")
            stored = double.last(4242)
            assert stored is not None and stored.data == b"a,b\n1,2\n"
            assert stored.filename == "figures.csv"
            double.push_update(double.message_update(4242, "/start"))
            updates = await bot.get_updates(timeout=1)
            assert [u.message.text for u in updates if u.message] == ["/start"]
            with pytest.raises(BadRequest):
                await bot.edit_message_text("x", chat_id=4242, message_id=sent.message_id + 99)
            double.fail_next("sendMessage", error="429", retry_after=3)
            with pytest.raises(RetryAfter):
                await bot.send_message(4242, "too fast")


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot123:ABC/getMe")
    finally:
        await request.shutdown()
