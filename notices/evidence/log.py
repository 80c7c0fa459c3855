"""The evidence log: append-only, gap-free, hash-chained.

Each record's hash is SHA-256(0x00 || JCS(record)) where JCS is RFC 8785 canonical JSON of
the fields {seq, ts, actor, host, incident, kind, channel, payload}; the chain link is
SHA-256(0x01 || previous link || record hash), the first record's previous link being 32
zero bytes. The two prefixes keep record hashes and links from ever being confused, and a
verifier in any language can recompute both from the stored columns.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785

from notices import masking
from notices.db import Connection, Database, describe_os_error
from notices.errors import StorageError, UsageError
from notices.evidence.anchor import Head, SigningKey, write_checkpoint
from notices.evidence.checkpoints import (
    CHECKPOINT_RECORD,
    KEY_RECORD,
    check_checkpoints,
    check_expected_key,
    last_recorded,
    legacy_note,
)
from notices.evidence.personal import check_personal
from notices.evidence.timestamp import STAMPED_RECORD, check_stamps
from notices.timeparse import utc_stamp

GENESIS = bytes(32)
_json_string: Callable[[str], str] = json.encoder.encode_basestring
TAIL_SETTLE_SECONDS = 0.4
RECORD_FIELDS = ("seq", "ts", "actor", "host", "incident", "kind", "channel", "payload")


def record_hash(record: dict[str, Any]) -> bytes:
    body = {name: record[name] for name in RECORD_FIELDS}
    return hashlib.sha256(b"\x00" + rfc8785.dumps(body)).digest()


def canonical_record(
    seq: int,
    ts: str,
    actor: str,
    host: str,
    incident: str | None,
    kind: str,
    channel: str | None,
    payload_jcs: str,
) -> bytes:
    """JCS of a record whose payload is already stored in JCS form, assembled without
    re-serialising the payload: the same bytes as `rfc8785.dumps` of the whole record
    (a property test holds them equal), several times faster, which `log verify` needs.

    The top-level keys are fixed ASCII names, written here in JCS order; strings are
    serialised by json.dumps, which escapes exactly as RFC 8785 does for valid strings.
    """

    def text(value: str | None) -> str:
        # What json.dumps(value, ensure_ascii=False) returns, without building an encoder
        # per call (that was half of `log verify`'s time).
        return "null" if value is None else _json_string(value)

    return (
        f'{{"actor":{text(actor)},"channel":{text(channel)},"host":{text(host)},'
        f'"incident":{text(incident)},"kind":{text(kind)},"payload":{payload_jcs},'
        f'"seq":{seq},"ts":{text(ts)}}}'
    ).encode()


def link_hash(previous_link: bytes, hashed_record: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + previous_link + hashed_record).digest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_actor(
    environ: Mapping[str, str] | None = None, user: str | None = None
) -> tuple[str, str]:
    """Who runs this and from where: the OS user (or NOTICES_ACTOR) and host (+ SSH peer).
    `environ` and `user`: another process's (a command `serve` runs for it), else ours."""
    env = os.environ if environ is None else environ
    actor = env.get("NOTICES_ACTOR") or user or getpass.getuser()
    host = socket.gethostname()
    ssh = env.get("SSH_CLIENT")
    if ssh:
        host = f"{host} (ssh from {ssh.split()[0]})"
    return actor, host


@dataclass(frozen=True)
class Record:
    seq: int
    ts: str
    actor: str
    host: str
    incident: str | None
    kind: str
    channel: str | None
    payload: dict[str, Any]
    record_hash: str
    link_hash: str

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Record:
        """A record from the log table's columns, in their order."""
        return cls(
            seq=row[0],
            ts=row[1],
            actor=row[2],
            host=row[3],
            incident=row[4],
            kind=row[5],
            channel=row[6],
            payload=json.loads(row[7]),
            record_hash=row[8],
            link_hash=row[9],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "host": self.host,
            "incident": self.incident,
            "kind": self.kind,
            "channel": self.channel,
            "payload": self.payload,
            "record_hash": self.record_hash,
            "link_hash": self.link_hash,
        }


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    head: str | None
    problem: str | None = None
    bad_seq: int | None = None
    note: str | None = None


def record_filter(
    incident: str | None = None, since: str | None = None, until: str | None = None
) -> tuple[str, list[str]]:
    """The WHERE clause (empty when nothing is asked) and its parameters for the records of
    an incident and/or a period (`since` included, `until` not)."""
    clauses, params = [], []
    for clause, value in (("incident = ?", incident), ("ts >= ?", since), ("ts < ?", until)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


class EvidenceLog:
    """The chain of records in one store. As a context manager (`with open_log(home) as
    log:`), its database is closed on the way out, whatever happened inside."""

    def __init__(self, database: Database, actor: str | None = None, host: str | None = None):
        self.database = database
        default_actor, default_host = current_actor()
        self.actor = actor or default_actor
        self.host = host or default_host

    def __enter__(self) -> EvidenceLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.database.close()

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        incident: str | None = None,
        channel: str | None = None,
    ) -> Record:
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT seq, link_hash FROM log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if row is None and kind != KEY_RECORD:
                # Record 1 of every data folder names the key that signs its checkpoints.
                key = SigningKey(self.home).public_json()
                first = self._insert(conn, 1, GENESIS, KEY_RECORD, {"signing_key": key}, None, None)
                row = (first.seq, first.link_hash)
            seq = (row[0] + 1) if row else 1
            previous = bytes.fromhex(row[1]) if row else GENESIS
            return self._insert(conn, seq, previous, kind, payload, incident, channel)

    def _insert(
        self,
        conn: Connection,
        seq: int,
        previous: bytes,
        kind: str,
        payload: dict[str, Any],
        incident: str | None,
        channel: str | None,
    ) -> Record:
        # Round-trip through JSON so the stored payload is exactly what was hashed; it is
        # stored in its canonical (RFC 8785) form, so verification need not re-encode it.
        # Every string masked first (notices/masking.py): no secret, in any encoding, is
        # hashed into the permanent record.
        clean_payload = masking.mask_data(
            json.loads(json.dumps(payload, ensure_ascii=False, default=str))
        )
        payload_jcs = rfc8785.dumps(clean_payload).decode("utf-8")
        ts = utc_stamp(datetime.now(UTC))
        hashed = hashlib.sha256(
            b"\x00"
            + canonical_record(seq, ts, self.actor, self.host, incident, kind, channel, payload_jcs)
        ).digest()
        link = link_hash(previous, hashed)
        conn.execute(
            "INSERT INTO log (seq, ts, actor, host, incident, kind, channel, payload,"
            " record_hash, link_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                ts,
                self.actor,
                self.host,
                incident,
                kind,
                channel,
                payload_jcs,
                hashed.hex(),
                link.hex(),
            ),
        )
        return Record(
            seq,
            ts,
            self.actor,
            self.host,
            incident,
            kind,
            channel,
            clean_payload,
            hashed.hex(),
            link.hex(),
        )

    def records(
        self, incident: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[Record]:
        """Records in order, streamed from the database (never all loaded at once)."""
        where, params = record_filter(incident, since, until)
        # A separate cursor on a read connection keeps a long read from holding the lock.
        cursor = self.database.stream(
            "SELECT seq, ts, actor, host, incident, kind, channel, payload, record_hash,"
            f" link_hash FROM log {where} ORDER BY seq",
            tuple(params),
        )
        for row in cursor:
            yield Record.from_row(row)

    def latest_incident(self) -> str:
        """The incident opened last; UsageError when the log holds none."""
        rows = self.database.query(
            "SELECT incident FROM log WHERE kind = 'incident.opened' ORDER BY seq DESC LIMIT 1"
        )
        if not rows:
            raise UsageError("the log holds no incident yet")
        return str(rows[0][0])

    def head(self) -> Head | None:
        rows = self.database.query("SELECT seq, link_hash FROM log ORDER BY seq DESC LIMIT 1")
        return Head(rows[0][0], rows[0][1]) if rows else None

    def link_at(self, seq: int) -> str | None:
        rows = self.database.query("SELECT link_hash FROM log WHERE seq = ?", (seq,))
        return str(rows[0][0]) if rows else None

    @property
    def home(self) -> Path:
        return self.database.path.parent

    def anchor(self, reason: str) -> None:
        """Record in the chain a signed checkpoint of its head (`checkpoint.written`), then
        write it to the head file outside the database (anchor.write_checkpoint)."""
        try:
            write_checkpoint(
                self.home, self.head, reason, self._remember, lambda: last_recorded(self.database)
            )
        except OSError as exc:  # the data folder full or read-only: the log itself may not be
            raise StorageError(
                f"the head file {self.home / 'heads.jsonl'} cannot be written:"
                f" {describe_os_error(exc)}"
            ) from None

    def _remember(self, line: dict[str, Any]) -> None:
        node = self.database.node  # several nodes, each with its head file: whose
        self.append(CHECKPOINT_RECORD, {**line, "node": node} if node else line)

    def verify(
        self, expect_key: str | None = None, attempts: int = 5, tsa_ca: Path | None = None
    ) -> Verification:
        """Walk the whole chain; name the first record that does not fit. With `expect_key`,
        record 1 must name the signing key of that fingerprint (given from outside). A
        problem at the tail of the head file is looked at again `attempts` times, a moment
        apart: another process may be between writing a checkpoint and recording it.

        Reads raw rows (the payload is never parsed): this must stay fast on large logs.
        """
        previous = GENESIS
        expected_seq = 1
        count = 0
        sha256 = hashlib.sha256
        cursor = self.database.stream(
            "SELECT seq, ts, actor, host, incident, kind, channel, payload, record_hash,"
            " link_hash FROM log ORDER BY seq"
        )
        for seq, ts, actor, host, incident, kind, channel, payload, stored, stored_link in cursor:
            if seq != expected_seq:
                return Verification(
                    False,
                    count,
                    previous.hex(),
                    f"record {expected_seq} is missing (the next one is {seq})",
                    expected_seq,
                )
            hashed = sha256(
                b"\x00" + canonical_record(seq, ts, actor, host, incident, kind, channel, payload)
            ).digest()
            if hashed.hex() != stored:
                return Verification(
                    False,
                    count,
                    previous.hex(),
                    f"record {seq} was altered: its content does not match its hash",
                    seq,
                )
            link = sha256(b"\x01" + previous + hashed).digest()
            if link.hex() != stored_link:
                return Verification(
                    False,
                    count,
                    previous.hex(),
                    f"record {seq} does not follow the record before it in the chain"
                    " (removed, inserted or reordered records)",
                    seq,
                )
            previous = link
            expected_seq += 1
            count += 1
        head = previous.hex() if count else None
        return self._verify_beyond_chain(count, head, expect_key, attempts, tsa_ca)

    def _verify_beyond_chain(
        self,
        count: int,
        head: str | None,
        expect_key: str | None,
        attempts: int,
        tsa_ca: Path | None,
    ) -> Verification:
        """After the chain walk: the append-only triggers, the checkpoints against the
        chain, the key record 1 names, personal data, timestamps."""
        if not self.database.log_guard_intact():
            return Verification(
                False, count, head, "the log's append-only protection (triggers) was removed"
            )
        checked = check_checkpoints(self.home, self.database, self.link_at, count)
        found = checked.problem
        if checked.settling and attempts > 1:
            time.sleep(TAIL_SETTLE_SECONDS)  # a checkpoint being written: look once more
            return self.verify(expect_key, attempts - 1, tsa_ca)
        problem = found.text if found else check_expected_key(self.home, self.database, expect_key)
        if problem:
            return Verification(False, count, head, problem)
        problem = check_personal(self.database)
        if problem:
            return Verification(False, count, head, problem)
        problem, note = check_stamps(self.home, tsa_ca, self._late_stamps())
        if problem:
            return Verification(False, count, head, problem)
        notes = [n for n in (legacy_note(self.home, self.database), checked.note, note) if n]
        return Verification(True, count, head, note="; ".join(notes) or None)

    def _late_stamps(self) -> set[int]:
        """The head file's lines whose timestamp the chain records as made late."""
        rows = self.database.query("SELECT payload FROM log WHERE kind = ?", (STAMPED_RECORD,))
        return {int(json.loads(row[0]).get("line", 0)) for row in rows}
