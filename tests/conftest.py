from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from notices import cli


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.stdout)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data folder; nothing from the developer's machine leaks in."""
    data = tmp_path / "home"
    monkeypatch.setenv("NOTICES_HOME", str(data))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NOTICES_ACTOR", "test-operator")
    for name in ("NOTICES_CONFIG", "NOTICES_FAULT_INJECT"):
        monkeypatch.delenv(name, raising=False)
    yield data


@pytest.fixture
def notices() -> Iterator[Callable[..., Run]]:
    """Run the CLI in-process, exactly as `notices ARGS...` would."""
    runner = CliRunner()
    registered = list(cli.app.registered_commands)

    def run(*args: str, input: str | None = None) -> Run:
        cli.register_configured_modes(list(args))
        result = runner.invoke(cli.app, list(args), input=input, prog_name="notices")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield run
    cli.app.registered_commands[:] = registered


@pytest.fixture
def notices_process() -> Callable[..., subprocess.Popen[str]]:
    """Start the CLI as a separate process (for crashes and races)."""

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        import os

        return subprocess.Popen(
            [sys.executable, "-m", "notices", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    return start


def site_files(home: Path) -> dict[str, bytes]:
    site = home / "site"
    if not site.exists():
        return {}
    return {
        str(path.relative_to(site)): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }


def log_count(home: Path) -> int:
    db = home / "notices.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM log").fetchone()[0])


def in_a_terminal(
    home: Path, args: list[str], answers: list[tuple[str, str]], timeout: float = 60
) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, as a person would; each (prompt, answer) is typed
    once the prompt has appeared. Returns (exit code, everything shown)."""
    import os
    import select
    import time

    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "notices", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "NOTICES_HOME": str(home)},
        close_fds=True,
    )
    os.close(follower)
    output, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if pending and pending[0][0].encode() in output:
            prompt, answer = pending.pop(0)
            output = output.replace(prompt.encode(), f"<{prompt}>".encode(), 1)
            os.write(leader, answer.encode() + b"\n")
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return process.wait(timeout=30), output.decode("utf-8", "replace")
