"""The scheduler door: APScheduler jobs that run `commands.resume` at the planned time.

Commands write the planned resume into the database (notices/plans.py) and nudge `serve`.
`serve` owns an APScheduler job store (DATA/jobs.db, never opened by another process) and
reconciles its jobs with the plans at start, when nudged and every few seconds. A job runs
the same `commands.resume` as the CLI, with the actor "scheduler", and only after checking
under the command lock that the plan still stands (so a cancelled, moved or already-run plan
never resumes twice).

Missed runs: jobs have no misfire limit (APScheduler's default grace of 1 s would silently
skip a late job) and coalesce, so a resume due while `serve` was down runs once, as soon as
it starts again. The scheduler also records a heartbeat, so `status` can say when none runs,
and while an incident is open it writes a signed checkpoint of the log's head every hour
(`--checkpoint-every`), so a long incident's records are anchored without waiting for a
command; with `[evidence] tsa_url` and `witness`, it has them stamped and witnessed, and
stamps the checkpoints an unreachable authority left, as soon as it answers again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from notices import commands
from notices.db import Database, node_name
from notices.errors import NoticesError
from notices.evidence.anchor import last_checkpoint_time
from notices.evidence.log import EvidenceLog
from notices.evidence.timestamp import unstamped_lines
from notices.incident import Incident, IncidentStore
from notices.plans import Plans, record_heartbeat
from notices.timeparse import from_stamp, utc_stamp
from notices.witness import anchor_outside

HEARTBEAT_SECONDS = 2.0
RECONCILE_SECONDS = 2.0
JOB_PREFIX = "resume:"
# Stored in jobs.db by name: renaming the function orphans the jobs already there.
JOB_FUNCTION = "notices.schedule:run_scheduled_resume"
RESUME_RETRY_SECONDS = 60.0
# While an incident is open, the scheduler anchors the chain head at least this often.
CHECKPOINT_SECONDS = 3600.0
CHECKPOINT_REASON = "incident open (periodic)"
# Checkpoints the authority could not stamp are tried again at least this often.
STAMP_RETRY_SECONDS = 60.0


@dataclass
class ResumeRetry:
    """A scheduled resume that fails is tried again (a resume finishes only what is
    missing): after `first_s`, then twice as long each time, at most `max_s` apart, `tries`
    times. `notices serve --resume-retry-s` sets `first_s` for the jobs of its process."""

    first_s: float = RESUME_RETRY_SECONDS
    max_s: float = 900.0
    tries: int = 8


resume_retry = ResumeRetry()
_running: set[str] = set()
_running_lock = threading.Lock()


# -- the job ------------------------------------------------------------------------------


def run_scheduled_resume(home: str, config: str | None, incident_id: str, planned: str) -> None:
    """The scheduled job: `commands.resume` as actor "scheduler", if the plan still stands."""
    with _running_lock:
        if incident_id in _running:
            return
        _running.add(incident_id)
    try:
        data = Path(home)
        with ExitStack() as stack:
            try:
                workspace = commands.Workspace.load(data, Path(config) if config else None)
                session = stack.enter_context(
                    commands.open_session(workspace, actor=commands.SCHEDULER_ACTOR)
                )
            except NoticesError as exc:
                _fail_before_start(data, incident_id, planned, str(exc))
                return
            _resume(session, incident_id, planned)
    finally:
        with _running_lock:
            _running.discard(incident_id)


def _resume(session: commands.Session, incident_id: str, planned: str) -> None:
    log = session.orchestrator.log
    plans = Plans(session.orchestrator.database)

    def still_due(incident: Incident) -> str | None:
        # Asked under the command lock, so nothing can change the plan meanwhile.
        now = datetime.now(UTC)
        plan = plans.get(incident.id)
        if incident.id != incident_id:
            return "the incident this resume was planned for is no longer open"
        if plan is None or plan.state != "scheduled":
            return f"no automatic resume is scheduled any more ({plan and plan.state})"
        if from_stamp(plan.at) > now + timedelta(seconds=1):
            return f"the automatic resume was moved to {plan.at}"
        plans.set_state(incident.id, state="running", fired=utc_stamp(now))
        late = (now - from_stamp(plan.at)).total_seconds()
        due: dict[str, Any] = {
            "planned": plan.at,
            "fired": utc_stamp(now),
            "late_s": round(late, 3),
        }
        if session.orchestrator.database.url is not None:  # several nodes: say which one
            due["node"] = node_name(session.workspace.home)
        log.append("resume.due", due, incident=incident.id)
        return None

    try:
        result = commands.resume(
            session, arguments={"scheduled_for": planned}, only_if=still_due
        ).result
        if result.message:
            say(f"scheduled resume of {incident_id} not run: {result.message}")
            return
        failed = [f"{o.name}: {o.error}" for o in result.outcomes if not o.ok]
        if failed:
            _failed(session, plans, incident_id, planned, "; ".join(failed))
            return
        plans.set_state(incident_id, state="done", outcome="every channel restored")
        say(f"scheduled resume of {incident_id} (planned {planned}): every channel restored")
    except Exception as exc:  # noqa: BLE001 - a failed job must show in status, not vanish
        _failed(session, plans, incident_id, planned, str(exc) or type(exc).__name__)


def _failed(
    session: commands.Session, plans: Plans, incident_id: str, planned: str, error: str
) -> None:
    """Log the failure and, while tries remain, plan the next try: a resume that cannot be
    missed must not give up because one provider was down at the planned moment."""
    log = session.orchestrator.log
    tries = 1 + sum(1 for r in log.records(incident=incident_id) if r.kind == "resume.failed")
    again = None
    if tries <= resume_retry.tries:
        wait = min(resume_retry.first_s * 2 ** (tries - 1), resume_retry.max_s)
        again = datetime.now(UTC) + timedelta(seconds=wait)
    log.append(
        "resume.failed",
        {
            "planned": planned,
            "error": error,
            "try": tries,
            "next_try": utc_stamp(again) if again else None,
        },
        incident=incident_id,
    )
    if again is not None and session.open_incident() is not None:
        plans.schedule(incident_id, again, "retry", log)
        say(f"scheduled resume of {incident_id} FAILED ({error}); trying again at {again}")
    else:
        plans.set_state(incident_id, state="failed", outcome=error)
        say(f"scheduled resume of {incident_id} FAILED ({error}); no tries left")


def _fail_before_start(data: Path, incident_id: str, planned: str, error: str) -> None:
    database = Database(data / "notices.db")
    try:
        Plans(database).set_state(incident_id, state="failed", outcome=error)
        EvidenceLog(database, actor=commands.SCHEDULER_ACTOR).append(
            "resume.failed", {"planned": planned, "error": error}, incident=incident_id
        )
    finally:
        database.close()
    say(f"scheduled resume of {incident_id} FAILED before it started: {error}")


def say(line: str) -> None:
    """A line for `serve`'s output (journald), stamped in UTC."""
    print(f"{utc_stamp(datetime.now(UTC))} {line}", flush=True)


# -- the scheduler --------------------------------------------------------------------------


def job_store(home: Path, database: Database) -> dict[str, Any]:
    """APScheduler's SQLAlchemy job store: DATA/jobs.db, or on PostgreSQL the table
    `apscheduler_jobs` beside the others (only the leading node's scheduler runs)."""
    if database.url is None:
        return {"url": f"sqlite:///{home / 'jobs.db'}"}
    from notices.store.postgres import KEEPALIVES
    from notices.store.url import sqlalchemy_url

    connect = {**KEEPALIVES, "application_name": f"notices jobs {os.getpid()}"}
    return {"url": sqlalchemy_url(database.url), "engine_options": {"connect_args": connect}}


class Scheduler:
    """APScheduler holding one job per pending plan, with the heartbeat and checkpoints.

    `start` reconciles before any job may fire (a stale job must not fire first); `wake`
    asks for a reconcile now; `stop` waits for a resume in progress to finish."""

    def __init__(
        self, home: Path, config: Path | None, checkpoint_every: float, started: str
    ) -> None:
        self.home = home
        self.config = config
        self.checkpoint_every = checkpoint_every
        self.started = started
        self.address = ""
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.database = Database(home / "notices.db")
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.scheduler: Any = None
        self.stamps_tried = datetime.min.replace(tzinfo=UTC)
        self.outside: threading.Thread | None = None

    def start(self, address: str) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.address = address
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(**job_store(self.home, self.database))},
            # No misfire limit: a resume due while serve was down runs when it is back, late
            # rather than never; coalesce: several missed runs of one job run once.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        # Paused until the jobs match the plans: a stale job must not fire first.
        self.scheduler.start(paused=True)
        released = Plans(self.database).release_interrupted()
        if released:
            say(f"{released} resume(s) interrupted by a stopped scheduler are due again")
        self._reconcile(self.database)
        record_heartbeat(self.database, self.started, self.address)
        self.scheduler.resume()
        self.thread.start()

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        if self.outside is not None and self.outside.is_alive():
            self.outside.join(timeout=10)  # a stamp or witness write under way
        if self.scheduler is not None:
            # wait=True: a resume in progress finishes before we go.
            self.scheduler.shutdown(wait=True)

    def close(self, stopped: bool = True) -> None:
        """After `stop`: the heartbeat says the scheduler stopped (if it ever started and
        `stopped`: not when a standby node has taken over and beats in its place)."""
        if self.address and stopped:
            with contextlib.suppress(NoticesError):  # the store may be what stopped it
                record_heartbeat(self.database, self.started, self.address, stopped=True)
        with contextlib.suppress(Exception):
            self.database.close()

    def _loop(self) -> None:
        database = Database(self.home / "notices.db")
        try:
            while not self.stopping.is_set():
                self.wakeup.wait(min(HEARTBEAT_SECONDS, RECONCILE_SECONDS))
                self.wakeup.clear()
                if self.stopping.is_set():
                    break
                try:
                    self._reconcile(database)
                    record_heartbeat(database, self.started, self.address)
                    self._checkpoint(database)
                except Exception as exc:  # noqa: BLE001 - keep beating; say what went wrong
                    print(f"scheduler loop: {exc}", file=sys.stderr, flush=True)
        finally:
            database.close()

    def _checkpoint(self, database: Database) -> None:
        """While an incident is open, a signed checkpoint of the chain head at least every
        `checkpoint_every` seconds (counting any checkpoint, whoever wrote it), stamped and
        sent to the witness at once; and checkpoints left unstamped (the authority could
        not be reached) tried again every `checkpoint_every` seconds, at most a minute
        apart, so a late stamp comes as soon as the authority answers again."""
        now = datetime.now(UTC)
        wrote = False
        if IncidentStore(database).open_incident() is not None:
            last = last_checkpoint_time(self.home)
            if last is None or (now - last).total_seconds() >= self.checkpoint_every:
                EvidenceLog(database).anchor(CHECKPOINT_REASON)
                wrote = True
        retry = min(self.checkpoint_every, STAMP_RETRY_SECONDS)
        if not wrote and (now - self.stamps_tried).total_seconds() < retry:
            return
        if self.outside is not None and self.outside.is_alive():
            return  # the last one still waits for the authority or the witness
        self.stamps_tried = now
        self.outside = threading.Thread(target=self._anchor_outside, args=(wrote,), daemon=True)
        self.outside.start()

    def _anchor_outside(self, fresh: bool) -> None:
        """Stamp and witness (witness.anchor_outside) in a thread of its own, with its own
        connection: an authority or a witness that is slow to answer (up to their time-outs)
        must not hold up the heartbeat and the plans."""
        database = Database(self.home / "notices.db")
        try:
            evidence = commands.Workspace.load(self.home, self.config).config.evidence
            if fresh or (evidence.tsa_url and unstamped_lines(self.home)):
                anchor_outside(EvidenceLog(database), evidence, newest_is_fresh=fresh)
        except Exception as exc:  # noqa: BLE001 - tried again later; say what went wrong
            print(f"stamping or witnessing: {exc}", file=sys.stderr, flush=True)
        finally:
            database.close()

    def _reconcile(self, database: Database) -> None:
        """Make the job store hold exactly one job per pending plan, at the planned time."""
        from apscheduler.triggers.date import DateTrigger

        scheduler = self.scheduler
        wanted = {JOB_PREFIX + plan.incident: plan for plan in Plans(database).pending()}
        with _running_lock:
            busy = {JOB_PREFIX + incident for incident in _running}
        config = str(self.config) if self.config else None
        for job in scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                scheduler.remove_job(job.id)
                say(f"removed the job {job.id}: no longer planned")
        current = {job.id: job for job in scheduler.get_jobs()}
        for job_id, plan in wanted.items():
            if job_id in busy:
                continue
            at = from_stamp(plan.at)
            args = [str(self.home), config, plan.incident, plan.at]
            job = current.get(job_id)
            if job is not None and job.next_run_time == at and list(job.args) == args:
                continue
            scheduler.add_job(
                JOB_FUNCTION,
                trigger=DateTrigger(run_date=at, timezone=UTC),
                id=job_id,
                name=f"resume {plan.incident}",
                args=args,
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )
            say(f"job {job_id} set for {plan.at} ({'moved' if job else 'new'})")
