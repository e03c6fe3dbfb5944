"""Issue 17: counts read as sentences with real plural forms (CLDR through Babel), and the
catalogue's count sentences cover every category each language has."""

from __future__ import annotations

from babel import Locale

from bot import i18n
from tests.support.harness import Harness


def test_every_count_sentence_has_each_plural_category_of_its_language() -> None:
    for lang in i18n.LANGUAGES:
        wanted = set(Locale.parse(lang).plural_form.tags) | {"other"}
        for message_id, forms in i18n.plural_forms(lang).items():
            assert set(forms) == wanted, (lang, message_id, sorted(forms))
    # The two languages count the same things.
    assert set(i18n.plural_forms("en")) == set(i18n.plural_forms("cy"))


def test_no_catalogue_text_hedges_a_plural() -> None:
    for lang in i18n.LANGUAGES:
        for message_id, text in i18n.catalogue(lang).items():
            assert "(s)" not in text, (lang, message_id)


def test_welsh_has_six_forms_and_english_two() -> None:
    said = {n: i18n.t("cy", "reader.n.families", count=n) for n in (0, 1, 2, 3, 6, 7)}
    assert said == {
        0: "dim teulu",
        1: "1 teulu",
        2: "2 deulu",
        3: "3 theulu",
        6: "6 theulu",
        7: "7 teulu",
    }
    assert [i18n.t("en", "reader.n.families", count=n) for n in (0, 1, 2)] == [
        "0 families",
        "1 family",
        "2 families",
    ]


async def test_a_one_meeting_plan_says_one_meeting(h: Harness) -> None:
    from tests.e2e.test_meetings import schedule

    staff = await h.join("staff", wing=None)
    await schedule(h, staff)
    assert "(1 meeting)." in h.tg.last_text(staff)
    welsh = await h.join("staff", wing=None, lang="cy")
    await h.tg.send(welsh, "/mydata")
    assert "ar ôl 730 diwrnod" in h.tg.last_text(welsh)


async def test_welsh_dates_read_right_over_several_days_and_months(h: Harness) -> None:
    """The ballot notice says "Mae'n cau ar ddydd ..." whatever the day and month."""
    from datetime import timedelta

    from tests.e2e.test_polls import create_poll

    staff = await h.join("staff", wing=None)
    member = await h.join("member", lang="cy")
    seen = []
    for days in (0, 1, 2, 3, 4, 5, 6, 40, 75):
        h.clock.set(h.clock.now() + timedelta(days=days))
        await create_poll(h, staff, f"Cwestiwn {days}?", ["Ie", "Na"], closes="3d")
        await h.deliver()
        notice = next(t for t in reversed(h.tg.texts(member)) if t.startswith("Pleidlais"))
        line = next(line for line in notice.splitlines() if line.startswith("Mae'n cau"))
        assert line.startswith("Mae'n cau ar ddydd "), line
        assert "Dydd" not in line, line
        seen.append(line.split()[4])  # the day's name
    assert len(set(seen)) >= 5  # many different days (Llun, Mawrth, ...) were tried
    months = {"Tachwedd", "Rhagfyr", "Ionawr", "Chwefror"}
    assert any(m in " ".join(h.tg.texts(member)) for m in months - {"Tachwedd"})
