"""The printable "you said, we did" board drawn: an A4 PDF for one wing or the whole
establishment, in English and Welsh, large clear type, for notice boards (most people in custody
have no device). bot.council.board gathers what it shows; this module only draws it.

The font is DejaVu Sans from inside matplotlib's own package, so Welsh letters (ŵ, ŷ, â...) print
on any server without system fonts. fpdf2 is imported inside render() only (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from babel.dates import format_date

from bot import i18n
from bot.council.board import Board
from bot.documents.fonts import font_dir

BOTH = ("en", "cy")


def _both(message_id: str, **params: Any) -> str:
    return " / ".join(i18n.t(lang, message_id, **params) for lang in BOTH)


def _both_labels(labels: dict[str, str]) -> str:
    en, cy = labels.get("en", ""), labels.get("cy") or labels.get("en", "")
    return en if en == cy else f"{en} / {cy}"


def _both_days(day: date) -> str:
    return " / ".join(format_date(day, "d MMMM y", locale=lang) for lang in BOTH)


def render(board: Board) -> bytes:
    """The PDF. Pure CPU: call it outside any transaction when you can."""
    from fpdf import FPDF

    # fontTools logs a dozen INFO lines per font it subsets: one board would fill the log.
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    fonts = font_dir()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{board.establishment}: {_both('outcomes.pdf.title')}")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=20)
    page_words = _both("outcomes.pdf.page")

    def footer() -> None:
        pdf.set_y(-15)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 8, f"{page_words} {pdf.page_no()}", align="C")

    pdf.footer = footer  # type: ignore[method-assign]

    def lines(w: float, h: float, text: str, align: str = "L") -> None:
        # Each block starts again at the left margin, under the one before.
        pdf.multi_cell(w, h, text, align=align, new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    width = pdf.epw

    pdf.set_font("DejaVu", "B", 26)
    lines(width, 12, board.establishment, align="C")
    pdf.set_font("DejaVu", "B", 22)
    lines(width, 11, _both("outcomes.pdf.title"), align="C")
    pdf.set_font("DejaVu", "", 16)
    where = _both_labels(board.wing) if board.wing is not None else _both("outcomes.pdf.everyone")
    lines(width, 9, where, align="C")
    lines(width, 9, _both_days(board.made_on), align="C")
    pdf.ln(4)

    if not board.entries:
        pdf.ln(20)
        pdf.set_font("DejaVu", "B", 20)
        lines(width, 11, _both("outcomes.pdf.empty"), align="C")
        return bytes(pdf.output())

    said_words, did_words = _both("outcomes.pdf.said"), _both("outcomes.pdf.did")
    for entry in board.entries:
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.set_draw_color(60, 60, 60)
        pdf.set_line_width(0.6)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 17)
        lines(
            width,
            8,
            f"{entry.ref} · {_both_labels(entry.topic)} · {_both_labels(entry.wing)}",
        )
        pdf.set_font("DejaVu", "B", 16)
        lines(width, 8, _both(f"outcomes.kind.{entry.kind}"))
        pdf.set_font("DejaVu", "", 14)
        lines(width, 7, f"{said_words}: {entry.said}")
        pdf.set_font("DejaVu", "", 15)
        lines(width, 7.5, f"{did_words}: {entry.did}")
        if entry.reason:
            lines(width, 7.5, f"{_both('outcomes.pdf.reason')}: {entry.reason}")
        if entry.follow_up_on is not None:
            lines(width, 7.5, f"{_both('outcomes.pdf.owner')}: {entry.owner}")
            lines(
                width,
                7.5,
                f"{_both('outcomes.pdf.next_check')}: {_both_days(entry.follow_up_on)}",
            )
        pdf.ln(4)
    return bytes(pdf.output())


def file_name(board: Board) -> str:
    where = "all" if board.wing is None else board.wing.get("en", "wing").replace(" ", "-")
    return f"board-{where.lower()}-{board.made_on.isoformat()}.pdf"
