"""Sealed values: what must stay secret even from someone holding copies of the database files.

An open poll's option counts (and an election's ranked ballots) are kept only as AES-GCM
ciphertext under a key that lives in its own file, outside the database directory and never in
a backup. Every seal uses a fresh random nonce, so every byte of a sealed value changes on every
write whatever was chosen: a copy of the WAL taken between two votes shows that a vote happened
(turnout), never which option it added to. docs/BALLOT_SECRECY.md says what remains."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_MAGIC = b"CBK1"  # key file format marker, so a wrong file is refused with a clear message


class SealError(Exception):
    """A key file or a sealed value that cannot be used; the message says what to do."""


class Sealer:
    """Seals and opens small values. The associated data names what a value is (for example
    b"poll-counts:42"), so a sealed value copied onto another row does not open there."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SealError("the sealing key must be 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return "Sealer(<key hidden>)"

    @classmethod
    def generate(cls) -> Sealer:
        """A throwaway key (tests and the demo database)."""
        return cls(AESGCM.generate_key(bit_length=256))

    @classmethod
    def load_or_create(cls, path: Path) -> Sealer:
        """Read the key file, or create it (mode 0600) on first start. A key file that others
        can read is refused: the key is what keeps open polls secret."""
        path = Path(path)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key = AESGCM.generate_key(bit_length=256)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, _MAGIC + key)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(path, 0o600)  # whatever the umask was
            return cls(key)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SealError(
                f"{path} can be read by other accounts (mode {mode:o}). Run: chmod 600 {path}"
            )
        raw = path.read_bytes()
        if not raw.startswith(_MAGIC) or len(raw) != len(_MAGIC) + KEY_BYTES:
            raise SealError(
                f"{path} is not a council key file. Restore the key file from where you keep it "
                "apart from backups; without it, open polls cannot be counted."
            )
        return cls(raw[len(_MAGIC) :])

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < NONCE_BYTES + 16:
            raise SealError("a sealed value is damaged (too short)")
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise SealError(
                "a sealed value does not open with this key: is this the key file that was in use "
                "when the poll opened?"
            ) from exc

    def seal_json(self, value: Any, aad: bytes) -> bytes:
        return self.seal(json.dumps(value, separators=(",", ":")).encode(), aad)

    def open_json(self, blob: bytes, aad: bytes) -> Any:
        return json.loads(self.open(blob, aad))
