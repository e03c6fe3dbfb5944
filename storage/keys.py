"""Key prefixes as index ranges: `key LIKE 'p%'` cannot use an index, a range can."""

from __future__ import annotations


def key_range(prefix: str) -> tuple[str, str]:
    """(low, high) such that `key >= low AND key < high` holds exactly the keys starting with
    prefix (SQLite's default BINARY collation compares code points, as Python does)."""
    if not prefix:
        raise ValueError("an empty prefix would select every key")
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
