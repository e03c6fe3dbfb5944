"""Secret polls: the poll, its electorate (who may vote, whether they did) and its counts.
Nothing here stores a ballot: a vote flips one flag and adds one to counts, in one transaction.

While a poll is open its counts exist only sealed (poll_tally: one AES-GCM value per poll under
the key file, re-sealed with a fresh nonce on every vote, always the same length), so a copy of
the database, its WAL or a backup shows that a vote happened, never which option it added to.
poll_option.votes stays 0 until close, when the counts are unsealed into it."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.db import CHECKPOINT, CHECKPOINT_SOON, Row, Tx
from storage.people import PersonRow
from storage.sealing import SealError

# Ten counts of four bytes whatever the poll: the sealed value never changes length, so not even
# a count passing 9 or 99 shows in the size of what is stored.
_SLOTS = 10
_COUNTS = struct.Struct(f">{_SLOTS}I")


def _aad(poll_id: int) -> bytes:
    return f"poll-counts:{poll_id}".encode()


def _seal_counts(tx: Tx, poll_id: int, counts: list[int]) -> bytes:
    padded = (counts + [0] * _SLOTS)[:_SLOTS]
    return tx.sealer.seal(_COUNTS.pack(*padded), _aad(poll_id))


async def _stored_counts(tx: Tx, poll_id: int) -> list[int] | None:
    blob = await tx.value("SELECT sealed FROM poll_tally WHERE poll_id = ?", (poll_id,))
    if blob is None:
        return None
    return list(_COUNTS.unpack(tx.sealer.open(bytes(blob), _aad(poll_id))))


def _add(counts: list[int], mask: int) -> list[int]:
    return [n + ((mask >> index) & 1) for index, n in enumerate(counts)]


# Ballots of the same group of transactions (storage/db.py: group commit) are added to the
# sealed counts once, just before the group's COMMIT: one open and one re-seal per poll per
# commit instead of one per vote. Until then they are (poll, selection) pairs in memory only.
_BALLOTS = "poll.ballots"


async def _sealed_counts(tx: Tx, poll_id: int) -> list[int] | None:
    """The counts as they stand in this transaction: stored, plus ballots not yet added."""
    counts = await _stored_counts(tx, poll_id)
    if counts is None:
        return None
    for pending_poll, mask in tx.deferred(_BALLOTS):
        if pending_poll == poll_id:
            counts = _add(counts, mask)
    return counts


async def _add_ballots(tx: Tx, ballots: list[tuple[int, int]]) -> None:
    by_poll: dict[int, list[int]] = {}
    for poll_id, mask in ballots:
        by_poll.setdefault(poll_id, []).append(mask)
    for poll_id, masks in by_poll.items():
        counts = await _stored_counts(tx, poll_id)
        if counts is None:
            status = await tx.value("SELECT status FROM poll WHERE id = ?", (poll_id,))
            if status == "open":  # an open poll always has its sealed counts
                raise RuntimeError(f"open poll {poll_id} has no sealed counts")
            continue  # closed in the same group: close() counted these ballots already
        for mask in masks:
            counts = _add(counts, mask)
        # A fresh nonce: every byte of the stored value changes, whatever was chosen.
        await tx.execute(
            "UPDATE poll_tally SET sealed = ? WHERE poll_id = ?",
            (_seal_counts(tx, poll_id, counts), poll_id),
        )


@dataclass(frozen=True)
class PollRow:
    id: int
    question: str
    multiple: bool
    audience: str
    wing: str | None
    created_by: int | None
    opened_at: datetime
    closes_at: datetime
    status: str
    closed_at: datetime | None
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
        opened_at=from_db(row["opened_at"]),
        closes_at=from_db(row["closes_at"]),
        status=row["status"],
        closed_at=None if row["closed_at"] is None else from_db(row["closed_at"]),
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
    opened_at: datetime,
    closes_at: datetime,
) -> int:
    poll_id = await tx.insert(
        "INSERT INTO poll (question, multiple, audience, wing, created_by, opened_at, closes_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (question, int(multiple), audience, wing, created_by, to_db(opened_at), to_db(closes_at)),
    )
    tx.memo.pop(("poll.fixed", poll_id), None)  # an id rolled back and used again
    await tx.executemany(
        "INSERT INTO poll_option (poll_id, option_index, label) VALUES (?, ?, ?)",
        [(poll_id, index, label) for index, label in enumerate(labels)],
    )
    await tx.execute(
        "INSERT INTO poll_tally (poll_id, sealed) VALUES (?, ?)",
        (poll_id, _seal_counts(tx, poll_id, [])),
    )
    return poll_id


async def seal_open_counts(tx: Tx) -> int:
    """Polls opened before counts were sealed (migration 0009) keep their counts in clear:
    seal them now and zero the clear ones. Returns how many polls were sealed."""
    rows = await tx.all(
        "SELECT p.id FROM poll p WHERE p.status = 'open'"
        " AND NOT EXISTS (SELECT 1 FROM poll_tally t WHERE t.poll_id = p.id)"
    )
    for row in rows:
        poll_id = int(row[0])
        counts = [
            int(r[0])
            for r in await tx.all(
                "SELECT votes FROM poll_option WHERE poll_id = ? ORDER BY option_index", (poll_id,)
            )
        ]
        await tx.execute(
            "INSERT INTO poll_tally (poll_id, sealed) VALUES (?, ?)",
            (poll_id, _seal_counts(tx, poll_id, counts)),
        )
        await tx.execute("UPDATE poll_option SET votes = 0 WHERE poll_id = ?", (poll_id,))
    if rows:
        tx.after_commit(CHECKPOINT)
    return len(rows)


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


@dataclass(frozen=True)
class Fixed:
    """What never changes once a poll is open (no statement updates these columns, and polls
    are never deleted): read once per database, then from its memo (Database.memo)."""

    question: str
    closes_at: datetime
    option_count: int
    multiple: bool

    def fits(self, mask: int) -> bool:
        """1 to all of the options; exactly one unless multiple choice."""
        return 0 < mask < (1 << self.option_count) and (self.multiple or mask & (mask - 1) == 0)


async def fixed(tx: Tx, poll_id: int) -> Fixed | None:
    key = ("poll.fixed", poll_id)
    found = tx.memo.get(key)
    if isinstance(found, Fixed):
        return found
    row = await tx.one(
        "SELECT question, closes_at, multiple,"
        " (SELECT COUNT(*) FROM poll_option o WHERE o.poll_id = p.id) AS option_count"
        " FROM poll p WHERE p.id = ?",
        (poll_id,),
    )
    if row is None or not row["option_count"]:
        return None  # no such poll (or one being created: its options are not written yet)
    found = Fixed(
        question=str(row["question"]),
        closes_at=from_db(row["closes_at"]),
        option_count=int(row["option_count"]),
        multiple=bool(row["multiple"]),
    )
    tx.memo[key] = found
    return found


async def question(tx: Tx, poll_id: int) -> str | None:
    """The question alone: get() also counts the ballots cast, a read the size of the
    electorate, which a vote's reply must not pay for."""
    found = await fixed(tx, poll_id)
    return None if found is None else found.question


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
    closes_at: datetime
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
        closes_at=from_db(row["closes_at"]),
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


async def cast(tx: Tx, poll_id: int, person_id: int, mask: int, now: datetime) -> bool:
    """Record one ballot: flip the elector's flag and, only if it flipped, add one to each
    chosen option's count. The selection is a bitmask of option indexes. The flag flips only
    for an elector who has not voted, on an open poll before its closing time, with a selection
    that fits the poll (1 to all of its options; exactly one unless multiple choice).
    False, with nothing changed, otherwise."""
    # The selection's fit and the closing time never change: checked against the memo. That
    # the poll is still open (not closed early) and the flag are checked by the write itself.
    poll = await fixed(tx, poll_id)
    if poll is None or not poll.fits(mask) or poll.closes_at <= now:
        return False
    flipped = await tx.execute(
        "UPDATE poll_elector SET voted = 1"
        " WHERE poll_id = ? AND person_id = ? AND voted = 0"
        " AND EXISTS (SELECT 1 FROM poll p WHERE p.id = ? AND p.status = 'open')",
        (poll_id, person_id, poll_id),
    )
    if flipped != 1:
        return False
    # Added to the sealed counts just before this transaction's COMMIT, with the other ballots
    # of its group (an open poll always has its sealed counts: created, or sealed at start).
    tx.defer(_BALLOTS, (poll_id, mask), _add_ballots)
    tx.after_commit(CHECKPOINT_SOON)
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


async def unopenable(tx: Tx) -> list[int]:
    """Open polls whose sealed counts do not open with this key (the key file was lost or
    swapped): they could be neither voted in nor counted."""
    bad: list[int] = []
    for row in await tx.all("SELECT poll_id, sealed FROM poll_tally ORDER BY poll_id"):
        try:
            tx.sealer.open(bytes(row[1]), _aad(int(row[0])))
        except SealError:
            bad.append(int(row[0]))
    return bad


async def counts_now(tx: Tx, poll_id: int) -> list[int]:
    """Each option's count as it stands, unsealed even while the poll is open: for tests and
    benchmarks that check the counts are exact. The council never calls it (tallies() is its
    only way to read counts, and it answers for closed polls only)."""
    labels_count = int(
        await tx.value("SELECT COUNT(*) FROM poll_option WHERE poll_id = ?", (poll_id,))
    )
    sealed = await _sealed_counts(tx, poll_id)
    if sealed is not None:
        return sealed[:labels_count]
    rows = await tx.all(
        "SELECT votes FROM poll_option WHERE poll_id = ? ORDER BY option_index", (poll_id,)
    )
    return [int(r[0]) for r in rows]


async def close(tx: Tx, poll_id: int, now: datetime, *, early: bool) -> bool:
    """Close an open poll; False if it was closed already (closes once). The sealed counts are
    opened into poll_option.votes and the sealed value deleted (secure_delete zeroes it), and
    the WAL is checkpointed and truncated after the commit, so the frames of the voting period
    leave the disk's live files."""
    changed = await tx.execute(
        "UPDATE poll SET status = 'closed', closed_at = ?, closed_early = ?, ballots ="
        " (SELECT COUNT(*) FROM poll_elector e WHERE e.poll_id = poll.id AND e.voted = 1)"
        " WHERE id = ? AND status = 'open'",
        (to_db(now), int(early), poll_id),
    )
    if changed != 1:
        return False
    counts = await _sealed_counts(tx, poll_id)
    if counts is not None:
        await tx.executemany(
            "UPDATE poll_option SET votes = ? WHERE poll_id = ? AND option_index = ?",
            [(n, poll_id, index) for index, n in enumerate(counts)],
        )
        await tx.execute("DELETE FROM poll_tally WHERE poll_id = ?", (poll_id,))
    tx.after_commit(CHECKPOINT)
    return True


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


async def overdue(tx: Tx, now: datetime) -> list[int]:
    """Open polls whose closing time has passed (a timer missed while the bot was down)."""
    rows = await tx.all(
        "SELECT id FROM poll WHERE status = 'open' AND closes_at <= ? ORDER BY closes_at, id",
        (to_db(now),),
    )
    return [r[0] for r in rows]
