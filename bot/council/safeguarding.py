"""Free text that suggests risk of self-harm: a kind reply at once, and an urgent alert to the
safer-custody contacts (people flagged by an admin) that escalates until someone takes it.

The reply says the team was told only when an alert was queued for at least one contact. The
alert names who and where (reference, staff note, wing, the flow they were in), never the words.
It bypasses quiet hours and goes to the front of the queue. A contact presses "I am dealing with
this" (audited); if nobody has within [safeguarding] escalate_after_minutes, it goes again to
every contact and to the admins, and again after each interval, up to MAX_ROUNDS times."""

from __future__ import annotations

import enum
import hashlib
import hmac
import itertools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from bot.config import Settings
from bot.council import audit, escalation, notices
from bot.council.access import Person, person_ref
from bot.council.buttons import ButtonData
from bot.council.clock import Clock
from storage import invites as invite_store
from storage import safety as store
from storage.db import Tx
from storage.people import PersonRow

ESCALATE = "safeguarding_escalate"
MAX_ROUNDS = 8  # the first alert and up to seven repeats: two hours at the default interval


@dataclass(frozen=True)
class TakeAlert(ButtonData, prefix="sgd"):
    """ "I am dealing with this" on an alert (handlers/__init__.py)."""

    alert_id: int


@dataclass(frozen=True)
class RemoveContact(ButtonData, prefix="sgr"):
    """An admin takes a person off the safer-custody contacts."""

    person_id: int


# Built in, so no configuration can leave it empty; [safeguarding] phrases adds to it. Matched
# as whole words after folding case, accents, apostrophes and punctuation, and also with the
# spaces between a phrase's words left out ("selfharm", "killmyself"). Common misspellings
# are listed as phrases of their own. tests/e2e/test_safety.py lists sentences that must match
# and ordinary ones that must not.
BUILT_IN_PHRASES: tuple[str, ...] = (
    # English
    "kill myself",
    "kill my self",
    "kil myself",
    "killing myself",
    "end it all",
    "ending it all",
    "end my life",
    "ending my life",
    "end it tonight",
    "take my own life",
    "taking my own life",
    "want to die",
    "wanna die",
    "want too die",
    "want to be dead",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better of dead",
    "dont want to live",
    "dont want to be alive",
    "dont want to be here anymore",
    "no reason to live",
    "nothing to live for",
    "no point living",
    "no point in living",
    "cant do this anymore",
    "cant cope anymore",
    "suicide",
    "suicidal",
    "sucide",
    "suicde",
    "suiside",
    "suicied",
    "sucidal",
    "suisidal",
    "self harm",
    "self harming",
    "self harmed",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "harming myself",
    "cut myself",
    "cutting myself",
    "cut my wrists",
    "slit my wrists",
    "hang myself",
    "hanging myself",
    "overdose on purpose",
    # Welsh (with common spellings, with and without mutation)
    "lladd fy hun",
    "lladd fy hunan",
    "ladd fy hun",
    "ladd fy hunan",
    "lladd fy hyn",
    "hunanladdiad",
    "hunan laddiad",
    "hunanladdol",
    "eisiau marw",
    "isio marw",
    "isie marw",
    "moyn marw",
    "eisio marw",
    "niweidio fy hun",
    "niweidio fy hunan",
    "hunan niweidio",
    "hunan niwed",
    "hunan-niwed",
    "brifo fy hun",
    "brifo fy hunan",
    "anafu fy hun",
    "torri fy hun",
    "dod a diwedd i fy mywyd",
    "rhoi diwedd ar y cyfan",
    "gorffen y cyfan",
    "dim pwynt byw",
    "dim rheswm i fyw",
    "ddim eisiau byw",
    "ddim isio byw",
)


def _fold(text: str) -> str:
    """Lower case, no accents (â -> a), apostrophes dropped (don't -> dont), punctuation to
    spaces, and a letter typed three or more times in a row cut to two ("killlll" -> "kill")."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['\u2019\u2018`]", "", text)
    text = re.sub(r"[^\w]+", " ", text)
    text = re.sub(r"(\w)\1{2,}", r"\1\1", text)
    return text.strip()


def _variants(phrase: str) -> set[str]:
    """The phrase as written, and with the spaces between its words left out in every way."""
    words = _fold(phrase).split()
    out: set[str] = set()
    if not words:
        return out
    for joins in itertools.product((" ", ""), repeat=len(words) - 1):
        out.add(words[0] + "".join(j + w for j, w in zip(joins, words[1:], strict=True)))
    return out


@lru_cache(maxsize=8)
def _pattern(extra: tuple[str, ...]) -> re.Pattern[str]:
    variants: set[str] = set()
    for phrase in (*BUILT_IN_PHRASES, *extra):
        variants |= _variants(phrase)
    alternatives = "|".join(sorted((re.escape(v) for v in variants if v), key=len, reverse=True))
    return re.compile(rf"(?:^| )(?:{alternatives})(?= |$)")


def suggests_risk(settings: Settings, text: str) -> bool:
    return _pattern(settings.safeguarding.phrases).search(_fold(text)) is not None


# Where the person was when they wrote it: the flow's name, shown in the contact's language.
# Catalogue ids written out, never built from the flow (tests/e2e/test_safety.py checks them).
FLOWS: dict[str, str] = {
    "message": "safety.flow.message",
    "edited": "safety.flow.edited",
    "raise": "safety.flow.raise",
    "keyin": "safety.flow.keyin",
    "triage": "safety.flow.triage",
    "agenda_reply": "safety.flow.agenda_reply",
    "poll_new": "safety.flow.poll_new",
    "consult_answer": "safety.flow.consult_answer",
    "consult_new": "safety.flow.consult_new",
    "consult_report": "safety.flow.consult_report",
    "announce": "safety.flow.announce",
    "meeting_new": "safety.flow.meeting_new",
    "meeting_move": "safety.flow.meeting_move",
    "minutes": "safety.flow.minutes",
    "outcome": "safety.flow.outcome",
    "invite": "safety.flow.invite",
}
OTHER_FLOW = "safety.flow.other"


def _where(flow: str) -> dict[str, str]:
    return notices.catalogue(FLOWS.get(flow, OTHER_FLOW))


def _wing(settings: Settings, wing_id: str | None) -> object:
    wing = settings.wing(wing_id) if wing_id else None
    return notices.labelled(wing.labels) if wing else notices.catalogue("safety.no_wing")


@dataclass(frozen=True)
class Screened:
    risk: bool  # the words suggest risk: show the support reply
    told: bool  # an alert is queued for at least one safer-custody contact (now or before)


async def screen(
    tx: Tx, clock: Clock, settings: Settings, *, person: Person, text: str, where: str
) -> Screened:
    """Check free text; on risk, raise an alert to every contact. told is True only when a
    notice was queued for at least one contact (or the same words already alerted them)."""
    if not suggests_risk(settings, text):
        return Screened(False, False)
    contacts = [c for c in await store.contacts(tx) if c.id != person.id]
    # The same words from the same person alert once, however often they are sent. A keyed
    # hash: the stored digest cannot be checked against guessed sentences.
    pepper = await invite_store.secret(tx, "alert_pepper", secrets.token_hex(32))
    digest = hmac.new(pepper.encode(), _fold(text).encode(), hashlib.sha256).hexdigest()[:16]
    alert_id = await store.raise_alert(
        tx,
        person_id=person.id,
        digest=digest,
        wing=person.wing,
        flow=where,
        now=clock.now(),
    )
    if alert_id is None:
        return Screened(True, bool(contacts))
    params = _params(settings, person, where)
    told = await _send(tx, clock, alert_id, 1, contacts, "safety.alert", params)
    if not told:
        # Nobody to tell: the admins hear of it at once, and the reply does not claim the team
        # was told (it says to speak to wing staff now).
        await _send(
            tx, clock, alert_id, 1, await store.admins(tx), "safety.alert_no_contact", params
        )
    await ESCALATION.start(tx, alert_id, clock.now() + settings.safeguarding.escalate_after)
    return Screened(True, told > 0)


def _params(settings: Settings, person: PersonRow, where: str) -> dict[str, object]:
    return {
        "person": person_ref(person.id),
        "label": person.label or "-",
        "wing": _wing(settings, person.wing),
        "where": _where(where),
    }


async def _send(
    tx: Tx,
    clock: Clock,
    alert_id: int,
    round_: int,
    to: list[PersonRow],
    message: str,
    params: dict[str, object],
) -> int:
    return await escalation.tell(
        tx,
        clock,
        to,
        key=lambda person: f"safeguarding:{alert_id}:{round_}:{_id(person)}",
        message=message,
        params=params,
        take=("safety.take", TakeAlert(alert_id)),
        urgent=True,
    )


def _id(target: escalation.Target) -> int:
    """Alerts go to registered people only: their notices are keyed by person id."""
    return target.id if isinstance(target, PersonRow) else target


async def _state(tx: Tx, alert_id: int) -> escalation.State | None:
    alert = await store.alert(tx, alert_id)
    if alert is None:
        return None
    return escalation.State.OPEN if alert.taken_by is None else escalation.State.CLOSED


async def _again(tx: Tx, clock: Clock, settings: Settings, alert_id: int) -> int | None:
    """Nobody has taken it: every contact and every admin hears of it again."""
    alert = await store.alert(tx, alert_id)
    if alert is None or alert.rounds >= MAX_ROUNDS:
        return None
    round_ = await store.next_round(tx, alert.id)
    person = None if alert.person_id is None else await store.person(tx, alert.person_id)
    params: dict[str, object] = {
        "person": person_ref(alert.person_id) if alert.person_id else "-",
        "label": (person.label if person else None) or "-",
        "wing": _wing(settings, alert.wing),
        "where": _where(alert.flow),
        "minutes": int((clock.now() - alert.raised_at) / timedelta(minutes=1)),
    }
    recipients = {p.id: p for p in await store.contacts(tx)}
    recipients.update({p.id: p for p in await store.admins(tx)})
    recipients.pop(alert.person_id or 0, None)
    await _send(
        tx, clock, alert.id, round_, list(recipients.values()), "safety.alert_again", params
    )
    await audit.record(
        tx,
        clock,
        actor_id=None,
        actor_role=None,
        action="safeguarding.escalated",
        subject=f"alert:{alert.id}",
        detail={"round": round_, "recipients": len(recipients)},
    )
    return round_


async def _next_due(tx: Tx, clock: Clock, settings: Settings, alert_id: int) -> datetime:
    return clock.now() + settings.safeguarding.escalate_after


ESCALATION = escalation.Escalation(
    ESCALATE,
    timer_key="safeguarding:{id}:escalate:{round}",
    rounds=MAX_ROUNDS,
    state=_state,
    again=_again,
    due=_next_due,
)
ESCALATE_TIMER = ESCALATION.timer()


class Take(enum.StrEnum):
    TAKEN = "taken"
    ALREADY = "already"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Taken:
    outcome: Take
    about: str = ""  # the person's reference
    by: str = ""  # who took it (for "already")


async def take(tx: Tx, clock: Clock, *, actor: Person, alert_id: int) -> Taken:
    """A contact (or an admin) says they are dealing with an alert. The first press wins."""
    alert = await store.alert(tx, alert_id)
    if alert is None:
        return Taken(Take.UNKNOWN)
    if actor.role != "admin" and not await store.is_contact(tx, actor.id):
        return Taken(Take.NOT_ALLOWED)
    about = person_ref(alert.person_id) if alert.person_id else "-"
    if not await store.take(tx, alert.id, actor.id, clock.now()):
        return Taken(Take.ALREADY, about, person_ref(alert.taken_by) if alert.taken_by else "-")
    await ESCALATION.taken(
        tx,
        clock,
        subject_id=alert.id,
        actor=actor,
        action="safeguarding.taken",
        subject=f"alert:{alert.id}",
        detail={"about": about, "rounds": alert.rounds},
    )
    # Everyone else who was asked hears that it is in hand, so nobody goes twice or not at all.
    asked = {p.id: p for p in await store.contacts(tx)}
    if alert.rounds > 1 or not asked:
        asked.update({p.id: p for p in await store.admins(tx)})
    others = [p for p in asked.values() if p.id not in (actor.id, alert.person_id)]
    await escalation.tell(
        tx,
        clock,
        others,
        key=lambda other: f"safeguarding:{alert.id}:taken:{_id(other)}",
        message="safety.taken_by_other",
        params={"by": person_ref(actor.id), "person": about},
        urgent=True,
    )
    return Taken(Take.TAKEN, about)


# --- contacts ---------------------------------------------------------------------------------

CONTACT_ROLES = frozenset({"staff", "admin"})


class Contact(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    ALREADY = "already"
    NOT_THERE = "not_there"
    UNKNOWN = "unknown"
    WRONG_ROLE = "wrong_role"


@dataclass(frozen=True)
class ContactChange:
    outcome: Contact
    ref: str = ""


async def add_contact(tx: Tx, clock: Clock, *, actor: Person, person_id: int) -> ContactChange:
    target = await store.person(tx, person_id)
    if target is None or target.status != "active":
        return ContactChange(Contact.UNKNOWN)
    ref = person_ref(target.id)
    if target.role not in CONTACT_ROLES:
        return ContactChange(Contact.WRONG_ROLE, ref)
    if not await store.add_contact(tx, target.id, actor.id, clock.now()):
        return ContactChange(Contact.ALREADY, ref)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="safeguarding.contact_added",
        subject=ref,
    )
    return ContactChange(Contact.ADDED, ref)


async def remove_contact(tx: Tx, clock: Clock, *, actor: Person, person_id: int) -> ContactChange:
    ref = person_ref(person_id)
    if not await store.remove_contact(tx, person_id):
        return ContactChange(Contact.NOT_THERE, ref)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="safeguarding.contact_removed",
        subject=ref,
    )
    return ContactChange(Contact.REMOVED, ref)


async def contacts(tx: Tx) -> list[PersonRow]:
    """The safer-custody contacts, for the admin's list."""
    return await store.contacts(tx)


async def readiness(tx: Tx, clock: Clock) -> tuple[int, int]:
    """(active contacts, unused invites that will make one): run refuses real use with (0, 0)."""
    contacts = len(await store.contacts(tx))
    return contacts, await store.pending_contact_invites(tx, clock.now())


async def notify_contacts(
    tx: Tx, clock: Clock, *, key: str, message: str, params: dict[str, object]
) -> int:
    """An urgent notice to every contact (an item that carried risky words names its ref)."""
    return await escalation.tell(
        tx,
        clock,
        await store.contacts(tx),
        key=lambda contact: f"{key}:{_id(contact)}",
        message=message,
        params=params,
        urgent=True,
    )
