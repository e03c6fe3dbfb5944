"""docs/PERFORMANCE.md cannot contradict itself: one table holds every benchmark's last line, each
target is checked against that line, and older figures appear only in blocks marked history.

This reads the document; it never runs a benchmark (they take minutes) and never times anything.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

DOC = ROOT / "docs" / "PERFORMANCE.md"
BENCH = ROOT / "bench"
HEADER = "| benchmark | issue | command | last line printed | targets | met |"
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_TARGET = re.compile(r"`(\w+) (<=|>=|==|<|>) ([^`]+)`")
# Keys a benchmark builds from a name (bench/scale.py: f"{name}_growth").
_SUFFIXES = ("_growth", "_ms_1x", "_ms_10x")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table() -> tuple[list[list[str]], set[int]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    starts = [n for n, line in enumerate(lines) if line.strip() == HEADER]
    assert len(starts) == 1, f"docs/PERFORMANCE.md needs exactly one table headed {HEADER}"
    rows, used = [], set(range(starts[0], starts[0] + 2))
    for n in range(starts[0] + 2, len(lines)):
        if not lines[n].startswith("|"):
            break
        rows.append(_cells(lines[n]))
        used.add(n)
    return rows, used


def _value(figures: dict[str, object], value: str) -> object:
    """A number, true/false, or another key of the same line (`sent == expected`)."""
    value = value.strip()
    return figures[value] if value in figures else json.loads(value)


def test_every_benchmark_has_one_row_and_its_targets_agree_with_its_figures() -> None:
    rows, _ = _table()
    scripts = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))
    named = []
    for row in rows:
        assert len(row) == 6, f"a row needs 6 cells: {row}"
        _bench, _issue, command, last_line, targets, met = row
        script = re.search(r"bench/(\w+\.py)", command)
        assert script, f"no bench/<name>.py in the command: {command}"
        named.append(script.group(1))
        figures = json.loads(last_line.strip("`"))
        assert isinstance(figures, dict)
        source = (BENCH / script.group(1)).read_text(encoding="utf-8")
        for key in figures:
            stem = next((key[: -len(s)] for s in _SUFFIXES if key.endswith(s)), key)
            assert f'"{key}"' in source or f'"{stem}"' in source, (
                f"{script.group(1)} prints no key {key!r}: the row is not its last line"
            )
        checks = _TARGET.findall(targets)
        if not checks:
            assert met == "-", f"{script.group(1)}: no target, so met must be '-'"
            continue
        results = []
        for key, op, value in checks:
            assert key in figures, f"{script.group(1)}: target on {key!r}, not in the last line"
            results.append(_OPS[op](figures[key], _value(figures, value)))
        expected = "yes" if all(results) else "no"
        assert met.split()[0].strip(",:;") == expected, (
            f"{script.group(1)}: the figures say {expected!r} but the table says {met!r}"
        )
    assert sorted(named) == scripts, "every benchmark in bench/ has exactly one row"


def test_no_other_figures_outside_the_table_except_history() -> None:
    _, used = _table()
    in_history = in_fence = False
    for n, line in enumerate(DOC.read_text(encoding="utf-8").splitlines()):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_history = not in_fence and stripped == "```history"
            in_fence = not in_fence
            continue
        if n in used or in_history:
            continue
        assert not re.search(r'\{"\w+": ', line), (
            f"docs/PERFORMANCE.md line {n + 1} restates figures outside the table: put the"
            " current figures in the table and older runs in a ```history block"
        )


def test_the_table_parses_the_targets_it_shows() -> None:
    # The check above can fail: a wrong 'met' cell is caught.
    figures: dict[str, object] = {"ratio": 0.8, "sent": 9, "expected": 10}
    key, op, value = _TARGET.findall("`ratio >= 0.9`")[0]
    assert not _OPS[op](figures[key], _value(figures, value))
    key, op, value = _TARGET.findall("`sent == expected`")[0]
    assert not _OPS[op](figures[key], _value(figures, value))
    assert Path(DOC).exists()
