"""`notices serve` anchors the log's head in signed checkpoints while an incident is open."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.wait import wait_until

pytestmark = pytest.mark.integration
PERIODIC = "incident open (periodic)"


def checkpoints(home: Path) -> list[dict[str, Any]]:
    path = home / "heads.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def periodic(home: Path) -> list[dict[str, Any]]:
    return [c for c in checkpoints(home) if c["checkpoint"]["reason"] == PERIODIC]


def test_serve_writes_signed_checkpoints_while_an_incident_is_open_and_stops_after(
    serve, notices, home
):
    server = serve("--checkpoint-every", "1")
    assert notices("evacuate", "--yes").exit_code == 0  # open, no planned return
    wait_until(lambda: len(periodic(home)) >= 2, 10, "two periodic checkpoints")
    assert notices("resume", "--yes").exit_code == 0
    written = periodic(home)
    time.sleep(3.5)  # longer than the interval and a scheduler loop: none while normal
    assert periodic(home) == written
    server.stop()

    entries = checkpoints(home)
    for entry in written:
        body = entry["checkpoint"]
        assert body["last_seq"] >= 1 and len(body["head"]) == 64 and entry["signature"]
    # Each links to the line before it and matches the chain: verify checks both.
    assert entries[0]["checkpoint"]["previous"] is None
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stdout + run.stderr


def test_checkpoint_interval_is_respected(serve, notices, home):
    serve("--checkpoint-every", "3600")
    assert notices("evacuate", "--yes").exit_code == 0
    time.sleep(2.5)  # a scheduler loop or more: the command's own checkpoint is fresh
    assert periodic(home) == []
    assert notices("resume", "--yes").exit_code == 0
