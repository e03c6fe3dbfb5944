"""The monthly evidence report drawn: PNG charts (matplotlib, imported on first use only) and
CSV files. The figures, with small counts already withheld, come from bot.council.reports; this
module only draws them."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from bot import i18n
from bot.config import Settings
from bot.council.reports import Report, hidden_mark, month_title, tables

# The most rows a chart shows; the CSV files have them all.
CHART_ROWS = 8


def csv_files(report: Report, settings: Settings, lang: str) -> list[tuple[str, bytes]]:
    """(file name, bytes) per table. UTF-8 with a BOM so spreadsheet programs read Welsh right."""
    files: list[tuple[str, bytes]] = []
    for table in tables(report, settings, lang):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([_safe(cell) for cell in row])
        files.append((f"{table.name}-{report.month.label}.csv", out.getvalue().encode("utf-8-sig")))
    return files


def figures_zip(report: Report, settings: Settings, lang: str) -> tuple[str, bytes]:
    """Every table as a CSV, together in one zip file: one download instead of six."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in csv_files(report, settings, lang):
            archive.writestr(name, data)
    return f"council-report-{report.month.label}.zip", out.getvalue()


def _safe(cell: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs: keep it text.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and not _is_number(cell) else cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# --- charts ------------------------------------------------------------------------------------


def charts(report: Report, settings: Settings, lang: str) -> list[tuple[str, bytes]]:
    """(file name, PNG bytes). An empty month gives one clear "nothing to report" chart."""
    month_name = month_title(report.month, lang)
    if report.empty:
        return [
            (
                f"nothing-{report.month.label}.png",
                _draw_nothing(i18n.t(lang, "outcomes.report.nothing", month=month_name)),
            )
        ]
    t = {name: i18n.t(lang, f"outcomes.chart.{name}") for name in _CHART_WORDS}
    # A withheld count is drawn as a hatched bar up to the threshold, labelled in words.
    mark = i18n.t(lang, "reader.report.fewer_than", count=settings.report_min_cell)
    stub = float(settings.report_min_cell)
    shown = tables(report, settings, lang)
    by_name = {table.name: table for table in shown}
    out: list[tuple[str, bytes]] = []
    for name in ("items_by_topic", "items_by_wing"):
        table = by_name[name]
        rows = list(zip(table.rows[:-1], table.values, strict=True))[:CHART_ROWS]
        out.append(
            (
                f"{name}-{report.month.label}.png",
                _draw_bars(
                    title=f"{t[name]} · {month_name}",
                    labels=[row[1] for row, _ in rows],
                    series=[t["raised"], t["resolved"], t["still_open"]],
                    values=[values for _, values in rows],
                    hidden=mark,
                    nothing=t["nothing"],
                    stub=stub,
                ),
            )
        )
    timing = by_name["timeliness"]
    share_row = timing.rows[2]
    out.append(
        (
            f"timeliness-{report.month.label}.png",
            _draw_bars(
                title=f"{t['timeliness']} · {month_name}",
                labels=[t["to_first_answer"], t["to_outcome"]],
                series=[t["median"], t["p90"]],
                values=timing.values,
                hidden=mark,
                nothing=t["nothing"],
                note=i18n.t(
                    lang,
                    "outcomes.chart.share",
                    share=share_row[2]
                    if share_row[2] == hidden_mark(settings)
                    else f"{share_row[2]}%",
                ),
            ),
        )
    )
    for name, series in (
        ("poll_turnout", [t["turnout"]]),
        ("consultation_participation", [t["took_part"]]),
        ("meeting_attendance", [t["said_going"], t["attended"]]),
    ):
        table = by_name[name]
        if not table.rows:
            continue  # no polls (or consultations, meetings) this month: the CSV says so
        label_column = 1
        rows = list(zip(table.rows, table.values, strict=True))[-CHART_ROWS:]
        out.append(
            (
                f"{name}-{report.month.label}.png",
                _draw_bars(
                    title=f"{t[name]} · {month_name}",
                    labels=[row[label_column] for row, _ in rows],
                    series=series,
                    values=[values for _, values in rows],
                    hidden=mark,
                    nothing=t["nothing"],
                    percent=name == "poll_turnout",
                    stub=stub if name != "poll_turnout" else 10.0,
                ),
            )
        )
    return out


def chart_caption(file_name: str, report: Report, settings: Settings, lang: str) -> str:
    """What a chart shows, in words, for its caption in the album."""
    name = file_name.removesuffix(".png").removesuffix(f"-{report.month.label}")
    month = month_title(report.month, lang)
    message_id = f"reader.report.caption.{name}"
    if not i18n.has(message_id):
        message_id = "reader.report.caption.nothing"
    return i18n.t(lang, message_id, month=month, least=settings.report_min_cell)


_CHART_WORDS = (
    "items_by_topic",
    "items_by_wing",
    "timeliness",
    "poll_turnout",
    "consultation_participation",
    "meeting_attendance",
    "raised",
    "resolved",
    "still_open",
    "to_first_answer",
    "to_outcome",
    "median",
    "p90",
    "turnout",
    "took_part",
    "said_going",
    "attended",
    "nothing",
)


# --- drawing (matplotlib, imported here only) -------------------------------------------------

# Large type for a phone screen; colours that stay apart for colour-blind readers (Okabe-Ito).
_FONT = 20
_COLOURS = ("#0072B2", "#009E73", "#E69F00")
_WIDTH_IN = 9.0


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": _FONT})
    return plt


def _png(plt: Any, figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=80)
    plt.close(figure)
    return out.getvalue()


def _draw_nothing(text: str) -> bytes:
    plt = _pyplot()
    figure = plt.figure(figsize=(_WIDTH_IN, 4.5))
    figure.text(0.5, 0.5, _wrap(text, 28), ha="center", va="center", fontsize=_FONT + 8, wrap=True)
    return _png(plt, figure)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _draw_bars(
    *,
    title: str,
    labels: list[str],
    series: list[str],
    values: list[list[float | None]],
    hidden: str,
    nothing: str,
    note: str | None = None,
    percent: bool = False,
    stub: float = 0.0,
) -> bytes:
    """Horizontal grouped bars, one group per label, the value written at the end of each bar;
    a hidden (small) count has no bar and reads as hidden."""
    plt = _pyplot()
    if not labels:
        figure = plt.figure(figsize=(_WIDTH_IN, 4.5))
        figure.suptitle(_wrap(title, 36), fontsize=_FONT + 2, fontweight="bold")
        figure.text(0.5, 0.45, nothing, ha="center", va="center", fontsize=_FONT + 6)
        return _png(plt, figure)
    groups, per = len(labels), len(series)
    height = 2.2 + groups * (0.55 * per + 0.45) + (0.6 if note else 0) + (0.6 if per > 1 else 0)
    figure, axes = plt.subplots(figsize=(_WIDTH_IN, height))
    bar = 0.8 / per
    top = max([v for row in values for v in row if v is not None] + [stub], default=0.0) or 1.0
    for s, name in enumerate(series):
        colour = _COLOURS[s % 3]
        positions = [g + (s - (per - 1) / 2) * bar for g in range(groups)]
        lengths = [(row[s] if s < len(row) and row[s] is not None else 0.0) for row in values]
        axes.barh(positions, lengths, height=bar * 0.9, color=colour, label=name)
        withheld = [p for p, row in zip(positions, values, strict=True) if row[s] is None]
        if withheld and stub:
            # Hatched, unfilled: "somewhere below this line", never a real length.
            axes.barh(
                withheld,
                [stub] * len(withheld),
                height=bar * 0.9,
                color="white",
                edgecolor=colour,
                hatch="//",
            )
        for position, row in zip(positions, values, strict=True):
            value = row[s] if s < len(row) else None
            text = hidden if value is None else (f"{value:.0f}%" if percent else _number(value))
            at = stub if value is None else value
            axes.text(at + top * 0.01, position, text, va="center", fontsize=_FONT - 2)
    axes.set_yticks(range(groups))
    axes.set_yticklabels([_wrap(label, 18) for label in labels])
    axes.invert_yaxis()
    axes.set_xlim(0, top * 1.6)
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    axes.set_title(_wrap(title, 36), fontsize=_FONT + 2, fontweight="bold", loc="left")
    if per > 1:
        # Under the bars, in one row, so it never covers a bar.
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=per,
            fontsize=_FONT - 4,
            frameon=False,
        )
    if note:
        figure.text(0.02, 0.01, note, fontsize=_FONT - 2)
    figure.tight_layout(rect=(0, 0.05 if note else 0, 1, 1))
    return _png(plt, figure)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
