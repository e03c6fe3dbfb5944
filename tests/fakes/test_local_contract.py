"""One set of Bot API expectations, run against the Bot API double and the local channel.

Telegram's rules are one module (bot/botapi.py, tests/fakes/test_botapi.py), so limits, error texts
and commands hold for both by construction. What each server keeps its own way is checked here
against both, over real HTTP with the bot's own wire formats (JSON, urlencoded, multipart):
where chats, messages, presses and files live, trimming, editing in place, flood answers,
getUpdates and long polling, the HTTP doors (downloads, unknown methods, wrong tokens).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from bot.local import LocalChannel, Persona
from tests.fakes.double import BotApiDouble, serve_http

USER = 200000001
OTHER = 200000002


class Backend(Protocol):
    base_url: str  # ends in /bot
    token: str

    def add_user(self, user_id: int) -> None: ...

    async def user_writes(self, user_id: int, text: str) -> None: ...

    async def press(self, user_id: int, message_id: int, data: str) -> None: ...

    async def flood(self, client: Api, chat_id: int) -> httpx.Response: ...

    async def close(self) -> None: ...


class Api:
    def __init__(self, client: httpx.AsyncClient, backend: Backend) -> None:
        self.client = client
        self.backend = backend

    async def post(self, method: str, **params: Any) -> httpx.Response:
        url = f"{self.backend.base_url}{self.backend.token}/{method}"
        return await self.client.post(url, json=params)

    async def ok(self, method: str, **params: Any) -> Any:
        response = await self.post(method, **params)
        body = response.json()
        assert response.status_code == 200 and body["ok"] is True, body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = await self.post(method, **params)
        body = response.json()
        assert body["ok"] is False, body
        assert body["error_code"] == response.status_code
        return response.status_code, body


@dataclass
class DoubleBackend:
    double: BotApiDouble
    server: Any

    @property
    def base_url(self) -> str:
        return str(self.server.base_url)

    @property
    def token(self) -> str:
        return self.double.token

    def add_user(self, user_id: int) -> None:
        self.double.user(user_id)

    async def user_writes(self, user_id: int, text: str) -> None:
        self.double.push_update(self.double.message_update(user_id, text))

    async def press(self, user_id: int, message_id: int, data: str) -> None:
        self.double.push_update(self.double.callback_update(user_id, message_id, data))

    async def flood(self, client: Api, chat_id: int) -> httpx.Response:
        # The double floods only when told to; it answers exactly as Telegram does then.
        self.double.fail_next("sendMessage", chat_id=chat_id, retry_after=3)
        return await client.post("sendMessage", chat_id=chat_id, text="one more")

    async def close(self) -> None:
        await asyncio.to_thread(self.server.close)


@dataclass
class LocalBackend:
    channel: LocalChannel

    @property
    def base_url(self) -> str:
        return self.channel.server.base_url

    @property
    def token(self) -> str:
        return self.channel.token

    def add_user(self, user_id: int) -> None:
        self.channel.store.add_persona(Persona(user_id, "Test", "member"))

    async def user_writes(self, user_id: int, text: str) -> None:
        self.channel.api.send_text(user_id, text)

    async def press(self, user_id: int, message_id: int, data: str) -> None:
        # The page waits for the bot's answer; the test answers through the API meanwhile.
        task = asyncio.create_task(self.channel.api.press(user_id, message_id, data, wait=2))
        await asyncio.sleep(0)
        self._presses = [*getattr(self, "_presses", []), task]

    async def flood(self, client: Api, chat_id: int) -> httpx.Response:
        # The local channel floods by itself, like Telegram: a burst, then about one a second.
        for n in range(40):
            response = await client.post("sendMessage", chat_id=chat_id, text=f"burst {n}")
            if response.status_code != 200:
                return response
        raise AssertionError("40 messages in a burst to one chat were all accepted")

    async def close(self) -> None:
        for task in getattr(self, "_presses", []):
            task.cancel()
        await self.channel.close()


@pytest.fixture(params=["double", "local"])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    backend: Backend
    if request.param == "double":
        double = BotApiDouble()
        backend = DoubleBackend(double, serve_http(double))
    else:
        backend = LocalBackend(await LocalChannel.open(tmp_path / "local.sqlite3", port=0))
    backend.add_user(USER)
    backend.add_user(OTHER)
    async with httpx.AsyncClient(timeout=10) as client:
        yield Api(client, backend)
    await backend.close()


def keyboard(*data: str) -> dict[str, Any]:
    return {
        "inline_keyboard": [[{"text": f"B{i}", "callback_data": d} for i, d in enumerate(data)]]
    }


async def test_send_message_returns_the_message(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=USER, text="  Hello  ", reply_markup=keyboard("x:1"))
    assert sent["chat"]["id"] == USER and sent["chat"]["type"] == "private"
    assert sent["text"] == "Hello"  # Telegram trims surrounding spaces
    assert sent["from"]["is_bot"] is True
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x:1"
    second = await api.ok("sendMessage", chat_id=USER, text="Again")
    assert second["message_id"] > sent["message_id"]


@pytest.mark.parametrize("text", ["", "   \n "])
async def test_empty_text_is_refused(api: Api, text: str) -> None:
    status, body = await api.error("sendMessage", chat_id=USER, text=text)
    assert status == 400 and body["description"] == "Bad Request: message text is empty"


async def test_unknown_and_missing_chat(api: Api) -> None:
    status, body = await api.error("sendMessage", chat_id=999_999_999, text="hi")
    assert status == 400 and body["description"] == "Bad Request: chat not found"
    status, body = await api.error("sendMessage", text="hi")
    assert status == 400 and body["description"] == "Bad Request: chat_id is empty"


async def test_edit_in_place_and_not_modified(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=USER, text="Vote?", reply_markup=keyboard("v:1"))
    mid = sent["message_id"]
    edited = await api.ok(
        "editMessageText", chat_id=USER, message_id=mid, text="Voted", reply_markup=keyboard("v:2")
    )
    assert edited["text"] == "Voted" and "edit_date" in edited
    status, body = await api.error(
        "editMessageText", chat_id=USER, message_id=mid, text="Voted", reply_markup=keyboard("v:2")
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    # Same text without the keyboard is a change: Telegram drops the keyboard.
    dropped = await api.ok("editMessageText", chat_id=USER, message_id=mid, text="Voted")
    assert "reply_markup" not in dropped
    status, body = await api.error(
        "editMessageReplyMarkup", chat_id=USER, message_id=mid, reply_markup={"inline_keyboard": []}
    )
    assert body["description"].startswith("Bad Request: message is not modified")
    status, body = await api.error("editMessageText", chat_id=USER, message_id=9999, text="x")
    assert status == 400 and body["description"] == "Bad Request: message to edit not found"


async def test_answer_a_press_once(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=USER, text="Press", reply_markup=keyboard("p:1"))
    await api.backend.press(USER, sent["message_id"], "p:1")
    updates = await api.ok("getUpdates", timeout=0)
    query = updates[-1]["callback_query"]
    assert query["data"] == "p:1" and query["from"]["id"] == USER
    assert query["message"]["message_id"] == sent["message_id"]
    assert await api.ok("answerCallbackQuery", callback_query_id=query["id"], text="Done") is True
    status, body = await api.error("answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400 and body["description"].startswith("Bad Request: query is too old")
    status, body = await api.error("answerCallbackQuery", callback_query_id="123")
    assert body["description"].startswith("Bad Request: query is too old")


async def test_delete_once(api: Api) -> None:
    sent = await api.ok("sendMessage", chat_id=USER, text="Soon gone")
    assert await api.ok("deleteMessage", chat_id=USER, message_id=sent["message_id"]) is True
    status, body = await api.error("deleteMessage", chat_id=USER, message_id=sent["message_id"])
    assert status == 400 and body["description"] == "Bad Request: message to delete not found"


async def test_flooding_one_chat_gets_429_with_retry_after(api: Api) -> None:
    response = await api.backend.flood(api, USER)
    body = response.json()
    assert response.status_code == 429 and body["ok"] is False and body["error_code"] == 429
    retry_after = body["parameters"]["retry_after"]
    assert isinstance(retry_after, int) and retry_after >= 1
    assert body["description"] == f"Too Many Requests: retry after {retry_after}"
    # Another chat is not held back by one chat's flood.
    await api.ok("sendMessage", chat_id=OTHER, text="still fine")


async def test_updates_with_offsets_and_long_polling(api: Api) -> None:
    await api.backend.user_writes(USER, "/start")
    updates = await api.ok("getUpdates", timeout=0)
    message = updates[-1]["message"]
    assert message["text"] == "/start" and message["from"]["id"] == USER
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    last = updates[-1]["update_id"]
    assert await api.ok("getUpdates", offset=last + 1, timeout=0) == []

    async def later() -> None:
        await asyncio.sleep(0.2)
        await api.backend.user_writes(USER, "hello")

    writer = asyncio.create_task(later())
    waited = await api.ok("getUpdates", offset=last + 1, timeout=5)
    await writer
    assert [u["message"]["text"] for u in waited] == ["hello"]
    assert waited[0]["update_id"] > last


async def test_files_up_and_down(api: Api) -> None:
    base = api.backend.base_url + api.backend.token
    csv = b"topic,count\nfood,3\n"
    response = await api.client.post(
        f"{base}/sendDocument",
        data={"chat_id": str(USER), "caption": "Report"},
        files={"document": ("report.csv", csv, "text/csv")},
    )
    body = response.json()
    assert body["ok"], body
    document = body["result"]["document"]
    assert document["file_name"] == "report.csv" and body["result"]["caption"] == "Report"
    found = await api.ok("getFile", file_id=document["file_id"])
    file_base = base.replace("/bot", "/file/bot", 1)
    download = await api.client.get(f"{file_base}/{found['file_path']}")
    assert download.status_code == 200 and download.content == csv
    png = b"\x89PNG\r\n\x1a\nchart"
    response = await api.client.post(
        f"{base}/sendPhoto",
        data={"chat_id": str(USER)},
        files={"photo": ("chart.png", png, "image/png")},
    )
    assert response.json()["result"]["photo"][0]["file_id"]
    _status, body = await api.error("getFile", file_id="nope")
    assert body["description"] == "Bad Request: invalid file_id"


async def test_form_encoded_requests_are_typed_like_telegram(api: Api) -> None:
    base = api.backend.base_url + api.backend.token
    markup = json.dumps(keyboard("f:1"))
    response = await api.client.post(
        f"{base}/sendMessage", data={"chat_id": str(USER), "text": "Form", "reply_markup": markup}
    )
    body = response.json()
    assert body["ok"] and body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "B0"


async def test_unknown_method_and_wrong_token(api: Api) -> None:
    response = await api.post("sendTelepathy", chat_id=USER)
    assert response.status_code == 404 and response.json()["description"] == "Not Found"
    wrong = api.backend.base_url + "1:wrong/getMe"
    response = await api.client.post(wrong)
    assert response.status_code == 401 and response.json()["description"] == "Unauthorized"
