"""Elections: offices, candidates, the register, sealed ranked ballots, paper boxes and terms.

A ballot row is (office, random key, sealed ranking): no voter, no time, no order (WITHOUT
ROWID on a random key), and every ranking is padded to one length before it is sealed, so even
its size says nothing. The register (who may vote, whether they did, online or on paper) is apart
and changes in the same transaction as the ballot."""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import CHECKPOINT, CHECKPOINT_SOON, Row, Tx
from storage.people import PersonRow

MAX_RANK = 20  # the most candidates one office can have (and so the longest ranking)
_PACK = struct.Struct(f">B{MAX_RANK}I")


def _aad(office_id: int) -> bytes:
    return f"election-ballot:{office_id}".encode()


def seal_ranking(tx: Tx, office_id: int, ranking: list[int]) -> bytes:
    if not 1 <= len(ranking) <= MAX_RANK:
        raise ValueError("a ranking has 1 to MAX_RANK preferences")
    padded = [*ranking, *([0] * (MAX_RANK - len(ranking)))]
    return tx.sealer.seal(_PACK.pack(len(ranking), *padded), _aad(office_id))


def open_ranking(tx: Tx, office_id: int, blob: bytes) -> list[int]:
    length, *ids = _PACK.unpack(tx.sealer.open(blob, _aad(office_id)))
    return list(ids[:length])


# --- elections and offices -------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionRow:
    id: int
    status: str
    seconders: int
    nominations_close_at: datetime
    voting_closes_at: datetime
    created_by: int | None
    created_at: datetime
    closed_at: datetime | None
    counted_at: datetime | None


@dataclass(frozen=True)
class OfficeRow:
    id: int
    election_id: int
    position: int
    name: str
    seats: int
    electorate: str
    wing: str | None
    method: str
    electors: int
    online: int
    paper: int
    result: dict[str, Any] | None


_ELECTION_TIMES = frozenset(
    {"nominations_close_at", "voting_closes_at", "created_at", "closed_at", "counted_at"}
)


def _election(row: Row) -> ElectionRow:
    values: dict[str, Any] = {k: row[k] for k in ElectionRow.__dataclass_fields__}
    for k in _ELECTION_TIMES:
        values[k] = _time(values[k])
    return ElectionRow(**values)


def _time(raw: str | None) -> datetime | None:
    return None if raw is None else from_db(raw)


def _office(row: Row) -> OfficeRow:
    values = {k: row[k] for k in OfficeRow.__dataclass_fields__ if k != "result"}
    return OfficeRow(**values, result=json.loads(row["result"]) if row["result"] else None)


async def create(
    tx: Tx,
    *,
    seconders: int,
    nominations_close_at: datetime,
    voting_closes_at: datetime,
    created_by: int,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO election (seconders, nominations_close_at, voting_closes_at, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?)",
        (seconders, to_db(nominations_close_at), to_db(voting_closes_at), created_by, to_db(now)),
    )


async def add_office(
    tx: Tx,
    election_id: int,
    *,
    position: int,
    name: str,
    seats: int,
    electorate: str,
    wing: str | None,
    method: str,
) -> int:
    return await tx.insert(
        "INSERT INTO office (election_id, position, name, seats, electorate, wing, method)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (election_id, position, name, seats, electorate, wing, method),
    )


async def get(tx: Tx, election_id: int) -> ElectionRow | None:
    row = await tx.one("SELECT * FROM election WHERE id = ?", (election_id,))
    return None if row is None else _election(row)


async def listing(tx: Tx, *, limit: int) -> list[ElectionRow]:
    rows = await tx.all("SELECT * FROM election ORDER BY id DESC LIMIT ?", (limit,))
    return [_election(r) for r in rows]


async def overdue(tx: Tx, now: datetime) -> list[ElectionRow]:
    """Elections whose voting should have opened or closed by now (timers missed while down)."""
    rows = await tx.all(
        "SELECT * FROM election WHERE (status = 'nominations' AND nominations_close_at <= :now)"
        " OR (status = 'voting' AND voting_closes_at <= :now) ORDER BY id",
        {"now": to_db(now)},
    )
    return [_election(r) for r in rows]


async def set_status(tx: Tx, election_id: int, old: str, new: str, now: datetime) -> bool:
    column = {"closed": "closed_at", "counted": "counted_at"}.get(new)
    extra = f", {column} = :now" if column else ""
    changed = await tx.execute(
        f"UPDATE election SET status = :new{extra} WHERE id = :id AND status = :old",
        {"new": new, "now": to_db(now), "id": election_id, "old": old},
    )
    return changed == 1


async def offices(tx: Tx, election_id: int) -> list[OfficeRow]:
    rows = await tx.all(
        "SELECT * FROM office WHERE election_id = ? ORDER BY position", (election_id,)
    )
    return [_office(r) for r in rows]


async def office(tx: Tx, office_id: int) -> OfficeRow | None:
    row = await tx.one("SELECT * FROM office WHERE id = ?", (office_id,))
    return None if row is None else _office(row)


async def freeze_turnout(tx: Tx, office_id: int) -> None:
    """At close (and when the register changes after it). Voting is over: the WAL is
    checkpointed and truncated after the commit, as when a poll closes."""
    tx.after_commit(CHECKPOINT)
    await tx.execute(
        "UPDATE office SET"
        " online = (SELECT COUNT(*) FROM election_elector WHERE office_id = :o AND voted = 'online'),"
        " paper = (SELECT COUNT(*) FROM election_elector WHERE office_id = :o AND voted = 'paper')"
        " WHERE id = :o",
        {"o": office_id},
    )


async def set_result(tx: Tx, office_id: int, result: dict[str, Any]) -> None:
    await tx.execute(
        "UPDATE office SET result = ? WHERE id = ? AND result IS NULL",
        (json.dumps(result, separators=(",", ":")), office_id),
    )


# --- candidates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateRow:
    id: int
    office_id: int
    person_id: int | None
    name: str
    statement: str
    status: str
    change_reason: str | None
    seconders: int


async def candidates(tx: Tx, office_id: int, *, standing_only: bool = False) -> list[CandidateRow]:
    sql = (
        "SELECT c.*, (SELECT COUNT(*) FROM candidate_seconder s WHERE s.candidate_id = c.id)"
        " AS seconders FROM candidate c WHERE c.office_id = ?"
    )
    if standing_only:
        sql += " AND c.status = 'standing'"
    rows = await tx.all(sql + " ORDER BY c.id", (office_id,))
    return [_candidate(r) for r in rows]


def _candidate(row: Row) -> CandidateRow:
    return CandidateRow(*(row[k] for k in CandidateRow.__dataclass_fields__))


async def candidate(tx: Tx, candidate_id: int) -> CandidateRow | None:
    row = await tx.one(
        "SELECT c.*, (SELECT COUNT(*) FROM candidate_seconder s WHERE s.candidate_id = c.id)"
        " AS seconders FROM candidate c WHERE c.id = ?",
        (candidate_id,),
    )
    return None if row is None else _candidate(row)


async def candidate_of(tx: Tx, office_id: int, person_id: int) -> CandidateRow | None:
    row = await tx.one(
        "SELECT c.*, 0 AS seconders FROM candidate c WHERE c.office_id = ? AND c.person_id = ?",
        (office_id, person_id),
    )
    return None if row is None else _candidate(row)


async def nominate(
    tx: Tx, office_id: int, person_id: int, name: str, statement: str, now: datetime
) -> int | None:
    """None when this person already has a nomination for this office (standing or withdrawn)."""
    row = await tx.one(
        "INSERT INTO candidate (office_id, person_id, name, statement, nominated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (office_id, person_id) DO NOTHING RETURNING id",
        (office_id, person_id, name, statement, to_db(now)),
    )
    return None if row is None else int(row[0])


async def set_candidate_status(tx: Tx, candidate_id: int, old: str, new: str) -> bool:
    changed = await tx.execute(
        "UPDATE candidate SET status = ? WHERE id = ? AND status = ?", (new, candidate_id, old)
    )
    return changed == 1


async def set_statement(tx: Tx, candidate_id: int, statement: str) -> None:
    await tx.execute(
        "UPDATE candidate SET statement = ?, change_reason = NULL WHERE id = ?",
        (statement, candidate_id),
    )


async def ask_change(tx: Tx, candidate_id: int, reason: str) -> None:
    await tx.execute("UPDATE candidate SET change_reason = ? WHERE id = ?", (reason, candidate_id))


async def second(tx: Tx, candidate_id: int, person_id: int) -> bool:
    changed = await tx.execute(
        "INSERT OR IGNORE INTO candidate_seconder (candidate_id, person_id) VALUES (?, ?)",
        (candidate_id, person_id),
    )
    return changed == 1


async def has_seconded(tx: Tx, candidate_id: int, person_id: int) -> bool:
    return bool(
        await tx.value(
            "SELECT 1 FROM candidate_seconder WHERE candidate_id = ? AND person_id = ?",
            (candidate_id, person_id),
        )
    )


# --- the register ----------------------------------------------------------------------------


async def fix_register(tx: Tx, office_id: int, person_ids: Iterable[int]) -> int:
    await tx.executemany(
        "INSERT OR IGNORE INTO election_elector (office_id, person_id) VALUES (?, ?)",
        [(office_id, p) for p in person_ids],
    )
    size = int(
        await tx.value("SELECT COUNT(*) FROM election_elector WHERE office_id = ?", (office_id,))
    )
    await tx.execute("UPDATE office SET electors = ? WHERE id = ?", (size, office_id))
    return size


async def voted(tx: Tx, office_id: int, person_id: int) -> str | None:
    """'' (not yet), 'online' or 'paper'; None when not on this office's register."""
    value = await tx.value(
        "SELECT voted FROM election_elector WHERE office_id = ? AND person_id = ?",
        (office_id, person_id),
    )
    return None if value is None else str(value)


async def cast(tx: Tx, office_id: int, person_id: int, ranking: list[int], now: datetime) -> bool:
    """Mark the register and add the sealed ballot, or change nothing. The register flips only
    for an elector who has not voted (online or on paper), while voting is open."""
    flipped = await tx.all(
        "UPDATE election_elector SET voted = 'online'"
        " WHERE office_id = :o AND person_id = :p AND voted = '' AND EXISTS ("
        "  SELECT 1 FROM office f JOIN election e ON e.id = f.election_id"
        "  WHERE f.id = :o AND e.status = 'voting' AND e.voting_closes_at > :now)"
        " RETURNING voted",
        {"o": office_id, "p": person_id, "now": to_db(now)},
    )
    if len(flipped) != 1:
        return False
    await add_ballot(tx, office_id, ranking)
    # As for a poll vote: the WAL is truncated once votes pause, so a copy of it holds only the
    # current run of ballots, even for someone who also has the key (storage/db.py).
    tx.after_commit(CHECKPOINT_SOON)
    return True


async def add_ballot(tx: Tx, office_id: int, ranking: list[int]) -> None:
    await tx.execute(
        "INSERT INTO election_ballot (office_id, token, sealed) VALUES (?, ?, ?)",
        (office_id, secrets.token_bytes(16), seal_ranking(tx, office_id, ranking)),
    )


async def mark_paper(tx: Tx, office_id: int, person_id: int) -> bool:
    """The paper register: this elector voted on paper. Refused if they voted at all."""
    changed = await tx.execute(
        "UPDATE election_elector SET voted = 'paper'"
        " WHERE office_id = :o AND person_id = :p AND voted = '' AND EXISTS ("
        "  SELECT 1 FROM office f JOIN election e ON e.id = f.election_id"
        "  WHERE f.id = :o AND e.status IN ('voting','closed'))",
        {"o": office_id, "p": person_id},
    )
    return changed == 1


async def turnout(tx: Tx, office_id: int) -> tuple[int, int]:
    """(online, paper) from the register."""
    row = await tx.one(
        "SELECT SUM(voted = 'online') AS online, SUM(voted = 'paper') AS paper"
        " FROM election_elector WHERE office_id = ?",
        (office_id,),
    )
    return (int(row["online"] or 0), int(row["paper"] or 0)) if row else (0, 0)


async def electors(tx: Tx, office_id: int, *, not_voted_only: bool = False) -> list[PersonRow]:
    sql = (
        "SELECT pe.id, pe.tg_user_id, pe.role, pe.status, pe.language, pe.language_chosen,"
        " pe.wing, pe.label, pe.unreachable FROM election_elector e JOIN person pe"
        " ON pe.id = e.person_id WHERE e.office_id = ?"
    )
    if not_voted_only:
        sql += " AND e.voted = ''"
    rows = await tx.all(sql + " ORDER BY pe.id", (office_id,))
    return [_person(r) for r in rows]


def _person(r: Row) -> PersonRow:
    return PersonRow(
        id=r["id"],
        tg_user_id=r["tg_user_id"],
        role=r["role"],
        status=r["status"],
        language=r["language"],
        language_chosen=bool(r["language_chosen"]),
        wing=r["wing"],
        label=r["label"],
        unreachable=bool(r["unreachable"]),
    )


async def offices_for_elector(tx: Tx, person_id: int) -> list[tuple[OfficeRow, str]]:
    rows = await tx.all(
        "SELECT f.*, e.voted AS my_vote FROM office f JOIN election_elector e"
        " ON e.office_id = f.id WHERE e.person_id = ? ORDER BY f.election_id DESC, f.position",
        (person_id,),
    )
    return [(_office(r), str(r["my_vote"])) for r in rows]


async def ballots(tx: Tx, office_id: int) -> list[list[int]]:
    """Every ranking, for the count: only once voting has closed, whoever asks."""
    rows = await tx.all(
        "SELECT b.sealed FROM election_ballot b JOIN office f ON f.id = b.office_id"
        " JOIN election e ON e.id = f.election_id"
        " WHERE b.office_id = ? AND e.status IN ('closed','counted')",
        (office_id,),
    )
    return [open_ranking(tx, office_id, r[0]) for r in rows]


# --- paper boxes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxRow:
    id: int
    office_id: int | None
    poll_id: int | None
    label: str
    declared: int
    keyed: int
    status: str
    keyed_by: int | None
    confirmed_by: int | None


def _box(row: Row) -> BoxRow:
    return BoxRow(*(row[k] for k in BoxRow.__dataclass_fields__))


async def box(tx: Tx, box_id: int) -> BoxRow | None:
    row = await tx.one("SELECT * FROM paper_box WHERE id = ?", (box_id,))
    return None if row is None else _box(row)


async def boxes(
    tx: Tx, *, office_id: int | None = None, poll_id: int | None = None
) -> list[BoxRow]:
    column, value = ("office_id", office_id) if office_id is not None else ("poll_id", poll_id)
    rows = await tx.all(f"SELECT * FROM paper_box WHERE {column} = ? ORDER BY id", (value,))
    return [_box(r) for r in rows]


async def add_box(
    tx: Tx,
    *,
    office_id: int | None = None,
    poll_id: int | None = None,
    label: str,
    declared: int,
    keyed_by: int,
    totals: bytes | None = None,
) -> int | None:
    """None when a box with this label exists for the office or poll."""
    column = "office_id" if office_id is not None else "poll_id"
    row = await tx.one(
        f"INSERT INTO paper_box ({column}, label, declared, keyed_by, totals)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        (office_id if office_id is not None else poll_id, label, declared, keyed_by, totals),
    )
    return None if row is None else int(row[0])


async def confirm_box(tx: Tx, box_id: int, person_id: int, *, done: bool) -> bool:
    """A second person (never the keyer) confirms the box's count."""
    changed = await tx.execute(
        "UPDATE paper_box SET status = ?, confirmed_by = ? WHERE id = ? AND status = 'unconfirmed'"
        " AND (keyed_by IS NULL OR keyed_by <> ?)",
        ("done" if done else "keying", person_id, box_id, person_id),
    )
    return changed == 1


async def key_ballot(tx: Tx, box_id: int, keyer_id: int, ranking: list[int]) -> bool:
    """One paper ballot from a confirmed box, keyed by the person who opened the box: never more
    than the box holds, nor more than the register's paper voters across all boxes."""
    row = await tx.one(
        "UPDATE paper_box SET keyed = keyed + 1,"
        " status = CASE WHEN keyed + 1 = declared THEN 'done' ELSE status END"
        " WHERE id = :b AND status = 'keying' AND keyed_by = :k AND keyed < declared"
        " AND (SELECT COALESCE(SUM(x.keyed), 0) FROM paper_box x"
        "      WHERE x.office_id = paper_box.office_id)"
        "   < (SELECT COUNT(*) FROM election_elector e"
        "      WHERE e.office_id = paper_box.office_id AND e.voted = 'paper')"
        " RETURNING office_id",
        {"b": box_id, "k": keyer_id},
    )
    if row is None or row[0] is None:
        return False
    await add_ballot(tx, int(row[0]), ranking)
    tx.after_commit(CHECKPOINT_SOON)
    return True


async def declared_total(
    tx: Tx, *, office_id: int | None = None, poll_id: int | None = None
) -> int:
    column, value = ("office_id", office_id) if office_id is not None else ("poll_id", poll_id)
    return int(
        await tx.value(
            f"SELECT COALESCE(SUM(declared), 0) FROM paper_box WHERE {column} = ?", (value,)
        )
    )


async def box_totals(tx: Tx, poll_id: int) -> list[bytes]:
    rows = await tx.all(
        "SELECT totals FROM paper_box WHERE poll_id = ? AND status = 'done' AND totals IS NOT NULL",
        (poll_id,),
    )
    return [r[0] for r in rows]


# --- the poll paper register -------------------------------------------------------------------


async def mark_poll_paper(tx: Tx, poll_id: int, person_id: int, now: datetime) -> bool:
    changed = await tx.execute(
        "UPDATE poll_elector SET voted = 1 WHERE poll_id = :p AND person_id = :v AND voted = 0"
        " AND EXISTS (SELECT 1 FROM poll WHERE id = :p AND status = 'open' AND closes_at > :now)",
        {"p": poll_id, "v": person_id, "now": to_db(now)},
    )
    if changed != 1:
        return False
    await tx.execute(
        "INSERT INTO poll_paper_voter (poll_id, person_id) VALUES (?, ?)", (poll_id, person_id)
    )
    return True


async def poll_paper_voters(tx: Tx, poll_id: int) -> int:
    return int(
        await tx.value("SELECT COUNT(*) FROM poll_paper_voter WHERE poll_id = ?", (poll_id,))
    )


# --- terms -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermRow:
    id: int
    office_id: int
    person_id: int | None
    office_name: str
    wing: str | None
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    end_reason: str | None


_TERM = (
    "SELECT t.id, t.office_id, t.person_id, f.name AS office_name, f.wing, t.starts_at,"
    " t.ends_at, t.ended_at, t.end_reason FROM office_term t JOIN office f ON f.id = t.office_id"
)


def _term(row: Row) -> TermRow:
    values: dict[str, Any] = {k: row[k] for k in TermRow.__dataclass_fields__}
    for k in ("starts_at", "ends_at", "ended_at"):
        values[k] = _time(values[k])
    return TermRow(**values)


async def add_term(
    tx: Tx, office_id: int, person_id: int, starts_at: datetime, ends_at: datetime
) -> int:
    return await tx.insert(
        "INSERT INTO office_term (office_id, person_id, starts_at, ends_at) VALUES (?, ?, ?, ?)",
        (office_id, person_id, to_db(starts_at), to_db(ends_at)),
    )


async def term(tx: Tx, term_id: int) -> TermRow | None:
    row = await tx.one(f"{_TERM} WHERE t.id = ?", (term_id,))
    return None if row is None else _term(row)


async def terms_of(tx: Tx, person_id: int) -> list[TermRow]:
    rows = await tx.all(f"{_TERM} WHERE t.person_id = ? ORDER BY t.starts_at", (person_id,))
    return [_term(r) for r in rows]


async def end_current_terms(tx: Tx, person_id: int, reason: str, moment: datetime) -> list[TermRow]:
    now = to_db(moment)
    rows = await tx.all(
        f"{_TERM} WHERE t.person_id = ? AND t.ended_at IS NULL AND t.ends_at > ?",
        (person_id, now),
    )
    await tx.execute(
        "UPDATE office_term SET ended_at = ?, end_reason = ?"
        " WHERE person_id = ? AND ended_at IS NULL AND ends_at > ?",
        (now, reason, person_id, now),
    )
    return [_term(r) for r in rows]


async def current_holders(tx: Tx, now: datetime) -> list[int]:
    """People holding an office now: the "reps" electorate."""
    rows = await tx.all(
        "SELECT DISTINCT t.person_id FROM office_term t JOIN person p ON p.id = t.person_id"
        " WHERE t.ended_at IS NULL AND t.ends_at > ? AND p.status = 'active' ORDER BY 1",
        (to_db(now),),
    )
    return [int(r[0]) for r in rows]


async def add_to_poll_counts(tx: Tx, poll_id: int, totals: list[int]) -> None:
    """Paper totals join a poll's counts at close (bot.council.paper_polls.apply_at_close)."""
    await tx.executemany(
        "UPDATE poll_option SET votes = votes + ? WHERE poll_id = ? AND option_index = ?",
        [(value, poll_id, index) for index, value in enumerate(totals) if value],
    )
