"""Peer scheme requests (docs/SCHEMES.md): asking for help, which reaches staff only; "I am
arranging this" and its escalation (bot/council/escalation.py); cancelling; the anonymous
follow-up; the Insider welcome for new arrivals; and the retention of requests as counts.

No relay, by construction: a request (and its note) is only ever queued to staff and admins;
nothing here queues text typed by one person in custody to another."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.council import agenda, audit, escalation, notices, roles, timers
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.escalation import target_key
from bot.council.scheme_buttons import (
    ArrangeRequest,
    AskScheme,
    FollowupAnswer,
    FollowupPick,
)
from bot.council.schemes import (
    Listing,
    Scheme,
    Shown,
    all_schemes,
    get,
    may_manage,
    names_param,
)
from bot.council.text import clean
from storage import outbox, people
from storage import schemes as store
from storage.db import Tx
from storage.schemes import RequestRow
from storage.timers import TimerRow

NOTE_MAX = 500
REPEAT_WINDOW = timedelta(minutes=1)
ANSWERS: tuple[FollowupAnswer, ...] = ("yes", "partly", "no")
FOLLOWUP_LABELS: dict[FollowupAnswer, str] = {
    "yes": "schemes.followup.yes",
    "partly": "schemes.followup.partly",
    "no": "schemes.followup.no",
}
ESCALATE = "scheme_escalate"
FOLLOWUP = "scheme_followup"


async def _people_by_tg(tx: Tx, tg_ids: tuple[int, ...]) -> list[Person | int]:
    """Registered people where known (queued by person); otherwise the bare chat id."""
    out: list[Person | int] = []
    for tg_id in tg_ids:
        found = await people.by_tg_user(tx, tg_id)
        out.append(found if found is not None else tg_id)
    return out


async def _staff_for(
    tx: Tx, settings: Settings, scheme: Scheme, wing: str, *, escalating: bool = False
) -> list[Person | int]:
    """Who is told of a request: the coordinators; for urgent schemes the wing's staff too; the
    admins when that is nobody, and always when escalating, so a request is never dropped."""
    found: list[Person | int] = []
    for person_id in await store.coordinator_ids(tx, scheme.id):
        row = await people.by_id(tx, person_id)
        if row is not None and row.status == "active":
            found.append(row)
    found += await _people_by_tg(tx, scheme.coordinators)
    if scheme.urgent:
        found += await _people_by_tg(tx, settings.schemes.wing_staff.get(wing, ()))
    if escalating or not found:
        found += await _people_by_tg(tx, settings.admins)
    unique: dict[str, Person | int] = {}
    for target in found:
        unique.setdefault(target_key(target), target)
    return list(unique.values())


async def _may_arrange(
    tx: Tx, settings: Settings, scheme: Scheme, actor: Person, wing: str
) -> bool:
    if await may_manage(tx, scheme, actor):
        return True
    wing_staff = settings.schemes.wing_staff.get(wing, ())
    return (
        actor.role == roles.STAFF
        and scheme.urgent
        and actor.tg_user_id is not None
        and actor.tg_user_id in wing_staff
    )


class Ask(enum.StrEnum):
    SENT = "sent"
    NOT_ALLOWED = "not_allowed"  # only people in custody ask
    ON_ITS_WAY = "on_its_way"
    NOT_ON_WING = "not_on_wing"
    NO_NOTES = "no_notes"
    NOTE_TOO_LONG = "note_too_long"
    NOTE_EMPTY = "note_empty"


@dataclass(frozen=True)
class Asked:
    outcome: Ask
    scheme: Scheme
    request_id: int | None = None


def note_problem(raw: str | None) -> Ask | None:
    """What is wrong with a typed note (None: nothing; ask() takes it as typed)."""
    cleaned = clean(raw, max_len=NOTE_MAX)
    if cleaned.problem == "too_long":
        return Ask.NOTE_TOO_LONG
    if not cleaned.ok:
        return Ask.NOTE_EMPTY
    return None


async def check_ask(tx: Tx, clock: Clock, scheme: Scheme, person: Person) -> Ask | None:
    """Why this person cannot ask now (None: they can)."""
    if person.role not in roles.IN_CUSTODY:
        return Ask.NOT_ALLOWED
    if not scheme.runs_on(person.wing):
        return Ask.NOT_ON_WING
    since = clock.now() - REPEAT_WINDOW
    if await store.on_its_way(tx, person.id, scheme.id, since) is not None:
        return Ask.ON_ITS_WAY
    return None


async def ask(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    person: Person,
    scheme: Scheme,
    note: str | None = None,
) -> Asked:
    problem = await check_ask(tx, clock, scheme, person)
    if problem is not None:
        return Asked(problem, scheme)
    if note is not None:
        if not scheme.notes:
            return Asked(Ask.NO_NOTES, scheme)
        bad = note_problem(note)
        if bad is not None:
            return Asked(bad, scheme)
        note = clean(note, max_len=NOTE_MAX).text
    now = clock.now()
    wing = person.wing or ""
    request_id = await store.insert_request(
        tx, scheme_id=scheme.id, person_id=person.id, wing=wing, note=note, now=now
    )
    await _tell_staff(tx, clock, settings, scheme, request_id, person, wing, note, now)
    if scheme.escalate_after:
        await ESCALATION.start(tx, request_id, now + timedelta(minutes=scheme.escalate_after))
    await timers.schedule(
        tx,
        key=_followup_key(request_id),
        kind=FOLLOWUP,
        subject_id=request_id,
        due_at=now + settings.schemes.followup_after,
        checksum=timers.checksum_of(request_id, "asked"),
    )
    return Asked(Ask.SENT, scheme, request_id)


def _request_params(
    settings: Settings, scheme: Scheme, request_id: int, person_id: int, wing: str, now: datetime
) -> dict[str, Any]:
    return {
        "scheme": names_param(scheme),
        "person": person_ref(person_id),
        "wing": agenda.wing_param(settings, wing),
        "when": notices.when(now),
        "ref": request_ref(request_id),
    }


def request_ref(request_id: int) -> str:
    return f"H-{request_id:04d}"


def _take(request_id: int) -> tuple[str, ArrangeRequest]:
    """The "I am arranging this" button on a request's notices."""
    return "schemes.arrange.button", ArrangeRequest(request_id)


async def _tell_staff(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    scheme: Scheme,
    request_id: int,
    person: Person,
    wing: str,
    note: str | None,
    now: datetime,
) -> None:
    params = _request_params(settings, scheme, request_id, person.id, wing, now)
    params["note"] = note or ""
    message = "schemes.staff.request_note" if note else "schemes.staff.request"

    def key(target: escalation.Target) -> str:
        return f"scheme:req:{request_id}:{target_key(target)}"

    targets = await _staff_for(tx, settings, scheme, wing)
    if not await escalation.tell(
        tx,
        clock,
        targets,
        key=key,
        message=message,
        params=params,
        take=_take(request_id),
        urgent=scheme.urgent,
    ):
        # Everyone who should hear of it has left or blocked the bot: the admins hear at once.
        admins = await _people_by_tg(tx, settings.admins)
        await escalation.tell(
            tx,
            clock,
            admins,
            key=key,
            message=message,
            params=params,
            take=_take(request_id),
            urgent=True,
        )


class Arrange(enum.StrEnum):
    ARRANGED = "arranged"
    ALREADY = "already"
    CANCELLED = "cancelled"
    GONE = "gone"
    NOT_COORDINATOR = "not_coordinator"


async def arrange(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, request_id: int
) -> Arrange:
    """ "I am arranging this": the first press takes it; the member hears that help is coming."""
    request = await store.get_request(tx, request_id)
    scheme = None if request is None else await get(tx, settings, request.scheme_id)
    if request is None or scheme is None:
        return Arrange.GONE
    if not await _may_arrange(tx, settings, scheme, actor, request.wing):
        return Arrange.NOT_COORDINATOR
    if request.status == "cancelled":
        return Arrange.CANCELLED
    now = clock.now()
    if not await store.arrange(tx, request_id, actor.id, now):
        return Arrange.ALREADY
    await ESCALATION.taken(
        tx,
        clock,
        subject_id=request_id,
        actor=actor,
        action="scheme.arranging",
        subject=request_ref(request_id),
        detail={"scheme": scheme.id, "wing": request.wing},
    )
    if request.person_id is not None:
        member = await people.by_id(tx, request.person_id)
        if member is not None:
            await notices.notify(
                tx,
                clock,
                key=f"scheme:arranged:{request_id}",
                message="schemes.member.arranged",
                params={"scheme": names_param(scheme)},
                person=member,
                urgent=scheme.urgent,
            )
    return Arrange.ARRANGED


class Cancel(enum.StrEnum):
    CANCELLED = "cancelled"
    GONE = "gone"


async def cancel(
    tx: Tx, clock: Clock, settings: Settings, *, person: Person, request_id: int
) -> Cancel:
    """The member no longer needs help. Another person's request id (forged) changes nothing."""
    request = await store.get_request(tx, request_id)
    if request is None or request.person_id != person.id:
        return Cancel.GONE
    now = clock.now()
    if not await store.cancel(tx, request_id, person.id, now):
        return Cancel.GONE
    await ESCALATION.stop(tx, clock, request_id)
    await timers.cancel(tx, clock, _followup_key(request_id))
    # Staff who have not yet been told need not be; those who were hear it is no longer needed.
    for kind in ("req", "esc"):
        await notices.withdraw(tx, clock, f"scheme:{kind}:{request_id}:", "the member cancelled")
    scheme = await get(tx, settings, request.scheme_id)
    if scheme is not None:
        params = _request_params(
            settings, scheme, request_id, person.id, request.wing, request.created_at
        )
        told = [
            target
            for target in await _staff_for(tx, settings, scheme, request.wing, escalating=True)
            if await _was_told(tx, request_id, target)
        ]
        await escalation.tell(
            tx,
            clock,
            told,
            key=lambda target: f"scheme:cancelled:{request_id}:{target_key(target)}",
            message="schemes.staff.cancelled",
            params=params,
        )
    return Cancel.CANCELLED


def _followup_key(request_id: int) -> str:
    return f"scheme:fu:{request_id}:"


async def _was_told(tx: Tx, request_id: int, target: Person | int) -> bool:
    """Whether the request (or its escalation) reached this person's chat."""
    for kind in ("req", "esc"):
        notice = await outbox.by_key(tx, f"scheme:{kind}:{request_id}:{target_key(target)}")
        if notice is not None and notice.status in ("sent", "sending"):
            return True
    return False


async def open_requests(tx: Tx, scheme: Scheme, actor: Person) -> Listing[RequestRow]:
    if not await may_manage(tx, scheme, actor):
        return Listing(Shown.NOT_COORDINATOR)
    return Listing(Shown.SHOWN, await store.open_requests(tx, scheme.id, 20))


async def _state(tx: Tx, request_id: int) -> escalation.State | None:
    request = await store.get_request(tx, request_id)
    if request is None:
        return None
    return escalation.State.OPEN if request.status == "open" else escalation.State.CLOSED


async def _again(tx: Tx, clock: Clock, settings: Settings, request_id: int) -> int | None:
    """Nobody pressed "I am arranging this" in time: staff and the admins hear of it again."""
    request = await store.get_request(tx, request_id)
    scheme = None if request is None else await get(tx, settings, request.scheme_id)
    if request is None or scheme is None:
        return None
    await store.mark_escalated(tx, request.id, clock.now())
    params = _request_params(
        settings, scheme, request.id, request.person_id or 0, request.wing, request.created_at
    )
    params["minutes"] = scheme.escalate_after
    await escalation.tell(
        tx,
        clock,
        await _staff_for(tx, settings, scheme, request.wing, escalating=True),
        key=lambda target: f"scheme:esc:{request.id}:{target_key(target)}",
        message="schemes.staff.escalated",
        params=params,
        take=_take(request.id),
        urgent=True,
    )
    await audit.record(
        tx,
        clock,
        actor_id=None,
        actor_role=None,
        action="scheme.escalated",
        subject=request_ref(request.id),
        detail={"scheme": scheme.id, "minutes": scheme.escalate_after},
    )
    return 2  # the request went once, and again now: that is all (ROUNDS)


async def _no_more_rounds(
    tx: Tx, clock: Clock, settings: Settings, request_id: int
) -> datetime | None:
    return None


# A request goes to staff, and once more to staff and the admins if nobody takes it.
ESCALATION = escalation.Escalation(
    ESCALATE,
    timer_key="scheme:esc:{id}:",
    rounds=2,
    state=_state,
    again=_again,
    due=_no_more_rounds,
)


async def _followup(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    request = await store.get_request(tx, timer.subject_id)
    if request is None or request.person_id is None or request.status == "cancelled":
        return
    scheme = await get(tx, settings, request.scheme_id)
    member = await people.by_id(tx, request.person_id)
    if scheme is None or member is None:
        return
    buttons: list[list[notices.ButtonSpec]] = [
        [
            {"m": FOLLOWUP_LABELS[answer], "d": FollowupPick(request.id, answer).pack()}
            for answer in ANSWERS
        ]
    ]
    await notices.notify(
        tx,
        clock,
        key=f"scheme:fu:{request.id}",
        message="schemes.followup.question",
        params={"scheme": names_param(scheme)},
        person=member,
        buttons=buttons,
    )


async def _followup_checksum(tx: Tx, timer: TimerRow) -> str | None:
    request = await store.get_request(tx, timer.subject_id)
    return None if request is None else timers.checksum_of(request.id, "asked")


def month_of(moment: datetime, settings: Settings) -> str:
    local = moment.astimezone(settings.establishment.timezone)
    return f"{local.year:04d}-{local.month:02d}"


class Followup(enum.StrEnum):
    THANKS = "thanks"
    GONE = "gone"


async def answer_followup(
    tx: Tx, settings: Settings, *, person: Person, request_id: int, answer: str
) -> Followup:
    """Counted once, by scheme and month, with nothing that says who answered."""
    if answer not in ANSWERS:
        return Followup.GONE
    request = await store.get_request(tx, request_id)
    if request is None or request.person_id != person.id:
        return Followup.GONE
    month = month_of(request.created_at, settings)
    done = await store.answer_followup(tx, request_id, person.id, request.scheme_id, month, answer)
    return Followup.THANKS if done else Followup.GONE


async def reduce_old_requests(tx: Tx, clock: Clock, settings: Settings) -> int:
    """Requests older than the retention period become counts per scheme and month. Run by the
    nightly retention sweep (bot/council/retention.py), so a missed night is caught up next."""
    cutoff = clock.now() - settings.schemes.request_retention
    old = await store.requests_before(tx, cutoff)
    grouped: dict[tuple[str, str], list[RequestRow]] = {}
    for request in old:
        month = month_of(request.created_at, settings)
        grouped.setdefault((request.scheme_id, month), []).append(request)
    for (scheme_id, month), rows in grouped.items():
        await store.keep_counts(
            tx,
            scheme_id,
            month,
            requests=len(rows),
            arranged=sum(1 for r in rows if r.arranged_at is not None),
            cancelled=sum(1 for r in rows if r.status == "cancelled"),
            escalated=sum(1 for r in rows if r.escalated_at is not None),
            minutes=[
                int((r.arranged_at - r.created_at).total_seconds() // 60)
                for r in rows
                if r.arranged_at is not None
            ],
        )
    removed = await store.delete_requests(tx, [r.id for r in old])
    if removed:
        await audit.record(
            tx,
            clock,
            actor_id=None,
            actor_role=None,
            action="scheme.requests_reduced",
            detail={"count": removed, "days": settings.schemes.request_retention.days},
        )
    return removed


ESCALATE_TIMER = ESCALATION.timer()
FOLLOWUP_TIMER = timers.Timer(FOLLOWUP, fire=_followup, checksum=_followup_checksum)


async def welcome_once(tx: Tx, clock: Clock, settings: Settings, person: Person) -> Scheme | None:
    """The Insiders scheme on the person's wing, the first time only (None: no welcome)."""
    if person.role not in roles.IN_CUSTODY:
        return None
    insiders = next(
        (
            s
            for s in await all_schemes(tx, settings)
            if s.kind == "insiders" and s.runs_on(person.wing)
        ),
        None,
    )
    if insiders is None or not await store.mark_welcomed(tx, person.id, clock.now()):
        return None
    return insiders


async def welcome(tx: Tx, clock: Clock, settings: Settings, person: Person) -> bool:
    """Staff marked a new arrival: the welcome as a notice, once per person, with one tap to
    ask an Insider. (On joining, the same welcome comes in the join's own replies.)"""
    insiders = await welcome_once(tx, clock, settings, person)
    if insiders is None:
        return False
    return await notices.notify(
        tx,
        clock,
        key=f"scheme:welcome:{person.id}",
        message="schemes.welcome.text",
        params={
            "scheme": names_param(insiders),
            "establishment": settings.establishment.name,
        },
        person=person,
        buttons=[[{"m": "schemes.welcome.button", "d": AskScheme(insiders.id).pack()}]],
    )


class Arrived(enum.StrEnum):
    WELCOMED = "welcomed"
    NOT_ALLOWED = "not_allowed"  # staff and admins mark arrivals
    ALREADY = "already"
    NOT_MEMBER = "not_member"
    NO_INSIDERS = "no_insiders"


async def mark_arrived(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, person_id: int
) -> Arrived:
    if actor.role not in roles.STAFF_SIDE:
        return Arrived.NOT_ALLOWED
    target = await people.by_id(tx, person_id)
    if target is None or target.status != "active" or target.role not in roles.IN_CUSTODY:
        return Arrived.NOT_MEMBER
    if not any(
        s.kind == "insiders" and s.runs_on(target.wing) for s in await all_schemes(tx, settings)
    ):
        return Arrived.NO_INSIDERS
    if not await welcome(tx, clock, settings, target):
        return Arrived.ALREADY
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.new_arrival",
        subject=person_ref(person_id),
    )
    return Arrived.WELCOMED
