"""The local channel's web server, on aiohttp.web: two listeners in the bot's own process.

  the Bot API, on 127.0.0.1 only (never proxied):
    /bot<token>/<method>       the channel's base_url (the bot in the same process takes the
                               same calls without a socket: bot/local/transport.py)
    /file/bot<token>/<path>    file downloads, as api.telegram.org serves them
  the page, on [local] host and port (behind the establishment's reverse proxy and TLS):
    /, /static/*               the chat page
    /api/*                     its JSON API (docs/LOCAL_CHANNEL.md)
    /api/signin/*, /signin/*   sign-in, when [local] signin is "pin" or "oidc" (docs/INCELL.md)

The Bot API's methods, limits and errors are bot/botapi.py and bot/local/api.py; this module
only turns HTTP into their calls. Without a Gate (the demo) anyone on the page acts as anyone;
with one, every page call belongs to one signed-in person and reaches their chat only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot import i18n
from bot.botapi import ApiError, Files, JsonDict, error_body, parse_body
from bot.local.api import LocalBotApi
from bot.local.signin import Gate, Refused, Session
from bot.local.store import ChatMessage, Persona

log = logging.getLogger(__name__)

MAX_BOT_BODY_BYTES = 50 * 1024 * 1024  # Telegram's upload limit for bots
DEMO_BODY_BYTES = 64 * 1024
IDLE_TIMEOUT_S = 75.0  # an idle keep-alive connection is closed after this long
PAGE_POLL_LIMIT_S = 30.0
SESSION_COOKIE = "incell_session"
LOGIN_COOKIE = "incell_login"  # binds an OpenID Connect round trip to the browser that began it

_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
# Nothing on the page comes from anywhere but this server.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _PageError(Exception):
    def __init__(self, status: int, text: str, **params: Any) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.params = params


def _json(status: int, value: Any) -> web.Response:
    return web.json_response(
        value,
        status=status,
        dumps=lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    )


class LocalServer:
    """Serves one LocalBotApi. ``await start()``, then ``base_url`` is the bot's."""

    def __init__(
        self,
        api: LocalBotApi,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        gate: Gate | None = None,
        bot_port: int = 0,
        max_body_bytes: int = DEMO_BODY_BYTES,
        slow_client_s: float = 15.0,
        public_url: str = "",
    ) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.gate = gate
        self.bot_port = bot_port
        self.max_body_bytes = max_body_bytes
        self.slow_client_s = slow_client_s
        self.public_url = public_url.rstrip("/")
        self._runners: list[web.AppRunner] = []

    @property
    def address(self) -> str:
        """The page's own address on this machine."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.bot_port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.bot_port}/file/bot"

    # ------------------------------------------------------------------ start and stop

    async def start(self) -> None:
        bot = web.Application(client_max_size=MAX_BOT_BODY_BYTES)
        bot.router.add_route("*", r"/bot{token}/{method:[A-Za-z0-9_]+}{slash:/?}", self._bot_api)
        bot.router.add_get(r"/file/bot{token}/{path:.+}", self._download)
        bot.router.add_route("*", "/{tail:.*}", self._bot_not_found)

        page = web.Application(
            client_max_size=self.max_body_bytes, middlewares=[self._page_middleware]
        )
        page.router.add_get("/", self._index)
        page.router.add_get("/favicon.ico", self._favicon)
        page.router.add_get("/static/{name}", self._static)
        page.router.add_get("/api/session", self._session_info)
        page.router.add_get("/api/strings", self._strings)
        page.router.add_get("/api/state", self._state)
        page.router.add_get("/api/chat", self._chat)
        page.router.add_get("/api/changes", self._changes)
        page.router.add_get("/api/files/{file_id}", self._file)
        page.router.add_post("/api/send", self._send)
        page.router.add_post("/api/press", self._press)
        page.router.add_post("/api/alive", self._alive)
        page.router.add_post("/api/personas", self._add_persona)
        page.router.add_post("/api/signin/pin", self._pin_sign_in)
        page.router.add_post("/api/signin/join", self._pin_join)
        page.router.add_post("/api/signin/reset", self._pin_reset)
        page.router.add_post("/api/signin/link", self._oidc_link)
        page.router.add_post("/api/signout", self._sign_out)
        page.router.add_get("/signin/oidc", self._oidc_start)
        page.router.add_get("/signin/oidc/callback", self._oidc_callback)

        # access_log=None: a request line carries the bot's token or a provider's one-time code.
        # keepalive_timeout also closes a connection that never finishes its headers.
        bot_runner = web.AppRunner(
            bot, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        page_runner = web.AppRunner(
            page,
            access_log=None,
            handler_cancellation=True,
            keepalive_timeout=self.slow_client_s,
            shutdown_timeout=0.5,
        )
        for runner in (bot_runner, page_runner):
            await runner.setup()
            self._runners.append(runner)
        try:
            bot_site = web.TCPSite(bot_runner, "127.0.0.1", self.bot_port, backlog=256)
            await bot_site.start()
            self.bot_port = _bound_port(bot_runner)
            page_site = web.TCPSite(
                page_runner, self.host, self.port, backlog=512, reuse_address=True
            )
            await page_site.start()
            self.port = _bound_port(page_runner)
        except OSError:
            await self.close()
            raise

    async def close(self) -> None:
        self.api.wake_all()
        for runner in reversed(self._runners):
            with contextlib.suppress(Exception):
                await runner.cleanup()
        self._runners = []

    # ------------------------------------------------------------------ the bot's doors

    async def _bot_not_found(self, request: web.Request) -> web.Response:
        return _json(404, error_body(404, "Not Found"))

    async def _bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            return _json(401, error_body(401, "Unauthorized"))
        try:
            params, files = await _bot_params(request)
        except web.HTTPRequestEntityTooLarge:
            return _json(413, error_body(413, "Request Entity Too Large"))
        except ValueError:
            return _json(400, error_body(400, "Bad Request: can't parse request body"))
        status, body = await self.api.call(request.match_info["method"], params, files)
        return _json(status, body)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            return _json(404, error_body(404, "Not Found"))
        stored = self.api.file_content(request.match_info["path"])
        if stored is None:
            return _json(404, error_body(404, "Not Found"))
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ------------------------------------------------------------------ the page's door

    @web.middleware
    async def _page_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            self._check_origin(request)
            response = await handler(request)
        except _PageError as error:
            body: JsonDict = {"error": error.text}
            if error.params:
                body["params"] = error.params
            response = _json(error.status, body)
        except Refused as refused:
            response = _json(refused.status, {"error": refused.reason, "params": refused.params})
        except web.HTTPRequestEntityTooLarge:
            response = _json(413, {"error": "too_large"})
        except web.HTTPException as http:
            if http.status < 400:  # the sign-in redirects: aiohttp wants them raised
                http.headers["Cache-Control"] = "no-store"
                http.headers.update(_PAGE_HEADERS)
                raise
            response = _json(http.status, {"error": http.reason})
        except TimeoutError:
            response = _json(408, {"error": "too_slow"})
        # Nothing of a chat is kept by the browser or a proxy: not in cache, not in history.
        if request.path.startswith(("/api/", "/signin/")) or self.gate is not None:
            response.headers["Cache-Control"] = "no-store"
        for name, value in _PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _check_origin(self, request: web.Request) -> None:
        # Another web site open in the same browser must not drive the page's API.
        if self.gate is None:
            # The demo: the Host must be this server (no DNS rebinding), writes must be JSON.
            host = (request.host or "").rsplit(":", 1)[0].lower()
            wildcard = self.host in ("0.0.0.0", "::")  # noqa: S104
            if request.path.startswith("/api/") and not wildcard:
                if host not in _LOCAL_NAMES | {self.host}:
                    raise _PageError(403, "this page only answers on its own address")
        if request.method == "POST":
            if request.content_type != "application/json":
                raise _PageError(415, "send JSON")
            origin = request.headers.get("Origin")
            own = {f"{request.scheme}://{request.host}", _origin(self.public_url or self.address)}
            if origin and origin not in own:
                raise _PageError(403, "other_site")
            if request.headers.get("Sec-Fetch-Site") == "cross-site":
                raise _PageError(403, "other_site")

    async def _body(self, request: web.Request) -> JsonDict:
        # A slow client may not hold a request open: the whole body within the limit's time.
        async with asyncio.timeout(self.slow_client_s):
            raw = await request.read()
        try:
            value = json.loads(raw or b"{}")
        except ValueError:
            raise _PageError(400, "the body is not JSON") from None
        if not isinstance(value, dict):
            raise _PageError(400, "the body must be a JSON object")
        return value

    # -- who is asking

    def _session(self, request: web.Request) -> Session | None:
        if self.gate is None:
            return None
        return self.gate.session(request.cookies.get(SESSION_COOKIE))

    def _person(self, request: web.Request, *, write: bool = False) -> int | None:
        """The signed-in person's chat id (None in the demo: anyone is anyone). A write must
        carry the session's CSRF token."""
        if self.gate is None:
            return None
        session = self._session(request)
        if session is None or session.user_id is None:
            raise _PageError(401, "session_ended")
        if write and not self.gate.csrf_ok(session, request.headers.get("X-CSRF-Token")):
            raise _PageError(403, "csrf")
        return session.user_id

    def _own_chat(self, request: web.Request, asked: Any, *, write: bool = False) -> int:
        me = self._person(request, write=write)
        if me is None:
            return _int(asked)
        if asked not in (None, "") and _int(asked) != me:
            raise _PageError(403, "not_your_chat")  # another person's ids: refused, every path
        return me

    def _set_session_cookie(self, response: web.StreamResponse, token: str) -> None:
        assert self.gate is not None
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            secure=self.gate.settings.secure_cookies,
            path="/",
        )

    # -- the page and its words

    async def _index(self, request: web.Request) -> web.Response:
        return _static("index.html")

    async def _favicon(self, request: web.Request) -> web.Response:
        return _static("icon.svg")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in _STATIC:
            raise _PageError(404, "Not Found")
        return _static(name)

    async def _strings(self, request: web.Request) -> web.Response:
        return _json(200, {lang: page_strings(lang) for lang in i18n.LANGUAGES})

    async def _session_info(self, request: web.Request) -> web.Response:
        """What the page should show: the demo, a sign-in form, or one person's chat. A visitor
        gets a session here (not signed in) so that sign-in forms carry a CSRF token too."""
        if self.gate is None:
            return _json(200, {"mode": "demo"})
        gate = self.gate
        token = request.cookies.get(SESSION_COOKIE)
        session = gate.session(token)
        fresh = None
        if session is None:
            fresh, session = gate.new_session()
        person = self.api.store.persona(session.user_id) if session.user_id else None
        body: JsonDict = {
            "mode": gate.settings.signin,
            "signed_in": person is not None,
            "linking": session.pending_subject is not None,
            "csrf": session.csrf,
            "kiosk": gate.settings.kiosk,
            "idle_seconds": int(gate.idle_s),
        }
        if person is not None:
            body["person"] = _persona(person)
        response = _json(200, body)
        if fresh is not None:
            self._set_session_cookie(response, fresh)
        return response

    # -- the chat

    async def _state(self, request: web.Request) -> web.Response:
        me = self._person(request)
        api = self.api
        if me is None:
            personas = api.personas()
        else:
            own = api.store.persona(me)
            personas = [own] if own is not None else []
        return _json(
            200,
            {
                "bot": api.bot_user["first_name"],
                "personas": [_persona(p) for p in personas],
                "cursor": api.store.cursor,
            },
        )

    async def _chat(self, request: web.Request) -> web.Response:
        chat = self._own_chat(request, request.query.get("id"))
        api = self.api
        persona = api.store.persona(chat)
        if persona is None:
            raise _PageError(404, "no such person")
        cursor = api.store.cursor
        messages = api.store.history(chat)
        return _json(
            200,
            {
                "messages": [_page_message(m, api) for m in messages],
                "cursor": cursor,
                "commands": api.commands_for(chat, persona.language),
            },
        )

    async def _changes(self, request: web.Request) -> web.Response:
        since = _int(request.query.get("since", "0"))
        chat_text = request.query.get("chat")
        if self.gate is None:
            only = _int(chat_text) if chat_text else None
        else:
            only = self._own_chat(request, chat_text)
        wait = min(float(_int(request.query.get("timeout", "0"))), PAGE_POLL_LIMIT_S)
        changed, cursor = await self.api.changes(since, only, wait=wait)
        if only is not None and self._session(request) is None and self.gate is not None:
            raise _PageError(401, "session_ended")  # signed out (or timed out) while waiting
        return _json(
            200,
            {
                "messages": [_page_message(m, self.api) for m in changed],
                "cursor": cursor,
                # The store restarted behind the page's back: load the chat again.
                "reset": since > self.api.store.cursor,
            },
        )

    async def _send(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat = self._own_chat(request, body.get("chat"), write=True)
        self._touch(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise _PageError(400, "text is missing")
        try:
            message = self.api.send_text(chat, text)
        except ApiError as error:
            return _json(error.status, {"error": error.description})
        return _json(200, {"message": _page_message(message, self.api)})

    async def _press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        chat = self._own_chat(request, body.get("chat"), write=True)
        self._touch(request)
        data = body.get("data")
        if not isinstance(data, str):
            raise _PageError(400, "data is missing")
        try:
            answer = await self.api.press(chat, _int(body.get("message_id")), data)
        except ApiError as error:
            return _json(error.status, {"error": error.description})
        return _json(200, {"answer": answer})

    async def _alive(self, request: web.Request) -> web.Response:
        """The person is reading or typing: their idle time starts again."""
        await self._body(request)
        self._person(request, write=True)
        self._touch(request)
        return _json(200, {"ok": True})

    def _touch(self, request: web.Request) -> None:
        session = self._session(request)
        if session is not None and self.gate is not None:
            self.gate.touch(session)

    async def _add_persona(self, request: web.Request) -> web.Response:
        if self.gate is not None:
            raise _PageError(404, "no such page call")  # the demo's "Add a person" only
        body = await self._body(request)
        name = str(body.get("name") or "").strip()[:64]
        if not name:
            raise _PageError(400, "name is missing")
        api = self.api
        taken = {p.user_id for p in api.personas()}
        user_id = next(n for n in range(700_000_001, 800_000_000) if n not in taken)
        persona = Persona(user_id, name, "", str(body.get("language") or "en")[:8])
        api.store.add_persona(persona)
        return _json(200, {"persona": _persona(persona)})

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        me = self._person(request)
        stored = self.api.store.file(file_id)
        if stored is None or (me is not None and not self.api.store.in_chat(me, file_id)):
            raise _PageError(404, "no such file")  # another person's file looks like none
        mime = stored.mime_type or "application/octet-stream"
        headers = {"Cache-Control": "private, max-age=86400"}
        if stored.kind != "photo":
            name = stored.filename or stored.path.rsplit("/", 1)[-1]
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return web.Response(body=stored.data, headers={**headers, "Content-Type": mime})

    # -- sign-in

    def _gate_for(self, request: web.Request, *, mode: str) -> tuple[Gate, Session]:
        """The gate, and the visitor's session whose CSRF token this sign-in form carries."""
        if self.gate is None or self.gate.settings.signin != mode:
            raise _PageError(404, "no such page call")
        session = self.gate.session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise _PageError(401, "signin_expired")
        if not self.gate.csrf_ok(session, request.headers.get("X-CSRF-Token")):
            raise _PageError(403, "csrf")
        return self.gate, session

    def _signed_in(self, token: str, **extra: Any) -> web.Response:
        response = _json(200, {"ok": True, **extra})
        self._set_session_cookie(response, token)
        return response

    async def _pin_sign_in(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        gate, _ = self._gate_for(request, mode="pin")
        token = await gate.pin_sign_in(
            request.cookies.get(SESSION_COOKIE), str(body.get("reference") or ""), _pin(body)
        )
        return self._signed_in(token)

    async def _pin_join(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        gate, _ = self._gate_for(request, mode="pin")
        token, reference = await gate.pin_join(
            request.cookies.get(SESSION_COOKIE), str(body.get("code") or ""), _pin(body)
        )
        return self._signed_in(token, reference=reference)

    async def _pin_reset(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        gate, _ = self._gate_for(request, mode="pin")
        token = await gate.pin_reset(
            request.cookies.get(SESSION_COOKIE),
            str(body.get("reference") or ""),
            str(body.get("code") or ""),
            _pin(body),
        )
        return self._signed_in(token)

    async def _oidc_link(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        gate, session = self._gate_for(request, mode="oidc")
        await gate.oidc_link(session, str(body.get("code") or ""))
        person = self.api.store.persona(session.user_id) if session.user_id else None
        return _json(200, {"ok": True, "reference": person.name if person else None})

    async def _sign_out(self, request: web.Request) -> web.Response:
        await self._body(request)
        if self.gate is None:
            raise _PageError(404, "no such page call")
        session = self._session(request)
        if session is not None and not self.gate.csrf_ok(
            session, request.headers.get("X-CSRF-Token")
        ):
            raise _PageError(403, "csrf")
        self.gate.sign_out(request.cookies.get(SESSION_COOKIE))
        response = _json(200, {"ok": True})
        response.del_cookie(SESSION_COOKIE, path="/")
        # The browser forgets what it held for this site: cache and storage (history is the
        # page's own job: it replaces itself).
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response

    def _redirect_uri(self) -> str:
        return f"{self.public_url or self.address}/signin/oidc/callback"

    async def _oidc_start(self, request: web.Request) -> web.StreamResponse:
        if self.gate is None or self.gate.settings.signin != "oidc":
            raise _PageError(404, "no such page call")
        url, binding = await self.gate.oidc_start(self._redirect_uri())
        response = web.HTTPFound(url)
        # Lax, not Strict: it must come back with the provider's (cross-site) redirect.
        response.set_cookie(
            LOGIN_COOKIE,
            binding,
            httponly=True,
            samesite="Lax",
            secure=self.gate.settings.secure_cookies,
            path="/signin/",
            max_age=600,
        )
        raise response

    async def _oidc_callback(self, request: web.Request) -> web.StreamResponse:
        if self.gate is None or self.gate.settings.signin != "oidc":
            raise _PageError(404, "no such page call")
        state, code = request.query.get("state", ""), request.query.get("code", "")
        problem = ""
        token = None
        if request.query.get("error") or not state or not code:
            problem = "signin_refused"
        else:
            try:
                token, _ = await self.gate.oidc_finish(
                    request.cookies.get(SESSION_COOKIE),
                    request.cookies.get(LOGIN_COOKIE),
                    state,
                    code,
                    self._redirect_uri(),
                )
            except Refused as refused:
                problem = refused.reason
        # Back to the page, which shows the chat, the invite code form, or why not.
        response = web.HTTPFound("/" + (f"?problem={problem}" if problem else ""))
        response.del_cookie(LOGIN_COOKIE, path="/signin/")
        if token is not None:
            self._set_session_cookie(response, token)
        raise response


def _bound_port(runner: web.AppRunner) -> int:
    server = runner.addresses[0]
    return int(server[1])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _pin(body: JsonDict) -> str:
    pin = body.get("pin")
    return pin.strip() if isinstance(pin, str) else ""


async def _bot_params(request: web.Request) -> tuple[JsonDict, Files]:
    """Bot API parameters from the query and a JSON, urlencoded or multipart body: read as the
    tests' double of Telegram reads them (bot/botapi.py), so both agree by construction."""
    body = await request.read() if request.body_exists else b""
    return parse_body(request.headers.get("Content-Type", ""), body, request.query_string)


def page_strings(lang: str) -> dict[str, str]:
    """The page's own words (bot/locale/<lang>/local.toml and incell.toml), without prefix."""
    return {
        key.split(".", 1)[1] if key.startswith("local.") else key: text
        for key, text in i18n.catalogue(lang).items()
        if key.startswith(("local.", "incell."))
    }


def _persona(persona: Persona) -> JsonDict:
    labels = _role_labels(persona.role_label)
    return {
        "id": persona.user_id,
        "name": persona.name,
        # In the person's language; "roles" has it in each page language.
        "role": labels.get(persona.language) or labels.get("en") or "",
        "roles": labels,
        "language": persona.language,
    }


def _role_labels(stored: str) -> dict[str, str]:
    """The seed keeps a label per language as JSON; older stores have one plain label."""
    if stored.startswith("{"):
        with contextlib.suppress(ValueError):
            value = json.loads(stored)
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
    return {lang: stored for lang in i18n.LANGUAGES} if stored else {}


def _page_message(message: ChatMessage, api: LocalBotApi) -> JsonDict:
    out: JsonDict = {
        "chat": message.chat_id,
        "id": message.message_id,
        "from": "bot" if message.from_bot else "person",
        "kind": message.kind,
        "text": message.text,
        "buttons": message.rows,
        "date": message.date,
        "edited": message.edit_date is not None,
        "deleted": message.deleted,
        "seq": message.seq,
    }
    if message.file_id:
        stored = api.store.file(message.file_id)
        if stored is not None:
            out["file"] = {
                "url": f"/api/files/{quote(stored.file_id)}",
                "name": stored.filename or stored.path.rsplit("/", 1)[-1],
                "mime": stored.mime_type,
                "size": stored.size,
            }
    return out


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _PageError(400, "a number was expected") from None


def _static(name: str) -> web.Response:
    data = resources.files("bot.local").joinpath("web", name).read_bytes()
    return web.Response(
        body=data,
        headers={"Content-Type": _STATIC[name], "Cache-Control": "no-cache", **_PAGE_HEADERS},
    )
