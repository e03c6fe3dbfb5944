"""Peer schemes (docs/SCHEMES.md): the directory, requests for help that reach staff only, the
"I am arranging this" acknowledgement and its escalation, the anonymous follow-up, the Insider
welcome, peer workers' records and hours, the month's figures, and the retention of requests.

No relay, by construction: a request (and its note) is only ever queued to staff and admins;
nothing here queues text typed by one person in custody to another."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any, Generic, TypeVar

from bot.config import Partner, Settings
from bot.council import agenda, audit, escalation, notices, roles, timers
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.escalation import target_key
from bot.council.scheme_buttons import (
    ArrangeRequest,
    AskScheme,
    FollowupAnswer,
    FollowupPick,
    SchemeKind,
)
from bot.council.text import clean
from storage import outbox, people
from storage import schemes as store

# Database re-exported: the report's handler names the type without importing storage.
from storage.db import Database as Database
from storage.db import Tx
from storage.schemes import RequestRow, WorkerRow
from storage.timers import TimerRow

NOTE_MAX = 500
HOURS_MAX = 80.0  # in one week; more is a typing mistake
REPEAT_WINDOW = timedelta(minutes=1)
ANSWERS: tuple[FollowupAnswer, ...] = ("yes", "partly", "no")
FOLLOWUP_LABELS: dict[FollowupAnswer, str] = {
    "yes": "schemes.followup.yes",
    "partly": "schemes.followup.partly",
    "no": "schemes.followup.no",
}
ESCALATE = "scheme_escalate"
FOLLOWUP = "scheme_followup"
NAME_MAX, TRAINING_MAX = 40, 120
AGENDA_TOPIC = "other"
T = TypeVar("T")


@dataclass(frozen=True)
class Scheme:
    id: str
    kind: str
    names: dict[str, str]
    about: dict[str, str]
    how: dict[str, str]
    wings: tuple[str, ...]  # empty: every wing
    notes: bool
    urgent: bool
    escalate_after: int
    expect_within: int
    coordinators: tuple[int, ...]  # Telegram ids from config.toml
    source: str  # "config" or "staff"

    def name(self, lang: str) -> str:
        return in_language(self.names, lang)

    def runs_on(self, wing: str | None) -> bool:
        return not self.wings or (wing is not None and wing in self.wings)


def in_language(texts: dict[str, str], lang: str) -> str:
    """The reader's language, else English, else whichever language the words were written in
    (a scheme set up where the only content language is Welsh)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


async def all_schemes(tx: Tx, settings: Settings) -> list[Scheme]:
    found = [
        Scheme(
            c.id,
            c.kind,
            c.names,
            c.about,
            c.how,
            c.wings,
            c.notes,
            c.urgent,
            c.escalate_after,
            c.expect_within,
            c.coordinators,
            "config",
        )
        for c in settings.schemes.listed
    ]
    for row in await store.staff_schemes(tx):
        found.append(
            Scheme(
                row.id,
                row.kind,
                row.names,
                row.about,
                row.how,
                row.wings,
                row.notes_allowed,
                row.urgent,
                row.escalate_after,
                row.expect_within,
                (),
                "staff",
            )
        )
    return found


async def get(tx: Tx, settings: Settings, scheme_id: str | None) -> Scheme | None:
    return next((s for s in await all_schemes(tx, settings) if s.id == scheme_id), None)


def partners_for(settings: Settings, scheme_id: str | None) -> list[Partner]:
    """Partners shown on a scheme's page; scheme_id None: those shown on the directory."""
    if scheme_id is None:
        return [p for p in settings.schemes.partners if not p.schemes]
    return [p for p in settings.schemes.partners if scheme_id in p.schemes]


def names_param(scheme: Scheme) -> dict[str, dict[str, str]]:
    return notices.labelled(scheme.names)


# --- who may do what ---------------------------------------------------------------------------


async def directory(tx: Tx, settings: Settings, viewer: Person) -> list[Scheme]:
    """People in custody see the schemes on their wing; staff, admins and observers see all;
    anyone else (families) sees none."""
    if viewer.role not in roles.IN_CUSTODY | roles.READERS:
        return []
    found = await all_schemes(tx, settings)
    if viewer.role in roles.IN_CUSTODY:
        return [s for s in found if s.runs_on(viewer.wing)]
    return found


async def may_manage(tx: Tx, scheme: Scheme, actor: Person) -> bool:
    """Admins manage every scheme; staff only the schemes they coordinate."""
    if actor.role == roles.ADMIN:
        return True
    if actor.role != roles.STAFF:
        return False
    if actor.tg_user_id is not None and actor.tg_user_id in scheme.coordinators:
        return True
    return actor.id in await store.coordinator_ids(tx, scheme.id)


def may_set_up(person: Person) -> bool:
    """Staff and admins set up schemes."""
    return person.role in roles.STAFF_SIDE


def may_appoint(person: Person) -> bool:
    """Only admins appoint coordinators."""
    return person.role == roles.ADMIN


@dataclass(frozen=True)
class PageView:
    """What this person sees and may do on a scheme's page."""

    own_wing: bool  # the listed names are of the viewer's wing only (people in custody)
    listed: dict[str, list[str]]  # wing -> names of peer workers who agreed to be listed
    may_ask: bool  # the scheme runs on the viewer's wing and they are in custody
    waiting: RequestRow | None  # the viewer's own open request, if they may ask
    manages: bool
    appoints: bool


async def page_view(tx: Tx, scheme: Scheme, viewer: Person) -> PageView:
    own_wing = viewer.role in roles.IN_CUSTODY
    listed: dict[str, list[str]] = {}
    for worker in await store.workers(tx, scheme.id):
        if worker.listed_name and (not own_wing or worker.wing == viewer.wing):
            listed.setdefault(worker.wing, []).append(worker.listed_name)
    may_ask = own_wing and scheme.runs_on(viewer.wing)
    return PageView(
        own_wing=own_wing,
        listed=listed,
        may_ask=may_ask,
        waiting=await my_open_request(tx, viewer, scheme.id) if may_ask else None,
        manages=await may_manage(tx, scheme, viewer),
        appoints=may_appoint(viewer),
    )


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


# --- asking for help ---------------------------------------------------------------------------


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


def note_text(raw: str | None) -> tuple[str | None, Ask | None]:
    cleaned = clean(raw, max_len=NOTE_MAX)
    if cleaned.problem == "too_long":
        return None, Ask.NOTE_TOO_LONG
    if not cleaned.ok:
        return None, Ask.NOTE_EMPTY
    return cleaned.text, None


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
        note, bad = note_text(note)
        if bad is not None:
            return Asked(bad, scheme)
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


async def my_open_request(tx: Tx, person: Person, scheme_id: str) -> RequestRow | None:
    found = await store.on_its_way(tx, person.id, scheme_id, None)
    return found if found is not None and found.status == "open" else None


class Shown(enum.StrEnum):
    SHOWN = "shown"
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class Listing(Generic[T]):
    """A coordinator's list (open requests, peer workers); empty unless SHOWN."""

    outcome: Shown
    rows: list[T] = field(default_factory=list)


async def open_requests(tx: Tx, scheme: Scheme, actor: Person) -> Listing[RequestRow]:
    if not await may_manage(tx, scheme, actor):
        return Listing(Shown.NOT_COORDINATOR)
    return Listing(Shown.SHOWN, await store.open_requests(tx, scheme.id, 20))


# --- timers: escalation, the follow-up, and retention -----------------------------------------


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


# --- new arrivals: the Insider welcome ----------------------------------------------------------


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


# --- peer workers: roles, training, hours ------------------------------------------------------


class Worker(enum.StrEnum):
    ADDED = "added"
    NOT_MEMBER = "not_member"
    ALREADY = "already"
    NOT_COORDINATOR = "not_coordinator"


_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_day(text: str) -> date | None:
    match = _DAY.match(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


async def is_member(tx: Tx, person_id: int) -> bool:
    """An active member or chair: the only people who can hold a peer scheme role."""
    target = await people.by_id(tx, person_id)
    return target is not None and target.status == "active" and target.role in roles.IN_CUSTODY


async def add_worker(
    tx: Tx,
    clock: Clock,
    *,
    actor: Person,
    scheme: Scheme,
    person_id: int,
    listed_name: str | None,
    training: str,
    trained_on: date | None,
    started_on: date,
) -> Worker:
    if not await may_manage(tx, scheme, actor):
        return Worker.NOT_COORDINATOR
    target = await people.by_id(tx, person_id)
    if target is None or target.status != "active" or target.role not in roles.IN_CUSTODY:
        return Worker.NOT_MEMBER
    worker_id = await store.add_worker(
        tx,
        scheme_id=scheme.id,
        person_id=person_id,
        wing=target.wing or "",
        listed_name=listed_name,
        training=training,
        trained_on=trained_on,
        started_on=started_on,
        added_by=actor.id,
        now=clock.now(),
    )
    if worker_id is None:
        return Worker.ALREADY
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.worker_added",
        subject=person_ref(person_id),
        detail={"scheme": scheme.id, "listed": listed_name is not None},
    )
    return Worker.ADDED


async def workers(tx: Tx, scheme: Scheme, actor: Person) -> Listing[WorkerRow]:
    if not await may_manage(tx, scheme, actor):
        return Listing(Shown.NOT_COORDINATOR)
    return Listing(Shown.SHOWN, await store.workers(tx, scheme.id))


class End(enum.StrEnum):
    ENDED = "ended"
    GONE = "gone"  # no such active role (already ended, or forged)
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class Ended:
    outcome: End
    person_id: int = 0  # whose role it was


async def end_role(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, worker_id: int
) -> Ended:
    found = await store.worker(tx, worker_id)
    scheme = None if found is None else await get(tx, settings, found.scheme_id)
    if found is None or scheme is None or found.ended_on is not None:
        return Ended(End.GONE)
    if not await may_manage(tx, scheme, actor):
        return Ended(End.NOT_COORDINATOR)
    today = clock.now().astimezone(settings.establishment.timezone).date()
    if not await store.end_worker(tx, worker_id, today):
        return Ended(End.GONE)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.role_ended",
        subject=person_ref(found.person_id or 0),
        detail={"scheme": scheme.id},
    )
    return Ended(End.ENDED, found.person_id or 0)


class HoursProblem(enum.StrEnum):
    FORMAT = "format"
    HOURS = "hours"
    NOT_WORKER = "not_worker"
    TWICE = "twice"


@dataclass(frozen=True)
class HoursLine:
    line: str
    problem: HoursProblem


class Hours(enum.StrEnum):
    SAVED = "saved"
    REFUSED = "refused"  # a bad line, or none at all: nothing saved
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class HoursRecorded:
    outcome: Hours
    saved: int = 0  # peer workers whose hours were saved
    bad: list[HoursLine] = field(default_factory=list)


_HOURS_LINE = re.compile(r"^\s*[Pp]-?(\d{1,9})\s*[:,;]?\s*(-?\d+(?:[.,]\d+)?)\s*$")


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def record_hours(
    tx: Tx,
    clock: Clock,
    *,
    actor: Person,
    scheme: Scheme,
    week: date,
    text: str,
) -> HoursRecorded:
    """Lines like "P-0012 6" for one week. All or nothing: any bad line saves none, and every
    bad line is named, so the coordinator fixes them and sends the list again."""
    if not await may_manage(tx, scheme, actor):
        return HoursRecorded(Hours.NOT_COORDINATOR)
    entries: list[tuple[int, float]] = []
    bad: list[HoursLine] = []
    seen: set[int] = set()
    for raw in text.splitlines():
        if not raw.strip():
            continue
        match = _HOURS_LINE.match(raw)
        if not match:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.FORMAT))
            continue
        person_id, hours = int(match.group(1)), float(match.group(2).replace(",", "."))
        if hours < 0 or hours > HOURS_MAX:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.HOURS))
            continue
        role = await store.active_worker_for(tx, scheme.id, person_id)
        if role is None:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.NOT_WORKER))
            continue
        if person_id in seen:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.TWICE))
            continue
        seen.add(person_id)
        entries.append((role.id, hours))
    if bad or not entries:
        return HoursRecorded(Hours.REFUSED, 0, bad)
    monday = week_start(week)
    await store.put_hours(tx, entries, week=monday, by=actor.id, now=clock.now())
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.hours",
        subject=scheme.id,
        detail={
            "week": monday.isoformat(),
            "workers": len(entries),
            "hours": sum(h for _, h in entries),
        },
    )
    return HoursRecorded(Hours.SAVED, len(entries))


# --- a person's own record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    scheme: dict[str, str]
    training: str
    trained_on: date | None
    started_on: date
    ended_on: date | None
    hours: float


@dataclass(frozen=True)
class SchemeRecord:
    roles: list[Role]
    checked_by: str | None  # the staff member who last recorded something for them


async def record(tx: Tx, settings: Settings, person: Person) -> SchemeRecord:
    """Only people in custody hold peer roles: anyone else's record is empty."""
    if person.role not in roles.IN_CUSTODY:
        return SchemeRecord([], None)
    found = {s.id: s for s in await all_schemes(tx, settings)}
    out: list[Role] = []
    for row in await store.roles_of(tx, person.id):
        scheme = found.get(row.scheme_id)
        out.append(
            Role(
                scheme=scheme.names if scheme else {"en": row.scheme_id},
                training=row.training,
                trained_on=row.trained_on,
                started_on=row.started_on,
                ended_on=row.ended_on,
                hours=row.hours,
            )
        )
    checker_id = await store.last_checker(tx, person.id)
    checker = None if checker_id is None else await people.by_id(tx, checker_id)
    checked_by = None
    if checker is not None:
        checked_by = checker.label or person_ref(checker.id)
    return SchemeRecord(out, checked_by)


# --- co-production: a scheme's issue on the council agenda ------------------------------------


class Raise(enum.StrEnum):
    RAISED = "raised"
    BAD_TEXT = "bad_text"  # too short or too long
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class Raised:
    outcome: Raise
    ref: str = ""  # the agenda item's reference, once RAISED


async def raise_on_agenda(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, scheme: Scheme, text: str
) -> Raised:
    """Keyed in as an agenda item by the coordinator, with the scheme named as the reason."""
    if not await may_manage(tx, scheme, actor):
        return Raised(Raise.NOT_COORDINATOR)
    cleaned = agenda.item_text(text)
    if not cleaned.ok:
        return Raised(Raise.BAD_TEXT)
    topic = AGENDA_TOPIC if settings.topic(AGENDA_TOPIC) else settings.topics[0].id
    wing = scheme.wings[0] if scheme.wings else settings.wings[0].id
    draft = agenda.Draft(topic=topic, wing=wing, text=cleaned.text, name_hidden=False)
    item = await agenda.key_in(
        tx, clock, settings, actor=actor, draft=draft, reason=f"Peer scheme: {scheme.name('en')}"
    )
    return Raised(Raise.RAISED, agenda.ref(item.id))


# --- staff set up a scheme ---------------------------------------------------------------------


class Create(enum.StrEnum):
    CREATED = "created"
    NOT_ALLOWED = "not_allowed"  # staff and admins set up schemes


@dataclass(frozen=True)
class Created:
    outcome: Create
    scheme: Scheme | None = None  # once CREATED


async def create_scheme(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    kind: SchemeKind,
    names: dict[str, str],
    about: dict[str, str],
    how: dict[str, str],
) -> Created:
    if not may_set_up(actor):
        return Created(Create.NOT_ALLOWED)
    taken = {s.id for s in await all_schemes(tx, settings)}
    number = len(taken) + 1
    while f"s{number}" in taken:
        number += 1
    urgent = kind is SchemeKind.LISTENERS
    row = store.SchemeRow(
        id=f"s{number}",
        kind=kind.value,
        names=names,
        about=about,
        how=how,
        wings=(),
        notes_allowed=not urgent,
        urgent=urgent,
        escalate_after=15 if urgent else 0,
        expect_within=60 if urgent else 1440,
    )
    now = clock.now()
    await store.add_scheme(tx, row, created_by=actor.id, now=now)
    await store.add_coordinator(tx, row.id, actor.id, added_by=actor.id, now=now)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.created",
        subject=row.id,
        detail={"kind": kind.value, "name": names.get("en", "")},
    )
    created = await get(tx, settings, row.id)
    assert created is not None  # just written in this transaction
    return Created(Create.CREATED, created)


class Appoint(enum.StrEnum):
    APPOINTED = "appointed"
    NOT_STAFF = "not_staff"  # only active staff coordinate
    NOT_ALLOWED = "not_allowed"  # only admins appoint


async def add_coordinator(
    tx: Tx, clock: Clock, *, actor: Person, scheme: Scheme, person_id: int
) -> Appoint:
    """Admins appoint coordinators; the person must be active staff."""
    if not may_appoint(actor):
        return Appoint.NOT_ALLOWED
    target = await people.by_id(tx, person_id)
    if target is None or target.status != "active" or target.role != roles.STAFF:
        return Appoint.NOT_STAFF
    await store.add_coordinator(tx, scheme.id, person_id, added_by=actor.id, now=clock.now())
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.coordinator",
        subject=person_ref(person_id),
        detail={"scheme": scheme.id},
    )
    return Appoint.APPOINTED


# --- the month's figures -------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    scheme: Scheme
    requests: int
    arranged: int
    cancelled: int
    escalated: int
    median_minutes: float | None
    followup: dict[str, int]
    workers: int
    hours: float


async def figures(
    tx: Tx, settings: Settings, *, viewer: Person, start: datetime, end: datetime
) -> list[Figures]:
    """Each scheme's figures for one month (start, end: its bounds in the establishment zone).
    Raw counts: the report applies the small-number rules when it shows them."""
    if viewer.role not in roles.READERS:
        return []  # the report is for readers only; nobody else sees a figure
    month = f"{start.year:04d}-{start.month:02d}"
    first_day = start.date()
    last_day = (end - timedelta(days=1)).date()
    out: list[Figures] = []
    for scheme in await all_schemes(tx, settings):
        asked = await store.month_requests(tx, scheme.id, month, start, end)
        active, hours = await store.month_workers(tx, scheme.id, first_day, last_day)
        out.append(
            Figures(
                scheme=scheme,
                requests=asked.requests,
                arranged=asked.arranged,
                cancelled=asked.cancelled,
                escalated=asked.escalated,
                median_minutes=median(asked.minutes) if asked.minutes else None,
                followup=await store.followups(tx, scheme.id, month),
                workers=active,
                hours=hours,
            )
        )
    return out


async def month_figures(
    db: Database, settings: Settings, *, viewer: Person, start: datetime, end: datetime
) -> list[Figures]:
    """figures() from a snapshot of its own: the report calls it after its transaction."""
    async with db.snapshot() as tx:
        return await figures(tx, settings, viewer=viewer, start=start, end=end)
