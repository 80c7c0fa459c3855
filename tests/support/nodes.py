"""Two `notices serve` nodes on one PostgreSQL store, as real processes: each with its own
data folder (the keys copied from the first, as docs/store.md says to provision them)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.postgres import pg_query
from tests.support.wait import wait_until


@dataclass
class Node:
    home: Path
    url: str
    process: subprocess.Popen[str] | None = None
    address: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        import socket

        return f"{socket.gethostname()}:{self.home.resolve()}"

    def start(self, *extra: str) -> Node:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "notices", "serve", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **self.env},
        )
        rows = wait_until(
            lambda: self.alive() and self.row(), 20, f"the node {self.home.name} to beat"
        )
        self.address = rows[0][0]
        return self

    def row(self) -> list[tuple[Any, ...]]:
        assert self.process is not None
        return pg_query(
            self.url,
            "SELECT address, role FROM nodes WHERE node = ? AND pid = ? AND stopped IS NULL",
            (self.name, self.process.pid),
        )

    def role(self) -> str | None:
        rows = self.row()
        return str(rows[0][1]) if rows else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=10)

    def stop(self) -> str:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=30)
        return out + err


def provision(first: Path, second: Path) -> None:
    """The second node's data folder: the first's keys and configuration, nothing else."""
    second.mkdir(parents=True, exist_ok=True)
    shutil.copytree(first / "keys", second / "keys")
    if (first / "notices.toml").exists():
        shutil.copy2(first / "notices.toml", second / "notices.toml")
