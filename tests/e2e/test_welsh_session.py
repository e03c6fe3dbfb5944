"""Issue 17: every role walks every menu button in Welsh, and nothing it is shown is English.
Names, numbers, references and commands aside, an English word in a Welsh session is a bug:
a sentence missing from the catalogue, or words written in a handler."""

from __future__ import annotations

import re

from tests.support.harness import Harness

# Common English words that Welsh never uses as words of its own ("help" is Welsh too).
_ENGLISH = re.compile(
    r"\b(the|and|you|your|please|are|with|this|that|send|press|type|yes|back|more|done|"
    r"cancel|stop|what|who|will|here|there|have|has|from|menu|about|language|"
    r"people|meeting|meetings|issue|issues|poll|polls|vote|report|outcome|outcomes|"
    r"going|sure|nothing|today|month|open|closed)\b",
    re.IGNORECASE,
)
# Commands (/menu), references (A-0001), the establishment's name: not words to translate.
# The language question is asked in both languages on purpose, in either language's session.
_ASIDE = re.compile(r"/\w+|\b[A-Z]-\d{4,}\b|HMP Example|English|Choose your language\.")


def english_in(text: str) -> list[str]:
    return _ENGLISH.findall(_ASIDE.sub(" ", text))


class Seen:
    def __init__(self, h: Harness, user: int) -> None:
        self.h, self.user = h, user
        self.found: dict[str, str] = {}
        self.screens = 0

    def look(self, where: str) -> None:
        h, user = self.h, self.user
        self.screens += 1
        shown = [h.tg.last_text(user), *h.tg.buttons(user), h.tg.answer_for(user) or ""]
        for text in shown:
            for word in english_in(text):
                self.found.setdefault(f"{word!r} in {text[:80]!r}", where)


async def _walk_menu(h: Harness, user: int, seen: Seen) -> None:
    await h.tg.send(user, "/menu")
    top = h.tg.buttons(user)
    for label in top:
        await h.tg.send(user, "/menu")
        await h.tg.press(user, label)
        seen.look(f"menu › {label}")
        inner = h.tg.buttons(user)
        is_section = bool(inner) and inner[-1].startswith("«")
        if not is_section:
            await h.tg.send(user, "/cancel")
            continue
        for command in inner[:-1]:
            await h.tg.send(user, "/menu")
            await h.tg.press(user, label)
            await h.tg.press(user, command)
            seen.look(f"menu › {label} › {command}")
            await h.tg.send(user, "/cancel")
            seen.look(f"/cancel after {command}")


async def test_a_welsh_session_shows_no_english(h: Harness) -> None:
    from tests.e2e.test_meetings import schedule
    from tests.e2e.test_polls import create_poll

    organiser = await h.join("staff", wing=None)
    await h.join("member", lang="cy")  # someone to vote, so the poll opens
    await create_poll(h, organiser, "Pa noson?", ["Llun", "Mawrth"])
    await schedule(h, organiser, title="Cyngor yr adain", place="Capel")
    await h.deliver()
    problems: dict[str, str] = {}
    screens = 0
    for role in ("member", "chair", "family", "staff", "observer"):
        user = await h.join(role, wing="a" if role in ("member", "chair") else None, lang="cy")
        seen = Seen(h, user)
        seen.look("welcome")
        for command in ("/help", "/whoami", "/mydata", "/language", "/nonsense"):
            await h.tg.send(user, command)
            seen.look(command)
        await h.tg.send(user, "geiriau heb eu disgwyl")
        seen.look("unexpected words")
        await _walk_menu(h, user, seen)
        problems.update({f"{role}: {k}": v for k, v in seen.found.items()})
        screens += seen.screens
    assert screens > 100  # the walk really went through the menus
    assert not problems, "\n".join(f"{k}  (at {v})" for k, v in sorted(problems.items()))


def test_the_check_catches_english() -> None:
    assert english_in("Please use the buttons. Send /menu to see them.")
    assert not english_in("Defnyddiwch y botymau. Anfonwch /menu i'w gweld. A-0004, HMP Example")


async def test_welsh_flows_show_no_english(h: Harness) -> None:
    """Whole flows in Welsh, with staff writing Welsh: every screen after every step."""
    from bot import i18n

    def cy(message_id: str, **params: object) -> str:
        return i18n.t("cy", message_id, **params)

    staff = await h.join("staff", wing=None, lang="cy")
    member = await h.join("member", lang="cy")
    family = await h.join("family", wing=None, lang="cy")
    watch = {who: Seen(h, who) for who in (staff, member, family)}

    async def step(who: int, action: str, *, typed: bool = False) -> None:
        if typed:
            await h.tg.send(who, action)
        else:
            await h.tg.press(who, action)
        watch[who].look(action)

    # A member raises an issue.
    await step(member, "/raise", typed=True)
    await step(member, "Bwyd")
    await step(member, "Adain A")
    await step(member, "Mae'r bwyd yn oer bob nos ar y landin.", typed=True)
    await step(member, cy("agenda.raise.name_show"))
    await step(member, cy("agenda.raise.confirm"))
    # Staff ask for more, the member answers, staff post an outcome.
    await step(staff, "/triage", typed=True)
    await step(staff, cy("agenda.triage.ask"))
    await step(staff, "Pa landin?", typed=True)
    await h.deliver()
    watch[member].look("question notice")
    await step(member, cy("agenda.notice.reply_button"))
    await step(member, "Landin tri.", typed=True)
    await step(staff, "/triage", typed=True)
    await step(staff, cy("agenda.triage.answer"))
    await step(staff, cy("outcomes.kind.in_progress"))
    await step(staff, "Mae'r gegin yn edrych arno.", typed=True)
    await step(staff, cy("outcomes.post.owner_me"))
    await step(staff, "15 Ion", typed=True)
    await step(staff, cy("outcomes.post.publish"))
    await h.deliver()
    watch[member].look("outcome notice")
    await step(member, "/myitems", typed=True)
    await step(member, "/myrecord", typed=True)
    # Staff plan a meeting; the member answers.
    await step(staff, "/meeting", typed=True)
    await step(staff, cy("meetings.new"))
    await step(staff, cy("meetings.kind.council"))
    await step(staff, "Cyngor yr adain", typed=True)
    await step(staff, "Capel", typed=True)
    await step(staff, cy("meetings.audience.members"))
    await step(staff, cy("meetings.all_wings"))
    await step(staff, "3 Rhag 14:00", typed=True)
    await step(staff, cy("meetings.repeat.once"))
    await step(staff, cy("meetings.confirm.publish"))
    await h.deliver()
    watch[member].look("meeting notice")
    await step(member, cy("meetings.rsvp.going"))
    await step(member, "/meetings", typed=True)
    # A poll, voted in Welsh.
    await step(staff, "/newpoll", typed=True)
    await step(staff, "Pa noson?", typed=True)
    await step(staff, "Llun", typed=True)
    await step(staff, "Mawrth", typed=True)
    await step(staff, cy("polls.options_done"))
    await step(staff, cy("polls.kind_single"))
    await step(staff, cy("polls.audience_members"))
    await step(staff, cy("polls.wing_all"))
    await step(staff, cy("polls.quick_1d"))
    await step(staff, cy("polls.open_button"))
    await h.deliver()
    watch[member].look("ballot notice")
    await step(member, "Llun")
    await step(member, cy("polls.confirm"))
    await step(member, "/polls", typed=True)
    # The family reads and leaves nothing in English either.
    await step(family, "/consultations", typed=True)
    await step(family, "/outcomes", typed=True)
    await step(family, "/mydata", typed=True)
    problems = {k: v for seen in watch.values() for k, v in seen.found.items()}
    assert sum(seen.screens for seen in watch.values()) > 40
    assert not problems, "\n".join(f"{k}  (at {v})" for k, v in sorted(problems.items()))
