"""Checking the head file (`heads.jsonl`) against the chain, reading only.

The chain remembers its own checkpoints: record 1 of every data folder (`log.started`)
names the signing key, and each line written to the head file is followed in the chain by a
`checkpoint.written` record giving the line's number, its SHA-256, and the sequence and head
it covers. So the head file cannot be deleted, cut back or re-signed with another key
without the chain saying so; and the database cannot be cut back to an earlier checkpoint
without losing the record of that checkpoint. What neither can show (both cut back together
to just after a checkpoint's record) is for the witness, the timestamps and the dossiers kept
elsewhere to show.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notices.db import Database
from notices.evidence.anchor import (
    CHECKPOINT_DOMAIN,
    HEADS_FILE,
    public_fingerprint,
    read_checkpoints,
    signature_valid,
)

KEY_RECORD = "log.started"
CHECKPOINT_RECORD = "checkpoint.written"


@dataclass(frozen=True)
class FolderKey:
    """The signing key named by record 1: its public key (base64) and fingerprint (hex)."""

    public_key: str
    fingerprint: str


def folder_key(database: Database) -> FolderKey | str | None:
    """The key record 1 names; a problem in words; None for an empty log."""
    rows = database.query("SELECT kind, payload FROM log WHERE seq = 1")
    if not rows:
        return None
    kind, payload = rows[0]
    if kind != KEY_RECORD:
        return f"record 1 is {kind!r}, not {KEY_RECORD!r}: it does not name the signing key"
    named = json.loads(payload).get("signing_key", {})
    public = str(named.get("public_key", ""))
    try:
        fingerprint = public_fingerprint(base64.b64decode(public, validate=True))
    except (binascii.Error, ValueError):
        return "record 1's signing key is not valid base64"
    if fingerprint != named.get("fingerprint_sha256"):
        return "record 1's key fingerprint is not the SHA-256 of its public key"
    return FolderKey(public, fingerprint)


def check_expected_key(database: Database, expected: str | None) -> str | None:
    """With a fingerprint given from outside, record 1 must name that key."""
    if expected is None:
        return None
    key = folder_key(database)
    if not isinstance(key, FolderKey):
        return key or "the log is empty: it names no signing key"
    if key.fingerprint != expected.strip().lower():
        return (
            f"the log's signing key is {key.fingerprint} (named in record 1), not the expected"
            f" {expected.strip().lower()}"
        )
    return None


def recorded_checkpoints(database: Database) -> dict[int, tuple[int, dict[str, Any]]]:
    """Line number -> (sequence of the record, its payload), for every checkpoint.written
    of this data folder's head file (on a shared store, those naming this node, or none)."""
    rows = database.query(
        "SELECT seq, payload FROM log WHERE kind = ? ORDER BY seq", (CHECKPOINT_RECORD,)
    )
    found: dict[int, tuple[int, dict[str, Any]]] = {}
    for seq, payload in rows:
        body = json.loads(payload)
        if body.get("node") in (None, database.node):
            found[int(body.get("line", 0))] = (seq, body)
    return found


@dataclass(frozen=True)
class Problem:
    """What does not fit, in words; `at_tail` when it is about the newest line or records,
    which a command writing a checkpoint at this very moment also shows for a few
    milliseconds (its line is written just before the record of it)."""

    text: str
    at_tail: bool = False


def check_checkpoints(
    home: Path, database: Database, link_at: Callable[[int], str | None], last_seq: int
) -> Problem | None:
    """Compare the head file with the chain; the first problem, or None."""
    key = folder_key(database)
    if key is None:
        return None
    if isinstance(key, str):
        return Problem(key)
    recorded = recorded_checkpoints(database)
    if not (home / HEADS_FILE).exists():
        if recorded:
            seq = max(s for s, _ in recorded.values())
            return Problem(
                f"{HEADS_FILE} is missing, but the log records {len(recorded)} checkpoints"
                f" written to it (the last in record {seq}): the head file was deleted"
            )
        return None
    try:
        entries = read_checkpoints(home)
    except ValueError as exc:
        return Problem(str(exc))
    if recorded and max(recorded) > len(entries):
        line = max(recorded)
        return Problem(
            f"{HEADS_FILE} was cut back: it has {len(entries)} lines, but record"
            f" {recorded[line][0]} says line {line} was written to it"
        )
    previous: str | None = None
    for number, (line_bytes, entry) in enumerate(entries, start=1):
        problem = _check_line(number, entry, previous, key)
        if problem:
            return Problem(problem)
        problem = _check_head(number, entry, link_at, last_seq)
        problem = problem or _check_recorded(number, line_bytes, entry, recorded.get(number))
        if problem:
            tail = number == len(entries) and "cut off" in problem
            return Problem(problem, at_tail=tail)
        previous = hashlib.sha256(line_bytes).hexdigest()
    return None


def _check_line(
    number: int, entry: dict[str, Any], previous: str | None, key: FolderKey
) -> str | None:
    body = entry.get("checkpoint", {})
    where = f"{HEADS_FILE} line {number}"
    if body.get("previous") != previous:
        return f"{where} does not follow the line before it (lines removed?)"
    if body.get("key") != key.fingerprint:
        return (
            f"{where} is signed by key {body.get('key')}, not by this data folder's key"
            f" {key.fingerprint} named in record 1: the head file was re-signed"
        )
    if not signature_valid(key.public_key, entry.get("signature", ""), CHECKPOINT_DOMAIN, body):
        return f"{where}: the checkpoint's signature does not verify"
    return None


def _check_recorded(
    number: int, line: bytes, entry: dict[str, Any], recorded: tuple[int, dict[str, Any]] | None
) -> str | None:
    body = entry.get("checkpoint", {})
    where = f"{HEADS_FILE} line {number}"
    if recorded is None:
        return (
            f"{where} (a checkpoint of record {body.get('last_seq')}) is not recorded in the"
            f" log: the records after it were cut off (or the program stopped between"
            f" writing the line and recording it)"
        )
    seq, payload = recorded
    if payload.get("line_sha256") != hashlib.sha256(line).hexdigest():
        return f"{where} is not the line record {seq} says was written: the head file was rewritten"
    return None


def _check_head(
    number: int, entry: dict[str, Any], link_at: Callable[[int], str | None], last_seq: int
) -> str | None:
    body = entry.get("checkpoint", {})
    seq = int(body.get("last_seq", 0))
    if seq > last_seq:
        return (
            f"the log ends at record {last_seq}, but on {body.get('time')} it had already"
            f" reached record {seq} ({HEADS_FILE} line {number}): records were cut off the end"
        )
    if link_at(seq) != body.get("head"):
        return (
            f"record {seq} no longer has the chain head recorded in {HEADS_FILE} line"
            f" {number}: the log was rewritten"
        )
    return None
