"""The in-cell page in Debian's Chromium, driven by Playwright at a phone's size (390x844), with
every page state checked by axe-core (axe-playwright-python): 0 serious or critical violations.

Joining with an invite code and a PIN, raising an item, voting (keyboard focus after a press),
signing out; five wrong PINs; OpenID Connect against the provider double; a kiosk's idle sign-out
that clears the page; the newest message and the composer in view after every tap."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import i18n
from bot.council import access, polls
from tests.e2e.test_local_browser import ARGS, CHROMIUM, WAIT_MS, Pane, accessible, playwright_api
from tests.fakes.oidc import CLIENT_ID, ESTABLISHMENT, OidcProvider
from tests.support.incell import PIN, InCellRig, start_incell

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (make test installs it: apt-get install chromium)",
)
pytest.importorskip(
    "axe_playwright_python.async_playwright",
    reason="axe-playwright-python is not installed (pip install -e '.[dev]')",
)
expect = playwright_api.expect
PHONE = {"width": 390, "height": 844}
STAFF_TG = 555000001


def en(message_id: str, **params: Any) -> str:
    return i18n.t("en", message_id, **params)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        try:
            yield launched
        finally:
            await launched.close()


async def in_view(page: Any) -> None:
    """At a phone's size: the newest message and the composer are both on screen, no scrolling."""
    await page.wait_for_timeout(50)  # one frame for the log's scroll to settle
    box = await page.evaluate(
        """() => {
            const shown = (el) => { if (!el) return false; const r = el.getBoundingClientRect();
              return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1; };
            const log = document.querySelector('.pane .log');
            const last = log && log.lastElementChild;
            const lastRect = last && last.getBoundingClientRect();
            const logRect = log && log.getBoundingClientRect();
            return {
              composer: shown(document.querySelector('.pane textarea')),
              newest: Boolean(last) && lastRect.bottom <= logRect.bottom + 1
                && lastRect.bottom > logRect.top && shown(log),
              scrollY: window.scrollY,
            };
        }"""
    )
    assert box["composer"] and box["newest"] and box["scrollY"] == 0, box


async def phone(browser: Any, rig: InCellRig, **options: Any) -> Any:
    context = await browser.new_context(viewport=PHONE, **options)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    await page.goto(rig.channel.address)
    return page


async def tap(pane: Pane, page: Any, label: str, *, prefix: bool = False) -> None:
    await pane.press(label, prefix=prefix)
    await in_view(page)


async def open_poll(rig: InCellRig) -> None:
    """Staff open a members' poll now (its electorate is fixed at opening)."""
    code = await rig.invite("staff", None)
    async with rig.db.transaction() as tx:
        staff = await access.redeem(tx, rig.clock, rig.settings, tg_user_id=STAFF_TG, raw_code=code)
        assert staff.person is not None
        draft = polls.Draft(
            question="Should the library open on Sundays?",
            options=("Yes", "No"),
            multiple=False,
            audience="members",
            closes_at=rig.clock.now() + timedelta(days=3),
        )
        opened = await polls.open_poll(
            tx,
            rig.clock,
            rig.settings,
            actor=staff.person,
            draft=draft,
        )
        assert opened.poll_id, opened


async def join_on_the_page(page: Any, code: str, pin: str = PIN) -> Pane:
    await page.get_by_text(en("incell.join_title")).click()
    await page.locator("#join-code").fill(code)
    await page.locator("#join-pin").fill(pin)
    await page.locator("#join-pin-again").fill(pin)
    await page.get_by_role("button", name=en("incell.join_button")).click()
    pane = Pane(page.locator(".pane"))
    await expect(page.locator(".pane")).to_have_count(1)
    return pane


async def test_join_raise_vote_and_sign_out_on_a_phone(browser: Any, tmp_path: Path) -> None:
    async with start_incell(tmp_path) as rig:
        page = await phone(browser, rig)
        await expect(page.locator("#signin")).to_be_visible()
        await accessible(page, "sign-in")
        # The demo's controls are not there at all.
        assert await page.locator("#people, .persona, #add-pane:visible").count() == 0

        pane = await join_on_the_page(page, await rig.invite())
        await expect(pane.el.locator(".toast")).to_contain_text("Your reference is P-")
        await pane.sees("Choose your language")
        await accessible(page, "chat")
        await tap(pane, page, "English")
        await pane.sees(en("menu.title").splitlines()[0])
        await in_view(page)

        # A member raises an issue, every tap keeping the newest message and the box in view.
        await pane.say("/raise")
        await in_view(page)
        await tap(pane, page, "Food")
        await tap(pane, page, "A wing")
        await pane.say("The showers on the landing are cold.")
        await in_view(page)
        await tap(pane, page, en("agenda.raise.name_show"))
        await tap(pane, page, en("agenda.raise.confirm"))
        await pane.sees("A-0001")

        # A poll opens: the ballot arrives; a keyboard press keeps focus on the ballot.
        await open_poll(rig)
        await pane.sees("Should the library open on Sundays?")
        await in_view(page)
        yes = pane.el.locator(".log .keyboard button").filter(has_text=re.compile("^Yes$")).last
        await yes.focus()
        before = await pane.el.get_attribute("data-bot-changes")
        await page.keyboard.press("Enter")
        await pane.answered(before)
        await pane.sees("You chose:")
        focused = await page.evaluate(
            "() => [document.activeElement.tagName, document.activeElement.textContent,"
            " document.activeElement.closest('li.msg') !== null]"
        )
        assert focused == ["BUTTON", en("polls.confirm"), True], focused
        await accessible(page, "confirm step")
        await tap(pane, page, en("polls.confirm"))
        await pane.sees("Your vote is recorded.")

        # Sign out: the chat is gone from the page, and the cookie is worth nothing.
        cookies = await page.context.cookies()
        await page.get_by_role("button", name=en("incell.sign_out")).click()
        await expect(page.locator("#signin-notice")).to_have_text(en("incell.signed_out"))
        html = await page.content()
        assert "showers on the landing" not in html and "library" not in html
        assert await page.locator(".pane").count() == 0
        await accessible(page, "signed out")
        stolen = await browser.new_context()
        await stolen.add_cookies(cookies)
        answer = await stolen.request.get(f"{rig.channel.address}/api/state")
        assert answer.status == 401
        await stolen.close()
        assert not page.errors, page.errors
        await page.context.close()


async def test_five_wrong_pins_lock_the_reference_on_the_page(browser: Any, tmp_path: Path) -> None:
    async with start_incell(tmp_path) as rig:
        owner = rig.browser()
        reference = await owner.join(await rig.invite())
        await owner.close()
        page = await phone(browser, rig)
        for attempt in range(5):
            await page.locator("#signin-reference").fill(reference)
            await page.locator("#signin-pin").fill(f"90817{attempt}")
            await page.get_by_role("button", name=en("incell.signin_button")).click()
            expected = en("incell.locked") if attempt == 4 else en("incell.wrong_pin")
            await expect(page.locator("#signin-problem")).to_have_text(expected)
            assert await page.locator("#signin-pin").input_value() == ""  # never left typed
        await accessible(page, "locked")
        await page.locator("#signin-reference").fill(reference)
        await page.locator("#signin-pin").fill(PIN)
        await page.get_by_role("button", name=en("incell.signin_button")).click()
        await expect(page.locator("#signin-problem")).to_have_text(en("incell.locked"))
        assert await page.locator(".pane").count() == 0
        await page.context.close()


async def test_a_kiosk_signs_out_after_two_idle_minutes_and_clears_the_page(
    browser: Any, tmp_path: Path
) -> None:
    async with start_incell(tmp_path, kiosk=True) as rig:
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        await page.clock.install()
        await page.goto(rig.channel.address)
        pane = await join_on_the_page(page, await rig.invite())
        await pane.sees("Choose your language")
        countdown = page.locator("#countdown")
        await page.clock.run_for(2000)
        await expect(countdown).to_be_visible()
        await expect(countdown).to_contain_text("Signing you out in 1:5")
        await expect(page.get_by_role("button", name=en("incell.sign_out"))).to_be_visible()
        await accessible(page, "kiosk")
        await page.clock.run_for(121_000)
        await expect(page.locator("#signin-notice")).to_have_text(en("incell.signed_out"))
        assert "Choose your language" not in await page.content()
        assert await page.evaluate("() => localStorage.length + sessionStorage.length") == 0
        # No cache of the chat either: every answer said no-store.
        answer = await context.request.get(f"{rig.channel.address}/api/state")
        assert answer.status == 401
        assert answer.headers["cache-control"] == "no-store"
        await context.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_openid_connect_sign_in_on_the_page(browser: Any, tmp_path: Path) -> None:
    provider = OidcProvider()
    await provider.start()
    port = free_port()
    try:
        async with start_incell(
            tmp_path,
            signin="oidc",
            public_url=f"http://127.0.0.1:{port}",
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_establishment=ESTABLISHMENT,
            port=port,
        ) as rig:
            page = await phone(browser, rig)
            await accessible(page, "oidc sign-in")
            await page.get_by_role("link", name=en("incell.oidc_button")).click()
            await expect(page.locator("#oidc-link")).to_be_visible()
            assert page.url.rstrip("/") == rig.channel.address  # no code left in the address
            await accessible(page, "oidc link")
            await page.locator("#link-code").fill(await rig.invite())
            await page.get_by_role("button", name=en("incell.link_button")).click()
            pane = Pane(page.locator(".pane"))
            await pane.sees("Choose your language")
            # The next sign-in is one tap.
            await page.get_by_role("button", name=en("incell.sign_out")).click()
            await expect(page.locator("#signin-notice")).to_have_text(en("incell.signed_out"))
            await page.get_by_role("link", name=en("incell.oidc_button")).click()
            await pane.sees("Choose your language")
            await page.context.close()
    finally:
        await provider.close()


async def test_welsh_page_read_aloud_and_larger_text(browser: Any, tmp_path: Path) -> None:
    async with start_incell(tmp_path) as rig:
        page = await phone(browser, rig)
        # Headless Chromium has no voice: no "Read aloud" anywhere.
        await page.locator("#page-language").select_option("cy")
        await expect(page.locator("h2#signin-heading")).to_have_text(
            i18n.t("cy", "incell.signin_title")
        )
        await accessible(page, "welsh sign-in")
        await page.context.close()

        # A device with a voice: "Read aloud" speaks the message with the browser's own voice.
        context = await browser.new_context(viewport=PHONE)
        await context.add_init_script(
            """(() => {
                window.__spoken = [];
                const synth = {
                  getVoices: () => [{ lang: 'en-GB', name: 'Test voice' }],
                  speak: (u) => window.__spoken.push(u.text), cancel: () => {},
                  addEventListener: () => {},
                };
                Object.defineProperty(window, 'speechSynthesis', { value: synth });
                window.SpeechSynthesisUtterance = function (text) { this.text = text; };
            })()"""
        )
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        await page.goto(rig.channel.address)
        pane = await join_on_the_page(page, await rig.invite())
        await pane.sees("Choose your language")
        # The first Tab is the skip link; it goes straight to the message box.
        await page.locator("body").focus()
        await page.keyboard.press("Tab")
        await expect(page.locator("#skip")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(pane.el.locator("textarea")).to_be_focused()
        speak = pane.el.locator("li.msg.bot .speak").last
        await expect(speak).to_be_visible()
        await speak.click()
        spoken = await page.evaluate("() => window.__spoken")
        assert spoken and "Choose your language" in spoken[-1]
        await page.get_by_role("button", name=en("local.larger_text")).click()
        await page.get_by_role("button", name=en("incell.high_contrast")).click()
        classes = await page.evaluate("() => [...document.documentElement.classList]")
        assert set(classes) == {"incell", "large", "contrast", "can-speak"}
        await in_view(page)
        await accessible(page, "larger, high contrast")
        await context.close()
