"""The evidence log is durable, and a data folder that cannot be written stops the command
before any channel is touched."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from notices.db import Database
from tests.support.log import log_count
from tests.support.site import site_files


def test_log_uses_wal_and_full_sync(notices, home):
    assert notices("evacuate", "--yes").exit_code == 0
    with sqlite3.connect(home / "notices.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    database = Database(home / "notices.db")
    try:
        assert database.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        database.close()


@contextlib.contextmanager
def mounted(*command: str) -> Iterator[None]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): needs root")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", command[-1]], check=False)


def test_full_disk_fails_before_switching(notices, home):
    home.mkdir(parents=True)
    with mounted("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(home)):
        run = notices("evacuate", "--yes")
        assert run.exit_code == 1, run.stdout + run.stderr
        assert "disk is full" in run.stderr and "Nothing was switched" in run.stderr
        assert site_files(home) == {} and log_count(home) == 0
        assert not (home / ".notices-write-check").exists()


def test_read_only_data_folder_fails_before_switching(notices, home: Path):
    assert notices("status").exit_code == 0  # the log exists, as on any used machine
    before = log_count(home)
    with mounted("mount", "--bind", "-o", "ro", str(home), str(home)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(home)], check=True)
        run = notices("evacuate", "--yes")
        assert run.exit_code == 1, run.stdout + run.stderr
        assert "read-only" in run.stderr and "Nothing was switched" in run.stderr
    assert site_files(home) == {} and log_count(home) == before
