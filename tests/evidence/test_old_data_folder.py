"""A data folder begun before record 1 named the signing key: `log verify` accepts it with a
note (the key could not be checked against record 1) and still fails every tampering it can
see: the chain, the head file's signatures and links, and every checkpoint the chain records
after the folder's first command by this version.

tests/evidence/old_data_folder/ was made by the code of commit 16e4725 (its CLI run with
NOTICES_HOME set: init, evacuate --for 2h --reason ..., evacuate --for 3h, resume, log
verify): 34 records, record 1 a `command.started`, four lines in heads.jsonl and no
`checkpoint.written` record. Its key files are test keys, made for it and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.log import records, tamper

# The old code kept its log only in notices.db (SQLite): such a folder reaches PostgreSQL
# only through `notices store migrate`, so these tests run on the SQLite pass.
pytestmark = pytest.mark.sqlite_only

OLD = Path(__file__).parent / "old_data_folder"
OLD_FINGERPRINT = "58590e8dee08af62a6aa850fd67297ab28bf13149cb7ede73fdf1ffdea282c27"
HEADS = "heads.jsonl"
NOTE = "this log was started before notices recorded its signing key"


@pytest.fixture
def old(home: Path) -> Path:
    """A copy of the old folder as the test's data folder (keys 0600, as it made them)."""
    shutil.copytree(OLD, home)
    for key in (home / "keys").iterdir():
        key.chmod(0o600)
    return home


def folder_bytes(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def heads(home: Path) -> list[bytes]:
    return (home / HEADS).read_bytes().splitlines()


def failed(notices: Callable[..., Any], *args: str) -> str:
    run = notices("log", "verify", *args)
    assert run.exit_code == 1, run.stdout
    assert "FAILED" in run.stderr
    return " ".join(str(run.stderr).split())


def passed(notices: Callable[..., Any], *args: str) -> str:
    run = notices("log", "verify", *args)
    assert run.exit_code == 0, run.stderr
    return " ".join(str(run.stdout).split())


def test_the_fixture_is_what_the_old_code_wrote(old):
    """Record 1 names no key and the chain records no checkpoint: what verify refused."""
    kinds = [r["kind"] for r in records(old)]
    assert kinds[0] == "command.started" and len(kinds) == 34
    assert "log.started" not in kinds and "checkpoint.written" not in kinds
    assert len(heads(old)) == 4


def test_an_old_folder_verifies_with_a_note_and_is_left_unchanged(notices, old):
    before = folder_bytes(old)
    said = passed(notices)
    assert said.startswith("OK: 34 records")
    assert f"{NOTE} (record 1 is 'command.started', not 'log.started')" in said
    assert "the key could not be checked against record 1" in said
    assert f"keys/signing-ed25519.pem, fingerprint {OLD_FINGERPRINT}" in said
    assert "--expect-key" in said
    assert folder_bytes(old) == before
    assert notices("log", "verify", "--expect-key", OLD_FINGERPRINT).exit_code == 0


def test_expect_key_compares_with_the_old_folders_key_file(notices, old):
    message = failed(notices, "--expect-key", "ab" * 32)
    assert f"the log's signing key is {OLD_FINGERPRINT} (in keys/signing-ed25519.pem)" in message
    assert "not the expected " + "ab" * 32 in message


def test_an_altered_record_fails(notices, old):
    tamper(old, "UPDATE log SET actor = 'someone-else' WHERE seq = 15")
    assert "record 15 was altered: its content does not match its hash" in failed(notices)


def test_records_cut_off_the_end_fail(notices, old):
    last_signed = json.loads(heads(old)[-1])["checkpoint"]["last_seq"]
    tamper(old, f"DELETE FROM log WHERE seq > {last_signed - 3}")
    message = failed(notices)
    assert f"the log ends at record {last_signed - 3}" in message
    assert "records were cut off the end" in message


def test_a_head_file_line_removed_from_the_middle_fails(notices, old):
    lines = heads(old)
    (old / HEADS).write_bytes(b"".join(line + b"\n" for line in lines[:1] + lines[2:]))
    assert "heads.jsonl line 2 does not follow the line before it" in failed(notices)


def test_a_head_file_line_with_a_forged_signature_fails(notices, old):
    lines = heads(old)
    entry = json.loads(lines[1])
    entry["signature"] = base64.b64encode(bytes(64)).decode()
    lines[1] = json.dumps(entry, ensure_ascii=False).encode()
    previous = hashlib.sha256(lines[1]).hexdigest()
    for i in range(2, len(lines)):  # the lines after it follow the forged one
        body = json.loads(lines[i])
        body["checkpoint"]["previous"] = previous
        lines[i] = json.dumps(body, ensure_ascii=False).encode()
        previous = hashlib.sha256(lines[i]).hexdigest()
    (old / HEADS).write_bytes(b"".join(line + b"\n" for line in lines))
    assert "heads.jsonl line 2: the checkpoint's signature does not verify" in failed(notices)


def test_an_old_folder_re_signed_with_a_new_key_fails_only_against_the_expected_key(notices, old):
    """The limit the note states: an old folder names its key nowhere but its key file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (old / "keys" / "signing-ed25519.pem").write_bytes(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    fingerprint = hashlib.sha256(public).hexdigest()
    lines, previous = [], None
    for line in heads(old):
        body = json.loads(line)["checkpoint"] | {"key": fingerprint, "previous": previous}
        signature = key.sign(b"notices checkpoint v1\x00" + rfc8785.dumps(body))
        entry = {"checkpoint": body, "signature": base64.b64encode(signature).decode()}
        lines.append(json.dumps(entry, ensure_ascii=False).encode())
        previous = hashlib.sha256(lines[-1]).hexdigest()
    (old / HEADS).write_bytes(b"".join(line + b"\n" for line in lines))
    assert f"fingerprint {fingerprint}" in passed(notices)
    message = failed(notices, "--expect-key", OLD_FINGERPRINT)
    assert f"the log's signing key is {fingerprint}" in message


def test_after_an_upgrade_every_new_checkpoint_is_recorded_and_checked(notices, old):
    """A switch by this version on the old folder: its checkpoints are recorded in the
    chain, so a head file deleted or cut back to the old lines fails again."""
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    written = records(old, "checkpoint.written")
    assert written and written[0]["payload"]["line"] == 5
    assert written[0]["payload"]["key"] == OLD_FINGERPRINT
    assert NOTE in passed(notices, "--expect-key", OLD_FINGERPRINT)

    lines = heads(old)
    (old / HEADS).write_bytes(b"".join(line + b"\n" for line in lines[:4]))
    message = failed(notices)
    assert "heads.jsonl was cut back: it has 4 lines" in message
    (old / HEADS).unlink()
    message = failed(notices)
    assert "heads.jsonl is missing, but the log records" in message
    assert "the head file was deleted" in message


def test_after_an_upgrade_a_line_left_unrecorded_fails(notices, old):
    """A line written after the first recorded one must be recorded too. (Cut back to
    before the first recorded line, the folder is an old one again: the limit the docs
    state, any prefix of an honest log being an honest log.)"""
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    lines = heads(old)
    assert len(lines) >= 6
    last_seq = json.loads(lines[-1])["checkpoint"]["last_seq"]
    tamper(old, f"DELETE FROM log WHERE seq > {last_seq}")
    message = failed(notices)
    assert f"heads.jsonl line {len(lines)}" in message
    assert "is not recorded in the log: the records after it were cut off" in message


def test_an_old_folder_without_its_key_file_fails_naming_it(notices, old):
    (old / "keys" / "signing-ed25519.pem").unlink()
    message = failed(notices)
    assert "record 1 is 'command.started', not 'log.started'" in message
    assert "keys/signing-ed25519.pem is missing" in message


def test_an_old_folders_incident_exports_and_its_dossier_verifies(notices, old, tmp_path):
    incident = records(old, "incident.opened")[0]["incident"]
    folder = tmp_path / "dossier"
    run = notices("log", "export", "--incident", incident, "--lang", "en", "-o", str(folder))
    assert run.exit_code == 0, run.stderr
    run = notices("log", "verify", str(folder), "--expect-key", OLD_FINGERPRINT)
    assert run.exit_code == 0, run.stderr


def test_an_old_folder_without_its_head_file_says_so(notices, old):
    """Nothing in an old folder's chain records its checkpoints: the note says what that
    leaves unchecked instead of failing."""
    (old / HEADS).unlink()
    said = passed(notices)
    assert NOTE in said
    assert "there is no heads.jsonl, so nothing shows whether records were cut off its end" in said
