"""A witness outside the data folder (here a folder publisher on another path): it receives
every checkpoint, and `log verify --witness` reports a roll-back that the data folder alone
cannot show."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.log import tamper


def configure(home: Path, witness: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f'[evidence]\nwitness = {{ type = "folder", path = "{witness}" }}\n', "utf-8"
    )


def heads(home: Path) -> list[bytes]:
    return (home / "heads.jsonl").read_bytes().splitlines()


def witnessed(witness: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((witness / "notices-witness").glob("heads-*.json"))]


def switched(notices, home: Path, tmp_path: Path) -> Path:
    witness = tmp_path / "witness"
    configure(home, witness)
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    assert notices("log", "checkpoint").exit_code == 0
    return witness


def test_every_checkpoint_reaches_the_witness(notices, home, tmp_path):
    witness = switched(notices, home, tmp_path)
    assert witnessed(witness) == heads(home) and len(heads(home)) >= 3
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 0, run.stderr
    assert "the witness agrees" in run.stdout


def test_a_consistent_roll_back_passes_alone_and_fails_against_the_witness(notices, home, tmp_path):
    """Head file and database both cut back to just after line 2's record: a valid, shorter
    log that the data folder alone cannot tell from an honest one."""
    witness = switched(notices, home, tmp_path)
    lines = heads(home)[:2]
    (home / "heads.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    with_record = json.loads(lines[-1])["checkpoint"]["last_seq"] + 1
    tamper(home, f"DELETE FROM log WHERE seq > {with_record}")
    assert notices("log", "verify").exit_code == 0  # the limit the witness is there for
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 1
    message = run.stderr.replace("\n", " ")
    assert f"holds {len(witnessed(witness))} checkpoints, the data folder only 2" in message
    assert "rolled back" in message


def test_a_witness_that_disagrees_is_reported(notices, home, tmp_path):
    witness = switched(notices, home, tmp_path)
    first = witness / "notices-witness" / "heads-00000001.json"
    first.write_text(first.read_text().replace('"reason": "', '"reason": "x'))
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 1
    assert "heads.jsonl line 1 differs from the witness's" in run.stderr.replace("\n", " ")
