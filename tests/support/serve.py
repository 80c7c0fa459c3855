"""`notices serve` as a real separate process, and readers of what it leaves behind: the
incidents, the resumes it ran and the scheduler's job store."""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.log import query, records


def iso_in(seconds: float) -> str:
    """A UTC time `seconds` from now, whole seconds, as `--until` and `--at` take it."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.replace(microsecond=0).isoformat()


def resumes(home: Path) -> list[dict[str, Any]]:
    return [r for r in records(home, "command.started") if r["payload"]["command"] == "resume"]


def is_normal(home: Path) -> bool:
    return not query(home / "notices.db", "SELECT id FROM incidents WHERE ended IS NULL")


def jobs(home: Path) -> dict[str, float]:
    """The scheduler's job store, read only: job id -> next run time (UNIX seconds)."""
    return dict(query(home / "jobs.db", "SELECT id, next_run_time FROM apscheduler_jobs"))


@dataclass
class Serve:
    process: subprocess.Popen[str]
    home: Path
    address: str = ""

    def stop(self) -> str:
        """SIGTERM, as systemd stops it; returns what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=20)
        return out + err
