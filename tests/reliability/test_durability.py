"""The evidence log is durable, and a data folder that cannot be written stops the command
before any channel is touched."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from notices.db import Database
from tests.support.log import log_count
from tests.support.mount import mounted
from tests.support.site import site_files


@pytest.mark.sqlite_only
def test_log_uses_wal_and_full_sync(notices, home):
    assert notices("evacuate", "--yes").exit_code == 0
    with sqlite3.connect(home / "notices.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    database = Database(home / "notices.db")
    try:
        assert database.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        database.close()


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


@pytest.mark.parametrize(
    ("key", "content"),
    [
        ("keys/signing-ed25519.pem", b""),  # what a power cut at creation left
        ("keys/signing-ed25519.pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"),
        ("keys/personal-hmac.key", b""),
    ],
    ids=["empty-signing", "malformed-signing", "empty-personal"],
)
def test_an_empty_or_malformed_key_is_refused_before_switching(
    notices, home: Path, key: str, content: bytes
):
    assert notices("status").exit_code == 0
    (home / key).unlink(missing_ok=True)
    (home / key).parent.mkdir(parents=True, exist_ok=True)
    (home / key).write_bytes(content)
    before = log_count(home)
    run = notices("evacuate", "--yes")
    assert run.exit_code == 1, run.stdout + run.stderr
    said = " ".join(run.stderr.split())
    assert said.startswith("error:") and "Traceback" not in said, said
    assert str(home / key) in said and "Nothing was switched" in said, said
    assert "empty" in said or "not a valid key" in said, said
    assert site_files(home) == {} and log_count(home) == before


def test_keys_are_written_whole_and_private(notices, home: Path):
    assert notices("evacuate", "--yes").exit_code == 0
    for key in ("keys/signing-ed25519.pem", "keys/personal-hmac.key"):
        path = home / key
        assert path.stat().st_size > 0 and path.stat().st_mode & 0o777 == 0o600, key
    assert not [p for p in (home / "keys").iterdir() if p.name.startswith(".")], "no temp left"


def test_log_verify_needs_no_write_access(notices, home: Path):
    assert notices("evacuate", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    for lock in home.rglob("*.lock"):
        lock.unlink()
    with mounted("mount", "--bind", "-o", "ro", str(home), str(home)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(home)], check=True)
        run = notices("log", "verify")
        assert run.exit_code == 0, run.stdout + run.stderr


def private(root: Path) -> list[str]:
    """Paths under `root` (itself included) that are not 0700 (folders) or 0600 (files)."""
    wrong = []
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        if mode != (0o700 if path.is_dir() else 0o600):
            wrong.append(f"{path} {oct(mode)}")
    return wrong


def test_the_data_folder_and_dossiers_are_their_owners_alone(notices, home: Path, tmp_path):
    assert notices("init").exit_code == 0
    assert private(home) == []
    assert notices("evacuate", "--yes").exit_code == 0
    incident = notices("status", "--json").json()["incident"]
    dossier = tmp_path / "dossier"
    assert notices("log", "export", "--incident", incident, "-o", str(dossier)).exit_code == 0
    assert (home / "heads.jsonl").exists() and (home / "keys").is_dir()
    assert private(home) == [] and private(dossier) == []


def test_check_repairs_the_permissions(notices, home: Path):
    assert notices("evacuate", "--yes").exit_code == 0
    home.chmod(0o755)
    (home / "heads.jsonl").chmod(0o644)  # on SQLite or PostgreSQL alike: a file of the folder
    (home / "keys").chmod(0o755)
    run = notices("check")
    assert "Permissions repaired" in run.stdout, run.stdout
    assert private(home) == []


def test_export_mode_lets_the_group_read_when_asked(notices, home: Path, tmp_path):
    assert notices("evacuate", "--yes").exit_code == 0
    incident = notices("status", "--json").json()["incident"]
    dossier = tmp_path / "shared"
    run = notices("log", "export", "--incident", incident, "-o", str(dossier), "--mode", "640")
    assert run.exit_code == 0, run.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in [dossier, *dossier.rglob("*")]}
    assert modes.pop("shared") == 0o750 and set(modes.values()) == {0o640}, modes
    assert notices("log", "verify", str(dossier)).exit_code == 0
    bad = notices(
        "log", "export", "--incident", incident, "-o", str(tmp_path / "x"), "--mode", "777"
    )
    assert bad.exit_code == 2 and "--mode" in bad.stderr
