"""Files only the bot's own account can read: the data directory 0700, every data file 0600
(database, WAL, shm, backups, the local channel's database), whatever the umask. A database or
key file that others can already read is refused at start with the chmod that fixes it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Create a directory 0700. One that exists already keeps its mode: it may be shared (e.g.
    /var/lib), and what matters is that each file in it is 0600."""
    if not path.exists():
        path.mkdir(parents=True, mode=PRIVATE_DIR)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create an empty file 0600 if there is none, so whatever writes it next (SQLite, a backup)
    writes into a file nobody else can read; SQLite gives the -wal and -shm the same mode."""
    private_dir(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        os.close(fd)
    os.chmod(path, PRIVATE_FILE)


def tighten(path: Path) -> None:
    """chmod 600 a file the bot made, if it exists."""
    if path.exists():
        os.chmod(path, PRIVATE_FILE)


def readable_by_others(path: Path) -> bool:
    return path.exists() and bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def exposed(paths: list[Path]) -> str | None:
    """One line naming the files that other accounts can read and the chmod to run, or None."""
    found = [p for p in paths if readable_by_others(p)]
    if not found:
        return None
    names = " ".join(str(p) for p in found)
    return f"{names} can be read by other accounts on this machine. Run: chmod 600 {names}"
