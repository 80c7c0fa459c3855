"""`notices serve` as a real separate process (readers of what it leaves behind are in
tests/support/serve.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.log import query
from tests.support.serve import Serve
from tests.support.wait import wait_until


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
