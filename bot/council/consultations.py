"""Consultations: staff ask families and/or members a few questions, answers are private to
staff, and everyone who took part hears back. See docs/CONSULTATIONS.md.

Privacy by construction: while a consultation is open a participant row names its person so
they can change their answers; at close that link is cut (who took part goes to a separate
list used only to send the report back), and the CSV carries no names or ids unless the person
chose to give a name. Nobody but staff is ever shown another person's answers or presence."""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, assert_never
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.council import audit, content, notices, roles, timers
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.consultation_buttons import ConsultationSummary, OpenConsultation
from bot.council.consultation_flows import AUDIENCES, KINDS, ConsultationDraft, Question
from bot.council.notices import ButtonSpec
from bot.council.text import Cleaned, clean
from storage import consultations as store
from storage import people
from storage import timers as timer_store
from storage.consultations import AnswerRow, ConsultationRow, Group, ParticipantRow, QuestionRow
from storage.db import Tx
from storage.timers import TimerRow

__all__ = [
    "AUDIENCES",
    "KINDS",
    "AnswerRow",
    "ConsultationDraft",
    "ConsultationRow",
    "ParticipantRow",
    "Question",
    "QuestionRow",
]

CLOSE_KIND = "consultation_close"
TITLE_MAX = 120
BACKGROUND_MAX = 2000
PROMPT_MAX = 300
OPTION_MAX = 60
ANSWER_MAX = 1000
REPORT_MAX = 2000
NAME_MAX = 60
MAX_QUESTIONS = 10
MIN_OPTIONS, MAX_OPTIONS = 2, 10
QUICK_CLOSE_DAYS = (7, 14, 28)
CLOSE_HOUR = time(17, 0)  # quick closing buttons close at 17:00 establishment time
MIN_OPEN = timedelta(hours=1)

# Which audience each answering role belongs to, and the group it is counted in.
_GROUP: dict[str, Group] = {roles.FAMILY: "family", roles.MEMBER: "member", roles.CHAIR: "member"}
_AUDIENCE_ROLES = {
    "families": (roles.FAMILY,),
    "members": (roles.MEMBER, roles.CHAIR),
    "both": (roles.FAMILY, roles.MEMBER, roles.CHAIR),
}


def open_button(consultation_id: int) -> ButtonSpec:
    return {"m": "consultations.open_button", "d": OpenConsultation(consultation_id).pack()}


def summary_button(consultation_id: int) -> ButtonSpec:
    return {"m": "consultations.summary_button", "d": ConsultationSummary(consultation_id).pack()}


def read_button(consultation_id: int) -> ButtonSpec:
    return {"m": "consultations.read_button", "d": OpenConsultation(consultation_id).pack()}


class Refusal(enum.StrEnum):
    """Why an action was refused: answered (never raised) beside what the action gives, and
    matched in the handler (handlers/consultations.refusal_id)."""

    NOT_FOUND = "not_found"
    NOT_FOR_YOU = "not_for_you"
    CLOSED = "closed"
    BAD_QUESTION = "bad_question"
    BAD_OPTION = "bad_option"
    BAD_DRAFT = "bad_draft"
    NOT_CLOSED = "not_closed"
    REPORTED = "reported"


class Done(enum.StrEnum):
    """A change made (a question skipped, a name given or withheld)."""

    SAVED = "saved"


class Sent(enum.StrEnum):
    """What pressing "send" came to: a second device or a double press sends nothing more."""

    FIRST = "first"
    ALREADY = "already"


# --- who may see and answer ------------------------------------------------------------------


def group_of(role: str) -> Group | None:
    return _GROUP.get(role)


def sees_all(role: str) -> bool:
    """Staff and observers see every consultation (and its turnout), whoever it asks."""
    return role in roles.STAFF_SIDE or role == roles.OBSERVER


def runs_them(role: str) -> bool:
    """Staff write consultations, read their answers and report back."""
    return role in roles.STAFF_SIDE


def audiences_for(role: str) -> tuple[str, ...]:
    """The audiences whose consultations a role sees (staff side: all)."""
    if sees_all(role):
        return AUDIENCES
    return tuple(a for a in AUDIENCES if role in _AUDIENCE_ROLES[a])


def in_audience(role: str, audience: str) -> bool:
    return role in _AUDIENCE_ROLES.get(audience, ())


def is_open(consultation: ConsultationRow, clock: Clock) -> bool:
    # The timer may be late (the bot was down): the closing time itself is the rule.
    return consultation.status == "open" and clock.now() < consultation.closes_at


async def visible(tx: Tx, person: Person, consultation_id: int) -> ConsultationRow | Refusal:
    found = await store.get(tx, consultation_id)
    if found is None:
        return Refusal.NOT_FOUND
    if sees_all(person.role):
        return found
    if not in_audience(person.role, found.audience):
        return Refusal.NOT_FOR_YOU
    return found


@dataclass(frozen=True)
class _Answerable:
    consultation: ConsultationRow
    questions: list[QuestionRow]
    group: Group


async def _answerable(
    tx: Tx, clock: Clock, person: Person, consultation_id: int
) -> _Answerable | Refusal:
    consultation = await visible(tx, person, consultation_id)
    if isinstance(consultation, Refusal):
        return consultation
    grp = group_of(person.role)
    if grp is None:
        return Refusal.NOT_FOR_YOU
    if not is_open(consultation, clock):
        return Refusal.CLOSED
    return _Answerable(consultation, await store.questions(tx, consultation_id), grp)


def _question(questions: list[QuestionRow], position: int) -> QuestionRow | Refusal:
    for question in questions:
        if question.position == position:
            return question
    return Refusal.BAD_QUESTION


# --- drafting (staff) ------------------------------------------------------------------------


def title_text(raw: str) -> Cleaned:
    return clean(raw, max_len=TITLE_MAX, need_words=True)


def background_text(raw: str) -> Cleaned:
    return clean(raw, max_len=BACKGROUND_MAX, need_words=True)


def prompt_text(raw: str) -> Cleaned:
    return clean(raw, max_len=PROMPT_MAX, need_words=True)


def answer_text(raw: str) -> Cleaned:
    return clean(raw, max_len=ANSWER_MAX)


def report_text(raw: str) -> Cleaned:
    return clean(raw, max_len=REPORT_MAX, need_words=True)


def name_text(raw: str) -> Cleaned:
    return clean(raw, max_len=NAME_MAX, need_words=True)


def options_text(raw: str) -> list[str] | None:
    """One option a line, 2 to 10, each short enough for a button, no repeats."""
    options: list[str] = []
    for line in (raw or "").split("\n"):
        cleaned = clean(line, max_len=OPTION_MAX)
        if cleaned.problem == "empty":
            continue
        if not cleaned.ok or cleaned.text.casefold() in (o.casefold() for o in options):
            return None
        options.append(cleaned.text)
    return options if MIN_OPTIONS <= len(options) <= MAX_OPTIONS else None


_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+(\d{1,2})[:.](\d{2}))?\s*$")


def parse_closing(raw: str, clock: Clock, zone: ZoneInfo) -> datetime | None:
    """ "25/12/2026" (closes 23:59) or "25/12/2026 17:00", establishment time; at least an hour
    ahead. None when it cannot be read or is too soon."""
    match = _DATE.match(raw or "")
    if match is None:
        return None
    day, month, year, hour, minute = match.groups()
    try:
        when_day = date(int(year), int(month), int(day))
        at = time(int(hour), int(minute)) if hour is not None else time(23, 59)
    except ValueError:
        return None
    moment = datetime.combine(when_day, at, tzinfo=zone)
    now = clock.now()
    if moment - now < MIN_OPEN or moment - now > timedelta(days=366):
        return None
    return moment


def quick_closing(days: int, clock: Clock, zone: ZoneInfo) -> datetime | None:
    if days not in QUICK_CLOSE_DAYS:
        return None
    local_day = clock.now().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(local_day, CLOSE_HOUR, tzinfo=zone)


def room_for_more(draft: ConsultationDraft) -> bool:
    return len(draft.questions) < MAX_QUESTIONS


def _draft_ready(draft: ConsultationDraft, clock: Clock) -> bool:
    problems = [
        not title_text(draft.title).ok,
        not background_text(draft.background).ok,
        draft.audience not in AUDIENCES,
        not 1 <= len(draft.questions) <= MAX_QUESTIONS,
    ]
    for question in draft.questions:
        problems.append(question.kind not in KINDS or not prompt_text(question.prompt).ok)
        if question.kind == "text":
            problems.append(bool(question.options))
        else:
            options = list(question.options)
            problems.append(options_text("\n".join(options)) != options)
    closes = draft.closes_at
    return not any(problems) and closes is not None and closes - clock.now() >= MIN_OPEN


@dataclass(frozen=True)
class Published:
    consultation_id: int
    invited: int


def _close_checksum_of(consultation: ConsultationRow) -> str:
    return timers.checksum_of(consultation.closes_at, consultation.status)


async def publish(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    draft: ConsultationDraft,
) -> Published | Refusal:
    """Store it, invite the audience through the outbox, and set the closing timer: one
    transaction, so a crash leaves either all of it or none."""
    if not runs_them(actor.role):
        return Refusal.NOT_FOR_YOU
    closes = draft.closes_at
    if closes is None or draft.audience is None or not _draft_ready(draft, clock):
        return Refusal.BAD_DRAFT
    now = clock.now()
    consultation_id = await store.add(
        tx,
        title=draft.title,
        background=draft.background,
        audience=draft.audience,
        opened_at=now,
        closes_at=closes,
        created_by=actor.id or None,
        questions=[(q.kind, q.prompt, list(q.options)) for q in draft.questions],
    )
    # The other content languages' words typed in the wizard (handlers/content.py).
    numbered = {
        f"{kind}:{i}": f"{kind}:{i}" for kind in ("prompt", "options") for i in range(MAX_QUESTIONS)
    }
    await content.keep(
        tx,
        actor.id,
        "consultation",
        consultation_id,
        {"title": "title", "background": "background", **numbered},
    )
    title = content.param(
        settings,
        await content.versions(tx, settings, "consultation", consultation_id, "title", draft.title),
    )
    audience = await people.active_with_roles(tx, _AUDIENCE_ROLES[draft.audience])
    invited = 0
    for person in audience:
        invited += await notices.notify(
            tx,
            clock,
            key=f"consultation:{consultation_id}:invite:{person.id}",
            message="consultations.invite_notice",
            params={"title": title, "closes": notices.when(closes)},
            person=person,
            buttons=[[open_button(consultation_id)]],
            expires_at=closes,
        )
    consultation = await store.get(tx, consultation_id)
    assert consultation is not None
    await timers.schedule(
        tx,
        key=f"consultation:{consultation_id}:close",
        kind=CLOSE_KIND,
        subject_id=consultation_id,
        due_at=closes,
        checksum=_close_checksum_of(consultation),
        payload={"summary_button": summary_button(consultation_id)},
    )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id or None,
        actor_role=actor.role,
        action="consultation.publish",
        subject=f"consultation:{consultation_id}",
        detail={
            "audience": draft.audience,
            "questions": len(draft.questions),
            "closes_at": draft.closes_at,
            "invited": invited,
        },
    )
    return Published(consultation_id, invited)


# --- answering (families and members) --------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    consultation: ConsultationRow
    questions: list[QuestionRow]
    participant: ParticipantRow | None
    answers: dict[int, AnswerRow]

    async def in_language(self, tx: Tx, settings: Settings, lang: str) -> Progress:
        """The words staff wrote, in this reader's content language where they were given."""
        c = self.consultation
        fields = {"title": c.title, "background": c.background}
        for q in self.questions:
            fields[f"prompt:{q.position - 1}"] = q.prompt
            fields[f"options:{q.position - 1}"] = "\n".join(q.options)
        words = await content.shown(tx, settings, "consultation", c.id, fields, lang)
        questions = []
        for q in self.questions:
            options = (options_text(words[f"options:{q.position - 1}"]) or q.options)[
                : len(q.options)
            ]
            if len(options) != len(q.options):
                options = q.options  # a translation must keep the same options, in order
            questions.append(replace(q, prompt=words[f"prompt:{q.position - 1}"], options=options))
        consultation = replace(c, title=words["title"], background=words["background"])
        return replace(self, consultation=consultation, questions=questions)

    @property
    def submitted(self) -> bool:
        return self.participant is not None and self.participant.submitted_at is not None


async def progress(
    tx: Tx, clock: Clock, person: Person, consultation_id: int
) -> Progress | Refusal:
    """Where this person is with an open consultation (their own answers only)."""
    found = await _answerable(tx, clock, person, consultation_id)
    if isinstance(found, Refusal):
        return found
    mine = await store.participant(tx, consultation_id, person.id)
    answers = await store.answers(tx, mine.id) if mine is not None else {}
    return Progress(found.consultation, found.questions, mine, answers)


async def _mine(tx: Tx, consultation_id: int, person: Person, grp: Group) -> ParticipantRow:
    return await store.join(tx, consultation_id, person.id, grp)


async def choose(
    tx: Tx, clock: Clock, person: Person, consultation_id: int, position: int, option: int
) -> list[int] | Refusal:
    """Single choice: this option. Multiple choice: this option on or off. Returns the choice."""
    found = await _answerable(tx, clock, person, consultation_id)
    if isinstance(found, Refusal):
        return found
    question = _question(found.questions, position)
    if isinstance(question, Refusal):
        return question
    if question.kind == "text" or not 0 <= option < len(question.options):
        return Refusal.BAD_OPTION
    mine = await _mine(tx, consultation_id, person, found.group)
    if question.kind == "single":
        chosen = [option]
    else:
        before = (await store.answers(tx, mine.id)).get(position)
        current = set(before.choice or []) if before else set()
        current ^= {option}
        chosen = sorted(current)
    if chosen:
        await store.put_answer(tx, mine.id, position, choice=chosen, answer=None)
    else:
        await store.clear_answer(tx, mine.id, position)
    return chosen


async def write(
    tx: Tx, clock: Clock, person: Person, consultation_id: int, position: int, raw: str
) -> Cleaned | Refusal:
    """A typed answer to a free-text question; stored only when it is usable."""
    found = await _answerable(tx, clock, person, consultation_id)
    if isinstance(found, Refusal):
        return found
    question = _question(found.questions, position)
    if isinstance(question, Refusal):
        return question
    if question.kind != "text":
        return Refusal.BAD_QUESTION
    cleaned = answer_text(raw)
    if cleaned.ok:
        mine = await _mine(tx, consultation_id, person, found.group)
        await store.put_answer(tx, mine.id, position, choice=None, answer=cleaned.text)
    return cleaned


async def skip(
    tx: Tx, clock: Clock, person: Person, consultation_id: int, position: int
) -> Done | Refusal:
    found = await _answerable(tx, clock, person, consultation_id)
    if isinstance(found, Refusal):
        return found
    question = _question(found.questions, position)
    if isinstance(question, Refusal):
        return question
    mine = await _mine(tx, consultation_id, person, found.group)
    await store.clear_answer(tx, mine.id, position)
    return Done.SAVED


async def submit(tx: Tx, clock: Clock, person: Person, consultation_id: int) -> Sent | Refusal:
    """Sent once: ALREADY when sent before (a second device, a double press)."""
    found = await _answerable(tx, clock, person, consultation_id)
    if isinstance(found, Refusal):
        return found
    mine = await _mine(tx, consultation_id, person, found.group)
    first = await store.submit(tx, mine.id, clock.now())
    return Sent.FIRST if first else Sent.ALREADY


async def give_name(
    tx: Tx, clock: Clock, person: Person, consultation_id: int, name: str | None
) -> Done | Refusal:
    """Whether staff see a name with these answers (None: anonymous, the default)."""
    found = await _answerable(tx, clock, person, consultation_id)
    if isinstance(found, Refusal):
        return found
    mine = await store.participant(tx, consultation_id, person.id)
    if mine is None or mine.submitted_at is None:
        return Refusal.BAD_QUESTION
    await store.set_name(tx, mine.id, name)
    return Done.SAVED


async def took_part(tx: Tx, consultation_id: int, person: Person) -> bool:
    """After close: whether this person is on the list that hears back."""
    return await store.took_part(tx, consultation_id, person.id)


# --- staff: counts, close, summary, CSV, report back -----------------------------------------


async def taker_count(tx: Tx, consultation_id: int) -> int:
    return len(await store.takers(tx, consultation_id))


@dataclass(frozen=True)
class Turnout:
    families: int
    members: int
    families_started: int
    members_started: int


async def turnout(tx: Tx, consultation_id: int) -> Turnout:
    counts = await store.counts(tx, consultation_id)
    families, members = counts.get("family", (0, 0)), counts.get("member", (0, 0))
    return Turnout(families[0], members[0], families[1], members[1])


async def listed(tx: Tx, person: Person, *, status: str, limit: int) -> list[ConsultationRow]:
    return await store.listed(tx, status=status, audiences=audiences_for(person.role), limit=limit)


async def close(tx: Tx, clock: Clock, consultation_id: int) -> bool:
    """Close once: drafts go, who took part is set apart from what they said."""
    if not await store.close(tx, consultation_id, clock.now()):
        return False
    await store.drop_drafts(tx, consultation_id)
    await store.detach(tx, consultation_id)
    return True


async def _staff_to_tell(tx: Tx, consultation: ConsultationRow) -> list[Person]:
    staff = await people.active_with_roles(tx, (roles.STAFF,))
    if consultation.created_by is not None and all(p.id != consultation.created_by for p in staff):
        creator = await people.by_id(tx, consultation.created_by)
        if creator is not None and creator.role in roles.STAFF_SIDE:
            staff.append(creator)
    return staff


async def _fire_close(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    await _close_and_tell(tx, clock, timer.subject_id, timer.payload.get("summary_button"))


async def close_overdue(tx: Tx, clock: Clock) -> int:
    """Close what is past its closing time but still open: the timer was missed (the bot was
    down for longer than the grace period). Closing late is always right; answers were
    refused from the closing time anyway. Called whenever consultations are looked at."""
    closed = 0
    for consultation_id in await store.overdue(tx, clock.now()):
        timer = await timer_store.get(tx, f"consultation:{consultation_id}:close")
        button = timer.payload.get("summary_button") if timer is not None else None
        closed += await _close_and_tell(tx, clock, consultation_id, button)
    return closed


async def _close_and_tell(tx: Tx, clock: Clock, consultation_id: int, button: object) -> bool:
    if not await close(tx, clock, consultation_id):
        return False
    consultation = await store.get(tx, consultation_id)
    assert consultation is not None
    numbers = await turnout(tx, consultation_id)
    for person in await _staff_to_tell(tx, consultation):
        await notices.notify(
            tx,
            clock,
            key=f"consultation:{consultation_id}:closed:{person.id}",
            message="consultations.closed_notice",
            params={
                "title": consultation.title,
                "families": {"$msg": "reader.n.families", "count": numbers.families},
                "members": {"$msg": "reader.n.members", "count": numbers.members},
            },
            person=person,
            buttons=[[button]] if isinstance(button, dict) else None,
        )
    return True


def may_close_early(person: Person, consultation: ConsultationRow) -> bool:
    """The staff member who opened it (or an admin) may close it before its time."""
    if person.role == roles.ADMIN:
        return True
    return person.role == roles.STAFF and consultation.created_by == person.id


def awaits_report(consultation: ConsultationRow) -> bool:
    """Closed and not reported back yet: staff may write the report."""
    return consultation.status == "closed" and consultation.reported_at is None


class CloseEarly(enum.StrEnum):
    CLOSED = "closed"
    ALREADY = "already"  # closed before
    NOT_ALLOWED = "not_allowed"


async def to_close(
    tx: Tx, actor: Person, consultation_id: int
) -> ConsultationRow | CloseEarly | Refusal:
    """The consultation this person asks to close early, or why they cannot."""
    consultation = await visible(tx, actor, consultation_id)
    if isinstance(consultation, Refusal):
        return consultation
    if not may_close_early(actor, consultation):
        return CloseEarly.NOT_ALLOWED
    if consultation.status != "open":
        return CloseEarly.ALREADY
    return consultation


async def close_early(tx: Tx, clock: Clock, *, actor: Person, consultation_id: int) -> CloseEarly:
    """Audited; staff hear as at a timed close."""
    consultation = await store.get(tx, consultation_id)
    if consultation is None or not may_close_early(actor, consultation):
        return CloseEarly.NOT_ALLOWED
    timer = await timer_store.get(tx, f"consultation:{consultation_id}:close")
    button = timer.payload.get("summary_button") if timer is not None else None
    if not await _close_and_tell(tx, clock, consultation_id, button):
        return CloseEarly.ALREADY
    await timers.cancel(tx, clock, f"consultation:{consultation_id}:close")
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="consultation.close_early",
        subject=f"consultation:{consultation_id}",
        detail={"closes_at": consultation.closes_at},
    )
    return CloseEarly.CLOSED


async def _close_checksum(tx: Tx, timer: TimerRow) -> str | None:
    consultation = await store.get(tx, timer.subject_id)
    return None if consultation is None else _close_checksum_of(consultation)


CLOSE_TIMER = timers.Timer(CLOSE_KIND, fire=_fire_close, checksum=_close_checksum)


@dataclass(frozen=True)
class QuestionSummary:
    question: QuestionRow
    answered: int
    counts: list[int]  # per option, for choice questions


@dataclass(frozen=True)
class Summary:
    consultation: ConsultationRow
    turnout: Turnout
    responses: int
    questions: list[QuestionSummary]


async def _closed(tx: Tx, consultation_id: int) -> ConsultationRow | Refusal:
    consultation = await store.get(tx, consultation_id)
    if consultation is None:
        return Refusal.NOT_FOUND
    if consultation.status != "closed":
        return Refusal.NOT_CLOSED
    return consultation


async def summary(tx: Tx, consultation_id: int) -> Summary | Refusal:
    """Counts and shares per choice question, answers per text question (after close)."""
    consultation = await _closed(tx, consultation_id)
    if isinstance(consultation, Refusal):
        return consultation
    questions = await store.questions(tx, consultation_id)
    answers = await store.all_answers(tx, consultation_id)
    responses = len(await store.submitted_answers(tx, consultation_id))
    out: list[QuestionSummary] = []
    for question in questions:
        given = [a[question.position] for a in answers.values() if question.position in a]
        counts = [0] * len(question.options)
        for answer in given:
            for option in answer.choice or []:
                if 0 <= option < len(counts):
                    counts[option] += 1
        out.append(QuestionSummary(question, len(given), counts))
    return Summary(consultation, await turnout(tx, consultation_id), responses, out)


def group_id(group: Group) -> str:
    """The catalogue id naming a group in the CSV."""
    match group:
        case "family":
            return "consultations.group_family"
        case "member":
            return "consultations.group_member"
        case _:
            assert_never(group)


@dataclass(frozen=True)
class Responses:
    """Every submitted response of a closed consultation, gathered for export
    (bot/documents/consultations.py draws the CSV): rows in random order, so the order says
    nothing about who answered first; no ids, no times, and a name only where given."""

    questions: list[QuestionRow]
    rows: list[tuple[int, Group, str | None]]  # (participant, group, name given)
    answers: dict[int, dict[int, AnswerRow]]  # participant -> question position -> answer


async def responses(tx: Tx, consultation_id: int) -> Responses | Refusal:
    consultation = await _closed(tx, consultation_id)
    if isinstance(consultation, Refusal):
        return consultation
    rows = await store.submitted_answers(tx, consultation_id)
    return Responses(
        questions=await store.questions(tx, consultation_id),
        rows=sorted(rows, key=lambda _row: secrets.randbits(32)),
        answers=await store.all_answers(tx, consultation_id),
    )


async def to_report(tx: Tx, person: Person, consultation_id: int) -> ConsultationRow | Refusal:
    """The consultation to write the report back for: closed and not reported yet."""
    consultation = await visible(tx, person, consultation_id)
    if isinstance(consultation, Refusal):
        return consultation
    if consultation.status != "closed":
        return Refusal.NOT_CLOSED
    if consultation.reported_at is not None:
        return Refusal.REPORTED
    return consultation


async def staff_view_summary(
    tx: Tx, clock: Clock, actor: Person, consultation_id: int
) -> Summary | Refusal:
    """The summary a staff member asked for; the look is audited (answers are personal)."""
    if not runs_them(actor.role):
        return Refusal.NOT_FOR_YOU
    found = await summary(tx, consultation_id)
    if isinstance(found, Refusal):
        return found
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="consultation.summary",
        subject=f"consultation:{consultation_id}",
    )
    return found


async def report(
    tx: Tx,
    clock: Clock,
    *,
    actor: Person,
    consultation_id: int,
    heard: str,
    will_do: str,
    settings: Settings | None = None,
) -> int | Refusal:
    """Publish "what we heard" and "what we will do" once; everyone who took part gets it in
    their language (with settings: the words typed in each content language too). Returns how
    many were told."""
    if not runs_them(actor.role):
        return Refusal.NOT_FOR_YOU
    consultation = await _closed(tx, consultation_id)
    if isinstance(consultation, Refusal):
        return consultation
    heard_text, will_text = report_text(heard), report_text(will_do)
    if not heard_text.ok or not will_text.ok:
        return Refusal.BAD_DRAFT
    done = await store.set_report(
        tx,
        consultation_id,
        heard=heard_text.text,
        will_do=will_text.text,
        by=actor.id,
        now=clock.now(),
    )
    if not done:
        return Refusal.REPORTED
    # Long reports do not fit in one message with their frame: those get a short notice and
    # the button to read it in full.
    full = len(consultation.title) + len(heard_text.text) + len(will_text.text) <= 3600
    words: dict[str, Any] = {
        "title": consultation.title,
        "heard": heard_text.text,
        "will": will_text.text,
    }
    if settings is not None:
        await content.keep(
            tx, actor.id, "consultation", consultation_id, {"heard": "heard", "will": "will"}
        )
        for name, text in list(words.items()):
            versions = await content.versions(
                tx, settings, "consultation", consultation_id, name, text
            )
            words[name] = content.param(settings, versions)
    told = 0
    for person_id in await store.takers(tx, consultation_id):
        person = await people.by_id(tx, person_id)
        if person is None:
            continue
        told += await notices.notify(
            tx,
            clock,
            key=f"consultation:{consultation_id}:report:{person_id}",
            message="consultations.report_notice" if full else "consultations.report_notice_short",
            params=words if full else {"title": words["title"]},
            person=person,
            buttons=[[read_button(consultation_id)]],
        )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="consultation.report",
        subject=f"consultation:{consultation_id}",
        detail={"told": told},
    )
    return told
