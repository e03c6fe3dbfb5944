"""People admitted to the council bot and their roles."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Row, Tx

_COLUMNS = "id, tg_user_id, role, status, language, language_chosen, wing, label, unreachable"


@dataclass(frozen=True)
class PersonRow:
    id: int
    tg_user_id: int | None
    role: str
    status: str
    language: str
    language_chosen: bool
    wing: str | None
    label: str | None
    unreachable: bool


def _person(row: Row | None) -> PersonRow | None:
    if row is None:
        return None
    return PersonRow(
        id=row["id"],
        tg_user_id=row["tg_user_id"],
        role=row["role"],
        status=row["status"],
        language=row["language"],
        language_chosen=bool(row["language_chosen"]),
        wing=row["wing"],
        label=row["label"],
        unreachable=bool(row["unreachable"]),
    )


async def by_tg_user(tx: Tx, tg_user_id: int) -> PersonRow | None:
    return _person(
        await tx.one(f"SELECT {_COLUMNS} FROM person WHERE tg_user_id = ?", (tg_user_id,))
    )


async def by_id(tx: Tx, person_id: int) -> PersonRow | None:
    return _person(await tx.one(f"SELECT {_COLUMNS} FROM person WHERE id = ?", (person_id,)))


async def told_about_meeting(tx: Tx, meeting_id: int) -> list[PersonRow]:
    """Everyone told about a meeting, and anyone who answered it without being told, in id
    order: one read for the whole audience, not one per person."""
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM person WHERE id IN ("
        " SELECT person_id FROM meeting_told WHERE meeting_id = ?"
        " UNION SELECT person_id FROM meeting_rsvp WHERE meeting_id = ?) ORDER BY id",
        (meeting_id, meeting_id),
    )
    return [p for p in map(_person, rows) if p is not None]


async def upsert_member(
    tx: Tx,
    *,
    tg_user_id: int,
    role: str,
    wing: str | None,
    label: str | None,
    language: str,
    now: str,
) -> int:
    """Admit a Telegram user; a revoked or departed person coming back gets the same row."""
    return int(
        await tx.value(
            "INSERT INTO person (tg_user_id, role, status, language, wing, label, joined_at, updated_at)"
            " VALUES (?, ?, 'active', ?, ?, ?, ?, ?)"
            " ON CONFLICT(tg_user_id) DO UPDATE SET role = excluded.role, status = 'active',"
            " wing = excluded.wing, label = excluded.label, unreachable = 0,"
            " updated_at = excluded.updated_at"
            " RETURNING id",
            (tg_user_id, role, language, wing, label, now, now),
        )
    )


async def set_language(tx: Tx, person_id: int, language: str, now: str) -> None:
    await tx.execute(
        "UPDATE person SET language = ?, language_chosen = 1, updated_at = ? WHERE id = ?",
        (language, now, person_id),
    )


async def set_status(tx: Tx, person_id: int, status: str, now: str) -> int:
    return await tx.execute(
        "UPDATE person SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
        (status, now, person_id, status),
    )


async def set_unreachable(tx: Tx, person_id: int, unreachable: bool, now: str) -> None:
    await tx.execute(
        "UPDATE person SET unreachable = ?, updated_at = ? WHERE id = ?",
        (int(unreachable), now, person_id),
    )


async def active_page(tx: Tx, *, limit: int, offset: int) -> list[PersonRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM person WHERE status = 'active' ORDER BY id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [p for p in map(_person, rows) if p is not None]


async def count_active(tx: Tx) -> int:
    return int(await tx.value("SELECT COUNT(*) FROM person WHERE status = 'active'"))


async def active_with_roles(
    tx: Tx, roles: tuple[str, ...], wing: str | None = None
) -> list[PersonRow]:
    marks = ",".join("?" * len(roles))
    sql = f"SELECT {_COLUMNS} FROM person WHERE status = 'active' AND role IN ({marks})"
    params: list[object] = list(roles)
    if wing is not None:
        sql += " AND wing = ?"
        params.append(wing)
    rows = await tx.all(sql + " ORDER BY id", params)
    return [p for p in map(_person, rows) if p is not None]


# --- personal data: forgetting a person (docs/PRIVACY.md) -----------------------------------


async def forget(tx: Tx, person_id: int, now: str, *, leaving: bool) -> dict[str, int] | None:
    """Delete what identifies a person, in the caller's one transaction. leaving=True: an active
    person leaves now (status 'left'); False: the retention sweep forgets someone revoked or left
    long ago (status kept). None when there was nothing to do (already gone or forgotten).

    Kept, without anything that names them: submitted consultation answers (anonymous), items
    they raised (submitter unlinked), their supports and past meeting answers as counts, their
    row in the electorate of a poll still open (turnout must not change), audit lines (ids only)."""
    tg_user_id = await tx.value("SELECT tg_user_id FROM person WHERE id = ?", (person_id,))
    if leaving:
        changed = await tx.execute(
            "UPDATE person SET status = 'left', tg_user_id = NULL, label = NULL, wing = NULL,"
            " unreachable = 1, forgotten_at = ?, updated_at = ? WHERE id = ? AND status = 'active'",
            (now, now, person_id),
        )
    else:
        changed = await tx.execute(
            "UPDATE person SET tg_user_id = NULL, label = NULL, wing = NULL, unreachable = 1,"
            " forgotten_at = ? WHERE id = ? AND status <> 'active' AND forgotten_at IS NULL",
            (now, person_id),
        )
    if changed != 1:
        return None
    out: dict[str, int] = {}
    # Consultations: drafts go; sent answers stay as anonymous answers.
    out["drafts"] = await tx.execute(
        "DELETE FROM consultation_participant WHERE person_id = ? AND submitted_at IS NULL",
        (person_id,),
    )
    await tx.execute(
        "UPDATE consultation_participant SET person_id = NULL, name = NULL WHERE person_id = ?",
        (person_id,),
    )
    await tx.execute("DELETE FROM consultation_taker WHERE person_id = ?", (person_id,))
    # Notices: nothing more is sent, and the Telegram chat id goes from every notice to them.
    out["dropped"] = await tx.execute(
        "UPDATE outbox SET status = 'dropped', done_at = ?, last_error = 'the person left'"
        " WHERE person_id = ? AND status IN ('queued','sending')",
        (now, person_id),
    )
    await tx.execute("UPDATE outbox SET chat_id = 0 WHERE person_id = ?", (person_id,))
    await tx.execute("UPDATE invite SET label = NULL WHERE used_by = ?", (person_id,))
    if tg_user_id is not None:
        await tx.execute("DELETE FROM code_attempt WHERE tg_user_id = ?", (tg_user_id,))
        await tx.execute("DELETE FROM lockout WHERE tg_user_id = ?", (tg_user_id,))
    await tx.execute("DELETE FROM conversation WHERE person_id = ?", (person_id,))
    # Items they raised stay as the council's record, with nobody named as the submitter.
    out["items"] = await tx.execute(
        "UPDATE agenda_item SET submitter_id = NULL WHERE submitter_id = ?", (person_id,)
    )
    # Support rows go; the count stays (the delete trigger takes one off, this puts it back).
    out["supports"] = await tx.execute(
        "UPDATE agenda_item SET anonymous_supports = anonymous_supports + 1,"
        " support_count = support_count + 1"
        " WHERE id IN (SELECT item_id FROM agenda_support WHERE person_id = ?)",
        (person_id,),
    )
    await tx.execute("DELETE FROM agenda_support WHERE person_id = ?", (person_id,))
    # Meetings: a "going" for a meeting already held stays as a count for the reports; one for
    # a meeting still to come simply goes (they will not be there).
    await tx.execute(
        "UPDATE meeting SET going_kept = going_kept + 1 WHERE starts_at <= ? AND id IN"
        " (SELECT meeting_id FROM meeting_rsvp WHERE person_id = ? AND answer = 'going')",
        (now, person_id),
    )
    out["rsvps"] = await tx.execute("DELETE FROM meeting_rsvp WHERE person_id = ?", (person_id,))
    await tx.execute(
        "UPDATE meeting SET attended_kept = attended_kept + 1"
        " WHERE id IN (SELECT meeting_id FROM meeting_attendance WHERE person_id = ?)",
        (person_id,),
    )
    out["attended"] = await tx.execute(
        "DELETE FROM meeting_attendance WHERE person_id = ?", (person_id,)
    )
    await tx.execute("DELETE FROM meeting_told WHERE person_id = ?", (person_id,))
    # Polls: closed polls keep turnout in poll.ballots, so who was an elector can go. An open
    # poll keeps the row: deleting it would change its turnout; nothing on it names them now.
    out["electors"] = await tx.execute(
        "DELETE FROM poll_elector WHERE person_id = ?"
        " AND poll_id IN (SELECT id FROM poll WHERE status = 'closed')",
        (person_id,),
    )
    # Elections (issue 16), the same way: counted elections keep turnout in office.online and
    # office.paper, so the register row and any seconding can go. Past candidacies and terms
    # stay as the public record of an election, under the name on the ballot.
    out["electors"] += await tx.execute(
        "DELETE FROM election_elector WHERE person_id = ? AND office_id IN (SELECT f.id"
        " FROM office f JOIN election e ON e.id = f.election_id WHERE e.status = 'counted')",
        (person_id,),
    )
    await tx.execute("DELETE FROM candidate_seconder WHERE person_id = ?", (person_id,))
    return out


@dataclass(frozen=True)
class OwnData:
    """Counts of what the bot holds about one person, for /mydata. Never a choice or an answer."""

    joined_at: str
    raised: int
    supported: int
    answered_meetings: int
    attended: int
    polls: int
    consultations: int
    waiting: int


async def own_data(tx: Tx, person_id: int) -> OwnData:
    row = await tx.one(
        "SELECT p.joined_at,"
        " (SELECT COUNT(*) FROM agenda_item WHERE submitter_id = p.id),"
        " (SELECT COUNT(*) FROM agenda_support WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM meeting_rsvp WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM meeting_attendance WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM poll_elector WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM (SELECT consultation_id FROM consultation_taker"
        "   WHERE person_id = p.id UNION SELECT consultation_id FROM consultation_participant"
        "   WHERE person_id = p.id AND submitted_at IS NOT NULL)),"
        " (SELECT COUNT(*) FROM outbox WHERE person_id = p.id AND status IN ('queued','sending'))"
        " FROM person p WHERE p.id = ?",
        (person_id,),
    )
    assert row is not None
    return OwnData(str(row[0]), *(int(row[i]) for i in range(1, 8)))


async def ended_before(tx: Tx, cutoff: str) -> list[int]:
    """People revoked or left before the cutoff whose details are not yet deleted."""
    rows = await tx.all(
        "SELECT id FROM person WHERE status IN ('revoked','left') AND updated_at < ?"
        " AND forgotten_at IS NULL ORDER BY id",
        (cutoff,),
    )
    return [int(r[0]) for r in rows]
