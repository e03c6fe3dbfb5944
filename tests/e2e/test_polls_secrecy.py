"""Ballot secrecy by construction, checked from the outside: after a scripted poll, nothing the
bot stored or logged puts a voter next to what they chose. And one vote each, under load."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import timedelta
from typing import Any

import pytest

from bot.council import timers
from handlers.callbacks import pack
from tests.e2e.test_polls import add_people, create_poll, tallies, vote
from tests.support.harness import Harness

# Distinctive labels, so finding one in a row or a log line cannot be a coincidence.
SINGLE = ["Apricot Hall", "Bramble Yard", "Cobalt Room", "Damson Wing"]
MULTI = ["Quince Class", "Rowan Course", "Sorrel Club"]
# Who chooses what: elector n picks SINGLE[SINGLE_PLAN[n]] and the MULTI options in MULTI_PLAN[n].
SINGLE_PLAN = [0, 1, 2, 0, 3, 0, 1, 0, 2, 0, 1, 3, 0, 0, 2, 1, 0, 3, 1, 0]
MULTI_PLAN = [(0,), (1, 2), (0, 2), (2,), (0, 1, 2), (1,), (0,), (0, 1), (2,), (1, 2)] * 2
CHOICE_DATA = re.compile(r"1:pl[tcmb]:\d+(?::\d+)?")


class Voter:
    def __init__(self, tg_id: int, person_id: int, single: str, multi: list[str]) -> None:
        self.tg_id = tg_id
        self.person_id = person_id
        self.single = single
        self.multi = multi

    def named_in_text(self, text: str) -> bool:
        """Does free text (a log line, a key, a JSON cell) point at this voter?"""
        pid = self.person_id
        return (
            str(self.tg_id) in text
            or f"P-{pid:04d}" in text
            or re.search(rf"(?:ballot|soon|result|person|voter|elector)[\s:=_\"]*{pid}\b", text)
            is not None
        )

    def named_in_row(self, table: str, row: dict[str, Any]) -> bool:
        for column, value in row.items():
            if value is None:
                continue
            if (
                column.endswith("person_id") or column in ("actor_id", "created_by", "used_by")
            ) and (value == self.person_id):
                return True
            if table == "person" and column == "id" and value == self.person_id:
                return True
            if column in ("tg_user_id", "chat_id") and value == self.tg_id:
                return True
            if isinstance(value, str) and (
                self.named_in_text(value) or re.search(rf":{self.person_id}$", value)
            ):
                return True
        return False


def _labels_in(text: str, labels: list[str]) -> set[str]:
    return {label for label in labels if label in text}


async def _dump(h: Harness) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, all columns."""
    tables = await h.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {t["name"]: await h.rows(f'SELECT * FROM "{t["name"]}"') for t in tables}


async def test_nothing_stored_or_logged_links_a_voter_to_a_choice(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    staff = await h.join("staff", wing=None)
    users = [await h.join("member", wing="ab"[n % 2]) for n in range(20)]
    single_id = await create_poll(h, staff, "Where should the forum meet?", SINGLE)
    multi_id = await create_poll(h, staff, "Which sessions?", MULTI, multiple=True)
    await h.deliver()
    voters: list[Voter] = []
    for n, user in enumerate(users):
        person = await h.person(user)
        assert person is not None
        voter = Voter(user, person.id, SINGLE[SINGLE_PLAN[n]], [MULTI[i] for i in MULTI_PLAN[n]])
        voters.append(voter)
        # Each ballot is its own message: vote on the single-choice one, then the other.
        await h.tg.press(user, voter.single)
        await h.tg.press(user, "Yes, cast my vote")
        await vote(h, user, voter.multi, multiple=True)
    h.clock.advance(timedelta(days=1))
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()

    # The published counts are exact.
    single_counts = [SINGLE_PLAN.count(i) for i in range(len(SINGLE))]
    multi_counts = [sum(i in plan for plan in MULTI_PLAN) for i in range(len(MULTI))]
    assert await tallies(h, single_id) == single_counts == [9, 5, 3, 3]
    assert await tallies(h, multi_id) == multi_counts == [10, 10, 12]
    results = [t for t in h.tg.texts(users[0]) if t.startswith("Poll results")]
    assert "Apricot Hall: 9 (45%)\nBramble Yard: 5 (25%)\nCobalt Room: 3 (15%)" in results[0]
    assert "Quince Class: 10 (50%)\nRowan Course: 10 (50%)\nSorrel Club: 12 (60%)" in results[1]
    assert "Turnout: 20 of 20 people voted (100%)." in results[0]

    ballot_data = {
        single_id: {pack("plt", single_id, 1 << i) for i in range(len(SINGLE))},
        multi_id: {pack("plm", multi_id, 1 << i) for i in range(len(MULTI))}
        | {pack("plt", multi_id, 0)},
    }
    every_ballot = set().union(*ballot_data.values())

    # 1. Every row of every table.
    dump = await _dump(h)
    assert "poll_option" in dump and "poll_elector" in dump
    checked = 0
    for table, rows in dump.items():
        for row in rows:
            text = json.dumps(row, ensure_ascii=False, default=str)
            for voter in voters:
                if not voter.named_in_row(table, row):
                    continue
                checked += 1
                # A row naming a voter may list a poll's options only as a whole (a ballot or
                # the results, the same for every elector), never some of them.
                for labels in (SINGLE, MULTI):
                    found = _labels_in(text, labels)
                    assert found in (set(), set(labels)), (table, row)
                # Likewise button data: the whole ballot or nothing; a selection never.
                data = set(CHOICE_DATA.findall(text))
                assert data <= every_ballot, (table, row)
                assert all(data & d in (set(), d) for d in ballot_data.values()), (table, row)
                assert not re.search(r'"(choice|choices|option_index|mask|selection)"', text)
    assert checked >= 20 * 4  # each voter: person, electors, ballots, results at least

    # The tables that hold votes name nobody, and the electorate holds no choice and no time.
    assert set(dump["poll_elector"][0]) == {"poll_id", "person_id", "voted"}
    assert set(dump["poll_option"][0]) == {"poll_id", "option_index", "label", "votes"}

    # 2. Every outbox row: what a voter was sent is the same whatever they chose.
    by_reason: dict[str, set[str]] = {}
    for row in dump["outbox"]:
        if not row["key"].startswith("poll:"):
            continue
        reason = re.sub(r":\d+$", ":*", row["key"])
        shape = json.dumps([row["message"], row["params"], row["buttons"], row["expires_at"]])
        by_reason.setdefault(reason, set()).add(shape)
    assert by_reason and all(len(shapes) == 1 for shapes in by_reason.values()), by_reason

    # 3. Every log line, from every logger, at DEBUG.
    lines = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert len(lines) > 100  # the libraries did log at DEBUG: the check below is not empty
    for line in lines:
        assert not _labels_in(line, SINGLE + MULTI), line
        assert not CHOICE_DATA.search(line), line
        for voter in voters:
            if voter.named_in_text(line):
                assert "1:pl" not in line and "mask" not in line, line

    # 4. Nothing audited names a choice, and the voter's chat no longer shows it.
    for row in dump["audit_log"]:
        assert not _labels_in(json.dumps(row), SINGLE + MULTI)
    for user in users:
        assert not any("You chose" in t for t in h.tg.texts(user))


async def test_fifty_presses_of_one_confirm_at_once_count_once(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    member = await h.join("member")
    poll_id = await create_poll(h, staff, "Fifty presses?", ["Yes", "No"])
    await h.deliver()
    await h.tg.press(member, "No")
    message = next(m for m in reversed(h.double.chat(member)) if m.buttons)
    await asyncio.gather(
        *(h.tg.press_data(member, message.message_id, pack("plc", poll_id, 2)) for _ in range(50))
    )
    assert await tallies(h, poll_id) == [0, 1]
    voted = await h.rows("SELECT COUNT(*) AS n FROM poll_elector WHERE voted = 1")
    assert voted[0]["n"] == 1
    answers = [a.text for a in h.double.answers if a.user_id == member]
    assert answers.count("You have already voted.") == 49
    assert h.tg.last_text(member).endswith(
        "Your vote is recorded. Nobody, staff included, can see how you voted."
    )


async def test_three_hundred_electors_voting_at_once_give_exact_counts(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    users = await add_people(h, 300)
    poll_id = await create_poll(h, staff, "Three hundred?", ["One", "Two", "Three"])
    assert await h.deliver() == 300
    messages = {u: h.double.last(u).message_id for u in users}  # type: ignore[union-attr]
    await asyncio.gather(
        *(
            h.tg.press_data(user, messages[user], pack("plc", poll_id, 1 << (n % 3)))
            for n, user in enumerate(users)
        )
    )
    assert await tallies(h, poll_id) == [100, 100, 100]
    voted = await h.rows("SELECT COUNT(*) AS n FROM poll_elector WHERE voted = 1")
    assert voted[0]["n"] == 300
    await h.tg.send(staff, "/polls")
    assert "300 of 300 have voted (100%)" in h.tg.last_text(staff)
