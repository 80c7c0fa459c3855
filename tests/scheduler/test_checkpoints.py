"""`notices serve` anchors the log's head in signed checkpoints while an incident is open."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.log import records
from tests.support.net import free_port
from tests.support.tsa import Authority
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


def test_serve_stamps_the_checkpoints_the_authority_could_not(serve, notices, home, tmp_path):
    """The authority down during the switch; `serve` tries again by itself and stamps every
    waiting checkpoint once the authority answers, each late stamp recorded with its delay."""
    authority = Authority.make(tmp_path / "tsa").serve()
    try:
        home.mkdir(parents=True, exist_ok=True)
        config = home / "notices.toml"
        down = f"http://127.0.0.1:{free_port()}/tsa"
        config.write_text(f'[evidence]\ntsa_url = "{down}"\ntsa_timeout_s = 1\n', "utf-8")
        assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
        assert notices("resume", "--yes").exit_code == 0
        assert records(home, "checkpoint.stamp_failed") and not (home / "stamps.jsonl").exists()
        config.write_text(f'[evidence]\ntsa_url = "{authority.url}"\n', "utf-8")
        serve("--checkpoint-every", "1")
        lines = len(checkpoints(home))
        wait_until(lambda: len(records(home, "checkpoint.stamped")) >= lines, 15, "late stamps")
    finally:
        authority.stop()
    stamped = records(home, "checkpoint.stamped")
    assert [r["payload"]["line"] for r in stamped] == list(range(1, lines + 1))
    assert all(r["payload"]["delay_s"] >= 0 for r in stamped)
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert f"{lines} timestamp tokens (their authority not checked: no CA)" in run.stdout


def test_serve_sends_its_periodic_checkpoints_to_the_witness(serve, notices, home, tmp_path):
    witness = tmp_path / "witness" / "notices-witness"
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f'[evidence]\nwitness = {{ type = "folder", path = "{witness.parent}" }}\n', "utf-8"
    )

    def witnessed_periodic() -> int:
        held = [json.loads(p.read_bytes()) for p in sorted(witness.glob("heads-*.json"))]
        return sum(1 for line in held if line["checkpoint"]["reason"] == PERIODIC)

    server = serve("--checkpoint-every", "1")
    assert notices("evacuate", "--yes").exit_code == 0
    # While the incident is open, no command runs: only serve can send them.
    wait_until(lambda: witnessed_periodic() >= 2, 10, "two periodic checkpoints at the witness")
    assert notices("resume", "--yes").exit_code == 0
    server.stop()
    lines = (home / "heads.jsonl").read_bytes().splitlines()
    assert [p.read_bytes() for p in sorted(witness.glob("heads-*.json"))] == lines
    assert notices("log", "verify", "--witness").exit_code == 0
