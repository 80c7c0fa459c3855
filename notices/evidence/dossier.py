"""The evidence dossier: one folder that answers an inquiry on its own, and its offline check.

    report.pdf     the report (PDF/A-3B; events.jsonl and the manifest attached inside)
    events.jsonl   the slice of the log, one record per line, exactly as hashed
    events.csv     the same records for Excel (UTF-8 with BOM)
    contacts.csv   contacts received in the slice (masked unless --include-personal)
    manifest.json  SHA-256 of each file, the slice's first and last hashes and the link
                   before it, the whole log's head, the latest signed checkpoint, the
                   export time and tool version; signed with the data folder's Ed25519 key

A slice is contiguous in the chain (an incident's records plus anything logged in between),
so `verify_dossier` can recompute every link from the stated previous one.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from notices import __version__
from notices.errors import UsageError
from notices.evidence.anchor import (
    CHECKPOINT_DOMAIN,
    MANIFEST_DOMAIN,
    SigningKey,
    public_fingerprint,
    read_checkpoints,
    signature_valid,
)
from notices.evidence.contacts_csv import contacts_csv, csv_bytes
from notices.evidence.export import CSV_COLUMNS
from notices.evidence.log import GENESIS, EvidenceLog, Record, link_hash, record_hash
from notices.evidence.personal import PersonalData
from notices.timeparse import utc_stamp

FORMAT = "notices-dossier/1"
FILES = ("report.pdf", "events.jsonl", "events.csv", "contacts.csv")
LANGUAGES = ("fi", "sv", "en")
HASHING = {
    "record_hash": "SHA-256(0x00 || JCS(record)); JCS = RFC 8785 canonical JSON of"
    " {seq, ts, actor, host, incident, kind, channel, payload}",
    "link_hash": "SHA-256(0x01 || previous link_hash || record_hash); the first"
    " record's previous link is 32 zero bytes",
    "manifest_signature": "Ed25519 over 'notices manifest v1' 0x00 || JCS(manifest"
    " without 'signature')",
}


def parse_moment(text: str, zone: ZoneInfo) -> str:
    """`2026-11-23` or `2026-11-23T14:00` (local unless it says otherwise) -> UTC stamp."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{text!r} is not a date or time: write e.g. 2026-11-23T14:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return utc_stamp(parsed.astimezone(UTC))


def slice_range(
    log: EvidenceLog, incident: str | None, since: str | None, until: str | None
) -> tuple[int, int]:
    """The first and last sequence numbers of the slice to export."""
    if incident is not None:
        rows = log.database.query(
            "SELECT min(seq), max(seq) FROM log WHERE incident = ?", (incident,)
        )
        first, last = rows[0]
        if first is None:
            raise UsageError(f"no incident {incident!r} in the log (see `notices log show`)")
        # The command that opened the incident is logged just before it, without the id.
        before = log.database.query("SELECT kind, incident FROM log WHERE seq = ?", (first - 1,))
        if before and before[0][0] == "command.started" and before[0][1] is None:
            first -= 1
        return int(first), int(last)
    clauses, params = [], []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(since)
    if until is not None:
        clauses.append("ts < ?")
        params.append(until)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    first, last = log.database.query(f"SELECT min(seq), max(seq) FROM log {where}", tuple(params))[
        0
    ]
    if first is None:
        raise UsageError("the log has no records in that period")
    return int(first), int(last)


def _records(log: EvidenceLog, first: int, last: int) -> list[Record]:
    rows = log.database.query(
        "SELECT seq, ts, actor, host, incident, kind, channel, payload, record_hash, link_hash"
        " FROM log WHERE seq BETWEEN ? AND ? ORDER BY seq",
        (first, last),
    )
    return [Record.from_row(r) for r in rows]


def _jsonl(records: list[Record]) -> bytes:
    return "".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n" for r in records).encode(
        "utf-8"
    )


def _events_csv(records: list[Record]) -> bytes:
    rows = []
    for record in records:
        row = record.as_dict()
        row["payload"] = json.dumps(row["payload"], ensure_ascii=False)
        rows.append(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return csv_bytes(CSV_COLUMNS, rows)


def _file_entry(content: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}


@dataclass(frozen=True)
class ExportSettings:
    incident: str | None
    since: str | None
    until: str | None
    lang: str
    include_personal: bool
    zone: ZoneInfo
    organisation: str | None
    mode_titles: dict[str, dict[str, str]]


def export_dossier(log: EvidenceLog, folder: Path, settings: ExportSettings) -> dict[str, Any]:
    """Write the dossier into `folder`; return the manifest."""
    if settings.lang not in LANGUAGES:
        raise UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, not {settings.lang!r}")
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty: give a new folder for the dossier")
    first, last = slice_range(log, settings.incident, settings.since, settings.until)
    scope: dict[str, Any] = (
        {"incident": settings.incident}
        if settings.incident
        else {"since": settings.since, "until": settings.until}
    )
    _log_export(log, settings, scope, first, last)
    records = _records(log, first, last)
    key = SigningKey(log.home)
    manifest = _manifest(log, key, settings, scope, records, first, last)
    refs = [
        str(ref)
        for r in records
        if r.kind == "contact.received"
        for ref in (r.payload.get("party"), (r.payload.get("detail") or {}).get("recording"))
        if ref
    ]
    values = PersonalData(log.database).values(refs)
    files = {
        "events.jsonl": _jsonl(records),
        "events.csv": _events_csv(records),
        "contacts.csv": contacts_csv(records, values, settings.include_personal, settings.zone),
    }
    manifest["files"] = {name: _file_entry(content) for name, content in files.items()}
    files["report.pdf"] = _report_pdf(records, values, manifest, files["events.jsonl"], settings)
    manifest["files"]["report.pdf"] = _file_entry(files["report.pdf"])
    manifest["signature"] = key.sign(MANIFEST_DOMAIN, manifest)

    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    return manifest


def _log_export(
    log: EvidenceLog, settings: ExportSettings, scope: dict[str, Any], first: int, last: int
) -> None:
    """The export itself is evidence: who took which data out, personal data or not."""
    log.append(
        "log.exported",
        {
            "scope": scope,
            "first_seq": first,
            "last_seq": last,
            "lang": settings.lang,
            "personal_data": "included" if settings.include_personal else "masked",
        },
    )
    log.anchor("export")


def _manifest(
    log: EvidenceLog,
    key: SigningKey,
    settings: ExportSettings,
    scope: dict[str, Any],
    records: list[Record],
    first: int,
    last: int,
) -> dict[str, Any]:
    """The manifest without its files and signature: what was exported, by whom, and where
    the slice sits in the chain."""
    previous = log.link_at(first - 1) if first > 1 else GENESIS.hex()
    head = log.head()
    assert head is not None
    checkpoints = read_checkpoints(log.home)
    return {
        "format": FORMAT,
        "tool": {"name": "notices", "version": __version__},
        "exported_at": utc_stamp(datetime.now(UTC)),
        "exported_by": {"actor": log.actor, "host": log.host},
        "scope": scope,
        "language": settings.lang,
        "personal_data": "included" if settings.include_personal else "masked",
        "slice": {
            "first_seq": first,
            "last_seq": last,
            "count": len(records),
            "previous_link": previous,
            "first_record_hash": records[0].record_hash,
            "first_link": records[0].link_hash,
            "last_record_hash": records[-1].record_hash,
            "last_link": records[-1].link_hash,
        },
        "log_head": {"seq": head.seq, "link": head.link},
        "checkpoint": checkpoints[-1][1] if checkpoints else None,
        "signing_key": key.public_json(),
        "hashing": dict(HASHING),
    }


def _report_pdf(
    records: list[Record],
    values: dict[str, str],
    manifest: dict[str, Any],
    events_jsonl: bytes,
    settings: ExportSettings,
) -> bytes:
    """The PDF carries the manifest of the other files (it cannot hold its own hash)."""
    from notices.evidence.report import ReportInput, build_report

    inner = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    return build_report(
        ReportInput(
            records=records,
            lang=settings.lang,
            zone=settings.zone,
            scope=settings.incident or f"{settings.since or '…'} – {settings.until or '…'}",
            organisation=settings.organisation,
            mode_titles=settings.mode_titles,
            include_personal=settings.include_personal,
            held_values=values,
            manifest=manifest,
            attachments={"events.jsonl": events_jsonl, "manifest.json": inner},
            generated=manifest["exported_at"],
            version=__version__,
        )
    )


# -- offline verification -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _recompute(rows: list[dict[str, Any]], previous: str) -> str | None:
    """Check each record's hash and link from `previous`; return the first problem."""
    link = bytes.fromhex(previous)
    expected_seq = rows[0]["seq"] if rows else 0
    for row in rows:
        if row["seq"] != expected_seq:
            return f"record {expected_seq} is missing (the next one is {row['seq']})"
        hashed = record_hash(row)
        if hashed.hex() != row["record_hash"]:
            return f"record {row['seq']} was altered: its content does not match its hash"
        link = link_hash(link, hashed)
        if link.hex() != row["link_hash"]:
            return f"record {row['seq']} does not follow the record before it in the chain"
        expected_seq += 1
    return None


def verify_dossier(folder: Path, expect_key: str | None = None) -> list[Check]:
    """Check an exported dossier with nothing but its own files."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return [Check("manifest", False, f"manifest.json cannot be read: {exc}")]
    if manifest.get("format") != FORMAT:
        return [Check("manifest", False, f"not a notices dossier ({manifest.get('format')!r})")]
    checks = _signature_checks(manifest, expect_key)
    contents = _read_listed_files(folder, manifest, checks)
    rows: list[dict[str, Any]] = []
    if "events.jsonl" in contents:
        rows = _check_chain(contents["events.jsonl"], manifest.get("slice", {}), checks)
    if "events.csv" in contents:
        checks.append(_check_csv(contents["events.csv"], rows))
    if manifest.get("checkpoint"):
        checks.append(_check_checkpoint(manifest, rows))
    return checks


def _public_key(manifest: dict[str, Any]) -> str:
    return str(manifest.get("signing_key", {}).get("public_key", ""))


def _signature_checks(manifest: dict[str, Any], expect_key: str | None) -> list[Check]:
    """The manifest's signature, and (if one is expected) whose key made it."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    public = _public_key(manifest)
    try:
        fingerprint = public_fingerprint(base64.b64decode(public))
    except ValueError:
        fingerprint = ""
    signed = signature_valid(public, str(manifest.get("signature", "")), MANIFEST_DOMAIN, body)
    checks = [
        Check(
            "manifest signature",
            signed and fingerprint == manifest.get("signing_key", {}).get("fingerprint_sha256"),
            f"signed by the Ed25519 key with fingerprint {fingerprint}"
            if signed
            else "the manifest's signature does not verify: the manifest was changed",
        )
    ]
    if expect_key:
        checks.append(
            Check(
                "signing key",
                fingerprint == expect_key.lower(),
                f"key {fingerprint} {'is' if fingerprint == expect_key.lower() else 'is NOT'}"
                f" the expected {expect_key}",
            )
        )
    return checks


def _read_listed_files(
    folder: Path, manifest: dict[str, Any], checks: list[Check]
) -> dict[str, bytes]:
    """The files the manifest lists, each checked against its hash and size (appended to
    `checks`, as is every expected file the manifest leaves out)."""
    contents: dict[str, bytes] = {}
    for name, entry in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            checks.append(Check(f"file {name}", False, "missing"))
            continue
        content = path.read_bytes()
        contents[name] = content
        digest = hashlib.sha256(content).hexdigest()
        checks.append(
            Check(
                f"file {name}",
                digest == entry.get("sha256") and len(content) == entry.get("bytes"),
                f"SHA-256 {digest}"
                if digest == entry.get("sha256")
                else f"SHA-256 {digest} differs from the manifest's {entry.get('sha256')}",
            )
        )
    for name in FILES:
        if name not in manifest.get("files", {}):
            checks.append(Check(f"file {name}", False, "not listed in the manifest"))
    return contents


def _check_chain(raw: bytes, slice_: dict[str, Any], checks: list[Check]) -> list[dict[str, Any]]:
    """The records of events.jsonl (none if it cannot be read), their chain checked from the
    manifest's previous link to its last link (the result appended to `checks`)."""
    try:
        rows = [json.loads(line) for line in raw.splitlines() if line]
    except ValueError:
        checks.append(Check("chain", False, "events.jsonl is not valid JSON Lines"))
        return []
    if not rows:
        return rows
    try:
        problem = _recompute(rows, str(slice_.get("previous_link")))
    except (KeyError, TypeError, ValueError) as exc:
        problem = f"events.jsonl holds a malformed record: {exc}"
    ends = (
        rows[0]["seq"] == slice_.get("first_seq")
        and rows[-1]["seq"] == slice_.get("last_seq")
        and len(rows) == slice_.get("count")
        and rows[0]["record_hash"] == slice_.get("first_record_hash")
        and rows[-1]["link_hash"] == slice_.get("last_link")
    )
    if problem is None and not ends:
        problem = "the records do not start and end where the manifest says"
    checks.append(
        Check(
            "chain",
            problem is None,
            problem
            or f"records {rows[0]['seq']}–{rows[-1]['seq']}: every hash recomputes and"
            f" the first links to the stated previous link {slice_.get('previous_link')}",
        )
    )
    return rows


def _check_checkpoint(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> Check:
    """The latest signed checkpoint: signed by the same key, naming the log's head, and
    agreeing with the slice's link where it falls inside the slice."""
    checkpoint = manifest["checkpoint"]
    cp = checkpoint.get("checkpoint", {})
    good = signature_valid(
        _public_key(manifest), checkpoint.get("signature", ""), CHECKPOINT_DOMAIN, cp
    )
    in_slice = {row["seq"]: row["link_hash"] for row in rows}
    matches = cp.get("last_seq") not in in_slice or in_slice[cp["last_seq"]] == cp.get("head")
    return Check(
        "checkpoint",
        good and matches and cp.get("head") == manifest.get("log_head", {}).get("link"),
        f"signed checkpoint of record {cp.get('last_seq')}, head {cp.get('head')}"
        if good
        else "the checkpoint's signature does not verify",
    )


def _check_csv(raw: bytes, rows: list[dict[str, Any]]) -> Check:
    if not raw.startswith(b"\xef\xbb\xbf"):
        return Check("events.csv", False, "no UTF-8 byte-order mark")
    try:
        table = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
        parsed = []
        for line in table:
            record: dict[str, Any] = {c: (line[c] if line[c] != "" else None) for c in CSV_COLUMNS}
            record["seq"] = int(line["seq"])
            record["payload"] = json.loads(line["payload"])
            parsed.append(record)
    except (ValueError, KeyError, TypeError) as exc:
        return Check("events.csv", False, f"cannot be read: {exc}")
    if [r["seq"] for r in parsed] != [r["seq"] for r in rows]:
        return Check("events.csv", False, "its rows are not the records of events.jsonl")
    for record in parsed:
        if record_hash(record).hex() != record["record_hash"]:
            return Check("events.csv", False, f"row of record {record['seq']} was altered")
    same = all(a["link_hash"] == b["link_hash"] for a, b in zip(parsed, rows, strict=True))
    return Check(
        "events.csv",
        same,
        f"{len(parsed)} rows, the same records as events.jsonl"
        if same
        else "its links differ from events.jsonl",
    )
