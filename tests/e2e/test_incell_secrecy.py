"""Ballot secrecy in the channel's own file: a member votes through the page, and no copy of the
channel's database or its WAL, taken while choosing or after the vote, holds the "You chose ...
Confirm?" step or its button data, replayed commit by commit (tests/support/wal_replay.py)."""

from __future__ import annotations

from pathlib import Path

from bot import i18n
from bot.local import ChannelStore
from tests.e2e.test_local_bot import SAM, start_local
from tests.support.wal_replay import copy_files, frames, replay_states

QUESTION = "Which evening should the gym stay open later?"  # the demo's open poll
CHOSE = "You chose:"
CONFIRM_DATA = b":plc:"  # the Confirm button's callback data carries the selection


def what_a_copy_holds(store_path: Path, dest: Path) -> tuple[bytes, list[str]]:
    """Every byte of a copy of the file and its WAL (old frames too), and every message text
    and keyboard in every state the WAL replays to."""
    db_copy, wal_copy = copy_files(store_path, dest)
    raw = db_copy.read_bytes() + b"".join(f.data for f in frames(wal_copy.read_bytes()))
    seen: list[str] = []
    for state in replay_states(db_copy, wal_copy, include_base=True):
        if not state.execute("SELECT 1 FROM sqlite_master WHERE name = 'message'").fetchone():
            continue  # before the first commit made the table
        for row in state.execute("SELECT text, COALESCE(markup, '') AS markup FROM message"):
            seen.append(f"{row['text']}\n{row['markup']}")
    return raw, seen


def file_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_the_confirm_step_never_reaches_the_channels_file(tmp_path: Path) -> None:
    async with start_local(tmp_path) as local:
        store_path = Path(local.channel.store.path)
        await local.seen(SAM, lambda text: text.startswith("New secret poll:"))
        await local.press(SAM, "Wednesday")
        await local.seen(SAM, lambda text: CHOSE in text)
        # While choosing: the page shows the choice, the file does not hold it.
        raw, states = what_a_copy_holds(store_path, tmp_path / "while-choosing")
        assert QUESTION.encode() in raw  # the ballot itself is there (the same for everyone)
        assert CHOSE.encode() not in raw and CONFIRM_DATA not in raw
        assert not any(CHOSE in s or ":plc:" in s for s in states)

        await local.press(SAM, i18n.t("en", "polls.confirm"))
        recorded = i18n.t("en", "polls.recorded").splitlines()[0]
        await local.seen(SAM, lambda text: recorded in text)
        raw, states = what_a_copy_holds(store_path, tmp_path / "after-voting")
        assert recorded.encode() in raw  # the settled state is written, over the ballot
        assert CHOSE.encode() not in raw and CONFIRM_DATA not in raw
        assert not any(CHOSE in s or ":plc:" in s for s in states)
        # The file is the bot's user's alone.
        assert file_mode(store_path) == 0o600

    # After a restart the chat shows the settled message.
    store = ChannelStore(store_path)
    try:
        texts = [m.text for m in store.history(SAM)]
        assert any(recorded in t for t in texts)
        assert not any(CHOSE in t for t in texts)
    finally:
        store.close()
