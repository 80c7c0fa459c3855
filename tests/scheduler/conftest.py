"""`notices serve` as a real separate process, and readers of what it leaves behind."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def iso_in(seconds: float) -> str:
    """A UTC time `seconds` from now, whole seconds, as `--until` and `--at` take it."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.replace(microsecond=0).isoformat()


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def records(home: Path, kind: str | None = None) -> list[dict[str, Any]]:
    rows = query(home / "notices.db", "SELECT seq, actor, kind, incident, payload FROM log")
    found = [
        {"seq": r[0], "actor": r[1], "kind": r[2], "incident": r[3], "payload": json.loads(r[4])}
        for r in rows
    ]
    return [r for r in found if kind is None or r["kind"] == kind]


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


@pytest.fixture
def serve(home: Path) -> Iterator[Callable[..., Serve]]:
    """Start `notices serve --port 0` on the test's data folder; ready once it heartbeats."""
    started: list[Serve] = []

    def start(*extra: str, wait: bool = True) -> Serve:
        process = subprocess.Popen(
            [sys.executable, "-m", "notices", "serve", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NOTICES_HOME": str(home)},
        )
        server = Serve(process, home)
        started.append(server)
        if wait:
            rows = wait_until(
                lambda: (
                    process.poll() is None
                    and query(
                        home / "notices.db",
                        "SELECT address FROM scheduler_heartbeat WHERE pid = ? AND stopped IS NULL",
                        (process.pid,),
                    )
                ),
                10,
                "notices serve to start",
            )
            server.address = rows[0][0]
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate(timeout=10)
