"""Secret polls: create, open (fix the electorate), vote once, close, publish results.

Ballot secrecy by construction (docs/BALLOT_SECRECY.md): a vote flips the elector's "voted" flag
and adds one to the chosen options' counts, in one transaction, and nothing else. No row, log
line, notice or audit entry holds a voter next to a choice. A choice in progress lives only in
the voter's own chat (the buttons' data), never in the database. Split hidden until close.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.config import Settings
from bot.council import audit, content, flows, notices, paper_polls, poll_buttons, roles, timers
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.notices import ButtonSpec
from bot.council.text import Cleaned, clean
from storage import people as people_store
from storage import polls as poll_store
from storage.db import Database, Tx
from storage.polls import PollRow
from storage.timers import TimerRow

__all__ = ["PollRow"]

MAX_QUESTION = 300
MAX_OPTION = 100
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MIN_OPEN = timedelta(hours=1)
MAX_OPEN = timedelta(days=90)
QUICK_CLOSING: dict[poll_buttons.Closing, timedelta] = {
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
}

AUDIENCES: tuple[poll_buttons.Audience, ...] = ("members", "families", "both")
AUDIENCE_ROLES: dict[str, tuple[str, ...]] = {
    "members": (roles.MEMBER, roles.CHAIR),
    "families": (roles.FAMILY,),
    "both": (roles.MEMBER, roles.CHAIR, roles.FAMILY),
}
CREATORS = frozenset({roles.STAFF, roles.CHAIR})
VOTERS = frozenset({roles.MEMBER, roles.CHAIR, roles.FAMILY})
# Who may read turnout of any open poll (never a split): staff run polls, observers monitor.
TURNOUT_READERS = frozenset({roles.STAFF, roles.OBSERVER, roles.ADMIN})

CLOSE_KIND = "poll_close"
SOON_KIND = "poll_closing_soon"

# (poll id, option labels, multiple choice) -> ballot buttons; the council's own typed buttons
# (bot/council/poll_buttons.py) unless a caller passes others.
BallotButtons = Callable[[int, list[str], bool], list[list[ButtonSpec]]]


# --- creating ------------------------------------------------------------------------------


def may_create(role: str) -> bool:
    return role in CREATORS


def audiences_for(role: str) -> tuple[poll_buttons.Audience, ...]:
    """Staff may ask anyone; the chair asks members only (the council's own polls)."""
    if role == roles.STAFF:
        return AUDIENCES
    if role == roles.CHAIR:
        return ("members",)
    return ()


class PollStep(StrEnum):
    QUESTION = "question"
    OPTIONS = "options"
    KIND = "kind"
    AUDIENCE = "audience"
    WING = "wing"
    CLOSES = "closes"
    PREVIEW = "preview"


@dataclass(frozen=True)
class Draft(flows.Draft):
    """A poll being written, kept in the conversation table between steps."""

    question: str = ""
    options: tuple[str, ...] = ()
    multiple: bool | None = None
    audience: poll_buttons.Audience | None = None
    wing: str | None = None
    closes_at: datetime | None = None


# Writing a poll, step by step (handlers/polls.py): its steps and its draft, declared once.
NEW_POLL = flows.Flow("poll_new", PollStep, Draft)


def check_question(raw: str) -> Cleaned:
    return clean(raw, min_len=3, max_len=MAX_QUESTION, need_words=True)


def check_option(raw: str, existing: Sequence[str]) -> Cleaned:
    cleaned = clean(raw, max_len=MAX_OPTION, need_words=True)
    if cleaned.ok and cleaned.text.casefold() in {o.casefold() for o in existing}:
        return Cleaned(cleaned.text, "duplicate")
    return cleaned


_WHEN = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:.](\d{2})\s*$")


class BadClosing(StrEnum):
    """Why a closing time cannot be used."""

    FORMAT = "format"
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"


def parse_closing(raw: str, settings: Settings, now: datetime) -> datetime | BadClosing:
    """A typed closing time, read in the establishment's zone, or why it cannot be used."""
    match = _WHEN.match(raw or "")
    if not match:
        return BadClosing.FORMAT
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=settings.establishment.timezone)
    except ValueError:
        return BadClosing.FORMAT
    return closing_problem(moment, now) or moment


def closing_problem(moment: datetime, now: datetime) -> BadClosing | None:
    if moment < now + MIN_OPEN:
        return BadClosing.TOO_SOON
    if moment > now + MAX_OPEN:
        return BadClosing.TOO_FAR
    return None


def quick_closing(choice: poll_buttons.Closing, now: datetime) -> datetime:
    return now + QUICK_CLOSING[choice]


class Opening(StrEnum):
    """What opening a poll came to."""

    OPENED = "opened"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    TOO_SOON = "too_soon"
    TOO_FAR = "too_far"
    NO_ELECTORS = "no_electors"


def draft_problem(settings: Settings, role: str, draft: Draft, now: datetime) -> Opening | None:
    """Everything re-checked at the moment of opening: the draft came from stored state."""
    if not may_create(role) or draft.audience not in audiences_for(role):
        return Opening.NOT_ALLOWED
    if not check_question(draft.question).ok:
        return Opening.INVALID
    if not MIN_OPTIONS <= len(draft.options) <= MAX_OPTIONS:
        return Opening.INVALID
    seen: list[str] = []
    for option in draft.options:
        if not check_option(option, seen).ok:
            return Opening.INVALID
        seen.append(option)
    if draft.multiple is None or draft.closes_at is None:
        return Opening.INVALID
    if draft.wing is not None and (
        draft.audience != "members" or settings.wing(draft.wing) is None
    ):
        return Opening.INVALID
    too = closing_problem(draft.closes_at, now)
    if too is BadClosing.TOO_SOON:
        return Opening.TOO_SOON
    if too is BadClosing.TOO_FAR:
        return Opening.TOO_FAR
    return None


def reminder_at(opened: datetime, closes: datetime, settings: Settings) -> datetime:
    """The "closing soon" reminder: the configured time before close (24 h by default), or
    halfway for polls shorter than twice that."""
    return max(closes - settings.poll_closing_soon, opened + (closes - opened) / 2)


@dataclass(frozen=True)
class Opened:
    outcome: Opening
    poll_id: int = 0
    electorate: int = 0


async def open_poll(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    draft: Draft,
    ballot_buttons: BallotButtons = poll_buttons.ballot_specs,
) -> Opened:
    """Open a poll in one transaction: the poll, its fixed electorate, one ballot notice per
    elector, the closing and closing-soon timers, and the audit line."""
    now = clock.now()
    problem = draft_problem(settings, actor.role, draft, now)
    if problem is not None:
        return Opened(problem)
    assert draft.audience is not None and draft.closes_at is not None
    closes = draft.closes_at
    electorate = await people_store.active_with_roles(
        tx, AUDIENCE_ROLES[draft.audience], draft.wing
    )
    if not electorate:
        return Opened(Opening.NO_ELECTORS)
    poll_id = await poll_store.create(
        tx,
        question=draft.question,
        labels=list(draft.options),
        multiple=bool(draft.multiple),
        audience=draft.audience,
        wing=draft.wing,
        created_by=actor.id,
        opened_at=now,
        closes_at=closes,
    )
    size = await poll_store.fix_electorate(tx, poll_id, [p.id for p in electorate])
    buttons = ballot_buttons(poll_id, list(draft.options), bool(draft.multiple))
    params = _ballot_params(draft.question, list(draft.options), bool(draft.multiple), closes)
    await _in_each_language(tx, settings, actor, poll_id, draft, params, buttons, ballot_buttons)
    for person in electorate:
        await notices.notify(
            tx,
            clock,
            key=f"poll:{poll_id}:ballot:{person.id}",
            message="polls.ballot_notice",
            params=params,
            person=person,
            buttons=buttons,
            expires_at=closes,
        )
    poll = await poll_store.get(tx, poll_id)
    assert poll is not None
    check = _checksum(poll)
    await timers.schedule(
        tx,
        key=f"poll:{poll_id}:close",
        kind=CLOSE_KIND,
        subject_id=poll_id,
        due_at=closes,
        checksum=check,
    )
    await timers.schedule(
        tx,
        key=f"poll:{poll_id}:soon",
        kind=SOON_KIND,
        subject_id=poll_id,
        due_at=reminder_at(now, closes, settings),
        checksum=check,
        # The reminder carries the same ballot buttons: they name the poll, never a person.
        payload={"buttons": buttons},
    )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="poll.open",
        subject=poll_ref(poll_id),
        detail={
            "audience": draft.audience,
            "wing": draft.wing,
            "options": len(draft.options),
            "multiple": bool(draft.multiple),
            "closes_at": closes,
            "electorate": size,
        },
    )
    return Opened(Opening.OPENED, poll_id, size)


async def _in_each_language(
    tx: Tx,
    settings: Settings,
    actor: Person,
    poll_id: int,
    draft: Draft,
    params: dict[str, Any],
    buttons: list[list[ButtonSpec]],
    ballot_buttons: BallotButtons,
) -> None:
    """The question and options typed in each content language (handlers/content.py): each
    elector's ballot notice and buttons in theirs. Changes params and buttons in place."""
    fields = {"question": "question", **{f"option:{i}": f"option:{i}" for i in range(MAX_OPTIONS)}}
    await content.keep(tx, actor.id, "poll", poll_id, fields)
    question = {content.first(settings): draft.question}
    options = {content.first(settings): numbered(draft.options)}
    for lang in content.others(settings):
        words = await content.shown(
            tx,
            settings,
            "poll",
            poll_id,
            {"question": draft.question}
            | {f"option:{i}": label for i, label in enumerate(draft.options)},
            lang,
        )
        question[lang] = words["question"]
        labels = [words[f"option:{i}"] for i in range(len(draft.options))]
        options[lang] = numbered(labels)
        translated = ballot_buttons(poll_id, labels, bool(draft.multiple))
        for row, other_row in zip(buttons, translated, strict=True):
            for spec, other in zip(row, other_row, strict=True):
                if "x" in spec and "x" in other:
                    spec[f"x:{lang}"] = other["x"]
    params["question"] = content.param(settings, question)
    params["options"] = content.param(settings, options)


def poll_ref(poll_id: int) -> str:
    return f"poll:{poll_id}"


def _ballot_params(
    question: str, options: list[str], multiple: bool, closes: datetime
) -> dict[str, Any]:
    return {
        "question": question,
        "options": numbered(options),
        "how": notices.catalogue("polls.how_multiple" if multiple else "polls.how_single"),
        "closes": notices.when(closes),
    }


def numbered(options: Sequence[str]) -> str:
    return "\n".join(f"{index + 1}. {label}" for index, label in enumerate(options))


# --- voting --------------------------------------------------------------------------------


class Vote(StrEnum):
    """What a ballot press comes to. NOT_OPEN is the one answer for an unknown poll, someone
    else's poll, a forged option and a non-elector alike: it reveals nothing."""

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


def mask_indexes(mask: int, option_count: int) -> list[int]:
    return [i for i in range(option_count) if mask & (1 << i)]


def mask_fits(mask: int, option_count: int, multiple: bool) -> bool:
    """A selection is a bitmask of option indexes; anything outside the options is forged."""
    if mask < 0 or mask >= (1 << option_count):
        return False
    return multiple or mask == 0 or mask & (mask - 1) == 0


@dataclass(frozen=True)
class Ballot:
    """What one voter may see of an open poll: its question and options, and their own
    selection in progress (which came from their own button, not from storage)."""

    poll: PollRow
    labels: list[str]
    mask: int

    @property
    def chosen(self) -> list[str]:
        return [self.labels[i] for i in mask_indexes(self.mask, len(self.labels))]


def is_past_closing(poll: PollRow, clock: Clock) -> bool:
    return not poll.is_open or poll.closes_at <= clock.now()


async def _check(
    tx: Tx, clock: Clock, settings: Settings, person: Person, poll_id: int, mask: int
) -> poll_store.BallotState | Vote:
    """May this person use this selection on this poll now? One read, rules applied here."""
    state = await poll_store.ballot_state(tx, poll_id, person.id)
    if state is None or state.voted is None:
        return NOT_OPEN
    if not mask_fits(mask, state.option_count, state.multiple):
        return NOT_OPEN
    if state.status != "open" or state.closes_at <= clock.now():
        if state.status == "open":  # its timer has not run yet (or was missed while down)
            await close(tx, clock, settings, poll_id)
        return CLOSED
    if state.voted:
        return ALREADY
    return state


async def ballot(
    tx: Tx, clock: Clock, settings: Settings, person: Person, poll_id: int, mask: int
) -> Ballot | Vote:
    """The ballot for this elector with this selection, or why not (NOT_OPEN, CLOSED, ALREADY)."""
    found = await _check(tx, clock, settings, person, poll_id, mask)
    if isinstance(found, Vote):
        return found
    poll = await poll_store.get(tx, poll_id)
    assert poll is not None
    return Ballot(poll, await poll_store.labels(tx, poll_id), mask)


async def cast(
    tx: Tx, clock: Clock, settings: Settings, person: Person, poll_id: int, mask: int
) -> Vote:
    """Record one ballot. Returns RECORDED, ALREADY, CLOSED, NOT_OPEN or EMPTY.
    The choice is used for the counts and then forgotten: it is not returned, stored or logged."""
    # One statement checks the elector, the poll's state and time and the selection's fit
    # (the same rules as _check and mask_fits), flips the flag at most once, then counts.
    if await poll_store.cast(tx, poll_id, person.id, mask, clock.now()):
        return RECORDED
    # Nothing changed: find the kind answer.
    found = await _check(tx, clock, settings, person, poll_id, mask)
    if isinstance(found, Vote):
        return found
    return EMPTY if mask == 0 else ALREADY


# --- closing -------------------------------------------------------------------------------


def _checksum(poll: PollRow) -> str:
    # In the stored text form, as the first version did, so timers already queued still match.
    return timers.checksum_of(poll.closes_at, poll.status)


async def _timer_checksum(tx: Tx, timer: TimerRow) -> str | None:
    poll = await poll_store.get(tx, timer.subject_id)
    return None if poll is None else _checksum(poll)


async def close(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    poll_id: int,
    *,
    early_by: Person | None = None,
    by_timer: bool = False,
) -> bool:
    """Close once and send the results to the electorate (and the creator). False if closed."""
    now = clock.now()
    if not await poll_store.close(tx, poll_id, now, early=early_by is not None):
        return False
    # Paper ballot boxes join the counts now, never while the poll is open (issue 16).
    await paper_polls.apply_at_close(tx, poll_id)
    await timers.cancel(tx, clock, f"poll:{poll_id}:soon")
    if not by_timer:  # the closing timer itself is marked fired by bot.council.timers
        await timers.cancel(tx, clock, f"poll:{poll_id}:close")
    poll = await poll_store.get(tx, poll_id)
    assert poll is not None
    shown = await results(tx, settings, poll)
    assert shown is not None
    message, params = shown.notice()
    params = await _results_in_each_language(tx, settings, shown, params)
    recipients = await poll_store.electors(tx, poll_id)
    if poll.created_by is not None:
        creator = await people_store.by_id(tx, poll.created_by)
        if creator is not None:
            recipients.append(creator)
    for person in recipients:
        await notices.notify(
            tx,
            clock,
            key=f"poll:{poll_id}:result:{person.id}",
            message=message,
            params=params,
            person=person,
        )
    if early_by is not None:
        await audit.record(
            tx,
            clock,
            actor_id=early_by.id,
            actor_role=early_by.role,
            action="poll.close_early",
            subject=poll_ref(poll_id),
            # Turnout only. Never a count per option, never a choice.
            detail={"ballots": poll.ballots, "electorate": poll.electorate},
        )
    return True


async def close_if_due(tx: Tx, clock: Clock, settings: Settings, poll: PollRow) -> bool:
    """A poll past its closing time closes now, even if its timer was missed while down."""
    if poll.is_open and poll.closes_at <= clock.now():
        return await close(tx, clock, settings, poll.id)
    return False


async def close_overdue(db: Database, clock: Clock, settings: Settings) -> int:
    """Close every open poll past its closing time (at start-up: timers missed beyond grace)."""
    async with db.transaction() as tx:
        due = await poll_store.overdue(tx, clock.now())
    closed = 0
    for poll_id in due:
        async with db.transaction() as tx:
            closed += await close(tx, clock, settings, poll_id)
    return closed


def may_manage(person: Person, poll: PollRow) -> bool:
    """Staff manage every poll; a chair manages the polls they created."""
    return person.role == roles.STAFF or (
        person.role == roles.CHAIR and poll.created_by == person.id
    )


def may_see_turnout(person: Person, poll: PollRow) -> bool:
    return person.role in TURNOUT_READERS or may_manage(person, poll)


class EarlyClose(StrEnum):
    CLOSED = "closed"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"  # also for an unknown poll


async def close_early(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, poll_id: int
) -> EarlyClose:
    poll = await poll_store.get(tx, poll_id)
    if poll is None or not may_manage(actor, poll):
        return EarlyClose.NOT_ALLOWED
    if not poll.is_open:
        return EarlyClose.ALREADY
    await close(tx, clock, settings, poll_id, early_by=actor)
    return EarlyClose.CLOSED


async def _fire_close(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    await close(tx, clock, settings, timer.subject_id, by_timer=True)


async def _fire_soon(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    poll = await poll_store.get(tx, timer.subject_id)
    if poll is None or is_past_closing(poll, clock):
        return
    closes = poll.closes_at
    buttons = timer.payload.get("buttons")
    for person in await poll_store.electors(tx, poll.id, not_voted_only=True):
        await notices.notify(
            tx,
            clock,
            key=f"poll:{poll.id}:soon:{person.id}",
            message="polls.closing_soon",
            params={
                "question": await _question_param(tx, settings, poll),
                "closes": notices.when(closes),
            },
            person=person,
            buttons=buttons if isinstance(buttons, list) else None,
            expires_at=closes,
        )


CLOSE_TIMER = timers.Timer(CLOSE_KIND, fire=_fire_close, checksum=_timer_checksum)
SOON_TIMER = timers.Timer(SOON_KIND, fire=_fire_soon, checksum=_timer_checksum)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    poll: PollRow
    withheld: bool
    min_votes: int
    counts: list[tuple[str, int]]

    @property
    def turnout_pct(self) -> int:
        return percent(self.poll.ballots, self.poll.electorate)

    def lines(self) -> str:
        return "\n".join(
            f"{label}: {count} ({percent(count, self.poll.ballots)}%)"
            for label, count in self.counts
        )

    def notice(self) -> tuple[str, dict[str, Any]]:
        """The catalogue id and parameters of the results, the same for every reader."""
        params: dict[str, Any] = {
            "question": self.poll.question,
            "voted": self.poll.ballots,
            # A count phrase: "1 of 1 person voted", never "1 of 1 people".
            "electorate": {"$msg": "reader.n.people", "count": self.poll.electorate},
            "turnout": self.turnout_pct,
        }
        if self.withheld:
            return "polls.results_withheld", {**params, "min": self.min_votes}
        note = "polls.note_multiple" if self.poll.multiple else "polls.note_single"
        return "polls.results", {**params, "lines": self.lines(), "note": notices.catalogue(note)}


async def _question_param(tx: Tx, settings: Settings, poll: PollRow) -> dict[str, Any]:
    versions = await content.versions(tx, settings, "poll", poll.id, "question", poll.question)
    return content.param(settings, versions)


async def _results_in_each_language(
    tx: Tx, settings: Settings, shown: Results, params: dict[str, Any]
) -> dict[str, Any]:
    """The question and option labels of the results in each reader's content language."""
    out = {**params, "question": await _question_param(tx, settings, shown.poll)}
    if shown.withheld:
        return out
    lines = {content.first(settings): shown.lines()}
    for lang in content.others(settings):
        fields = {f"option:{i}": label for i, (label, _) in enumerate(shown.counts)}
        words = await content.shown(tx, settings, "poll", shown.poll.id, fields, lang)
        translated = [(words[f"option:{i}"], n) for i, (_, n) in enumerate(shown.counts)]
        lines[lang] = replace(shown, counts=translated).lines()
    out["lines"] = content.param(settings, lines)
    return out


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


async def results(tx: Tx, settings: Settings, poll: PollRow) -> Results | None:
    """None while the poll is open: nobody, whatever their role, sees a split before close.
    Below the minimum number of votes the split stays withheld for good."""
    if poll.is_open:
        return None
    withheld = poll.ballots < settings.poll_min_votes
    counts = [] if withheld else await poll_store.tallies(tx, poll.id)
    return Results(poll, withheld, settings.poll_min_votes, counts)


async def may_see_results(tx: Tx, person: Person, poll: PollRow) -> bool:
    if may_see_turnout(person, poll) or poll.created_by == person.id:
        return True
    return await poll_store.has_voted(tx, poll.id, person.id) is not None


# --- listing -------------------------------------------------------------------------------

LIST_LIMIT = 8


@dataclass(frozen=True)
class Overview:
    """What /polls shows one person."""

    to_vote: list[tuple[PollRow, bool]]  # open polls I am an elector of, and whether I voted
    running: list[PollRow]  # open polls whose turnout I may see
    closed: list[PollRow]  # closed polls whose results I may see
    may_create: bool


async def overview(tx: Tx, clock: Clock, settings: Settings, person: Person) -> Overview:
    for poll_id in await poll_store.overdue(tx, clock.now()):
        await close(tx, clock, settings, poll_id)
    to_vote: list[tuple[PollRow, bool]] = []
    closed: dict[int, PollRow] = {}
    if person.role in VOTERS:
        to_vote = await poll_store.for_elector(tx, person.id, status="open", limit=LIST_LIMIT)
        for poll, _ in await poll_store.for_elector(
            tx, person.id, status="closed", limit=LIST_LIMIT
        ):
            closed[poll.id] = poll
    running: list[PollRow] = []
    if person.role in TURNOUT_READERS:
        running = await poll_store.listing(tx, status="open", limit=LIST_LIMIT)
        for poll in await poll_store.listing(tx, status="closed", limit=LIST_LIMIT):
            closed[poll.id] = poll
    elif person.role == roles.CHAIR:
        running = await poll_store.listing(
            tx, status="open", limit=LIST_LIMIT, created_by=person.id
        )
        for poll in await poll_store.listing(
            tx, status="closed", limit=LIST_LIMIT, created_by=person.id
        ):
            closed[poll.id] = poll
    newest = sorted(closed.values(), key=lambda p: (p.closed_at or "", p.id), reverse=True)
    return Overview(to_vote, running, newest[:LIST_LIMIT], may_create(person.role))


async def get(tx: Tx, poll_id: int) -> PollRow | None:
    return await poll_store.get(tx, poll_id)


async def question(tx: Tx, poll_id: int) -> str | None:
    """The question's words in the first content language (cheap: no ballot count)."""
    return await poll_store.question(tx, poll_id)


async def question_in(tx: Tx, settings: Settings, poll_id: int, lang: str) -> str:
    """The question in this reader's content language (bot.council.content), as every vote's
    answer shows it: a poll's words never change once it is open, so they are read once per
    language and kept in the database's memo."""
    key = ("poll.question", poll_id, lang)
    found = tx.memo.get(key)
    if isinstance(found, str):
        return found
    words = await poll_store.question(tx, poll_id)
    if words is None:
        return ""
    shown = await content.shown(tx, settings, "poll", poll_id, {"question": words}, lang)
    tx.memo[key] = shown["question"]
    return shown["question"]


async def labels(tx: Tx, poll_id: int) -> list[str]:
    return await poll_store.labels(tx, poll_id)


async def open_polls(tx: Tx, limit: int) -> list[PollRow]:
    return await poll_store.listing(tx, status="open", limit=limit)
