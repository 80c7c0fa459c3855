"""Automatic resume: plans in notices.db, run by the one long-lived `notices serve`.

CLI commands (`evacuate --until`, `resume --at`, `extend`, `resume`) only write the planned
resume into notices.db (`resume_plans`) and nudge `serve`. `serve` owns an APScheduler job
store (DATA/jobs.db, never opened by another process) and reconciles its jobs with the plans
at start, when nudged and every few seconds. A job runs the same orchestrator resume as the
CLI, logged with the actor "scheduler", and only after checking under the command lock that
the plan still stands (so a cancelled, moved or already-run plan never resumes twice).

Missed runs: jobs have no misfire limit (APScheduler's default grace of 1 s would silently
skip a late job) and coalesce, so a resume due while `serve` was down runs once, as soon as
it starts again. `serve` also records a heartbeat, so `status` can say when no scheduler runs,
and while an incident is open it writes a signed checkpoint of the log's head every hour
(`--checkpoint-every`), so a long incident's records are anchored without waiting for a command.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files as package_files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notices.db import Database
from notices.errors import StateError, UsageError
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    from notices.channels.base import Channel
    from notices.incident import Incident
    from notices.log import EvidenceLog
    from notices.orchestrator import Orchestrator
    from notices.sms import SmsGate

HEARTBEAT_SECONDS = 2.0
RECONCILE_SECONDS = 2.0
# A scheduler not seen for this long is taken for dead.
STALE_AFTER_SECONDS = 15.0
DEFAULT_PORT = 8787
JOB_PREFIX = "resume:"
JOB_FUNCTION = "notices.schedule:run_scheduled_resume"
SCHEDULER_ACTOR = "scheduler"
RESUME_RETRY_SECONDS = 60.0


@dataclass
class ResumeRetry:
    """A scheduled resume that fails is tried again (a resume finishes only what is
    missing): after `first_s`, then twice as long each time, at most `max_s` apart, `tries`
    times. `notices serve --resume-retry-s` sets `first_s` for the jobs of its process."""

    first_s: float = RESUME_RETRY_SECONDS
    max_s: float = 900.0
    tries: int = 8


resume_retry = ResumeRetry()
SMS_PATH = "/_notices/sms"
VOICE_PATH = "/_notices/voice"  # the staff line's calls (notices/staffline.py)
MAX_WEBHOOK_BYTES = 64 * 1024
# While an incident is open, serve anchors the chain head at least this often.
CHECKPOINT_SECONDS = 3600.0
CHECKPOINT_REASON = "incident open (periodic)"


# -- plans (written by CLI commands, read by serve) -------------------------------------------


@dataclass(frozen=True)
class Plan:
    incident: str
    at: str
    state: str  # scheduled | running | done | failed | cancelled
    source: str
    actor: str
    updated: str
    fired: str | None
    outcome: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


_PLAN_COLUMNS = "incident, at, state, source, actor, updated, fired, outcome"


class Plans:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, incident: str) -> Plan | None:
        rows = self.database.query(
            f"SELECT {_PLAN_COLUMNS} FROM resume_plans WHERE incident = ?", (incident,)
        )
        return Plan(*rows[0]) if rows else None

    def pending(self) -> list[Plan]:
        """Plans a scheduler must hold a job for: scheduled, for an incident still open."""
        rows = self.database.query(
            f"SELECT {', '.join('p.' + c.strip() for c in _PLAN_COLUMNS.split(','))}"
            " FROM resume_plans p JOIN incidents i ON i.id = p.incident"
            " WHERE p.state = 'scheduled' AND i.ended IS NULL"
        )
        return [Plan(*row) for row in rows]

    def schedule(self, incident: str, at: datetime, source: str, log: EvidenceLog) -> Plan:
        """Plan (or move) the automatic resume of `incident`; logged with the previous time."""
        stamp = utc_stamp(at)
        previous = self.get(incident)
        with self.database.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO resume_plans (incident, at, state, source, actor,"
                " updated, fired, outcome) VALUES (?, ?, 'scheduled', ?, ?, ?, NULL, NULL)",
                (incident, stamp, source, log.actor, utc_stamp(datetime.now(UTC))),
            )
        log.append(
            "resume.scheduled",
            {
                "planned": stamp,
                "previous": previous.at
                if previous and previous.state in ("scheduled", "running")
                else None,
                "source": source,
            },
            incident=incident,
        )
        plan = self.get(incident)
        assert plan is not None
        return plan

    def cancel(self, incident: str, reason: str, log: EvidenceLog) -> Plan | None:
        """Cancel a scheduled resume; returns the plan cancelled, or None if there was none."""
        plan = self.get(incident)
        if plan is None or plan.state != "scheduled":
            return None
        self._set(incident, state="cancelled", outcome=reason)
        log.append("resume.cancelled", {"planned": plan.at, "reason": reason}, incident=incident)
        return plan

    def _set(self, incident: str, **fields: Any) -> None:
        fields["updated"] = utc_stamp(datetime.now(UTC))
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.database.transaction() as conn:
            conn.execute(
                f"UPDATE resume_plans SET {assignments} WHERE incident = ?",
                (*fields.values(), incident),
            )

    def release_interrupted(self) -> int:
        """Plans a killed scheduler left `running`: due again (resuming twice is harmless,
        resuming never is not). Called only by the scheduler that holds the serve lock."""
        with self.database.transaction() as conn:
            return conn.execute(
                "UPDATE resume_plans SET state = 'scheduled' WHERE state = 'running'"
            ).rowcount


def resume_planner(
    orchestrator: Orchestrator, returning: datetime | None, source: str
) -> Callable[[Incident], None] | None:
    """With a return time, a switch also plans the automatic resume (under its lock)."""
    if returning is None:
        return None

    def plan(incident: Incident) -> None:
        Plans(orchestrator.database).schedule(incident.id, returning, source, orchestrator.log)

    return plan


def resume_canceller(
    orchestrator: Orchestrator, cancelled: list[Plan]
) -> Callable[[Incident], None]:
    """A resume by hand cancels the planned automatic one (under its lock); `cancelled`
    receives the plan it cancelled."""

    def cancel(incident: Incident) -> None:
        plan = Plans(orchestrator.database).cancel(incident.id, "resumed by hand", orchestrator.log)
        cancelled.extend([plan] if plan else [])

    return cancel


# -- heartbeat ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    host: str
    address: str | None
    started: str
    seen: str
    stopped: str | None

    def alive(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        fresh = now - from_stamp(self.seen) < timedelta(seconds=STALE_AFTER_SECONDS)
        return self.stopped is None and fresh


def read_heartbeat(database: Database) -> Heartbeat | None:
    rows = database.query(
        "SELECT pid, host, address, started, seen, stopped FROM scheduler_heartbeat WHERE id = 1"
    )
    return Heartbeat(*rows[0]) if rows else None


def _beat(database: Database, started: str, address: str, stopped: bool = False) -> None:
    now = utc_stamp(datetime.now(UTC))
    with database.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO scheduler_heartbeat (id, pid, host, address, started, seen,"
            " stopped) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (os.getpid(), socket.gethostname(), address, started, now, now if stopped else None),
        )


def nudge(database: Database) -> bool:
    """Ask a running `serve` to reconcile now (it would within seconds anyway)."""
    beat = read_heartbeat(database)
    if beat is None or not beat.alive() or not beat.address:
        return False
    url = beat.address.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    if not url.startswith("http://"):
        return False
    request = urllib.request.Request(  # noqa: S310 - http only, checked above
        url + "_notices/reconcile", method="POST", data=b""
    )
    try:
        with urllib.request.urlopen(request, timeout=1.0) as response:  # noqa: S310 - our own URL
            return bool(response.status == HTTPStatus.NO_CONTENT)
    except OSError:
        return False


# -- what status and the commands report ------------------------------------------------------


def schedule_report(
    database: Database,
    incident: Incident | None,
    channels: list[Channel],
    home: Path,
    zone_name: str,
) -> dict[str, Any]:
    """The schedule part of `status`: planned resume, scheduler heartbeat, safety nets."""
    plan = Plans(database).get(incident.id) if incident else None
    beat = read_heartbeat(database)
    alive = beat is not None and beat.alive()
    scheduler: dict[str, Any] = {
        "alive": alive,
        "last_heartbeat": beat.seen if beat else None,
        "stopped": beat.stopped if beat else None,
        "pid": beat.pid if beat else None,
        "host": beat.host if beat else None,
        "address": beat.address if beat else None,
    }
    planned = plan.at if plan and plan.state in ("scheduled", "running") else None
    report: dict[str, Any] = {
        "planned_resume": planned,
        "resume": plan.as_json() if plan else None,
        "scheduler": scheduler,
        "safety_nets": {c.name: c.self_expiring for c in channels},
        "warning": None,
    }
    if planned and not alive:
        report["warning"] = no_scheduler_warning(planned, beat, home, zone_name)
    elif plan and plan.state == "failed" and incident is not None:
        report["warning"] = (
            f"The automatic resume planned for {_local(plan.at, zone_name)} FAILED"
            f" ({plan.outcome}). Run `notices resume` now."
        )
    return report


def no_scheduler_warning(planned: str, beat: Heartbeat | None, home: Path, zone_name: str) -> str:
    if beat is None:
        seen = "no scheduler has ever run for this data folder"
    elif beat.stopped:
        seen = f"the scheduler stopped at {_local(beat.stopped, zone_name)}"
    else:
        seen = f"no scheduler has been seen since {_local(beat.seen, zone_name)}"
    return (
        f"An automatic resume is planned for {_local(planned, zone_name)}, but {seen}:"
        " NOTHING WILL RESUME AUTOMATICALLY. Start one on an always-on machine with"
        f" `notices serve --home {home}` (see docs/scheduler.md), or run `notices resume`"
        " by hand at that time."
    )


def _local(stamp: str, zone_name: str) -> str:
    from zoneinfo import ZoneInfo

    moment = from_stamp(stamp).astimezone(ZoneInfo(zone_name))
    return f"{moment:%d.%m.%Y %H:%M:%S} ({zone_name})"


# -- the job (runs inside serve) --------------------------------------------------------------

_running: set[str] = set()
_running_lock = threading.Lock()


def run_scheduled_resume(home: str, config: str | None, incident_id: str, planned: str) -> None:
    """The scheduled job: the CLI's resume, as actor "scheduler", if the plan still stands."""
    from notices.config import load_config
    from notices.errors import NoticesError
    from notices.orchestrator import Orchestrator, build_channels
    from notices.paths import config_path

    data = Path(home)
    with _running_lock:
        if incident_id in _running:
            return
        _running.add(incident_id)
    try:
        try:
            cfg = load_config(config_path(data, Path(config) if config else None))
            orchestrator = Orchestrator(cfg, data, build_channels(cfg, data), actor=SCHEDULER_ACTOR)
        except NoticesError as exc:
            _fail_before_start(data, incident_id, planned, str(exc))
            return
        plans = Plans(orchestrator.database)

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
            plans._set(incident.id, state="running", fired=utc_stamp(now))
            late = (now - from_stamp(plan.at)).total_seconds()
            orchestrator.log.append(
                "resume.due",
                {"planned": plan.at, "fired": utc_stamp(now), "late_s": round(late, 3)},
                incident=incident.id,
            )
            return None

        try:
            result = orchestrator.resume(
                dry_run=False, arguments={"scheduled_for": planned}, only_if=still_due
            )
            if result.message:
                _say(f"scheduled resume of {incident_id} not run: {result.message}")
                return
            failed = [f"{o.name}: {o.error}" for o in result.outcomes if not o.ok]
            if failed:
                _failed(orchestrator, plans, incident_id, planned, "; ".join(failed))
                return
            plans._set(incident_id, state="done", outcome="every channel restored")
            _say(f"scheduled resume of {incident_id} (planned {planned}): every channel restored")
        except Exception as exc:  # noqa: BLE001 - a failed job must show in status, not vanish
            _failed(orchestrator, plans, incident_id, planned, str(exc) or type(exc).__name__)
        finally:
            orchestrator.close()
    finally:
        with _running_lock:
            _running.discard(incident_id)


def _failed(
    orchestrator: Orchestrator, plans: Plans, incident_id: str, planned: str, error: str
) -> None:
    """Log the failure and, while tries remain, plan the next try: a resume that cannot be
    missed must not give up because one provider was down at the planned moment."""
    log = orchestrator.log
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
    if again is not None and orchestrator.incidents.open_incident() is not None:
        plans.schedule(incident_id, again, "retry", log)
        _say(f"scheduled resume of {incident_id} FAILED ({error}); trying again at {again}")
    else:
        plans._set(incident_id, state="failed", outcome=error)
        _say(f"scheduled resume of {incident_id} FAILED ({error}); no tries left")


def _fail_before_start(data: Path, incident_id: str, planned: str, error: str) -> None:
    from notices.log import EvidenceLog

    database = Database(data / "notices.db")
    try:
        Plans(database)._set(incident_id, state="failed", outcome=error)
        EvidenceLog(database, actor=SCHEDULER_ACTOR).append(
            "resume.failed", {"planned": planned, "error": error}, incident=incident_id
        )
    finally:
        database.close()
    _say(f"scheduled resume of {incident_id} FAILED before it started: {error}")


def _say(line: str) -> None:
    print(f"{utc_stamp(datetime.now(UTC))} {line}", flush=True)


# -- serve ------------------------------------------------------------------------------------

SAMPLE_PAGE = """<!doctype html>
<html lang="fi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>notices: sample page</title>
<script src="/notices.js" data-interval="5" defer></script>
</head>
<body>
<main>
<h1>Esimerkkisivu / Exempelsida / Sample page</h1>
<p>This page includes <code>notices.js</code> once, as a real site would. While an incident is
on, the banner appears above this text; after <code>notices resume</code> it goes away.</p>
</main>
</body>
</html>
"""

INDEX_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>notices serve</title></head>
<body>
<h1>notices serve</h1>
<ul>
<li><a href="/sample.html">sample.html</a>: a page with the banner script</li>
<li><a href="/notice.html">notice.html</a>: the standalone notice (while an incident is on)</li>
<li><a href="/status.json">status.json</a>, <a href="/greeting.xml">greeting.xml</a></li>
</ul>
</body>
</html>
"""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "text/xml; charset=utf-8",
    ".sieve": "application/sieve; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """The data folder's site/, never cached; plus /sample.html and the reconcile nudge."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}  # noqa: RUF012
    wake: Callable[[], None] = staticmethod(lambda: None)
    health: Callable[[], dict[str, Any]] = staticmethod(dict)
    sms: SmsGate | None = None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(200, INDEX_PAGE.encode(), CONTENT_TYPES[".html"])
        elif path == "/sample.html":
            self._send(200, SAMPLE_PAGE.encode(), CONTENT_TYPES[".html"])
        elif path == "/_notices/health":
            body = json.dumps(type(self).health()).encode()
            self._send(200, body, "application/json")
        elif path == "/notices.js" and not (Path(self.directory) / "notices.js").exists():
            # Before the first incident the site has no notices.js yet: serve ours.
            script = package_files("notices").joinpath("static/notices.js").read_bytes()
            self._send(200, script, CONTENT_TYPES[".js"])
        else:
            # Files change within a second; a 304 by mtime could serve a stale notice.
            del self.headers["If-Modified-Since"]
            super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        if self.path == "/_notices/reconcile":
            type(self).wake()
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()
        elif self.path.split("?", 1)[0] in (SMS_PATH, VOICE_PATH) and type(self).sms is not None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_WEBHOOK_BYTES:
                self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return
            gate = type(self).sms
            assert gate is not None
            signature = self.headers.get("X-Twilio-Signature")
            status, body, content_type = gate.handle(self.path, signature, self.rfile.read(length))
            self._send(status, body, content_type)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server:
    """`notices serve`: the scheduler, the heartbeat and the local site, in one process."""

    def __init__(
        self,
        home: Path,
        config: Path | None,
        host: str,
        port: int,
        checkpoint_every: float = CHECKPOINT_SECONDS,
        resume_retry_s: float = RESUME_RETRY_SECONDS,
    ) -> None:
        resume_retry.first_s = resume_retry_s  # read by the job function, in this process
        self.checkpoint_every = checkpoint_every
        self.home = home.resolve()
        self.config = config.resolve() if config else None
        self.host = host
        self.port = port
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.started = utc_stamp(datetime.now(UTC))
        self.address = ""

    def run(self) -> None:
        from filelock import FileLock, Timeout

        self.home.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.home / "serve.lock", timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise StateError(self._already_running()) from None
        try:
            self._run_locked()
        finally:
            lock.release()

    def _already_running(self) -> str:
        database = Database(self.home / "notices.db")
        try:
            beat = read_heartbeat(database)
        finally:
            database.close()
        who = f" (pid {beat.pid} on {beat.host}, {beat.address})" if beat else ""
        return (
            f"another `notices serve` is already running for {self.home}{who}; only one may"
            " run per data folder, so that no resume runs twice"
        )

    def _run_locked(self) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        database = Database(self.home / "notices.db")
        site = self.home / "site"
        site.mkdir(parents=True, exist_ok=True)
        from notices.sms import SmsGate

        gate = SmsGate(self.home, self.config)
        handler = type(
            "Handler",
            (SiteHandler,),
            {
                "sms": gate,
                "wake": staticmethod(self.wakeup.set),
                "health": staticmethod(
                    lambda: {"pid": os.getpid(), "home": str(self.home), "started": self.started}
                ),
            },
        )
        try:
            httpd = ThreadingHTTPServer((self.host, self.port), partial(handler, directory=site))
        except OSError as exc:
            gate.close()
            database.close()
            raise UsageError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror}; choose another"
                " port with --port"
            ) from None
        httpd.daemon_threads = True
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.address = f"http://{host}:{httpd.server_address[1]}/"
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{self.home / 'jobs.db'}")},
            # No misfire limit: a resume due while serve was down runs when it is back, late
            # rather than never; coalesce: several missed runs of one job run once.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        # Paused until the jobs match the plans: a stale job must not fire first.
        scheduler.start(paused=True)
        beat_thread = threading.Thread(target=self._loop, args=(scheduler,), daemon=True)
        try:
            released = Plans(database).release_interrupted()
            if released:
                _say(f"{released} resume(s) interrupted by a stopped scheduler are due again")
            self._reconcile(scheduler, database)
            _beat(database, self.started, self.address)
            scheduler.resume()
            beat_thread.start()
            self._install_signals(httpd)
            _say(
                f"notices serve: data folder {self.home}; scheduler running;"
                f" site at {self.address} (sample.html, notice.html)"
            )
            httpd.serve_forever(poll_interval=0.2)
        finally:
            self.stopping.set()
            self.wakeup.set()
            if beat_thread.is_alive():
                beat_thread.join(timeout=5)
            # wait=True: a resume in progress finishes before we go; so does an SMS command.
            scheduler.shutdown(wait=True)
            httpd.server_close()
            gate.close()
            _beat(database, self.started, self.address, stopped=True)
            database.close()
            _say("notices serve stopped")

    def _install_signals(self, httpd: ThreadingHTTPServer) -> None:
        def stop(signum: int, frame: Any) -> None:
            # shutdown() waits for serve_forever, which runs on this (the main) thread.
            threading.Thread(target=httpd.shutdown, daemon=True).start()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)

    def _loop(self, scheduler: Any) -> None:
        database = Database(self.home / "notices.db")
        try:
            while not self.stopping.is_set():
                self.wakeup.wait(min(HEARTBEAT_SECONDS, RECONCILE_SECONDS))
                self.wakeup.clear()
                if self.stopping.is_set():
                    break
                try:
                    self._reconcile(scheduler, database)
                    _beat(database, self.started, self.address)
                    self._checkpoint(database)
                except Exception as exc:  # noqa: BLE001 - keep beating; say what went wrong
                    print(f"scheduler loop: {exc}", file=sys.stderr, flush=True)
        finally:
            database.close()

    def _checkpoint(self, database: Database) -> None:
        """While an incident is open, a signed checkpoint of the chain head at least every
        `checkpoint_every` seconds (counting any checkpoint, whoever wrote it)."""
        from notices.anchor import Head, last_checkpoint_time, write_checkpoint

        if not database.query("SELECT id FROM incidents WHERE ended IS NULL LIMIT 1"):
            return
        last = last_checkpoint_time(self.home)
        now = datetime.now(UTC)
        if last is not None and (now - last).total_seconds() < self.checkpoint_every:
            return
        rows = database.query("SELECT seq, link_hash FROM log ORDER BY seq DESC LIMIT 1")
        if rows:
            write_checkpoint(self.home, Head(rows[0][0], rows[0][1]), CHECKPOINT_REASON)

    def _reconcile(self, scheduler: Any, database: Database) -> None:
        """Make the job store hold exactly one job per pending plan, at the planned time."""
        from apscheduler.triggers.date import DateTrigger

        wanted = {JOB_PREFIX + plan.incident: plan for plan in Plans(database).pending()}
        with _running_lock:
            busy = {JOB_PREFIX + incident for incident in _running}
        config = str(self.config) if self.config else None
        for job in scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                scheduler.remove_job(job.id)
                _say(f"removed the job {job.id}: no longer planned")
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
            _say(f"job {job_id} set for {plan.at} ({'moved' if job else 'new'})")
