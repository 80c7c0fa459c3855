"""The planned automatic resumes and the scheduler's heartbeat, as the database keeps them.

Commands (on any door) write a plan when a switch has a return time, move it on `extend` and
`resume --at`, and cancel it on a resume by hand; they then nudge `serve`, whose scheduler
(notices/schedule.py) holds one job per pending plan. `status` reads the plan and the
heartbeat to say whether anything will resume, and warns loudly when nothing will.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notices.db import Database
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    from notices.evidence.log import EvidenceLog
    from notices.incident import Incident

# A scheduler not seen for this long is taken for dead.
STALE_AFTER_SECONDS = 15.0


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
                "INSERT INTO resume_plans (incident, at, state, source, actor, updated, fired,"
                " outcome) VALUES (?, ?, 'scheduled', ?, ?, ?, NULL, NULL)"
                " ON CONFLICT (incident) DO UPDATE SET at = excluded.at, state = excluded.state,"
                " source = excluded.source, actor = excluded.actor, updated = excluded.updated,"
                " fired = NULL, outcome = NULL",
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
        self.set_state(incident, state="cancelled", outcome=reason)
        log.append("resume.cancelled", {"planned": plan.at, "reason": reason}, incident=incident)
        return plan

    def set_state(self, incident: str, **fields: Any) -> None:
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


def record_heartbeat(database: Database, started: str, address: str, stopped: bool = False) -> None:
    now = utc_stamp(datetime.now(UTC))
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO scheduler_heartbeat (id, pid, host, address, started, seen, stopped)"
            " VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid,"
            " host = excluded.host, address = excluded.address, started = excluded.started,"
            " seen = excluded.seen, stopped = excluded.stopped",
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
    self_expiring: dict[str, bool],
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
        "safety_nets": self_expiring,
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
