"""How an agenda item reads wherever it is shown (follow, browse, triage): its status in the
member's words and the latest thing the council said about it."""

from __future__ import annotations

from bot.council import agenda, outcomes, text
from bot.council.agenda import ItemRow
from handlers.base import Call
from handlers.labels import Ids

STATUS = agenda.STATUS_IDS
STAFF_STATUS = agenda.STAFF_STATUS_IDS
KIND = outcomes.KIND_IDS
TEXT_PROBLEM = Ids("agenda.text.{}", text.PROBLEMS)
NOTE_PROBLEM = Ids("agenda.note.{}", text.PROBLEMS)


def status_word(call: Call, status: str) -> str:
    """The status as members read it. Every status has its id (tests/e2e/test_agenda.py checks)."""
    return call.t(STATUS[status])


def staff_status_word(call: Call, status: str) -> str:
    """The status as staff read it, in triage and when posting an outcome."""
    return call.t(STAFF_STATUS[status])


def kind_word(call: Call, kind: str) -> str:
    """An outcome's kind: resolved, partly, not possible, in progress."""
    return call.t(KIND[kind])


def latest_line(call: Call, item: ItemRow) -> str:
    """The latest thing the council said to the submitter about the item."""
    if item.status == agenda.NEEDS_INFO and item.info_question:
        return "\n" + call.t("agenda.item.question", question=item.info_question)
    if item.status == agenda.MERGED and item.merged_into:
        return "\n" + call.t("agenda.item.merged_into", target=agenda.ref(item.merged_into))
    if item.status == agenda.DECLINED and item.answer:
        return "\n" + call.t("agenda.item.reason", reason=item.answer)
    if item.answer:
        return "\n" + call.t("agenda.item.answer", answer=item.answer)
    return ""
