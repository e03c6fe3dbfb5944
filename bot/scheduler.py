"""The job queue mirrors the timer rows; it is never the truth.

At start it is rebuilt from the database: a timer that came due while the bot was down fires now
(late, once) when within the grace period and is recorded missed otherwise; future timers get a
job. After that, post-commit events keep it in step: "timer" (key, due_at) adds or replaces the
job named by the key, "timer_cancelled" removes it. The job only calls bot.council.timers.fire,
which re-reads the row, so a job left behind by a race can never fire a stale or done timer.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError  # type: ignore[import-untyped]
from telegram.ext import CallbackContext, Job, JobQueue

from bot.council import timers
from bot.services import Services
from storage import timers as timer_store

log = logging.getLogger(__name__)

# A job that fires a little before the row is due (clock and loop disagree) waits this long at least.
_MIN_DELAY_S = 0.05


class Scheduler:
    """One per Application: the timer rows mirrored into python-telegram-bot's JobQueue."""

    def __init__(self, services: Services, job_queue: JobQueue[Any]) -> None:
        self.services = services
        self.job_queue = job_queue
        self._listening = False
        # Key -> its job. get_jobs_by_name scans every job, which made a rebuild of N timers
        # take N^2 steps; the map keeps it linear.
        self._jobs: dict[str, Job[Any]] = {}

    def listen(self) -> None:
        if not self._listening:
            self.services.db.listen(self.on_commit)
            self._listening = True

    def on_commit(self, kind: str, payload: Any) -> None:
        """Database post-commit listener: what was committed is mirrored, nothing else."""
        if kind == "timer":
            key, due_at = payload
            self.mirror(str(key), due_at)
        elif kind == "timer_cancelled":
            self.remove(str(payload))

    def mirror(self, key: str, due_at: datetime) -> Job[Any]:
        """One job per timer key: a moved timer replaces its job, never adds a second."""
        self.remove(key)
        # A delay from the services' clock, not a wall-clock moment: the same in production, and
        # a test's moved clock cannot make the real scheduler fire early.
        delay = max((due_at - self.services.clock.now()).total_seconds(), 0.0)
        job = self.job_queue.run_once(self._fire_job, delay, data={"due_at": due_at}, name=key)
        self._jobs[key] = job
        return job

    def remove(self, key: str) -> int:
        job = self._jobs.pop(key, None)
        if job is None or job.removed:
            return 0
        try:
            job.schedule_removal()
        except JobLookupError:
            return 0  # it already ran
        return 1

    async def rebuild(self) -> dict[str, int]:
        """At start: fire what came due while down (late once, or missed), mirror the rest."""
        svc = self.services
        for job in self.job_queue.jobs():
            if job.callback == self._fire_job:
                job.schedule_removal()
        self._jobs.clear()
        await timers.check_kinds(svc.db)  # an unknown kind is an error at start, not a stale
        outcome = await timers.fire_due(svc.db, svc.clock, svc.settings)
        pending = await timers.pending(svc.db)
        for timer in pending:
            self.mirror(timer.key, timer.due_at)
        outcome["scheduled"] = len(pending)
        if outcome:
            log.info("timers rebuilt from the database: %s", outcome)
        return outcome

    async def _fire_job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        job = context.job
        if job is None or job.name is None:
            return
        if self._jobs.get(job.name) is job:
            del self._jobs[job.name]
        svc = self.services
        result = await timers.fire(svc.db, svc.clock, svc.settings, job.name)
        if result == "not_due":
            # The job ran a moment early; the row decides, so wait for it once more.
            async with svc.db.transaction() as tx:
                row = await timer_store.get(tx, job.name)
            if row is not None and row.status == "pending":
                due = row.due_at
                delay = max((due - svc.clock.now()).total_seconds(), _MIN_DELAY_S)
                self._jobs[job.name] = self.job_queue.run_once(
                    self._fire_job, delay, data={"due_at": row.due_at}, name=job.name
                )
        else:
            log.info("timer %s: %s", job.name, result)


def scheduler_of(app: Any) -> Scheduler:
    found = app.bot_data.get("scheduler")
    if found is None:
        services = app.bot_data["services"]
        assert isinstance(services, Services)
        if app.job_queue is None:
            raise RuntimeError("the timers need python-telegram-bot[job-queue] installed")
        found = Scheduler(services, app.job_queue)
        app.bot_data["scheduler"] = found
    assert isinstance(found, Scheduler)
    return found
