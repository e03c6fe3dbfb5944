"""bot/botapi.py: Telegram's Bot API rules, written once for the in-cell channel and the double.

The two servers agree by construction: neither overrides a Telegram method of ``FakeBotApi``
(checked below), both type form values and read bodies with the same functions, and both take
their limits and error texts from the same constants. What each keeps of its own (where chats and
files live, the channel's flood limits, the double's faults) is still run against both in
tests/fakes/test_local_contract.py.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.botapi import (
    BUTTON_DATA_INVALID,
    CALLBACK_DATA_LIMIT,
    TEXT_LIMIT,
    ApiError,
    Button,
    CommandsKey,
    FakeBotApi,
    FloodGuard,
    check_text,
    command_entities,
    confirm_updates,
    decode_params,
    error_body,
    parse_body,
    parse_button,
    read_reply_markup,
    too_many_requests,
)
from bot.local.api import LocalBotApi
from tests.fakes.double import BotApiDouble

USER = 200000001


def _telegram_methods() -> dict[str, Any]:
    """Telegram's methods as FakeBotApi answers them (name -> function)."""
    table = FakeBotApi._method_table(BotApiDouble())
    return {name: getattr(FakeBotApi, fn.__name__) for name, fn in table}


@pytest.mark.parametrize("server", [LocalBotApi, BotApiDouble])
def test_neither_server_rewrites_a_telegram_method(server: type[FakeBotApi[Any, Any]]) -> None:
    # A rule changed in one subclass would let the two drift apart again: rules change here.
    for name, function in _telegram_methods().items():
        if getattr(function, "__isabstractmethod__", False):
            continue  # webhooks: refused on a closed network, kept by the double
        assert getattr(server, function.__name__) is function, f"{server.__name__} {name}"
    shared = {"_input_file", "_edit", "_menu_chat"}
    for helper in shared:
        assert getattr(server, helper) is getattr(FakeBotApi, helper)


def test_both_servers_answer_the_same_methods() -> None:
    double = {name for name, _ in BotApiDouble()._method_table()}
    local_methods = {name for name, _ in LocalBotApi._method_table(_local_without_store())}
    telegram = set(_telegram_methods())
    assert telegram <= double and telegram <= local_methods
    # What is left is each one's own: the double's getUpdates (the channel's waits, async) and
    # the channel's getChat.
    assert double - telegram == {"getUpdates"}
    assert local_methods - telegram == {"getChat"}


def _local_without_store() -> LocalBotApi:
    return LocalBotApi(None, "7000000001:secret")  # type: ignore[arg-type]  # no method is run


def test_get_me_is_a_bot() -> None:
    double = BotApiDouble()
    status, body = double.handle("getMe", {})
    me = body["result"]
    assert status == 200 and me["is_bot"] is True and me["id"] == double.bot_id and me["username"]
    assert me["can_join_groups"] is True  # the double has groups; the in-cell channel has none
    assert _local_without_store()._get_me({}, {})["can_join_groups"] is False


def test_text_limit_is_4096_characters() -> None:
    check_text("a" * TEXT_LIMIT, TEXT_LIMIT, "too long", required=True)
    with pytest.raises(ApiError) as refused:
        check_text(
            "a" * (TEXT_LIMIT + 1), TEXT_LIMIT, "Bad Request: message is too long", required=True
        )
    assert refused.value.body() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message is too long",
    }
    with pytest.raises(ApiError, match="message text is empty"):
        check_text("", TEXT_LIMIT, "too long", required=True)
    check_text("", 1024, "too long", required=False)  # a photo without a caption


def test_callback_data_limit_is_64_bytes() -> None:
    assert parse_button({"text": "B", "callback_data": "x" * CALLBACK_DATA_LIMIT}).callback_data
    for data in ("x" * 65, "€" * 22, "", 7):  # 22 three-byte letters are 66 bytes
        with pytest.raises(ApiError) as refused:
            parse_button({"text": "B", "callback_data": data})
        assert refused.value.description == BUTTON_DATA_INVALID
    with pytest.raises(ApiError, match="Text buttons are unallowed"):
        parse_button({"text": "B"})
    with pytest.raises(ApiError, match='Field "text" must be of type String'):
        parse_button({"callback_data": "x"})


def test_reply_markup_keeps_any_keyboard_and_reads_inline_buttons() -> None:
    inline = {"inline_keyboard": [[{"text": "A", "callback_data": "a", "web_app": {}}]]}
    assert read_reply_markup({"reply_markup": inline}) == (inline, [[Button("A", "a")]])
    reply = {"keyboard": [["Yes"]]}
    assert read_reply_markup({"reply_markup": reply}) == (reply, [])
    assert read_reply_markup({}) == (None, [])
    with pytest.raises(ApiError, match="can't parse reply keyboard markup"):
        read_reply_markup({"reply_markup": "not json"})
    with pytest.raises(ApiError, match="should be an Array of Arrays"):
        read_reply_markup({"reply_markup": {"inline_keyboard": [{"text": "A"}]}})
    assert Button("A", "a", None).as_json() == {"text": "A", "callback_data": "a"}


def test_errors_as_telegram_words_them() -> None:
    assert error_body(404, "Not Found") == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found",
    }
    assert too_many_requests(3).body() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }


def test_form_values_are_typed_like_telegram() -> None:
    markup = {"inline_keyboard": [[{"text": "B", "callback_data": "f:1"}]]}
    decoded = decode_params(
        {
            "chat_id": "-100",
            "message_id": "x7",  # not a number: left for the method to refuse
            "show_alert": "True",
            "reply_markup": json.dumps(markup),
            "entities": "[oops",
            "text": "42",
        }
    )
    assert decoded == {
        "chat_id": -100,
        "message_id": "x7",
        "show_alert": True,
        "reply_markup": markup,
        "entities": "[oops",
        "text": "42",
    }


def test_bodies_read_as_the_bot_sends_them() -> None:
    data = b"\r\n--not-the-boundary\r\n\x00\xff" * 100 + b"\r"
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/bot1:x/sendDocument",
        data={"chat_id": str(USER), "caption": 'Café "report"\r\nline two', "empty": ""},
        files={"document": ('report "May" é.csv', data, "text/csv")},
    )
    params, files = parse_body(request.headers["Content-Type"], request.read(), "chat_id=1&x=")
    assert params == {
        "chat_id": str(USER),  # the body wins over the query string
        "x": "",
        "caption": 'Café "report"\r\nline two',
        "empty": "",
    }
    assert files == {"document": ('report "May" é.csv', data)}
    assert parse_body("application/json", b'{"chat_id": 5}') == ({"chat_id": 5}, {})
    assert parse_body("application/x-www-form-urlencoded", b"a=1&b=") == ({"a": "1", "b": ""}, {})
    assert parse_body("", b"", "a=1") == ({"a": "1"}, {})
    for content_type, body in (
        ("application/json", b"[1]"),
        ("application/json", b"{"),
        ("multipart/form-data", b"--x\r\n\r\n--x--"),
    ):
        with pytest.raises(ValueError):
            parse_body(content_type, body)


def test_commands_entity_counts_utf16_units() -> None:
    assert command_entities("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("/start@council_bot") == [
        {"type": "bot_command", "offset": 0, "length": 18}
    ]
    assert command_entities("hello /start") == []


def test_offsets_confirm_and_limit_updates() -> None:
    updates = [{"update_id": n} for n in range(1, 6)]
    assert confirm_updates(updates, {"offset": 3, "limit": 2}) == [
        {"update_id": 3},
        {"update_id": 4},
    ]
    assert [u["update_id"] for u in updates] == [3, 4, 5]  # 1 and 2 are forgotten
    assert confirm_updates(updates, {"offset": -1}) == [{"update_id": 5}]
    assert confirm_updates(updates, {"limit": 0}) == [{"update_id": 5}]


def test_commands_per_scope_and_language() -> None:
    double = BotApiDouble()
    double.user(USER)
    commands = [{"command": "start", "description": "Start"}]
    scope = {"type": "chat", "chat_id": USER}
    assert double.handle("setMyCommands", {"commands": commands, "scope": scope})[0] == 200
    assert double.commands == {CommandsKey("chat", USER, None, ""): commands}
    assert double.handle("getMyCommands", {"scope": scope})[1]["result"] == commands
    assert double.handle("deleteMyCommands", {"scope": scope})[0] == 200
    assert double.handle("getMyCommands", {"scope": scope})[1]["result"] == []
    for bad_command in ({"command": "Bad!", "description": "x"}, {"command": "ok"}):
        status, body = double.handle("setMyCommands", {"commands": [bad_command]})
        assert status == 400 and body["description"].startswith("Bad Request: BOT_COMMAND")
    assert double.handle("sendChatAction", {"chat_id": USER, "action": "typing"})[0] == 200
    status, body = double.handle("sendChatAction", {"chat_id": USER, "action": "dancing"})
    assert body["description"] == "Bad Request: wrong parameter action in request"


def test_flood_guard_holds_a_chat_and_lets_it_go() -> None:
    now = [0.0]
    guard = FloodGuard(lambda: now[0], private_burst=2, private_rate=1.0)
    assert [guard.take(USER), guard.take(USER)] == [0, 0]
    assert guard.take(USER) == 1  # retry_after in whole seconds
    assert guard.take(USER + 1) == 0  # another chat is not held back
    now[0] += 1.0
    assert guard.take(USER) == 0
