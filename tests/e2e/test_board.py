"""The board: /outcomes for members (their wing or all, newest first, paged), families (what came
of the consultations they answered), and the printable A4 PDF in English and Welsh."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from pypdf import PdfReader

from bot.__main__ import main
from tests.support.agenda import answer_now, raise_item
from tests.support.harness import EXAMPLE_CONFIG, Harness

WELSH = "Mae'r gawod yn ŵyl i bawb: ŷd, â, ê, ŵ."


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_members_page_the_board_newest_first_by_wing(h: Harness) -> None:
    member = await h.join("member")
    b_member = await h.join("member", wing="b")
    staff = await h.join("staff", wing=None)
    family = await h.join("family", wing=None)
    refs = [await raise_item(h, member, f"The kettle on landing {n} is broken.") for n in range(6)]
    b_ref = await raise_item(h, b_member, "The gym on B wing shuts early.", wing="B wing")
    for ref in [*refs, b_ref]:
        await h.tg.send(staff, f"/triage {ref}")
        await answer_now(h, staff, f"Kettle fixed for {ref}.", kind="Resolved")
    await h.tg.send(member, "/outcomes")
    page = h.tg.last_text(member)
    assert page.startswith("You said, we did: A wing")
    assert page.index(refs[5]) < page.index(refs[1]) and refs[0] not in page and b_ref not in page
    await h.tg.press(member, "Older »")
    assert refs[0] in h.tg.last_text(member)
    await h.tg.press(member, "All wings")
    assert b_ref in h.tg.last_text(member)
    await h.tg.send(family, "/outcomes")
    assert h.tg.last_text(family).startswith("What came of the consultations you took part in:")
    assert "Kettle" not in h.tg.last_text(family)
    message = h.double.last(member)
    assert message is not None
    await h.tg.press_data(member, message.message_id, "1:ocb:zzz:0")
    assert h.tg.answer_for(member) == "This button no longer works. Send /menu to start again."


async def test_printable_board_is_bilingual_a4_with_welsh_letters(
    h: Harness, tmp_path: Path
) -> None:
    member = await h.join("member", wing="b")
    staff = await h.join("staff", wing=None)
    ref = await raise_item(h, member, "The showers on B wing are cold.", wing="B wing")
    await h.tg.send(staff, f"/triage {ref}")
    await answer_now(h, staff, WELSH, kind="Resolved")
    await h.tg.send(staff, "/board")
    await h.tg.press(staff, "B wing")
    sent = h.double.last(staff)
    assert sent is not None and sent.kind == "document" and sent.data is not None
    assert sent.filename == "board-b-wing-2026-11-02.pdf"
    reader = PdfReader(io.BytesIO(sent.data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = " ".join(_text(sent.data).split())  # long lines wrap on the page
    for expected in ("HMP Example", "You said, we did / Dywedoch chi, gwnaethom ni", ref):
        assert expected in text
    assert "B wing / Adain B" in text and "Resolved / Wedi'i ddatrys" in text
    assert "ŵ" in text and "ŷ" in text
    assert b"DejaVu" in sent.data  # the embedded font, not a system one
    # The whole establishment from the command line; an unknown wing is refused.
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'path = "data/council.sqlite3"', f'path = "{h.settings.database_path}"'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "board.pdf"
    args = ["--config", str(config), "board", "--wing", "B", "--out", str(out)]
    assert await asyncio.to_thread(main, args) == 0
    assert ref in _text(out.read_bytes())
    bad = ["--config", str(config), "board", "--wing", "Z", "--out", str(out)]
    assert await asyncio.to_thread(main, bad) == 2
    # An empty board still prints, and says so in both languages.
    await h.tg.send(staff, "/board")
    await h.tg.press(staff, "C wing")
    empty = h.double.last(staff)
    assert empty is not None and empty.data is not None
    assert "No outcomes in the last three months." in _text(empty.data)


async def test_my_record_lists_own_work_only(h: Harness) -> None:
    member = await h.join("member")
    other = await h.join("member")
    staff = await h.join("staff", wing=None)
    mine = await raise_item(h, member)
    theirs = await raise_item(h, other, "The library has no Welsh books at all.")
    await h.tg.send(staff, f"/triage {mine}")
    await answer_now(h, staff, "Fixed.", kind="Resolved")
    await h.tg.send(member, "/myrecord")
    record = h.tg.last_text(member)
    assert record.startswith("Your council record\nCouncil member since Monday 2 November 2026.")
    assert f"· {mine}: Resolved" in record and theirs not in record
    assert "Meetings you attended: 0" in record and "Consultations you answered: 0" in record
    await h.tg.send(staff, "/myrecord")
    assert h.tg.last_text(staff) == "Sorry, you cannot do that."
