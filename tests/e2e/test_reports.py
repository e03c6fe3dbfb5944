"""The month's evidence report: figures with small numbers hidden, charts and CSV in the chat
and from the command line, an empty month, bad months, and who may read it."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

from bot.__main__ import main
from bot.council import reports
from tests.support.agenda import answer_now, raise_item
from tests.support.harness import EXAMPLE_CONFIG, Harness


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def _month_of_activity(h: Harness) -> tuple[int, int]:
    member = await h.join("member")
    other = await h.join("member", wing="b")
    staff = await h.join("staff", wing=None)
    for n in range(6):
        await raise_item(h, member, f"The showers are cold on landing {n}, every day.")
    for n in range(2):
        await raise_item(h, other, f"The gym closes early on B wing, day {n}.", wing="B wing")
    for ref in ("A-0001", "A-0002", "A-0003", "A-0004", "A-0005"):
        await h.tg.send(staff, f"/triage {ref}")
        await answer_now(h, staff, "New shower heads are fitted.", kind="Resolved")
    # A closed poll (turnout only is read) and a meeting come from their own tables.
    await h.rows(
        "INSERT INTO poll (question, audience, opened_at, closes_at, status, closed_at,"
        " electorate, ballots) VALUES ('Which film night?', 'members', '2026-11-02T10:00:00.000000Z',"
        " '2026-11-09T10:00:00.000000Z', 'closed', '2026-11-09T10:00:00.000000Z', 40, 30)"
    )
    h.clock.advance(timedelta(days=30))  # into December: November is the last full month
    return staff, member


async def test_report_in_the_chat_hides_small_numbers(h: Harness) -> None:
    staff, _ = await _month_of_activity(h)
    await h.tg.send(staff, "/report")
    assert h.tg.last_text(staff) == "Which month?"
    assert h.tg.buttons(staff)[:2] == [
        "This month so far (December 2026)",
        "Last month (November 2026)",
    ]
    mark = h.double.change_mark()
    await h.tg.press(staff, "Last month (November 2026)")
    sent = h.double.changes_since(mark, chat_id=staff)
    summary = sent[0].text
    assert summary.startswith("Report for November 2026.")
    assert "Issues raised: 8" in summary and "Resolved: 5" in summary
    photos = [m for m in sent if m.kind == "photo"]
    zips = [m for m in sent if m.kind == "document"]
    assert len(photos) == 4  # topics, wings, days, turnout (no consultations or meetings)
    assert all(p.data and p.data.startswith(b"\x89PNG") for p in photos)
    assert all(p.text for p in photos)  # every chart has a caption saying what it shows
    # One album and one file, not ten messages.
    assert len(sent) == 1 + 4 + 1 and len(zips) == 1
    assert zips[0].filename == "council-report-2026-11.zip"
    with zipfile.ZipFile(io.BytesIO(zips[0].data or b"")) as archive:
        documents = {name: archive.read(name) for name in archive.namelist()}
    wings = _csv(documents["items_by_wing-2026-11.csv"] or b"")
    assert wings[0] == ["wing", "label", "raised", "resolved", "still_open"]
    # A wing 6 raised, B wing 2: B is hidden, and so is A (else the total would give B away).
    assert wings[1:] == [
        ["a", "A wing", "<5", "5", "<5"],
        ["b", "B wing", "<5", "0", "<5"],
        ["all", "All wings", "8", "5", "<5"],
    ]
    polls = _csv(documents["poll_turnout-2026-11.csv"] or b"")
    assert polls[1][1:] == ["Which film night?", "members", "", "2026-11-09", "40", "30", "75"]
    assert not any("choice" in h or "option" in h for h in polls[0])


async def test_empty_month_bad_month_future_month_and_the_observer(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    await h.tg.send(staff, "/report 2026-10")
    message = h.double.last(staff)
    assert message is not None and message.kind == "photo"
    assert message.text == "Nothing to report for October 2026."
    await h.tg.send(staff, "/report last month")
    assert h.tg.last_text(staff) == "Please write the month like this: /report 2026-11"
    await h.tg.send(staff, "/report 2027-01")
    assert h.tg.last_text(staff) == "That month has not started yet."
    await h.tg.send(observer, "/report 2026-10")
    assert h.tg.last_text(observer) == "Nothing to report for October 2026."


def test_suppression_hides_a_lone_small_count_and_the_next_smallest() -> None:
    assert reports.suppress([10, 3, 0, 7], 5) == [10, None, 0, None]
    assert reports.suppress([10, 3, 4, 7], 5) == [10, None, None, 7]
    assert reports.suppress([10, 0, 7], 5) == [10, 0, 7]
    assert reports.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert reports.percentile([], 0.9) is None


async def test_cli_report_and_month_default(h: Harness, tmp_path: Path) -> None:
    await _month_of_activity(h)
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'path = "data/council.sqlite3"', f'path = "{h.settings.database_path}"'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "report"
    args = ["--config", str(config), "report", "--month", "2026-11", "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "items_by_topic-2026-11.csv" in names and "items_by_topic-2026-11.png" in names
    bad = ["--config", str(config), "report", "--month", "nov", "--out", str(out)]
    assert await asyncio.to_thread(main, bad) == 2
    assert reports.parse_month("2026-13") is None and reports.parse_month(" 2026-1 ") is not None
