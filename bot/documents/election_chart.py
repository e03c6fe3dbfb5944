"""The count as a chart: each candidate's votes at each stage, one line each, for the report.
matplotlib is imported inside rounds_png only, as for reports: the bot starts without it."""

from __future__ import annotations

from typing import Any

from bot.documents.reports import _png, _pyplot


def rounds_png(result: dict[str, Any], *, title: str, stage_label: str) -> bytes:
    plt = _pyplot()
    names: dict[str, str] = result.get("names", {})
    stages: list[dict[str, Any]] = result.get("stages", [])
    figure, axes = plt.subplots(figsize=(9, 5.5))
    xs = list(range(1, len(stages) + 1))
    for key, name in names.items():
        # A candidate excluded or elected earlier has no figure at later stages: the line stops.
        ys = [stage["votes"].get(key) for stage in stages]
        points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    quota = float(result.get("quota") or 0)
    if quota:
        axes.axhline(quota, linestyle="--", color="grey", linewidth=1)
    axes.set_xticks(xs)
    axes.set_xlabel(stage_label)
    axes.set_title(title, loc="left", fontweight="bold")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="upper left", fontsize=9, frameon=False)
    return _png(plt, figure)
