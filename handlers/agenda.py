"""Agenda items: raise (members), follow (/myitems), browse and support, key in a paper slip
(staff), and the member's reply to a question. Triage is handlers/triage.py. Thin: the rules are
in bot.council.agenda; this file reads the update and renders the answer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal, assert_never

from bot.council import agenda, outcomes, roles
from bot.council.access import parse_person_ref, person_ref
from bot.council.access_buttons import MenuCommand
from bot.council.agenda import Draft, DraftProblem, ItemRow, Supported
from bot.council.agenda_buttons import (
    BrowsePage,
    KeyinCancel,
    KeyinConfirm,
    KeyinNoWriter,
    KeyinTopic,
    KeyinWing,
    MyItemsPage,
    RaiseCancel,
    RaiseConfirm,
    RaiseEdit,
    RaiseEditField,
    RaiseField,
    RaiseName,
    RaiseTopic,
    RaiseWing,
    ReplyLoose,
    ReplyLooseDrop,
    ReplyStart,
    Support,
)
from bot.council.agenda_flows import (
    KEYIN,
    RAISE,
    REPLY,
    KeyinDraft,
    KeyinStep,
    RaiseDraft,
    RaiseStep,
    ReplyDraft,
    ReplyStep,
)
from bot.council.buttons import ButtonData
from bot.council.flows import Flow
from handlers import triage
from handlers.base import Button, Call, Reply, Result, excerpt, pairs
from handlers.base import stale as _stale
from handlers.base import topic_label as _topic
from handlers.base import wing_label as _wing
from handlers.items import NOTE_PROBLEM, TEXT_PROBLEM, kind_word, latest_line, status_word
from handlers.labels import Ids

PAGE = 5
EXCERPT = 200
_RAISE_FIELDS: tuple[RaiseField, ...] = ("topic", "wing", "text", "hidden")
_CHANGE = Ids("agenda.raise.change_{}", _RAISE_FIELDS)


def _supported(result: Supported) -> str:
    """The toast for a press of "support"."""
    match result:
        case Supported.ADDED:
            return "agenda.support.added"
        case Supported.ALREADY:
            return "agenda.support.already"
        case Supported.OWN:
            return "agenda.support.own"
        case Supported.CLOSED:
            return "agenda.support.closed"
        case Supported.UNKNOWN:
            return "agenda.support.unknown"
        case _:
            assert_never(result)


_SUPPORTED = {s: _supported(s) for s in Supported}


def _ask_again(problem: DraftProblem) -> RaiseField:
    """The part of a stored draft to ask for again when it no longer fits the configuration."""
    match problem:
        case DraftProblem.TOPIC | DraftProblem.COMPLAINT:
            return "topic"
        case DraftProblem.WING:
            return "wing"
        case DraftProblem.TEXT:
            return "text"
        case _:
            assert_never(problem)


_ASK_AGAIN = {p: _ask_again(p) for p in DraftProblem}


# --- raise ----------------------------------------------------------------------------------


async def raise_start(call: Call) -> Result:
    await _save_raise(call, RaiseStep.TOPIC, RaiseDraft())
    return _ask_topic(call, RAISE, edit=False)


async def _save_raise(call: Call, step: RaiseStep, draft: RaiseDraft) -> None:
    await RAISE.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def _save_keyin(call: Call, step: KeyinStep, draft: KeyinDraft) -> None:
    await KEYIN.save(call.tx, call.me.id, step, draft, call.services.clock.now())


def _ask_topic(call: Call, flow: Flow[Any, Any], *, edit: bool) -> Reply:
    kind: type[RaiseTopic | KeyinTopic] = RaiseTopic if flow is RAISE else KeyinTopic
    cancel: ButtonData = RaiseCancel() if flow is RAISE else KeyinCancel()
    topics = [
        t for t in call.services.settings.topics if flow is RAISE or t.id != agenda.COMPLAINT_TOPIC
    ]
    buttons = pairs([Button(t.label(call.lang), kind(t.id).pack()) for t in topics])
    buttons.append([call.button("agenda.cancel", cancel)])
    return call.reply("agenda.raise.pick_topic", buttons=buttons, edit=edit)


def _ask_wing(call: Call, flow: Flow[Any, Any]) -> Reply:
    kind: type[RaiseWing | KeyinWing] = RaiseWing if flow is RAISE else KeyinWing
    cancel: ButtonData = RaiseCancel() if flow is RAISE else KeyinCancel()
    wings = call.services.settings.wings
    buttons = pairs([Button(w.label(call.lang), kind(w.id).pack()) for w in wings])
    buttons.append([call.button("agenda.cancel", cancel)])
    return call.reply("agenda.raise.pick_wing", buttons=buttons, edit=True)


async def raise_topic(call: Call, b: RaiseTopic) -> Result:
    at = RAISE.read(call.state)
    if at is None or call.services.settings.topic(b.topic) is None:
        return _stale(call)
    if b.topic == agenda.COMPLAINT_TOPIC:
        # The council deals with shared issues: a complaint about a person goes another way.
        await call.end_flow()
        route = call.services.settings.complaints_route
        text = route.get(call.lang) or route.get("en", "")
        return call.reply("agenda.raise.complaint", route=text, edit=True)
    return await _raise_next(call, replace(at.draft, topic=b.topic))


async def raise_wing(call: Call, b: RaiseWing) -> Result:
    at = RAISE.read(call.state)
    if at is None or call.services.settings.wing(b.wing) is None:
        return _stale(call)
    return await _raise_next(call, replace(at.draft, wing=b.wing))


async def raise_name(call: Call, b: RaiseName) -> Result:
    at = RAISE.read(call.state)
    if at is None:
        return _stale(call)
    return await _raise_next(call, replace(at.draft, hidden=b.choice == "hide"))


async def raise_typed(call: Call) -> Result:
    at = RAISE.read(call.state)
    if at is None:
        return call.reply("common.use_menu")
    step, draft = at.step, at.draft
    if step in (RaiseStep.TOPIC, RaiseStep.WING) and draft.text is None:
        # The issue typed before its topic or wing: kept, and the buttons asked for again. A
        # few words ("food please") answer the buttons' question instead: a reminder then.
        cleaned = agenda.item_text(call.text)
        if cleaned.ok and len(cleaned.text.split()) >= 4:
            await _save_raise(call, step, replace(draft, text=cleaned.text))
            again = (
                _ask_topic(call, RAISE, edit=False)
                if step is RaiseStep.TOPIC
                else _ask_wing(call, RAISE)
            )
            again.edit = False
            return [call.reply("reader.raise.kept"), again]
    if step is not RaiseStep.TEXT:
        return call.reply("agenda.raise.use_buttons")
    cleaned = agenda.item_text(call.text)
    if not cleaned.ok:
        return _text_problem(call, cleaned.problem, len(cleaned.text))
    return await _raise_next(call, replace(draft, text=cleaned.text), edit=False)


def _text_problem(call: Call, problem: str | None, length: int) -> Reply:
    return call.reply(
        TEXT_PROBLEM[problem or "empty"], length=length, least=agenda.TEXT_MIN, most=agenda.TEXT_MAX
    )


def _missing(draft: RaiseDraft) -> RaiseField | None:
    return next((f for f in _RAISE_FIELDS if getattr(draft, f) is None), None)


async def _raise_next(call: Call, draft: RaiseDraft, *, edit: bool = True) -> Result:
    """Ask for the first missing part; when nothing is missing, show the summary."""
    missing = _missing(draft)
    await _save_raise(call, RaiseStep(missing) if missing else RaiseStep.CONFIRM, draft)
    if missing == "topic":
        return _ask_topic(call, RAISE, edit=edit)
    if missing == "wing":
        return _ask_wing(call, RAISE)
    if missing == "text":
        return call.reply(
            "agenda.raise.ask_text", least=agenda.TEXT_MIN, most=agenda.TEXT_MAX, edit=edit
        )
    if missing == "hidden":
        buttons = [
            [call.button("agenda.raise.name_show", RaiseName("show"))],
            [call.button("agenda.raise.name_hide", RaiseName("hide"))],
            [call.button("agenda.cancel", RaiseCancel())],
        ]
        return call.reply("agenda.raise.ask_name", buttons=buttons, edit=edit)
    buttons = [
        [
            call.button("agenda.raise.confirm", RaiseConfirm()),
            call.button("agenda.raise.edit", RaiseEdit()),
        ],
        [call.button("agenda.cancel", RaiseCancel())],
    ]
    return call.reply(
        "agenda.raise.summary",
        buttons=buttons,
        edit=edit,
        topic=_topic(call, draft.topic or ""),
        wing=_wing(call, draft.wing or ""),
        name=call.t("agenda.raise.name_hidden" if draft.hidden else "agenda.raise.name_shown"),
        text=draft.text or "",
    )


async def raise_edit(call: Call, _b: RaiseEdit) -> Result:
    at = RAISE.read(call.state)
    if at is None or at.step is not RaiseStep.CONFIRM:
        return _stale(call)
    buttons = pairs([call.button(_CHANGE[f], RaiseEditField(f)) for f in _RAISE_FIELDS])
    buttons.append([call.button("agenda.raise.back", RaiseEditField("none"))])
    return call.reply("agenda.raise.what_to_change", buttons=buttons, edit=True)


async def raise_edit_field(call: Call, b: RaiseEditField) -> Result:
    at = RAISE.read(call.state)
    if at is None:
        return _stale(call)
    draft = at.draft if b.field == "none" else replace(at.draft, **{b.field: None})
    return await _raise_next(call, draft)


async def raise_confirm(call: Call, _b: RaiseConfirm) -> Result:
    at = RAISE.read(call.state)
    if at is None or at.step is not RaiseStep.CONFIRM or _missing(at.draft) is not None:
        return _stale(call)
    d = at.draft
    draft = Draft(d.topic or "", d.wing or "", d.text or "", bool(d.hidden))
    problem = agenda.check_draft(call.services.settings, draft)
    if problem is not None:
        # The configuration changed under a stored draft: ask for that part again.
        return await _raise_next(call, replace(d, **{_ASK_AGAIN[problem]: None}))
    item = await agenda.raise_item(
        call.tx, call.services.clock, call.services.settings, person=call.me, draft=draft
    )
    await call.end_flow()
    return call.reply("agenda.raise.done", ref=agenda.ref(item.id), edit=True)


async def raise_cancel(call: Call, _b: RaiseCancel | KeyinCancel) -> Result:
    if RAISE.read(call.state) is None and KEYIN.read(call.state) is None:
        return _stale(call)
    await call.end_flow()
    return call.reply("common.cancelled", edit=True)


async def my_items(call: Call) -> Result:
    if call.args:
        return await _show_reference(call, call.args[0])
    return await _my_page(call, 0, edit=False)


async def my_items_page(call: Call, b: MyItemsPage) -> Result:
    return await _my_page(call, b.page, edit=True)


async def _my_page(call: Call, page: int, *, edit: bool) -> Result:
    rows = await agenda.mine(call.tx, call.me, limit=PAGE + 1, offset=page * PAGE)
    if not rows and page == 0:
        buttons = [[call.button("agenda.menu.raise", MenuCommand("raise"))]]
        return call.reply("agenda.mine.none", buttons=buttons, edit=edit)
    if not rows:
        return _stale(call)
    lines = [call.t("agenda.mine.title")]
    for item in rows[:PAGE]:
        lines.append("")
        lines.append(_mine_line(call, item, await _member_status(call, item)))
    nav: list[Button] = []
    if page > 0:
        nav.append(call.button("common.previous", MyItemsPage(page - 1)))
    if len(rows) > PAGE:
        nav.append(call.button("common.next", MyItemsPage(page + 1)))
    return Reply("\n".join(lines), [nav] if nav else [], edit)


async def _member_status(call: Call, item: ItemRow) -> str:
    """Once an item has an outcome, its kind is the status, as "My council record" says it."""
    if item.status in (agenda.ANSWERED, agenda.OUTCOME_POSTED, agenda.CLOSED):
        latest = await outcomes.latest(call.tx, item.id)
        if latest is not None:
            return call.t("reader.status_outcome", kind=kind_word(call, latest.kind))
    return status_word(call, item.status)


def _mine_line(call: Call, item: ItemRow, status: str) -> str:
    line = call.t(
        "agenda.mine.line",
        ref=agenda.ref(item.id),
        topic=_topic(call, item.topic),
        status=status,
        text=excerpt(item.text, 120),
    )
    return line + latest_line(call, item)


async def _show_reference(call: Call, raw: str) -> Result:
    item_id = agenda.parse_ref(raw)
    seen = await agenda.look_up(call.tx, call.me, item_id) if item_id else None
    if seen is None:
        return call.reply("agenda.item.not_found")
    item = seen.item
    if call.me.role in roles.TRIAGE and seen.full:
        return await triage.view(call, item, waiting=None, edit=False)
    text = _item_text(call, item, full=seen.full)
    buttons: list[list[Button]] = []
    if (
        item.status in agenda.OPEN
        and item.submitter_id != call.me.id
        and not seen.supported
        and call.me.role in roles.IN_CUSTODY
    ):
        buttons.append(
            [call.button("agenda.browse.support", Support(item.id), ref=agenda.ref(item.id))]
        )
    return Reply(text, buttons)


def _item_text(call: Call, item: ItemRow, *, full: bool) -> str:
    head = call.t(
        "agenda.item.head",
        ref=agenda.ref(item.id),
        topic=_topic(call, item.topic),
        wing=_wing(call, item.wing),
    )
    lines = [
        head,
        call.t("agenda.item.status", status=status_word(call, item.status)),
        call.t("agenda.item.supporters", count=item.support_count),
        "",
        item.text,
    ]
    if full:
        latest = latest_line(call, item)
        if latest:
            lines.append(latest)
    elif item.answer and item.status in (agenda.ANSWERED, agenda.OUTCOME_POSTED, agenda.CLOSED):
        # A published answer is the item's outcome, for everyone to read.
        lines.append("\n" + call.t("agenda.item.answer", answer=item.answer))
    return "\n".join(lines)


# --- browse and support ---------------------------------------------------------------------


async def browse(call: Call) -> Result:
    if call.args:
        return await _show_reference(call, call.args[0])
    return await _browse_page(call, BrowsePage("w", "n", 0), edit=False)


async def browse_page(call: Call, b: BrowsePage) -> Result:
    return await _browse_page(call, b, edit=True)


async def _browse_page(call: Call, at: BrowsePage, *, edit: bool) -> Result:
    wing = call.me.wing if at.scope == "w" else None
    if at.scope == "w" and wing is None:
        at = BrowsePage("a", at.order, at.page)
    scope, order, page = at.scope, at.order, at.page
    shown = await agenda.browse(
        call.tx, call.me, wing=wing, most_supported=order == "s", page=page, size=PAGE
    )
    title = call.t(
        "agenda.browse.title",
        scope=_wing(call, wing) if wing else call.t("agenda.browse.everywhere"),
        order=call.t("agenda.browse.by_support" if order == "s" else "agenda.browse.by_newest"),
    )
    lines = [title]
    buttons: list[list[Button]] = []
    if not shown.items:
        lines.append(call.t("agenda.browse.none"))
    for item in shown.items:
        mark = ""
        if item.submitter_id == call.me.id:
            mark = " " + call.t("agenda.browse.yours")
        elif item.id in shown.supported:
            mark = " " + call.t("agenda.browse.you_support")
        else:
            buttons.append(
                [
                    call.button(
                        "agenda.browse.support",
                        Support.on_page(item.id, at),
                        ref=agenda.ref(item.id),
                    )
                ]
            )
        lines.append("")
        lines.append(
            call.t(
                "agenda.browse.line",
                ref=agenda.ref(item.id),
                topic=_topic(call, item.topic),
                wing=_wing(call, item.wing),
                count=item.support_count,
                mark=mark,
                text=excerpt(item.text, EXCERPT),
            )
        )
    nav: list[Button] = []
    if page > 0:
        nav.append(call.button("common.previous", BrowsePage(scope, order, page - 1)))
    if shown.more:
        nav.append(call.button("common.next", BrowsePage(scope, order, page + 1)))
    if nav:
        buttons.append(nav)
    other_scope: Literal["w", "a"] = "a" if scope == "w" else "w"
    switches = [
        call.button(
            "agenda.browse.show_all" if other_scope == "a" else "agenda.browse.show_wing",
            BrowsePage(other_scope, order, 0),
        ),
        call.button(
            "agenda.browse.sort_support" if order == "n" else "agenda.browse.sort_newest",
            BrowsePage(scope, "s" if order == "n" else "n", 0),
        ),
    ]
    if call.me.wing is None:
        switches = switches[1:]
    buttons.append(switches)
    return Reply("\n".join(lines), buttons, edit)


async def support(call: Call, b: Support) -> Result:
    result = await agenda.support(call.tx, call.services.clock, person=call.me, item_id=b.item_id)
    call.toast = call.t(_SUPPORTED[result])
    call.toast_alert = result is not Supported.ADDED
    if result is Supported.UNKNOWN or b.back is None:
        return None
    return await _browse_page(call, b.back, edit=True)


# --- the member's reply to a question -------------------------------------------------------


async def reply_start(call: Call, b: ReplyStart) -> Result:
    item_id = b.item_id
    item = await agenda.may_reply(call.tx, call.me, item_id)
    if item is None:
        seen = await agenda.look_up(call.tx, call.me, item_id)
        answered = seen is None or seen.item.info_reply is not None
        if answered or seen is None or seen.item.info_question is None:
            return _stale(call, "agenda.reply.not_waiting")
        if seen.item.submitter_id != call.me.id:
            return _stale(call, "agenda.reply.not_waiting")
        # Staff moved on before the member answered: say so in a message, and still take it.
        await _save_reply(call, ReplyStep.LATE, ReplyDraft(seen.item.id))
        return call.reply(
            "reader.late.moved_on",
            ref=agenda.ref(seen.item.id),
            status=status_word(call, seen.item.status),
        )
    await _save_reply(call, ReplyStep.TEXT, ReplyDraft(item.id))
    return call.reply(
        "agenda.reply.ask", ref=agenda.ref(item.id), question=item.info_question or ""
    )


async def _save_reply(call: Call, step: ReplyStep, draft: ReplyDraft) -> None:
    await REPLY.save(call.tx, call.me.id, step, draft, call.services.clock.now())


async def reply_typed(call: Call) -> Result:
    at = REPLY.read(call.state)
    if at is None:
        return call.reply("common.use_menu")
    cleaned = agenda.note_text(call.text)
    if not cleaned.ok:
        return call.reply(
            NOTE_PROBLEM[cleaned.problem or "empty"], length=len(cleaned.text), most=agenda.NOTE_MAX
        )
    await call.end_flow()
    clock, settings, item_id = call.services.clock, call.services.settings, at.draft.item
    decided = await agenda.reply_info(
        call.tx, clock, settings, person=call.me, item_id=item_id, text=cleaned.text
    )
    if decided.done:
        return call.reply("agenda.reply.done", ref=agenda.ref(item_id))
    # The item moved on while they typed: the words are kept as a note for staff.
    late = await agenda.late_reply(
        call.tx, clock, settings, person=call.me, item_id=item_id, text=cleaned.text
    )
    if not late.done or late.item is None:
        return call.reply("agenda.reply.not_waiting")
    return call.reply(
        "reader.late.kept", ref=agenda.ref(item_id), status=status_word(call, late.item.status)
    )


async def reply_loose(call: Call, b: ReplyLoose) -> Result:
    """Words typed with no step open, which the member now says answer staff's question."""
    at = REPLY.read(call.state)
    if (
        at is None
        or at.step is not ReplyStep.LOOSE
        or b.item_id != at.draft.item
        or at.draft.text is None
    ):
        return _stale(call)
    call.text = at.draft.text
    result = await reply_typed(call)
    if isinstance(result, Reply):
        result.edit = True
    return result


async def reply_loose_drop(call: Call, _b: ReplyLooseDrop) -> Result:
    if REPLY.read(call.state) is None:
        return _stale(call)
    await call.end_flow()
    return call.reply("reader.unexpected.discarded", edit=True)


# --- key in a paper slip --------------------------------------------------------------------


async def keyin_start(call: Call) -> Result:
    await _save_keyin(call, KeyinStep.TOPIC, KeyinDraft())
    return _ask_topic(call, KEYIN, edit=False)


async def keyin_topic(call: Call, b: KeyinTopic) -> Result:
    at = KEYIN.read(call.state)
    settings = call.services.settings
    if at is None or settings.topic(b.topic) is None or b.topic == agenda.COMPLAINT_TOPIC:
        return _stale(call)
    await _save_keyin(call, KeyinStep.WING, replace(at.draft, topic=b.topic))
    return _ask_wing(call, KEYIN)


async def keyin_wing(call: Call, b: KeyinWing) -> Result:
    at = KEYIN.read(call.state)
    if at is None or at.draft.topic is None or call.services.settings.wing(b.wing) is None:
        return _stale(call)
    await _save_keyin(call, KeyinStep.WRITER, replace(at.draft, wing=b.wing))
    buttons = [
        [call.button("reader.keyin.not_given", KeyinNoWriter())],
        [call.button("agenda.cancel", KeyinCancel())],
    ]
    return call.reply("reader.keyin.ask_writer", buttons=buttons, edit=True)


async def keyin_no_writer(call: Call, _b: KeyinNoWriter) -> Result:
    at = KEYIN.read(call.state)
    if at is None or at.step is not KeyinStep.WRITER:
        return _stale(call)
    await _save_keyin(call, KeyinStep.TEXT, replace(at.draft, writer=None))
    return call.reply(
        "agenda.keyin.ask_text", least=agenda.TEXT_MIN, most=agenda.TEXT_MAX, edit=True
    )


async def _keyin_writer(call: Call, draft: KeyinDraft) -> Result:
    person_id = parse_person_ref(call.text)
    writer = await agenda.slip_writer(call.tx, person_id) if person_id is not None else None
    if writer is None:
        return call.reply("reader.keyin.writer_unknown")
    await _save_keyin(call, KeyinStep.TEXT, replace(draft, writer=writer.id))
    return call.reply("agenda.keyin.ask_text", least=agenda.TEXT_MIN, most=agenda.TEXT_MAX)


async def keyin_typed(call: Call) -> Result:
    at = KEYIN.read(call.state)
    if at is None:
        return call.reply("common.use_menu")
    draft = at.draft
    if at.step is KeyinStep.WRITER:
        return await _keyin_writer(call, draft)
    if at.step is KeyinStep.TEXT:
        cleaned = agenda.item_text(call.text)
        if not cleaned.ok:
            return _text_problem(call, cleaned.problem, len(cleaned.text))
        await _save_keyin(call, KeyinStep.REASON, replace(draft, text=cleaned.text))
        return call.reply("agenda.keyin.ask_reason", most=agenda.REASON_MAX)
    if at.step is KeyinStep.REASON:
        cleaned = agenda.reason_text(call.text)
        if not cleaned.ok:
            return call.reply("agenda.keyin.reason_problem", most=agenda.REASON_MAX)
        draft = replace(draft, reason=cleaned.text)
        await _save_keyin(call, KeyinStep.CONFIRM, draft)
        buttons = [
            [
                call.button("agenda.raise.confirm", KeyinConfirm()),
                call.button("agenda.cancel", KeyinCancel()),
            ]
        ]
        writer = draft.writer
        return call.reply(
            "reader.keyin.summary",
            buttons=buttons,
            topic=_topic(call, draft.topic or ""),
            wing=_wing(call, draft.wing or ""),
            writer=person_ref(writer) if writer else call.t("reader.keyin.not_given"),
            reason=cleaned.text,
            text=draft.text or "",
        )
    return call.reply("agenda.raise.use_buttons")


async def keyin_confirm(call: Call, _b: KeyinConfirm) -> Result:
    at = KEYIN.read(call.state)
    if at is None or at.step is not KeyinStep.CONFIRM:
        return _stale(call)
    d = at.draft
    draft = Draft(d.topic or "", d.wing or "", d.text or "", False)
    if agenda.check_draft(call.services.settings, draft) is not None or d.reason is None:
        await call.end_flow()
        return call.reply("agenda.keyin.changed", edit=True)
    item = await agenda.key_in(
        call.tx,
        call.services.clock,
        call.services.settings,
        actor=call.me,
        draft=draft,
        reason=d.reason,
        writer_id=d.writer or None,
    )
    await call.end_flow()
    if item.submitter_id is not None:
        return call.reply(
            "reader.keyin.done_writer",
            ref=agenda.ref(item.id),
            writer=person_ref(item.submitter_id),
            edit=True,
        )
    return call.reply("agenda.keyin.done", ref=agenda.ref(item.id), edit=True)
