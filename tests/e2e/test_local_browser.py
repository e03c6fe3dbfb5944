"""End to end in a real browser: Debian's Chromium, driven by Playwright, using the local
channel's page while the real bot long polls the local channel. Everything happens through the
page: typing, pressing buttons, switching who you are. Only the clock is moved by the test."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import i18n
from tests.e2e.test_local_bot import Local, start_local

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000  # one notice crosses the real sender (one a second per chat) well within this

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (make test installs it: apt-get install chromium)",
)
playwright_api = pytest.importorskip(
    "playwright.async_api",
    reason="Playwright for Python is not installed (pip install -e '.[dev]')",
)

SAM, LEE, RAVI, JO, MORGAN = 200000001, 200000002, 200000003, 200000005, 200000006


def en(message_id: str, **params: Any) -> str:
    return i18n.t("en", message_id, **params)


class Pane:
    """One chat on the page, as a person using it sees it."""

    def __init__(self, locator: Any) -> None:
        self.el = locator

    async def answered(self, before: str | None) -> None:
        """Wait until the bot has sent or edited something in this chat since ``before``."""
        await playwright_api.expect(self.el).not_to_have_attribute(
            "data-bot-changes", before or "0", timeout=WAIT_MS
        )

    async def say(self, text: str) -> None:
        before = await self.el.get_attribute("data-bot-changes")
        box = self.el.locator("textarea")
        await box.fill(text)
        await box.press("Enter")
        await self.sees(text)
        await self.answered(before)

    async def press(self, label: str, *, prefix: bool = False) -> None:
        pattern = rf"^{re.escape(label)}" + ("" if prefix else "$")
        button = self.el.locator(".log .keyboard button").filter(has_text=re.compile(pattern))
        before = await self.el.get_attribute("data-bot-changes")
        try:
            await button.last.click(timeout=WAIT_MS)
            await self.answered(before)
        except playwright_api.TimeoutError:
            shown = await self.el.locator(".log li.msg").all_inner_texts()
            raise AssertionError(
                f"no button {label!r}; the chat shows:\n" + "\n--\n".join(shown[-3:])
            ) from None

    async def press_nth(self, index: int) -> None:
        """Press a button by its place on the newest keyboard (labels built from dates)."""
        before = await self.el.get_attribute("data-bot-changes")
        keyboard = self.el.locator(".log li.msg.bot .keyboard").last
        await keyboard.locator("button").nth(index).click(timeout=WAIT_MS)
        await self.answered(before)

    async def sees(self, text: str) -> None:
        await playwright_api.expect(self.el.locator(".log")).to_contain_text(text, timeout=WAIT_MS)

    async def newest_text(self) -> str:
        return str(await self.el.locator(".log li.msg.bot .text").last.inner_text())


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=CHROMIUM,
            args=ARGS,
            timeout=30_000,
        )
        try:
            yield launched
        finally:
            await launched.close()


async def open_page(browser: Any, local: Local, *people: int) -> tuple[Any, list[Pane]]:
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{local.channel.address}/?as={','.join(str(p) for p in people)}")
    panes = [Pane(page.locator(".pane").nth(i)) for i in range(len(people))]
    await playwright_api.expect(page.locator(".pane")).to_have_count(len(people))
    assert not errors, errors
    await accessible(page, "the demo")
    return page, panes


async def accessible(page: Any, state: str) -> None:
    """axe-core (axe-playwright-python) on the page as it is now: no serious or critical
    violation. Skipped where the package is not installed."""
    try:
        from axe_playwright_python.async_playwright import Axe
    except ImportError:
        return
    results = await Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, f"{state}: {bad}"


async def test_an_issue_goes_from_member_to_outcome_through_the_page(
    browser: Any, tmp_path: Path
) -> None:
    async with start_local(tmp_path) as local:
        page, (sam, jo, morgan) = await open_page(browser, local, SAM, JO, MORGAN)
        issue = "The hot water in the servery runs out by noon."
        # A member raises an issue.
        await sam.say("/raise")
        await sam.press("Food")
        await sam.press("A wing")
        await sam.say(issue)
        await sam.press(en("agenda.raise.name_show"))
        await sam.press(en("agenda.raise.confirm"))
        await sam.sees("A-0005")
        # The chair triages it: accepted for a meeting. The member hears.
        await jo.say("/triage A-0005")
        await jo.press(en("agenda.triage.accept"))
        await sam.sees("Your issue A-0005 (Food) was accepted.")
        # Staff put it on the demo meeting's agenda.
        await morgan.say("/meeting")
        await morgan.press_nth(1)
        await morgan.press("Agenda")
        await morgan.press("Add items")
        await morgan.press("Add A-0005")
        await sam.sees("Your issue A-0005 (Food) is on the agenda")
        # After the meeting, staff minute a decision and post the outcome.
        local.clock.advance(timedelta(days=9))
        await morgan.say("/minutes")
        await morgan.press_nth(0)
        await morgan.press("Decisions")
        await morgan.press(en("meetings.minutes.decided", ref="A-0005"))
        await morgan.say("A second boiler will be fitted for the servery.")
        await morgan.say("Head of Residence")
        await morgan.say("15 Dec")
        # The minuted decision is the item's outcome: the member hears at once.
        await sam.sees("Your issue A-0005 (Food): resolved.")
        await sam.sees("A second boiler will be fitted for the servery.")
        # Staff update the outcome when the work is done; the member hears again.
        await morgan.say("/outcome A-0005")
        await morgan.press(en("outcomes.kind.resolved"))
        await morgan.say("The second boiler is fitted. Hot water lasts all day now.")
        await morgan.press(en("outcomes.post.publish"))
        await morgan.sees("Done. The outcome of A-0005 is posted")
        await sam.sees("Hot water lasts all day now.")
        async with local.db.transaction() as tx:
            status = await tx.value("SELECT status FROM agenda_item WHERE id = 5")
        assert status == "closed"
        await page.close()


async def test_a_poll_is_opened_voted_closed_and_everyone_sees_the_result(
    browser: Any, tmp_path: Path
) -> None:
    async with start_local(tmp_path, poll_min_votes=3) as local:
        page, (morgan, sam, lee, ravi) = await open_page(browser, local, MORGAN, SAM, LEE, RAVI)
        question = "Should association visits move to Saturdays?"
        await morgan.say("/newpoll")
        await morgan.say(question)
        await morgan.say("Yes")
        await morgan.say("No")
        await morgan.press("Done adding options")
        await morgan.press("One option")
        await morgan.press("Members")
        await morgan.press("All wings")
        await morgan.press("In 3 days")
        await morgan.press("Open the poll")
        await morgan.sees("The poll is open")
        # Three members vote, each in their own chat.
        for voter, choice in ((sam, "Yes"), (lee, "Yes"), (ravi, "No")):
            await voter.sees(question)
            await voter.press(choice)
            await voter.press(en("polls.confirm"))
            await voter.sees("Your vote is recorded.")
        # The creator closes it early, through the page, with a confirm.
        await morgan.say("/polls")
        await morgan.press("Close early: Should association", prefix=True)
        await morgan.press(en("polls.close_yes"))
        # Everyone in the audience sees the result, with the turnout.
        for person in (sam, lee, ravi):
            await person.sees("Poll results:")
            await person.sees("Turnout: 3 of 5 people voted")
        text = await sam.newest_text()
        assert question in text and "Yes" in text
        async with local.db.transaction() as tx:
            assert (
                await tx.value("SELECT status FROM poll WHERE question = ?", (question,))
                == "closed"
            )
        await page.close()
