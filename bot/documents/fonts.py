"""Fonts for the printed documents: DejaVu Sans from inside matplotlib's own package, so Welsh
letters (ŵ, ŷ, â...) print on any server without system fonts."""

from __future__ import annotations

from pathlib import Path


def font_dir() -> Path:
    """matplotlib's bundled DejaVu fonts (found without importing matplotlib itself)."""
    from importlib.util import find_spec

    spec = find_spec("matplotlib")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib is not installed: pip install -e . installs it")
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
