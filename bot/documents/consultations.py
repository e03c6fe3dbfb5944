"""A closed consultation's responses as a CSV file for staff (one row a response): drawn here
from what bot.council.consultations.responses gathers. Spreadsheet-safe: a cell that would start
like a formula is made plain text."""

from __future__ import annotations

import csv
import io

from bot import i18n
from bot.council.consultations import Responses, group_id


def _cell(text: str) -> str:
    # A cell starting like a formula would run in a spreadsheet: make it plain text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(responses: Responses, lang: str) -> bytes:
    """Every submitted response, one row each, in the gathered (random) order: no ids, no
    times, and a name only where the person chose to give one."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            i18n.t(lang, "consultations.csv_response"),
            i18n.t(lang, "consultations.csv_group"),
            i18n.t(lang, "consultations.csv_name"),
            *(f"{q.position}. {_cell(q.prompt)}" for q in responses.questions),
        ]
    )
    for number, (participant_id, group, name) in enumerate(responses.rows, start=1):
        given = responses.answers.get(participant_id, {})
        cells: list[str] = []
        for question in responses.questions:
            answer = given.get(question.position)
            if answer is None:
                cells.append("")
            elif answer.choice is not None:
                picked = (question.options[i] for i in answer.choice if i < len(question.options))
                cells.append(_cell("; ".join(picked)))
            else:
                cells.append(_cell(answer.answer or ""))
        writer.writerow([number, i18n.t(lang, group_id(group)), _cell(name or ""), *cells])
    return buffer.getvalue().encode("utf-8-sig")
