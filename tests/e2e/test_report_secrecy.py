"""Issue 17: nothing withheld in a report can be worked out from what is published beside it.
For many small months, every withheld count is attacked the ways a reader could: the column
total less the cells shown, and a percentage times its whole."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.config import load_settings
from bot.council import reports
from bot.council.reports import Breakdown, Month, Report, Spread
from bot.documents import reports as report_documents
from storage.reports import Participation, PollTurnout
from tests.support.harness import EXAMPLE_CONFIG

SETTINGS = load_settings(EXAMPLE_CONFIG)
_NOV_9 = datetime(2026, 11, 9, 12, tzinfo=UTC)
MINIMUM = SETTINGS.report_min_cell
MARK = reports.hidden_mark(SETTINGS)


def _report(rng: random.Random) -> tuple[Report, dict[str, list[int]]]:
    keys = ["food", "visits", "healthcare"]
    raised = {k: rng.choice([0, 1, 2, 3, 4, 5, 6, 9]) for k in keys}
    resolved = {k: rng.randint(0, raised[k]) for k in keys}
    still = {k: raised[k] - resolved[k] for k in keys}
    total = sum(raised.values())
    with_outcome = rng.randint(0, total)
    families, members = rng.randint(0, 8), rng.randint(0, 8)
    report = Report(
        month=Month(2026, 11),
        made_at=datetime(2026, 12, 1, tzinfo=UTC),
        by_topic=Breakdown(keys, raised, resolved, still),
        by_wing=Breakdown(["a"], {"a": total}, {"a": sum(resolved.values())}, {"a": 0}),
        to_first_answer=Spread(0, None, None),
        to_outcome=Spread(0, None, None),
        raised_total=total,
        with_outcome=with_outcome,
        polls=[PollTurnout(1, "Q?", "members", None, _NOV_9, 12, rng.randint(0, 12))],
        consultations=[Participation(1, "C", "both", _NOV_9, families, members)],
    )
    truth = {
        "raised": [raised[k] for k in keys],
        "resolved": [resolved[k] for k in keys],
        "still_open": [still[k] for k in keys],
        "share": [with_outcome, total],
        "consult": [families, members],
    }
    return report, truth


def _number(cell: str) -> int | None:
    return None if cell == MARK or cell == "" else int(float(cell))


def test_no_withheld_cell_can_be_recovered_from_what_is_published() -> None:
    rng = random.Random(17)
    attacked = 0
    for _ in range(400):
        report, truth = _report(rng)
        tables = {t.name: t for t in reports.tables(report, SETTINGS, "en")}
        summary = reports.summary(report, SETTINGS)
        topic = tables["items_by_topic"]
        for column, name in enumerate(("raised", "resolved", "still_open"), start=2):
            cells = [_number(row[column]) for row in topic.rows[:-1]]
            total = _number(topic.rows[-1][column])
            hidden = [i for i, c in enumerate(cells) if c is None]
            for i in hidden:
                attacked += 1
                # The column total less the shown cells must never pin one hidden cell.
                if total is not None and len(hidden) == 1:
                    raise AssertionError(f"{name}[{i}] = {total - sum(c or 0 for c in cells)}")
        # A percentage times its whole gives the part: never when the part or the rest is small.
        part, whole = truth["share"]
        for shown_share in (summary.share, tables["timeliness"].rows[2][2]):
            if shown_share not in (MARK, ""):
                assert not (0 < part < MINIMUM or 0 < whole - part < MINIMUM), (part, whole)
        consult = tables["consultation_participation"].rows[0]
        families, members, took_part = (_number(c) for c in consult[4:7])
        if took_part is not None and (families is None) != (members is None):
            raise AssertionError("one group withheld beside the total")
    assert attacked > 50  # the attack really ran on many withheld cells


def test_forty_percent_of_five_is_not_published() -> None:
    rng = random.Random(1)
    report, _ = _report(rng)
    report = replace(report, raised_total=5, with_outcome=2)
    assert reports.summary(report, SETTINGS).share == MARK
    report = replace(report, raised_total=10, with_outcome=5)
    assert reports.summary(report, SETTINGS).share == "50%"


def test_a_withheld_count_is_a_hatched_bar_labelled_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No chart is an empty axis: every withheld cell is drawn, hatched, "fewer than 5"."""
    drawn: list[object] = []
    real_png = report_documents._png

    def keep(plt: object, figure: object) -> bytes:
        drawn.append(figure)
        return real_png(plt, figure)

    monkeypatch.setattr(report_documents, "_png", keep)
    report, _ = _report(random.Random(3))
    small = Breakdown(["food"], {"food": 2}, {"food": 1}, {"food": 1})
    report = replace(report, by_topic=small, by_wing=small, polls=[], consultations=[])
    for lang, words in (("en", "fewer than 5"), ("cy", "llai na 5")):
        drawn.clear()
        report_documents.charts(report, SETTINGS, lang)
        topic = drawn[0]
        axes = topic.axes[0]  # type: ignore[attr-defined]
        hatched = [p for p in axes.patches if p.get_hatch()]
        assert len(hatched) == 3  # raised, resolved, still open: all withheld, all drawn
        assert all(p.get_width() == MINIMUM for p in hatched)
        assert sum(words in t.get_text() for t in axes.texts) == 3


def test_days_to_an_answer_are_real_values_even_for_few_items() -> None:
    report, _ = _report(random.Random(5))
    report = replace(report, to_first_answer=Spread(2, 1.5, 2.5), to_outcome=Spread(0, None, None))
    timing = {t.name: t for t in reports.tables(report, SETTINGS, "en")}["timeliness"]
    assert timing.rows[0] == ["first_answer", MARK, "1.5", "2.5"]  # the count stays withheld
    assert timing.values[0] == [1.5, 2.5]
