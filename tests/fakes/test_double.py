"""The Bot API double itself, driven by a tiny real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from tests.fakes.double import (
    BotApiDouble,
    CommandsKey,
    ConnectionDropped,
    DoubleRequest,
    HttpDouble,
    TelegramDriver,
    serve_http,
)

ANN = 1001
BOB = 1002
GROUP = -500
App = Application[Any, Any, Any, Any, Any, Any]
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ],
        [InlineKeyboardButton("Site", url="https://example.org")],
    ]
)


# ---------------------------------------------------------------- the tiny bot under test


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_user
    name = update.effective_user.first_name
    await update.effective_message.reply_text(f"Hello, {name}!", reply_markup=KEYBOARD)


async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message
    await update.effective_message.reply_text("pong")


async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    raise ValueError("handler bug")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text)


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message
    kind = "photo" if update.effective_message.photo else "sticker"
    await update.effective_message.reply_text(f"nice {kind}")


async def choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"You chose {query.data}")
    await query.edit_message_text(f"Chosen: {query.data}")


def add_handlers(app: App) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("ping", ping))
    app.add_handler(CommandHandler("boom", boom))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Sticker.ALL, media))
    app.add_handler(CallbackQueryHandler(choice))


def in_process_app(double: BotApiDouble) -> App:
    builder = ApplicationBuilder().token(double.token).updater(None)
    app = builder.request(DoubleRequest(double)).get_updates_request(DoubleRequest(double)).build()
    add_handlers(app)
    return app


@dataclass
class Env:
    double: BotApiDouble
    app: App
    tg: TelegramDriver


@pytest.fixture
def double() -> BotApiDouble:
    double = BotApiDouble()
    double.user(ANN, first_name="Ann")
    double.user(BOB, first_name="Bob", language_code="cy")
    double.group(GROUP, "Wing A")
    return double


@pytest.fixture
async def env(double: BotApiDouble) -> AsyncIterator[Env]:
    app = in_process_app(double)
    async with app:
        yield Env(double, app, TelegramDriver(app, double))


@pytest.fixture
def server(double: BotApiDouble) -> Iterator[HttpDouble]:
    with serve_http(double) as running:
        yield running


async def eventually(condition: Callable[[], object], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int form will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


# ---------------------------------------------------------------- driver with the real app


@pytest.mark.asyncio
async def test_a_command_runs_the_real_handler_and_shows_a_keyboard(env: Env) -> None:
    shown = await env.tg.send(ANN, "/start")
    assert [m.text for m in shown] == ["Hello, Ann!"]
    assert env.tg.last_text(ANN) == "Hello, Ann!"
    assert env.tg.buttons(ANN) == ["Yes", "No", "Site"]
    assert shown[0].buttons[1][0].url == "https://example.org"
    assert [c.method for c in env.double.calls] == ["getMe", "sendMessage"]


@pytest.mark.asyncio
async def test_text_photo_and_sticker_reach_their_handlers(env: Env) -> None:
    assert [m.text for m in await env.tg.send(ANN, "just words")] == ["just words"]
    assert [m.text for m in await env.tg.send_photo(ANN)] == ["nice photo"]
    assert [m.text for m in await env.tg.send_sticker(ANN)] == ["nice sticker"]
    assert env.tg.texts(ANN) == ["just words", "nice photo", "nice sticker"]
    assert env.tg.texts(BOB) == []


@pytest.mark.asyncio
async def test_group_commands_addressed_to_this_bot_are_handled(env: Env) -> None:
    shown = await env.tg.send_in_group(GROUP, ANN, "/ping@council_test_bot")
    assert [(m.chat_id, m.text) for m in shown] == [(GROUP, "pong")]
    assert await env.tg.send_in_group(GROUP, ANN, "/ping@some_other_bot") == []
    assert env.double.sent_texts(GROUP) == ["pong"]


@pytest.mark.asyncio
async def test_pressing_a_button_answers_the_query_and_edits_in_place(env: Env) -> None:
    await env.tg.send(ANN, "/start")
    shown = await env.tg.press(ANN, "Yes")
    assert len(shown) == 1 and shown[0].edited and shown[0].text == "Chosen: yes"
    assert env.tg.answer_for(ANN) == "You chose yes"
    assert env.tg.answer_for(BOB) is None
    assert env.double.pending_callbacks() == []
    # One message, edited; the edit did not repeat the keyboard, so Telegram removed it.
    assert env.double.delivered_count(ANN) == 1
    assert env.double.chat(ANN)[0].buttons == [] and env.tg.buttons(ANN) == []
    assert [c.method for c in env.double.calls[-2:]] == ["answerCallbackQuery", "editMessageText"]


@pytest.mark.asyncio
async def test_press_explains_what_buttons_are_visible(env: Env) -> None:
    await env.tg.send(ANN, "/start")
    with pytest.raises(AssertionError, match=r"(?s)no button 'Maybe'.*\[Yes\] \[No\] / \[Site\]"):
        await env.tg.press(ANN, "Maybe")
    with pytest.raises(AssertionError, match="not a callback button"):
        await env.tg.press(ANN, "Site")


@pytest.mark.asyncio
async def test_forged_callback_data_reaches_the_handler(env: Env) -> None:
    await env.tg.send(ANN, "/start")
    message = env.double.last(ANN)
    assert message is not None
    shown = await env.tg.press_data(ANN, message.message_id, "admin")
    assert [m.text for m in shown] == ["Chosen: admin"]


@pytest.mark.asyncio
async def test_a_handler_crash_surfaces_unless_the_app_handles_errors(env: Env) -> None:
    with pytest.raises(ValueError, match="handler bug"):
        await env.tg.send(ANN, "/boom")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        pass

    env.app.add_error_handler(on_error)
    assert await env.tg.send(ANN, "/boom") == []
    assert [type(e) for e in env.tg.errors] == [ValueError, ValueError]


# ---------------------------------------------------------------- every error shape, in PTB


@pytest.mark.asyncio
async def test_telegram_validation_errors_surface_as_bad_request(env: Env) -> None:
    bot = env.app.bot
    cases: list[tuple[dict[str, Any], str]] = [
        ({"chat_id": ANN, "text": "  \n "}, "Message text is empty"),
        ({"chat_id": ANN, "text": "x" * 4097}, "Message is too long"),
        ({"chat_id": 999, "text": "hi"}, "Chat not found"),
        ({"chat_id": ANN, "text": "<b>x", "parse_mode": "HTML"}, "Can't parse entities"),
    ]
    for kwargs, message in cases:
        with pytest.raises(BadRequest, match=message):
            await bot.send_message(**kwargs)
    for data in ("x" * 65, "я" * 33, ""):  # 65 bytes, 66 bytes of UTF-8, empty
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(ANN, "hi", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ANN, b"jpeg", caption="c" * 1025)
    assert env.double.delivered_count(ANN) == 0

    ok = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="я" * 32)]])
    sent = await bot.send_message(ANN, "x" * 4096, reply_markup=ok)
    assert sent.reply_markup == ok
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", chat_id=ANN, message_id=sent.message_id + 5)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message"):
        await bot.edit_message_text("x" * 4096, ANN, sent.message_id, reply_markup=ok)
    with pytest.raises(BadRequest, match="Query is too old and response timeout expired"):
        await bot.answer_callback_query("12345")


@pytest.mark.asyncio
async def test_blocking_and_injected_faults_surface_as_ptb_exceptions(env: Env) -> None:
    bot = env.app.bot
    sent = await bot.send_message(ANN, "before")
    env.double.block(ANN)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(ANN, "hi")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("edited", ANN, sent.message_id)
    env.double.unblock(ANN)

    env.double.fail_next("sendMessage", error="429", retry_after=3)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(ANN, "hi")
    assert retry_seconds(retry.value) == 3
    env.double.fail_next("sendmessage", chat_id=BOB, error="403")  # only Bob's chat fails
    await bot.send_message(ANN, "to Ann")
    with pytest.raises(Forbidden):
        await bot.send_message(BOB, "to Bob")
    env.double.fail_next("sendMessage", error="400", description="Bad Request: chat is gone")
    with pytest.raises(BadRequest, match="Chat is gone"):
        await bot.send_message(ANN, "hi")
    env.double.fail_next("sendMessage", error="drop", count=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="connection dropped"):
            await bot.send_message(ANN, "lost")
    assert env.double.sent_texts(ANN) == ["before", "to Ann"]
    assert [c.status for c in env.double.calls[-6:]] == [429, 200, 403, 400, 0, 0]


@pytest.mark.asyncio
async def test_a_lost_answer_after_delivery_lets_tests_count_duplicates(env: Env) -> None:
    env.double.fail_next("sendMessage", error="drop_after")
    with pytest.raises(NetworkError):
        await env.app.bot.send_message(ANN, "once")
    await env.app.bot.send_message(ANN, "once")  # a naive retry
    assert env.double.delivered_count(ANN) == 2


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method(double: BotApiDouble) -> None:
    app = ApplicationBuilder().token("999:WRONG").request(DoubleRequest(double)).build()
    with pytest.raises(InvalidToken):
        await app.bot.initialize()
    await app.bot.shutdown()
    good = in_process_app(double)
    async with good:
        with pytest.raises(EndPointNotFound, match="'sendPigeon' not found"):
            await good.bot.do_api_request("sendPigeon", api_kwargs={"chat_id": ANN})


def test_handle_answers_exactly_like_telegram(double: BotApiDouble) -> None:
    assert double.handle("sendMessage", {"chat_id": ANN, "text": ""}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )
    assert double.handle("nope", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    double.fail_next("sendMessage", retry_after=7)
    assert double.handle("sendMessage", {"chat_id": ANN, "text": "x"}) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    double.block(BOB)
    assert double.handle("SENDMESSAGE", {"chat_id": BOB, "text": "x"}) == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    double.fail_next("sendMessage", error="drop")
    with pytest.raises(ConnectionDropped):
        double.handle("sendMessage", {"chat_id": ANN, "text": "x"})
    # Form-encoded parameters arrive as strings: Telegram types them.
    markup = json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})
    status, body = double.handle(
        "sendmessage", {"chat_id": str(ANN), "text": "7", "reply_markup": markup}
    )
    assert status == 200 and body["result"]["text"] == "7"
    assert body["result"]["reply_markup"] == json.loads(markup)
    assert double.calls[-1].method == "sendMessage" and double.calls[-1].params["chat_id"] == ANN
    # A user the double has only seen write to the bot is a known chat; others are not.
    assert double.handle("sendMessage", {"chat_id": 777, "text": "x"})[1]["description"] == (
        "Bad Request: chat not found"
    )
    double.message_update(777, "hello")
    assert double.handle("sendMessage", {"chat_id": 777, "text": "x"})[0] == 200
    message = double.last(ANN)
    assert (
        message is not None
        and message.labels == ["Go"]
        and message.buttons[0][0].callback_data == "go"
    )


def test_buttons_must_do_something(double: BotApiDouble) -> None:
    markup = {"inline_keyboard": [[{"text": "inert"}]]}
    status, body = double.handle(
        "sendMessage", {"chat_id": ANN, "text": "x", "reply_markup": markup}
    )
    assert status == 400
    assert body["description"].endswith("Text buttons are unallowed in the inline keyboard")


@pytest.mark.asyncio
async def test_returned_messages_are_full_ptb_messages(env: Env) -> None:
    message = await env.app.bot.send_message(ANN, "<b>Hi</b> &lt;you&gt;", parse_mode="HTML")
    assert message.from_user is not None and message.from_user.id == env.double.bot_id
    assert message.from_user.is_bot and message.chat.type == "private" and message.chat.id == ANN
    assert message.text == "Hi <you>" and message.entities[0].type == "bold"
    sent = env.double.last(ANN)
    assert sent is not None and sent.text == "Hi <you>" and sent.kind == "text"
    with pytest.raises(BadRequest, match=r"entities: character '\.' is reserved"):
        await env.app.bot.send_message(ANN, "Version 1.0", parse_mode="MarkdownV2")


@pytest.mark.asyncio
async def test_documents_are_recorded_with_bytes_and_filename_in_process(env: Env) -> None:
    message = await env.app.bot.send_document(
        ANN, b"minutes", filename="minutes.txt", caption="Notes"
    )
    sent = env.double.last(ANN)
    assert sent is not None
    assert (sent.kind, sent.filename, sent.data, sent.text) == (
        "document",
        "minutes.txt",
        b"minutes",
        "Notes",
    )
    assert message.document is not None and message.document.file_name == "minutes.txt"
    downloaded = await (
        await env.app.bot.get_file(message.document.file_id)
    ).download_as_bytearray()
    assert bytes(downloaded) == b"minutes"
    # Resending by file_id works; an unknown id is refused like Telegram does.
    await env.app.bot.send_document(BOB, message.document.file_id)
    assert env.double.chat(BOB)[0].data == b"minutes"
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await env.app.bot.send_document(BOB, "not-a-file-id")


@pytest.mark.asyncio
async def test_commands_are_kept_per_scope_and_language(env: Env) -> None:
    bot = env.app.bot
    await bot.set_my_commands([BotCommand("menu", "Open the menu")])
    scope = BotCommandScopeChat(ANN)
    await bot.set_my_commands([BotCommand("help", "Cymorth")], scope=scope, language_code="cy")
    assert env.double.commands[CommandsKey()] == [
        {"command": "menu", "description": "Open the menu"}
    ]
    chat_key = CommandsKey("chat", chat_id=ANN, language_code="cy")
    assert env.double.commands[chat_key][0]["command"] == "help"
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="cy")] == [
        "help"
    ]
    await bot.delete_my_commands(scope=scope, language_code="cy")
    assert chat_key not in env.double.commands
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Has Space", "x")])
    assert await bot.set_chat_menu_button() is True
    assert await bot.set_webhook("https://example.org/hook") is True
    with pytest.raises(Conflict):
        await bot.get_updates()
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    assert await bot.delete_webhook() is True
    assert await bot.send_chat_action(ANN, "typing") is True
    assert await bot.delete_message(ANN, (await bot.send_message(ANN, "tmp")).message_id) is True
    assert env.double.sent_texts(ANN) == [] and env.double.delivered_count(ANN) == 1


# ---------------------------------------------------------------- updates, polling, clocks


def test_get_updates_confirms_below_offset(double: BotApiDouble) -> None:
    for text in ("one", "two", "three"):
        double.push_update(double.message_update(ANN, text))
    first = double.handle("getUpdates", {})[1]["result"]
    assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
    assert "entities" not in first[0]["message"]  # plain text has no bot_command entity
    ids = [u["update_id"] for u in first]
    again = double.handle("getUpdates", {"offset": ids[1], "limit": 1})[1]["result"]
    assert [u["update_id"] for u in again] == [ids[1]]
    assert len(double.pending_updates) == 2  # "one" is confirmed and gone
    assert double.handle("getUpdates", {"offset": ids[2] + 1})[1]["result"] == []


def test_commands_in_updates_carry_a_bot_command_entity(double: BotApiDouble) -> None:
    update = double.message_update(ANN, "/start@council_test_bot abc", chat_id=GROUP)
    message = update["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 23}]
    assert message["chat"] == {"id": GROUP, "type": "group", "title": "Wing A"}
    assert message["from"]["id"] == ANN


def test_calls_are_stamped_by_the_injected_clock() -> None:
    now = [100.0]
    double = BotApiDouble(clock=lambda: now[0])
    double.user(ANN)
    double.handle("sendMessage", {"chat_id": ANN, "text": "a"})
    now[0] = 100.5
    double.handle("sendMessage", {"chat_id": ANN, "text": "b"})
    assert [c.at for c in double.calls] == [100.0, 100.5]


def test_random_faults_are_reproducible_by_seed(double: BotApiDouble) -> None:
    def statuses(seed: int) -> list[int]:
        double.fault_rates(p429=0.2, p403=0.1, pdrop=0.1, seed=seed)
        result = []
        for _ in range(200):
            try:
                result.append(double.handle("sendMessage", {"chat_id": ANN, "text": "x"})[0])
            except ConnectionDropped:
                result.append(0)
        return result

    first, second = statuses(seed=1), statuses(seed=1)
    assert first == second
    assert 20 <= first.count(429) <= 60 and 0 < first.count(403) and 0 < first.count(0)
    assert double.delivered_count(ANN) == 2 * first.count(200)
    double.fault_rates()  # all zero: off
    assert double.handle("sendMessage", {"chat_id": ANN, "text": "x"})[0] == 200


@pytest.mark.asyncio
async def test_in_process_long_poll_wakes_when_an_update_is_pushed(env: Env) -> None:
    def push_from_another_thread() -> None:
        time.sleep(0.1)
        env.double.push_update(env.double.message_update(ANN, "wake up"))

    pusher = asyncio.get_running_loop().run_in_executor(None, push_from_another_thread)
    started = time.monotonic()
    updates = await env.app.bot.get_updates(timeout=5)
    await pusher
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    started = time.monotonic()
    assert await env.app.bot.get_updates(offset=updates[0].update_id + 1, timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25  # an empty long poll waits out its timeout


# ---------------------------------------------------------------- the HTTP transport


@pytest.mark.asyncio
async def test_http_transport_carries_messages_errors_and_faults(
    double: BotApiDouble, server: HttpDouble
) -> None:
    app = ApplicationBuilder().token(double.token).base_url(server.base_url).updater(None).build()
    async with app:
        bot = app.bot
        assert bot.username == "council_test_bot"
        sent = await bot.send_message(ANN, "over http", reply_markup=KEYBOARD)
        assert sent.reply_markup == KEYBOARD and double.sent_texts(ANN) == ["over http"]
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(ANN, " ")
        double.fail_next("sendMessage", retry_after=2)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(ANN, "x")
        assert retry_seconds(retry.value) == 2
        double.block(BOB)
        with pytest.raises(Forbidden):
            await bot.send_message(BOB, "x")
        double.fail_next("sendMessage", error="drop")
        with pytest.raises(NetworkError):
            await bot.send_message(ANN, "lost")
        assert double.sent_texts(ANN) == ["over http"]
        await bot.send_message(ANN, "after the drop")  # a fresh connection works
        await bot.edit_message_text("changed", ANN, sent.message_id)
        assert double.chat(ANN)[0].text == "changed" and double.chat(ANN)[0].edited


@pytest.mark.asyncio
async def test_multipart_uploads_over_http_keep_bytes_and_filename(
    double: BotApiDouble, server: HttpDouble
) -> None:
    builder = ApplicationBuilder().token(double.token).base_url(server.base_url).updater(None)
    app = builder.base_file_url(server.base_file_url).build()
    async with app:
        payload = bytes(range(256)) * 4
        name = 'zápis "B".bin'
        await app.bot.send_document(
            ANN, payload, filename=name, caption="<i>raw</i>", parse_mode="HTML"
        )
        await app.bot.send_photo(BOB, b"\xff\xd8jpeg", caption="pic")
        # A photo a user sent can be fetched back with getFile and a file download.
        user_photo = double.photo_update(ANN)["message"]["photo"][-1]["file_id"]
        download = await (await app.bot.get_file(user_photo)).download_as_bytearray()
        assert bytes(download).startswith(b"\xff\xd8")
    document, photo = double.last(ANN), double.last(BOB)
    assert document is not None and photo is not None
    assert (document.filename, document.data, document.text) == (name, payload, "raw")
    assert document.entities == [{"type": "italic", "offset": 0, "length": 3}]
    assert (photo.kind, photo.data, photo.text) == ("photo", b"\xff\xd8jpeg", "pic")


@pytest.mark.asyncio
async def test_http_long_polling_delivers_a_pushed_update_to_a_running_app(
    double: BotApiDouble, server: HttpDouble
) -> None:
    app = ApplicationBuilder().token(double.token).base_url(server.base_url).build()
    add_handlers(app)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        await eventually(lambda: any(c.method == "getUpdates" for c in double.calls))
        await asyncio.sleep(0.1)  # the poll is now parked on the server
        started = time.monotonic()
        double.push_update(double.message_update(ANN, "/start"))
        await eventually(lambda: double.last(ANN) is not None)
        assert time.monotonic() - started < 2  # woken by the push, not by the 5 s timeout
        assert double.sent_texts(ANN) == ["Hello, Ann!"]
        await app.updater.stop()
        await app.stop()
    assert double.pending_updates == []  # the final getUpdates confirmed it


@pytest.mark.asyncio
async def test_http_empty_long_poll_blocks_until_its_timeout(
    double: BotApiDouble, server: HttpDouble
) -> None:
    app = ApplicationBuilder().token(double.token).base_url(server.base_url).updater(None).build()
    async with app:
        started = time.monotonic()
        assert await app.bot.get_updates(timeout=1) == ()
        assert 0.9 <= time.monotonic() - started < 3


def _raw(server: HttpDouble, path: str, body: bytes | None, content_type: str) -> tuple[int, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=body)
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_raw_http_paths_tokens_and_encodings(double: BotApiDouble, server: HttpDouble) -> None:
    token = double.token
    assert _raw(server, "/botWRONG/getMe", b"{}", "application/json") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert _raw(server, f"/bot{token}/sendPigeon", b"{}", "application/json")[0] == 404
    status, body = _raw(server, f"/bot{token}/getMe", None, "application/json")
    assert status == 200 and body["result"]["username"] == "council_test_bot"
    form = f"chat_id={ANN}&text=hello+form&reply_markup=%7B%22inline_keyboard%22%3A%5B%5D%7D"
    status, body = _raw(
        server, f"/bot{token}/sendMessage", form.encode(), "application/x-www-form-urlencoded"
    )
    assert status == 200 and body["result"]["text"] == "hello form"
    payload = json.dumps({"chat_id": ANN, "text": ""}).encode()
    assert _raw(server, f"/bot{token}/sendMessage", payload, "application/json")[1][
        "description"
    ] == ("Bad Request: message text is empty")
    double.fail_next("getMe", error="drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        _raw(server, f"/bot{token}/getMe", None, "application/json")
