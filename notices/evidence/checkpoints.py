"""Checking the head file (`heads.jsonl`) against the chain, reading only.

The chain remembers its own checkpoints: record 1 of every data folder (`log.started`)
names the signing key, and each line of the head file has a `checkpoint.written` record in
the chain giving the line's number, its SHA-256, and the sequence and head it covers. Since
2026-12 the record also holds the line's exact text and comes before the line is written
(anchor.write_checkpoint), so a program stopped in between leaves a line that the chain holds
and the next checkpoint writes back; before, it came just after. So the head file cannot be
deleted, cut back or re-signed with another key without the chain saying so; and the
database cannot be cut back to an earlier checkpoint without losing the record of that
checkpoint. What neither can show (both cut back together to just after a checkpoint's
record) is for the witness, the timestamps and the dossiers kept elsewhere to show.

A data folder begun by a version of notices from before record 1 named the key (an "old"
folder: record 1 is some other kind) is still checked, with the key in its key file: its
head file's lines from before the first recorded checkpoint have no record of their own,
every line after it must have one, and `log verify` says, in a note, that the key could not
be checked against record 1 (LEGACY_NOTE).
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
    SIGNING_KEY_FILE,
    SigningKey,
    public_fingerprint,
    read_head_file,
    recorded_but_missing,
    signature_valid,
)

KEY_RECORD = "log.started"
CHECKPOINT_RECORD = "checkpoint.written"


LEGACY_NOTE = (
    "this log was started before notices recorded its signing key (record 1 is {kind!r},"
    " not 'log.started'); the key could not be checked against record 1, so the checkpoints"
    " were checked with the key in {key_file}, fingerprint {fingerprint}; compare that"
    " fingerprint with one kept elsewhere (--expect-key)"
)
LEGACY_NO_HEADS = "; and there is no {heads}, so nothing shows whether records were cut off its end"


@dataclass(frozen=True)
class FolderKey:
    """The signing key of the data folder: its public key (base64) and fingerprint (hex).
    Named by record 1; for an old folder (`legacy_kind` is then record 1's kind), read from
    its key file."""

    public_key: str
    fingerprint: str
    legacy_kind: str | None = None


def folder_key(home: Path, database: Database) -> FolderKey | str | None:
    """The key record 1 names (an old folder's key file); a problem in words; None for an
    empty log."""
    rows = database.query("SELECT kind, payload FROM log WHERE seq = 1")
    if not rows:
        return None
    kind, payload = rows[0]
    if kind != KEY_RECORD:
        return _legacy_key(home, kind)
    named = json.loads(payload).get("signing_key", {})
    public = str(named.get("public_key", ""))
    try:
        fingerprint = public_fingerprint(base64.b64decode(public, validate=True))
    except (binascii.Error, ValueError):
        return "record 1's signing key is not valid base64"
    if fingerprint != named.get("fingerprint_sha256"):
        return "record 1's key fingerprint is not the SHA-256 of its public key"
    return FolderKey(public, fingerprint)


def _legacy_key(home: Path, kind: str) -> FolderKey | str:
    """An old folder's key, from its key file, which is read and never created here."""
    if not (home / SIGNING_KEY_FILE).exists():
        return (
            f"record 1 is {kind!r}, not {KEY_RECORD!r} (a log started before notices recorded"
            f" its signing key), and {home / SIGNING_KEY_FILE} is missing: nothing names the"
            " key its checkpoints must be signed with"
        )
    key = SigningKey(home).public_json()
    return FolderKey(key["public_key"], key["fingerprint_sha256"], legacy_kind=kind)


def legacy_note(home: Path, database: Database) -> str | None:
    """For an old folder, what `log verify` could not check, in words; else None."""
    key = folder_key(home, database)
    if not isinstance(key, FolderKey) or key.legacy_kind is None:
        return None
    note = LEGACY_NOTE.format(
        kind=key.legacy_kind, key_file=SIGNING_KEY_FILE, fingerprint=key.fingerprint
    )
    if not (home / HEADS_FILE).exists():
        note += LEGACY_NO_HEADS.format(heads=HEADS_FILE)
    return note


def check_expected_key(home: Path, database: Database, expected: str | None) -> str | None:
    """With a fingerprint given from outside, record 1 (an old folder: its key file) must
    name that key."""
    if expected is None:
        return None
    key = folder_key(home, database)
    if not isinstance(key, FolderKey):
        return key or "the log is empty: it names no signing key"
    if key.fingerprint != expected.strip().lower():
        where = "named in record 1" if key.legacy_kind is None else f"in {SIGNING_KEY_FILE}"
        return (
            f"the log's signing key is {key.fingerprint} ({where}), not the expected"
            f" {expected.strip().lower()}"
        )
    return None


def recorded_checkpoints(
    database: Database,
) -> tuple[dict[int, tuple[int, dict[str, Any]]], Problem | None]:
    """Line number -> (sequence of the record, its payload), for every checkpoint.written
    of this data folder's head file (on a shared store, those naming this node, or none);
    and a problem when two records name the same line: the file was cut back and written
    on, each new line taking a number the chain had already given."""
    rows = database.query(
        "SELECT seq, payload FROM log WHERE kind = ? ORDER BY seq", (CHECKPOINT_RECORD,)
    )
    found: dict[int, tuple[int, dict[str, Any]]] = {}
    for seq, payload in rows:
        body = json.loads(payload)
        if body.get("node") not in (None, database.node):
            continue
        line = int(body.get("line", 0))
        if line in found:
            return found, Problem(
                f"records {found[line][0]} and {seq} both say line {line} was written to"
                f" {HEADS_FILE}: the head file was cut back, and checkpoints were written after"
                " the cut"
            )
        found[line] = (seq, body)
    return found, None


def last_recorded(database: Database) -> dict[str, Any] | None:
    """The payload of the chain's record of the newest line of this data folder's head file
    (None: no line recorded). Read backwards from the end, where it is."""
    node = database.json_text("payload", "node")
    rows = database.query(
        f"SELECT payload FROM log WHERE kind = ? AND ({node} IS NULL OR {node} = ?)"
        " ORDER BY seq DESC LIMIT 1",
        (CHECKPOINT_RECORD, database.node or ""),
    )
    return dict(json.loads(rows[0][0])) if rows else None


@dataclass(frozen=True)
class Problem:
    """What does not fit, in words; `at_tail` when it is about the newest line or records,
    which a checkpoint being written at this very moment also shows for a few milliseconds
    (`log verify` reads the chain, then the file: a line recorded and written in between is
    in the file and not yet in what it read of the chain)."""

    text: str
    at_tail: bool = False


@dataclass(frozen=True)
class Checked:
    """What comparing the head file with the chain found: the first problem (None: none),
    and what `log verify` says under its OK."""

    problem: Problem | None = None
    note: str | None = None

    @property
    def settling(self) -> bool:
        """What a checkpoint being written at this moment also shows: worth a second look.
        The note, too: between its record and its line, a line is in the chain only."""
        return self.note is not None or (self.problem is not None and self.problem.at_tail)


ONLY_RECORDED_NOTE = (
    "{heads} lacks its line {line}, which record {seq} holds: the program writing it was"
    " stopped, or could not write (a kill, a power cut, a full disk), after recording it;"
    " the line was checked from that record, and the next checkpoint writes it back"
)


UNFINISHED_NOTE = (
    "{heads} ends in {size} bytes without a line end, a write cut short (a power cut): not a"
    " line, not counted; the next checkpoint removes them"
)


def check_checkpoints(
    home: Path, database: Database, link_at: Callable[[int], str | None], last_seq: int
) -> Checked:
    """Compare the head file with the chain.

    The chain records each line, text and all, before the line is written
    (anchor.write_checkpoint). So the newest line the chain records, missing alone from the
    file, is what a program stopped in between leaves: it is checked from its record, as
    if in the file, and said in a note. That lets no cut pass that could not already:
    anyone able to delete the line could copy it back from the record."""
    key = folder_key(home, database)
    if key is None:
        return Checked()
    if isinstance(key, str):
        return Checked(Problem(key))
    recorded, twice = recorded_checkpoints(database)
    if twice is not None:
        return Checked(twice)
    exists = (home / HEADS_FILE).exists()
    try:
        entries, unfinished = read_head_file(home)
    except ValueError as exc:
        return Checked(Problem(str(exc)))
    only_recorded = _only_recorded(len(entries), recorded)
    notes = []
    if unfinished:
        notes.append(UNFINISHED_NOTE.format(heads=HEADS_FILE, size=unfinished))
    if only_recorded is not None:
        seq, text = only_recorded
        entries.append((text, json.loads(text)))
        notes.append(ONLY_RECORDED_NOTE.format(heads=HEADS_FILE, line=len(entries), seq=seq))
    elif not exists and recorded:
        seq = max(s for s, _ in recorded.values())
        return Checked(
            Problem(
                f"{HEADS_FILE} is missing, but the log records {len(recorded)} checkpoints"
                f" written to it (the last in record {seq}): the head file was deleted"
            )
        )
    if recorded and max(recorded) > len(entries):
        line = max(recorded)
        return Checked(
            Problem(
                f"{HEADS_FILE} was cut back: it has {len(entries)} lines, but record"
                f" {recorded[line][0]} says line {line} was written to it"
            )
        )
    note = "; ".join(notes) or None
    return Checked(_check_entries(entries, recorded, key, link_at, last_seq), note)


def _only_recorded(
    count: int, recorded: dict[int, tuple[int, dict[str, Any]]]
) -> tuple[int, bytes] | None:
    """(record, line) for the chain's newest recorded line when the file lacks it alone and
    the record holds its exact text; else None."""
    if not recorded:
        return None
    seq, newest = max(recorded.values(), key=lambda found: found[0])
    line = recorded_but_missing(count, newest)
    return None if line is None else (seq, line)


def _check_entries(
    entries: list[tuple[bytes, dict[str, Any]]],
    recorded: dict[int, tuple[int, dict[str, Any]]],
    key: FolderKey,
    link_at: Callable[[int], str | None],
    last_seq: int,
) -> Problem | None:
    """Each line against the one before, the key, the chain and its record."""
    # An old folder's lines from before the first recorded one were written by a version
    # that did not record them; every line after that must be recorded.
    unrecorded = (min(recorded) if recorded else len(entries) + 1) if key.legacy_kind else 1
    previous: str | None = None
    for number, (line_bytes, entry) in enumerate(entries, start=1):
        problem = _check_line(number, entry, previous, key)
        if problem:
            return Problem(problem)
        problem = _check_head(number, entry, link_at, last_seq)
        if number >= unrecorded:
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
    named = "named in record 1" if key.legacy_kind is None else f"(in {SIGNING_KEY_FILE})"
    if body.get("previous") != previous:
        return f"{where} does not follow the line before it (lines removed?)"
    if body.get("key") != key.fingerprint:
        return (
            f"{where} is signed by key {body.get('key')}, not by this data folder's key"
            f" {key.fingerprint} {named}: the head file was re-signed"
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
            " log: the records after it were cut off (or an older version of notices, which"
            " wrote the line before recording it, was stopped in between)"
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
