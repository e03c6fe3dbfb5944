"""Elections: /elections, calling an election, standing, the ranked ballot, paper ballots, the
count's results; and paper votes for ordinary polls (/paper).

A ranking in progress travels only in the voter's own buttons (candidate positions in the
callback data) and in the message they see; it is never stored next to them. Nothing here logs a
callback. The rules are in bot/council/elections.py and bot/council/paper_polls.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, assert_never

from babel import Locale

from bot.council import access, content, elections, paper_polls, polls
from bot.council import election_buttons as eb
from bot.council.buttons import ButtonData
from bot.council.election_buttons import decode, encode
from bot.council.elections import (
    DESK,
    NEW_ELECTION,
    STAND,
    BallotView,
    BoxOpening,
    Calling,
    ChangeAsk,
    Draft,
    Keyed,
    NewStep,
    OfficeDraft,
    StaffDraft,
    StaffStep,
    StandDraft,
    StandStep,
    Vote,
)
from bot.council.paper_polls import PaperBox
from handlers import content as asking
from handlers import election_answers as say
from handlers.base import Button, Call, Reply, Result, excerpt, wing_label
from handlers.base import stale as _stale
from handlers.labels import Ids

PAGE = 3  # statements per page
SHORT = 28

__all__ = ["decode", "encode"]  # bench/election.py codes rankings as the buttons do

# Each family's keys are the schema's (storage/migrations/0012_elections.sql CHECKs) or CLDR's.
_ORDINAL = Ids("elections.ordinal_{}", ("zero", "one", "two", "few", "many", "other"))
_STATUS = Ids("elections.status.{}", ("nominations", "voting", "closed", "counted"))
_CANDIDATE = Ids("elections.candidate_{}", ("standing", "withdrawn", "not_seconded"))
_BOX = Ids("elections.box_{}", ("unconfirmed", "keying", "done"))
_POLL_BOX = Ids("elections.poll_box_{}", ("unconfirmed", "keying", "done"))


# --- plural and ordinal forms (CLDR, through Babel) -------------------------------------------


def plural(call: Call, message_id: str, n: int, **params: Any) -> str:
    """A count phrase in the reader's language: the catalogue's plural table picks the CLDR
    form for {count} (Welsh has six; docs/LANGUAGES.md)."""
    return call.t(message_id, count=n, **params)


def ordinal(call: Call, n: int) -> str:
    """1st, 2nd, 3rd... / 1af, 2il, 3ydd...: by the CLDR ordinal category, through Babel."""
    form = Locale.parse(call.lang).ordinal_form(n)
    return call.t(_ORDINAL[form], n=n)


async def name_of(call: Call, office: elections.OfficeRow) -> str:
    """The office's name in the reader's content language (staff typed it in each)."""
    return await elections.office_label(call.tx, call.services.settings, office, call.lang)


def short(text: str) -> str:
    return excerpt(text, SHORT)


# --- /elections ------------------------------------------------------------------------------


async def overview_command(call: Call) -> Result:
    return await _overview(call, edit=False)


async def overview_button(call: Call, b: eb.ElectionList) -> Result:
    return await _overview(call, edit=True)


async def _overview(call: Call, *, edit: bool) -> Result:
    services = call.services
    me = call.me
    blocks: list[str] = []
    buttons: list[list[Button]] = []
    if me.role in elections.VOTERS:
        mine = await elections.offices_for(call.tx, services.clock, services.settings, me)
        for office, election, state in mine:
            line, more = await _office_line(call, office, election, state)
            blocks.append(line)
            buttons += more
    if me.role in elections.BOX_CONFIRMERS:
        for election in await elections.recent(call.tx, limit=6):
            offices = await elections.offices(call.tx, election.id)
            names = ", ".join(o.name for o in offices)
            blocks.append(
                call.t(
                    "elections.staff_line",
                    number=election.id,
                    offices=names,
                    status=call.t(_STATUS[election.status]),
                )
            )
            buttons.append(
                [call.button("elections.desk_button", eb.Desk(election.id), number=election.id)]
            )
    if elections.may_call(me.role):
        buttons.append([call.button("elections.new_button", eb.ElectionNew())])
    text = "\n\n".join(blocks) if blocks else call.t("elections.none")
    return Reply(text, buttons, edit)


async def _office_line(
    call: Call, office: elections.OfficeRow, election: elections.ElectionRow, state: str
) -> tuple[str, list[list[Button]]]:
    clock = call.services.clock
    me = call.me
    buttons: list[list[Button]] = []
    name = await name_of(call, office)
    q = short(name)
    if election.status == "nominations":
        mine = await elections.candidate_of(call.tx, office.id, me.id)
        standing = mine is not None and mine.status == "standing"
        status = call.t(
            "elections.you_stand" if standing else "elections.nominations_until",
            closes=election.nominations_close_at,
        )
        if standing:
            buttons.append(
                [call.button("elections.change_button", eb.StatementChange(office.id), q=q)]
            )
            buttons.append(
                [call.button("elections.withdraw_button", eb.WithdrawAsk(office.id), q=q)]
            )
        elif await elections.stand_problem(call.tx, clock, me, office.id) is None:
            buttons.append([call.button("elections.stand_button", eb.Stand(office.id), q=q)])
        buttons.append(
            [call.button("elections.statements_button_q", eb.Statements(office.id, 0), q=q)]
        )
    elif election.status == "voting":
        status = call.t(
            "elections.you_voted" if state else "elections.not_voted",
            closes=election.voting_closes_at,
        )
        if not state:
            buttons.append([call.button("elections.vote_button", eb.BallotShow(office.id), q=q)])
        buttons.append(
            [call.button("elections.statements_button_q", eb.Statements(office.id, 0), q=q)]
        )
    elif election.status == "closed":
        status = call.t("elections.counting")
    else:
        status = call.t("elections.counted")
        buttons.append(
            [call.button("elections.results_button", eb.ElectionResults(office.id), q=q)]
        )
    return call.t("elections.office_line", office=name, state=status), buttons


# --- reading the statements (paged) -----------------------------------------------------------


async def statements(call: Call, b: eb.Statements) -> Result:
    office_id, page = b.office_id, b.page
    found = await elections.statements(call.tx, call.me, office_id)
    if found is None:
        return _refuse(call, Vote.NOT_OPEN)
    everyone = await elections.candidates(call.tx, office_id, standing_only=True)
    if not everyone:
        return call.reply(
            "elections.no_candidates",
            edit=True,
            office=await name_of(call, found.office),
            buttons=[[call.button("elections.back", eb.ElectionList())]],
        )
    pages = (len(everyone) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    shown = everyone[page * PAGE : (page + 1) * PAGE]
    lines = [
        call.t(
            "elections.statements_title",
            office=await name_of(call, found.office),
            page=page + 1,
            pages=pages,
        )
    ]
    buttons: list[list[Button]] = []
    seconding = elections.may_second(found.election, call.services.clock, call.me)
    for candidate in shown:
        lines.append(
            call.t("elections.statement", name=candidate.name, statement=candidate.statement)
        )
        if seconding and candidate.person_id != call.me.id:
            buttons.append(
                [
                    call.button(
                        "elections.second_button",
                        eb.Second(candidate.id),
                        name=short(candidate.name),
                    )
                ]
            )
    nav: list[Button] = []
    if page > 0:
        nav.append(call.button("elections.prev", eb.Statements(office_id, page - 1)))
    if page + 1 < pages:
        nav.append(call.button("elections.next", eb.Statements(office_id, page + 1)))
    if nav:
        buttons.append(nav)
    if found.election.status == "voting" and call.me.role in elections.VOTERS:
        buttons.append([call.button("elections.to_ballot", eb.BallotShow(office_id))])
    buttons.append([call.button("elections.back", eb.ElectionList())])
    return Reply("\n\n".join(lines), buttons, True)


async def second(call: Call, b: eb.Second) -> Result:
    outcome = await elections.second(call.tx, call.services.clock, call.me, b.candidate_id)
    call.toast = call.t(say.SECONDING[outcome])
    return None


# --- the ballot --------------------------------------------------------------------------------


def _refuse(call: Call, why: Vote) -> Result:
    match why:
        case Vote.CLOSED:
            return call.reply("elections.closed", edit=True)
        case Vote.ALREADY:
            return call.reply("elections.already", edit=True)
        case Vote.EMPTY:
            call.toast = call.t("elections.rank_one")
            return None
        case Vote.NOT_OPEN | Vote.RECORDED:  # RECORDED is never a refusal; answered safely
            call.toast = call.t("elections.not_open")
            call.toast_alert = True
            return None
        case _:
            assert_never(why)


def _ranking_lines(call: Call, view: BallotView) -> str:
    if not view.ranking:
        return call.t("elections.nothing_ranked")
    return "\n".join(
        call.t("elections.ranked_line", place=ordinal(call, n), name=c.name)
        for n, c in enumerate(view.ranked, start=1)
    )


def _ranking_buttons(
    call: Call,
    view: BallotView,
    show: Callable[[str], ButtonData],
    review: Callable[[str], ButtonData],
) -> list[list[Button]]:
    """show(code) and review(code): the buttons that carry a ranking (coded) onwards."""
    place = ordinal(call, len(view.ranking) + 1)
    buttons = [
        [
            Button(
                call.t("elections.rank_as", place=place, name=short(c.name)),
                show(encode([*view.ranking, i])).pack(),
            )
        ]
        for i, c in view.remaining
    ]
    tail: list[Button] = []
    if view.ranking:
        tail.append(call.button("elections.thats_all", review(encode(view.ranking))))
        tail.append(call.button("elections.start_again", show(encode([]))))
    if tail:
        buttons.append(tail)
    return buttons


async def _view(call: Call, office_id: int, raw: str) -> BallotView | Vote:
    ranking = decode(raw)
    if ranking is None:
        return Vote.NOT_OPEN
    services = call.services
    return await elections.ballot(
        call.tx, services.clock, services.settings, call.me, office_id, ranking
    )


async def show_ballot(call: Call, b: eb.BallotShow) -> Result:
    view = await _view(call, b.office_id, b.ranking)
    if isinstance(view, Vote):
        return _refuse(call, view)
    office_id = view.place.office.id
    buttons = _ranking_buttons(
        call,
        view,
        lambda code: eb.BallotShow(office_id, code),
        lambda code: eb.BallotReview(office_id, code),
    )
    buttons.append([call.button("elections.statements_button", eb.Statements(office_id, 0))])
    return call.reply(
        "elections.ballot",
        buttons=buttons,
        edit=True,
        office=await name_of(call, view.place.office),
        seats=plural(call, "elections.seats", view.place.office.seats),
        ranked=_ranking_lines(call, view),
        next=ordinal(call, len(view.ranking) + 1),
        closes=view.place.election.voting_closes_at,
    )


async def review(call: Call, b: eb.BallotReview) -> Result:
    view = await _view(call, b.office_id, b.ranking)
    if isinstance(view, Vote):
        return _refuse(call, view)
    if not view.ranking:
        return _refuse(call, Vote.EMPTY)
    office_id = view.place.office.id
    buttons = [
        [call.button("elections.confirm", eb.BallotCast(office_id, encode(view.ranking)))],
        [call.button("elections.change", eb.BallotShow(office_id, encode(view.ranking)))],
        [call.button("elections.start_again", eb.BallotShow(office_id))],
    ]
    return call.reply(
        "elections.review",
        buttons=buttons,
        edit=True,
        office=await name_of(call, view.place.office),
        ranked=_ranking_lines(call, view),
    )


async def cast(call: Call, b: eb.BallotCast) -> Result:
    office_id, ranking = b.office_id, decode(b.ranking)
    if ranking is None:
        return _refuse(call, Vote.NOT_OPEN)
    services = call.services
    outcome = await elections.cast(
        call.tx, services.clock, services.settings, call.me, office_id, ranking
    )
    if outcome is Vote.RECORDED:
        # Replaces the review: the chat keeps the ranking no longer than needed.
        return call.reply("elections.recorded", edit=True)
    if outcome is Vote.ALREADY:
        call.toast = call.t("elections.already")
        return None
    return _refuse(call, outcome)


# --- results ---------------------------------------------------------------------------------


async def results(call: Call, b: eb.ElectionResults) -> Result:
    found = await elections.place(call.tx, b.office_id)
    if found is None or await elections.statements(call.tx, call.me, found.office.id) is None:
        return _refuse(call, Vote.NOT_OPEN)
    if found.office.result is None:
        call.toast = call.t("elections.not_yet")
        return None
    params = await elections.result_params(call.tx, call.services.settings, found.office)
    buttons = [[call.button("elections.back", eb.ElectionList())]]
    if elections.chart_shown(call.services.settings, call.me, found.office):
        buttons.insert(
            0, [call.button("elections.chart_button", eb.ElectionChart(found.office.id))]
        )
    return call.reply("elections.result_notice", buttons=buttons, edit=True, **params)


async def chart(call: Call, b: eb.ElectionChart) -> Result:
    """Each stage's votes as a chart (for the report), drawn after the transaction commits."""
    found = await elections.place(call.tx, b.office_id)
    if found is None or not elections.chart_shown(call.services.settings, call.me, found.office):
        return _stale(call)
    result = found.office.result
    assert result is not None  # chart_shown: counted
    title = call.t("elections.chart_title", office=await name_of(call, found.office))
    stage_label = call.t("elections.chart_stage")

    async def draw() -> list[Reply]:
        from bot.documents.election_chart import rounds_png

        png = rounds_png(result, title=title, stage_label=stage_label)
        return [Reply(title, photo=png)]

    return Reply("", later=draw)


# --- standing --------------------------------------------------------------------------------


async def stand_start(call: Call, b: eb.Stand) -> Result:
    office_id = b.office_id
    problem = await elections.stand_problem(call.tx, call.services.clock, call.me, office_id)
    if problem is not None:
        call.toast = call.t(say.STANDING[problem])
        call.toast_alert = True
        return None
    await _stand(call, StandStep.STATEMENT, StandDraft(office_id))
    found = await elections.place(call.tx, office_id)
    assert found is not None
    return call.reply(
        "elections.ask_statement",
        office=await name_of(call, found.office),
        max=elections.MAX_STATEMENT,
    )


async def change_start(call: Call, b: eb.StatementChange) -> Result:
    office_id = b.office_id
    mine = await elections.candidate_of(call.tx, office_id, call.me.id)
    found = await elections.place(call.tx, office_id)
    if mine is None or mine.status != "standing" or found is None:
        return _stale(call)
    if not elections.nominations_open(found.election, call.services.clock):
        return call.reply("elections.nominations_closed")
    await _stand(call, StandStep.CHANGE, StandDraft(office_id))
    lines = [call.t("elections.current_statement", statement=mine.statement)]
    if mine.change_reason:
        lines.append(call.t("elections.change_reason", reason=mine.change_reason))
    lines.append(call.t("elections.ask_new_statement", max=elections.MAX_STATEMENT))
    return Reply("\n\n".join(lines))


async def _stand(call: Call, step: StandStep, draft: StandDraft) -> None:
    await STAND.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def stand_typed(call: Call) -> Result:
    at = STAND.read(call.state)
    if at is None or not at.draft.office:
        await call.end_flow()
        return call.reply("common.use_menu")
    office_id = at.draft.office
    if at.step not in (StandStep.STATEMENT, StandStep.CHANGE):
        return call.reply("elections.use_buttons")
    settings = call.services.settings
    from bot.council import safeguarding

    if safeguarding.suggests_risk(settings, call.text):
        # The wrapper has sent the support message and alerted the team; a statement that goes
        # to the whole wing is not the place for it, so it is not kept.
        return call.reply("elections.statement_not_kept")
    cleaned = elections.check_statement(call.text)
    if not cleaned.ok:
        return call.reply(
            "elections.statement_long"
            if cleaned.problem == "too_long"
            else "elections.statement_problem",
            max=elections.MAX_STATEMENT,
            length=len(cleaned.text),
        )
    if at.step is StandStep.CHANGE:
        outcome = await elections.change_statement(
            call.tx, call.services.clock, call.me, office_id, cleaned.text
        )
        await call.end_flow()
        return call.reply(say.RESTATEMENT[outcome])
    await _stand(call, StandStep.CONFIRM, StandDraft(office_id, cleaned.text))
    found = await elections.place(call.tx, office_id)
    assert found is not None
    buttons = [
        [call.button("elections.stand_yes", eb.StandConfirm())],
        [call.button("elections.stand_no", eb.StandCancel())],
    ]
    return call.reply(
        "elections.stand_preview",
        buttons=buttons,
        office=await name_of(call, found.office),
        statement=cleaned.text,
    )


async def stand_confirm(call: Call, b: eb.StandConfirm) -> Result:
    at = STAND.read(call.state)
    if at is None or at.step is not StandStep.CONFIRM:
        return _stale(call)
    office_id, statement = at.draft.office, at.draft.statement
    await call.end_flow()
    services = call.services
    outcome = await elections.nominate(
        call.tx, services.clock, services.settings, call.me, office_id, statement
    )
    return call.reply(say.STANDING[outcome], edit=True)


async def stand_cancel(call: Call, b: eb.StandCancel) -> Result:
    if STAND.read(call.state) is None:
        return _stale(call)
    await call.end_flow()
    return call.reply("elections.stand_cancelled", edit=True)


async def withdraw_ask(call: Call, b: eb.WithdrawAsk) -> Result:
    found = await elections.place(call.tx, b.office_id)
    if found is None:
        return _stale(call)
    buttons = [
        [call.button("elections.withdraw_yes", eb.Withdraw(found.office.id))],
        [call.button("elections.back", eb.ElectionList())],
    ]
    return call.reply(
        "elections.withdraw_confirm",
        buttons=buttons,
        edit=True,
        office=await name_of(call, found.office),
    )


async def withdraw(call: Call, b: eb.Withdraw) -> Result:
    outcome = await elections.withdraw(call.tx, call.services.clock, call.me, b.office_id)
    return call.reply(say.WITHDRAWAL[outcome], edit=True)


# --- calling an election -------------------------------------------------------------------------


def _draft(call: Call, step: NewStep) -> Draft | None:
    at = NEW_ELECTION.read(call.state)
    return at.draft if at is not None and at.step is step else None


async def _step(call: Call, step: NewStep, draft: Draft) -> None:
    await NEW_ELECTION.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def new_election(call: Call) -> Result:
    if not elections.may_call(call.me.role):
        return call.reply("common.not_for_role")
    await content.start(call.tx, call.me.id)
    await _step(call, NewStep.NAME, Draft())
    return call.reply("elections.ask_office", max=elections.MAX_OFFICE_NAME)


async def new_election_button(call: Call, b: eb.ElectionNew) -> Result:
    return await new_election(call)


async def by_election(call: Call, b: eb.ByElection) -> Result:
    """From the "seat empty" notice: a new election for one seat, same office and electorate."""
    draft = await elections.by_election_draft(call.tx, call.me, b.office_id)
    if draft is None:
        return _stale(call)
    return await _ask_seconders(call, draft)


async def new_typed(call: Call) -> Result:
    at = NEW_ELECTION.read(call.state)
    if at is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    draft = at.draft
    settings = call.services.settings
    if at.step is NewStep.NAME:
        cleaned = elections.check_office_name(call.text)
        if not cleaned.ok:
            return call.reply("elections.office_problem", max=elections.MAX_OFFICE_NAME)
        draft = replace(draft, name=cleaned.text)
        await _step(call, NewStep.SEATS, draft)
        buttons = [
            [Button(str(n), eb.PickSeats(n).pack()) for n in range(1, elections.MAX_SEATS + 1)]
        ]
        # Then the same name in each other content language (docs/LANGUAGES.md).
        return await asking.ask_other(
            call,
            field=f"office:{len(draft.offices)}",
            text=cleaned.text,
            most=elections.MAX_OFFICE_NAME,
            then=call.reply("elections.ask_seats", buttons=buttons, office=draft.name),
        )
    if at.step in (NewStep.NOMINATIONS, NewStep.VOTING):
        moment = elections.parse_when(call.text, settings)
        if moment is None:
            return call.reply("elections.when_format")
        return await _after_when(call, draft, at.step, moment, edit=False)
    return call.reply("elections.use_buttons")


async def pick_seats(call: Call, b: eb.PickSeats) -> Result:
    draft = _draft(call, NewStep.SEATS)
    seats = b.seats
    if draft is None or not 1 <= seats <= elections.MAX_SEATS:
        return _stale(call)
    await _step(call, NewStep.ELECTORATE, replace(draft, seats=seats))
    allowed = elections.electorates_for(call.me.role)
    buttons: list[list[Button]] = []
    if "wing" in allowed:
        buttons += [
            [Button(w.label(call.lang), eb.PickElectorate("wing", w.id).pack())]
            for w in call.services.settings.wings
        ]
    buttons += [
        [call.button(say.ELECTORATE[e], eb.PickElectorate(e))] for e in allowed if e != "wing"
    ]
    return call.reply("elections.ask_electorate", buttons=buttons, edit=True)


async def pick_electorate(call: Call, b: eb.PickElectorate) -> Result:
    draft = _draft(call, NewStep.ELECTORATE)
    kind, wing = b.electorate, b.wing
    if draft is None or kind not in elections.electorates_for(call.me.role):
        return _stale(call)
    if kind == "wing" and (wing is None or call.services.settings.wing(wing) is None):
        return _stale(call)
    office = OfficeDraft(draft.name, draft.seats, kind, wing if kind == "wing" else None)
    draft = replace(draft, offices=(*draft.offices, office), name="", seats=0)
    if len(draft.offices) >= elections.MAX_OFFICES:
        return await _ask_seconders(call, draft)
    await _step(call, NewStep.MORE, draft)
    buttons = [
        [call.button("elections.add_office", eb.AddOffice())],
        [call.button("elections.offices_done", eb.OfficesDone())],
    ]
    return call.reply(
        "elections.office_added", buttons=buttons, edit=True, offices=_offices_text(call, draft)
    )


def _offices_text(call: Call, draft: Draft) -> str:
    return "\n".join(
        call.t(
            "elections.office_summary",
            name=o.name,
            seats=plural(call, "elections.seats", o.seats),
            who=wing_label(call, o.wing) if o.wing else call.t(say.ELECTORATE[o.electorate]),
            method=call.t(say.METHOD[elections.method_for(o.seats)]),
        )
        for o in draft.offices
    )


async def add_office(call: Call, b: eb.AddOffice) -> Result:
    draft = _draft(call, NewStep.MORE)
    if draft is None:
        return _stale(call)
    await _step(call, NewStep.NAME, draft)
    return call.reply("elections.ask_office", edit=True, max=elections.MAX_OFFICE_NAME)


async def offices_done(call: Call, b: eb.OfficesDone) -> Result:
    draft = _draft(call, NewStep.MORE)
    if draft is None:
        return _stale(call)
    return await _ask_seconders(call, draft)


async def _ask_seconders(call: Call, draft: Draft) -> Result:
    await _step(call, NewStep.SECONDERS, draft)
    buttons = [
        [Button(str(n), eb.PickSeconders(n).pack()) for n in range(0, elections.MAX_SECONDERS + 1)]
    ]
    return call.reply("elections.ask_seconders", buttons=buttons, edit=True)


async def pick_seconders(call: Call, b: eb.PickSeconders) -> Result:
    draft = _draft(call, NewStep.SECONDERS)
    n = b.seconders
    if draft is None or n > elections.MAX_SECONDERS:
        return _stale(call)
    await _step(call, NewStep.NOMINATIONS, replace(draft, seconders=n))
    return _when_question(call, NewStep.NOMINATIONS, edit=True)


def _when_question(call: Call, step: NewStep, *, edit: bool) -> Reply:
    buttons = [
        [
            call.button(say.NOMINATIONS[k], eb.PickNominations(k))
            for k in elections.NOMINATION_CHOICES
        ]
        if step is NewStep.NOMINATIONS
        else [call.button(say.VOTING[k], eb.PickVoting(k)) for k in elections.VOTING_CHOICES]
    ]
    return call.reply(say.ASK_WHEN[step], buttons=buttons, edit=edit)


async def pick_nominations(call: Call, b: eb.PickNominations) -> Result:
    return await _pick_when(call, NewStep.NOMINATIONS, elections.NOMINATION_CHOICES[b.choice])


async def pick_voting(call: Call, b: eb.PickVoting) -> Result:
    return await _pick_when(call, NewStep.VOTING, elections.VOTING_CHOICES[b.choice])


async def _pick_when(call: Call, step: NewStep, delta: timedelta) -> Result:
    draft = _draft(call, step)
    if draft is None:
        return _stale(call)
    base = call.services.clock.now()
    if step is NewStep.VOTING and draft.nominations_close_at:
        base = draft.nominations_close_at
    return await _after_when(call, draft, step, base + delta, edit=True)


async def _after_when(
    call: Call, draft: Draft, step: NewStep, moment: datetime, *, edit: bool
) -> Result:
    now = call.services.clock.now()
    if step is NewStep.NOMINATIONS:
        if moment < now + elections.MIN_PERIOD:
            return call.reply("elections.when_too_soon")
        if moment > now + elections.MAX_NOMINATIONS:
            return call.reply("elections.when_too_far")
        await _step(call, NewStep.VOTING, replace(draft, nominations_close_at=moment))
        return _when_question(call, NewStep.VOTING, edit=edit)
    assert draft.nominations_close_at is not None
    opens = draft.nominations_close_at
    if moment < opens + elections.MIN_PERIOD:
        return call.reply("elections.when_too_soon")
    if moment > opens + elections.MAX_NOMINATIONS:
        return call.reply("elections.when_too_far")
    draft = replace(draft, voting_closes_at=moment)
    await _step(call, NewStep.PREVIEW, draft)
    buttons = [
        [call.button("elections.publish", eb.Publish())],
        [call.button("elections.discard", eb.Discard())],
    ]
    return call.reply(
        "elections.preview",
        buttons=buttons,
        edit=edit,
        offices=_offices_text(call, draft),
        electors=plural(
            call,
            "elections.people",
            await elections.electorate_size(call.tx, call.services.clock, draft),
        ),
        seconders=draft.seconders or 0,
        nominations=opens,
        closes=moment,
    )


async def publish(call: Call, b: eb.Publish) -> Result:
    draft = _draft(call, NewStep.PREVIEW)
    if draft is None:
        return _stale(call)
    services = call.services
    called = await elections.call_election(
        call.tx,
        services.clock,
        services.settings,
        actor=call.me,
        draft=draft,
    )
    await call.end_flow()
    if called.outcome is not Calling.CALLED:
        return call.reply(say.CALLING[called.outcome], edit=True)
    return call.reply(
        say.CALLING[Calling.CALLED],
        edit=True,
        people=plural(call, "elections.people", called.electors),
    )


async def discard(call: Call, b: eb.Discard) -> Result:
    if NEW_ELECTION.read(call.state) is None:
        return _stale(call)
    await call.end_flow()
    return call.reply("elections.discarded", edit=True)


# --- staff: the election desk -------------------------------------------------------------------


async def desk(call: Call, b: eb.Desk) -> Result:
    election = await elections.election(call.tx, b.election_id)
    if election is None:
        return _stale(call)
    staff = call.me.role in elections.PAPER_STAFF
    lines = [
        call.t(
            "elections.desk_title",
            number=election.id,
            status=call.t(_STATUS[election.status]),
            nominations=election.nominations_close_at,
            closes=election.voting_closes_at,
        )
    ]
    buttons: list[list[Button]] = []
    for office in await elections.offices(call.tx, election.id):
        online, paper = await elections.office_turnout(call.tx, office.id)
        candidates = await elections.candidates(call.tx, office.id)
        lines.append(
            call.t(
                "elections.desk_office",
                office=await name_of(call, office),
                seats=plural(call, "elections.seats", office.seats),
                candidates="\n".join(
                    call.t(_CANDIDATE[c.status], name=c.name, seconders=c.seconders)
                    for c in candidates
                )
                or call.t("elections.no_candidates_yet"),
                voted=online + paper,
                electors=office.electors,
                paper=paper,
            )
        )
        q = short(await name_of(call, office))
        if staff and election.status == "nominations":
            for c in candidates:
                if c.status == "standing":
                    buttons.append(
                        [
                            call.button(
                                "elections.ask_change_button",
                                eb.AskChange(c.id),
                                name=short(c.name),
                            )
                        ]
                    )
        if staff and election.status in ("voting", "closed"):
            buttons.append([call.button("elections.register_button", eb.Register(office.id), q=q)])
        if staff and election.status == "closed":
            buttons.append([call.button("elections.box_button", eb.BoxStart(office.id), q=q)])
        for box in await elections.boxes(call.tx, office_id=office.id):
            lines.append(
                call.t(
                    _BOX[box.status],
                    label=box.label,
                    keyed=box.keyed,
                    declared=plural(call, "elections.ballots", box.declared),
                )
            )
            if box.status == "unconfirmed" and box.keyed_by != call.me.id:
                buttons.append(
                    [
                        call.button(
                            "elections.box_confirm_button",
                            eb.BoxConfirm(box.id),
                            label=short(box.label),
                            n=box.declared,
                        )
                    ]
                )
            if box.status == "keying" and box.keyed_by == call.me.id:
                buttons.append(
                    [
                        call.button(
                            "elections.key_button",
                            eb.KeyShow(box.id, box.keyed),
                            label=short(box.label),
                        )
                    ]
                )
        if office.result is not None:
            buttons.append(
                [call.button("elections.results_button", eb.ElectionResults(office.id), q=q)]
            )
    if staff and election.status == "closed":
        buttons.append([call.button("elections.count_button", eb.CountAsk(election.id))])
    buttons.append([call.button("elections.back", eb.ElectionList())])
    return Reply("\n\n".join(lines), buttons, True)


async def _desk(call: Call, step: StaffStep, draft: StaffDraft) -> None:
    await DESK.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def ask_change_start(call: Call, b: eb.AskChange) -> Result:
    found = await elections.candidate(call.tx, b.candidate_id)
    if found is None or found.status != "standing":
        return _stale(call)
    await _desk(call, StaffStep.REASON, StaffDraft(candidate=found.id))
    return call.reply("elections.ask_reason", name=found.name, max=elections.MAX_REASON)


async def staff_typed(call: Call) -> Result:
    """Typed replies on the desk: a reason for a change, a person's reference for the paper
    register, a ballot box's name and count, a poll box's totals."""
    at = DESK.read(call.state)
    if at is None:
        await call.end_flow()
        return call.reply("common.use_menu")
    services = call.services
    step, data = at.step, at.draft
    if step is StaffStep.REASON:
        outcome = await elections.ask_change(
            call.tx,
            services.clock,
            services.settings,
            actor=call.me,
            candidate_id=data.candidate,
            reason=call.text,
        )
        if outcome is ChangeAsk.INVALID:
            return call.reply(say.CHANGE_ASK[outcome], max=elections.MAX_REASON)
        await call.end_flow()
        return call.reply(say.CHANGE_ASK[outcome])
    if step in (StaffStep.REGISTER, StaffStep.POLL_REGISTER):
        person_id = access.parse_person_ref(call.text)
        if person_id is None:
            return call.reply("elections.ref_format")
        label = await elections.person_label(call.tx, person_id)
        if label is None:
            return call.reply("elections.ref_unknown")
        yes: ButtonData = (
            eb.RegisterConfirm(data.office, person_id)
            if step is StaffStep.REGISTER
            else eb.PollRegisterConfirm(data.poll, person_id)
        )
        buttons = [
            [call.button("elections.register_yes", yes)],
            [call.button("elections.register_no", eb.ElectionList())],
        ]
        await call.end_flow()
        return call.reply(
            "elections.register_confirm",
            buttons=buttons,
            ref=access.person_ref(person_id),
            name=label or "-",
        )
    if step in (StaffStep.BOX_LABEL, StaffStep.POLL_BOX_LABEL):
        cleaned = elections.check_box_label(call.text)
        if not cleaned.ok:
            return call.reply("elections.box_label_problem")
        count_step = (
            StaffStep.BOX_COUNT if step is StaffStep.BOX_LABEL else StaffStep.POLL_BOX_COUNT
        )
        await _desk(call, count_step, replace(data, label=cleaned.text))
        return call.reply("elections.ask_box_count", label=cleaned.text)
    if step in (StaffStep.BOX_COUNT, StaffStep.POLL_BOX_COUNT):
        text = call.text.strip()
        if not text.isdigit() or not 1 <= int(text) <= 100000:
            return call.reply("elections.count_format")
        if step is StaffStep.POLL_BOX_COUNT:
            if int(text) > await paper_polls.room(call.tx, data.poll):
                return call.reply("elections.box_too_many")
            await _desk(call, StaffStep.POLL_BOX_TOTALS, replace(data, declared=int(text)))
            labels = await polls_labels(call, data.poll)
            return call.reply("elections.ask_totals", options=polls.numbered(labels))
        opening = await elections.open_box(
            call.tx,
            services.clock,
            actor=call.me,
            office_id=data.office,
            label=data.label,
            declared=int(text),
        )
        if opening is BoxOpening.TOO_MANY:
            return call.reply(say.BOX_OPENING[opening])
        await call.end_flow()
        return call.reply(say.BOX_OPENING[opening])
    if step is StaffStep.POLL_BOX_TOTALS:
        parts = call.text.replace(",", " ").split()
        if not parts or not all(p.isdigit() for p in parts):
            return call.reply("elections.totals_format")
        added = await paper_polls.add_box(
            call.tx,
            services.clock,
            actor=call.me,
            poll_id=data.poll,
            label=data.label,
            declared=data.declared,
            totals=[int(p) for p in parts],
        )
        if added in (PaperBox.SHAPE, PaperBox.OVER):
            return call.reply(say.PAPER_BOX[added])  # type the totals again
        await call.end_flow()
        return call.reply(say.PAPER_BOX[added])
    return call.reply("elections.use_buttons")


async def polls_labels(call: Call, poll_id: int) -> list[str]:
    return await polls.labels(call.tx, poll_id)


async def register_start(call: Call, b: eb.Register) -> Result:
    found = await elections.place(call.tx, b.office_id)
    if found is None or found.election.status not in ("voting", "closed"):
        return _stale(call)
    await _desk(call, StaffStep.REGISTER, StaffDraft(office=found.office.id))
    return call.reply("elections.ask_ref", office=await name_of(call, found.office))


async def register_confirm(call: Call, b: eb.RegisterConfirm) -> Result:
    office_id, person_id = b.office_id, b.person_id
    outcome = await elections.mark_paper(
        call.tx, call.services.clock, actor=call.me, office_id=office_id, person_id=person_id
    )
    return call.reply(say.PAPER_MARK[outcome], edit=True, ref=access.person_ref(person_id))


async def box_start(call: Call, b: eb.BoxStart) -> Result:
    found = await elections.place(call.tx, b.office_id)
    if found is None or found.election.status != "closed":
        return _stale(call)
    await _desk(call, StaffStep.BOX_LABEL, StaffDraft(office=found.office.id))
    return call.reply("elections.ask_box_label")


async def box_confirm(call: Call, b: eb.BoxConfirm) -> Result:
    outcome = await elections.confirm_box(
        call.tx, call.services.clock, actor=call.me, box_id=b.box_id
    )
    return call.reply(say.BOX_CHECK[outcome], edit=True)


async def _keying(
    call: Call, b: eb.KeyShow | eb.KeyReview
) -> tuple[elections.Keying, int] | Result:
    box_id, expected, ranking = b.box_id, b.expected, decode(b.ranking)
    if ranking is None:
        return _stale(call)
    services = call.services
    found = await elections.keying(
        call.tx, services.clock, services.settings, actor=call.me, box_id=box_id, ranking=ranking
    )
    if isinstance(found, Keyed):
        call.toast = call.t(say.KEYED[found])
        call.toast_alert = True
        return None
    if found.box.keyed != expected:
        return _keying_next(call, found.box.id, found.box.keyed, found.box.declared)
    return found, expected


def _keying_next(call: Call, box_id: int, keyed: int, declared: int) -> Reply:
    buttons = [[call.button("elections.key_next", eb.KeyShow(box_id, keyed))]]
    return call.reply(
        "elections.keyed_so_far", buttons=buttons, edit=True, keyed=keyed, declared=declared
    )


async def key_show(call: Call, b: eb.KeyShow) -> Result:
    got = await _keying(call, b)
    if not isinstance(got, tuple):
        return got
    found, expected = got
    view = found.view
    box_id = found.box.id
    buttons = _ranking_buttons(
        call,
        view,
        lambda code: eb.KeyShow(box_id, expected, code),
        lambda code: eb.KeyReview(box_id, expected, code),
    )
    return call.reply(
        "elections.key_ballot",
        buttons=buttons,
        edit=True,
        label=found.box.label,
        number=expected + 1,
        declared=found.box.declared,
        office=await name_of(call, view.place.office),
        ranked=_ranking_lines(call, view),
        next=ordinal(call, len(view.ranking) + 1),
    )


async def key_review(call: Call, b: eb.KeyReview) -> Result:
    got = await _keying(call, b)
    if not isinstance(got, tuple):
        return got
    found, expected = got
    if not found.view.ranking:
        call.toast = call.t("elections.rank_one")
        return None
    code = encode(found.view.ranking)
    buttons = [
        [call.button("elections.key_confirm", eb.KeyConfirm(found.box.id, expected, code))],
        [call.button("elections.change", eb.KeyShow(found.box.id, expected, code))],
    ]
    return call.reply(
        "elections.key_review", buttons=buttons, edit=True, ranked=_ranking_lines(call, found.view)
    )


async def key_confirm(call: Call, b: eb.KeyConfirm) -> Result:
    box_id, expected, ranking = b.box_id, b.expected, decode(b.ranking)
    if ranking is None:
        return _stale(call)
    services = call.services
    outcome = await elections.key_ballot(
        call.tx,
        services.clock,
        services.settings,
        actor=call.me,
        box_id=box_id,
        expected=expected,
        ranking=ranking,
    )
    if outcome is Keyed.STALE:
        call.toast = call.t(say.KEYED[outcome])
        return None
    if outcome is not Keyed.KEYED:
        call.toast = call.t(say.KEYED[outcome])
        call.toast_alert = True
        return None
    box = await elections.box(call.tx, box_id)
    assert box is not None  # it was just keyed into
    if box.status == "done":
        keyed = plural(call, "elections.ballots", box.keyed)
        return call.reply("elections.box_finished", edit=True, label=box.label, keyed=keyed)
    return _keying_next(call, box.id, box.keyed, box.declared)


async def count_ask(call: Call, b: eb.CountAsk) -> Result:
    election_id = b.election_id
    offices = await elections.offices(call.tx, election_id)
    missing = 0
    for office in offices:
        _, paper = await elections.office_turnout(call.tx, office.id)
        keyed = sum(b.keyed for b in await elections.boxes(call.tx, office_id=office.id))
        missing += max(0, paper - keyed)
    buttons = [
        [call.button("elections.count_yes", eb.CountConfirm(election_id))],
        [call.button("elections.back", eb.Desk(election_id))],
    ]
    return call.reply(
        "elections.count_confirm",
        buttons=buttons,
        edit=True,
        missing=plural(call, "elections.ballots", missing),
    )


async def count_confirm(call: Call, b: eb.CountConfirm) -> Result:
    services = call.services
    outcome = await elections.count_election(
        call.tx, services.clock, services.settings, b.election_id, actor=call.me
    )
    return call.reply(say.COUNTING[outcome], edit=True)


# --- /paper: paper votes for ordinary polls ----------------------------------------------------


async def paper_command(call: Call) -> Result:
    return await _paper(call, edit=False)


async def _paper(call: Call, *, edit: bool) -> Result:
    staff = call.me.role in elections.PAPER_STAFF
    lines = [call.t("elections.paper_title")]
    buttons: list[list[Button]] = []
    for poll in await polls.open_polls(call.tx, limit=8):
        paper = await paper_polls.paper_voters(call.tx, poll.id)
        lines.append(call.t("elections.paper_poll_line", question=poll.question, paper=paper))
        q = short(poll.question)
        if staff:
            buttons.append(
                [call.button("elections.register_button", eb.PollRegister(poll.id), q=q)]
            )
            buttons.append([call.button("elections.box_button", eb.PollBox(poll.id), q=q)])
        for box in await elections.boxes(call.tx, poll_id=poll.id):
            lines.append(
                call.t(
                    _POLL_BOX[box.status],
                    label=box.label,
                    n=plural(call, "elections.ballots", box.declared),
                )
            )
            if box.status == "unconfirmed" and box.keyed_by != call.me.id:
                buttons.append(
                    [
                        call.button(
                            "elections.box_confirm_button",
                            eb.BoxConfirm(box.id),
                            label=short(box.label),
                            n=box.declared,
                        )
                    ]
                )
    if len(lines) == 1:
        lines.append(call.t("elections.paper_none"))
    return Reply("\n\n".join(lines), buttons, edit)


async def poll_register_start(call: Call, b: eb.PollRegister) -> Result:
    poll = await polls.get(call.tx, b.poll_id)
    if poll is None or not poll.is_open:
        return _stale(call)
    await _desk(call, StaffStep.POLL_REGISTER, StaffDraft(poll=poll.id))
    return call.reply("elections.ask_ref", office=poll.question)


async def poll_register_confirm(call: Call, b: eb.PollRegisterConfirm) -> Result:
    poll_id, person_id = b.poll_id, b.person_id
    outcome = await paper_polls.mark(
        call.tx, call.services.clock, actor=call.me, poll_id=poll_id, person_id=person_id
    )
    return call.reply(say.PAPER_MARK[outcome], edit=True, ref=access.person_ref(person_id))


async def poll_box_start(call: Call, b: eb.PollBox) -> Result:
    poll = await polls.get(call.tx, b.poll_id)
    if poll is None or not poll.is_open:
        return _stale(call)
    await _desk(call, StaffStep.POLL_BOX_LABEL, StaffDraft(poll=poll.id))
    return call.reply("elections.ask_box_label")


# --- /myrecord: offices held (its own section; issue 18 extends /myrecord too) ------------------


async def record_lines(call: Call) -> list[str]:
    terms = await elections.offices_held(call.tx, call.me)
    if not terms:
        return []
    zone = call.services.settings.establishment.timezone
    lines = ["", call.t("elections.record_title")]
    for term in terms:
        start = {"$day": term.starts_at.astimezone(zone).date().isoformat()}
        end = {"$day": (term.ended_at or term.ends_at).astimezone(zone).date().isoformat()}
        current = term.ended_at is None and term.ends_at > call.services.clock.now()
        lines.append(
            call.t(
                "elections.record_current" if current else "elections.record_past",
                office=term.office_name,
                start=start,
                end=end,
            )
        )
    return lines
