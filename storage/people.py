"""People admitted to the council bot and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
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


# The channel a config without [[channels]] runs as, and where every identity held before
# channels existed lives. person.tg_user_id mirrors a person's identity on it, for older code.
TELEGRAM = "telegram"


@dataclass(frozen=True)
class Identity:
    """One way to reach a person: a channel's name and their user id on that channel."""

    person_id: int
    channel: str
    user_id: int
    unreachable: bool


async def by_identity(tx: Tx, channel: str, user_id: int) -> PersonRow | None:
    """The person behind a user id on a channel (revoked and departed included)."""
    return _person(
        await tx.one(
            f"SELECT {', '.join('p.' + c.strip() for c in _COLUMNS.split(','))} FROM identity i"
            " JOIN person p ON p.id = i.person_id WHERE i.channel = ? AND i.user_id = ?",
            (channel, user_id),
        )
    )


async def by_tg_user(tx: Tx, tg_user_id: int) -> PersonRow | None:
    """The person behind a user id on the 'telegram' channel (kept for code written before)."""
    return await by_identity(tx, TELEGRAM, tg_user_id)


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


async def identities(tx: Tx, person_id: int) -> list[Identity]:
    rows = await tx.all(
        "SELECT person_id, channel, user_id, unreachable FROM identity WHERE person_id = ?"
        " ORDER BY id",
        (person_id,),
    )
    return [Identity(r[0], r[1], r[2], bool(r[3])) for r in rows]


async def channels_of_many(tx: Tx, person_ids: list[int]) -> dict[int, list[str]]:
    """Each person's channels, oldest identity first, in one read (a page of /people)."""
    if not person_ids:
        return {}
    marks = ",".join("?" * len(person_ids))
    rows = await tx.all(
        f"SELECT person_id, channel FROM identity WHERE person_id IN ({marks}) ORDER BY id",
        tuple(person_ids),
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(int(row[0]), []).append(str(row[1]))
    return found


async def add_identity(tx: Tx, person_id: int, channel: str, user_id: int, now: datetime) -> bool:
    """Give a person one more identity. False when that identity already belongs to someone."""
    stamp = to_db(now)
    owner = await tx.value(
        "SELECT person_id FROM identity WHERE channel = ? AND user_id = ?", (channel, user_id)
    )
    if owner is not None:
        return int(owner) == person_id
    await tx.execute(
        "INSERT INTO identity (person_id, channel, user_id, created_at) VALUES (?, ?, ?, ?)",
        (person_id, channel, user_id, stamp),
    )
    if channel == TELEGRAM:
        await tx.execute(
            "UPDATE person SET tg_user_id = ? WHERE id = ? AND tg_user_id IS NULL",
            (user_id, person_id),
        )
    await tx.execute(
        "UPDATE person SET last_channel = ?, updated_at = ? WHERE id = ?",
        (channel, stamp, person_id),
    )
    return True


async def route(tx: Tx, person_id: int) -> tuple[str, int] | None:
    """Where a notice to this person goes: the channel they chose, else the one they used last,
    else their oldest identity; never one that blocked the bot. None when nothing reaches them."""
    row = await tx.one(
        "SELECT i.channel, i.user_id FROM identity i JOIN person p ON p.id = i.person_id"
        " WHERE i.person_id = ? AND i.unreachable = 0"
        " ORDER BY i.channel IS p.chosen_channel DESC, i.channel IS p.last_channel DESC, i.id"
        " LIMIT 1",
        (person_id,),
    )
    return None if row is None else (str(row[0]), int(row[1]))


async def used_channel(tx: Tx, person_id: int, channel: str, user_id: int, now: datetime) -> None:
    """They wrote on this channel: it is the one they used last, and it reaches them again."""
    await tx.execute(
        "UPDATE person SET last_channel = ? WHERE id = ? AND last_channel IS NOT ?",
        (channel, person_id, channel),
    )
    # Usually nothing to change: one cheap statement, not a write, on every update.
    if await tx.execute(
        "UPDATE identity SET unreachable = 0 WHERE channel = ? AND user_id = ? AND unreachable = 1",
        (channel, user_id),
    ):
        await tx.execute(
            "UPDATE person SET unreachable = 0, updated_at = ? WHERE id = ?",
            (to_db(now), person_id),
        )


async def choose_channel(tx: Tx, person_id: int, channel: str | None, now: datetime) -> None:
    """Notices go to this channel from now on (None: the one used last)."""
    await tx.execute(
        "UPDATE person SET chosen_channel = ?, updated_at = ? WHERE id = ?",
        (channel, to_db(now), person_id),
    )


async def chosen_channel(tx: Tx, person_id: int) -> str | None:
    value = await tx.value("SELECT chosen_channel FROM person WHERE id = ?", (person_id,))
    return None if value is None else str(value)


async def set_identity_unreachable(
    tx: Tx, channel: str, user_id: int, unreachable: bool, now: datetime
) -> None:
    """A 403 on one identity; the person is unreachable only when every identity is."""
    person_id = await tx.value(
        "SELECT person_id FROM identity WHERE channel = ? AND user_id = ?", (channel, user_id)
    )
    if person_id is None:
        return
    await tx.execute(
        "UPDATE identity SET unreachable = ? WHERE channel = ? AND user_id = ?"
        " AND unreachable <> ?",
        (int(unreachable), channel, user_id, int(unreachable)),
    )
    await tx.execute(
        "UPDATE person SET unreachable = NOT EXISTS (SELECT 1 FROM identity"
        " WHERE person_id = person.id AND unreachable = 0), updated_at = ?"
        " WHERE id = ? AND unreachable IS NOT (NOT EXISTS (SELECT 1 FROM identity"
        " WHERE person_id = person.id AND unreachable = 0))",
        (to_db(now), person_id),
    )


async def upsert_member(
    tx: Tx,
    *,
    tg_user_id: int,
    role: str,
    wing: str | None,
    label: str | None,
    language: str,
    now: datetime,
    channel: str = TELEGRAM,
) -> int:
    """Admit a user of a channel (tg_user_id is their id on that channel); a revoked or departed
    person coming back on the same identity gets the same row."""
    stamp = to_db(now)
    existing = await tx.value(
        "SELECT person_id FROM identity WHERE channel = ? AND user_id = ?", (channel, tg_user_id)
    )
    if existing is not None:
        await tx.execute(
            "UPDATE person SET role = ?, status = 'active', wing = ?, label = ?, unreachable = 0,"
            " last_channel = ?, updated_at = ? WHERE id = ?",
            (role, wing, label, channel, stamp, existing),
        )
        await tx.execute("UPDATE identity SET unreachable = 0 WHERE person_id = ?", (existing,))
        return int(existing)
    person_id = await tx.insert(
        "INSERT INTO person (tg_user_id, role, status, language, wing, label, last_channel,"
        " joined_at, updated_at) VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?)",
        (
            tg_user_id if channel == TELEGRAM else None,
            role,
            language,
            wing,
            label,
            channel,
            stamp,
            stamp,
        ),
    )
    await add_identity(tx, person_id, channel, tg_user_id, now)
    return person_id


async def set_language(tx: Tx, person_id: int, language: str, now: datetime) -> None:
    await tx.execute(
        "UPDATE person SET language = ?, language_chosen = 1, updated_at = ? WHERE id = ?",
        (language, to_db(now), person_id),
    )


async def set_status(tx: Tx, person_id: int, status: str, now: datetime) -> int:
    return await tx.execute(
        "UPDATE person SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
        (status, to_db(now), person_id, status),
    )


async def set_unreachable(tx: Tx, person_id: int, unreachable: bool, now: datetime) -> None:
    """The person and every identity of theirs (use set_identity_unreachable for one)."""
    await tx.execute(
        "UPDATE person SET unreachable = ?, updated_at = ? WHERE id = ?",
        (int(unreachable), to_db(now), person_id),
    )
    await tx.execute(
        "UPDATE identity SET unreachable = ? WHERE person_id = ?", (int(unreachable), person_id)
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


async def forget(
    tx: Tx, person_id: int, moment: datetime, *, leaving: bool
) -> dict[str, int] | None:
    """Delete what identifies a person, in the caller's one transaction. leaving=True: an active
    person leaves now (status 'left'); False: the retention sweep forgets someone revoked or left
    long ago (status kept). None when there was nothing to do (already gone or forgotten).

    Kept, without anything that names them: submitted consultation answers (anonymous), items
    they raised (submitter unlinked), their supports and past meeting answers as counts, their
    row in the electorate of a poll still open (turnout must not change), audit lines (ids only)."""
    now = to_db(moment)
    # Read first: clearing tg_user_id below takes the Telegram identity away (a trigger).
    held = [
        (str(r[0]), int(r[1]))
        for r in await tx.all(
            "SELECT channel, user_id FROM identity WHERE person_id = ?", (person_id,)
        )
    ]
    if leaving:
        changed = await tx.execute(
            "UPDATE person SET status = 'left', tg_user_id = NULL, label = NULL, wing = NULL,"
            " last_channel = NULL, chosen_channel = NULL,"
            " unreachable = 1, forgotten_at = ?, updated_at = ? WHERE id = ? AND status = 'active'",
            (now, now, person_id),
        )
    else:
        changed = await tx.execute(
            "UPDATE person SET tg_user_id = NULL, label = NULL, wing = NULL, unreachable = 1,"
            " last_channel = NULL, chosen_channel = NULL,"
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
    for channel, user_id in held:
        await tx.execute(
            "DELETE FROM code_attempt WHERE channel = ? AND tg_user_id = ?", (channel, user_id)
        )
        await tx.execute(
            "DELETE FROM lockout WHERE channel = ? AND tg_user_id = ?", (channel, user_id)
        )
    # Every identity goes: nothing is left that names them on any channel.
    await tx.execute("DELETE FROM identity WHERE person_id = ?", (person_id,))
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

    joined_at: datetime
    raised: int
    supported: int
    answered_meetings: int
    attended: int
    polls: int
    consultations: int
    waiting: int
    elections: int  # offices the person is on the register of
    stood: int  # nominations, withdrawn ones too
    offices: int  # council roles held now
    scheme_requests: int  # requests for peer support made
    peer_roles: int  # peer worker or coordinator roles held now


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
        " (SELECT COUNT(*) FROM outbox WHERE person_id = p.id AND status IN ('queued','sending')),"
        " (SELECT COUNT(*) FROM election_elector WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM candidate WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM office_term WHERE person_id = p.id AND ended_at IS NULL),"
        " (SELECT COUNT(*) FROM scheme_request WHERE person_id = p.id),"
        " (SELECT COUNT(*) FROM peer_worker WHERE person_id = p.id AND ended_on IS NULL)"
        "  + (SELECT COUNT(*) FROM scheme_coordinator WHERE person_id = p.id)"
        " FROM person p WHERE p.id = ?",
        (person_id,),
    )
    assert row is not None
    return OwnData(from_db(str(row[0])), *(int(row[i]) for i in range(1, 13)))


async def ended_before(tx: Tx, cutoff: datetime) -> list[int]:
    """People revoked or left before the cutoff whose details are not yet deleted."""
    rows = await tx.all(
        "SELECT id FROM person WHERE status IN ('revoked','left') AND updated_at < ?"
        " AND forgotten_at IS NULL ORDER BY id",
        (to_db(cutoff),),
    )
    return [int(r[0]) for r in rows]
