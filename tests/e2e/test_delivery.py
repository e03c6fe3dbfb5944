"""The outbox sender through the Bot API double: sent once, in the reader's language, and every
fault (429, 403, 400, dropped connection) ends in sent-once or parked-with-a-reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.council import notices
from storage import people
from tests.support.delivery import queue, seed_people, statuses
from tests.support.harness import Harness

NOTICE = "Announcement from HMP Example:\n\n{}"
NOTICE_CY = "Cyhoeddiad gan HMP Example:\n\n{}"


async def test_a_notice_is_sent_once_in_the_readers_language_at_send_time(h: Harness) -> None:
    user = await h.join("member")
    me = await h.person(user)
    assert me is not None
    buttons = [[{"m": "common.yes", "d": "1:menu:help"}, {"x": "Literal", "d": "1:menu:menu"}]]
    assert await queue(h, me, "test:1:person", "first", buttons=buttons)
    assert not await queue(h, me, "test:1:person", "first again")  # same key: never twice
    # They switch to Welsh after the notice was queued: it is rendered when sent, in Welsh.
    await h.tg.send(user, "/language")
    await h.tg.press(user, "Cymraeg")

    assert await h.deliver() == 1
    assert h.tg.last_text(user) == NOTICE_CY.format("first")
    assert h.tg.buttons(user) == ["Ie", "Literal"]
    assert await h.deliver() == 0  # nothing twice
    rows = await h.rows("SELECT status, attempts, tg_message_id FROM outbox")
    assert rows == [
        {"status": "sent", "attempts": 1, "tg_message_id": h.double.last(user).message_id}  # type: ignore[union-attr]
    ]


async def test_429_waits_retry_after_and_then_sends_without_dropping(h: Harness) -> None:
    (person,) = await seed_people(h, 1)
    await queue(h, person, "test:429")
    h.double.fail_next("sendMessage", error="429", retry_after=30)
    assert await h.deliver() == 0
    row = (await h.rows("SELECT status, attempts, not_before, last_error FROM outbox"))[0]
    assert row["status"] == "queued"
    assert row["attempts"] == 0  # a flood wait does not use up a try
    assert "429" in row["last_error"]
    h.clock.advance(timedelta(seconds=29))
    assert await h.deliver() == 0  # not before retry_after has passed
    h.clock.advance(timedelta(seconds=2))
    assert await h.deliver() == 1
    assert h.double.sent_texts(person.tg_user_id) == [NOTICE.format("hello")]  # type: ignore[arg-type]


async def test_403_marks_unreachable_parks_their_queue_and_start_makes_them_reachable(
    h: Harness,
) -> None:
    user = await h.join("member")
    me = await h.person(user)
    assert me is not None
    for n in range(3):
        await queue(h, me, f"test:403:{n}")
    h.double.block(user)
    assert await h.deliver() == 0
    assert set((await statuses(h)).values()) == {"parked"}
    reasons = await h.rows("SELECT DISTINCT last_error FROM outbox")
    assert reasons == [{"last_error": "403 Forbidden: bot was blocked by the user"}]
    me = await h.person(user)
    assert me is not None and me.unreachable
    assert not await queue(h, me, "test:403:after")  # notify refuses to queue to them
    # Only one call was made: the rest were parked without knocking again.
    assert sum(1 for c in h.double.calls if c.method == "sendMessage" and c.status == 403) == 1

    h.double.unblock(user)
    await h.tg.send(user, "/start")
    me = await h.person(user)
    assert me is not None and not me.unreachable
    assert await queue(h, me, "test:403:back", "welcome back")
    assert await h.deliver() == 1
    assert h.tg.last_text(user) == NOTICE.format("welcome back")


async def test_400_parks_with_the_reason_and_admin_sees_it(h: Harness) -> None:
    (person,) = await seed_people(h, 1)
    await queue(h, person, "test:400")
    async with h.db.transaction() as tx:  # a chat the bot never met: Telegram answers 400
        await notices.notify(
            tx, h.clock, key="test:400:stranger", message="common.error", chat_id=999_999_999
        )
    h.double.fail_next("sendMessage", chat_id=person.tg_user_id, error="400")
    assert await h.deliver() == 0
    rows = await h.rows("SELECT key, status, last_error FROM outbox ORDER BY id")
    assert [(r["key"], r["status"]) for r in rows] == [
        ("test:400", "parked"),
        ("test:400:stranger", "parked"),
    ]
    assert rows[0]["last_error"] == "400 Injected fault (double)"
    assert rows[1]["last_error"] == "400 Chat not found"

    admin = await h.admin()
    await h.tg.send(admin, "/delivery")
    view = h.tg.last_text(admin)
    assert "Parked (could not be sent): 2" in view
    assert "test:400:stranger: 400 Chat not found" in view
    # When it was parked, in UTC to the minute, as the outbox keeps it.
    assert f"{h.clock.now().astimezone(UTC):%Y-%m-%d %H:%M}: test:400:stranger" in view


async def test_dropped_connections_retry_with_backoff_then_park(h: Harness) -> None:
    first, second = await seed_people(h, 2)
    await queue(h, first, "test:drop:1")
    await queue(h, second, "test:drop:2")
    h.double.fail_next("sendMessage", chat_id=first.tg_user_id, error="drop", count=2)
    assert await h.deliver() == 1  # the second one is not held up by the first
    row = (await h.rows("SELECT status, attempts FROM outbox WHERE key = 'test:drop:1'"))[0]
    assert row == {"status": "queued", "attempts": 1}
    h.clock.advance(timedelta(seconds=1))  # backoff 1 s, then 2 s
    assert await h.deliver() == 0
    h.clock.advance(timedelta(seconds=2))
    assert await h.deliver() == 1
    assert h.double.delivered_count(first.tg_user_id) == 1  # type: ignore[arg-type]

    # A connection that never comes back: parked after max_attempts (8) with the reason.
    await queue(h, first, "test:drop:3")
    h.double.fail_next("sendMessage", chat_id=first.tg_user_id, error="drop", count=100)
    for _ in range(10):
        await h.deliver()
        h.clock.advance(timedelta(minutes=6))
    row = (
        await h.rows("SELECT status, attempts, last_error FROM outbox WHERE key = 'test:drop:3'")
    )[0]
    assert row["status"] == "parked"
    assert row["attempts"] == 8
    assert row["last_error"].startswith("gave up after 8 tries: NetworkError")


async def test_with_random_faults_every_notice_is_sent_once_or_parked_with_a_reason(
    h: Harness,
) -> None:
    crowd = await seed_people(h, 60)
    for person in crowd:
        for n in range(2):
            await queue(h, person, f"test:mix:{person.id}:{n}", f"notice {n}")
    h.double.fault_rates(p429=0.1, p403=0.05, p400=0.05, pdrop=0.1, seed=7, retry_after=2)
    for _ in range(40):
        await h.deliver()
        h.clock.advance(timedelta(minutes=6))
    rows = await h.rows("SELECT key, chat_id, status, last_error FROM outbox")
    assert {r["status"] for r in rows} <= {"sent", "parked"}
    assert all(r["last_error"] for r in rows if r["status"] == "parked")
    for person in crowd:
        chat = person.tg_user_id
        assert chat is not None
        texts = h.double.sent_texts(chat)
        assert len(texts) == len(set(texts)), "a notice arrived twice"
        sent = [r for r in rows if r["chat_id"] == chat and r["status"] == "sent"]
        assert len(texts) == len(sent)
    parked_403 = [r for r in rows if r["status"] == "parked" and r["last_error"].startswith("403")]
    assert parked_403, "the seed should produce some 403s"
    for row in parked_403:
        async with h.db.transaction() as tx:
            person = await people.by_tg_user(tx, row["chat_id"])
        assert person is not None and person.unreachable


async def test_quiet_hours_hold_and_release_and_late_notices_are_dropped(h: Harness) -> None:
    ordinary, urgent, expiring = await seed_people(h, 3)
    # 22:00 in London (GMT in November): inside the quiet hours 21:30 to 07:30.
    h.clock.set(datetime(2026, 11, 2, 22, 0, tzinfo=UTC))
    await queue(h, ordinary, "test:quiet:ordinary")
    await queue(h, urgent, "test:quiet:urgent", urgent=True)
    meeting = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)  # a reminder for a 07:00 meeting
    await queue(h, expiring, "test:quiet:expiring", expires_at=meeting)
    assert await h.deliver() == 1  # only the urgent one goes at night
    rows = {
        r["key"]: r for r in await h.rows("SELECT key, status, not_before, last_error FROM outbox")
    }
    assert rows["test:quiet:urgent"]["status"] == "sent"
    assert rows["test:quiet:ordinary"]["status"] == "queued"
    assert rows["test:quiet:ordinary"]["not_before"] == "2026-11-03T07:30:00.000000Z"
    assert rows["test:quiet:expiring"]["status"] == "dropped"
    assert rows["test:quiet:expiring"]["last_error"] == (
        "quiet hours: its moment passes before they end"
    )

    h.clock.set(datetime(2026, 11, 3, 3, 0, tzinfo=UTC))  # after midnight, still quiet
    assert await h.deliver() == 0
    h.clock.set(datetime(2026, 11, 3, 7, 30, tzinfo=UTC))
    assert await h.deliver() == 1
    assert h.double.sent_texts(ordinary.tg_user_id) == [NOTICE.format("hello")]  # type: ignore[arg-type]
    assert h.double.sent_texts(expiring.tg_user_id) == []  # type: ignore[arg-type]


async def test_expired_and_departed_are_dropped_with_a_reason(h: Harness) -> None:
    late, leaver = await seed_people(h, 2)
    await queue(h, late, "test:late", expires_at=h.clock.now() + timedelta(minutes=5))
    await queue(h, leaver, "test:leaver")
    async with h.db.transaction() as tx:
        await people.set_status(tx, leaver.id, "left", datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    h.clock.advance(timedelta(minutes=10))
    assert await h.deliver() == 0
    rows = {r["key"]: r for r in await h.rows("SELECT key, status, last_error FROM outbox")}
    assert rows["test:late"]["status"] == "dropped"
    assert rows["test:late"]["last_error"] == "expired before sending"
    assert rows["test:leaver"] == {
        "key": "test:leaver",
        "status": "dropped",
        "last_error": "recipient no longer active",
    }
    assert h.double.sent_texts(late.tg_user_id) == []  # type: ignore[arg-type]


async def test_a_notice_that_cannot_be_rendered_is_parked_not_retried(h: Harness) -> None:
    (person,) = await seed_people(h, 1)
    async with h.db.transaction() as tx:
        await notices.notify(tx, h.clock, key="test:broken", message="no.such.id", person=person)
    assert await h.deliver() == 0
    rows = await h.rows("SELECT status, last_error FROM outbox")
    assert rows[0]["status"] == "parked"
    assert rows[0]["last_error"].startswith("cannot render no.such.id: KeyError")


async def test_a_crash_leftover_in_sending_is_sent_again_once(h: Harness) -> None:
    (person,) = await seed_people(h, 1)
    await queue(h, person, "test:inflight")
    # As if the process died between the 'sending' commit and the answer.
    async with h.db.transaction() as tx:
        await tx.execute("UPDATE outbox SET status = 'sending', attempts = 1")
    assert await h.deliver() == 1
    rows = await h.rows("SELECT status, attempts FROM outbox")
    assert rows == [{"status": "sent", "attempts": 2}]
    assert await h.deliver() == 0


async def test_delivery_view_is_for_admin_only(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/delivery")
    assert h.tg.last_text(staff) == "Sorry, you cannot do that."
    admin = await h.admin()
    await h.tg.send(admin, "/delivery")
    view = h.tg.last_text(admin)
    assert view.startswith("Delivery of notices")
    assert "No notice has been parked." in view
