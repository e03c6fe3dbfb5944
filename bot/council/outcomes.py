"""Outcomes ("you said, we did"): the ONE way an agenda item's outcome is posted or updated,
from triage ("answer now"), from the minutes, or with /outcome. See docs/OUTCOMES.md.

post() checks the outcome, moves the item through the agenda's own state table (new ->
answered, discussed -> outcome posted, and on to closed when resolved or not possible), keeps
the new version (earlier ones stay as history), tells the submitter and supporters through the
outbox, and (re)starts the follow-up chase: all in the caller's one transaction.

An in-progress outcome chases itself: "outcome_followup" reminds the owner on the follow-up
day, "outcome_escalate" tells admins settings.followup_escalate_after later. Both timers carry a
checksum of the outcome version, so a newer version makes them stale (and post() cancels them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.config import Settings
from bot.council import agenda, audit, content, notices, roles, timers
from bot.council.access import Person, person_ref
from bot.council.agenda import Verdict
from bot.council.clock import Clock
from bot.council.ids import Ids
from bot.council.roles import NotAllowed
from bot.council.text import Cleaned, clean
from storage import agenda as agenda_store
from storage import outcomes as store
from storage import people
from storage import reports as report_store
from storage.agenda import ItemRow
from storage.db import Tx
from storage.outcomes import OutcomeRow
from storage.timers import TimerRow

__all__ = ["OutcomeRow"]

RESOLVED = "resolved"
PARTLY = "partly_resolved"
NOT_POSSIBLE = "not_possible"
IN_PROGRESS = "in_progress"
KINDS = (RESOLVED, PARTLY, NOT_POSSIBLE, IN_PROGRESS)
KIND_IDS = Ids("outcomes.kind.{}", KINDS)
NOTICE_IDS = Ids("outcomes.notice.{}", KINDS)
SUPPORTER_NOTICE_IDS = Ids("outcomes.notice.{}_supporter", KINDS)
# These end the item: it moves on to closed (the agenda's table allows it from both roads).
FINAL = frozenset({RESOLVED, NOT_POSSIBLE})

TRIAGE, MINUTES, COMMAND = "triage", "minutes", "command"
SOURCES = (TRIAGE, MINUTES, COMMAND)

TEXT_MIN, TEXT_MAX = 2, 1000
REASON_MAX = 500
OWNER_MAX = 80
# A follow-up further ahead than this is almost always a typing mistake.
FURTHEST = timedelta(days=2 * 366)
# The follow-up reminder goes out at this time (establishment zone) on the follow-up day.
FOLLOW_UP_AT = time(9, 0)

FOLLOWUP = "outcome_followup"
ESCALATE = "outcome_escalate"


def outcome_text(raw: str | None) -> Cleaned:
    return clean(raw, min_len=TEXT_MIN, max_len=TEXT_MAX, need_words=True)


def reason_text(raw: str | None) -> Cleaned:
    return clean(raw, min_len=TEXT_MIN, max_len=REASON_MAX, need_words=True)


def owner_text(raw: str | None) -> Cleaned:
    return clean(raw, min_len=TEXT_MIN, max_len=OWNER_MAX, need_words=True)


def today(clock: Clock, settings: Settings) -> date:
    return clock.now().astimezone(settings.establishment.timezone).date()


@dataclass(frozen=True)
class Posting:
    """What staff want to post. Checked by problem() before anything changes."""

    kind: str
    text: str
    reason: str | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    follow_up_on: date | None = None


def problem(posting: Posting, *, on: date) -> Verdict | None:
    """None when the posting may be published; else which part is wrong: kind, text, reason,
    owner, date (missing), past (before `on`), too_far."""
    if posting.kind not in KINDS:
        return Verdict.KIND
    if not outcome_text(posting.text).ok:
        return Verdict.TEXT
    if posting.kind == NOT_POSSIBLE and not reason_text(posting.reason).ok:
        return Verdict.REASON
    if posting.kind == IN_PROGRESS:
        if posting.owner_id is None and not owner_text(posting.owner_name).ok:
            return Verdict.OWNER
        if posting.follow_up_on is None:
            return Verdict.DATE
        if posting.follow_up_on < on:
            return Verdict.PAST
        if posting.follow_up_on - on > FURTHEST:
            return Verdict.TOO_FAR
    return None


@dataclass(frozen=True)
class Posted:
    """What came of posting an outcome (a Verdict), with the item and the outcome. From
    check_item, DONE means the item may take an outcome from that road."""

    result: Verdict
    item: ItemRow | None = None
    outcome: OutcomeRow | None = None

    @property
    def done(self) -> bool:
        return self.result is Verdict.DONE


def may_post(actor: Person, source: str) -> bool:
    # The chair triages with staff, so "answer now" is theirs too; everything else is staff's.
    return actor.role in roles.STAFF_SIDE or (source == TRIAGE and actor.role in roles.TRIAGE)


def _path(item: ItemRow, kind: str, source: str) -> list[str] | Verdict:
    """The statuses the item passes through, or why it cannot take this outcome."""
    status = item.status
    if status == agenda.MERGED:
        return Verdict.MERGED
    if status == agenda.DECLINED:
        return Verdict.DECLINED
    if status in (agenda.ACCEPTED, agenda.ON_AGENDA):
        return Verdict.WAITING
    if source == TRIAGE and status not in agenda.UNDECIDED:
        return Verdict.HANDLED
    if source == MINUTES and status != agenda.DISCUSSED:
        return Verdict.HANDLED
    if status == agenda.CLOSED:
        return [] if kind in FINAL else Verdict.CLOSED
    path: list[str] = []
    if status in agenda.UNDECIDED:
        path.append(agenda.ANSWERED)
    elif status == agenda.DISCUSSED:
        path.append(agenda.OUTCOME_POSTED)
    if kind in FINAL:
        path.append(agenda.CLOSED)
    current = status
    for step in path:
        if not agenda.may_move(current, step):
            return Verdict.HANDLED
        current = step
    return path


async def check_item(
    tx: Tx, item_id: int | None, source: str, *, kind: str = RESOLVED, version: int | None = None
) -> Posted:
    """DONE with the item if it can take an outcome of this kind from this road (and is still
    at `version`, when given), else why not. Resolved is allowed wherever any outcome is."""
    item = await agenda_store.get(tx, item_id) if item_id is not None else None
    if item is None:
        return Posted(Verdict.UNKNOWN)
    if version is not None and item.version != version:
        return Posted(Verdict.HANDLED, item)
    path = _path(item, kind, source)
    return Posted(path, item) if isinstance(path, Verdict) else Posted(Verdict.DONE, item)


# Items staff can post (or update) an outcome for from the menu: the rest wait for a meeting,
# were declined or joined, or are closed.
POSTABLE = (
    agenda.NEW,
    agenda.NEEDS_INFO,
    agenda.DISCUSSED,
    agenda.ANSWERED,
    agenda.OUTCOME_POSTED,
)


async def postable(tx: Tx, *, limit: int, offset: int) -> list[ItemRow]:
    return await agenda_store.in_statuses(tx, POSTABLE, limit=limit, offset=offset)


async def merged_into(tx: Tx, item_id: int) -> int | None:
    """Where a merged item's supporters went: its outcome is posted there."""
    item = await agenda_store.get(tx, item_id)
    return None if item is None else item.merged_into


async def post(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    item_id: int,
    version: int | None,
    posting: Posting,
    source: str,
    meeting_id: int | None = None,
) -> Posted:
    """Post (or update) an item's outcome. version: the item's version as the actor saw it
    (None: as it is now, for callers already holding it in this transaction)."""
    if source not in SOURCES or not may_post(actor, source):
        raise NotAllowed(f"{actor.role} may not post outcomes from {source}")
    wrong = problem(posting, on=today(clock, settings))
    if wrong is not None:
        return Posted(wrong)
    item = await agenda_store.get(tx, item_id)
    if item is None:
        return Posted(Verdict.UNKNOWN)
    if version is not None and item.version != version:
        return Posted(Verdict.HANDLED, item)
    path = _path(item, posting.kind, source)
    if isinstance(path, Verdict):
        return Posted(path, item)
    owner_id = posting.owner_id if posting.kind == IN_PROGRESS else None
    if owner_id is not None:
        if await staff_owner(tx, owner_id) is None:
            return Posted(Verdict.OWNER, item)

    now = clock.now()
    text = outcome_text(posting.text).text
    fields: dict[str, Any] = {"answer": text}
    if item.published_at is None:
        fields["published_at"] = now
    current, seen_version = item.status, item.version
    # An update that leaves the status as it is still bumps the item's version: old buttons die.
    for step in path or [current]:
        if not await agenda_store.change_status(
            tx, item.id, expected=current, version=seen_version, new=step, now=now, fields=fields
        ):
            return Posted(Verdict.HANDLED, item)
        current, seen_version, fields = step, seen_version + 1, {}

    previous = await store.latest(tx, item.id)
    outcome = await store.add_version(
        tx,
        item_id=item.id,
        kind=posting.kind,
        text=text,
        reason=reason_text(posting.reason).text if posting.kind == NOT_POSSIBLE else None,
        owner_id=owner_id,
        owner_name=(
            owner_text(posting.owner_name).text
            if posting.kind == IN_PROGRESS and posting.owner_name
            else None
        ),
        follow_up_on=(
            posting.follow_up_on if posting.kind == IN_PROGRESS and posting.follow_up_on else None
        ),
        topic=item.topic,
        wing=item.wing,
        source=source,
        meeting_id=meeting_id,
        posted_by=actor.id or None,
        now=now,
    )
    if source != MINUTES:
        # The other content languages' words, typed in the wizard (handlers/content.py).
        await content.keep(
            tx, actor.id, "outcome", outcome.id, {"text": "text", "reason": "reason"}
        )
    # A newer version stops the old chase (its checksum would make it stale anyway).
    await timers.cancel(tx, clock, f"outcome:{item.id}:")
    if outcome.kind == IN_PROGRESS:
        await _start_chase(tx, settings, outcome)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id or None,
        actor_role=actor.role,
        action="outcome.update" if previous else "outcome.post",
        subject=agenda.ref(item.id),
        detail={
            "kind": outcome.kind,
            "version": outcome.version,
            "source": source,
            "from": item.status,
            "to": current,
            **({"follow_up_on": outcome.follow_up_on.isoformat()} if outcome.follow_up_on else {}),
            **({"owner": person_ref(owner_id)} if owner_id else {}),
        },
    )
    updated = await agenda_store.get(tx, item.id)
    assert updated is not None
    await _tell(tx, clock, settings, updated, outcome, actor=actor, updated=previous is not None)
    return Posted(Verdict.DONE, updated, outcome)


# --- telling people ---------------------------------------------------------------------------


async def owner_label(tx: Tx, outcome: OutcomeRow) -> str:
    """The owner as everyone may read it: the typed name, or the staff person's label."""
    return await owner_of(tx, outcome.owner_id, outcome.owner_name)


async def owner_of(tx: Tx, owner_id: int | None, owner_name: str | None) -> str:
    if owner_name:
        return owner_name
    if owner_id is None:
        return ""
    owner = await people.by_id(tx, owner_id)
    label = (owner.label if owner else "") or ""
    return f"{label} ({person_ref(owner_id)})" if label else person_ref(owner_id)


async def staff_owner(tx: Tx, person_id: int) -> Person | None:
    """The person named as an in-progress outcome's owner, if they are active staff."""
    owner = await people.by_id(tx, person_id)
    if owner is None or owner.status != "active" or owner.role not in roles.STAFF_SIDE:
        return None
    return owner


def day(value: date | None) -> dict[str, str] | str:
    return {"$day": value.isoformat()} if value else ""


async def notice_params(tx: Tx, settings: Settings, outcome: OutcomeRow) -> dict[str, Any]:
    async def words(field: str, text: str) -> dict[str, Any]:
        versions = await content.versions(tx, settings, "outcome", outcome.id, field, text)
        return content.param(settings, versions)

    return {
        "ref": agenda.ref(outcome.item_id),
        "topic": agenda.topic_param(settings, outcome.topic),
        "kind": notices.catalogue(KIND_IDS[outcome.kind]),
        "text": await words("text", outcome.text),
        "reason": await words("reason", outcome.reason) if outcome.reason else "",
        "owner": await owner_label(tx, outcome),
        "date": day(outcome.follow_up_on),
    }


async def _tell(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    item: ItemRow,
    outcome: OutcomeRow,
    *,
    actor: Person,
    updated: bool,
) -> None:
    params = {
        **await notice_params(tx, settings, outcome),
        "intro": notices.catalogue("outcomes.intro.updated" if updated else "outcomes.intro.new"),
    }
    key = f"outcome:{item.id}:v{outcome.version}"
    told = {actor.id}
    if item.submitter_id is not None and item.submitter_id not in told:
        submitter = await people.by_id(tx, item.submitter_id)
        if submitter is not None:
            told.add(submitter.id)
            await notices.notify(
                tx,
                clock,
                key=f"{key}:{submitter.id}",
                person=submitter,
                message=NOTICE_IDS[outcome.kind],
                params=params,
            )
    if item.keyed_in and item.keyed_by is not None and item.keyed_by not in told:
        keyer = await people.by_id(tx, item.keyed_by)
        if keyer is not None and keyer.role in roles.STAFF_SIDE:
            told.add(keyer.id)
            # The writer of a paper slip has no device: the keyer passes the outcome on.
            await notices.notify(
                tx,
                clock,
                key=f"{key}:paper:{keyer.id}",
                person=keyer,
                message="outcomes.notice.paper",
                params=params,
            )
    for supporter_id in await agenda_store.supporter_ids(tx, item.id):
        if supporter_id in told:
            continue
        supporter = await people.by_id(tx, supporter_id)
        if supporter is None:
            continue
        await notices.notify(
            tx,
            clock,
            key=f"{key}:{supporter.id}",
            person=supporter,
            message=SUPPORTER_NOTICE_IDS[outcome.kind],
            params=params,
        )


# --- follow-ups that chase themselves -----------------------------------------------------------


def follow_up_moment(settings: Settings, day: date) -> datetime:
    zone = settings.establishment.timezone
    return datetime.combine(day, FOLLOW_UP_AT, tzinfo=zone)


def chase_checksum(outcome: OutcomeRow) -> str:
    # A day as YYYY-MM-DD (str of a date), as it was stored: waiting chases still match.
    return timers.checksum_of(outcome.id, outcome.kind, outcome.follow_up_on)


async def _start_chase(tx: Tx, settings: Settings, outcome: OutcomeRow) -> None:
    assert outcome.follow_up_on is not None
    due = follow_up_moment(settings, outcome.follow_up_on)
    for kind, at in (
        (FOLLOWUP, due),
        (ESCALATE, due + settings.followup_escalate_after),
    ):
        await timers.schedule(
            tx,
            key=f"outcome:{outcome.item_id}:{outcome.id}:{kind}",
            kind=kind,
            subject_id=outcome.item_id,
            due_at=at,
            checksum=chase_checksum(outcome),
            payload={"outcome": outcome.id},
        )


async def _chase_checksum(tx: Tx, timer: TimerRow) -> str | None:
    latest = await store.latest(tx, timer.subject_id)
    if latest is None or latest.kind != IN_PROGRESS:
        return None
    return chase_checksum(latest)


async def _chased(tx: Tx, outcome: OutcomeRow) -> list[Person]:
    """Who is reminded: the owner if a staff person, else whoever posted it, else admins."""
    for person_id in (outcome.owner_id, outcome.posted_by):
        if person_id is None:
            continue
        person = await people.by_id(tx, person_id)
        if person is not None and person.status == "active" and person.role in roles.STAFF_SIDE:
            return [person]
    return await people.active_with_roles(tx, (roles.ADMIN,))


async def _fire_followup(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    outcome = await store.latest(tx, timer.subject_id)
    if outcome is None:
        return
    params = await notice_params(tx, settings, outcome)
    for person in await _chased(tx, outcome):
        await notices.notify(
            tx,
            clock,
            key=f"{timer.key}:{person.id}",
            person=person,
            message="outcomes.notice.followup",
            params=params,
        )


async def _fire_escalate(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    outcome = await store.latest(tx, timer.subject_id)
    if outcome is None:
        return
    params = {
        **await notice_params(tx, settings, outcome),
        "days": {"$msg": "reader.n.days", "count": settings.followup_escalate_after.days},
    }
    for admin in await people.active_with_roles(tx, (roles.ADMIN,)):
        await notices.notify(
            tx,
            clock,
            key=f"{timer.key}:{admin.id}",
            person=admin,
            message="outcomes.notice.escalate",
            params=params,
        )


FOLLOWUP_TIMER = timers.Timer(FOLLOWUP, fire=_fire_followup, checksum=_chase_checksum)
ESCALATE_TIMER = timers.Timer(ESCALATE, fire=_fire_escalate, checksum=_chase_checksum)


# --- reading: the board, one item's outcome, and a member's own record ------------------------


async def latest(tx: Tx, item_id: int) -> OutcomeRow | None:
    return await store.latest(tx, item_id)


async def history(tx: Tx, item_id: int) -> list[OutcomeRow]:
    return await store.history(tx, item_id)


@dataclass(frozen=True)
class BoardEntry:
    outcome: OutcomeRow
    item_text: str
    owner: str


@dataclass(frozen=True)
class BoardPage:
    entries: list[BoardEntry]
    more: bool


def board_wing(viewer: Person, wing: str | None) -> str | None:
    """The wing a viewer may ask for: any wing or all for everyone who reads the board."""
    del viewer  # every reader may see every wing's outcomes: items are published to all members
    return wing


async def board(
    tx: Tx,
    viewer: Person,
    *,
    wing: str | None,
    page: int,
    size: int,
    since: datetime | None = None,
) -> BoardPage:
    """Latest outcomes, newest first. Families read reports back instead (family_board)."""
    if viewer.role not in roles.IN_CUSTODY | roles.READERS:
        raise NotAllowed(f"{viewer.role} has no agenda board")
    rows = await store.board_page(
        tx,
        wing=board_wing(viewer, wing),
        since=since,
        limit=size + 1,
        offset=page * size,
    )
    shown = rows[:size]
    entries: list[BoardEntry] = []
    for row in shown:
        item = await agenda_store.get(tx, row.item_id)
        entries.append(BoardEntry(row, item.text if item else "", await owner_label(tx, row)))
    return BoardPage(entries, len(rows) > size)


@dataclass(frozen=True)
class FamilyPage:
    reports: list[report_store.ReportBack]
    more: bool


async def family_board(tx: Tx, viewer: Person, *, page: int, size: int) -> FamilyPage:
    """A family member reads what came of the consultations they took part in (see OUTCOMES.md)."""
    if viewer.role != roles.FAMILY:
        raise NotAllowed("only families read this board")
    ids = await report_store.took_part_in(tx, viewer.id)
    rows = await report_store.reports_back(tx, ids, limit=size + 1, offset=page * size)
    return FamilyPage(rows[:size], len(rows) > size)


@dataclass(frozen=True)
class RecordItem:
    item_id: int
    status: str
    outcome: OutcomeRow | None


@dataclass(frozen=True)
class Record:
    role: str
    since: datetime | None
    meetings_attended: int
    meetings: list[tuple[str, datetime]]
    items_raised: int
    items: list[RecordItem]
    consultations_answered: int
    consultations: list[str]


async def my_record(tx: Tx, person: Person, *, limit: int = 10) -> Record:
    """A member's own council work. Consultations: that they answered, never what they said."""
    if person.role not in roles.IN_CUSTODY:
        raise NotAllowed(f"{person.role} has no council record")
    joined = await report_store.joined_at(tx, person.id)
    attended, meetings = await report_store.meetings_attended(tx, person.id, limit=limit)
    raised, items = await report_store.items_raised(tx, person.id, limit=limit)
    latest_outcomes = await store.latest_among(tx, [i for i, _ in items])
    answered, titles = await report_store.consultations_answered(tx, person.id, limit=limit)
    return Record(
        role=person.role,
        since=joined,
        meetings_attended=attended,
        meetings=meetings,
        items_raised=raised,
        items=[RecordItem(i, s, latest_outcomes.get(i)) for i, s in items],
        consultations_answered=answered,
        consultations=titles,
    )
