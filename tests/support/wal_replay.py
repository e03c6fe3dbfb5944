"""Replay a copy of a SQLite database and its write-ahead log commit by commit, the way someone
holding copies of the files would: the attacker's view of what the WAL remembers.

    for state in replay_states(db_copy, wal_copy):
        rows = state.execute("SELECT * FROM poll_elector").fetchall()

Each state is a read-only connection to a private file holding the database as it was right
after one commit in the WAL (state 0 is the database file alone when include_base=True). The WAL
is parsed here, by the format documented at https://www.sqlite.org/fileformat2.html#walformat:
a 32-byte header, then frames of a 24-byte header and one page; a frame whose "database size"
field is not zero ends a commit. Only frames of the current generation (the header's salts) whose
running checksum holds are valid, exactly as SQLite's own recovery reads them; frames left over
from earlier generations are reported by frames() with valid=False, for tests that want them.

A state is exact when the database file copied is the one the WAL's commits were written on
top of. If a checkpoint copied some of those commits into the file before it was copied (SQLite
does one on its own every 1000 pages), the earlier states mix older and newer pages; a test that
wants every commit exact turns automatic checkpoints off (PRAGMA wal_autocheckpoint=0), the
attacker's best case.

Reused by the ballot secrecy test (issue 12), elections (16) and the in-cell channel (15)."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WAL_HEADER = 32
FRAME_HEADER = 24
_MAGICS = (0x377F0682, 0x377F0683)


class WalFormatError(Exception):
    """The file is not a SQLite WAL."""


@dataclass(frozen=True)
class WalHeader:
    big_endian_checksums: bool
    page_size: int
    checkpoint_sequence: int
    salts: tuple[int, int]
    checksum: tuple[int, int]


@dataclass(frozen=True)
class WalFrame:
    index: int  # 0-based position in the file
    page_number: int  # 1-based page of the database this frame replaces
    commit_size: int  # database size in pages after the commit this frame ends; 0 if none
    salts: tuple[int, int]
    valid: bool  # part of the current generation's unbroken checksum chain
    data: bytes  # the page image

    @property
    def is_commit(self) -> bool:
        return self.commit_size != 0


def _checksum(data: bytes, big_endian: bool, s0: int, s1: int) -> tuple[int, int]:
    words = struct.unpack((">" if big_endian else "<") + f"{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def read_header(wal: bytes) -> WalHeader:
    if len(wal) < WAL_HEADER:
        raise WalFormatError("shorter than a WAL header")
    magic, version, page_size, seq, salt1, salt2, c1, c2 = struct.unpack(">8I", wal[:WAL_HEADER])
    if magic not in _MAGICS or version != 3007000:
        raise WalFormatError(f"not a SQLite WAL (magic {magic:#x}, version {version})")
    return WalHeader(bool(magic & 1), page_size, seq, (salt1, salt2), (c1, c2))


def frames(wal: bytes) -> list[WalFrame]:
    """Every frame in the file, valid or not, in file order."""
    if not wal:
        return []
    header = read_header(wal)
    big = header.big_endian_checksums
    s0, s1 = _checksum(wal[:24], big, 0, 0)
    chain_ok = (s0, s1) == header.checksum
    size = FRAME_HEADER + header.page_size
    out: list[WalFrame] = []
    offset, index = WAL_HEADER, 0
    while offset + size <= len(wal):
        page, commit, salt1, salt2, c1, c2 = struct.unpack(
            ">6I", wal[offset : offset + FRAME_HEADER]
        )
        data = wal[offset + FRAME_HEADER : offset + size]
        valid = False
        if chain_ok and (salt1, salt2) == header.salts:
            s0, s1 = _checksum(wal[offset : offset + 8], big, s0, s1)
            s0, s1 = _checksum(data, big, s0, s1)
            valid = (s0, s1) == (c1, c2)
        # Once one frame breaks the chain, nothing after it is part of this generation.
        chain_ok = valid
        out.append(WalFrame(index, page, commit, (salt1, salt2), valid, data))
        offset += size
        index += 1
    return out


def commits(wal: bytes) -> list[list[WalFrame]]:
    """The valid frames grouped by commit, oldest first. Frames after the last commit frame
    (a transaction that never committed) are left out, as SQLite leaves them out."""
    out: list[list[WalFrame]] = []
    pending: list[WalFrame] = []
    for frame in frames(wal):
        if not frame.valid:
            break
        pending.append(frame)
        if frame.is_commit:
            out.append(pending)
            pending = []
    return out


def _page_size(db: bytes) -> int:
    size = struct.unpack(">H", db[16:18])[0]
    return 65536 if size == 1 else size


def replay_states(
    db_copy: Path, wal_copy: Path, *, include_base: bool = False
) -> Iterator[sqlite3.Connection]:
    """Yield a read-only connection to the database after each commit in the WAL, in order.

    The connection yielded last is closed when the next is made (and at the end), so keep what
    you read, not the connection. The input files are only read; each state is written to a
    private temporary directory, switched to rollback-journal mode so SQLite never looks for a
    WAL beside it."""
    base = Path(db_copy).read_bytes()
    wal = Path(wal_copy).read_bytes() if Path(wal_copy).exists() else b""
    page_size = read_header(wal).page_size if wal else _page_size(base)
    pages: dict[int, bytes] = {
        n + 1: base[n * page_size : (n + 1) * page_size] for n in range(len(base) // page_size)
    }
    db_pages = len(pages)
    workdir = Path(tempfile.mkdtemp(prefix="wal-replay-"))
    conn: sqlite3.Connection | None = None
    try:
        groups = commits(wal)
        steps: list[list[WalFrame] | None] = [None] if include_base else []
        steps.extend(groups)
        for number, group in enumerate(steps):
            if group is not None:
                for frame in group:
                    pages[frame.page_number] = frame.data
                db_pages = group[-1].commit_size
            image = bytearray()
            for n in range(1, db_pages + 1):
                image += pages.get(n, bytes(page_size))
            if len(image) >= 20:
                image[18:20] = b"\x01\x01"  # file format: legacy (rollback journal), not WAL
            path = workdir / f"state-{number:05d}.sqlite3"
            path.write_bytes(bytes(image))
            if conn is not None:
                conn.close()
            conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
            conn.row_factory = sqlite3.Row
            yield conn
    finally:
        if conn is not None:
            conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


def copy_files(db_path: Path, dest: Path) -> tuple[Path, Path]:
    """Copy a live database and its -wal (and -shm, as a thief would) into dest, byte for byte,
    without asking SQLite: what `cp` would give someone who can read the data directory."""
    dest.mkdir(parents=True, exist_ok=True)
    db_path = Path(db_path)
    out_db = dest / db_path.name
    shutil.copyfile(db_path, out_db)
    out_wal = dest / (db_path.name + "-wal")
    wal = Path(str(db_path) + "-wal")
    if wal.exists():
        shutil.copyfile(wal, out_wal)
    else:
        out_wal.write_bytes(b"")
    shm = Path(str(db_path) + "-shm")
    if shm.exists():
        shutil.copyfile(shm, dest / (db_path.name + "-shm"))
    return out_db, out_wal
