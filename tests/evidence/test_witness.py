"""A witness outside the data folder (a folder on another path, an SFTP host, an S3 bucket
with Object Lock): it receives every checkpoint, and `log verify --witness` reports a
roll-back that the data folder alone cannot show."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.log import tamper
from tests.support.net import free_port

pytestmark = pytest.mark.integration


@dataclass
class Witness:
    kind: str
    options: dict[str, object]  # [evidence] witness
    lines: Callable[[], list[bytes]]  # what the witness holds, in order


def toml_inline(options: dict[str, object]) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in options.items()) + " }"


def folder_witness(root: Path) -> Witness:
    def lines() -> list[bytes]:
        return [p.read_bytes() for p in sorted((root / "notices-witness").glob("heads-*.json"))]

    return Witness("folder", {"type": "folder", "path": str(root)}, lines)


def sftp_witness(sshd, root: Path) -> Witness:
    options = {
        "type": "sftp",
        "host": "127.0.0.1",
        "port": sshd.port,
        "username": sshd.username,
        "key_file": str(sshd.user_key),
        "known_hosts": str(sshd.known_hosts),
        "path": str(root),
    }
    return Witness("sftp", options, folder_witness(root).lines)


def s3_witness(s3_server, monkeypatch) -> Witness:
    monkeypatch.setenv("TEST_S3_KEY_ID", "test-key-id")
    monkeypatch.setenv("TEST_S3_SECRET", "test-secret")
    bucket = f"witness-{uuid.uuid4().hex[:12]}"
    s3 = s3_server.client()
    s3.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": "eu-north-1"},
        ObjectLockEnabledForBucket=True,
    )

    def lines() -> list[bytes]:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix="office-1/").get("Contents", [])
        keys = sorted(item["Key"] for item in listing)
        return [s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys]

    options = {
        "type": "s3",
        "bucket": bucket,
        "prefix": "office-1/",
        "endpoint_url": s3_server.endpoint,
        "region": "eu-north-1",
        "access_key_id_env": "TEST_S3_KEY_ID",
        "secret_access_key_env": "TEST_S3_SECRET",
        "path_style": True,
        "retain_days": 30,
    }
    return Witness("s3", options, lines)


@pytest.fixture(params=["folder", "sftp", "s3"])
def witness(request, tmp_path: Path, monkeypatch) -> Witness:
    if request.param == "folder":
        return folder_witness(tmp_path / "witness")
    if request.param == "sftp":
        return sftp_witness(request.getfixturevalue("sshd"), tmp_path / "sftp-witness")
    return s3_witness(request.getfixturevalue("s3_server"), monkeypatch)


def heads(home: Path) -> list[bytes]:
    return (home / "heads.jsonl").read_bytes().splitlines()


def switched(notices, home: Path, witness: Witness) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(f"[evidence]\nwitness = {toml_inline(witness.options)}\n")
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    assert notices("log", "checkpoint").exit_code == 0
    assert not [r for r in json_records(notices) if r["kind"] == "witness.failed"]


def json_records(notices) -> list[dict]:
    return [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]


def test_every_checkpoint_reaches_the_witness(notices, home, witness):
    switched(notices, home, witness)
    assert witness.lines() == heads(home) and len(heads(home)) >= 3
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 0, run.stderr
    assert "the witness agrees" in run.stdout


def test_a_consistent_roll_back_passes_alone_and_fails_against_the_witness(notices, home, witness):
    """Head file and database both cut back to just after line 2's record: a valid, shorter
    log that the data folder alone cannot tell from an honest one."""
    switched(notices, home, witness)
    lines = heads(home)[:2]
    (home / "heads.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    with_record = json.loads(lines[-1])["checkpoint"]["last_seq"] + 1
    tamper(home, f"DELETE FROM log WHERE seq > {with_record}")
    assert notices("log", "verify").exit_code == 0  # the limit the witness is there for
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 1
    message = " ".join(run.stderr.split())
    assert f"holds {len(witness.lines())} checkpoints, the data folder only 2" in message
    assert "rolled back" in message and witness.kind in message


def test_a_witness_that_disagrees_is_reported(notices, home, tmp_path):
    witness = folder_witness(tmp_path / "witness")
    switched(notices, home, witness)
    first = tmp_path / "witness" / "notices-witness" / "heads-00000001.json"
    first.write_text(first.read_text().replace('"reason": "', '"reason": "x'))
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 1
    assert "heads.jsonl line 1 differs from the witness's" in " ".join(run.stderr.split())


def test_the_s3_witness_is_locked_in_compliance_mode(notices, home, s3_server, monkeypatch):
    """In a bucket with Object Lock, every line is kept in compliance mode for retain_days:
    its version cannot be deleted; a line written there again is a second version, which
    `log verify --witness` reports (a plain read would see only the latest)."""
    witness = s3_witness(s3_server, monkeypatch)
    switched(notices, home, witness)
    s3, bucket = s3_server.client(), witness.options["bucket"]
    key = "office-1/notices-witness/heads-00000001.json"
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert timedelta(days=29) < until - datetime.now(UTC) < timedelta(days=31)
    with pytest.raises(Exception, match="AccessDenied"):
        s3.delete_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])
    s3.put_object(Bucket=bucket, Key=key, Body=heads(home)[0].replace(b'"reason": "', b'"x'))
    run = notices("log", "verify", "--witness")
    assert run.exit_code == 1
    message = " ".join(run.stderr.split())
    assert "holds 2 versions of notices-witness/heads-00000001.json" in message


def test_an_s3_bucket_without_object_lock_is_written_plainly(notices, home, s3_server, monkeypatch):
    witness = s3_witness(s3_server, monkeypatch)
    plain = f"plain-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(
        Bucket=plain, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    witness.options["bucket"] = plain
    switched(notices, home, witness)
    head = s3_server.client().head_object(
        Bucket=plain, Key="office-1/notices-witness/heads-00000001.json"
    )
    assert "ObjectLockMode" not in head
    assert notices("log", "verify", "--witness").exit_code == 0


def test_an_unreachable_witness_never_fails_a_command_and_catches_up(notices, home, tmp_path, sshd):
    """The SFTP host down during the switch: the switch succeeds, `witness.failed` says why;
    the next checkpoint, with the host back, sends every line."""
    witness = sftp_witness(sshd, tmp_path / "sftp-witness")
    down = Witness("sftp", {**witness.options, "port": free_port(), "timeout": 1}, witness.lines)
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(f"[evidence]\nwitness = {toml_inline(down.options)}\n")
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    failures = [r for r in json_records(notices) if r["kind"] == "witness.failed"]
    assert failures and "127.0.0.1" in failures[-1]["payload"]["error"]
    assert witness.lines() == []
    (home / "notices.toml").write_text(f"[evidence]\nwitness = {toml_inline(witness.options)}\n")
    assert notices("log", "checkpoint").exit_code == 0
    assert witness.lines() == heads(home) and len(heads(home)) >= 2
