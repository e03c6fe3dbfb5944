"""Consultation: 2,000 participants (1,000 families, 1,000 members) answer a 5-question
consultation (two free text, two single choice, one multiple choice) through the real
Application and handlers, then the close timer fires and a staff member asks for the summary
and the CSV file.

    .venv/bin/python bench/consultation.py

Each participant opens /consultations, starts, answers all five, and sends: 10 updates and
5 answers each. The last line printed is one JSON object."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.council import consultations, timers  # noqa: E402
from bot.council.consultations import ConsultationDraft, Question  # noqa: E402
from handlers.callbacks import pack  # noqa: E402
from storage.clock import to_db  # noqa: E402
from storage.people import PersonRow  # noqa: E402
from tests.support.harness import Harness, make_harness  # noqa: E402

PARTICIPANTS = 2_000
QUESTIONS = 5
FIRST_TG_ID = 800_000_000
STAFF_TG_ID = 799_999_999


async def seed(h: Harness) -> int:
    now = to_db(h.clock.now())
    rows = [
        (FIRST_TG_ID + i, "family" if i % 2 else "member", None if i % 2 else "a", now, now)
        for i in range(PARTICIPANTS)
    ]
    rows.append((STAFF_TG_ID, "staff", None, now, now))
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO person (tg_user_id, role, language, language_chosen, wing, joined_at,"
            " updated_at) VALUES (?, ?, 'en', 1, ?, ?, ?)",
            rows,
        )
        staff_id = int(await tx.value("SELECT id FROM person WHERE tg_user_id = ?", (STAFF_TG_ID,)))
        staff = PersonRow(staff_id, STAFF_TG_ID, "staff", "active", "en", True, None, None, False)
        draft = ConsultationDraft(
            title="Visits",
            background="We are changing the visits hall. Tell us what matters to you.",
            questions=(
                Question("text", "What would make visits better?"),
                Question(
                    "single", "Which time suits you best?", ("Morning", "Afternoon", "Evening")
                ),
                Question("text", "Anything else?"),
                Question("single", "How do you get here?", ("Car", "Bus", "Train", "Walk")),
                Question(
                    "multiple", "What should the hall have?", ("Toys", "A cafe", "Quiet room")
                ),
            ),
            audience="both",
            closes_at=h.clock.now() + timedelta(days=7),
        )
        published = await consultations.publish(
            tx,
            h.clock,
            h.settings,
            actor=staff,
            draft=draft,
        )
    for i in range(PARTICIPANTS):
        h.double.user(FIRST_TG_ID + i)
    h.double.user(STAFF_TG_ID)
    assert not isinstance(published, consultations.Refusal), published
    return published.consultation_id


async def answer(h: Harness, user: int, cid: int, n: int) -> None:
    tg = h.tg
    await tg.send(user, "/consultations")

    async def press(data: str) -> None:
        message = h.double.last(user)
        assert message is not None
        await tg.press_data(user, message.message_id, data)

    await press(pack("csq", cid, 1, "n"))
    await tg.send(user, f"Longer visits, please ({n})")
    await press(pack("csa", cid, 2, n % 3, "n"))
    await tg.send(user, "No, thank you." if n % 4 else "=SUM(A1) a tricky one")
    await press(pack("csa", cid, 4, n % 4, "n"))
    await press(pack("csa", cid, 5, n % 3, "n"))
    await press(pack("csa", cid, 5, (n + 1) % 3, "n"))
    await press(pack("csd", cid, 5, "n"))
    await press(pack("css", cid))
    await press(pack("csn", cid, 0))  # staff may not see the name (asked since the reader work)
    assert "Thank you." in "".join(tg.texts(user)[-2:]), tg.texts(user)[-3:]


async def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        h = await make_harness(Path(work))
        cid = await seed(h)

        started = time.perf_counter()
        for n in range(PARTICIPANTS):
            await answer(h, FIRST_TG_ID + n, cid, n)
        answering_s = time.perf_counter() - started
        answers = PARTICIPANTS * QUESTIONS
        async with h.db.transaction() as tx:
            stored = int(await tx.value("SELECT COUNT(*) FROM consultation_answer"))
            sent = int(
                await tx.value(
                    "SELECT COUNT(*) FROM consultation_participant WHERE submitted_at IS NOT NULL"
                )
            )
        assert stored == answers and sent == PARTICIPANTS, (stored, sent)

        h.clock.advance(timedelta(days=7, minutes=1))
        started = time.perf_counter()
        assert await timers.fire_due(h.db, h.clock, h.settings) == {"fired": 1}
        close_s = time.perf_counter() - started

        await h.tg.send(STAFF_TG_ID, "/consultations")
        message = h.double.last(STAFF_TG_ID)
        assert message is not None
        started = time.perf_counter()
        shown = await h.tg.press_data(STAFF_TG_ID, message.message_id, pack("csx", cid))
        summary_s = time.perf_counter() - started
        document = next(m for m in shown if m.kind == "document")
        assert document.data is not None
        rows = document.data.decode("utf-8-sig").count("\n") - 1
        await h.close()

    print(f"participants:            {PARTICIPANTS} (half families, half members)")
    print(f"answers through handlers: {answers} in {answering_s:.1f} s")
    print(f"answers per second:       {answers / answering_s:.0f}")
    print(f"updates per second:       {PARTICIPANTS * 10 / answering_s:.0f}")
    print(f"close (timer fires):      {close_s * 1000:.0f} ms")
    print(
        f"summary + CSV for staff:  {summary_s * 1000:.0f} ms ({rows} rows, {len(document.data)} bytes)"
    )
    print(
        json.dumps(
            {
                "answers_per_s": round(answers / answering_s, 1),
                "summary_s": round(summary_s, 3),
                "participants": PARTICIPANTS,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
