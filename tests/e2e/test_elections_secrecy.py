"""Election secrecy: the WAL replayed commit by commit links no voter to a ranking; nothing in
the outbox, the audit log or the logs (all loggers at DEBUG) depends on what anyone ranked; no
count before close. Also: reminders, terms and empty seats."""

from __future__ import annotations

import logging
import struct
from datetime import timedelta

import pytest

from storage import elections as store
from storage.sealing import Sealer, SealError
from tests.e2e.test_elections import (
    add_members,
    call_two_wing_election,
    fire,
    mark_register,
    offices,
    stand,
    texts,
    vote,
)
from tests.support.harness import Harness
from tests.support.wal_replay import copy_files, replay_states


def _read(*paths: object) -> bytes:
    from pathlib import Path

    return b"".join(Path(str(p)).read_bytes() for p in paths)


RANKINGS = [
    ["A1", "A2", "A3"],
    ["A1", "A3"],
    ["A2", "A1", "A3"],
    ["A2"],
    ["A3", "A2", "A1"],
    ["A3", "A1"],
    ["A1"],
    ["A2", "A3"],
    ["A3"],
    ["A1", "A2"],
]


async def test_the_wal_replayed_commit_by_commit_links_no_voter_to_a_ranking(
    h: Harness, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The worst case: the WAL is never truncated while people vote (in use it is, once votes
    # pause; tested below), so the copy holds every commit of the voting period.
    h.db.checkpoint_quiet_s = None
    staff = await h.join("staff", wing=None)
    names = [f"A{i}" for i in range(1, 15)]
    a = await add_members(h, "a", names)
    await add_members(h, "b", ["B1"])
    election_id = await call_two_wing_election(h, staff)
    for name in ("A1", "A2", "A3"):
        await stand(h, a[name], "A wing rep", f"I am {name}.")
    await fire(h, timedelta(days=3, minutes=1))
    office = (await offices(h, election_id))["A wing rep"]
    candidate_ids = {r["name"]: r["id"] for r in await h.rows("SELECT id, name FROM candidate")}
    voters = names[3:13]
    for name, ranking in zip(voters, RANKINGS, strict=True):
        await vote(h, a[name], ranking)
    assert "marked" in await mark_register(h, staff, election_id, "A wing rep", a["A14"])

    # No count while voting is open, whoever asks storage.
    async with h.db.transaction() as tx:
        assert await store.ballots(tx, office) == []

    # Someone copies the database and its WAL now, as `cp` would, and replays every commit.
    from pathlib import Path

    db_copy, wal_copy = copy_files(h.settings.database_path, Path(str(tmp_path)) / "stolen")
    stranger = Sealer.generate()
    blobs_by_state: list[list[bytes]] = []
    for state in replay_states(db_copy, wal_copy):
        tables = {r[0] for r in state.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "election_ballot" not in tables:
            continue
        columns = [r[1] for r in state.execute("PRAGMA table_info(election_ballot)")]
        assert columns == ["office_id", "token", "sealed"]  # no voter, no time
        register = [r[1] for r in state.execute("PRAGMA table_info(election_elector)")]
        assert register == ["office_id", "person_id", "voted"]
        blobs = [bytes(r[0]) for r in state.execute("SELECT sealed FROM election_ballot")]
        blobs_by_state.append(blobs)
        # Every ballot the same size, whatever its length: padded before sealing.
        assert len({len(b) for b in blobs}) <= 1
        for blob in blobs:
            with pytest.raises(SealError):
                stranger.open(blob, f"election-ballot:{office}".encode())
    assert blobs_by_state and len(blobs_by_state[-1]) == len(RANKINGS)
    # The rows sit in random-key order, not the order they were cast in.
    cast_order: list[bytes] = []
    for blobs in blobs_by_state:
        cast_order += [b for b in blobs if b not in cast_order]
    assert cast_order != blobs_by_state[-1]
    # No ranking appears in clear anywhere in the copied files.
    raw = _read(db_copy, wal_copy)
    for ranking in RANKINGS:
        ids = [candidate_ids[n] for n in ranking]
        padded = [*ids, *([0] * (store.MAX_RANK - len(ids)))]
        assert struct.pack(f">B{store.MAX_RANK}I", len(ids), *padded) not in raw
        # As JSON too; a one-name ranking ("[3]") is three bytes that random sealed bytes or any
        # JSON list hold by chance, so only the longer rankings (stored the same way) are sought.
        if len(ids) > 1:
            assert f"[{','.join(str(i) for i in ids)}]".encode() not in raw

    # Outbox: every elector of the office got the same ballot notice; no row depends on a choice.
    rows = await h.rows(
        "SELECT key, message, params, buttons FROM outbox WHERE key LIKE ?",
        (f"election:{election_id}:ballot:{office}:%",),
    )
    assert len(rows) == len(names) and len({(r["params"], r["buttons"]) for r in rows}) == 1
    # Audit: nothing about a ranking, and no line for an online vote at all.
    audit = await h.rows(
        "SELECT action, subject, detail FROM audit_log WHERE action LIKE 'election.%'"
    )
    assert {r["action"] for r in audit} == {"election.call", "election.paper_register"}
    # Logs, all loggers at DEBUG: no callback data of a ballot (which carries the ranking).
    for record in caplog.records:
        message = record.getMessage()
        assert ":elc:" not in message and ":elw:" not in message and ":elv:" not in message

    # The count after close, with the key: the rankings as cast, and nothing else.
    await fire(h, timedelta(days=3))
    async with h.db.transaction() as tx:
        counted = sorted(await store.ballots(tx, office))
    assert counted == sorted([candidate_ids[n] for n in r] for r in RANKINGS)


async def test_closing_soon_goes_only_to_those_who_have_not_voted(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3"])
    await add_members(h, "b", ["B1"])
    await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await fire(h, timedelta(days=3, minutes=1))
    await vote(h, a["A2"], ["A1"])
    await fire(h, timedelta(days=2, hours=1))
    assert "Reminder: voting for A wing rep closes" in texts(h, a["A3"])
    assert "Reminder" not in texts(h, a["A2"])
    # A restart between: the timers are rows, rebuilt from the database.
    pending = await h.rows(
        "SELECT key FROM timer WHERE status = 'pending' AND key LIKE 'election:%'"
    )
    assert [p["key"] for p in pending] == ["election:1:close"]


async def test_terms_remind_staff_and_an_empty_seat_prompts_a_by_election(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3", "A4", "A5", "A6"])
    await add_members(h, "b", ["B1"])
    await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await stand(h, a["A2"], "A wing rep", "Vote for me too.")
    await fire(h, timedelta(days=3, minutes=1))
    for name in ("A3", "A4", "A5", "A6"):
        await vote(h, a[name], ["A1", "A2"])
    await fire(h, timedelta(days=3))  # no paper voters: counted at close
    terms = await h.rows("SELECT * FROM office_term ORDER BY id")
    assert len(terms) == 2
    # A term's end is reminded to staff 28 days before (config elections.term_reminder_days).
    await fire(h, timedelta(days=365 - 28, minutes=1))
    assert "The term of A1 as A wing rep ends on" in texts(h, staff)
    # Revoking a rep empties the seat: staff are prompted.
    person = await h.person(a["A2"])
    assert person is not None
    await h.tg.send(staff, f"/revoke P-{person.id:04d}")
    await h.tg.press(staff, next(b for b in h.tg.buttons(staff) if b.startswith("Yes")))
    await h.deliver()
    assert "The seat of A2 as A wing rep is empty: their access was removed." in texts(h, staff)
    ended = await h.rows("SELECT end_reason FROM office_term WHERE ended_at IS NOT NULL")
    assert [e["end_reason"] for e in ended] == ["revoked"]
    # A1 leaves: the seat empties too.
    await h.tg.send(a["A1"], "/leave")
    await h.tg.press(a["A1"], next(b for b in h.tg.buttons(a["A1"]) if b.startswith("Yes")))
    await h.deliver()
    assert "The seat of A1 as A wing rep is empty: they left the council." in texts(h, staff)
    # The prompt's button starts a by-election for one seat with the same electorate.
    await h.tg.press(staff, "Call a by-election")
    await h.tg.press(staff, "0")
    await h.tg.press(staff, "1 week")
    await h.tg.press(staff, "3 days")
    assert "A wing rep: 1 seat, elected by A wing (instant runoff)" in h.tg.last_text(staff)
    await h.tg.press(staff, "Publish the election")
    assert h.tg.last_text(staff) == "The election is published. 4 people can vote."


async def test_retention_removes_the_register_and_ballots_of_old_elections(h: Harness) -> None:
    from bot.council import retention

    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3"])
    await add_members(h, "b", ["B1"])
    await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await fire(h, timedelta(days=3, minutes=1))
    await vote(h, a["A2"], ["A1"])
    await fire(h, timedelta(days=3))
    assert (await h.rows("SELECT COUNT(*) AS n FROM election_ballot"))[0]["n"] == 1
    h.clock.advance(h.settings.retention + timedelta(days=1))
    async with h.db.transaction() as tx:
        swept = await retention.sweep(tx, h.clock, h.settings)
    assert swept["ballots"] == 1 and swept["election_electors"] == 4
    assert await h.rows("SELECT * FROM election_ballot") == []
    assert await h.rows("SELECT * FROM election_elector") == []
    kept = await h.rows("SELECT online, paper, result FROM office WHERE name = 'A wing rep'")
    assert (kept[0]["online"], kept[0]["paper"]) == (1, 0) and kept[0]["result"]


async def test_fifty_presses_of_one_confirm_cast_one_ballot(h: Harness) -> None:
    import asyncio

    from handlers.callbacks import pack

    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3"])
    await add_members(h, "b", ["B1"])
    election_id = await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await stand(h, a["A2"], "A wing rep", "Vote for me too.")
    await fire(h, timedelta(days=3, minutes=1))
    office = (await offices(h, election_id))["A wing rep"]
    await h.tg.press(a["A3"], "Vote")
    message = next(m for m in reversed(h.double.chat(a["A3"])) if m.buttons)
    await asyncio.gather(
        *(
            h.tg.press_data(a["A3"], message.message_id, pack("elc", office, "r10"))
            for _ in range(50)
        )
    )
    assert (await h.rows("SELECT COUNT(*) AS n FROM election_ballot"))[0]["n"] == 1
    answers = [x.text for x in h.double.answers if x.user_id == a["A3"]]
    assert answers.count("You have already voted.") == 49
    # After close, the one ballot is the ranking pressed: A2 then A1.
    await fire(h, timedelta(days=3))
    ids = {r["name"]: r["id"] for r in await h.rows("SELECT id, name FROM candidate")}
    async with h.db.transaction() as tx:
        assert await store.ballots(tx, office) == [[ids["A2"], ids["A1"]]]


async def test_the_wal_is_truncated_once_ballots_pause(h: Harness) -> None:
    import asyncio
    from pathlib import Path

    h.db.checkpoint_quiet_s = 0.05
    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3"])
    await add_members(h, "b", ["B1"])
    await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await fire(h, timedelta(days=3, minutes=1))
    await vote(h, a["A2"], ["A1"])
    wal = Path(str(h.settings.database_path) + "-wal")
    await asyncio.sleep(0.3)
    assert _read(wal) == b""  # the ballot's commit is no longer in any WAL frame
