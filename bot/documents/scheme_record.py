""" "Print my record" drawn: one A4 page in the person's language, for a parole dossier or a
job application. bot.council.scheme_record gathers what it shows; this module only draws it.

Drawn like the board (bot/documents/board.py): fpdf2, DejaVu Sans from matplotlib's package so
Welsh letters print on any server, fpdf2 imported inside render() only."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date

from bot import i18n
from bot.council.scheme_record import Page
from bot.documents.fonts import font_dir


def _day(day: date, lang: str) -> str:
    return format_date(day, "d MMMM y", locale=lang)


def render(page: Page, lang: str) -> bytes:
    """The PDF. Pure CPU: call it outside any transaction. Kept to one page: the roles listed
    are the latest that fit (a long history is summed in the hours line)."""
    from fpdf import FPDF

    def t(message_id: str, **params: Any) -> str:
        return i18n.t(lang, message_id, **params)

    fonts = font_dir()
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{page.establishment}: {t('schemes.pdf.title')}")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    width = pdf.epw

    def lines(h: float, text: str, align: str = "L") -> None:
        pdf.multi_cell(width, h, text, align=align, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("DejaVu", "B", 22)
    lines(11, page.establishment, align="C")
    pdf.set_font("DejaVu", "B", 18)
    lines(10, t("schemes.pdf.title"), align="C")
    pdf.set_font("DejaVu", "", 12)
    lines(7, t("schemes.pdf.made_on", day=_day(page.made_on, lang)), align="C")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 13)
    who = f"{page.label} ({page.ref})" if page.label else page.ref
    lines(7, t("schemes.pdf.person", who=who))

    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 15)
    lines(8, t("schemes.pdf.council"))
    pdf.set_font("DejaVu", "", 12)
    role = t(f"outcomes.record.role_{page.council_role}")
    if page.since is not None:
        lines(6.5, t("schemes.pdf.council_since", role=role, day=_day(page.since, lang)))
    lines(6.5, t("outcomes.record.meetings", count=page.meetings))
    lines(6.5, t("outcomes.record.items", count=page.items))
    lines(6.5, t("outcomes.record.consultations", count=page.consultations))

    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 15)
    lines(8, t("schemes.pdf.schemes"))
    pdf.set_font("DejaVu", "", 12)
    if not page.roles:
        lines(6.5, t("schemes.record.none"))
    shown = page.roles[-8:]  # one page: the latest roles
    for entry in shown:
        name = entry.scheme.get(lang) or entry.scheme.get("en", "")
        pdf.set_font("DejaVu", "B", 12)
        when = _day(entry.started_on, lang)
        if entry.ended_on is not None:
            when = f"{when} – {_day(entry.ended_on, lang)}"
        lines(6.5, f"{name}: {when}")
        pdf.set_font("DejaVu", "", 12)
        training = entry.training
        if entry.trained_on is not None:
            training = f"{training} ({_day(entry.trained_on, lang)})"
        lines(6.5, t("schemes.pdf.training", training=training))
        lines(6.5, t("schemes.record.hours", hours=f"{entry.hours:g}"))
    total = sum(r.hours for r in page.roles)
    pdf.ln(2)
    lines(6.5, t("schemes.pdf.total_hours", hours=f"{total:g}"))

    pdf.set_y(-45)
    pdf.set_font("DejaVu", "", 12)
    checked = page.checked_by or t("schemes.pdf.not_checked")
    lines(6.5, t("schemes.pdf.checked_by", name=checked))
    lines(6.5, t("schemes.pdf.footer", establishment=page.establishment))
    return bytes(pdf.output())


def file_name(page: Page) -> str:
    return f"record-{page.ref.lower()}-{page.made_on.isoformat()}.pdf"
