"""The in-cell channel over HTTP with the real bot: joining with an invite code and a PIN,
signing in, lockout, PIN reset by a new invite code, sessions (CSRF, sign-out, timeouts), one
person reaching only their own chat on every page path, and the server's limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.local.signin import Gate, is_common_pin
from tests.support.incell import OTHER_PIN, PIN, Browser, InCellRig, start_incell


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[InCellRig]:
    async with start_incell(tmp_path, slow_client_s=1.0) as started:
        yield started


def file_bytes(path: str) -> bytes:
    return Path(path).read_bytes() + Path(path + "-wal").read_bytes()


async def bot_said(rig: InCellRig, chat: int, text: str, within: float = 10) -> None:
    """Wait (bounded) until the bot's messages in this chat contain ``text``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    store, api = rig.channel.store, rig.channel.api
    while True:
        if any(m.from_bot and text in m.text for m in store.history(chat)):
            return
        remaining = deadline - loop.time()
        assert remaining > 0, [m.text[:60] for m in store.history(chat)]
        await api.changes(store.cursor, chat, wait=remaining)


async def test_join_with_an_invite_code_then_sign_in_with_reference_and_pin(rig: InCellRig) -> None:
    first = rig.browser()
    reference = await first.join(await rig.invite())
    assert reference.startswith("P-")
    me = await first.me()
    # The bot's own first-time welcome starts: the language question, in this person's chat.
    await bot_said(rig, me, "Choose your language")
    # The page shows this person only: no switcher of other people, no "Add a person".
    state = (await first.client.get("/api/state")).json()
    assert [p["id"] for p in state["personas"]] == [me]
    assert state["personas"][0]["roles"] == {"en": "Member, A wing", "cy": "Aelod, Adain A"}
    added = await first.post("/api/personas", {"name": "Mallory"})
    assert added.status_code == 404

    # Another device signs in with the reference and the PIN: the same chat.
    second = rig.browser()
    signed = await second.sign_in(reference.lower().replace("-", " "))
    assert signed.status_code == 200, signed.text
    assert await second.me() == me
    # The PIN is stored only as an argon2id hash.
    account = rig.channel.store.account(user_id=me)
    assert account is not None and account.pin_hash is not None
    assert account.pin_hash.startswith("$argon2id$") and PIN not in account.pin_hash
    assert PIN.encode() not in file_bytes(rig.channel.store.path)
    await first.close()
    await second.close()


async def test_weak_pins_and_bad_codes_are_refused_and_nothing_is_stored(rig: InCellRig) -> None:
    page = rig.browser()
    await page.open()
    code = await rig.invite()
    for pin, why in (("12345", "pin_shape"), ("12a456", "pin_shape"), ("123456", "pin_common")):
        response = await page.post("/api/signin/join", {"code": code, "pin": pin})
        assert response.status_code == 400 and response.json()["error"] == why, pin
    for pin in ("000000", "121212", "987654", "123123", "654321"):
        assert is_common_pin(pin), pin
    assert not is_common_pin(PIN)
    response = await page.post("/api/signin/join", {"code": "ABCDEFGHJKMN", "pin": PIN})
    assert response.status_code == 400 and response.json()["error"] == "bad_code"
    assert rig.channel.store.personas() == []
    assert (await page.open())["signed_in"] is False
    # The code was not used up by the refused attempts: it still works.
    assert (await page.join(code)).startswith("P-")
    await page.close()


async def test_five_wrong_pins_lock_the_reference_from_every_device(rig: InCellRig) -> None:
    owner = rig.browser()
    reference = await owner.join(await rig.invite())
    me = await owner.me()
    for attempt in range(5):
        guesser = rig.browser()  # a new device each time: the lock is on the reference
        response = await guesser.sign_in(reference, f"90817{attempt}")
        expected = 429 if attempt == 4 else 401
        assert response.status_code == expected, (attempt, response.text)
        await guesser.close()
    # Locked now, even with the right PIN; and the lock is stored, so a restart keeps it.
    response = await rig.browser().sign_in(reference, PIN)
    assert response.status_code == 429 and response.json()["error"] == "locked"
    account = rig.channel.store.account(user_id=me)
    assert account is not None and account.locked_until > 0
    fresh_gate = Gate(rig.settings.incell, rig.channel.store, rig.channel.server.gate.council)  # type: ignore[union-attr]
    with pytest.raises(Exception, match="locked"):
        await fresh_gate.pin_sign_in(None, reference, PIN)
    # The session signed in before the lock still works (it proved the PIN earlier).
    assert await owner.me() == me
    await owner.close()


async def test_staff_reset_a_pin_only_by_a_new_invite_code_and_it_is_audited(
    rig: InCellRig,
) -> None:
    page = rig.browser()
    reference = await page.join(await rig.invite())
    me = await page.me()
    # A code for another role does not reset a member's PIN.
    response = await page.post(
        "/api/signin/reset",
        {"reference": reference, "code": await rig.invite("family", None), "pin": OTHER_PIN},
    )
    assert response.status_code == 400 and response.json()["error"] == "bad_code"
    # A new member code for the same wing does; the old PIN stops working.
    new_code = await rig.invite()
    response = await page.post(
        "/api/signin/reset", {"reference": reference, "code": new_code, "pin": OTHER_PIN}
    )
    assert response.status_code == 200, response.text
    assert (await rig.browser().sign_in(reference, PIN)).status_code == 401
    assert (await rig.browser().sign_in(reference, OTHER_PIN)).status_code == 200
    # Used up: the same code cannot reset again.
    again = rig.browser()
    await again.open()
    response = await again.post(
        "/api/signin/reset", {"reference": reference, "code": new_code, "pin": PIN}
    )
    assert response.status_code == 400
    async with rig.db.transaction() as tx:
        rows = await tx.all("SELECT action, subject, detail FROM audit_log ORDER BY id")
    resets = [r for r in rows if r["action"] == "signin.pin_reset"]
    assert len(resets) == 1 and resets[0]["subject"] == reference
    assert new_code not in str([dict(r) for r in rows]) and OTHER_PIN not in str(
        [dict(r) for r in rows]
    )
    assert rig.channel.store.account(user_id=me) is not None
    await page.close()


async def test_every_page_path_refuses_another_persons_ids(rig: InCellRig) -> None:
    alice, bob = rig.browser(), rig.browser()
    await alice.join(await rig.invite())
    await bob.join(await rig.invite())
    a, b = await alice.me(), await bob.me()
    await bot_said(rig, b, "Choose your language")
    bob_message = rig.channel.store.history(b)[-1]
    # A document in Bob's chat, sent by the bot through the Bot API.
    api = rig.channel.api
    status, sent = await api.call(
        "sendDocument", {"chat_id": b}, {"document": ("record.csv", b"a,b\n1,2\n")}
    )
    assert status == 200, sent
    file_id = sent["result"]["document"]["file_id"]
    assert (await bob.client.get(f"/api/files/{file_id}")).status_code == 200

    refused = [
        await alice.client.get(f"/api/chat?id={b}"),
        await alice.client.get(f"/api/changes?since=0&chat={b}"),
        await alice.post("/api/send", {"chat": b, "text": "hello"}),
        await alice.post(
            "/api/press", {"chat": b, "message_id": bob_message.message_id, "data": "x"}
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert all(r.json()["error"] == "not_your_chat" for r in refused)
    # Another person's file looks like no file at all.
    assert (await alice.client.get(f"/api/files/{file_id}")).status_code == 404
    # Changes with no chat named are Alice's own only.
    changes = (await alice.client.get("/api/changes?since=0")).json()
    assert {m["chat"] for m in changes["messages"]} == {a}
    # Nothing of Alice's reached Bob's chat.
    assert all(m.text != "hello" for m in rig.channel.store.history(b))
    # With no session at all, nothing.
    stranger = rig.browser()
    for path in (
        "/api/state",
        f"/api/chat?id={b}",
        "/api/changes?since=0",
        f"/api/files/{file_id}",
    ):
        assert (await stranger.client.get(path)).status_code == 401, path
    for browser in (alice, bob, stranger):
        await browser.close()


async def test_csrf_and_other_sites_are_refused(rig: InCellRig) -> None:
    page = rig.browser()
    await page.join(await rig.invite())
    me = await page.me()
    token = page.csrf
    page.csrf = ""
    assert (await page.post("/api/send", {"chat": me, "text": "hi"})).status_code == 403
    page.csrf = "forged"
    assert (await page.post("/api/send", {"chat": me, "text": "hi"})).status_code == 403
    page.csrf = token
    evil = await page.post("/api/send", {"text": "hi"}, Origin="https://evil.example")
    assert evil.status_code == 403
    form = await page.client.post("/api/send", data={"text": "hi"}, headers={"X-CSRF-Token": token})
    assert form.status_code == 415
    assert all(m.text != "hi" for m in rig.channel.store.history(me))
    ok = await page.post("/api/send", {"text": "/help"})
    assert ok.status_code == 200, ok.text
    # Sign-in forms need the visitor's CSRF token too (no login CSRF).
    visitor = rig.browser()
    await visitor.open()
    visitor.csrf = "forged"
    response = await visitor.post("/api/signin/pin", {"reference": "P-0001", "pin": PIN})
    assert response.status_code == 403
    await page.close()
    await visitor.close()


async def test_a_cookie_is_worthless_after_sign_out_and_timeouts(rig: InCellRig) -> None:
    page = rig.browser()
    await page.join(await rig.invite())
    me = await page.me()
    cookie = page.client.cookies.get("incell_session")
    assert cookie
    set_cookie = (await page.client.get("/api/session")).headers.get("set-cookie")
    assert set_cookie is None  # the live session is kept, not renewed on every call
    out = await page.post("/api/signout", {})
    assert out.status_code == 200
    assert out.headers["Cache-Control"] == "no-store"
    thief = rig.browser()
    thief.client.cookies.set("incell_session", cookie)
    assert (await thief.client.get("/api/state")).status_code == 401
    assert (await thief.client.get(f"/api/chat?id={me}")).status_code == 401

    # Idle and absolute timeouts, on the gate's own clock.
    gate = rig.channel.server.gate
    assert gate is not None
    now = [1000.0]
    gate.monotonic = lambda: now[0]
    again = rig.browser()
    reference = rig.channel.store.account(user_id=me).reference  # type: ignore[union-attr]
    assert (await again.sign_in(str(reference))).status_code == 200
    now[0] += rig.settings.incell.idle.total_seconds() - 5
    assert (await again.client.get("/api/state")).status_code == 200  # a poll is not activity
    now[0] += 10
    assert (await again.client.get("/api/state")).status_code == 401
    busy = rig.browser()
    assert (await busy.sign_in(str(reference))).status_code == 200
    step = rig.settings.incell.idle.total_seconds() / 2
    for _ in range(int(rig.settings.incell.absolute.total_seconds() / step) + 1):
        now[0] += step
        await busy.post("/api/alive", {})
    assert (await busy.client.get("/api/state")).status_code == 401  # too old, however busy
    for browser in (page, thief, again, busy):
        await browser.close()


async def test_two_tabs_share_one_session_and_both_see_the_chat(rig: InCellRig) -> None:
    tab = rig.browser()
    await tab.join(await rig.invite())
    me = await tab.me()
    other_tab = Browser(
        httpx.AsyncClient(base_url=rig.channel.address, cookies=tab.client.cookies, timeout=15)
    )
    assert await other_tab.me() == me
    sent = await other_tab.post("/api/send", {"text": "/help"})
    assert sent.status_code == 200
    await bot_said(rig, me, "/")
    await tab.close()
    await other_tab.close()


async def test_body_limit_and_slow_clients(rig: InCellRig) -> None:
    page = rig.browser()
    await page.join(await rig.invite())
    big = "x" * (rig.settings.incell.max_body_bytes + 10)
    response = await page.post("/api/send", {"text": big})
    assert response.status_code == 413
    # A client that never finishes its request line and headers is cut off.
    host, port = "127.0.0.1", rig.channel.server.port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    closed = await asyncio.wait_for(reader.read(), timeout=10)
    assert closed == b""  # hung up, no answer
    writer.close()
    # The Bot API is not on the page's port at all.
    token = rig.channel.token
    assert (await page.client.get(f"/bot{token}/getMe")).status_code == 404
    await page.close()


async def test_people_joining_at_the_same_moment_get_their_own_chats(rig: InCellRig) -> None:
    pages = [rig.browser() for _ in range(4)]
    codes = [await rig.invite() for _ in pages]
    references = await asyncio.gather(*(p.join(c) for p, c in zip(pages, codes, strict=True)))
    ids = [await p.me() for p in pages]
    assert len(set(references)) == 4 and len(set(ids)) == 4
    async with rig.db.transaction() as tx:
        joined = await tx.value(
            "SELECT COUNT(*) FROM person WHERE tg_user_id IN (?, ?, ?, ?)", tuple(ids)
        )
    assert joined == 4
    for page in pages:
        await page.close()


async def test_guessing_invite_codes_at_machine_speed_is_stopped(rig: InCellRig) -> None:
    page = rig.browser()
    await page.open()
    answers = []
    for n in range(32):
        response = await page.post("/api/signin/join", {"code": f"ABCDEFGHJK{n:02d}", "pin": PIN})
        answers.append(response.json()["error"])
    assert answers[:30] == ["bad_code"] * 30 and answers[30:] == ["code_locked"] * 2
    # Even a good code waits now: the window has to pass.
    response = await page.post("/api/signin/join", {"code": await rig.invite(), "pin": PIN})
    assert response.json()["error"] == "code_locked"
    assert rig.channel.store.personas() == []
    await page.close()


async def test_guesses_sent_all_at_once_cannot_outrun_the_lock(rig: InCellRig) -> None:
    owner = rig.browser()
    reference = await owner.join(await rig.invite())
    await owner.close()
    devices = [rig.browser() for _ in range(12)]
    pins = [f"90817{n % 10}" for n in range(11)] + [PIN]  # the right PIN among the wrong ones
    answers = await asyncio.gather(
        *(d.sign_in(reference, pin) for d, pin in zip(devices, pins, strict=True))
    )
    codes = [a.status_code for a in answers]
    assert codes.count(401) <= 5 and codes.count(429) >= 6, codes
    # Whether the right PIN arrived before the lock or not, nothing after the lock got in.
    account = rig.channel.store.account(reference=reference)
    assert account is not None and account.locked_until > 0
    for device in devices:
        await device.close()


@pytest.mark.parametrize("in_process", [True, False])
async def test_the_bot_reaches_the_channel_in_process_or_over_http(
    tmp_path: Path, in_process: bool
) -> None:
    async with start_incell(tmp_path, in_process=in_process) as rig:
        page = rig.browser()
        await page.join(await rig.invite())
        me = await page.me()
        await bot_said(rig, me, "Choose your language")
        question = rig.channel.store.history(me)[-1]
        english = next(b for row in question.rows for b in row if b["text"] == "English")
        pressed = await page.post(
            "/api/press", {"message_id": question.message_id, "data": english["callback_data"]}
        )
        assert pressed.status_code == 200, pressed.text
        await bot_said(rig, me, "What would you like to do?")
        # Files both ways through the same transport: an upload, then a download of it.
        sent = await rig.app.bot.send_document(me, document=b"a,b\n1,2\n", filename="record.csv")
        assert sent.document is not None and sent.document.file_name == "record.csv"
        found = await rig.app.bot.get_file(sent.document.file_id)
        assert bytes(await found.download_as_bytearray()) == b"a,b\n1,2\n"
        assert (await page.client.get(f"/api/files/{sent.document.file_id}")).content == (
            b"a,b\n1,2\n"
        )
        await page.close()
