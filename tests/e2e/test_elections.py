"""Elections end to end through the real Application: calling, standing, withdrawing, ranked
voting, the paper register, ballot boxes keyed in with a second person, the count, results,
terms; and the refusals. (Secrecy and the WAL replay: tests/e2e/test_elections_secrecy.py.)"""

from __future__ import annotations

from datetime import timedelta

from bot.council import timers
from handlers.callbacks import pack
from storage import people
from tests.support.harness import Harness

RECORDED = "Your vote is recorded. Nobody, staff included, can see how you voted."
ORD = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}


async def add_members(h: Harness, wing: str, names: list[str]) -> dict[str, int]:
    """Members with known labels (the name on the ballot), straight into storage."""
    out: dict[str, int] = {}
    async with h.db.transaction() as tx:
        for name in names:
            user_id = h.new_user()
            await people.upsert_member(
                tx,
                tg_user_id=user_id,
                role="member",
                wing=wing,
                label=name,
                language="en",
                now=h.clock.now(),
            )
            out[name] = user_id
    return out


async def pid(h: Harness, user_id: int) -> int:
    person = await h.person(user_id)
    assert person is not None
    return person.id


async def fire(h: Harness, delta: timedelta) -> None:
    h.clock.advance(delta)
    await timers.fire_due(h.db, h.clock, h.settings)
    await h.deliver()


async def call_two_wing_election(h: Harness, staff: int, *, seconders: str = "0") -> int:
    await h.tg.send(staff, "/newelection")
    await h.tg.send(staff, "A wing rep")
    await h.tg.press(staff, "2")
    await h.tg.press(staff, "A wing")
    await h.tg.press(staff, "Add another office")
    await h.tg.send(staff, "B wing rep")
    await h.tg.press(staff, "1")
    await h.tg.press(staff, "B wing")
    await h.tg.press(staff, "Go on")
    await h.tg.press(staff, seconders)
    await h.tg.press(staff, "3 days")
    await h.tg.press(staff, "3 days")
    preview = h.tg.last_text(staff)
    assert "A wing rep: 2 seats, elected by A wing (single transferable vote)" in preview
    assert "B wing rep: 1 seat, elected by B wing (instant runoff)" in preview
    assert "Publish it? It goes to " in preview
    await h.tg.press(staff, "Publish the election")
    rows = await h.rows("SELECT MAX(id) AS id FROM election")
    return int(rows[0]["id"])


async def offices(h: Harness, election_id: int) -> dict[str, int]:
    rows = await h.rows("SELECT id, name FROM office WHERE election_id = ?", (election_id,))
    return {r["name"]: r["id"] for r in rows}


async def stand(h: Harness, user_id: int, office: str, statement: str) -> None:
    await h.tg.send(user_id, "/elections")
    await h.tg.press(user_id, f"Stand for {office}")
    await h.tg.send(user_id, statement)
    await h.tg.press(user_id, "Yes, I stand")
    assert h.tg.last_text(user_id) == "You are a candidate. Your statement is on the ballot."


async def rank(h: Harness, user_id: int, names: list[str], *, confirm: str) -> None:
    for place, name in enumerate(names, start=1):
        await h.tg.press(user_id, f"{ORD[place]}: {name}")
    await h.tg.press(user_id, "That's all")
    await h.tg.press(user_id, confirm)


async def vote(h: Harness, user_id: int, names: list[str]) -> None:
    await h.tg.press(user_id, "Vote")
    await rank(h, user_id, names, confirm="Yes, cast my vote")
    assert RECORDED in h.tg.texts(user_id)


async def mark_register(h: Harness, staff: int, election_id: int, office: str, user_id: int) -> str:
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    await h.tg.press(staff, f"Paper register: {office}")
    await h.tg.send(staff, f"P-{await pid(h, user_id):04d}")
    await h.tg.press(staff, "Yes, mark the register")
    return h.tg.last_text(staff)


def last_id(h: Harness, user_id: int) -> int:
    message = h.double.last(user_id)
    assert message is not None
    return message.message_id


def texts(h: Harness, user_id: int) -> str:
    return "\n".join(h.tg.texts(user_id))


# Known rankings. A wing (2 seats, STV, quota 9 of 25): A1 is elected at once with 12; their
# surplus of 3 goes to A3, who then reaches the quota. A2 leads A3 on first preferences.
A_ONLINE = [["A1", "A3"]] * 12 + [["A2"]] * 4 + [["A3", "A2"]] * 4
A_PAPER = [["A2", "A1"]] * 3 + [["A3"]] * 2
# B wing (1 seat, IRV, 25 votes): B1 10, B2 7, B3 8; B2 goes out and B3 wins 15 to 10.
B_ONLINE = [["B1"]] * 8 + [["B2", "B3"]] * 7 + [["B3", "B2"]] * 5
B_PAPER = [["B3", "B2"]] * 3 + [["B1"]] * 2


async def test_a_whole_election_for_two_wings(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    a = await add_members(h, "a", [f"A{i}" for i in range(1, 26)])
    b = await add_members(h, "b", [f"B{i}" for i in range(1, 26)])
    election_id = await call_two_wing_election(h, staff)
    assert h.tg.last_text(staff) == "The election is published. 50 people can vote."
    audit = await h.rows("SELECT * FROM audit_log WHERE action = 'election.call'")
    assert len(audit) == 1
    office = await offices(h, election_id)
    await h.deliver()
    assert "An election has been called." in texts(h, a["A1"])
    assert "A wing rep" in texts(h, a["A1"]) and "B wing rep" not in texts(h, a["A1"])

    # Nominations: A1..A4 and B1..B3 stand; A4 withdraws; refusals change nothing.
    for name in ("A1", "A2", "A3", "A4"):
        await stand(
            h, a[name], "A wing rep", f"I am {name}. I will take your issues to the council."
        )
    for name in ("B1", "B2", "B3"):
        await stand(h, b[name], "B wing rep", f"Vote {name} for a better B wing.")
    await h.tg.send(a["A4"], "/elections")
    await h.tg.press(a["A4"], "Withdraw: A wing rep")
    await h.tg.press(a["A4"], "Yes, withdraw")
    assert h.tg.last_text(a["A4"]) == "You have withdrawn."
    # Twice, another wing's office (forged), 501 characters, empty, only emoji.
    await h.tg.press_data(a["A1"], last_id(h, a["A1"]), pack("esd", office["A wing rep"]))
    assert h.tg.answer_for(a["A1"]) == "You have already stood for this office."
    await h.tg.press_data(a["A5"], last_id(h, a["A5"]), pack("esd", office["B wing rep"]))
    assert h.tg.answer_for(a["A5"]) == "You can only stand for an office you can vote for."
    await h.tg.send(a["A5"], "/elections")
    await h.tg.press(a["A5"], "Stand for A wing rep")
    await h.tg.send(a["A5"], "x" * 501)
    assert h.tg.last_text(a["A5"]) == "That is 501 characters. Please keep it to 500."
    for bad in ("   ", "😀🎉👍"):
        await h.tg.send(a["A5"], bad)
        assert (
            h.tg.last_text(a["A5"]) == "Please type a statement with words, up to 500 characters."
        )
    await h.tg.send(a["A5"], "/cancel")
    standing = await h.rows("SELECT name, status FROM candidate ORDER BY id")
    assert [(r["name"], r["status"]) for r in standing] == [
        ("A1", "standing"),
        ("A2", "standing"),
        ("A3", "standing"),
        ("A4", "withdrawn"),
        ("B1", "standing"),
        ("B2", "standing"),
        ("B3", "standing"),
    ]
    # The statements, paged: three to a page.
    await h.tg.send(a["A9"], "/elections")
    await h.tg.press(a["A9"], "Statements: A wing rep")
    assert "A wing rep: the candidates (1 of 1)" in h.tg.last_text(a["A9"])
    assert "I am A3." in h.tg.last_text(a["A9"]) and "A4" not in h.tg.last_text(a["A9"])

    # Voting opens after 3 days: A4 cannot withdraw now; the ballots go out.
    await fire(h, timedelta(days=3, minutes=1))
    await h.tg.send(a["A1"], "/elections")
    await h.tg.press_data(a["A1"], last_id(h, a["A1"]), pack("esx", office["A wing rep"]))
    assert h.tg.last_text(a["A1"]) == "Voting has opened. You can no longer withdraw."
    assert "Voting is open: A wing rep." in texts(h, a["A6"])
    assert "• A4" not in texts(h, a["A6"])

    # Paper voters are marked on the register first: then refused online.
    a_paper = [a[f"A{i}"] for i in range(21, 26)]
    b_paper = [b[f"B{i}"] for i in range(21, 26)]
    for user in a_paper:
        assert "is marked as voted on paper" in await mark_register(
            h, staff, election_id, "A wing rep", user
        )
    for user in b_paper:
        await mark_register(h, staff, election_id, "B wing rep", user)
    await h.tg.press(a_paper[0], "Vote")
    assert h.tg.last_text(a_paper[0]) == "You have already voted."

    # 40 online voters with known rankings.
    for i, ranking in enumerate(A_ONLINE, start=1):
        await vote(h, a[f"A{i}"], ranking)
    for i, ranking in enumerate(B_ONLINE, start=1):
        await vote(h, b[f"B{i}"], ranking)
    # An online voter is refused a paper ballot.
    assert "has already voted" in await mark_register(h, staff, election_id, "A wing rep", a["A1"])
    # Turnout only while open, never a count.
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    assert "Voted: 25 of 25, 5 on paper." in h.tg.last_text(staff)
    assert await h.rows("SELECT * FROM office WHERE result IS NOT NULL") == []

    # Close: paper ballots are waiting, so no count yet.
    await fire(h, timedelta(days=3))
    assert "The register shows 10 paper voters." in texts(h, staff)
    await h.tg.press_data(a["A1"], last_id(h, a["A1"]), pack("elc", office["A wing rep"], "r0"))
    assert h.tg.last_text(a["A1"]) == "Voting in this election has closed."

    # Boxes: more ballots than paper voters is refused; the keyer cannot confirm their own box.
    for office_name, box, rankings in (
        ("A wing rep", "Box A", A_PAPER),
        ("B wing rep", "Box B", B_PAPER),
    ):
        await h.tg.send(staff, "/elections")
        await h.tg.press(staff, f"Open election {election_id}")
        await h.tg.press(staff, f"Add a ballot box: {office_name}")
        await h.tg.send(staff, box)
        await h.tg.send(staff, "6")
        assert "more ballots than the register shows" in h.tg.last_text(staff)
        await h.tg.send(staff, "5")
        assert "A second person" in h.tg.last_text(staff)
        await h.tg.send(staff, "/elections")
        await h.tg.press(staff, f"Open election {election_id}")
        assert f"Confirm the count of {box}: 5" not in h.tg.buttons(staff)
        await h.tg.send(observer, "/elections")
        await h.tg.press(observer, f"Open election {election_id}")
        await h.tg.press(observer, f"Confirm the count of {box}: 5")
        assert h.tg.last_text(observer) == "Thank you. The box's count is confirmed."
        await h.tg.send(staff, "/elections")
        await h.tg.press(staff, f"Open election {election_id}")
        await h.tg.press(staff, f"Key in {box}")
        for number, ranking in enumerate(rankings, start=1):
            assert f"ballot {number} of 5" in h.tg.last_text(staff)
            await rank(h, staff, ranking, confirm="Yes, key in this ballot")
            if number < len(rankings):
                await h.tg.press(staff, "Next ballot")
        assert h.tg.last_text(staff) == f"Box {box} is done: 5 ballots keyed."

    # The count.
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    await h.tg.press(staff, "Count the votes")
    assert "Paper ballots not keyed in: 0 ballots." in h.tg.last_text(staff)
    await h.tg.press(staff, "Yes, count now")
    assert h.tg.last_text(staff) == "Counted. The results are on their way."
    await h.deliver()
    a_result = next(t for t in h.tg.texts(a["A7"]) if t.startswith("Election result"))
    assert "Elected: A1, A3" in a_result
    assert "Turnout: 25 of 25 (100%).\nOnline: 20. On paper: 5." in a_result
    assert "1. A1 12, A2 7, A3 6" in a_result and "↷ A1: A3 +3" in a_result
    b_result = next(t for t in h.tg.texts(b["B7"]) if t.startswith("Election result"))
    assert "Elected: B3" in b_result and "− B2: B3 +7" in b_result
    assert "2. B3 15, B1 10" in b_result

    # The elected hold office, with dates in /myrecord.
    terms = await h.rows(
        "SELECT p.label FROM office_term t JOIN person p ON p.id = t.person_id ORDER BY t.id"
    )
    assert [t["label"] for t in terms] == ["A1", "A3", "B3"]
    await h.tg.send(a["A3"], "/myrecord")
    assert "Offices held:\n• A wing rep, since" in h.tg.last_text(a["A3"])
    await h.tg.send(a["A2"], "/myrecord")
    assert "Offices held" not in h.tg.last_text(a["A2"])

    # The chart for the report.
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    await h.tg.press(staff, "Results: A wing rep")
    await h.tg.press(staff, "Chart of the count")
    photo = h.double.chat(staff)[-1]
    assert photo.kind == "photo" and photo.data and photo.data.startswith(b"\x89PNG")


async def test_the_register_refuses_double_voting_both_ways(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3"])
    await add_members(h, "b", ["B1"])
    election_id = await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await fire(h, timedelta(days=3, minutes=1))
    await vote(h, a["A2"], ["A1"])
    # Online then paper: refused.
    assert "A-" not in await mark_register(h, staff, election_id, "A wing rep", a["A2"])
    assert h.tg.last_text(staff).endswith("has already voted. They cannot vote again.")
    # Paper then online: refused, also by a forged cast.
    await mark_register(h, staff, election_id, "A wing rep", a["A3"])
    office = (await offices(h, election_id))["A wing rep"]
    await h.tg.press_data(a["A3"], last_id(h, a["A3"]), pack("elc", office, "r0"))
    assert h.tg.answer_for(a["A3"]) == "You have already voted."
    await h.tg.press(a["A3"], "Vote")
    assert h.tg.last_text(a["A3"]) == "You have already voted."
    # A second press of the same Confirm: one ballot.
    await h.tg.press_data(a["A2"], last_id(h, a["A2"]), pack("elc", office, "r0"))
    rows = await h.rows("SELECT voted, COUNT(*) AS n FROM election_elector GROUP BY voted")
    assert {r["voted"]: r["n"] for r in rows} == {"": 1 + 1, "online": 1, "paper": 1}
    assert (await h.rows("SELECT COUNT(*) AS n FROM election_ballot"))[0]["n"] == 1
    # Forged rankings: the same candidate twice, a position off the ballot, garbage.
    for forged in ("r00", "r5", "rZ", "x"):
        await h.tg.press_data(a["A1"], last_id(h, a["A1"]), pack("elc", office, forged))
        assert h.tg.answer_for(a["A1"]) == "This ballot is not open to you."
    assert (await h.rows("SELECT COUNT(*) AS n FROM election_ballot"))[0]["n"] == 1
    # A member of B wing on A wing's ballot.
    b_user = (await h.rows("SELECT tg_user_id FROM person WHERE label = 'B1'"))[0]["tg_user_id"]
    await h.tg.send(b_user, "/elections")
    await h.tg.press_data(b_user, last_id(h, b_user), pack("elv", office, "r"))
    assert h.tg.answer_for(b_user) == "This ballot is not open to you."


async def test_two_staff_keying_the_same_box_and_a_double_press(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    other = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3", "A4"])
    await add_members(h, "b", ["B1"])
    election_id = await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await stand(h, a["A2"], "A wing rep", "Vote for me too.")
    await fire(h, timedelta(days=3, minutes=1))
    for user in (a["A3"], a["A4"]):
        await mark_register(h, staff, election_id, "A wing rep", user)
    await fire(h, timedelta(days=3))
    office = (await offices(h, election_id))["A wing rep"]
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    await h.tg.press(staff, "Add a ballot box: A wing rep")
    await h.tg.send(staff, "Box 1")
    await h.tg.send(staff, "2")
    box = (await h.rows("SELECT id FROM paper_box"))[0]["id"]
    # Keying before the count is confirmed, and by the other staff member: refused.
    await h.tg.press_data(staff, last_id(h, staff), pack("epc", box, 0, "r0"))
    assert h.tg.answer_for(staff) == "A second person must confirm this box's count first."
    await h.tg.send(other, "/elections")
    await h.tg.press(other, f"Open election {election_id}")
    await h.tg.press(other, "Confirm the count of Box 1: 2")
    await h.tg.press_data(other, last_id(h, other), pack("epc", box, 0, "r0"))
    assert h.tg.answer_for(other) == "Someone else is keying in this box."
    # The same ballot pressed twice keys one ballot.
    await h.tg.press_data(staff, last_id(h, staff), pack("epc", box, 0, "r10"))
    await h.tg.press_data(staff, last_id(h, staff), pack("epc", box, 0, "r10"))
    assert h.tg.answer_for(staff) == "That ballot is keyed already."
    await h.tg.press_data(staff, last_id(h, staff), pack("epc", box, 1, "r0"))
    await h.tg.press_data(staff, last_id(h, staff), pack("epc", box, 2, "r0"))
    assert h.tg.answer_for(staff) == "Every ballot in this box is keyed in."
    rows = await h.rows("SELECT keyed, status FROM paper_box")
    assert (rows[0]["keyed"], rows[0]["status"]) == (2, "done")
    assert (await h.rows("SELECT COUNT(*) AS n FROM election_ballot"))[0]["n"] == 2
    # Nobody voted online here: results are below the small-number rule, no figures.
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    await h.tg.press(staff, "Count the votes")
    await h.tg.press(staff, "Yes, count now")
    await h.deliver()
    result = next(t for t in h.tg.texts(a["A1"]) if t.startswith("Election result"))
    assert "Fewer people voted than the minimum" in result and "A1 1" not in result
    assert office


async def test_paper_votes_for_a_poll_count_at_close(h: Harness) -> None:
    from tests.e2e.test_polls import create_poll, tallies
    from tests.e2e.test_polls import vote as poll_vote

    staff = await h.join("staff", wing=None)
    observer = await h.join("observer", wing=None)
    a = await add_members(h, "a", [f"A{i}" for i in range(1, 9)])
    poll_id = await create_poll(h, staff, "Gym on Monday or Tuesday?", ["Monday", "Tuesday"])
    await h.deliver()
    for name in ("A1", "A2"):
        await poll_vote(h, a[name], ["Monday"])
    # The register: paper voters A5..A8; an online voter is refused.
    for name in ("A5", "A6", "A7", "A8", "A1"):
        await h.tg.send(staff, "/paper")
        await h.tg.press(staff, "Paper register: Gym on Monday or Tuesday?")
        await h.tg.send(staff, f"P-{await pid(h, a[name]):04d}")
        await h.tg.press(staff, "Yes, mark the register")
    assert h.tg.last_text(staff).endswith("has already voted. They cannot vote again.")
    await h.tg.press(a["A5"], "Tuesday")
    assert h.tg.last_text(a["A5"]) == "You have already voted."
    # A box of 4: totals per option; more than the paper voters is refused.
    await h.tg.send(staff, "/paper")
    await h.tg.press(staff, "Add a ballot box: Gym on Monday or Tuesday?")
    await h.tg.send(staff, "Box 1")
    await h.tg.send(staff, "5")
    assert "more ballots than the register shows" in h.tg.last_text(staff)
    await h.tg.send(staff, "4")
    await h.tg.send(staff, "1 2 3")
    assert h.tg.last_text(staff) == "Please type one number for each option."
    await h.tg.send(staff, "3 3")
    assert "more than the ballots in the box" in h.tg.last_text(staff)
    await h.tg.send(staff, "1 3")
    assert "It counts when the poll closes." in h.tg.last_text(staff)
    await h.tg.send(observer, "/paper")
    await h.tg.press(observer, "Confirm the count of Box 1: 4")
    assert await tallies(h, poll_id) == [2, 0]  # nothing added while open
    await fire(h, timedelta(days=1, minutes=1))
    assert await tallies(h, poll_id) == [3, 3]
    result = next(t for t in h.tg.texts(a["A3"]) if t.startswith("Poll results"))
    assert "Turnout: 6 of 8 people voted" in result


async def test_seconders_calling_rules_and_welsh(h: Harness) -> None:
    chair = await h.join("chair", wing="a")
    await h.tg.send(chair, "/newelection")
    await h.tg.send(chair, "Council chair")
    await h.tg.press(chair, "1")
    # The chair calls only offices elected by the reps.
    assert h.tg.buttons(chair) == ["The reps (people who hold an office)"]
    member = await h.join("member", wing="a")
    await h.tg.send(member, "/newelection")
    assert "not" in h.tg.last_text(member).lower()
    family = await h.join("family", wing=None)
    await h.tg.send(family, "/elections")
    assert "Elections" not in h.tg.last_text(family)
    assert (await h.rows("SELECT COUNT(*) AS n FROM election"))[0]["n"] == 0
    cy = await add_members(h, "a", ["C1"])
    async with h.db.transaction() as tx:
        await tx.execute("UPDATE person SET language = 'cy' WHERE label = 'C1'")
    staff = await h.join("staff", wing=None)
    await add_members(h, "b", ["B1"])
    a = await add_members(h, "a", ["A1", "A2"])
    await call_two_wing_election(h, staff, seconders="1")
    await h.deliver()
    assert "Mae etholiad wedi'i alw." in texts(h, cy["C1"])
    # One seconder needed: a nomination nobody seconds does not reach the ballot.
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await stand(h, a["A2"], "A wing rep", "Vote for me too.")
    await h.tg.send(cy["C1"], "/elections")
    await h.tg.press(cy["C1"], "Datganiadau: A wing rep")
    await h.tg.press(cy["C1"], "Eilio A1")
    assert h.tg.answer_for(cy["C1"]) == "Diolch. Rydych chi wedi eilio'r enwebiad hwn."
    await h.tg.press(cy["C1"], "Eilio A1")
    assert h.tg.answer_for(cy["C1"]) == "Rydych chi wedi eilio'r enwebiad hwn yn barod."
    await fire(h, timedelta(days=3, minutes=1))
    rows = await h.rows("SELECT name, status FROM candidate ORDER BY id")
    assert [(r["name"], r["status"]) for r in rows] == [
        ("A1", "standing"),
        ("A2", "not_seconded"),
    ]
    await h.tg.press(cy["C1"], "Pleidleisio")
    ballot = h.tg.last_text(cy["C1"])
    assert "Tapiwch eich 1af dewis" in ballot and h.tg.buttons(cy["C1"])[0] == "1af: A1"


async def test_staff_ask_for_a_change_and_the_candidate_changes_it(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2"])
    await add_members(h, "b", ["B1"])
    election_id = await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me, I know the governor.")
    await h.tg.send(staff, "/elections")
    await h.tg.press(staff, f"Open election {election_id}")
    await h.tg.press(staff, "Ask for a change: A1")
    await h.tg.send(staff, "Please do not name staff in a statement.")
    assert h.tg.last_text(staff) == "Sent. The candidate is asked to change the statement."
    # Never edited silently: the statement is unchanged until the candidate changes it.
    rows = await h.rows("SELECT statement, change_reason FROM candidate")
    assert rows[0]["statement"] == "Vote for me, I know the governor."
    await h.deliver()
    assert "The reason: Please do not name staff in a statement." in texts(h, a["A1"])
    await h.tg.send(a["A1"], "/elections")
    await h.tg.press(a["A1"], "Change my statement: A wing rep")
    assert "Staff asked for a change" in h.tg.last_text(a["A1"])
    await h.tg.send(a["A1"], "Vote for me, I listen.")
    assert h.tg.last_text(a["A1"]) == "Your statement is changed."
    rows = await h.rows("SELECT statement, change_reason FROM candidate")
    assert (rows[0]["statement"], rows[0]["change_reason"]) == ("Vote for me, I listen.", None)
    audit = await h.rows("SELECT detail FROM audit_log WHERE action = 'election.ask_change'")
    assert len(audit) == 1 and "governor" not in audit[0]["detail"]
    # A revoked member cannot stand: the bot treats them as a stranger.
    person = await h.person(a["A2"])
    assert person is not None
    await h.tg.send(staff, f"/revoke P-{person.id:04d}")
    await h.tg.press(staff, next(b for b in h.tg.buttons(staff) if b.startswith("Yes")))
    office = (await offices(h, election_id))["A wing rep"]
    await h.tg.press_data(a["A2"], last_id(h, a["A2"]), pack("esd", office))
    assert (await h.rows("SELECT COUNT(*) AS n FROM candidate"))[0]["n"] == 1
    # No results before the count.
    await h.tg.send(a["A1"], "/elections")
    await h.tg.press_data(a["A1"], last_id(h, a["A1"]), pack("elr", office))
    assert h.tg.answer_for(a["A1"]) == "Results are shown after the count."


async def test_an_election_opens_and_closes_after_a_restart_that_spanned_both(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from bot.app import start_background, stop_background
    from tests.support.harness import make_harness

    h = await make_harness(Path(str(tmp_path)))
    staff = await h.join("staff", wing=None)
    a = await add_members(h, "a", ["A1", "A2", "A3"])
    await add_members(h, "b", ["B1"])
    election_id = await call_two_wing_election(h, staff)
    await stand(h, a["A1"], "A wing rep", "Vote for me.")
    await h.close()
    # Down for 7 days: voting should have opened and closed meanwhile.
    again = await make_harness(Path(str(tmp_path)))
    again.clock.set(h.clock.now() + timedelta(days=7))
    await start_background(again.app)
    try:
        rows = await again.rows("SELECT status FROM election WHERE id = ?", (election_id,))
        assert rows[0]["status"] == "counted"
        terms = await again.rows("SELECT COUNT(*) AS n FROM office_term")
        assert terms[0]["n"] == 1  # A1, unopposed for two seats, nobody voted
    finally:
        await stop_background(again.app)
        await again.close()


async def test_office_names_in_each_content_language(tmp_path: object) -> None:
    from dataclasses import replace
    from pathlib import Path

    from tests.support import harness as harnesses
    from tests.support.harness import make_harness

    base = harnesses.test_settings(Path(str(tmp_path)) / "council.sqlite3")
    establishment = replace(base.establishment, content_languages=("en", "cy"))
    h = await make_harness(Path(str(tmp_path)), establishment=establishment)
    try:
        staff = await h.join("staff", wing=None)
        english = await add_members(h, "a", ["A1", "A2"])
        welsh = await add_members(h, "a", ["C1"])
        async with h.db.transaction() as tx:
            await tx.execute("UPDATE person SET language = 'cy' WHERE label = 'C1'")
        await h.tg.send(staff, "/newelection")
        await h.tg.send(staff, "A wing rep")
        assert h.tg.last_text(staff).startswith("Now the same in Welsh, please.")
        await h.tg.send(staff, "Cynrychiolydd adain A")
        assert "How many seats for A wing rep?" in h.tg.last_text(staff)
        await h.tg.press(staff, "1")
        await h.tg.press(staff, "A wing")
        await h.tg.press(staff, "Go on")
        await h.tg.press(staff, "0")
        await h.tg.press(staff, "3 days")
        await h.tg.press(staff, "3 days")
        await h.tg.press(staff, "Publish the election")
        await h.deliver()
        assert "• A wing rep" in texts(h, english["A1"])
        assert "• Cynrychiolydd adain A" in texts(h, welsh["C1"])
        await stand(h, english["A1"], "A wing rep", "Vote for me.")
        await fire(h, timedelta(days=3, minutes=1))
        assert "Mae'r pleidleisio ar agor: Cynrychiolydd adain A." in texts(h, welsh["C1"])
        await h.tg.send(welsh["C1"], "/elections")
        assert "Pleidleisio: Cynrychiolydd adain A" in h.tg.buttons(welsh["C1"])
    finally:
        await h.close()


def test_every_election_answer_has_its_catalogue_id() -> None:
    """Catalogue ids come from the outcome enums (issue 13): each enum is covered in full and
    every id exists, so no answer is built by f-string."""
    from bot import i18n
    from handlers import election_answers

    for answers in election_answers.ALL:
        kind = type(next(iter(answers)))
        assert set(answers) == set(kind), kind
        assert [i for i in answers.values() if not i18n.has(i)] == [], kind
    from typing import get_args

    from bot.council import election_buttons, elections

    choices = (
        (election_answers.ELECTORATE, get_args(election_buttons.Electorate)),
        (election_answers.NOMINATIONS, get_args(election_buttons.NominationChoice)),
        (election_answers.VOTING, get_args(election_buttons.VotingChoice)),
    )
    for labels, keys in choices:
        assert set(labels) == set(keys)
        assert [i for i in labels.values() if not i18n.has(i)] == []
    assert set(elections.NOMINATION_CHOICES) == set(election_answers.NOMINATIONS)
    assert set(elections.VOTING_CHOICES) == set(election_answers.VOTING)
    for extra in (election_answers.ASK_WHEN, election_answers.METHOD):
        assert [i for i in extra.values() if not i18n.has(i)] == []


async def test_forged_election_buttons_are_answered_stale(h: Harness) -> None:
    """Typed election buttons: data of the right kind but the wrong shape never reaches a
    handler; a well-formed but forged ranking is the council's to refuse."""
    staff = await h.join("staff", wing=None)
    await h.tg.send(staff, "/elections")
    stale = "This button no longer works. Send /menu to start again."
    for data in ("1:elc:1", "1:elc:x:r0", "1:els:1:1:1", "1:ene:staff", "1:enp:99d", "1:epc:1:x:r"):
        await h.tg.press_data(staff, last_id(h, staff), data)
        assert h.tg.answer_for(staff) == stale, data
    assert (await h.rows("SELECT COUNT(*) AS n FROM election_ballot"))[0]["n"] == 0
