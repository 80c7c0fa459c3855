"""Roll-back and deletion, detected without a witness: the chain records every checkpoint
written to heads.jsonl and record 1 names the signing key; `log verify` only reads."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.log import query, records, tamper

HEADS = "heads.jsonl"


def folder_bytes(home: Path) -> dict[str, bytes]:
    """Every file of the data folder (hidden ones too) with its content."""
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def heads(home: Path) -> list[bytes]:
    return (home / HEADS).read_bytes().splitlines()


@pytest.fixture
def switched(notices: Callable[..., Any], home: Path) -> Path:
    """Two commands, each ending in a checkpoint, and one written by hand."""
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    assert notices("log", "checkpoint").exit_code == 0
    assert len(heads(home)) >= 3
    return home


def failed(notices: Callable[..., Any], *args: str) -> str:
    run = notices("log", "verify", *args)
    assert run.exit_code == 1, run.stdout
    assert "FAILED" in run.stderr
    return str(run.stderr).replace("\n", " ")


def test_checkpoints_are_recorded_in_the_chain_and_record_1_names_the_key(notices, switched):
    first, *rest = records(switched)
    key = notices("log", "key", "--json").json()
    assert first["seq"] == 1 and first["kind"] == "log.started"
    assert first["payload"]["signing_key"] == key
    raw = base64.b64decode(key["public_key"])
    assert key["fingerprint_sha256"] == hashlib.sha256(raw).hexdigest()
    written = [r for r in rest if r["kind"] == "checkpoint.written"]
    lines = heads(switched)
    assert [w["payload"]["line"] for w in written] == list(range(1, len(lines) + 1))
    for record, line in zip(written, lines, strict=True):
        body = json.loads(line)["checkpoint"]
        assert record["payload"]["line_sha256"] == hashlib.sha256(line).hexdigest()
        assert record["payload"]["last_seq"] == body["last_seq"] < record["seq"]
        assert record["payload"]["key"] == body["key"] == key["fingerprint_sha256"]


def test_verify_leaves_the_data_folder_byte_for_byte_unchanged(notices, switched):
    before = folder_bytes(switched)
    assert notices("log", "verify").exit_code == 0
    assert folder_bytes(switched) == before
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in heads(switched)[:-2]))
    damaged = folder_bytes(switched)
    failed(notices)
    assert folder_bytes(switched) == damaged  # a damaged log is not signed as a new baseline


def test_deleted_head_file_is_detected(notices, switched):
    (switched / HEADS).unlink()
    assert "heads.jsonl is missing" in failed(notices)


def test_head_file_cut_back_is_detected(notices, switched):
    lines = heads(switched)
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in lines[:-2]))
    message = failed(notices)
    assert "heads.jsonl was cut back" in message
    assert f"it has {len(lines) - 2} lines" in message


def test_the_newest_line_missing_alone_is_checked_from_its_record_and_written_back(
    notices, switched
):
    """The chain records each line, text and all, before the line is written: the newest
    line missing from the file (a program stopped between the two, or deleted) is checked
    from its record, said in a note, and written back byte for byte."""
    lines = heads(switched)
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in lines[:-1]))
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stderr
    said = " ".join(run.stdout.split())
    assert f"heads.jsonl lacks its line {len(lines)}, which record" in said
    assert "the next checkpoint writes it back" in said
    assert notices("log", "checkpoint").exit_code == 0
    assert heads(switched)[: len(lines)] == lines
    assert len(heads(switched)) == len(lines) + 1
    run = notices("log", "verify")
    assert run.exit_code == 0 and "lacks" not in run.stdout


def test_a_line_a_power_cut_stopped_part_way_is_not_counted_and_is_written_again(notices, switched):
    """Half of the newest line, without its LF (the write cut short): not a line; the whole
    line is checked from its record, and the next checkpoint writes it in place of the half."""
    lines = heads(switched)
    half = lines[-1][: len(lines[-1]) // 2]
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in lines[:-1]) + half)
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stderr
    said = " ".join(run.stdout.split())
    assert f"heads.jsonl ends in {len(half)} bytes without a line end" in said
    assert f"heads.jsonl lacks its line {len(lines)}" in said
    assert notices("log", "checkpoint").exit_code == 0
    assert heads(switched)[: len(lines)] == lines
    run = notices("log", "verify")
    assert run.exit_code == 0 and "lacks" not in run.stdout and "line end" not in run.stdout


def test_two_lines_cut_off_stay_seen_after_more_checkpoints(notices, switched):
    """Not written back; and the lines written after the cut take numbers the chain has
    already given, which `log verify` names, however many follow."""
    lines = heads(switched)
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in lines[:-2]))
    assert "heads.jsonl was cut back" in failed(notices)
    for _ in range(2):
        assert notices("log", "checkpoint").exit_code == 0
        message = failed(notices)
        assert f"both say line {len(lines) - 1} was written to heads.jsonl" in message
        assert "checkpoints were written after the cut" in message


def test_head_file_re_signed_with_another_key_is_detected(notices, switched):
    """What someone with the folder but not the key does: a new key, every line re-signed."""
    (switched / "keys" / "signing-ed25519.pem").unlink()
    key = Ed25519PrivateKey.generate()
    (switched / "keys" / "signing-ed25519.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    fingerprint = hashlib.sha256(public).hexdigest()
    lines, previous = [], None
    for line in heads(switched):
        body = json.loads(line)["checkpoint"] | {"key": fingerprint, "previous": previous}
        signature = key.sign(b"notices checkpoint v1\x00" + rfc8785.dumps(body))
        entry = {"checkpoint": body, "signature": base64.b64encode(signature).decode()}
        lines.append(json.dumps(entry, ensure_ascii=False).encode())
        previous = hashlib.sha256(lines[-1]).hexdigest()
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in lines))
    message = failed(notices)
    assert f"heads.jsonl line 1 is signed by key {fingerprint}" in message
    assert "re-signed" in message
    assert notices("log", "key").stdout.count(fingerprint) == 1  # the new key file's own


def test_database_cut_back_to_an_earlier_checkpoint_is_detected(notices, switched):
    """The head file cut back to line 2 and the database to the record that line signs:
    a valid chain and a valid, signed head file, but the chain no longer records line 2."""
    lines = heads(switched)[:2]
    (switched / HEADS).write_bytes(b"".join(line + b"\n" for line in lines))
    seq = json.loads(lines[-1])["checkpoint"]["last_seq"]
    tamper(switched, f"DELETE FROM log WHERE seq > {seq}")
    message = failed(notices)
    assert "heads.jsonl line 2" in message
    assert "is not recorded in the log: the records after it were cut off" in message
    # A checkpoint written afterwards writes back only lines the chain holds: it never
    # records the line the cut left behind, so the cut stays visible.
    assert notices("log", "checkpoint").exit_code == 0
    assert failed(notices) == message


def test_expect_key_compares_with_a_fingerprint_given_from_outside(notices, home, switched):
    fingerprint = notices("log", "key", "--json").json()["fingerprint_sha256"]
    run = notices("log", "verify", "--expect-key", fingerprint.upper())
    assert run.exit_code == 0, run.stderr
    message = failed(notices, "--expect-key", "ab" * 32)
    assert f"the log's signing key is {fingerprint}" in message
    assert "not the expected " + "ab" * 32 in message


def test_init_prints_the_fingerprint_log_key_prints(notices, tmp_path, monkeypatch):
    data = tmp_path / "fresh"
    run = notices("init", "--home", str(data))
    assert run.exit_code == 0, run.stderr
    key = notices("log", "key", "--home", str(data), "--json").json()["fingerprint_sha256"]
    assert f"Signing key fingerprint (keep a copy elsewhere): {key}" in run.stdout


def test_checkpoint_command_writes_and_records_one(notices, switched):
    count = len(heads(switched))
    run = notices("log", "checkpoint")
    assert run.exit_code == 0, run.stderr
    assert len(heads(switched)) == count + 1
    last = records(switched)[-1]
    assert last["kind"] == "checkpoint.written" and last["payload"]["line"] == count + 1
    assert f"recorded in the log as record {last['seq']}" in run.stdout
    assert query(switched / "notices.db", "SELECT count(*) FROM log") == [(last["seq"],)]
