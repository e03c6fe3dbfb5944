"""Secret polls: the poll, its electorate (who may vote, whether they did) and its counts.
Nothing here stores a ballot: a vote flips one flag and adds one to counts, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.db import Row, Tx
from storage.people import PersonRow


@dataclass(frozen=True)
class PollRow:
    id: int
    question: str
    multiple: bool
    audience: str
    wing: str | None
    created_by: int | None
    opened_at: str
    closes_at: str
    status: str
    closed_at: str | None
    closed_early: bool
    electorate: int
    ballots: int

    @property
    def is_open(self) -> bool:
        return self.status == "open"


# Turnout is counted from the electorate while open (a vote writes nothing else), and frozen
# into poll.ballots at close, so it stays right if a person's data is removed later.
_COLUMNS = (
    "p.id, p.question, p.multiple, p.audience, p.wing, p.created_by, p.opened_at, p.closes_at,"
    " p.status, p.closed_at, p.closed_early, p.electorate,"
    " CASE WHEN p.status = 'open' THEN (SELECT COUNT(*) FROM poll_elector v"
    " WHERE v.poll_id = p.id AND v.voted = 1) ELSE p.ballots END AS ballots"
)


def _poll(row: Row) -> PollRow:
    return PollRow(
        id=row["id"],
        question=row["question"],
        multiple=bool(row["multiple"]),
        audience=row["audience"],
        wing=row["wing"],
        created_by=row["created_by"],
        opened_at=row["opened_at"],
        closes_at=row["closes_at"],
        status=row["status"],
        closed_at=row["closed_at"],
        closed_early=bool(row["closed_early"]),
        electorate=row["electorate"],
        ballots=row["ballots"],
    )


async def create(
    tx: Tx,
    *,
    question: str,
    labels: list[str],
    multiple: bool,
    audience: str,
    wing: str | None,
    created_by: int,
    opened_at: str,
    closes_at: str,
) -> int:
    poll_id = await tx.insert(
        "INSERT INTO poll (question, multiple, audience, wing, created_by, opened_at, closes_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (question, int(multiple), audience, wing, created_by, opened_at, closes_at),
    )
    await tx.executemany(
        "INSERT INTO poll_option (poll_id, option_index, label) VALUES (?, ?, ?)",
        [(poll_id, index, label) for index, label in enumerate(labels)],
    )
    return poll_id


async def fix_electorate(tx: Tx, poll_id: int, person_ids: Iterable[int]) -> int:
    """Write the electorate once, when the poll opens; returns its size."""
    await tx.executemany(
        "INSERT OR IGNORE INTO poll_elector (poll_id, person_id) VALUES (?, ?)",
        [(poll_id, person_id) for person_id in person_ids],
    )
    size = int(await tx.value("SELECT COUNT(*) FROM poll_elector WHERE poll_id = ?", (poll_id,)))
    await tx.execute("UPDATE poll SET electorate = ? WHERE id = ?", (size, poll_id))
    return size


async def get(tx: Tx, poll_id: int) -> PollRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM poll p WHERE p.id = ?", (poll_id,))
    return None if row is None else _poll(row)


async def question(tx: Tx, poll_id: int) -> str | None:
    """The question alone: get() also counts the ballots cast, a read the size of the
    electorate, which a vote's reply must not pay for."""
    value = await tx.value("SELECT question FROM poll WHERE id = ?", (poll_id,))
    return None if value is None else str(value)


async def labels(tx: Tx, poll_id: int) -> list[str]:
    rows = await tx.all(
        "SELECT label FROM poll_option WHERE poll_id = ? ORDER BY option_index", (poll_id,)
    )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class BallotState:
    """What deciding on one press needs, read in one query: the poll as it is, how many options
    it has, and whether this person may vote (None: not an elector) or has voted."""

    status: str
    closes_at: str
    multiple: bool
    option_count: int
    voted: bool | None


async def ballot_state(tx: Tx, poll_id: int, person_id: int) -> BallotState | None:
    row = await tx.one(
        "SELECT p.status, p.closes_at, p.multiple,"
        " (SELECT COUNT(*) FROM poll_option o WHERE o.poll_id = p.id) AS option_count,"
        " e.voted FROM poll p LEFT JOIN poll_elector e ON e.poll_id = p.id AND e.person_id = ?"
        " WHERE p.id = ?",
        (person_id, poll_id),
    )
    if row is None:
        return None
    return BallotState(
        status=row["status"],
        closes_at=row["closes_at"],
        multiple=bool(row["multiple"]),
        option_count=int(row["option_count"]),
        voted=None if row["voted"] is None else bool(row["voted"]),
    )


async def has_voted(tx: Tx, poll_id: int, person_id: int) -> bool | None:
    """None when the person is not an elector of this poll."""
    value = await tx.value(
        "SELECT voted FROM poll_elector WHERE poll_id = ? AND person_id = ?", (poll_id, person_id)
    )
    return None if value is None else bool(value)


async def cast(tx: Tx, poll_id: int, person_id: int, mask: int, now: str) -> bool:
    """Record one ballot: flip the elector's flag and, only if it flipped, add one to each
    chosen option's count. The selection is a bitmask of option indexes. The flag flips only
    for an elector who has not voted, on an open poll before its closing time, with a selection
    that fits the poll (1 to all of its options; exactly one unless multiple choice).
    False, with nothing changed, otherwise."""
    # RETURNING reads the change count in the same round trip as the write.
    flipped = await tx.all(
        "UPDATE poll_elector SET voted = 1"
        " WHERE poll_id = :poll AND person_id = :person AND voted = 0 AND EXISTS ("
        "  SELECT 1 FROM poll p WHERE p.id = :poll AND p.status = 'open' AND p.closes_at > :now"
        "  AND :mask > 0"
        "  AND :mask < (1 << (SELECT COUNT(*) FROM poll_option o WHERE o.poll_id = :poll))"
        "  AND (p.multiple = 1 OR (:mask & (:mask - 1)) = 0))"
        " RETURNING voted",
        {"poll": poll_id, "person": person_id, "mask": mask, "now": now},
    )
    if len(flipped) != 1:
        return False
    # tx.all rather than tx.execute: one round trip instead of two.
    await tx.all(
        "UPDATE poll_option SET votes = votes + 1"
        " WHERE poll_id = :poll AND (:mask >> option_index) & 1 = 1",
        {"poll": poll_id, "mask": mask},
    )
    return True


async def tallies(tx: Tx, poll_id: int) -> list[tuple[str, int]]:
    """Each option's label and count, for a CLOSED poll only: an open poll's split is unreadable
    through this module, whoever asks."""
    rows = await tx.all(
        "SELECT o.label, o.votes FROM poll_option o JOIN poll p ON p.id = o.poll_id"
        " WHERE o.poll_id = ? AND p.status = 'closed' ORDER BY o.option_index",
        (poll_id,),
    )
    return [(r[0], int(r[1])) for r in rows]


async def close(tx: Tx, poll_id: int, now: str, *, early: bool) -> bool:
    """Close an open poll; False if it was closed already (closes once)."""
    changed = await tx.execute(
        "UPDATE poll SET status = 'closed', closed_at = ?, closed_early = ?, ballots ="
        " (SELECT COUNT(*) FROM poll_elector e WHERE e.poll_id = poll.id AND e.voted = 1)"
        " WHERE id = ? AND status = 'open'",
        (now, int(early), poll_id),
    )
    return changed == 1


async def electors(tx: Tx, poll_id: int, *, not_voted_only: bool = False) -> list[PersonRow]:
    """The electorate as people (for notices); optionally only those who have not voted."""
    sql = (
        "SELECT pe.id, pe.tg_user_id, pe.role, pe.status, pe.language, pe.language_chosen,"
        " pe.wing, pe.label, pe.unreachable FROM poll_elector e JOIN person pe ON pe.id ="
        " e.person_id WHERE e.poll_id = ?"
    )
    if not_voted_only:
        sql += " AND e.voted = 0"
    rows = await tx.all(sql + " ORDER BY pe.id", (poll_id,))
    return [
        PersonRow(
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
        for r in rows
    ]


async def for_elector(
    tx: Tx, person_id: int, *, status: str, limit: int
) -> list[tuple[PollRow, bool]]:
    """Polls this person is an elector of, with whether they have voted; newest first."""
    rows = await tx.all(
        f"SELECT {_COLUMNS}, e.voted AS my_vote FROM poll p JOIN poll_elector e"
        " ON e.poll_id = p.id WHERE e.person_id = ? AND p.status = ?"
        " ORDER BY p.closes_at DESC, p.id DESC LIMIT ?",
        (person_id, status, limit),
    )
    return [(_poll(r), bool(r["my_vote"])) for r in rows]


async def listing(
    tx: Tx, *, status: str, limit: int, created_by: int | None = None
) -> list[PollRow]:
    """Polls by status (all of them, or one creator's), newest first."""
    sql = f"SELECT {_COLUMNS} FROM poll p WHERE p.status = ?"
    params: list[object] = [status]
    if created_by is not None:
        sql += " AND p.created_by = ?"
        params.append(created_by)
    rows = await tx.all(sql + " ORDER BY p.closes_at DESC, p.id DESC LIMIT ?", [*params, limit])
    return [_poll(r) for r in rows]


async def overdue(tx: Tx, now: str) -> list[int]:
    """Open polls whose closing time has passed (a timer missed while the bot was down)."""
    rows = await tx.all(
        "SELECT id FROM poll WHERE status = 'open' AND closes_at <= ? ORDER BY closes_at, id",
        (now,),
    )
    return [r[0] for r in rows]
