"""Election: 2,000 electors, 12 candidates, 3 seats; 1,000 ranked ballots cast through the
handlers, 500 paper ballots keyed in through the handlers, then the count.

    .venv/bin/python bench/election.py

Everything real except the network: the Application and its handlers, the SQLite file with its
sealing key, the Bot API double in-process. The election is called through the staff flow, the
12 candidates stand through the council (standing is not what is measured), voting opens by its
timer. Each online ballot is the voter's Confirm press (callback data carrying the ranking),
timed from the update entering the Application to the bot's answer; each paper ballot is the
keyer's "key in this ballot" press. The count is the production path: close, then
count_election (open every sealed ballot, count by STV, write results, start terms, queue the
results), timed as one transaction. Rankings are random (fixed seed), 1 to 12 long, leaning
towards some candidates. The last line printed is one JSON object."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402

from bot.council import elections, timers  # noqa: E402
from handlers.callbacks import pack  # noqa: E402
from handlers.elections import encode  # noqa: E402
from storage import elections as store  # noqa: E402
from storage import people  # noqa: E402
from tests.support.harness import Harness, make_harness  # noqa: E402

ELECTORS = 2_000
CANDIDATES = 12
SEATS = 3
ONLINE = 1_000
PAPER = 500


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ranking(rng: random.Random) -> list[int]:
    """A random ranking of positions 0..11, popular candidates first more often."""
    weights = [CANDIDATES - i for i in range(CANDIDATES)]
    order: list[int] = []
    pool = list(range(CANDIDATES))
    for _ in range(rng.randint(1, CANDIDATES)):
        pick = rng.choices(pool, weights=[weights[p] for p in pool])[0]
        pool.remove(pick)
        order.append(pick)
    return order


async def press(h: Harness, user: int, message_id: int, data: str) -> float:
    update = Update.de_json(h.double.callback_update(user, message_id, data), h.app.bot)
    started = time.perf_counter()
    await h.app.process_update(update)
    return (time.perf_counter() - started) * 1000


async def run(work: Path) -> dict[str, Any]:
    h = await make_harness(work)
    rng = random.Random(16)
    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    users = [h.new_user() for _ in range(ELECTORS)]
    async with h.db.transaction() as tx:
        for n, user in enumerate(users):
            await people.upsert_member(
                tx,
                tg_user_id=user,
                role="member",
                wing="a",
                label=f"Member {n + 1}",
                language="en",
                now=h.clock.now(),
            )
    # The election, called through the staff flow.
    for text_or_button, typed in (
        ("/newelection", True),
        ("A wing reps", True),
        (str(SEATS), False),
        ("A wing", False),
        ("Go on", False),
        ("0", False),
        ("3 days", False),
        ("3 days", False),
        ("Publish the election", False),
    ):
        if typed:
            await h.tg.send(staff, text_or_button)
        else:
            await h.tg.press(staff, text_or_button)
    assert "2,000" in h.tg.last_text(staff) or "2000" in h.tg.last_text(staff), h.tg.last_text(
        staff
    )
    office_id = int((await h.rows("SELECT MAX(id) AS id FROM office"))[0]["id"])
    async with h.db.transaction() as tx:
        for n in range(CANDIDATES):
            person = await people.by_tg_user(tx, users[n])
            assert person is not None
            made = await elections.nominate(
                tx, h.clock, h.settings, person, office_id, f"Candidate {n + 1}: I will listen."
            )
            assert made == "stood", made
    h.clock.advance(timedelta(days=3, minutes=1))
    await timers.fire_due(h.db, h.clock, h.settings)
    started = time.perf_counter()
    delivered = await h.deliver()
    print(f"setup: {delivered} notices delivered in {time.perf_counter() - started:.1f} s")

    # 1,000 ranked ballots, each one Confirm press through the handlers.
    voters = users[CANDIDATES : CANDIDATES + ONLINE]
    latencies: list[float] = []
    for user in voters:
        message = h.double.last(user)
        assert message is not None
        data = pack("elc", office_id, encode(ranking(rng)))
        latencies.append(await press(h, user, message.message_id, data))
    recorded = sum(1 for u in voters if "Your vote is recorded" in h.tg.last_text(u))

    # 500 paper voters marked on the register, then voting closes.
    paper_voters = users[CANDIDATES + ONLINE : CANDIDATES + ONLINE + PAPER]
    async with h.db.transaction() as tx:
        staff_person = await people.by_tg_user(tx, staff)
        observer_person = await people.by_tg_user(tx, observer)
        assert staff_person is not None and observer_person is not None
        for user in paper_voters:
            person = await people.by_tg_user(tx, user)
            assert person is not None
            marked = await elections.mark_paper(
                tx, h.clock, actor=staff_person, office_id=office_id, person_id=person.id
            )
            assert marked == "marked"
    h.clock.advance(timedelta(days=3))
    await timers.fire_due(h.db, h.clock, h.settings)
    async with h.db.transaction() as tx:
        opened = await elections.open_box(
            tx, h.clock, actor=staff_person, office_id=office_id, label="Box 1", declared=PAPER
        )
        assert opened == "opened"
        box_id = (await store.boxes(tx, office_id=office_id))[0].id
        assert await elections.confirm_box(tx, h.clock, actor=observer_person, box_id=box_id)
    # 500 paper ballots keyed in, one press each.
    await h.tg.send(staff, "/elections")
    keyer_message = h.double.last(staff)
    assert keyer_message is not None
    keyed: list[float] = []
    for n in range(PAPER):
        data = pack("epc", box_id, n, encode(ranking(rng)))
        keyed.append(await press(h, staff, keyer_message.message_id, data))

    # The count: one transaction, as the Count button runs it.
    started = time.perf_counter()
    async with h.db.transaction() as tx:
        found = await store.office(tx, office_id)
        assert found is not None
        outcome = await elections.count_election(tx, h.clock, h.settings, found.election_id)
    count_s = time.perf_counter() - started
    assert outcome == "counted", outcome
    async with h.db.transaction() as tx:
        office = await store.office(tx, office_id)
        assert office is not None and office.result is not None
        started = time.perf_counter()
        await elections.count_office(tx, office)
        alone_s = time.perf_counter() - started
    result = office.result
    await h.close()
    print(
        f"online: {recorded} of {ONLINE} recorded; vote p50 {percentile(latencies, 0.5):.2f} ms,"
        f" p99 {percentile(latencies, 0.99):.2f} ms"
    )
    print(
        f"paper: {len(keyed)} keyed; key-in p50 {percentile(keyed, 0.5):.2f} ms,"
        f" p99 {percentile(keyed, 0.99):.2f} ms"
    )
    print(
        f"count: {count_s:.3f} s for the whole count (results queued to {ELECTORS} electors);"
        f" {alone_s:.3f} s to open the {result['valid']} ballots and run STV alone;"
        f" {len(result['stages'])} stages, quota {result['quota']:g}, elected {result['elected']}"
    )
    return {
        "ballots": int(result["valid"]),
        "vote_p99_ms": round(percentile(latencies, 0.99), 2),
        "count_s": round(count_s, 3),
        "rounds": len(result["stages"]),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(Path(tmp)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
