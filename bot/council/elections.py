"""Council elections: call, stand, vote by ranking, paper ballots, count, terms.

Ballot secrecy as for polls (docs/BALLOT_SECRECY.md, "Elections"): a ranked ballot is kept whole
for the count, sealed under a random key with no voter, time or order; the register is apart and
changes in the same transaction. A ranking in progress lives only in the voter's own buttons.
No notice, audit line or log line depends on what anyone ranked. Nothing is counted before close.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.config import Settings
from bot.council import audit, content, election_buttons, flows, notices, roles, timers
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.count import IRV, STV, Count, count
from bot.council.ids import Ids
from bot.council.notices import ButtonSpec
from bot.council.paper_polls import PaperMark
from bot.council.text import Cleaned, clean
from storage import content as content_store
from storage import elections as store
from storage import people as people_store
from storage import timers as timer_store
from storage.db import Database, Tx
from storage.elections import CandidateRow, ElectionRow, OfficeRow, TermRow
from storage.timers import TimerRow

__all__ = ["CandidateRow", "ElectionRow", "OfficeRow", "TermRow"]

MAX_OFFICE_NAME = 60
MAX_STATEMENT = 500
MAX_REASON = 300
MAX_OFFICES = 6
MAX_SEATS = 5
MAX_SECONDERS = 3
MAX_CANDIDATES = store.MAX_RANK
ELECTORATES: tuple[election_buttons.Electorate, ...] = ("wing", "members", "reps")
NOMINATION_CHOICES: dict[election_buttons.NominationChoice, timedelta] = {
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "14d": timedelta(days=14),
}
VOTING_CHOICES: dict[election_buttons.VotingChoice, timedelta] = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
}
MIN_PERIOD = timedelta(hours=1)
MAX_NOMINATIONS = timedelta(days=60)

CALLERS = frozenset({roles.STAFF, roles.CHAIR})
VOTERS = frozenset({roles.MEMBER, roles.CHAIR})
PAPER_STAFF = frozenset({roles.STAFF, roles.ADMIN})
BOX_CONFIRMERS = frozenset({roles.STAFF, roles.ADMIN, roles.OBSERVER})

OPEN_KIND = "election_voting_opens"
SOON_KIND = "election_closing_soon"
CLOSE_KIND = "election_close"
TERM_KIND = "office_term_ending"


class Vote(StrEnum):
    """What a ballot press comes to. NOT_OPEN is the one answer for an unknown office, a forged
    ranking and a non-elector alike: it reveals nothing."""

    RECORDED = "recorded"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    ALREADY = "already"
    EMPTY = "empty"


NOT_OPEN, CLOSED, ALREADY, EMPTY, RECORDED = (
    Vote.NOT_OPEN,
    Vote.CLOSED,
    Vote.ALREADY,
    Vote.EMPTY,
    Vote.RECORDED,
)


class Calling(StrEnum):
    CALLED = "called"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"
    NO_ELECTORS = "no_electors"


class Standing(StrEnum):
    """Standing for an office, and why not."""

    STOOD = "stood"
    NOT_ALLOWED = "not_allowed"
    NOT_ELIGIBLE = "not_eligible"
    NOT_OPEN = "not_open"
    ALREADY = "already"
    FULL = "full"
    INVALID = "invalid"


class Withdrawal(StrEnum):
    WITHDRAWN = "withdrawn"
    TOO_LATE = "too_late"
    NOT_STANDING = "not_standing"


class Restatement(StrEnum):
    """A candidate changing their statement."""

    CHANGED = "changed"
    NOT_STANDING = "not_standing"
    TOO_LATE = "too_late"
    INVALID = "invalid"


class Seconding(StrEnum):
    SECONDED = "seconded"
    ALREADY = "already"
    NOT_OPEN = "not_open"
    NOT_ALLOWED = "not_allowed"


class ChangeAsk(StrEnum):
    """Staff asking a candidate to change their statement."""

    ASKED = "asked"
    NOT_ALLOWED = "not_allowed"
    NOT_OPEN = "not_open"
    INVALID = "invalid"


class BoxOpening(StrEnum):
    OPENED = "opened"
    NOT_ALLOWED = "not_allowed"
    NOT_CLOSED = "not_closed"
    TOO_MANY = "too_many"
    LABEL_TAKEN = "label_taken"


class BoxCheck(StrEnum):
    """A second person confirming a box's count."""

    CONFIRMED = "confirmed"
    NOT_ALLOWED = "not_allowed"
    OWN_BOX = "own_box"
    ALREADY = "already"


class Keyed(StrEnum):
    """Keying in one paper ballot, and why not."""

    KEYED = "keyed"
    NOT_ALLOWED = "not_allowed"
    NOT_YOURS = "not_yours"
    NOT_CONFIRMED = "not_confirmed"
    BOX_FULL = "box_full"
    NOT_CLOSED = "not_closed"
    INVALID = "invalid"
    EMPTY = "empty"
    STALE = "stale"
    TOO_MANY = "too_many"


class Counting(StrEnum):
    COUNTED = "counted"
    NOT_CLOSED = "not_closed"
    BOX_OPEN = "box_open"


# The handler layer makes buttons for notices (ballot, "read the statements"); the council never
# knows the callback format.
OfficeButtons = Callable[[int], list[list[ButtonSpec]]]


def method_for(seats: int) -> str:
    return STV if seats > 1 else IRV


def may_call(role: str) -> bool:
    return role in CALLERS


def electorates_for(role: str) -> tuple[election_buttons.Electorate, ...]:
    """Staff call any election; the chair calls the council's own offices, elected by the reps."""
    if role == roles.STAFF:
        return ELECTORATES
    if role == roles.CHAIR:
        return ("reps",)
    return ()


def check_office_name(raw: str) -> Cleaned:
    return clean(raw, min_len=2, max_len=MAX_OFFICE_NAME, need_words=True)


def check_statement(raw: str) -> Cleaned:
    return clean(raw, max_len=MAX_STATEMENT, need_words=True)


def check_reason(raw: str) -> Cleaned:
    return clean(raw, max_len=MAX_REASON, need_words=True)


def check_box_label(raw: str) -> Cleaned:
    return clean(raw, max_len=30, need_words=True)


# --- calling an election ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeDraft(flows.Draft):
    name: str = ""
    seats: int = 0
    electorate: str = ""
    wing: str | None = None


class NewStep(StrEnum):
    NAME = "name"
    SEATS = "seats"
    ELECTORATE = "electorate"
    MORE = "more"
    SECONDERS = "seconders"
    NOMINATIONS = "nominations"
    VOTING = "voting"
    PREVIEW = "preview"


@dataclass(frozen=True)
class Draft(flows.Draft):
    """An election being called, kept in the conversation table between steps."""

    offices: tuple[OfficeDraft, ...] = ()
    name: str = ""  # the office being added
    seats: int = 0
    seconders: int | None = None
    nominations_close_at: datetime | None = None
    voting_closes_at: datetime | None = None


class StandStep(StrEnum):
    STATEMENT = "statement"
    CHANGE = "change"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class StandDraft(flows.Draft):
    office: int = 0
    statement: str = ""


class StaffStep(StrEnum):
    REASON = "reason"
    REGISTER = "register"
    POLL_REGISTER = "poll_register"
    BOX_LABEL = "box_label"
    POLL_BOX_LABEL = "poll_box_label"
    BOX_COUNT = "box_count"
    POLL_BOX_COUNT = "poll_box_count"
    POLL_BOX_TOTALS = "poll_box_totals"


@dataclass(frozen=True)
class StaffDraft(flows.Draft):
    """What a desk step is about: a candidate, an office or a poll, and a box being opened."""

    candidate: int = 0
    office: int = 0
    poll: int = 0
    label: str = ""
    declared: int = 0


# The three flows of elections (handlers/elections.py), declared once.
NEW_ELECTION = flows.Flow("election_new", NewStep, Draft)
STAND = flows.Flow("election_stand", StandStep, StandDraft)
DESK = flows.Flow("election_staff", StaffStep, StaffDraft)


_WHEN = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:.](\d{2})\s*$")


def parse_when(raw: str, settings: Settings) -> datetime | None:
    match = _WHEN.match(raw or "")
    if not match:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=settings.establishment.timezone)
    except ValueError:
        return None


def draft_problem(settings: Settings, role: str, draft: Draft, now: datetime) -> Calling | None:
    """Everything re-checked at publishing: the draft came from stored state."""
    if not may_call(role):
        return Calling.NOT_ALLOWED
    if not 1 <= len(draft.offices) <= MAX_OFFICES:
        return Calling.INVALID
    for office in draft.offices:
        if office.electorate not in electorates_for(role):
            return Calling.NOT_ALLOWED
        if not check_office_name(office.name).ok or not 1 <= office.seats <= MAX_SEATS:
            return Calling.INVALID
        if (office.electorate == "wing") != (office.wing is not None):
            return Calling.INVALID
        if office.wing is not None and settings.wing(office.wing) is None:
            return Calling.INVALID
    if draft.seconders is None or not 0 <= draft.seconders <= MAX_SECONDERS:
        return Calling.INVALID
    if draft.nominations_close_at is None or draft.voting_closes_at is None:
        return Calling.INVALID
    nominations = draft.nominations_close_at
    closes = draft.voting_closes_at
    if nominations < now + MIN_PERIOD or closes < nominations + MIN_PERIOD:
        return Calling.TOO_SOON
    if nominations > now + MAX_NOMINATIONS or closes > nominations + MAX_NOMINATIONS:
        return Calling.TOO_FAR
    return None


async def _electorate(tx: Tx, clock: Clock, office: OfficeDraft) -> list[int]:
    if office.electorate == "reps":
        return await store.current_holders(tx, clock.now())
    wing = office.wing if office.electorate == "wing" else None
    people = await people_store.active_with_roles(tx, tuple(VOTERS), wing)
    return [p.id for p in people]


async def electorate_size(tx: Tx, clock: Clock, draft: Draft) -> int:
    """How many people the election would reach if published now (for the preview)."""
    people: set[int] = set()
    for office in draft.offices:
        people.update(await _electorate(tx, clock, office))
    return len(people)


@dataclass(frozen=True)
class Called:
    outcome: Calling
    election_id: int = 0
    electors: int = 0


def reminder_at(opens: datetime, closes: datetime, settings: Settings) -> datetime:
    return max(closes - settings.poll_closing_soon, opens + (closes - opens) / 2)


async def call_election(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    draft: Draft,
    buttons: OfficeButtons = election_buttons.office_buttons,
) -> Called:
    """Publish: the election, its offices and fixed registers, one notice per elector, the timers
    (voting opens, closing soon, close) and the audit line, in one transaction."""
    now = clock.now()
    problem = draft_problem(settings, actor.role, draft, now)
    if problem is not None:
        return Called(problem)
    assert draft.nominations_close_at and draft.voting_closes_at and draft.seconders is not None
    registers = [await _electorate(tx, clock, o) for o in draft.offices]
    if not all(registers):
        return Called(Calling.NO_ELECTORS)
    election_id = await store.create(
        tx,
        seconders=draft.seconders,
        nominations_close_at=draft.nominations_close_at,
        voting_closes_at=draft.voting_closes_at,
        created_by=actor.id,
        now=now,
    )
    per_person: dict[int, list[dict[str, str]]] = {}
    sizes: list[int] = []
    for position, (office, register) in enumerate(zip(draft.offices, registers, strict=True)):
        office_id = await store.add_office(
            tx,
            election_id,
            position=position,
            name=office.name,
            seats=office.seats,
            electorate=office.electorate,
            wing=office.wing,
            method=method_for(office.seats),
        )
        sizes.append(await store.fix_register(tx, office_id, register))
        # The office's name as typed in each content language (handlers/content.py).
        await content.keep(
            tx, actor.id, "office", office_id, {f"office:{position}": "name"}, clear=False
        )
        names = await content.versions(tx, settings, "office", office_id, "name", office.name)
        for person_id in register:
            per_person.setdefault(person_id, []).append(names)
    nominations = draft.nominations_close_at
    closes = draft.voting_closes_at
    await content.start(tx, actor.id)  # the wizard's translations now belong to the offices
    first = content.first(settings)
    for person_id, their in per_person.items():
        person = await people_store.by_id(tx, person_id)
        if person is None:
            continue
        offices_text = {
            lang: "\n".join(f"• {v.get(lang, v[first])}" for v in their)
            for lang in settings.establishment.content_languages
        }
        await notices.notify(
            tx,
            clock,
            key=f"election:{election_id}:called:{person_id}",
            message="elections.called_notice",
            params={
                "offices": content.param(settings, offices_text),
                "nominations": notices.when(nominations),
                "closes": notices.when(closes),
            },
            person=person,
            buttons=buttons(0),
            expires_at=nominations,
        )
    election = await store.get(tx, election_id)
    assert election is not None
    check = _checksum(election)
    office_rows = await store.offices(tx, election_id)
    payload = {"buttons": {str(o.id): buttons(o.id) for o in office_rows}}
    for kind, suffix, due in (
        (OPEN_KIND, "open", nominations),
        (SOON_KIND, "soon", reminder_at(nominations, closes, settings)),
        (CLOSE_KIND, "close", closes),
    ):
        await timers.schedule(
            tx,
            key=f"election:{election_id}:{suffix}",
            kind=kind,
            subject_id=election_id,
            due_at=due,
            checksum=check,
            payload=payload if kind != CLOSE_KIND else None,
        )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="election.call",
        subject=ref(election_id),
        detail={
            "offices": [
                {"name": o.name, "seats": o.seats, "electorate": o.electorate, "wing": o.wing}
                for o in draft.offices
            ],
            "electors": sizes,
            "seconders": draft.seconders,
            "nominations_close_at": draft.nominations_close_at,
            "voting_closes_at": draft.voting_closes_at,
        },
    )
    return Called(Calling.CALLED, election_id, len(per_person))


async def office_name(tx: Tx, settings: Settings, office_id: int, name: str) -> dict[str, Any]:
    """An office's name as a notice or screen parameter, in each reader's content language."""
    versions = await content.versions(tx, settings, "office", office_id, "name", name)
    return content.param(settings, versions)


async def office_label(tx: Tx, settings: Settings, office: OfficeRow, lang: str) -> str:
    """An office's name in one reader's language (for buttons)."""
    shown = await content.shown(tx, settings, "office", office.id, {"name": office.name}, lang)
    return shown["name"]


def ref(election_id: int) -> str:
    return f"election:{election_id}"


def _checksum(election: ElectionRow) -> str:
    # Times only: the status moves on as the election does, and each timer checks it itself.
    # checksum_of writes times in their stored text form, so timers already queued still match.
    return timers.checksum_of(election.nominations_close_at, election.voting_closes_at)


async def _timer_checksum(tx: Tx, timer: TimerRow) -> str | None:
    election = await store.get(tx, timer.subject_id)
    return None if election is None else _checksum(election)


# --- standing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """An office with its election, as one person may act on it now."""

    office: OfficeRow
    election: ElectionRow


async def place(tx: Tx, office_id: int) -> Place | None:
    office = await store.office(tx, office_id)
    if office is None:
        return None
    election = await store.get(tx, office.election_id)
    assert election is not None
    return Place(office, election)


def nominations_open(election: ElectionRow, clock: Clock) -> bool:
    return election.status == "nominations" and election.nominations_close_at > clock.now()


async def stand_problem(tx: Tx, clock: Clock, person: Person, office_id: int) -> Standing | None:
    """ "" when this person may stand for this office now, else why not."""
    if person.role not in VOTERS or person.status != "active":
        return Standing.NOT_ALLOWED
    found = await place(tx, office_id)
    if found is None:
        return Standing.NOT_ELIGIBLE
    if not nominations_open(found.election, clock):
        return Standing.NOT_OPEN
    # Standing is for the office's own electorate: a member of A wing cannot stand for B wing.
    if await store.voted(tx, office_id, person.id) is None:
        return Standing.NOT_ELIGIBLE
    if await store.candidate_of(tx, office_id, person.id) is not None:
        return Standing.ALREADY
    if len(await store.candidates(tx, office_id, standing_only=True)) >= MAX_CANDIDATES:
        return Standing.FULL
    return None


async def nominate(
    tx: Tx, clock: Clock, settings: Settings, person: Person, office_id: int, statement: str
) -> Standing:
    """ "stood" or the reason from stand_problem, or "invalid" for a bad statement."""
    problem = await stand_problem(tx, clock, person, office_id)
    if problem is not None:
        return problem
    cleaned = check_statement(statement)
    if not cleaned.ok:
        return Standing.INVALID
    name = person.label or person_ref(person.id)
    made = await store.nominate(tx, office_id, person.id, name, cleaned.text, clock.now())
    return Standing.STOOD if made is not None else Standing.ALREADY


async def withdraw(tx: Tx, clock: Clock, person: Person, office_id: int) -> Withdrawal:
    """ "withdrawn", "too_late" (voting has opened) or "not_standing"."""
    found = await place(tx, office_id)
    mine = await store.candidate_of(tx, office_id, person.id)
    if found is None or mine is None or mine.status != "standing":
        return Withdrawal.NOT_STANDING
    if not nominations_open(found.election, clock):
        return Withdrawal.TOO_LATE
    await store.set_candidate_status(tx, mine.id, "standing", "withdrawn")
    return Withdrawal.WITHDRAWN


async def change_statement(
    tx: Tx, clock: Clock, person: Person, office_id: int, statement: str
) -> Restatement:
    found = await place(tx, office_id)
    mine = await store.candidate_of(tx, office_id, person.id)
    if found is None or mine is None or mine.status != "standing":
        return Restatement.NOT_STANDING
    if not nominations_open(found.election, clock):
        return Restatement.TOO_LATE
    cleaned = check_statement(statement)
    if not cleaned.ok:
        return Restatement.INVALID
    await store.set_statement(tx, mine.id, cleaned.text)
    return Restatement.CHANGED


async def second(tx: Tx, clock: Clock, person: Person, candidate_id: int) -> Seconding:
    """A member of the office's electorate seconds someone else's nomination, once."""
    found = await store.candidate(tx, candidate_id)
    if found is None or found.status != "standing" or person.role not in VOTERS:
        return Seconding.NOT_ALLOWED
    office = await place(tx, found.office_id)
    assert office is not None
    if not nominations_open(office.election, clock):
        return Seconding.NOT_OPEN
    if found.person_id == person.id or await store.voted(tx, found.office_id, person.id) is None:
        return Seconding.NOT_ALLOWED
    return (
        Seconding.SECONDED if await store.second(tx, candidate_id, person.id) else Seconding.ALREADY
    )


async def ask_change(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    candidate_id: int,
    reason: str,
    buttons: list[list[ButtonSpec]] | None = None,
) -> ChangeAsk:
    """Staff ask a candidate to change their statement, with a reason. Never an edit."""
    if actor.role not in PAPER_STAFF:
        return ChangeAsk.NOT_ALLOWED
    found = await store.candidate(tx, candidate_id)
    cleaned = check_reason(reason)
    if found is None or found.status != "standing":
        return ChangeAsk.NOT_ALLOWED
    office = await place(tx, found.office_id)
    assert office is not None
    if not nominations_open(office.election, clock):
        return ChangeAsk.NOT_OPEN
    if not cleaned.ok:
        return ChangeAsk.INVALID
    await store.ask_change(tx, candidate_id, cleaned.text)
    person = await people_store.by_id(tx, found.person_id) if found.person_id else None
    if person is not None:
        await notices.notify(
            tx,
            clock,
            key=f"election:candidate:{candidate_id}:change:{clock.now()}",
            message="elections.change_asked",
            params={
                "office": await office_name(tx, settings, office.office.id, office.office.name),
                "reason": cleaned.text,
            },
            person=person,
            buttons=election_buttons.change_statement_buttons() if buttons is None else buttons,
        )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="election.ask_change",
        subject=f"candidate:{candidate_id}",
        detail={"office": found.office_id},
    )
    return ChangeAsk.ASKED


# --- voting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotView:
    """What one elector sees of an office's ballot: the candidates, and their own ranking so far
    (which came from their own button, never from storage)."""

    place: Place
    candidates: list[CandidateRow]  # standing, in ballot order
    ranking: list[int]  # positions in candidates, best first

    @property
    def ranked(self) -> list[CandidateRow]:
        return [self.candidates[i] for i in self.ranking]

    @property
    def remaining(self) -> list[tuple[int, CandidateRow]]:
        return [(i, c) for i, c in enumerate(self.candidates) if i not in self.ranking]


def ranking_fits(ranking: list[int], size: int) -> bool:
    """Forged data: a position outside the ballot, or the same candidate twice."""
    return all(0 <= i < size for i in ranking) and len(set(ranking)) == len(ranking)


def voting_open(election: ElectionRow, clock: Clock) -> bool:
    return election.status == "voting" and election.voting_closes_at > clock.now()


async def _ballot_place(
    tx: Tx, clock: Clock, settings: Settings, office_id: int, ranking: list[int]
) -> BallotView | Vote:
    found = await place(tx, office_id)
    if found is None:
        return NOT_OPEN
    if found.election.status == "voting" and not voting_open(found.election, clock):
        await close(tx, clock, settings, found.election.id)  # its timer has not run yet
        return CLOSED
    if found.election.status in ("closed", "counted"):
        return CLOSED
    if found.election.status != "voting":
        return NOT_OPEN
    candidates = await store.candidates(tx, office_id, standing_only=True)
    if not ranking_fits(ranking, len(candidates)):
        return NOT_OPEN
    return BallotView(found, candidates, ranking)


async def ballot(
    tx: Tx, clock: Clock, settings: Settings, person: Person, office_id: int, ranking: list[int]
) -> BallotView | Vote:
    """The ballot for this elector with this ranking, or why not (NOT_OPEN, CLOSED, ALREADY)."""
    state = await store.voted(tx, office_id, person.id)
    if state is None:
        return NOT_OPEN
    view = await _ballot_place(tx, clock, settings, office_id, ranking)
    if isinstance(view, Vote):
        return view
    return ALREADY if state else view


async def statements(tx: Tx, person: Person, office_id: int) -> Place | None:
    """Anyone on the register (or staff) may read the candidates' statements."""
    found = await place(tx, office_id)
    if found is None:
        return None
    if person.role in BOX_CONFIRMERS or await store.voted(tx, office_id, person.id) is not None:
        return found
    return None


async def cast(
    tx: Tx, clock: Clock, settings: Settings, person: Person, office_id: int, ranking: list[int]
) -> Vote:
    """Record one ranked ballot: RECORDED, ALREADY, CLOSED, NOT_OPEN or EMPTY. The ranking is
    sealed and forgotten: not returned, logged or audited."""
    view = await ballot(tx, clock, settings, person, office_id, ranking)
    if isinstance(view, Vote):
        return view
    if not ranking:
        return EMPTY
    ids = [view.candidates[i].id for i in ranking]
    if await store.cast(tx, office_id, person.id, ids, clock.now()):
        return RECORDED
    return ALREADY


# --- the timers: voting opens, closing soon, close ---------------------------------------------


async def _fire_open(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    await open_voting(tx, clock, settings, timer.subject_id, timer.payload)


async def open_voting(
    tx: Tx, clock: Clock, settings: Settings, election_id: int, payload: dict[str, Any]
) -> None:
    """Nominations close and voting opens: unseconded nominations drop, ballots go out."""
    election = await store.get(tx, election_id)
    if election is None or not await store.set_status(
        tx, election.id, "nominations", "voting", clock.now()
    ):
        return
    closes = election.voting_closes_at
    per_office = payload.get("buttons") or {}
    for office in await store.offices(tx, election.id):
        for candidate in await store.candidates(tx, office.id, standing_only=True):
            if candidate.seconders < election.seconders:
                await store.set_candidate_status(tx, candidate.id, "standing", "not_seconded")
        standing = await store.candidates(tx, office.id, standing_only=True)
        if not standing:
            continue
        buttons = per_office.get(str(office.id))
        for person in await store.electors(tx, office.id):
            await notices.notify(
                tx,
                clock,
                key=f"election:{election.id}:ballot:{office.id}:{person.id}",
                message="elections.ballot_notice",
                params={
                    "office": await office_name(tx, settings, office.id, office.name),
                    "seats": office.seats,
                    "candidates": "\n".join(f"• {c.name}" for c in standing),
                    "closes": notices.when(closes),
                },
                person=person,
                buttons=buttons if isinstance(buttons, list) else None,
                expires_at=closes,
            )


async def catch_up(db: Database, clock: Clock, settings: Settings) -> int:
    """At start-up: an election whose opening or closing timer was missed beyond the grace
    period (the bot was down) opens or closes now, late, rather than staying stuck."""
    async with db.transaction() as tx:
        due = await store.overdue(tx, clock.now())
    moved = 0
    for election in due:
        async with db.transaction() as tx:
            if election.status == "nominations":
                timer = await timer_store.get(tx, f"election:{election.id}:open")
                await open_voting(tx, clock, settings, election.id, timer.payload if timer else {})
                moved += 1
            fresh = await store.get(tx, election.id)
            if fresh is not None and fresh.status == "voting" and not voting_open(fresh, clock):
                moved += await close(tx, clock, settings, election.id)
    return moved


async def closing_soon(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    election = await store.get(tx, timer.subject_id)
    if election is None or not voting_open(election, clock):
        return
    closes = election.voting_closes_at
    per_office = timer.payload.get("buttons") or {}
    for office in await store.offices(tx, election.id):
        buttons = per_office.get(str(office.id))
        for person in await store.electors(tx, office.id, not_voted_only=True):
            await notices.notify(
                tx,
                clock,
                key=f"election:{election.id}:soon:{office.id}:{person.id}",
                message="elections.closing_soon",
                params={
                    "office": await office_name(tx, settings, office.id, office.name),
                    "closes": notices.when(closes),
                },
                person=person,
                buttons=buttons if isinstance(buttons, list) else None,
                expires_at=closes,
            )


async def close(tx: Tx, clock: Clock, settings: Settings, election_id: int) -> bool:
    """Voting ends: freeze turnout; count now unless paper votes are still to be keyed in."""
    now = clock.now()
    if not await store.set_status(tx, election_id, "voting", "closed", now):
        return False
    await timers.cancel(tx, clock, f"election:{election_id}:soon")
    paper = 0
    for office in await store.offices(tx, election_id):
        await store.freeze_turnout(tx, office.id)
        paper += (await store.turnout(tx, office.id))[1]
    if paper == 0:
        await count_election(tx, clock, settings, election_id)
        return True
    for person in await people_store.active_with_roles(tx, (roles.STAFF,)):
        await notices.notify(
            tx,
            clock,
            key=f"election:{election_id}:paper:{person.id}",
            message="elections.paper_waiting",
            params={"paper": {"$msg": "elections.paper_voters", "count": paper}},
            person=person,
        )
    return True


async def _fire_close(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    await close(tx, clock, settings, timer.subject_id)


# --- paper ballots ---------------------------------------------------------------------------


async def mark_paper(
    tx: Tx, clock: Clock, *, actor: Person, office_id: int, person_id: int
) -> PaperMark:
    """Mark the register: this elector voted on paper. "marked", "already" (voted online or on
    paper), "not_elector", "closed" or "not_allowed"."""
    if actor.role not in PAPER_STAFF:
        return PaperMark.NOT_ALLOWED
    found = await place(tx, office_id)
    if found is None:
        return PaperMark.NOT_ELECTOR
    state = await store.voted(tx, office_id, person_id)
    if state is None:
        return PaperMark.NOT_ELECTOR
    if found.election.status not in ("voting", "closed"):
        return PaperMark.CLOSED
    if state:
        return PaperMark.ALREADY
    if not await store.mark_paper(tx, office_id, person_id):
        return PaperMark.ALREADY
    if found.election.status == "closed":
        await store.freeze_turnout(tx, office_id)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="election.paper_register",
        subject=person_ref(person_id),
        detail={"office": office_id},
    )
    return PaperMark.MARKED


async def open_box(
    tx: Tx, clock: Clock, *, actor: Person, office_id: int, label: str, declared: int
) -> BoxOpening:
    """A ballot box to key in, after voting closes; its count waits for a second person."""
    if actor.role not in PAPER_STAFF:
        return BoxOpening.NOT_ALLOWED
    found = await place(tx, office_id)
    if found is None or found.election.status != "closed":
        return BoxOpening.NOT_CLOSED
    paper = (await store.turnout(tx, office_id))[1]
    if declared < 1 or await store.declared_total(tx, office_id=office_id) + declared > paper:
        return BoxOpening.TOO_MANY
    made = await store.add_box(
        tx, office_id=office_id, label=label, declared=declared, keyed_by=actor.id
    )
    if made is None:
        return BoxOpening.LABEL_TAKEN
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="election.box_open",
        subject=f"box:{made}",
        detail={"office": office_id, "label": label, "declared": declared},
    )
    return BoxOpening.OPENED


async def confirm_box(tx: Tx, clock: Clock, *, actor: Person, box_id: int) -> BoxCheck:
    if actor.role not in BOX_CONFIRMERS:
        return BoxCheck.NOT_ALLOWED
    found = await store.box(tx, box_id)
    if found is None:
        return BoxCheck.NOT_ALLOWED
    if found.keyed_by == actor.id:
        return BoxCheck.OWN_BOX
    if found.status != "unconfirmed":
        return BoxCheck.ALREADY
    await store.confirm_box(tx, box_id, actor.id, done=found.poll_id is not None)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="paper.box_confirm",
        subject=f"box:{box_id}",
        detail={"declared": found.declared},
    )
    return BoxCheck.CONFIRMED


@dataclass(frozen=True)
class Keying:
    box: store.BoxRow
    view: BallotView


async def keying(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, box_id: int, ranking: list[int]
) -> Keying | Keyed:
    """A paper ballot being keyed from a box: the box must be confirmed and this person's."""
    if actor.role not in PAPER_STAFF:
        return Keyed.NOT_ALLOWED
    found = await store.box(tx, box_id)
    if found is None or found.office_id is None:
        return Keyed.NOT_ALLOWED
    if found.keyed_by != actor.id:
        return Keyed.NOT_YOURS
    if found.status == "unconfirmed":
        return Keyed.NOT_CONFIRMED
    if found.status == "done":
        return Keyed.BOX_FULL
    office = await place(tx, found.office_id)
    assert office is not None
    if office.election.status != "closed":
        return Keyed.NOT_CLOSED
    candidates = await store.candidates(tx, found.office_id, standing_only=True)
    if not ranking_fits(ranking, len(candidates)):
        return Keyed.INVALID
    return Keying(found, BallotView(office, candidates, ranking))


async def key_ballot(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    box_id: int,
    expected: int,
    ranking: list[int],
) -> Keyed:
    """Key one paper ballot. `expected` is how many the box held when the keyer saw it, so a
    double press (or a stale screen) keys nothing twice. Never linked to anyone."""
    found = await keying(tx, clock, settings, actor=actor, box_id=box_id, ranking=ranking)
    if isinstance(found, Keyed):
        return found
    if not ranking:
        return Keyed.EMPTY
    if found.box.keyed != expected:
        return Keyed.STALE
    ids = [found.view.candidates[i].id for i in ranking]
    if not await store.key_ballot(tx, box_id, actor.id, ids):
        return Keyed.TOO_MANY
    box = await store.box(tx, box_id)
    assert box is not None
    if box.status == "done":
        await audit.record(
            tx,
            clock,
            actor_id=actor.id,
            actor_role=actor.role,
            action="election.box_keyed",
            subject=f"box:{box_id}",
            detail={"office": box.office_id, "ballots": box.keyed},
        )
    return Keyed.KEYED


# --- the count and the results ---------------------------------------------------------------


def _stage_json(stage: Any) -> dict[str, Any]:
    def num(v: Any) -> float:
        return round(float(v), 2)

    return {
        "votes": {str(k): num(v) for k, v in stage.votes.items()},
        "exhausted": num(stage.exhausted),
        "elected": list(stage.elected),
        "action": stage.action,
        "subject": stage.subject,
        "transfers": {str(k): num(v) for k, v in stage.transfers.items()},
        "to_exhausted": num(stage.to_exhausted),
        "tie_break": stage.tie_break,
    }


def result_json(office: OfficeRow, candidates: list[CandidateRow], result: Count) -> dict[str, Any]:
    return {
        "method": result.method,
        "seats": result.seats,
        "valid": result.valid,
        "quota": float(result.quota),
        "names": {str(c.id): c.name for c in candidates},
        "elected": result.elected,
        "stages": [_stage_json(s) for s in result.stages],
    }


async def count_office(tx: Tx, office: OfficeRow) -> Count:
    candidates = await store.candidates(tx, office.id, standing_only=True)
    ballots = await store.ballots(tx, office.id)
    return count(
        [c.id for c in candidates],
        ballots,
        office.seats,
        method=office.method,
        seed=f"office:{office.id}",
    )


async def count_problem(tx: Tx, election_id: int) -> Counting | None:
    for office in await store.offices(tx, election_id):
        if any(b.status != "done" for b in await store.boxes(tx, office_id=office.id)):
            return Counting.BOX_OPEN
    return None


async def count_election(
    tx: Tx, clock: Clock, settings: Settings, election_id: int, *, actor: Person | None = None
) -> Counting:
    """Count every office (once), start the terms of those elected, and send the results to
    the electorate, the candidates and staff. "counted", "not_closed", "box_open"."""
    election = await store.get(tx, election_id)
    if election is None or election.status != "closed":
        return Counting.NOT_CLOSED
    problem = await count_problem(tx, election_id)
    if problem is not None:
        return problem
    now = clock.now()
    await store.set_status(tx, election_id, "closed", "counted", now)
    ends = now + settings.election_term
    recipients: dict[int, list[OfficeRow]] = {}
    for office in await store.offices(tx, election_id):
        candidates = await store.candidates(tx, office.id, standing_only=True)
        result = await count_office(tx, office)
        await store.set_result(tx, office.id, result_json(office, candidates, result))
        by_id = {c.id: c for c in candidates}
        for candidate_id in result.elected:
            person_id = by_id[candidate_id].person_id
            if person_id is None:
                continue
            term_id = await store.add_term(tx, office.id, person_id, now, ends)
            await timers.schedule(
                tx,
                key=f"term:{term_id}:ending",
                kind=TERM_KIND,
                subject_id=term_id,
                due_at=max(now, ends - settings.election_term_reminder),
                checksum=timers.checksum_of(term_id, ends),
            )
        fresh = await store.office(tx, office.id)
        assert fresh is not None
        for person in await store.electors(tx, office.id):
            recipients.setdefault(person.id, []).append(fresh)
        for candidate in candidates:
            if candidate.person_id is not None:
                recipients.setdefault(candidate.person_id, [])
                if fresh not in recipients[candidate.person_id]:
                    recipients[candidate.person_id].append(fresh)
    for staff in await people_store.active_with_roles(tx, (roles.STAFF,)):
        recipients[staff.id] = await store.offices(tx, election_id)
    for person_id, offices in recipients.items():
        reader = await people_store.by_id(tx, person_id)
        if reader is None:
            continue
        for office in offices:
            await notices.notify(
                tx,
                clock,
                key=f"election:{election_id}:result:{office.id}:{person_id}",
                message="elections.result_notice",
                params=await result_params(tx, settings, office),
                person=reader,
            )
    await audit.record(
        tx,
        clock,
        actor_id=None if actor is None else actor.id,
        actor_role=None if actor is None else actor.role,
        action="election.count",
        subject=ref(election_id),
        # How many ballots per office, never a preference.
        detail={"ballots": [o.online + o.paper for o in await store.offices(tx, election_id)]},
    )
    return Counting.COUNTED


def withheld(settings: Settings, office: OfficeRow) -> bool:
    """The small-number rule: below the minimum, no per-candidate figures."""
    valid = int((office.result or {}).get("valid", 0))
    return valid < settings.poll_min_votes


async def result_params(tx: Tx, settings: Settings, office: OfficeRow) -> dict[str, Any]:
    result = office.result or {}
    names = result.get("names", {})
    elected = [names.get(str(c), "?") for c in result.get("elected", [])]
    voted = office.online + office.paper
    params: dict[str, Any] = {
        "office": await office_name(tx, settings, office.id, office.name),
        "elected": ", ".join(elected) if elected else notices.catalogue("elections.nobody"),
        "voted": voted,
        "electors": office.electors,
        "online": office.online,
        "paper": office.paper,
        "turnout": round(100 * voted / office.electors) if office.electors else 0,
        "rounds": "" if withheld(settings, office) else rounds_table(result),
        "note": notices.catalogue(
            "elections.withheld_note" if withheld(settings, office) else "elections.rounds_note"
        ),
    }
    return params


def rounds_table(result: dict[str, Any]) -> str:
    """Each stage's votes and what moved, as plain lines (names are candidates' own)."""
    names: dict[str, str] = result.get("names", {})
    lines: list[str] = []
    for number, stage in enumerate(result.get("stages", []), start=1):
        votes = ", ".join(
            f"{names.get(k, k)} {_fmt(v)}"
            for k, v in sorted(stage["votes"].items(), key=lambda kv: -kv[1])
        )
        lines.append(f"{number}. {votes}")
        moved = stage.get("transfers") or {}
        if stage.get("subject") is not None and stage["action"] in ("surplus", "exclude"):
            sign = "−" if stage["action"] == "exclude" else "↷"
            parts = [
                f"{names.get(k, k)} +{_fmt(v)}"
                for k, v in sorted(moved.items(), key=lambda kv: -kv[1])
            ]
            if stage.get("to_exhausted"):
                parts.append(f"∅ {_fmt(stage['to_exhausted'])}")
            lines.append(
                f"   {sign} {names.get(str(stage['subject']), '?')}: {', '.join(parts) or '-'}"
            )
    text = "\n".join(lines)
    if len(text) > MAX_TABLE:
        # A notice must fit in one message: the middle stages give way; the chart has them all.
        head, tail = lines[:2], list[str]()
        while lines and len("\n".join([*head, "…", *tail])) < MAX_TABLE:
            tail.insert(0, lines.pop())
        text = "\n".join([*head, "…", *tail[1:]])
    return text


MAX_TABLE = 3000


def _fmt(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


async def offices_for(
    tx: Tx, clock: Clock, settings: Settings, person: Person, *, limit: int = 8
) -> list[tuple[OfficeRow, ElectionRow, str]]:
    """Offices whose register holds this person: with the election and whether they voted. An
    election whose voting time is over is closed first (its timer has not run yet, or was missed
    while down), so nobody is offered a ballot that can no longer count."""
    out = []
    for office, state in (await store.offices_for_elector(tx, person.id))[:limit]:
        election = await store.get(tx, office.election_id)
        assert election is not None
        if election.status == "voting" and not voting_open(election, clock):
            await close(tx, clock, settings, election.id)
            election = await store.get(tx, election.id) or election
        out.append((office, election, state))
    return out


def may_second(election: ElectionRow, clock: Clock, person: Person) -> bool:
    """Seconding is for electors, while nominations are open, in elections that ask for it."""
    return election.seconders > 0 and nominations_open(election, clock) and person.role in VOTERS


def chart_shown(settings: Settings, person: Person, office: OfficeRow) -> bool:
    """Each stage's chart: for those who confirm boxes, once counted, above the small-number rule."""
    return (
        person.role in BOX_CONFIRMERS
        and office.result is not None
        and not withheld(settings, office)
    )


# --- terms, empty seats, /myrecord --------------------------------------------------------------


async def _fire_term(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    term = await store.term(tx, timer.subject_id)
    if term is None or term.ended_at is not None:
        return
    holder = await people_store.by_id(tx, term.person_id) if term.person_id else None
    for staff in await people_store.active_with_roles(tx, (roles.STAFF,)):
        await notices.notify(
            tx,
            clock,
            key=f"term:{term.id}:ending:{staff.id}",
            message="elections.term_ending",
            params={
                "office": await office_name(tx, settings, term.office_id, term.office_name),
                "name": (holder.label if holder else None) or person_ref(term.person_id or 0),
                "ends": notices.when(term.ends_at),
            },
            person=staff,
        )


async def _term_checksum(tx: Tx, timer: TimerRow) -> str | None:
    term = await store.term(tx, timer.subject_id)
    return None if term is None else timers.checksum_of(term.id, term.ends_at)


_WHY_IDS = Ids("elections.why_{}", ("left", "revoked", "term"))


async def seat_vacated(tx: Tx, clock: Clock, person_id: int, reason: str) -> int:
    """A holder left or was revoked: their terms end now and staff are prompted to hold a
    by-election. Returns how many seats emptied."""
    label = await tx.value("SELECT label FROM person WHERE id = ?", (person_id,))
    ended = await store.end_current_terms(tx, person_id, reason, clock.now())
    for term in ended:
        await timers.cancel(tx, clock, f"term:{term.id}:")
        for staff in await people_store.active_with_roles(tx, (roles.STAFF,)):
            await notices.notify(
                tx,
                clock,
                key=f"term:{term.id}:vacant:{staff.id}",
                message="elections.seat_empty",
                params={
                    "office": term.office_name,
                    "name": label or person_ref(person_id),
                    "why": notices.catalogue(_WHY_IDS[reason]),
                },
                person=staff,
                buttons=election_buttons.by_election_buttons(term.office_id),
            )
    return len(ended)


async def by_election_draft(tx: Tx, person: Person, office_id: int) -> Draft | None:
    """A new election for one seat of an office, with the same electorate: staff fill in the
    rest (seconders and periods). None if this person may not call it."""
    office = await store.office(tx, office_id)
    if office is None or office.electorate not in electorates_for(person.role):
        return None
    # The name's other languages carry over, as if typed again in the wizard.
    await content.start(tx, person.id)
    for (kept, lang), text in (await content_store.texts(tx, "office", office_id)).items():
        if kept == "name":
            await content_store.put_draft(tx, person.id, "office:0", lang, text)
    return Draft(offices=(OfficeDraft(office.name, 1, office.electorate, office.wing),))


async def offices_held(tx: Tx, person: Person) -> list[TermRow]:
    return await store.terms_of(tx, person.id)


# --- reads for the screens (handlers reach storage only through the council) -------------------

election = store.get
recent = store.listing
offices = store.offices
office_turnout = store.turnout
candidates = store.candidates
candidate = store.candidate
candidate_of = store.candidate_of
boxes = store.boxes
box = store.box


async def person_label(tx: Tx, person_id: int) -> str | None:
    """The label of a person being marked on a paper register; None if there is no such person
    ("" if they have no label)."""
    person = await people_store.by_id(tx, person_id)
    return None if person is None else person.label or ""


OPEN_TIMER = timers.Timer(OPEN_KIND, fire=_fire_open, checksum=_timer_checksum)
SOON_TIMER = timers.Timer(SOON_KIND, fire=closing_soon, checksum=_timer_checksum)
CLOSE_TIMER = timers.Timer(CLOSE_KIND, fire=_fire_close, checksum=_timer_checksum)
TERM_TIMER = timers.Timer(TERM_KIND, fire=_fire_term, checksum=_term_checksum)
