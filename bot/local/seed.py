"""A demo establishment for the local channel, made through the council's own functions.

Everyone joins by a real invite (the configured admin is admitted from config), items are
raised, triaged and supported, a meeting is scheduled, a poll and a consultation are opened:
the same rows, notices and timers the bot makes when people do it in the chat. Each demo person
gets a persona on the page with their own chat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import handlers  # for its TIMERS table only: the demo schedules timers before any app exists
from bot.config import Settings
from bot.council import (
    access,
    agenda,
    consultations,
    meetings,
    polls,
    scheme_workers,
    schemes,
    timers,
    triage,
)
from bot.council.clock import Clock
from bot.local.labels import role_labels
from bot.local.store import ChannelStore, Persona
from storage import safety as safety_store
from storage.db import Database
from storage.people import PersonRow


@dataclass(frozen=True)
class DemoPerson:
    user_id: int
    name: str
    role: str
    wing: str | None = None


# Telegram-like ids. The admin's comes from config ([admins] telegram_ids), so it is admitted.
DEMO_PEOPLE = (
    DemoPerson(200000001, "Sam Jones", "member", "a"),
    DemoPerson(200000002, "Lee Evans", "member", "a"),
    DemoPerson(200000003, "Ravi Patel", "member", "b"),
    DemoPerson(200000004, "Tom Price", "member", "b"),
    DemoPerson(200000005, "Jo Hughes", "chair", "a"),
    DemoPerson(200000006, "Ms Morgan", "staff"),
    DemoPerson(200000007, "Mary Jones", "family"),
    DemoPerson(200000008, "Dylan Evans", "family"),
    DemoPerson(200000009, "Pat Ellis", "observer"),
)

ITEMS = (
    (0, "regime", "a", "The showers on the landing are cold every morning."),
    (1, "food", "a", "Canteen sheets come back too late to order fresh fruit."),
    (2, "visits", "b", "The visits booking line is always engaged before ten."),
    (3, "education", "b", "The library is closed on the evenings we are unlocked."),
)


@dataclass
class Seeded:
    people: dict[str, int] = field(default_factory=dict)  # name -> Telegram-like id
    items: list[str] = field(default_factory=list)
    meeting: str | None = None
    poll: str | None = None
    consultation: str | None = None
    notes: list[str] = field(default_factory=list)


async def is_empty(db: Database) -> bool:
    """No one has joined yet: the demo may be seeded without touching anyone's data."""
    async with db.transaction() as tx:
        return not await tx.value("SELECT COUNT(*) FROM person")


async def seed_demo(settings: Settings, db: Database, store: ChannelStore, clock: Clock) -> Seeded:
    timers.install(handlers.TIMERS)  # the demo's meeting and poll timers, before any app is built
    seeded = Seeded()
    console = PersonRow(0, None, "admin", "active", "en", True, None, "demo seeding", False)
    lang = settings.establishment.default_language
    people: dict[int, PersonRow] = {}
    async with db.transaction() as tx:
        if settings.admins:
            admin_id = settings.admins[0]
            admin = await access.admit_configured_admin(tx, clock, settings, admin_id)
            if admin is not None:
                people[admin_id] = await access.choose_language(tx, clock, admin, lang)
                store.add_persona(
                    Persona(admin_id, "Alex Admin", role_labels(settings, "admin", None), lang)
                )
                seeded.people["Alex Admin"] = admin_id
        for demo in DEMO_PEOPLE:
            wing = demo.wing if demo.wing and settings.wing(demo.wing) else None
            if demo.role in ("member", "chair") and wing is None:
                wing = settings.wings[0].id
            made = await access.create_invite(
                tx, clock, settings, actor=console, role=demo.role, wing=wing, label=demo.name
            )
            joined = await access.redeem(
                tx, clock, settings, tg_user_id=demo.user_id, raw_code=made.code
            )
            if joined.person is None:
                seeded.notes.append(f"{demo.name} could not join")
                continue
            people[demo.user_id] = await access.choose_language(tx, clock, joined.person, lang)
            label = role_labels(settings, demo.role, wing)
            store.add_persona(Persona(demo.user_id, demo.name, label, lang))
            seeded.people[demo.name] = demo.user_id

    members = [people[d.user_id] for d in DEMO_PEOPLE if d.role == "member" and d.user_id in people]
    chair = next((people[d.user_id] for d in DEMO_PEOPLE if d.role == "chair"), None)
    staff = next((people[d.user_id] for d in DEMO_PEOPLE if d.role == "staff"), None)
    if not members or chair is None or staff is None:
        seeded.notes.append("not enough people joined to seed the rest")
        return seeded
    now = clock.now()
    topics = {t.id for t in settings.topics}
    wings = {w.id for w in settings.wings}

    async with db.transaction() as tx:
        # The staff member is the safer-custody contact, so a member who types worrying words
        # in the demo shows the alert arriving in her chat.
        await safety_store.add_contact(tx, staff.id, None, now)
        raised = []
        for who, topic, wing, text in ITEMS:
            if who >= len(members) or topic not in topics or wing not in wings:
                continue
            draft = agenda.Draft(topic=topic, wing=wing, text=text, name_hidden=who == 2)
            item = await agenda.raise_item(tx, clock, settings, person=members[who], draft=draft)
            raised.append(item)
            seeded.items.append(agenda.ref(item.id))
        # The chair accepts the first two; the others wait in /triage for you to try.
        for item in raised[:2]:
            await triage.accept(
                tx, clock, settings, actor=chair, item_id=item.id, version=item.version
            )
        if len(raised) >= 2 and len(members) >= 2:
            await agenda.support(tx, clock, person=members[1], item_id=raised[0].id)

    zone = settings.establishment.timezone
    day = (now.astimezone(zone) + timedelta(days=8)).date()
    async with db.transaction() as tx:
        plan = meetings.Plan(
            kind=meetings.COUNCIL,
            title="Prisoner council",
            place="Chapel meeting room",
            audience=meetings.MEMBERS,
            wing=None,
            starts_at=datetime.combine(day, time(14, 0), tzinfo=zone),
        )
        scheduled = await meetings.schedule(tx, clock, settings, actor=staff, plan=plan)
        if scheduled.meetings:
            meeting = scheduled.meetings[0]
            seeded.meeting = meetings.ref(meeting.id)
            if raised:
                await meetings.attach(
                    tx, clock, settings, actor=staff, meeting_id=meeting.id, item_id=raised[0].id
                )
        else:
            seeded.notes.append(f"meeting not scheduled: {scheduled.problem}")

    async with db.transaction() as tx:
        poll = polls.Draft(
            question="Which evening should the gym stay open later?",
            options=("Tuesday", "Wednesday", "Thursday"),
            multiple=False,
            audience="members",
            closes_at=now + timedelta(days=3),
        )
        opened = await polls.open_poll(tx, clock, settings, actor=staff, draft=poll)
        if opened.poll_id:
            seeded.poll = polls.poll_ref(opened.poll_id)
        else:
            seeded.notes.append(f"poll not opened: {opened.outcome}")

    async with db.transaction() as tx:
        consultation = consultations.ConsultationDraft(
            title="Family visits on Saturdays",
            background="We are planning the visits timetable for next year.",
            questions=(
                consultations.Question(
                    "single", "Which Saturday session suits you best?", ("Morning", "Afternoon")
                ),
                consultations.Question("text", "What would make visits easier for your family?"),
            ),
            audience="both",
            closes_at=now + timedelta(days=14),
        )
        published = await consultations.publish(
            tx,
            clock,
            settings,
            actor=staff,
            draft=consultation,
        )
        if isinstance(published, consultations.Refusal):
            seeded.notes.append(f"consultation not published: {published}")
        else:
            seeded.consultation = f"consultation {published.consultation_id}"

    # A closed one too, so the README's `python -m bot export consultation 2` works on the demo.
    async with db.transaction() as tx:
        earlier = consultations.ConsultationDraft(
            title="Visits last year",
            background="What worked, and what did not.",
            questions=(consultations.Question("text", "What should we keep?"),),
            audience="both",
            closes_at=now + timedelta(days=1),
        )
        done = await consultations.publish(
            tx,
            clock,
            settings,
            actor=staff,
            draft=earlier,
        )
        if not isinstance(done, consultations.Refusal):
            await consultations.close(tx, clock, done.consultation_id)

    # Peer schemes (docs/SCHEMES.md): Ms Morgan coordinates the Listeners; Lee is a listed
    # Listener on A wing with a week of hours, so /schemes and /myrecord have something to show.
    async with db.transaction() as tx:
        listeners = next(
            (s for s in await schemes.all_schemes(tx, settings) if s.kind == "listeners"), None
        )
        admin = people.get(settings.admins[0]) if settings.admins else None
        if listeners is not None and admin is not None and len(members) >= 2:
            await schemes.add_coordinator(
                tx, clock, actor=admin, scheme=listeners, person_id=staff.id
            )
            today = now.astimezone(zone).date()
            await scheme_workers.add_worker(
                tx,
                clock,
                actor=staff,
                scheme=listeners,
                person_id=members[1].id,
                listed_name="Lee",
                training="Samaritans Listener training",
                trained_on=today - timedelta(days=60),
                started_on=today - timedelta(days=45),
            )
            await scheme_workers.record_hours(
                tx,
                clock,
                actor=staff,
                scheme=listeners,
                week=today - timedelta(days=7),
                text=f"{access.person_ref(members[1].id)} 6",
            )
    return seeded
