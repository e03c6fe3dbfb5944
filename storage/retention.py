"""The retention sweep's deletions (docs/PRIVACY.md). Each statement is bounded by a cutoff
time; bot/council/retention.py runs them all in one transaction, once a day.
People are forgotten by storage/people.forget, the same function a leaver goes through."""

from __future__ import annotations

from datetime import datetime

from storage.clock import to_db
from storage.db import Tx

_FINISHED = "('sent','parked','dropped','withdrawn')"
_ENDED_ITEMS = "('closed','declined','merged','answered')"


async def sweep(
    tx: Tx,
    *,
    now: datetime,
    cutoff: datetime,
    attempts_before: datetime,
    idle_before: datetime,
) -> dict[str, int]:
    """Delete (or unlink) what is older than the cutoff; counts of rows changed, by kind."""
    return await _sweep(
        tx,
        now=to_db(now),
        cutoff=to_db(cutoff),
        attempts_before=to_db(attempts_before),
        idle_before=to_db(idle_before),
    )


async def _sweep(
    tx: Tx, *, now: str, cutoff: str, attempts_before: str, idle_before: str
) -> dict[str, int]:
    # The statements compare database time text: fixed width, so text order is time order.
    out: dict[str, int] = {}
    # Finished notices hold chat ids and rendered text. Their keys were for events long past,
    # which nothing queues again.
    out["notices"] = await tx.execute(
        f"DELETE FROM outbox WHERE status IN {_FINISHED}"
        " AND (done_at < ? OR (done_at IS NULL AND created_at < ?))",
        (cutoff, cutoff),
    )
    # Invites used or out of date: nothing of the code (only ever a hash) is kept.
    out["invites"] = await tx.execute(
        "DELETE FROM invite WHERE (used_at IS NOT NULL AND used_at < ?)"
        " OR (used_at IS NULL AND expires_at < ?)",
        (cutoff, cutoff),
    )
    # Wrong-code attempts outside the failure window and lockouts already over count for
    # nothing: they go at once, not after the retention period.
    out["code_attempts"] = await tx.execute(
        "DELETE FROM code_attempt WHERE at < ?", (attempts_before,)
    )
    out["lockouts"] = await tx.execute("DELETE FROM lockout WHERE until <= ?", (now,))
    # Safeguarding alerts (who and where, never the words) older than retention.
    out["safeguarding_alerts"] = await tx.execute(
        "DELETE FROM safeguarding_alert WHERE raised_at < ?", (cutoff,)
    )
    # A half-written flow nobody touched for 30 days is abandoned.
    out["conversations"] = await tx.execute(
        "DELETE FROM conversation WHERE updated_at < ?", (idle_before,)
    )
    # Finished items stay as the council's record; who raised them does not.
    out["items_unlinked"] = await tx.execute(
        "UPDATE agenda_item SET submitter_id = NULL WHERE submitter_id IS NOT NULL"
        f" AND status IN {_ENDED_ITEMS} AND updated_at < ?",
        (cutoff,),
    )
    # Old meetings: answers and attendance become counts (the reports read them), then go.
    old_meetings = "SELECT id FROM meeting WHERE starts_at < ?"
    await tx.execute(
        "UPDATE meeting SET"
        " going_kept = going_kept + (SELECT COUNT(*) FROM meeting_rsvp r"
        "  WHERE r.meeting_id = meeting.id AND r.answer = 'going'),"
        " attended_kept = attended_kept + (SELECT COUNT(*) FROM meeting_attendance t"
        "  WHERE t.meeting_id = meeting.id)"
        " WHERE starts_at < ? AND (EXISTS (SELECT 1 FROM meeting_rsvp r"
        "  WHERE r.meeting_id = meeting.id) OR EXISTS (SELECT 1 FROM meeting_attendance t"
        "  WHERE t.meeting_id = meeting.id))",
        (cutoff,),
    )
    out["rsvps"] = await tx.execute(
        f"DELETE FROM meeting_rsvp WHERE meeting_id IN ({old_meetings})", (cutoff,)
    )
    out["attendance"] = await tx.execute(
        f"DELETE FROM meeting_attendance WHERE meeting_id IN ({old_meetings})", (cutoff,)
    )
    out["told"] = await tx.execute(
        f"DELETE FROM meeting_told WHERE meeting_id IN ({old_meetings})", (cutoff,)
    )
    # Polls closed long ago: who was an elector goes; tallies and turnout (poll.electorate,
    # poll.ballots, frozen at close) stay.
    out["electors"] = await tx.execute(
        "DELETE FROM poll_elector WHERE poll_id IN"
        " (SELECT id FROM poll WHERE status = 'closed' AND closed_at < ?)",
        (cutoff,),
    )
    # Elections counted long ago (issue 16): the register, seconders, the sealed ballots (kept
    # until then for a recount) and the paper register of old polls go; results, turnout and
    # terms stay.
    old_offices = (
        "SELECT f.id FROM office f JOIN election e ON e.id = f.election_id"
        " WHERE e.status = 'counted' AND e.counted_at < ?"
    )
    out["election_electors"] = await tx.execute(
        f"DELETE FROM election_elector WHERE office_id IN ({old_offices})", (cutoff,)
    )
    out["ballots"] = await tx.execute(
        f"DELETE FROM election_ballot WHERE office_id IN ({old_offices})", (cutoff,)
    )
    await tx.execute(
        "DELETE FROM candidate_seconder WHERE candidate_id IN"
        f" (SELECT id FROM candidate WHERE office_id IN ({old_offices}))",
        (cutoff,),
    )
    await tx.execute(
        "DELETE FROM poll_paper_voter WHERE poll_id IN"
        " (SELECT id FROM poll WHERE status = 'closed' AND closed_at < ?)",
        (cutoff,),
    )
    # Consultations closed long ago: who took part and names given with answers go; the
    # anonymous answers stay.
    old_consultations = "SELECT id FROM consultation WHERE status = 'closed' AND closed_at < ?"
    out["takers"] = await tx.execute(
        f"DELETE FROM consultation_taker WHERE consultation_id IN ({old_consultations})",
        (cutoff,),
    )
    out["names"] = await tx.execute(
        "UPDATE consultation_participant SET name = NULL WHERE name IS NOT NULL"
        f" AND consultation_id IN ({old_consultations})",
        (cutoff,),
    )
    return out
