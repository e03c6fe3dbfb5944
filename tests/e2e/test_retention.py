"""The retention sweep (docs/PRIVACY.md): exactly what is older than the retention period goes,
at the boundary; reports stay exact; the audit log is never touched; a second sweep does
nothing; the nightly timer reschedules itself and survives a restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import start_background, stop_background
from bot.config import Backups
from bot.council import reports, retention, timers
from bot.council.reports import Month
from storage.clock import to_db
from tests.support.agenda import item_id, raise_item
from tests.support.harness import START, Harness, make_harness

DAY = timedelta(days=1)


@dataclass
class World:
    """What one seeding made, at one moment."""

    at: datetime
    member: int  # person ids
    fan: int
    revoked: int
    revoked_tg: int
    declined_item: int
    open_item: int
    meeting: int
    poll: int
    consultation: int
    sent_key: str
    queued_key: str


async def seed(h: Harness, at: datetime, tag: str) -> World:
    """People join through the real flow at `at`; the rest is written as it would be stored."""
    h.clock.set(at)
    member_tg, fan_tg = await h.join("member"), await h.join("member")
    revoked_tg = await h.join("member")
    declined = item_id(await raise_item(h, member_tg))
    still_open = item_id(await raise_item(h, member_tg, "The library is shut on Sundays now."))
    member, fan, revoked = [await person_id(h, u) for u in (member_tg, fan_tg, revoked_tg)]
    when = to_db(at)
    async with h.db.transaction() as tx:
        await tx.execute(
            "UPDATE agenda_item SET status = 'declined', answer = 'No', updated_at = ?"
            " WHERE id = ?",
            (when, declined),
        )
        await tx.execute(
            "UPDATE agenda_item SET status = 'accepted', published_at = ?, updated_at = ?"
            " WHERE id = ?",
            (when, when, still_open),
        )
        await tx.execute(
            "UPDATE person SET status = 'revoked', updated_at = ? WHERE id = ?", (when, revoked)
        )
        meeting = await tx.insert(
            "INSERT INTO meeting (kind, title, place, audience, starts_at, created_at, updated_at,"
            " minuted_at, others_count) VALUES ('council', ?, 'Chapel', 'members', ?, ?, ?, ?, 2)",
            (f"Council {tag}", to_db(at - timedelta(hours=1)), when, when, when),
        )
        for person, answer in ((member, "going"), (fan, "cant")):
            await tx.execute(
                "INSERT INTO meeting_rsvp (meeting_id, person_id, answer, at) VALUES (?, ?, ?, ?)",
                (meeting, person, answer, when),
            )
            await tx.execute(
                "INSERT INTO meeting_told (meeting_id, person_id) VALUES (?, ?)", (meeting, person)
            )
        await tx.execute(
            "INSERT INTO meeting_attendance (meeting_id, person_id) VALUES (?, ?)",
            (meeting, member),
        )
        poll = await tx.insert(
            "INSERT INTO poll (question, audience, opened_at, closes_at, status, closed_at,"
            " electorate, ballots) VALUES (?, 'members', ?, ?, 'closed', ?, 2, 1)",
            (f"Poll {tag}", when, when, when),
        )
        for index, (label, votes) in enumerate((("Porridge", 1), ("Toast", 0))):
            await tx.execute(
                "INSERT INTO poll_option (poll_id, option_index, label, votes) VALUES (?, ?, ?, ?)",
                (poll, index, label, votes),
            )
        for person, voted in ((member, 1), (fan, 0)):
            await tx.execute(
                "INSERT INTO poll_elector (poll_id, person_id, voted) VALUES (?, ?, ?)",
                (poll, person, voted),
            )
        consultation = await tx.insert(
            "INSERT INTO consultation (title, background, audience, status, opened_at, closes_at,"
            " closed_at) VALUES (?, 'Why', 'members', 'closed', ?, ?, ?)",
            (f"Visits {tag}", when, when, when),
        )
        participant = await tx.insert(
            "INSERT INTO consultation_participant (consultation_id, grp, submitted_at, name)"
            " VALUES (?, 'member', ?, 'Mr Jones')",
            (consultation, when),
        )
        await tx.execute(
            "INSERT INTO consultation_answer (participant_id, position, answer)"
            " VALUES (?, 1, 'More visits')",
            (participant,),
        )
        await tx.execute(
            "INSERT INTO consultation_taker (consultation_id, person_id) VALUES (?, ?)",
            (consultation, member),
        )
        sent_key, queued_key = f"test:{tag}:sent", f"test:{tag}:queued"
        await tx.execute(
            "INSERT INTO outbox (key, chat_id, person_id, message, not_before, status, created_at,"
            " done_at) VALUES (?, ?, ?, 'common.error', ?, 'sent', ?, ?)",
            (sent_key, member_tg, member, when, when, when),
        )
        await tx.execute(
            "INSERT INTO outbox (key, chat_id, person_id, message, not_before, created_at)"
            " VALUES (?, ?, ?, 'common.error', '2099-01-01T00:00:00.000000Z', ?)",
            (queued_key, fan_tg, fan, when),
        )
        await tx.execute(
            "INSERT INTO code_attempt (tg_user_id, at) VALUES (?, ?)", (fan_tg + 7, when)
        )
        await tx.execute(
            "INSERT INTO lockout (tg_user_id, until) VALUES (?, ?)",
            (fan_tg + 7, to_db(at + timedelta(hours=1))),
        )
        await tx.execute(
            "INSERT INTO conversation (person_id, flow, step, data, updated_at)"
            " VALUES (?, 'raise', 'text', '{}', ?)",
            (fan, when),
        )
        # An invite nobody used, out of date at `at`.
        await tx.execute(
            "INSERT INTO invite (code_hash, role, label, created_at, expires_at)"
            " VALUES (?, 'family', 'Mrs Evans', ?, ?)",
            (f"hash-{tag}", when, when),
        )
    return World(
        at,
        member,
        fan,
        revoked,
        revoked_tg,
        declined,
        still_open,
        meeting,
        poll,
        consultation,
        sent_key,
        queued_key,
    )


async def person_id(h: Harness, user: int) -> int:
    person = await h.person(user)
    assert person is not None
    return person.id


async def dump(h: Harness, *, skip: tuple[str, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    names = [
        r["name"]
        for r in await h.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {n: await h.rows(f"SELECT * FROM {n}") for n in sorted(names) if n not in skip}


async def sweep_at(h: Harness, moment: datetime) -> dict[str, int]:
    h.clock.set(moment)
    async with h.db.transaction() as tx:
        return await retention.sweep(tx, h.clock, h.settings)


async def report(h: Harness, month: Month) -> reports.Report:
    async with h.db.snapshot() as tx:
        return await reports.build(tx, h.clock, h.settings, viewer=None, month=month)


async def count(h: Harness, sql: str, params: tuple[Any, ...] = ()) -> int:
    rows = await h.rows(sql, params)
    return int(next(iter(rows[0].values())))


async def test_the_sweep_removes_exactly_what_is_past_retention_at_the_boundary(
    h: Harness,
) -> None:
    keep = h.settings.retention
    old = await seed(h, START, "old")
    recent = await seed(h, START + timedelta(days=400), "recent")
    await h.admin()
    audit_before = await h.rows("SELECT * FROM audit_log ORDER BY id")

    # One day short of the retention period: only the short-lived rows go.
    first = await sweep_at(h, START + keep - DAY)
    assert first["code_attempts"] == 2 and first["lockouts"] == 2
    assert first["conversations"] == 2
    assert {
        k: v for k, v in first.items() if k not in ("code_attempts", "lockouts", "conversations")
    } == {k: 0 for k in first if k not in ("code_attempts", "lockouts", "conversations")}
    assert await count(h, "SELECT COUNT(*) FROM outbox WHERE key = ?", (old.sent_key,)) == 1
    assert (
        await count(h, "SELECT COUNT(*) FROM meeting_rsvp WHERE meeting_id = ?", (old.meeting,))
        == 2
    )

    months = (Month(2026, 11), Month(2027, 12))
    h.clock.set(START + keep + DAY)
    before = [await report(h, m) for m in months]
    assert before[0].meetings[0].going == 1 and before[0].meetings[0].attended == 3
    assert before[1].polls[0].ballots == 1

    # One day past it: the old world's personal data goes; the recent world is untouched.
    second = await sweep_at(h, START + keep + DAY)
    assert second["people"] == 1
    assert second["items_unlinked"] == 1
    assert second["notices"] == 1 and second["invites"] == 4  # three joins, one out of date
    assert second["rsvps"] == 2 and second["attendance"] == 1 and second["told"] == 2
    assert second["electors"] == 2 and second["takers"] == 1 and second["names"] == 1

    person = (await h.rows("SELECT * FROM person WHERE id = ?", (old.revoked,)))[0]
    assert (person["tg_user_id"], person["label"], person["wing"], person["status"]) == (
        None,
        None,
        None,
        "revoked",
    )
    assert person["forgotten_at"] is not None
    assert (await h.rows("SELECT tg_user_id FROM person WHERE id = ?", (recent.revoked,)))[0][
        "tg_user_id"
    ] is not None
    items = {
        r["id"]: r["submitter_id"] for r in await h.rows("SELECT id, submitter_id FROM agenda_item")
    }
    assert items[old.declined_item] is None and items[old.open_item] == old.member
    assert items[recent.declined_item] == recent.member
    keys = {r["key"] for r in await h.rows("SELECT key FROM outbox")}
    assert old.sent_key not in keys and {old.queued_key, recent.sent_key, recent.queued_key} <= keys
    assert (
        await h.rows(
            "SELECT * FROM invite WHERE used_at < ? OR expires_at < ?", (to_db(START + DAY),) * 2
        )
        == []
    )
    assert await count(h, "SELECT COUNT(*) FROM invite") == 4  # the recent world's
    meetings = {
        r["id"]: (r["going_kept"], r["attended_kept"])
        for r in await h.rows("SELECT id, going_kept, attended_kept FROM meeting")
    }
    assert meetings == {old.meeting: (1, 1), recent.meeting: (0, 0)}
    for table in ("meeting_rsvp", "meeting_told", "meeting_attendance"):
        rows = await h.rows(f"SELECT DISTINCT meeting_id FROM {table}")
        assert rows == [{"meeting_id": recent.meeting}], table
    assert await h.rows("SELECT DISTINCT poll_id FROM poll_elector") == [{"poll_id": recent.poll}]
    assert await h.rows("SELECT electorate, ballots FROM poll WHERE id = ?", (old.poll,)) == [
        {"electorate": 2, "ballots": 1}
    ]
    assert await h.rows(
        "SELECT votes FROM poll_option WHERE poll_id = ? ORDER BY option_index", (old.poll,)
    ) == [{"votes": 1}, {"votes": 0}]
    assert await h.rows(
        "SELECT consultation_id, name FROM consultation_participant ORDER BY id"
    ) == [
        {"consultation_id": old.consultation, "name": None},
        {"consultation_id": recent.consultation, "name": "Mr Jones"},
    ]
    assert await count(h, "SELECT COUNT(*) FROM consultation_answer") == 2

    # Reports: the month within retention is exact, and so is the swept month (kept counts).
    assert [await report(h, m) for m in months] == before

    # The audit log: nothing changed, one line added with counts only.
    audit_after = await h.rows("SELECT * FROM audit_log ORDER BY id")
    assert audit_after[: len(audit_before)] == audit_before
    added = audit_after[len(audit_before) :]
    assert [a["action"] for a in added] == ["retention.sweep", "retention.sweep"]
    assert added[-1]["actor_id"] is None and '"people": 1' in added[-1]["detail"]

    # Idempotent: a second sweep changes nothing but adds its own audit line.
    tables = await dump(h, skip=("audit_log",))
    third = await sweep_at(h, START + keep + DAY)
    assert set(third.values()) == {0}
    assert await dump(h, skip=("audit_log",)) == tables


async def test_a_leaver_is_anonymised_only_once_and_the_revoked_come_back_as_strangers(
    h: Harness,
) -> None:
    old = await seed(h, START, "old")
    await sweep_at(h, START + h.settings.retention + DAY)
    # Their Telegram id appears nowhere now (the code attempts held other ids).
    for table, rows in (await dump(h)).items():
        for row in rows:
            assert old.revoked_tg not in row.values(), (table, row)
    # Coming back needs a new invite, and makes a new person: the old row stays anonymous.
    code = await h.invite_code("member")
    h.double.user(old.revoked_tg, first_name="Back", language_code="en")
    await h.tg.send(old.revoked_tg, f"/start {code}")
    rows = await h.rows("SELECT id FROM person WHERE tg_user_id = ?", (old.revoked_tg,))
    assert rows and rows[0]["id"] != old.revoked


async def test_the_nightly_sweep_reschedules_itself_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    h = await make_harness(tmp_path)
    # Monday 10:00 -> the next 03:30 in London is Tuesday's (GMT in November).
    due = await retention.ensure_scheduled(h.db, h.clock, h.settings)
    assert due == datetime(2026, 11, 3, 3, 30, tzinfo=UTC)
    await retention.ensure_scheduled(h.db, h.clock, h.settings)  # again: replaced, not added
    assert await h.rows("SELECT key, kind, status FROM timer") == [
        {"key": "retention:sweep:2026-11-03", "kind": "retention_sweep", "status": "pending"}
    ]
    await h.close()

    # The nightly backup is a timer too (docs/DEPLOY.md): off here, so only the sweep fires.
    again = await make_harness(tmp_path, backups=Backups(enabled=False))
    try:
        again.clock.set(datetime(2026, 11, 3, 3, 30, 5, tzinfo=UTC))
        await start_background(again.app)  # fires the due sweep, then makes sure of the next
        rows = await again.rows(
            "SELECT key, status, due_at FROM timer WHERE kind = 'retention_sweep' ORDER BY id"
        )
        assert rows == [
            {
                "key": "retention:sweep:2026-11-03",
                "status": "fired",
                "due_at": "2026-11-03T03:30:00.000000Z",
            },
            {
                "key": "retention:sweep:2026-11-04",
                "status": "pending",
                "due_at": "2026-11-04T03:30:00.000000Z",
            },
        ]
        assert again.app.job_queue is not None
        assert again.app.job_queue.get_jobs_by_name("retention:sweep:2026-11-04")
        actions = await again.rows("SELECT action FROM audit_log WHERE action = 'retention.sweep'")
        assert len(actions) == 1
        # The next night it fires from the timer and moves on by a day, once.
        again.clock.set(datetime(2026, 11, 4, 3, 30, tzinfo=UTC))
        assert await timers.fire_due(again.db, again.clock, again.settings) == {"fired": 1}
        assert await timers.fire_due(again.db, again.clock, again.settings) == {}
        pending = await again.rows(
            "SELECT key FROM timer WHERE status = 'pending' AND kind = 'retention_sweep'"
        )
        assert pending == [{"key": "retention:sweep:2026-11-05"}]
    finally:
        await stop_background(again.app)
        await again.close()


def test_the_sweep_time_follows_summer_time(h: Harness) -> None:
    h.clock.set(datetime(2027, 7, 1, 12, 0, tzinfo=UTC))
    assert retention.next_sweep_at(h.clock, h.settings) == datetime(2027, 7, 2, 2, 30, tzinfo=UTC)
    h.clock.set(datetime(2027, 7, 2, 2, 0, tzinfo=UTC))  # 03:00 BST: today's is still to come
    assert retention.next_sweep_at(h.clock, h.settings) == datetime(2027, 7, 2, 2, 30, tzinfo=UTC)
