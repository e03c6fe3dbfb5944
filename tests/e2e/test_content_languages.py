"""Issue 17: words staff write for others are asked for in each content language ("the same
words in both" is one tap), the preview shows both, and each reader gets their own language,
or the first language's words marked as such."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot import i18n
from tests.support import harness as harnesses
from tests.support.harness import Harness, make_harness


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[Harness]:
    """An establishment that writes in English and Welsh."""
    base = harnesses.test_settings(tmp_path / "council.sqlite3")
    establishment = replace(base.establishment, content_languages=("en", "cy"))
    harness = await make_harness(tmp_path, establishment=establishment)
    try:
        yield harness
    finally:
        await harness.close()


async def test_an_announcement_in_both_languages_reaches_each_reader_in_theirs(
    both: Harness,
) -> None:
    h = both
    staff = await h.join("staff", wing=None)
    english = await h.join("member")
    welsh = await h.join("member", lang="cy")
    await h.tg.send(staff, "/announce")
    await h.tg.press(staff, "Members")
    await h.tg.send(staff, "The gym is closed on Friday.")
    assert h.tg.last_text(staff).startswith("Now the same in Welsh, please.")
    assert h.tg.buttons(staff) == ["The same words in both"]
    await h.tg.send(staff, "Mae'r gampfa ar gau ddydd Gwener.")
    preview = h.tg.last_text(staff)
    assert preview.startswith("Welsh: Mae'r gampfa ar gau ddydd Gwener.")
    assert "The gym is closed on Friday." in preview  # the preview shows both
    await h.tg.press(staff, "Send it")
    await h.deliver()
    assert h.tg.last_text(english).endswith("The gym is closed on Friday.")
    assert h.tg.last_text(welsh).endswith("Mae'r gampfa ar gau ddydd Gwener.")


async def test_the_same_words_in_both_is_one_tap(both: Harness) -> None:
    h = both
    staff = await h.join("staff", wing=None)
    welsh = await h.join("member", lang="cy")
    await h.tg.send(staff, "/announce")
    await h.tg.press(staff, "Members")
    await h.tg.send(staff, "HMP Example: 01234 567890")
    await h.tg.press(staff, "The same words in both")
    assert h.tg.last_text(staff).startswith("Welsh: HMP Example: 01234 567890")
    await h.tg.press(staff, "Send it")
    await h.deliver()
    assert h.tg.last_text(welsh).endswith("\n\nHMP Example: 01234 567890")


async def test_older_content_falls_back_marked_in_the_readers_language(both: Harness) -> None:
    h = both
    staff = await h.join("staff", wing=None)
    welsh = await h.join("member", lang="cy")
    await h.tg.send(staff, "/announce")
    await h.tg.press(staff, "Members")
    await h.tg.send(staff, "Only in English.")
    # Staff press Send on the preview they never reached: the Welsh is missing.
    await h.rows("DELETE FROM content_pending")
    draft = (await h.rows("SELECT id FROM announcement"))[0]["id"]
    from handlers.callbacks import pack

    message = h.double.last(staff)
    assert message is not None
    await h.tg.press_data(staff, message.message_id, pack("anny", draft))
    await h.deliver()
    assert h.tg.last_text(welsh).endswith("Only in English. (yn Saesneg)")


async def test_a_meetings_title_and_place_in_both_languages(both: Harness) -> None:
    h = both
    staff = await h.join("staff", wing=None)
    english = await h.join("member")
    welsh = await h.join("member", lang="cy")
    await h.tg.send(staff, "/meeting")
    await h.tg.press(staff, "New meeting")
    await h.tg.press(staff, "Council meeting")
    await h.tg.send(staff, "Wing council")
    assert h.tg.last_text(staff).startswith("Now the same in Welsh, please.")
    await h.tg.send(staff, "Cyngor yr adain")
    assert h.tg.last_text(staff).startswith("Welsh: Cyngor yr adain")
    await h.tg.send(staff, "Chapel")
    await h.tg.send(staff, "Capel")
    await h.tg.press(staff, "Members")
    await h.tg.press(staff, "All wings")
    await h.tg.send(staff, "3 Dec 14:00")
    await h.tg.press(staff, "Only once")
    preview = h.tg.last_text(staff)
    assert "Wing council" in preview and "Welsh: Cyngor yr adain" in preview
    assert "Welsh: Capel" in preview
    await h.tg.press(staff, "Publish")
    await h.deliver()
    assert "Cyngor yr adain" in h.tg.last_text(welsh) and "Capel" in h.tg.last_text(welsh)
    assert "Wing council" not in h.tg.last_text(welsh)
    assert "Wing council" in h.tg.last_text(english) and "Chapel" in h.tg.last_text(english)
    await h.tg.send(welsh, "/meetings")
    assert "Cyngor yr adain" in h.tg.last_text(welsh)
    await h.tg.send(english, "/meetings")
    assert "Wing council" in h.tg.last_text(english)


async def test_an_outcome_in_both_languages(both: Harness) -> None:
    from tests.support.agenda import raise_item

    h = both
    staff = await h.join("staff", wing=None)
    welsh = await h.join("member", lang="cy")
    ref = await raise_item(h, welsh, topic="Bwyd", wing="Adain A", lang="cy")
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Answer now")
    await h.tg.press(staff, "Not possible")
    await h.tg.send(staff, "The kitchen cannot change the menu this year.")
    assert h.tg.last_text(staff).startswith("Now the same in Welsh, please.")
    await h.tg.send(staff, "Ni all y gegin newid y fwydlen eleni.")
    await h.tg.send(staff, "The contract runs to next April.")
    await h.tg.send(staff, "Mae'r contract yn para tan fis Ebrill nesaf.")
    preview = h.tg.last_text(staff)
    assert preview.startswith("Welsh: Mae'r contract yn para tan fis Ebrill nesaf.")
    await h.tg.press(staff, "Post it")
    await h.deliver()
    notice = h.tg.last_text(welsh)
    assert "Ni all y gegin newid y fwydlen eleni." in notice
    assert "Mae'r contract yn para tan fis Ebrill nesaf." in notice
    assert "kitchen" not in notice
    # The printed board is for everyone: both languages.
    from tests.e2e.test_board import _text

    await h.tg.send(staff, "/board")
    await h.tg.press(staff, "A wing")
    sent = h.double.last(staff)
    assert sent is not None and sent.data is not None
    printed = " ".join(_text(sent.data).split())
    assert "The kitchen cannot change the menu this year." in printed
    assert "Ni all y gegin newid y fwydlen eleni." in printed


async def test_a_poll_in_both_languages_each_voter_reads_theirs(both: Harness) -> None:
    h = both
    staff = await h.join("staff", wing=None)
    english = await h.join("member")
    welsh = await h.join("member", lang="cy")
    await h.tg.send(staff, "/newpoll")
    await h.tg.send(staff, "Which night for films?")
    await h.tg.send(staff, "Pa noson i ffilmiau?")
    for en, cy in (("Monday", "Nos Lun"), ("Friday", "Nos Wener")):
        await h.tg.send(staff, en)
        await h.tg.send(staff, cy)
    await h.tg.send(staff, "Both")
    await h.tg.press(staff, "The same words in both")  # a name: one tap
    assert h.tg.last_text(staff).startswith("Welsh: Both")
    await h.tg.press(staff, "Done adding options")
    await h.tg.press(staff, "One option")
    await h.tg.press(staff, "Members")
    await h.tg.press(staff, "All wings")
    await h.tg.press(staff, "In 1 day")
    await h.tg.press(staff, "Open the poll")
    await h.deliver()
    assert h.tg.last_text(welsh).startswith("Pleidlais gudd newydd:\nPa noson i ffilmiau?")
    assert h.tg.buttons(welsh) == ["Nos Lun", "Nos Wener", "Both"]
    assert h.tg.last_text(english).startswith("New secret poll:\nWhich night for films?")
    assert h.tg.buttons(english) == ["Monday", "Friday", "Both"]
    await h.tg.press(welsh, "Nos Wener")
    assert "Nos Wener" in h.tg.last_text(welsh)
    await h.tg.press(welsh, "Ydw, bwrw fy mhleidlais")
    assert h.tg.last_text(welsh).startswith("Pa noson i ffilmiau?\n\nMae eich pleidlais")


async def test_a_consultation_in_both_languages(both: Harness) -> None:
    h = both
    staff = await h.join("staff", wing=None)
    family = await h.join("family", lang="cy")
    await h.tg.send(staff, "/consult")
    await h.tg.send(staff, "Visits on Saturdays")
    await h.tg.send(staff, "Ymweliadau ar ddydd Sadwrn")
    await h.tg.send(staff, "We want to change the visits hall.")
    await h.tg.send(staff, "Rydym am newid y neuadd ymweld.")
    await h.tg.send(staff, "Which time suits you best?")
    await h.tg.send(staff, "Pa amser sydd orau i chi?")
    await h.tg.press(staff, "Pick one option")
    await h.tg.send(staff, "Morning\nAfternoon")
    assert h.tg.last_text(staff).startswith("Now the same in Welsh, please.")
    await h.tg.send(staff, "Bore\nPrynhawn")
    await h.tg.press(staff, "No more questions")
    await h.tg.press(staff, "Families and members")
    await h.tg.press(staff, "In 7 days")
    await h.tg.press(staff, "Publish")
    await h.deliver()
    assert "Ymweliadau ar ddydd Sadwrn" in h.tg.last_text(family)
    await h.tg.send(family, "/consultations")
    await h.tg.press(family, h.tg.buttons(family)[0])
    view = h.tg.last_text(family)
    assert "Ymweliadau ar ddydd Sadwrn" in view and "Rydym am newid y neuadd ymweld." in view
    await h.tg.press(family, h.tg.buttons(family)[0])
    assert "Pa amser sydd orau i chi?" in h.tg.last_text(family)
    assert h.tg.buttons(family)[:2] == ["Bore", "Prynhawn"]
    await h.tg.press(family, "Prynhawn")
    rows = await h.rows("SELECT choice FROM consultation_answer")
    assert rows == [{"choice": "[1]"}]  # stored by position: the same for both languages


async def test_a_decline_reason_in_both_languages(both: Harness) -> None:
    from tests.support.agenda import raise_item, status_of

    h = both
    staff = await h.join("staff", wing=None)
    welsh = await h.join("member", lang="cy")
    ref = await raise_item(h, welsh, topic="Bwyd", wing="Adain A", lang="cy")
    await h.tg.send(staff, f"/triage {ref}")
    await h.tg.press(staff, "Decline")
    await h.tg.send(staff, "The showers are being replaced next month.")
    await h.tg.send(staff, "Mae'r cawodydd yn cael eu newid fis nesaf.")
    assert "Decline " + ref in h.tg.last_text(staff)
    assert await status_of(h, ref) == "new"  # nothing happens before the confirm
    await h.tg.press(staff, "Decline with this reason")
    assert await status_of(h, ref) == "declined"
    await h.deliver()
    assert h.tg.last_text(welsh).endswith("Mae'r cawodydd yn cael eu newid fis nesaf.")


async def test_poll_results_reach_each_voter_in_their_language(both: Harness) -> None:
    from datetime import timedelta

    from bot.council import timers

    h = both
    staff = await h.join("staff", wing=None)
    voters = [await h.join("member", lang="cy") for _ in range(5)]
    await h.tg.send(staff, "/newpoll")
    await h.tg.send(staff, "Which night?")
    await h.tg.send(staff, "Pa noson?")
    for en, cy in (("Monday", "Nos Lun"), ("Friday", "Nos Wener")):
        await h.tg.send(staff, en)
        await h.tg.send(staff, cy)
    await h.tg.press(staff, "Done adding options")
    await h.tg.press(staff, "One option")
    await h.tg.press(staff, "Members")
    await h.tg.press(staff, "All wings")
    await h.tg.press(staff, "In 1 day")
    await h.tg.press(staff, "Open the poll")
    await h.deliver()
    for voter in voters:
        await h.tg.press(voter, "Nos Wener")
        await h.tg.press(voter, "Ydw, bwrw fy mhleidlais")
    h.clock.advance(timedelta(days=1, minutes=1))
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()
    result = h.tg.last_text(voters[0])
    assert "Pa noson?" in result and "Nos Wener: 5 (100%)" in result
    assert "Friday" not in result and "Which night?" not in result


async def test_the_report_back_reaches_each_person_in_their_language(both: Harness) -> None:
    from tests.e2e.test_consultations import close_it

    h = both
    staff = await h.join("staff", wing=None)
    family = await h.join("family", lang="cy")
    await _english_only_consultation(h, staff)
    await _answer_in_welsh(h, family)
    await close_it(h)
    await h.tg.send(staff, "/consultations")
    await h.tg.press(staff, "Visits on Saturdays")
    await h.tg.press(staff, "Write back")
    await h.tg.send(staff, "You want longer visits.")
    await h.tg.send(staff, "Rydych chi eisiau ymweliadau hirach.")
    await h.tg.send(staff, "From January visits are two hours.")
    await h.tg.send(staff, "O fis Ionawr mae ymweliadau'n ddwy awr.")
    assert "It goes to the 1 person who took part." in h.tg.last_text(staff)
    await h.tg.press(staff, "Publish")
    await h.deliver()
    notice = h.tg.last_text(family)
    assert "Rydych chi eisiau ymweliadau hirach." in notice
    assert "O fis Ionawr mae ymweliadau'n ddwy awr." in notice
    assert "Visits on Saturdays (yn Saesneg)" in notice  # the title was never given in Welsh
    await h.tg.send(family, "/outcomes")
    page = h.tg.last_text(family)
    assert "Rydych chi eisiau ymweliadau hirach." in page and "longer visits" not in page


async def _english_only_consultation(h: Harness, staff: int) -> int:
    """One question; each translation step answered "the same words in both"."""
    same = "The same words in both"
    await h.tg.send(staff, "/consult")
    for typed in ("Visits on Saturdays", "We want to change the visits hall on Saturdays."):
        await h.tg.send(staff, typed)
        await h.tg.press(staff, same)
    await h.rows("DELETE FROM content_draft WHERE field = 'title'")  # as if never given
    await h.tg.send(staff, "What would make visits better?")
    await h.tg.press(staff, same)
    await h.tg.press(staff, "In their own words")
    await h.tg.press(staff, "No more questions")
    await h.tg.press(staff, "Families and members")
    await h.tg.press(staff, "In 7 days")
    await h.tg.press(staff, "Publish")
    rows = await h.rows("SELECT id FROM consultation ORDER BY id DESC LIMIT 1")
    return int(rows[0]["id"])


async def _answer_in_welsh(h: Harness, family: int) -> None:
    def cy(message_id: str) -> str:
        return i18n.t("cy", message_id)

    await h.tg.send(family, "/consultations")
    await h.tg.press(family, h.tg.buttons(family)[0])
    await h.tg.press(family, cy("consultations.start"))
    await h.tg.send(family, "Mwy o seddi")
    await h.tg.press(family, cy("consultations.submit"))
    await h.tg.press(family, cy("consultations.name_no"))


async def test_a_welsh_speaking_staff_member_is_asked_in_welsh(both: Harness) -> None:
    h = both
    staff = await h.join("staff", wing=None, lang="cy")
    await h.join("member")  # someone to tell
    await h.tg.send(staff, "/announce")
    await h.tg.press(staff, h.tg.buttons(staff)[0])
    await h.tg.send(staff, "The gym is closed on Friday.")
    assert h.tg.last_text(staff).startswith("Nawr yr un peth yn Gymraeg, os gwelwch yn dda.")
    assert h.tg.buttons(staff) == ["Yr un geiriau yn y ddwy"]
    await h.tg.send(staff, "!!!")
    assert h.tg.last_text(staff) == "Teipiwch ef mewn geiriau, hyd at 1000 nod."
    await h.tg.send(staff, "Mae'r gampfa ar gau ddydd Gwener.")
    assert h.tg.last_text(staff).startswith("Cymraeg: Mae'r gampfa ar gau ddydd Gwener.")


async def test_a_members_own_words_are_marked_with_their_language_for_staff(h: Harness) -> None:
    from tests.support.agenda import raise_item

    staff = await h.join("staff", wing=None)
    welsh = await h.join("member", lang="cy")
    ref = await raise_item(
        h, welsh, "Mae'r bwyd yn oer bob nos.", topic="Bwyd", wing="Adain A", lang="cy"
    )
    await h.tg.send(staff, f"/triage {ref}")
    assert "Mae'r bwyd yn oer bob nos. (in Welsh)" in h.tg.last_text(staff)
    hidden = await raise_item(
        h, welsh, "Mae'r gawod yn oer.", topic="Bwyd", wing="Adain A", hide=True, lang="cy"
    )
    await h.tg.send(staff, f"/triage {hidden}")
    assert "(in Welsh)" not in h.tg.last_text(staff)  # a hidden name gets no hint
