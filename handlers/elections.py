"""Elections: /elections, calling an election, standing, the ranked ballot, paper ballots, the
count's results; and paper votes for ordinary polls (/paper).

A ranking in progress travels only in the voter's own buttons (candidate positions in the
callback data) and in the message they see; it is never stored next to them. Nothing here logs a
callback. The rules are in bot/council/elections.py and bot/council/paper_polls.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale

from bot.council import access, content, elections, paper_polls, polls
from bot.council.elections import BallotView, Draft, OfficeDraft
from bot.council.notices import ButtonSpec
from handlers import content as asking
from handlers.base import Button, Call, Reply, Result, excerpt, wing_label
from handlers.base import stale as _stale
from handlers.callbacks import pack
from storage import elections as store
from storage.clock import from_db, to_db

FLOW_NEW = "election_new"
FLOW_STAND = "election_stand"
FLOW_STAFF = "election_staff"
PAGE = 3  # statements per page
SHORT = 28
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


# --- plural and ordinal forms (CLDR, through Babel) -------------------------------------------


def plural(call: Call, message_id: str, n: int, **params: Any) -> str:
    """A count phrase in the reader's language: the catalogue's plural table picks the CLDR
    form for {count} (Welsh has six; docs/LANGUAGES.md)."""
    return call.t(message_id, count=n, **params)


def ordinal(call: Call, n: int) -> str:
    """1st, 2nd, 3rd... / 1af, 2il, 3ydd...: by the CLDR ordinal category, through Babel."""
    form = Locale.parse(call.lang).ordinal_form(n)
    return call.t(f"elections.ordinal_{form}", n=n)


async def name_of(call: Call, office: elections.OfficeRow) -> str:
    """The office's name in the reader's content language (staff typed it in each)."""
    return await elections.office_label(call.tx, call.services.settings, office, call.lang)


def short(text: str) -> str:
    return excerpt(text, SHORT)


# --- a ranking in the callback data -----------------------------------------------------------


def encode(ranking: list[int]) -> str:
    return "r" + "".join(_DIGITS[i] for i in ranking)


def decode(raw: str | None) -> list[int] | None:
    """None for anything forged (unknown characters). Repeats are caught by the council."""
    if not raw or not raw.startswith("r") or any(ch not in _DIGITS for ch in raw[1:]):
        return None
    return [_DIGITS.index(ch) for ch in raw[1:]]


def _int(call: Call, index: int) -> int | None:
    return call.callback.int_arg(index) if call.callback else None


def _arg(call: Call, index: int) -> str | None:
    return call.callback.arg(index) if call.callback else None


def office_buttons(office_id: int) -> list[list[ButtonSpec]]:
    """The buttons of a queued election notice: the same for every elector."""
    if office_id == 0:
        return [[{"m": "elections.open_button", "d": pack("ell")}]]
    return [
        [{"m": "elections.vote_button_plain", "d": pack("elv", office_id, "r")}],
        [{"m": "elections.statements_button", "d": pack("els", office_id, 0)}],
    ]


# --- /elections ------------------------------------------------------------------------------


async def overview_command(call: Call) -> Result:
    return await _overview(call, edit=False)


async def overview_button(call: Call) -> Result:
    return await _overview(call, edit=True)


async def _overview(call: Call, *, edit: bool) -> Result:
    services = call.services
    me = call.me
    blocks: list[str] = []
    buttons: list[list[Button]] = []
    if me.role in elections.VOTERS:
        for office, election, state in (await elections.offices_for(call.tx, me))[:8]:
            if election.status == "voting" and not elections.voting_open(election, services.clock):
                await elections.close(call.tx, services.clock, services.settings, election.id)
                # Its timer has not run yet (or was missed while down): closed now, above.
                election = await store.get(call.tx, election.id) or election
            line, more = await _office_line(call, office, election, state)
            blocks.append(line)
            buttons += more
    if me.role in elections.BOX_CONFIRMERS:
        for election in await store.listing(call.tx, limit=6):
            offices = await store.offices(call.tx, election.id)
            names = ", ".join(o.name for o in offices)
            blocks.append(
                call.t(
                    "elections.staff_line",
                    number=election.id,
                    offices=names,
                    status=call.t(f"elections.status.{election.status}"),
                )
            )
            buttons.append(
                [call.button("elections.desk_button", pack("eld", election.id), number=election.id)]
            )
    if elections.may_call(me.role):
        buttons.append([call.button("elections.new_button", pack("eln"))])
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
        mine = await store.candidate_of(call.tx, office.id, me.id)
        standing = mine is not None and mine.status == "standing"
        status = call.t(
            "elections.you_stand" if standing else "elections.nominations_until",
            closes=from_db(election.nominations_close_at),
        )
        if standing:
            buttons.append([call.button("elections.change_button", pack("esc", office.id), q=q)])
            buttons.append([call.button("elections.withdraw_button", pack("esw", office.id), q=q)])
        elif not await elections.stand_problem(call.tx, clock, me, office.id):
            buttons.append([call.button("elections.stand_button", pack("esd", office.id), q=q)])
        buttons.append(
            [call.button("elections.statements_button_q", pack("els", office.id, 0), q=q)]
        )
    elif election.status == "voting":
        status = call.t(
            "elections.you_voted" if state else "elections.not_voted",
            closes=from_db(election.voting_closes_at),
        )
        if not state:
            buttons.append([call.button("elections.vote_button", pack("elv", office.id, "r"), q=q)])
        buttons.append(
            [call.button("elections.statements_button_q", pack("els", office.id, 0), q=q)]
        )
    elif election.status == "closed":
        status = call.t("elections.counting")
    else:
        status = call.t("elections.counted")
        buttons.append([call.button("elections.results_button", pack("elr", office.id), q=q)])
    return call.t("elections.office_line", office=name, state=status), buttons


# --- reading the statements (paged) -----------------------------------------------------------


async def statements(call: Call) -> Result:
    office_id, page = _int(call, 0), _int(call, 1)
    if office_id is None or page is None:
        return _stale(call)
    found = await elections.statements(call.tx, call.me, office_id)
    if found is None:
        return _refuse(call, elections.NOT_OPEN)
    everyone = await store.candidates(call.tx, office_id, standing_only=True)
    if not everyone:
        return call.reply(
            "elections.no_candidates",
            edit=True,
            office=await name_of(call, found.office),
            buttons=[[call.button("elections.back", pack("ell"))]],
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
    seconding = (
        found.election.seconders > 0
        and elections.nominations_open(found.election, call.services.clock)
        and call.me.role in elections.VOTERS
    )
    for candidate in shown:
        lines.append(
            call.t("elections.statement", name=candidate.name, statement=candidate.statement)
        )
        if seconding and candidate.person_id != call.me.id:
            buttons.append(
                [
                    call.button(
                        "elections.second_button",
                        pack("ess", candidate.id),
                        name=short(candidate.name),
                    )
                ]
            )
    nav: list[Button] = []
    if page > 0:
        nav.append(call.button("elections.prev", pack("els", office_id, page - 1)))
    if page + 1 < pages:
        nav.append(call.button("elections.next", pack("els", office_id, page + 1)))
    if nav:
        buttons.append(nav)
    if found.election.status == "voting" and call.me.role in elections.VOTERS:
        buttons.append([call.button("elections.to_ballot", pack("elv", office_id, "r"))])
    buttons.append([call.button("elections.back", pack("ell"))])
    return Reply("\n\n".join(lines), buttons, True)


async def second(call: Call) -> Result:
    candidate_id = _int(call, 0)
    if candidate_id is None:
        return _stale(call)
    outcome = await elections.second(call.tx, call.services.clock, call.me, candidate_id)
    key = {
        "seconded": "elections.seconded",
        "already": "elections.already_seconded",
        "not_open": "elections.nominations_closed",
    }.get(outcome, "elections.not_open")
    call.toast = call.t(key)
    return None


# --- the ballot --------------------------------------------------------------------------------


def _refuse(call: Call, why: str) -> Result:
    if why == elections.CLOSED:
        return call.reply("elections.closed", edit=True)
    if why == elections.ALREADY:
        return call.reply("elections.already", edit=True)
    if why == elections.EMPTY:
        call.toast = call.t("elections.rank_one")
        return None
    call.toast = call.t("elections.not_open")
    call.toast_alert = True
    return None


def _ranking_lines(call: Call, view: BallotView) -> str:
    if not view.ranking:
        return call.t("elections.nothing_ranked")
    return "\n".join(
        call.t("elections.ranked_line", place=ordinal(call, n), name=c.name)
        for n, c in enumerate(view.ranked, start=1)
    )


def _ranking_buttons(
    call: Call, view: BallotView, show: str, review: str, *prefix: str | int
) -> list[list[Button]]:
    place = ordinal(call, len(view.ranking) + 1)
    buttons = [
        [
            Button(
                call.t("elections.rank_as", place=place, name=short(c.name)),
                pack(show, *prefix, encode([*view.ranking, i])),
            )
        ]
        for i, c in view.remaining
    ]
    tail: list[Button] = []
    if view.ranking:
        tail.append(call.button("elections.thats_all", pack(review, *prefix, encode(view.ranking))))
        tail.append(call.button("elections.start_again", pack(show, *prefix, "r")))
    if tail:
        buttons.append(tail)
    return buttons


async def _view(call: Call, office_id: int | None, raw: str | None) -> BallotView | str:
    ranking = decode(raw)
    if office_id is None or ranking is None:
        return elections.NOT_OPEN
    services = call.services
    return await elections.ballot(
        call.tx, services.clock, services.settings, call.me, office_id, ranking
    )


async def show_ballot(call: Call) -> Result:
    office_id = _int(call, 0)
    view = await _view(call, office_id, _arg(call, 1))
    if isinstance(view, str):
        return _refuse(call, view)
    buttons = _ranking_buttons(call, view, "elv", "elw", view.place.office.id)
    buttons.append(
        [call.button("elections.statements_button", pack("els", view.place.office.id, 0))]
    )
    return call.reply(
        "elections.ballot",
        buttons=buttons,
        edit=True,
        office=await name_of(call, view.place.office),
        seats=plural(call, "elections.seats", view.place.office.seats),
        ranked=_ranking_lines(call, view),
        next=ordinal(call, len(view.ranking) + 1),
        closes=from_db(view.place.election.voting_closes_at),
    )


async def review(call: Call) -> Result:
    view = await _view(call, _int(call, 0), _arg(call, 1))
    if isinstance(view, str):
        return _refuse(call, view)
    if not view.ranking:
        return _refuse(call, elections.EMPTY)
    office_id = view.place.office.id
    buttons = [
        [call.button("elections.confirm", pack("elc", office_id, encode(view.ranking)))],
        [call.button("elections.change", pack("elv", office_id, encode(view.ranking)))],
        [call.button("elections.start_again", pack("elv", office_id, "r"))],
    ]
    return call.reply(
        "elections.review",
        buttons=buttons,
        edit=True,
        office=await name_of(call, view.place.office),
        ranked=_ranking_lines(call, view),
    )


async def cast(call: Call) -> Result:
    office_id, ranking = _int(call, 0), decode(_arg(call, 1))
    if office_id is None or ranking is None:
        return _refuse(call, elections.NOT_OPEN)
    services = call.services
    outcome = await elections.cast(
        call.tx, services.clock, services.settings, call.me, office_id, ranking
    )
    if outcome == elections.RECORDED:
        # Replaces the review: the chat keeps the ranking no longer than needed.
        return call.reply("elections.recorded", edit=True)
    if outcome == elections.ALREADY and call.callback is not None:
        call.toast = call.t("elections.already")
        return None
    return _refuse(call, outcome)


# --- results ---------------------------------------------------------------------------------


async def results(call: Call) -> Result:
    office_id = _int(call, 0)
    found = None if office_id is None else await elections.place(call.tx, office_id)
    if found is None or await elections.statements(call.tx, call.me, found.office.id) is None:
        return _refuse(call, elections.NOT_OPEN)
    if found.office.result is None:
        call.toast = call.t("elections.not_yet")
        return None
    params = await elections.result_params(call.tx, call.services.settings, found.office)
    buttons = [[call.button("elections.back", pack("ell"))]]
    if call.me.role in elections.BOX_CONFIRMERS and not elections.withheld(
        call.services.settings, found.office
    ):
        buttons.insert(0, [call.button("elections.chart_button", pack("elg", found.office.id))])
    return call.reply("elections.result_notice", buttons=buttons, edit=True, **params)


async def chart(call: Call) -> Result:
    """Each stage's votes as a chart (for the report), drawn after the transaction commits."""
    office_id = _int(call, 0)
    found = None if office_id is None else await elections.place(call.tx, office_id)
    if (
        found is None
        or found.office.result is None
        or elections.withheld(call.services.settings, found.office)
    ):
        return _stale(call)
    result = found.office.result
    title = call.t("elections.chart_title", office=await name_of(call, found.office))
    stage_label = call.t("elections.chart_stage")

    async def draw() -> list[Reply]:
        from bot.council.election_chart import rounds_png

        png = rounds_png(result, title=title, stage_label=stage_label)
        return [Reply(title, photo=png)]

    return Reply("", later=draw)


# --- standing --------------------------------------------------------------------------------


async def stand_start(call: Call) -> Result:
    office_id = _int(call, 0)
    if office_id is None:
        return _stale(call)
    problem = await elections.stand_problem(call.tx, call.services.clock, call.me, office_id)
    if problem:
        call.toast = call.t(f"elections.stand_{problem}")
        call.toast_alert = True
        return None
    await call.begin(FLOW_STAND, "statement", {"office": office_id})
    found = await elections.place(call.tx, office_id)
    assert found is not None
    return call.reply(
        "elections.ask_statement",
        office=await name_of(call, found.office),
        max=elections.MAX_STATEMENT,
    )


async def change_start(call: Call) -> Result:
    office_id = _int(call, 0)
    if office_id is None:
        return _stale(call)
    mine = await store.candidate_of(call.tx, office_id, call.me.id)
    found = await elections.place(call.tx, office_id)
    if mine is None or mine.status != "standing" or found is None:
        return _stale(call)
    if not elections.nominations_open(found.election, call.services.clock):
        return call.reply("elections.nominations_closed")
    await call.begin(FLOW_STAND, "change", {"office": office_id})
    lines = [call.t("elections.current_statement", statement=mine.statement)]
    if mine.change_reason:
        lines.append(call.t("elections.change_reason", reason=mine.change_reason))
    lines.append(call.t("elections.ask_new_statement", max=elections.MAX_STATEMENT))
    return Reply("\n\n".join(lines))


async def stand_typed(call: Call) -> Result:
    state = call.state
    assert state is not None
    office_id = state.data.get("office")
    if not isinstance(office_id, int):
        await call.end_flow()
        return call.reply("common.use_menu")
    if state.step not in ("statement", "change"):
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
    if state.step == "change":
        outcome = await elections.change_statement(
            call.tx, call.services.clock, call.me, office_id, cleaned.text
        )
        await call.end_flow()
        return call.reply(f"elections.change_{outcome}")
    await call.begin(FLOW_STAND, "confirm", {"office": office_id, "statement": cleaned.text})
    found = await elections.place(call.tx, office_id)
    assert found is not None
    buttons = [
        [call.button("elections.stand_yes", pack("esy"))],
        [call.button("elections.stand_no", pack("esq"))],
    ]
    return call.reply(
        "elections.stand_preview",
        buttons=buttons,
        office=await name_of(call, found.office),
        statement=cleaned.text,
    )


async def stand_confirm(call: Call) -> Result:
    state = call.state
    if state is None or state.flow != FLOW_STAND or state.step != "confirm":
        return _stale(call)
    office_id, statement = state.data.get("office"), state.data.get("statement")
    await call.end_flow()
    if not isinstance(office_id, int) or not isinstance(statement, str):
        return _stale(call)
    services = call.services
    outcome = await elections.nominate(
        call.tx, services.clock, services.settings, call.me, office_id, statement
    )
    if outcome == "stood":
        return call.reply("elections.stood", edit=True)
    return call.reply(f"elections.stand_{outcome}", edit=True)


async def stand_cancel(call: Call) -> Result:
    if call.state is None or call.state.flow != FLOW_STAND:
        return _stale(call)
    await call.end_flow()
    return call.reply("elections.stand_cancelled", edit=True)


async def withdraw_ask(call: Call) -> Result:
    office_id = _int(call, 0)
    found = None if office_id is None else await elections.place(call.tx, office_id)
    if found is None:
        return _stale(call)
    buttons = [
        [call.button("elections.withdraw_yes", pack("esx", found.office.id))],
        [call.button("elections.back", pack("ell"))],
    ]
    return call.reply(
        "elections.withdraw_confirm",
        buttons=buttons,
        edit=True,
        office=await name_of(call, found.office),
    )


async def withdraw(call: Call) -> Result:
    office_id = _int(call, 0)
    if office_id is None:
        return _stale(call)
    outcome = await elections.withdraw(call.tx, call.services.clock, call.me, office_id)
    return call.reply(f"elections.withdraw_{outcome}", edit=True)


# --- calling an election -------------------------------------------------------------------------


def _draft(call: Call, step: str) -> Draft | None:
    state = call.state
    if state is None or state.flow != FLOW_NEW or state.step != step:
        return None
    return Draft.from_data(state.data)


async def _step(call: Call, step: str, draft: Draft) -> None:
    await call.begin(FLOW_NEW, step, draft.to_data())


async def new_election(call: Call) -> Result:
    if not elections.may_call(call.me.role):
        return call.reply("common.not_for_role")
    await content.start(call.tx, call.me.id)
    await _step(call, "name", Draft())
    return call.reply("elections.ask_office", max=elections.MAX_OFFICE_NAME)


def by_election_buttons(office_id: int) -> list[list[ButtonSpec]]:
    return [[{"m": "elections.by_election_button", "d": pack("elb", office_id)}]]


elections.BY_ELECTION_BUTTONS[:] = [by_election_buttons]


async def by_election(call: Call) -> Result:
    """From the "seat empty" notice: a new election for one seat, same office and electorate."""
    office_id = _int(call, 0)
    draft = (
        None
        if office_id is None
        else await elections.by_election_draft(call.tx, call.me, office_id)
    )
    if draft is None:
        return _stale(call)
    return await _ask_seconders(call, draft)


async def new_typed(call: Call) -> Result:
    state = call.state
    assert state is not None
    draft = Draft.from_data(state.data)
    settings = call.services.settings
    if state.step == "name":
        cleaned = elections.check_office_name(call.text)
        if not cleaned.ok:
            return call.reply("elections.office_problem", max=elections.MAX_OFFICE_NAME)
        draft.name = cleaned.text
        await _step(call, "seats", draft)
        buttons = [[Button(str(n), pack("ens", n)) for n in range(1, elections.MAX_SEATS + 1)]]
        # Then the same name in each other content language (docs/LANGUAGES.md).
        return await asking.ask_other(
            call,
            field=f"office:{len(draft.offices)}",
            text=cleaned.text,
            most=elections.MAX_OFFICE_NAME,
            then=call.reply("elections.ask_seats", buttons=buttons, office=draft.name),
        )
    if state.step in ("nominations", "voting"):
        moment = elections.parse_when(call.text, settings)
        if moment is None:
            return call.reply("elections.when_format")
        return await _after_when(call, draft, state.step, moment, edit=False)
    return call.reply("elections.use_buttons")


async def pick_seats(call: Call) -> Result:
    draft = _draft(call, "seats")
    seats = _int(call, 0)
    if draft is None or seats is None or not 1 <= seats <= elections.MAX_SEATS:
        return _stale(call)
    draft.seats = seats
    await _step(call, "electorate", draft)
    allowed = elections.electorates_for(call.me.role)
    buttons: list[list[Button]] = []
    if "wing" in allowed:
        buttons += [
            [Button(w.label(call.lang), pack("ene", "wing", w.id))]
            for w in call.services.settings.wings
        ]
    buttons += [
        [call.button(f"elections.electorate_{e}", pack("ene", e))] for e in allowed if e != "wing"
    ]
    return call.reply("elections.ask_electorate", buttons=buttons, edit=True)


async def pick_electorate(call: Call) -> Result:
    draft = _draft(call, "electorate")
    kind, wing = _arg(call, 0), _arg(call, 1)
    if draft is None or kind not in elections.electorates_for(call.me.role):
        return _stale(call)
    if kind == "wing" and (wing is None or call.services.settings.wing(wing) is None):
        return _stale(call)
    draft.offices.append(
        OfficeDraft(draft.name, draft.seats, kind, wing if kind == "wing" else None)
    )
    draft.name, draft.seats = "", 0
    if len(draft.offices) >= elections.MAX_OFFICES:
        return await _ask_seconders(call, draft)
    await _step(call, "more", draft)
    buttons = [
        [call.button("elections.add_office", pack("enm"))],
        [call.button("elections.offices_done", pack("enx"))],
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
            who=wing_label(call, o.wing)
            if o.wing
            else call.t(f"elections.electorate_{o.electorate}"),
            method=call.t(f"elections.method_{elections.method_for(o.seats)}"),
        )
        for o in draft.offices
    )


async def add_office(call: Call) -> Result:
    draft = _draft(call, "more")
    if draft is None:
        return _stale(call)
    await _step(call, "name", draft)
    return call.reply("elections.ask_office", edit=True, max=elections.MAX_OFFICE_NAME)


async def offices_done(call: Call) -> Result:
    draft = _draft(call, "more")
    if draft is None:
        return _stale(call)
    return await _ask_seconders(call, draft)


async def _ask_seconders(call: Call, draft: Draft) -> Result:
    await _step(call, "seconders", draft)
    buttons = [[Button(str(n), pack("enc", n)) for n in range(0, elections.MAX_SECONDERS + 1)]]
    return call.reply("elections.ask_seconders", buttons=buttons, edit=True)


async def pick_seconders(call: Call) -> Result:
    draft = _draft(call, "seconders")
    n = _int(call, 0)
    if draft is None or n is None or n > elections.MAX_SECONDERS:
        return _stale(call)
    draft.seconders = n
    await _step(call, "nominations", draft)
    return _when_question(call, "nominations", edit=True)


def _when_question(call: Call, step: str, *, edit: bool) -> Reply:
    choices = elections.NOMINATION_CHOICES if step == "nominations" else elections.VOTING_CHOICES
    kind = "enp" if step == "nominations" else "env"
    buttons = [[call.button(f"elections.quick_{k}", pack(kind, k)) for k in choices]]
    return call.reply(f"elections.ask_{step}", buttons=buttons, edit=edit)


async def pick_nominations(call: Call) -> Result:
    return await _pick_when(call, "nominations", elections.NOMINATION_CHOICES)


async def pick_voting(call: Call) -> Result:
    return await _pick_when(call, "voting", elections.VOTING_CHOICES)


async def _pick_when(call: Call, step: str, choices: dict[str, Any]) -> Result:
    draft = _draft(call, step)
    delta = choices.get(_arg(call, 0) or "")
    if draft is None or delta is None:
        return _stale(call)
    base = call.services.clock.now()
    if step == "voting" and draft.nominations_close_at:
        base = from_db(draft.nominations_close_at)
    return await _after_when(call, draft, step, base + delta, edit=True)


async def _after_when(
    call: Call, draft: Draft, step: str, moment: datetime, *, edit: bool
) -> Result:
    now = call.services.clock.now()
    if step == "nominations":
        if moment < now + elections.MIN_PERIOD:
            return call.reply("elections.when_too_soon")
        if moment > now + elections.MAX_NOMINATIONS:
            return call.reply("elections.when_too_far")
        draft.nominations_close_at = to_db(moment)
        await _step(call, "voting", draft)
        return _when_question(call, "voting", edit=edit)
    assert draft.nominations_close_at is not None
    opens = from_db(draft.nominations_close_at)
    if moment < opens + elections.MIN_PERIOD:
        return call.reply("elections.when_too_soon")
    if moment > opens + elections.MAX_NOMINATIONS:
        return call.reply("elections.when_too_far")
    draft.voting_closes_at = to_db(moment)
    await _step(call, "preview", draft)
    buttons = [
        [call.button("elections.publish", pack("eny"))],
        [call.button("elections.discard", pack("enq"))],
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


async def publish(call: Call) -> Result:
    draft = _draft(call, "preview")
    if draft is None:
        return _stale(call)
    services = call.services
    called = await elections.call_election(
        call.tx,
        services.clock,
        services.settings,
        actor=call.me,
        draft=draft,
        buttons=office_buttons,
    )
    await call.end_flow()
    if called.problem:
        return call.reply(f"elections.call_{called.problem}", edit=True)
    return call.reply(
        "elections.called",
        edit=True,
        people=plural(call, "elections.people", called.electors),
    )


async def discard(call: Call) -> Result:
    if call.state is None or call.state.flow != FLOW_NEW:
        return _stale(call)
    await call.end_flow()
    return call.reply("elections.discarded", edit=True)


# --- staff: the election desk -------------------------------------------------------------------


async def desk(call: Call) -> Result:
    election_id = _int(call, 0)
    election = None if election_id is None else await store.get(call.tx, election_id)
    if election is None:
        return _stale(call)
    staff = call.me.role in elections.PAPER_STAFF
    lines = [
        call.t(
            "elections.desk_title",
            number=election.id,
            status=call.t(f"elections.status.{election.status}"),
            nominations=from_db(election.nominations_close_at),
            closes=from_db(election.voting_closes_at),
        )
    ]
    buttons: list[list[Button]] = []
    for office in await store.offices(call.tx, election.id):
        online, paper = await store.turnout(call.tx, office.id)
        candidates = await store.candidates(call.tx, office.id)
        lines.append(
            call.t(
                "elections.desk_office",
                office=await name_of(call, office),
                seats=plural(call, "elections.seats", office.seats),
                candidates="\n".join(
                    call.t(f"elections.candidate_{c.status}", name=c.name, seconders=c.seconders)
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
                                "elections.ask_change_button", pack("eca", c.id), name=short(c.name)
                            )
                        ]
                    )
        if staff and election.status in ("voting", "closed"):
            buttons.append([call.button("elections.register_button", pack("epm", office.id), q=q)])
        if staff and election.status == "closed":
            buttons.append([call.button("elections.box_button", pack("epb", office.id), q=q)])
        for box in await store.boxes(call.tx, office_id=office.id):
            lines.append(
                call.t(
                    f"elections.box_{box.status}",
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
                            pack("epk", box.id),
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
                            pack("epr", box.id, box.keyed, "r"),
                            label=short(box.label),
                        )
                    ]
                )
        if office.result is not None:
            buttons.append([call.button("elections.results_button", pack("elr", office.id), q=q)])
    if staff and election.status == "closed":
        buttons.append([call.button("elections.count_button", pack("ecn", election.id))])
    buttons.append([call.button("elections.back", pack("ell"))])
    return Reply("\n\n".join(lines), buttons, True)


async def ask_change_start(call: Call) -> Result:
    candidate_id = _int(call, 0)
    found = None if candidate_id is None else await store.candidate(call.tx, candidate_id)
    if found is None or found.status != "standing":
        return _stale(call)
    await call.begin(FLOW_STAFF, "reason", {"candidate": found.id})
    return call.reply("elections.ask_reason", name=found.name, max=elections.MAX_REASON)


async def staff_typed(call: Call) -> Result:
    """Typed replies on the desk: a reason for a change, a person's reference for the paper
    register, a ballot box's name and count, a poll box's totals."""
    state = call.state
    assert state is not None
    services = call.services
    data = state.data
    if state.step == "reason":
        outcome = await elections.ask_change(
            call.tx,
            services.clock,
            services.settings,
            actor=call.me,
            candidate_id=int(data.get("candidate", 0)),
            reason=call.text,
            buttons=[[{"m": "elections.change_statement_button", "d": pack("ell")}]],
        )
        if outcome == "invalid":
            return call.reply("elections.reason_problem", max=elections.MAX_REASON)
        await call.end_flow()
        return call.reply(f"elections.ask_change_{outcome}")
    if state.step in ("register", "poll_register"):
        person_id = access.parse_person_ref(call.text)
        if person_id is None:
            return call.reply("elections.ref_format")
        from storage import people

        person = await people.by_id(call.tx, person_id)
        if person is None:
            return call.reply("elections.ref_unknown")
        kind = "epy" if state.step == "register" else "ppy"
        subject = int(data.get("office") or data.get("poll") or 0)
        buttons = [
            [call.button("elections.register_yes", pack(kind, subject, person_id))],
            [call.button("elections.register_no", pack("ell"))],
        ]
        await call.end_flow()
        return call.reply(
            "elections.register_confirm",
            buttons=buttons,
            ref=access.person_ref(person_id),
            name=person.label or "-",
        )
    if state.step in ("box_label", "poll_box_label"):
        cleaned = elections.check_box_label(call.text)
        if not cleaned.ok:
            return call.reply("elections.box_label_problem")
        await call.begin(
            FLOW_STAFF, state.step.replace("label", "count"), {**data, "label": cleaned.text}
        )
        return call.reply("elections.ask_box_count", label=cleaned.text)
    if state.step in ("box_count", "poll_box_count"):
        text = call.text.strip()
        if not text.isdigit() or not 1 <= int(text) <= 100000:
            return call.reply("elections.count_format")
        if state.step == "poll_box_count":
            if int(text) > await paper_polls.room(call.tx, int(data.get("poll", 0))):
                return call.reply("elections.box_too_many")
            await call.begin(FLOW_STAFF, "poll_box_totals", {**data, "declared": int(text)})
            labels = await polls_labels(call, int(data.get("poll", 0)))
            return call.reply("elections.ask_totals", options=polls.numbered(labels))
        outcome = await elections.open_box(
            call.tx,
            services.clock,
            actor=call.me,
            office_id=int(data.get("office", 0)),
            label=str(data.get("label", "")),
            declared=int(text),
        )
        if outcome == "too_many":
            return call.reply("elections.box_too_many")
        await call.end_flow()
        return call.reply(f"elections.box_{outcome}")
    if state.step == "poll_box_totals":
        parts = call.text.replace(",", " ").split()
        if not parts or not all(p.isdigit() for p in parts):
            return call.reply("elections.totals_format")
        outcome = await paper_polls.add_box(
            call.tx,
            services.clock,
            actor=call.me,
            poll_id=int(data.get("poll", 0)),
            label=str(data.get("label", "")),
            declared=int(data.get("declared", 0)),
            totals=[int(p) for p in parts],
        )
        if outcome in ("shape", "over"):
            return call.reply(f"elections.totals_{outcome}")
        await call.end_flow()
        return call.reply(f"elections.poll_box_{outcome}")
    return call.reply("elections.use_buttons")


async def polls_labels(call: Call, poll_id: int) -> list[str]:
    from storage import polls as poll_store

    return await poll_store.labels(call.tx, poll_id)


async def register_start(call: Call) -> Result:
    office_id = _int(call, 0)
    found = None if office_id is None else await elections.place(call.tx, office_id)
    if found is None or found.election.status not in ("voting", "closed"):
        return _stale(call)
    await call.begin(FLOW_STAFF, "register", {"office": found.office.id})
    return call.reply("elections.ask_ref", office=await name_of(call, found.office))


async def register_confirm(call: Call) -> Result:
    office_id, person_id = _int(call, 0), _int(call, 1)
    if office_id is None or person_id is None:
        return _stale(call)
    outcome = await elections.mark_paper(
        call.tx, call.services.clock, actor=call.me, office_id=office_id, person_id=person_id
    )
    return call.reply(f"elections.register_{outcome}", edit=True, ref=access.person_ref(person_id))


async def box_start(call: Call) -> Result:
    office_id = _int(call, 0)
    found = None if office_id is None else await elections.place(call.tx, office_id)
    if found is None or found.election.status != "closed":
        return _stale(call)
    await call.begin(FLOW_STAFF, "box_label", {"office": found.office.id})
    return call.reply("elections.ask_box_label")


async def box_confirm(call: Call) -> Result:
    box_id = _int(call, 0)
    if box_id is None:
        return _stale(call)
    outcome = await elections.confirm_box(
        call.tx, call.services.clock, actor=call.me, box_id=box_id
    )
    return call.reply(f"elections.box_confirm_{outcome}", edit=True)


async def _keying(call: Call) -> tuple[elections.Keying, int] | Result:
    box_id, expected, ranking = _int(call, 0), _int(call, 1), decode(_arg(call, 2))
    if box_id is None or expected is None or ranking is None:
        return _stale(call)
    services = call.services
    found = await elections.keying(
        call.tx, services.clock, services.settings, actor=call.me, box_id=box_id, ranking=ranking
    )
    if isinstance(found, str):
        call.toast = call.t(f"elections.keying_{found}")
        call.toast_alert = True
        return None
    if found.box.keyed != expected:
        return _keying_next(call, found.box.id, found.box.keyed, found.box.declared)
    return found, expected


def _keying_next(call: Call, box_id: int, keyed: int, declared: int) -> Reply:
    buttons = [[call.button("elections.key_next", pack("epr", box_id, keyed, "r"))]]
    return call.reply(
        "elections.keyed_so_far", buttons=buttons, edit=True, keyed=keyed, declared=declared
    )


async def key_show(call: Call) -> Result:
    got = await _keying(call)
    if not isinstance(got, tuple):
        return got
    found, expected = got
    view = found.view
    buttons = _ranking_buttons(call, view, "epr", "epw", found.box.id, expected)
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


async def key_review(call: Call) -> Result:
    got = await _keying(call)
    if not isinstance(got, tuple):
        return got
    found, expected = got
    if not found.view.ranking:
        call.toast = call.t("elections.rank_one")
        return None
    code = encode(found.view.ranking)
    buttons = [
        [call.button("elections.key_confirm", pack("epc", found.box.id, expected, code))],
        [call.button("elections.change", pack("epr", found.box.id, expected, code))],
    ]
    return call.reply(
        "elections.key_review", buttons=buttons, edit=True, ranked=_ranking_lines(call, found.view)
    )


async def key_confirm(call: Call) -> Result:
    box_id, expected, ranking = _int(call, 0), _int(call, 1), decode(_arg(call, 2))
    if box_id is None or expected is None or ranking is None:
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
    box = await store.box(call.tx, box_id)
    if outcome == "stale":
        call.toast = call.t("elections.keying_stale")
        return None
    if outcome != "keyed" or box is None:
        call.toast = call.t(f"elections.keying_{outcome}")
        call.toast_alert = True
        return None
    if box.status == "done":
        keyed = plural(call, "elections.ballots", box.keyed)
        return call.reply("elections.box_finished", edit=True, label=box.label, keyed=keyed)
    return _keying_next(call, box.id, box.keyed, box.declared)


async def count_ask(call: Call) -> Result:
    election_id = _int(call, 0)
    if election_id is None:
        return _stale(call)
    offices = await store.offices(call.tx, election_id)
    missing = 0
    for office in offices:
        _, paper = await store.turnout(call.tx, office.id)
        keyed = sum(b.keyed for b in await store.boxes(call.tx, office_id=office.id))
        missing += max(0, paper - keyed)
    buttons = [
        [call.button("elections.count_yes", pack("ecy", election_id))],
        [call.button("elections.back", pack("eld", election_id))],
    ]
    return call.reply(
        "elections.count_confirm",
        buttons=buttons,
        edit=True,
        missing=plural(call, "elections.ballots", missing),
    )


async def count_confirm(call: Call) -> Result:
    election_id = _int(call, 0)
    if election_id is None:
        return _stale(call)
    services = call.services
    outcome = await elections.count_election(
        call.tx, services.clock, services.settings, election_id, actor=call.me
    )
    return call.reply(f"elections.count_{outcome}", edit=True)


# --- /paper: paper votes for ordinary polls ----------------------------------------------------


async def paper_command(call: Call) -> Result:
    return await _paper(call, edit=False)


async def paper_button(call: Call) -> Result:
    return await _paper(call, edit=True)


async def _paper(call: Call, *, edit: bool) -> Result:
    from storage import polls as poll_store

    staff = call.me.role in elections.PAPER_STAFF
    lines = [call.t("elections.paper_title")]
    buttons: list[list[Button]] = []
    for poll in await poll_store.listing(call.tx, status="open", limit=8):
        paper = await store.poll_paper_voters(call.tx, poll.id)
        lines.append(call.t("elections.paper_poll_line", question=poll.question, paper=paper))
        q = short(poll.question)
        if staff:
            buttons.append([call.button("elections.register_button", pack("ppm", poll.id), q=q)])
            buttons.append([call.button("elections.box_button", pack("ppb", poll.id), q=q)])
        for box in await store.boxes(call.tx, poll_id=poll.id):
            lines.append(
                call.t(
                    f"elections.poll_box_{box.status}",
                    label=box.label,
                    n=plural(call, "elections.ballots", box.declared),
                )
            )
            if box.status == "unconfirmed" and box.keyed_by != call.me.id:
                buttons.append(
                    [
                        call.button(
                            "elections.box_confirm_button",
                            pack("epk", box.id),
                            label=short(box.label),
                            n=box.declared,
                        )
                    ]
                )
    if len(lines) == 1:
        lines.append(call.t("elections.paper_none"))
    return Reply("\n\n".join(lines), buttons, edit)


async def poll_register_start(call: Call) -> Result:
    poll_id = _int(call, 0)
    poll = None if poll_id is None else await polls.get(call.tx, poll_id)
    if poll is None or not poll.is_open:
        return _stale(call)
    await call.begin(FLOW_STAFF, "poll_register", {"poll": poll.id})
    return call.reply("elections.ask_ref", office=poll.question)


async def poll_register_confirm(call: Call) -> Result:
    poll_id, person_id = _int(call, 0), _int(call, 1)
    if poll_id is None or person_id is None:
        return _stale(call)
    outcome = await paper_polls.mark(
        call.tx, call.services.clock, actor=call.me, poll_id=poll_id, person_id=person_id
    )
    return call.reply(f"elections.register_{outcome}", edit=True, ref=access.person_ref(person_id))


async def poll_box_start(call: Call) -> Result:
    poll_id = _int(call, 0)
    poll = None if poll_id is None else await polls.get(call.tx, poll_id)
    if poll is None or not poll.is_open:
        return _stale(call)
    await call.begin(FLOW_STAFF, "poll_box_label", {"poll": poll.id})
    return call.reply("elections.ask_box_label")


# --- /myrecord: offices held (its own section; issue 18 extends /myrecord too) ------------------


async def record_lines(call: Call) -> list[str]:
    terms = await elections.offices_held(call.tx, call.me)
    if not terms:
        return []
    zone = call.services.settings.establishment.timezone
    lines = ["", call.t("elections.record_title")]
    for term in terms:
        start = {"$day": from_db(term.starts_at).astimezone(zone).date().isoformat()}
        end_raw = term.ended_at or term.ends_at
        end = {"$day": from_db(end_raw).astimezone(zone).date().isoformat()}
        current = term.ended_at is None and term.ends_at > to_db(call.services.clock.now())
        lines.append(
            call.t(
                "elections.record_current" if current else "elections.record_past",
                office=term.office_name,
                start=start,
                end=end,
            )
        )
    return lines
