"""Outcomes and evidence: post or update an outcome (/outcome, and triage's "answer now"), the
board (/outcomes, and /board as a printable PDF), the month's report (/report) and a member's
own record (/myrecord). Thin: the rules are in bot.council.outcomes, .reports and .board."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from typing import assert_never

from bot import i18n
from bot.council import agenda, content, outcomes, reports, roles, text, when
from bot.council import board as board_council
from bot.council.access import parse_person_ref
from bot.council.agenda import Verdict
from bot.council.agenda_buttons import (
    BoardPage,
    FamilyPage,
    KindCode,
    OutcomeCancel,
    OwnerMe,
    PickKind,
    PostablePage,
    PostablePick,
    PrintBoard,
    Publish,
    ReportMonth,
    SourceCode,
    TriageNext,
)
from bot.council.agenda_flows import OUTCOME, OutcomeDraft, OutcomeStep
from bot.council.outcomes import OutcomeRow
from bot.documents import board as board_document
from bot.documents import reports as report_documents
from handlers import content as asking
from handlers import elections, schemes
from handlers.base import Button, Call, Reply, Result, excerpt
from handlers.base import stale as _stale
from handlers.base import topic_label as _topic
from handlers.base import wing_label as _wing
from handlers.items import KIND, kind_word, staff_status_word, status_word
from handlers.labels import Ids

TEXT_PROBLEM = Ids("outcomes.problem.{}", text.PROBLEMS)
DAY_PROBLEM = Ids("outcomes.problem.date_{}", when.DAY_PROBLEMS)
RECORD_ROLE = Ids("outcomes.record.role_{}", roles.IN_CUSTODY)

PAGE = 5
EXCERPT = 160
# Kinds and roads in button data, one letter each.
KIND_CODES = {
    KindCode.RESOLVED: outcomes.RESOLVED,
    KindCode.PARTLY: outcomes.PARTLY,
    KindCode.NOT_POSSIBLE: outcomes.NOT_POSSIBLE,
    KindCode.IN_PROGRESS: outcomes.IN_PROGRESS,
}
CODE_OF_KIND = {kind: code for code, kind in KIND_CODES.items()}
SOURCE_CODES = {SourceCode.COMMAND: outcomes.COMMAND, SourceCode.TRIAGE: outcomes.TRIAGE}
CODE_OF_SOURCE = {source: code for code, source in SOURCE_CODES.items()}


# --- posting ------------------------------------------------------------------------------------


async def outcome_command(call: Call) -> Result:
    """/outcome A-0042: staff post or update an item's outcome."""
    if not call.args:
        await _save(call, OutcomeStep.REF, OutcomeDraft())
        return await _postable_page(call, 0, edit=False)
    return await _pick_kind(call, call.args[0], outcomes.COMMAND)


async def _postable_page(call: Call, page: int, *, edit: bool) -> Reply:
    """Open items as buttons, so staff need not know the reference; typing one still works."""
    items = await outcomes.postable(call.tx, limit=PAGE + 1, offset=page * PAGE)
    buttons = [
        [
            Button(
                call.t(
                    "reader.outcome.item",
                    ref=agenda.ref(item.id),
                    topic=_topic(call, item.topic),
                    status=staff_status_word(call, item.status),
                ),
                PostablePick(item.id).pack(),
            )
        ]
        for item in items[:PAGE]
    ]
    nav = []
    if page > 0:
        nav.append(call.button("common.previous", PostablePage(page - 1)))
    if len(items) > PAGE:
        nav.append(call.button("common.next", PostablePage(page + 1)))
    if nav:
        buttons.append(nav)
    key = "reader.outcome.pick" if items else "reader.outcome.none"
    return call.reply(key, buttons=buttons, edit=edit)


async def postable_page(call: Call, b: PostablePage) -> Result:
    return await _postable_page(call, b.page, edit=True)


async def postable_pick(call: Call, b: PostablePick) -> Result:
    return await _pick_kind(call, agenda.ref(b.item_id), outcomes.COMMAND)


async def _pick_kind(call: Call, raw_ref: str, source: str) -> Result:
    item_id = agenda.parse_ref(raw_ref)
    found = await outcomes.check_item(call.tx, item_id, source)
    if not found.done or found.item is None:
        merged_into = await outcomes.merged_into(call.tx, item_id) if item_id else None
        return _refusal(call, found.result, item_id, merged_into)
    return await choose_kind(call, found.item, source)


def _refusal(call: Call, result: Verdict, item_id: int | None, merged_into: int | None) -> Reply:
    ref = agenda.ref(item_id) if item_id else "-"
    target = agenda.ref(merged_into) if merged_into else "-"
    return call.reply(_REFUSED[result], ref=ref, target=target)


def _refused(result: Verdict) -> str:
    """The catalogue id that says why an outcome was not posted."""
    match result:
        case Verdict.UNKNOWN:
            return "outcomes.refused.unknown"
        case Verdict.MERGED:
            return "outcomes.refused.merged"
        case Verdict.DECLINED:
            return "outcomes.refused.declined"
        case Verdict.WAITING:
            return "outcomes.refused.waiting"
        case Verdict.CLOSED:
            return "outcomes.refused.closed"
        case Verdict.OWNER:
            return "outcomes.refused.owner"
        case Verdict.KIND:
            return "outcomes.refused.kind"
        case Verdict.TEXT:
            return "outcomes.refused.text"
        case Verdict.REASON:
            return "outcomes.refused.reason"
        case Verdict.DATE:
            return "outcomes.refused.date"
        case Verdict.PAST:
            return "outcomes.refused.past"
        case Verdict.TOO_FAR:
            return "outcomes.refused.too_far"
        # Not answers of posting (a status change or a merge): "look again" fits them all.
        case (
            Verdict.HANDLED
            | Verdict.DONE
            | Verdict.REFUSED
            | Verdict.SELF
            | Verdict.LOOP
            | Verdict.NO_TARGET
            | Verdict.TARGET
        ):
            return "outcomes.refused.handled"
        case _:
            assert_never(result)


_REFUSED = {v: _refused(v) for v in Verdict}


async def choose_kind(call: Call, item: agenda.ItemRow, source: str) -> Reply:
    """The item, its current outcome, and a button per kind. Also triage's "answer now"."""
    # Waiting for a kind: words typed now are kept as the outcome's text, not thrown away.
    await _save(call, OutcomeStep.KIND, OutcomeDraft(item.id, item.version, source))
    await content.start(call.tx, call.me.id)
    lines = [
        call.t(
            "outcomes.post.head",
            ref=agenda.ref(item.id),
            topic=_topic(call, item.topic),
            wing=_wing(call, item.wing),
        ),
        call.t("agenda.item.status", status=staff_status_word(call, item.status)),
        "",
        excerpt(item.text, 400),
    ]
    current = await outcomes.latest(call.tx, item.id)
    if current is not None:
        lines += ["", call.t("outcomes.post.current", version=current.version)]
        lines.append(await _outcome_lines(call, current))
    lines += ["", call.t("outcomes.post.pick_kind")]
    code, v = CODE_OF_SOURCE[source], item.version
    kinds = (
        [outcomes.RESOLVED, outcomes.NOT_POSSIBLE]
        if item.status == agenda.CLOSED
        else list(outcomes.KINDS)
    )
    buttons = [
        [
            call.button(KIND[kind], PickKind(item.id, v, code, CODE_OF_KIND[kind]))
            for kind in kinds[i : i + 2]
        ]
        for i in range(0, len(kinds), 2)
    ]
    buttons.append([call.button("outcomes.post.cancel", OutcomeCancel())])
    return Reply("\n".join(lines), buttons)


async def _kind_buttons_again(call: Call, draft: OutcomeDraft) -> Result:
    """Words typed before the kind was chosen: keep them and ask for the kind."""
    cleaned = outcomes.outcome_text(call.text)
    if not cleaned.ok:
        return _text_problem(call, cleaned.problem, len(cleaned.text), outcomes.TEXT_MAX)
    source = draft.source or outcomes.COMMAND
    found = await outcomes.check_item(call.tx, draft.item, source, version=draft.version)
    if not found.done or found.item is None:
        await call.end_flow()
        return call.reply("outcomes.post.changed")
    shown = await choose_kind(call, found.item, source)
    await _save(call, OutcomeStep.KIND, replace(draft, text=cleaned.text))
    return [call.reply("reader.answer.kept", ref=agenda.ref(found.item.id)), shown]


async def pick_kind(call: Call, b: PickKind) -> Result:
    item_id, version = b.item_id, b.version
    source, kind = SOURCE_CODES[b.source], KIND_CODES[b.kind]
    if not outcomes.may_post(call.me, source):
        return _stale(call, "common.not_for_you")
    found = await outcomes.check_item(call.tx, item_id, source, kind=kind, version=version)
    kept = OUTCOME.read(call.state)
    kept_here = kept is not None and kept.draft.item == item_id
    if not found.done:
        if kept_here:
            await call.end_flow()
        return _stale(call, "outcomes.post.changed")
    draft = OutcomeDraft(item=item_id, version=version, source=source, kind=kind)
    if kept is not None and kept_here and kept.draft.text:
        return await _next_step(call, replace(draft, text=kept.draft.text))
    await _save(call, OutcomeStep.TEXT, draft)
    return call.reply("outcomes.post.ask_text", ref=agenda.ref(item_id), kind=kind_word(call, kind))


def _text_problem(call: Call, problem: str | None, length: int, most: int) -> Reply:
    return call.reply(TEXT_PROBLEM[problem or "empty"], length=length, most=most)


async def typed(call: Call) -> Result:
    at = OUTCOME.read(call.state)
    if at is None:
        return call.reply("common.use_menu")
    step, draft = at.step, at.draft
    if step is OutcomeStep.REF:
        await call.end_flow()
        return await _pick_kind(call, call.text, outcomes.COMMAND)
    if step is OutcomeStep.KIND:
        return await _kind_buttons_again(call, draft)
    if step is OutcomeStep.TEXT:
        cleaned = outcomes.outcome_text(call.text)
        if not cleaned.ok:
            return _text_problem(call, cleaned.problem, len(cleaned.text), outcomes.TEXT_MAX)
        return await asking.ask_other(
            call,
            field="text",
            text=cleaned.text,
            most=outcomes.TEXT_MAX,
            then=await _next_step(call, replace(draft, text=cleaned.text)),
        )
    if step is OutcomeStep.REASON:
        cleaned = outcomes.reason_text(call.text)
        if not cleaned.ok:
            return _text_problem(call, cleaned.problem, len(cleaned.text), outcomes.REASON_MAX)
        return await asking.ask_other(
            call,
            field="reason",
            text=cleaned.text,
            most=outcomes.REASON_MAX,
            then=await _next_step(call, replace(draft, reason=cleaned.text)),
        )
    if step is OutcomeStep.OWNER:
        return await _typed_owner(call, draft)
    if step is OutcomeStep.DATE:
        reading = when.parse_day(
            call.text, today=outcomes.today(call.services.clock, call.services.settings)
        )
        if reading.day is None:
            return call.reply(DAY_PROBLEM[reading.problem or when.UNREADABLE])
        return await _next_step(call, replace(draft, date=reading.day.isoformat()))
    return call.reply("outcomes.post.use_buttons")


async def _typed_owner(call: Call, draft: OutcomeDraft) -> Result:
    person_id = parse_person_ref(call.text)
    if person_id is not None:
        owner = await outcomes.staff_owner(call.tx, person_id)
        if owner is None:
            return call.reply("outcomes.problem.not_staff")
        return await _next_step(call, replace(draft, owner_id=owner.id, owner_name=None))
    cleaned = outcomes.owner_text(call.text)
    if not cleaned.ok:
        return _text_problem(call, cleaned.problem, len(cleaned.text), outcomes.OWNER_MAX)
    return await _next_step(call, replace(draft, owner_id=None, owner_name=cleaned.text))


async def owner_me(call: Call, b: OwnerMe) -> Result:
    at = OUTCOME.read(call.state)
    if (
        at is None
        or at.step is not OutcomeStep.OWNER
        or b.item_id != at.draft.item
        or call.me.role not in roles.STAFF_SIDE
    ):
        return _stale(call)
    return await _next_step(call, replace(at.draft, owner_id=call.me.id, owner_name=None))


async def _save(call: Call, step: OutcomeStep, draft: OutcomeDraft) -> None:
    await OUTCOME.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def _next_step(call: Call, draft: OutcomeDraft) -> Result:
    """Ask for what this kind still needs, in order; then show the preview to confirm."""
    kind, item_id = draft.kind, draft.item or 0
    ref = agenda.ref(item_id)
    if kind == outcomes.NOT_POSSIBLE and draft.reason is None:
        await _save(call, OutcomeStep.REASON, draft)
        return call.reply("outcomes.post.ask_reason", ref=ref)
    if kind == outcomes.IN_PROGRESS and draft.owner_id is None and draft.owner_name is None:
        await _save(call, OutcomeStep.OWNER, draft)
        buttons = (
            [[call.button("outcomes.post.owner_me", OwnerMe(item_id))]]
            if call.me.role in roles.STAFF_SIDE
            else []
        )
        return call.reply("outcomes.post.ask_owner", ref=ref, buttons=buttons)
    if kind == outcomes.IN_PROGRESS and draft.date is None:
        await _save(call, OutcomeStep.DATE, draft)
        return call.reply("outcomes.post.ask_date", ref=ref)
    await _save(call, OutcomeStep.CONFIRM, draft)
    return await _preview(call, draft)


async def _preview(call: Call, draft: OutcomeDraft) -> Reply:
    item_id, version = draft.item or 0, draft.version or 0
    lines = [
        call.t("outcomes.post.preview", ref=agenda.ref(item_id)),
        call.t("outcomes.line.kind", kind=kind_word(call, draft.kind or outcomes.RESOLVED)),
        draft.text or "",
    ]
    if draft.reason:
        lines.append(call.t("outcomes.line.reason", reason=draft.reason))
    if draft.kind == outcomes.IN_PROGRESS:
        owner = await outcomes.owner_of(call.tx, draft.owner_id, draft.owner_name)
        lines.append(call.t("outcomes.line.owner", owner=owner))
        lines.append(call.t("outcomes.line.date", date={"$day": draft.date}))
    lines += ["", call.t("outcomes.post.who_hears")]
    buttons = [
        [
            call.button("outcomes.post.publish", Publish(item_id, version)),
            call.button("outcomes.post.cancel", OutcomeCancel()),
        ]
    ]
    return Reply("\n".join(lines), buttons)


async def publish(call: Call, b: Publish) -> Result:
    at = OUTCOME.read(call.state)
    item_id, version = b.item_id, b.version
    if (
        at is None
        or at.step is not OutcomeStep.CONFIRM
        or (item_id, version) != (at.draft.item, at.draft.version)
        or at.draft.source is None
        or at.draft.kind is None
    ):
        # Pressed twice, or an old preview: the first press already did it (or nothing to do).
        return _stale(call)
    draft, source = at.draft, at.draft.source
    if not outcomes.may_post(call.me, source):
        await call.end_flow()
        return _stale(call, "common.not_for_you")
    await call.end_flow()
    posting = outcomes.Posting(
        kind=draft.kind or "",
        text=draft.text or "",
        reason=draft.reason,
        owner_id=draft.owner_id,
        owner_name=draft.owner_name,
        follow_up_on=date.fromisoformat(draft.date) if draft.date else None,
    )
    posted = await outcomes.post(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        item_id=item_id,
        version=version,
        posting=posting,
        source=source,
    )
    ref = agenda.ref(item_id)
    if not posted.done:
        if posted.result is Verdict.HANDLED:
            call.toast = call.t("outcomes.post.changed")
            call.toast_alert = True
        return _refusal(
            call, posted.result, item_id, posted.item.merged_into if posted.item else None
        )
    call.toast = call.t("outcomes.post.toast")
    done = call.reply("outcomes.post.done", ref=ref, kind=kind_word(call, posting.kind), edit=True)
    if source == outcomes.TRIAGE:
        done.buttons = [[call.button("outcomes.post.next_issue", TriageNext(item_id))]]
    return done


async def cancel(call: Call, _b: OutcomeCancel) -> Result:
    if OUTCOME.read(call.state) is not None:
        await call.end_flow()
    return call.reply("outcomes.post.cancelled", edit=True)


# --- reading an outcome ------------------------------------------------------------------------


async def _outcome_lines(call: Call, outcome: OutcomeRow) -> str:
    lines = [
        call.t(
            "outcomes.line.kind_on",
            kind=kind_word(call, outcome.kind),
            when=outcome.posted_at,
        ),
        outcome.text,
    ]
    if outcome.reason:
        lines.append(call.t("outcomes.line.reason", reason=outcome.reason))
    if outcome.kind == outcomes.IN_PROGRESS:
        lines.append(
            call.t("outcomes.line.owner", owner=await outcomes.owner_label(call.tx, outcome))
        )
        lines.append(call.t("outcomes.line.date", date=outcomes.day(outcome.follow_up_on)))
    return "\n".join(lines)


# --- the board ------------------------------------------------------------------------------------


async def board_command(call: Call) -> Result:
    """/outcomes: members their wing first; staff and observers all wings; families reports back."""
    if call.me.role == roles.FAMILY:
        return await _family_page(call, 0, edit=False)
    scope = call.me.wing if call.me.role in roles.IN_CUSTODY and call.me.wing else "all"
    return await _board_page(call, scope, 0, edit=False)


async def board_page(call: Call, b: BoardPage) -> Result:
    scope, page = b.scope, b.page
    if page > 10_000:
        return _stale(call)
    if scope != "all" and call.services.settings.wing(scope) is None:
        return _stale(call)
    return await _board_page(call, scope, page, edit=True)


async def _board_page(call: Call, scope: str, page: int, *, edit: bool) -> Result:
    wing = None if scope == "all" else scope
    found = await outcomes.board(call.tx, call.me, wing=wing, page=page, size=PAGE)
    where = call.t("outcomes.board.all") if wing is None else _wing(call, wing)
    lines = [call.t("outcomes.board.heading", where=where)]
    if not found.entries:
        lines.append(call.t("outcomes.board.none"))
    for entry in found.entries:
        outcome = entry.outcome
        lines += [
            "",
            call.t(
                "outcomes.board.entry_head",
                ref=agenda.ref(outcome.item_id),
                topic=_topic(call, outcome.topic),
                wing=_wing(call, outcome.wing),
            ),
            call.t("outcomes.board.said", text=excerpt(entry.item_text, EXCERPT)),
            await _outcome_lines(call, outcome),
        ]
    buttons: list[list[Button]] = []
    paging: list[Button] = []
    if page > 0:
        paging.append(call.button("outcomes.board.newer", BoardPage(scope, page - 1)))
    if found.more:
        paging.append(call.button("outcomes.board.older", BoardPage(scope, page + 1)))
    if paging:
        buttons.append(paging)
    scopes = ["all", *(w.id for w in call.services.settings.wings)]
    buttons.append(
        [
            Button(
                call.t("outcomes.board.all") if s == "all" else _wing(call, s),
                BoardPage(s, 0).pack(),
            )
            for s in scopes
            if s != scope
        ]
    )
    return Reply("\n".join(lines), buttons, edit)


async def family_page(call: Call, b: FamilyPage) -> Result:
    if b.page > 10_000:
        return _stale(call)
    return await _family_page(call, b.page, edit=True)


async def _family_page(call: Call, page: int, *, edit: bool) -> Result:
    found = await outcomes.family_board(call.tx, call.me, page=page, size=PAGE)
    lines = [call.t("outcomes.family.heading")]
    if not found.reports:
        lines.append(call.t("outcomes.family.none"))
    for report in found.reports:
        # In the reader's content language where staff wrote one (bot.council.content).
        words = await content.shown(
            call.tx,
            call.services.settings,
            "consultation",
            report.id,
            {"title": report.title, "heard": report.heard, "will": report.will_do},
            call.lang,
        )
        lines += [
            "",
            call.t("outcomes.family.title", title=words["title"], when=report.reported_at),
            call.t("outcomes.family.heard", text=words["heard"]),
            call.t("outcomes.family.will_do", text=words["will"]),
        ]
    paging: list[Button] = []
    if page > 0:
        paging.append(call.button("outcomes.board.newer", FamilyPage(page - 1)))
    if found.more:
        paging.append(call.button("outcomes.board.older", FamilyPage(page + 1)))
    return Reply("\n".join(lines), [paging] if paging else [], edit)


# --- the printable board -----------------------------------------------------------------------


async def print_command(call: Call) -> Result:
    """/board: staff choose a wing or the whole establishment and get an A4 PDF."""
    wings = call.services.settings.wings
    buttons = [[Button(w.label(call.lang), PrintBoard(w.id).pack())] for w in wings]
    buttons.append([call.button("outcomes.print.everyone", PrintBoard("all"))])
    return call.reply("outcomes.print.pick", buttons=buttons)


async def print_board(call: Call, b: PrintBoard) -> Result:
    scope = b.scope
    settings, clock, me = call.services.settings, call.services.clock, call.me
    if scope != "all" and settings.wing(scope) is None:
        return _stale(call)
    call.toast = call.t("outcomes.print.toast")
    db, lang = call.services.db, call.lang

    async def draw() -> list[Reply]:
        # After the commit: read from a snapshot and draw off the event loop, so nobody waits.
        async with db.snapshot() as tx:
            gathered = await board_council.gather(
                tx, clock, settings, actor=me, wing=None if scope == "all" else scope
            )
        pdf = await asyncio.to_thread(board_document.render, gathered)
        caption = i18n.t(
            lang,
            "outcomes.print.caption",
            settings.establishment.timezone,
            count=len(gathered.entries),
        )
        return [Reply(caption, document=(board_document.file_name(gathered), pdf))]

    return Reply("", later=draw)


# --- the evidence report -------------------------------------------------------------------------


async def report_command(call: Call) -> Result:
    settings, clock = call.services.settings, call.services.clock
    if not reports.may_read(call.me):
        return call.reply("common.not_for_role")
    if not call.args:
        return _month_picker(call)
    month = reports.parse_month(call.args[0])
    if month is None:
        return call.reply("outcomes.report.bad_month")
    if reports.is_future(month, clock, settings):
        return call.reply("outcomes.report.future")
    return _report(call, month)


# The months the picker offers: this one, last one, and a few before.
PICKER_MONTHS = 6


def _month_picker(call: Call) -> Reply:
    this = reports.this_month(call.services.clock, call.services.settings)
    buttons: list[list[Button]] = []
    for back in range(PICKER_MONTHS):
        month = this.shifted(-back)
        name = reports.month_title(month, call.lang)
        key = {0: "reader.report.this_month", 1: "reader.report.last_month"}.get(back)
        label = call.t(key, month=name) if key else name
        buttons.append([Button(label, ReportMonth(month.label).pack())])
    return call.reply("reader.report.pick_month", buttons=buttons)


async def report_month(call: Call, b: ReportMonth) -> Result:
    """A month from the picker: checked again (forged data, a month not started)."""
    month = reports.parse_month(b.month)
    settings, clock = call.services.settings, call.services.clock
    if month is None or reports.is_future(month, clock, settings):
        return _stale(call)
    if not reports.may_read(call.me):
        return _stale(call, "common.not_for_you")
    return _report(call, month)


def _report(call: Call, month: reports.Month) -> Reply:
    settings, clock = call.services.settings, call.services.clock
    db, me, lang, zone = call.services.db, call.me, call.lang, settings.establishment.timezone
    name = reports.month_title(month, lang)

    async def build_and_draw() -> list[Reply]:
        # After the commit: figures from a read-only snapshot, drawing off the event loop, so
        # a two-year report never holds up anyone's vote or reply.
        async with db.snapshot() as tx:
            report = await reports.build(tx, clock, settings, viewer=me, month=month)
        pictures = await asyncio.to_thread(report_documents.charts, report, settings, lang)
        if report.empty:
            return [
                Reply(
                    i18n.t(lang, "outcomes.report.nothing", zone, month=name), photo=pictures[0][1]
                ),
                *await schemes.report_reply(db, settings, me, month, lang),
            ]
        shown = reports.summary(report, settings)
        text = i18n.t(
            lang,
            "outcomes.report.summary",
            zone,
            month=name,
            raised=shown.raised,
            resolved=shown.resolved,
            open=shown.open,
            share=shown.share,
            least=settings.report_min_cell,
        )
        album = [
            (png, report_documents.chart_caption(file_name, report, settings, lang))
            for file_name, png in pictures
        ]
        file_name, data = await asyncio.to_thread(
            report_documents.figures_zip, report, settings, lang
        )
        zip_caption = i18n.t(lang, "reader.report.zip_caption", zone, month=name)
        return [
            Reply(text),
            Reply("", album=album),
            Reply(zip_caption, document=(file_name, data)),
            *await schemes.report_reply(db, settings, me, month, lang),
        ]

    return Reply("", later=build_and_draw)


# --- a member's own record ---------------------------------------------------------------------


async def my_record(call: Call) -> Result:
    record = await outcomes.my_record(call.tx, call.me)
    zone = call.services.settings.establishment.timezone
    role = call.t(RECORD_ROLE[record.role])
    lines = [call.t("outcomes.record.title")]
    if record.since is not None:
        lines.append(
            call.t(
                "outcomes.record.role",
                role=role,
                since={"$day": record.since.astimezone(zone).date().isoformat()},
            )
        )
    lines += ["", call.t("outcomes.record.meetings", count=record.meetings_attended)]
    for title, at in record.meetings:
        lines.append(
            call.t(
                "outcomes.record.meeting",
                title=title,
                when={"$day": at.astimezone(zone).date().isoformat()},
            )
        )
    lines += ["", call.t("outcomes.record.items", count=record.items_raised)]
    for entry in record.items:
        came = (
            kind_word(call, entry.outcome.kind)
            if entry.outcome is not None
            else status_word(call, entry.status)
        )
        lines.append(call.t("outcomes.record.item", ref=agenda.ref(entry.item_id), result=came))
    lines += ["", call.t("outcomes.record.consultations", count=record.consultations_answered)]
    for title in record.consultations:
        lines.append(call.t("outcomes.record.consultation", title=title))
    # Offices held, with dates (issue 16): its own section, so /myrecord can grow elsewhere too.
    lines += await elections.record_lines(call)
    # Peer scheme roles, training and hours, and "Print my record" (docs/SCHEMES.md).
    lines += ["", *await schemes.record_lines(call)]
    lines += ["", call.t("outcomes.record.footer")]
    return Reply("\n".join(lines), [[schemes.print_button(call)]])
