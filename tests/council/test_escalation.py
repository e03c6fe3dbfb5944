"""The one escalation mechanism (bot/council/escalation.py) on its own: a test kind whose
subjects are a dict, through the real timer rows and a moved clock, no Telegram. Safeguarding
alerts and scheme requests use it end to end (tests/e2e/test_safety.py, test_schemes.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Settings
from bot.council import escalation, timers
from bot.council.clock import Clock, FakeClock
from storage.db import Database, Tx
from tests.council.conftest import MakePerson

OPEN: dict[int, bool] = {}  # subject id -> nobody has taken it yet
TOLD: list[tuple[int, int]] = []  # (subject, round) each time everyone was told again
ROUND: dict[int, int] = {}


async def _state(tx: Tx, subject_id: int) -> escalation.State | None:
    if subject_id not in OPEN:
        return None
    return escalation.State.OPEN if OPEN[subject_id] else escalation.State.CLOSED


async def _again(tx: Tx, clock: Clock, settings: Settings, subject_id: int) -> int:
    ROUND[subject_id] = ROUND.get(subject_id, 1) + 1
    TOLD.append((subject_id, ROUND[subject_id]))
    return ROUND[subject_id]


async def _due(tx: Tx, clock: Clock, settings: Settings, subject_id: int) -> datetime:
    return clock.now() + timedelta(minutes=10)


TEST = escalation.Escalation(
    "test.escalate",
    timer_key="test:{id}:escalate:{round}",
    rounds=3,
    state=_state,
    again=_again,
    due=_due,
)
TIMER = TEST.timer()


async def _keys(db: Database) -> dict[str, str]:
    async with db.snapshot() as tx:
        rows = await tx.all("SELECT key, status FROM timer WHERE key LIKE 'test:%'")
    return {r["key"]: r["status"] for r in rows}


async def test_rounds_repeat_until_the_limit_and_a_take_stops_them(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    timers.install({TIMER.kind: TIMER})
    OPEN.update({1: True, 2: True})
    async with db.transaction() as tx:
        for subject in (1, 2):
            await TEST.start(tx, subject, clock.now() + timedelta(minutes=10))
    assert await _keys(db) == {"test:1:escalate:1": "pending", "test:2:escalate:1": "pending"}
    clock.advance(timedelta(minutes=10))
    assert await timers.fire_due(db, clock, settings) == {"fired": 2}
    assert sorted(TOLD) == [(1, 2), (2, 2)]
    # Subject 2 is taken: its next round goes (cancelled); subject 1 goes on to round 3, the last.
    actor = await person("staff", wing=None)
    async with db.transaction() as tx:
        OPEN[2] = False
        await TEST.taken(
            tx, clock, subject_id=2, actor=actor, action="test.taken", subject="t:2", detail={}
        )
    clock.advance(timedelta(minutes=10))
    assert await timers.fire_due(db, clock, settings) == {"fired": 1}
    assert sorted(TOLD) == [(1, 2), (1, 3), (2, 2)]
    keys = await _keys(db)
    assert keys["test:2:escalate:2"] == "cancelled" and "test:1:escalate:3" not in keys
    async with db.snapshot() as tx:
        audit = await tx.all("SELECT action, subject FROM audit_log WHERE action = 'test.taken'")
    assert [dict(r) for r in audit] == [{"action": "test.taken", "subject": "t:2"}]


async def test_a_subject_closed_without_a_press_makes_its_timer_stale(
    db: Database, clock: FakeClock, settings: Settings
) -> None:
    timers.install({TIMER.kind: TIMER})
    OPEN[5] = True
    async with db.transaction() as tx:
        await TEST.start(tx, 5, clock.now() + timedelta(minutes=10))
    OPEN[5] = False  # e.g. the member cancelled their request
    clock.advance(timedelta(minutes=10))
    assert await timers.fire_due(db, clock, settings) == {"stale": 1}
    assert (5, 2) not in TOLD


def test_the_two_areas_declare_their_escalation_once() -> None:
    from bot.council import safeguarding, scheme_requests

    assert safeguarding.ESCALATE_TIMER.kind == safeguarding.ESCALATION.kind
    assert scheme_requests.ESCALATE_TIMER.kind == scheme_requests.ESCALATION.kind
    assert escalation.target_key(42) == "c42"
