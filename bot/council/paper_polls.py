"""Paper votes for ordinary polls: staff mark the register (the elector can no longer vote
online), then key in each ballot box's totals per option, confirmed by a second person. The
totals are sealed and added to the poll's counts only when it closes (apply_at_close), so an open
poll's split stays as hidden as it is online."""

from __future__ import annotations

from enum import StrEnum

from bot.council import audit, roles
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from storage import elections as store
from storage import polls as poll_store
from storage.db import Tx

PAPER_STAFF = frozenset({roles.STAFF, roles.ADMIN})


def _aad(poll_id: int) -> bytes:
    return f"poll-paper:{poll_id}".encode()


class PaperMark(StrEnum):
    """Marking someone on a paper register (a poll's or an office's)."""

    MARKED = "marked"
    NOT_ALLOWED = "not_allowed"
    NOT_ELECTOR = "not_elector"
    CLOSED = "closed"
    ALREADY = "already"


class PaperBox(StrEnum):
    """Adding a box of paper votes to a poll."""

    ADDED = "added"
    NOT_ALLOWED = "not_allowed"
    CLOSED = "closed"
    TOO_MANY = "too_many"
    LABEL_TAKEN = "label_taken"
    SHAPE = "shape"
    OVER = "over"


async def mark(tx: Tx, clock: Clock, *, actor: Person, poll_id: int, person_id: int) -> PaperMark:
    """ "marked", "already" (voted online or on paper), "not_elector", "closed", "not_allowed"."""
    if actor.role not in PAPER_STAFF:
        return PaperMark.NOT_ALLOWED
    poll = await poll_store.get(tx, poll_id)
    state = await poll_store.has_voted(tx, poll_id, person_id)
    if poll is None or state is None:
        return PaperMark.NOT_ELECTOR
    if not poll.is_open or poll.closes_at <= clock.now():
        return PaperMark.CLOSED
    if state or not await store.mark_poll_paper(tx, poll_id, person_id, clock.now()):
        return PaperMark.ALREADY
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="poll.paper_register",
        subject=person_ref(person_id),
        detail={"poll": poll_id},
    )
    return PaperMark.MARKED


def totals_problem(
    totals: list[int], declared: int, options: int, multiple: bool
) -> PaperBox | None:
    if len(totals) != options or any(t < 0 for t in totals) or declared < 1:
        return PaperBox.SHAPE
    if multiple:
        return None if all(t <= declared for t in totals) else PaperBox.OVER
    return None if sum(totals) <= declared else PaperBox.OVER


async def add_box(
    tx: Tx,
    clock: Clock,
    *,
    actor: Person,
    poll_id: int,
    label: str,
    declared: int,
    totals: list[int],
) -> PaperBox:
    """ "added", "closed", "too_many" (more ballots than paper voters), "shape", "over",
    "label_taken", "not_allowed". The box waits for a second person to confirm its count."""
    if actor.role not in PAPER_STAFF:
        return PaperBox.NOT_ALLOWED
    poll = await poll_store.get(tx, poll_id)
    if poll is None or not poll.is_open or poll.closes_at <= clock.now():
        return PaperBox.CLOSED
    labels = await poll_store.labels(tx, poll_id)
    problem = totals_problem(totals, declared, len(labels), poll.multiple)
    if problem:
        return problem
    paper = await store.poll_paper_voters(tx, poll_id)
    if await store.declared_total(tx, poll_id=poll_id) + declared > paper:
        return PaperBox.TOO_MANY
    sealed = tx.sealer.seal_json(totals, _aad(poll_id))
    made = await store.add_box(
        tx, poll_id=poll_id, label=label, declared=declared, keyed_by=actor.id, totals=sealed
    )
    if made is None:
        return PaperBox.LABEL_TAKEN
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="poll.paper_box",
        subject=f"box:{made}",
        detail={"poll": poll_id, "label": label, "declared": declared},
    )
    return PaperBox.ADDED


async def paper_voters(tx: Tx, poll_id: int) -> int:
    """How many people voted on paper in this poll."""
    return await store.poll_paper_voters(tx, poll_id)


async def room(tx: Tx, poll_id: int) -> int:
    """How many more paper ballots the register allows: paper voters less boxes declared."""
    paper = await store.poll_paper_voters(tx, poll_id)
    return paper - await store.declared_total(tx, poll_id=poll_id)


async def totals(tx: Tx, poll_id: int) -> list[int]:
    """The confirmed boxes' totals per option, added up (zeros when there are none)."""
    size = len(await poll_store.labels(tx, poll_id))
    summed = [0] * size
    for blob in await store.box_totals(tx, poll_id):
        for index, value in enumerate(tx.sealer.open_json(blob, _aad(poll_id))):
            if index < size:
                summed[index] += int(value)
    return summed


async def apply_at_close(tx: Tx, poll_id: int) -> None:
    """Called once by polls.close: add the paper totals to the poll's counts. When poll counts
    are one sealed value (issue 12), only storage.elections.add_to_poll_counts changes."""
    summed = await totals(tx, poll_id)
    if any(summed):
        await store.add_to_poll_counts(tx, poll_id, summed)
