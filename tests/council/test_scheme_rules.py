"""Peer scheme rules called directly (real SQLite, a moved clock, no Telegram): each refusal is
an outcome of the rule's enum, never an exception; the typed set-up flow's steps; and the
catalogue ids the council looks up from its enums. End to end: tests/e2e/test_schemes.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.config import Settings
from bot.council import scheme_flows as flows
from bot.council import scheme_requests, scheme_workers, schemes
from bot.council.clock import FakeClock
from bot.council.scheme_buttons import SchemeKind
from storage.db import Database
from tests.council.conftest import MakePerson


def test_new_scheme_steps_follow_the_content_languages() -> None:
    step = flows.NewSchemeStep
    assert flows.new_steps(("en",)) == [step.NAME_EN, step.ABOUT_EN, step.HOW_EN]
    assert flows.new_steps(("cy", "en"))[:2] == [step.NAME_CY, step.NAME_EN]
    draft = flows.NewSchemeDraft(kind=SchemeKind.OTHER).typed(step.NAME_CY, "Cyfeillion")
    assert draft.texts("name", ("cy",)) == {"cy": "Cyfeillion"}
    assert flows.NewSchemeDraft.from_data(draft.to_data()) == draft
    # A kind that is not (or no longer) a scheme kind reads as no draft at all.
    assert flows.NewSchemeDraft.from_data({"kind": "chess"}) is None


def test_ids_looked_up_from_a_kind_an_answer_or_a_flow_exist_for_every_member() -> None:
    """The council's own tables of ids (notice buttons, the alert's "where"), checked whole;
    the handlers' families are checked by tests/project/test_catalogue.py."""
    from bot import i18n
    from bot.config import SCHEME_KINDS
    from bot.council import safeguarding

    assert [k.value for k in SchemeKind] == list(SCHEME_KINDS)
    assert set(scheme_requests.FOLLOWUP_LABELS) == set(scheme_requests.ANSWERS)
    ids = [
        *scheme_requests.FOLLOWUP_LABELS.values(),
        *safeguarding.FLOWS.values(),
        safeguarding.OTHER_FLOW,
    ]
    assert [i for i in ids if not i18n.has(i)] == []


async def test_council_refusals_are_outcomes_never_exceptions(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    member = await person("member")
    staff = await person("staff", wing=None)
    family = await person("family", wing=None)
    async with db.transaction() as tx:
        listeners = await schemes.get(tx, settings, "listeners")
        assert listeners is not None
        assert await schemes.directory(tx, settings, family) == []
        no = scheme_requests.Ask.NOT_ALLOWED
        assert await scheme_requests.check_ask(tx, clock, listeners, staff) is no
        assert await scheme_requests.check_ask(tx, clock, listeners, member) is None
        not_theirs = schemes.Shown.NOT_COORDINATOR
        assert (await scheme_requests.open_requests(tx, listeners, staff)).outcome is not_theirs
        assert (await scheme_workers.workers(tx, listeners, member)).outcome is not_theirs
        hours = await scheme_workers.record_hours(
            tx, clock, actor=staff, scheme=listeners, week=date(2026, 11, 2), text="P-0001 3"
        )
        assert hours.outcome is scheme_workers.Hours.NOT_COORDINATOR and hours.saved == 0
        raised = await schemes.raise_on_agenda(
            tx, clock, settings, actor=staff, scheme=listeners, text="A room for night calls."
        )
        assert raised == schemes.Raised(schemes.Raise.NOT_COORDINATOR)
        ended = await scheme_workers.end_role(tx, clock, settings, actor=staff, worker_id=999)
        assert ended.outcome is scheme_workers.End.GONE
        created = await schemes.create_scheme(
            tx,
            clock,
            settings,
            actor=member,
            kind=SchemeKind.OTHER,
            names={"en": "Chess"},
            about={"en": "Chess on Sundays."},
            how={"en": "Ask staff."},
        )
        assert created == schemes.Created(schemes.Create.NOT_ALLOWED)
        appointed = await schemes.add_coordinator(
            tx, clock, actor=staff, scheme=listeners, person_id=staff.id
        )
        assert appointed is schemes.Appoint.NOT_ALLOWED
        arrived = await scheme_requests.mark_arrived(
            tx, clock, settings, actor=member, person_id=member.id
        )
        assert arrived is scheme_requests.Arrived.NOT_ALLOWED
        assert (await scheme_workers.record(tx, settings, staff)).roles == []
        start = datetime(2026, 11, 1, tzinfo=UTC)
        assert await schemes.figures(tx, settings, viewer=member, start=start, end=start) == []
        assert await tx.all("SELECT * FROM scheme") == []


async def test_the_page_shows_each_viewer_what_the_council_allows(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    member = await person("member")
    admin = await person("admin", wing=None)
    async with db.transaction() as tx:
        listeners = await schemes.get(tx, settings, "listeners")
        assert listeners is not None
        seen = await schemes.page_view(tx, listeners, member)
        assert (seen.own_wing, seen.may_ask, seen.manages, seen.appoints) == (
            True,
            True,
            False,
            False,
        )
        seen = await schemes.page_view(tx, listeners, admin)
        assert (seen.own_wing, seen.may_ask, seen.manages, seen.appoints) == (
            False,
            False,
            True,
            True,
        )
        assert schemes.may_set_up(admin) and not schemes.may_set_up(member)
