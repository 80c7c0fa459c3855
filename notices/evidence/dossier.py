"""The evidence dossier: one folder that answers an inquiry on its own (its offline check is
`dossier_check`).

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
    MANIFEST_DOMAIN,
    SigningKey,
    read_checkpoints,
)
from notices.evidence.dossier_stamps import STAMPS_NAME, authority_entry, stamps_file
from notices.evidence.export import CSV_COLUMNS, spreadsheet_safe
from notices.evidence.log import GENESIS, EvidenceLog, Record, record_filter
from notices.evidence.personal import PersonalData, mask
from notices.evidence.timestamp import stamp_and_record
from notices.timeparse import from_stamp, utc_stamp

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
        # Record 1 (log.started, naming the signing key) goes with the first incident.
        return (1 if first == 2 else int(first)), int(last)
    where, params = record_filter(since=since, until=until)
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


def _csv(header: tuple[str, ...] | list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    # No cell a spreadsheet would run as a formula (OWASP's CSV injection): see export.py.
    writer.writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
    # The byte-order mark makes Excel read UTF-8 (ä, ö, å, €) correctly.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _events_csv(records: list[Record]) -> bytes:
    rows = []
    for record in records:
        row = record.as_dict()
        row["payload"] = json.dumps(row["payload"], ensure_ascii=False)
        rows.append(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return _csv(CSV_COLUMNS, rows)


CONTACT_COLUMNS = (
    "at_utc",
    "at_local",
    "channel",
    "contact",
    "party",
    "provider_id",
    "status",
    "duration",
    "recording",
    "detail",
    "seq",
    "party_ref",
)


def contact_row(
    seq: int,
    channel: str | None,
    payload: dict[str, Any],
    shown: str,
    zone: ZoneInfo,
    recording: str = "",
) -> list[Any]:
    """One line of contacts.csv, from a contact.received record, the party as shown
    (masked, erased or in full) and a voice message's link as shown: the export writes
    it, `log verify DIR` recomputes it."""
    detail = payload.get("detail") or {}
    local = from_stamp(str(payload.get("at"))).astimezone(zone)
    return [
        payload.get("at"),
        f"{local:%Y-%m-%d %H:%M:%S}",
        channel,
        payload.get("contact"),
        shown,
        payload.get("provider_id"),
        detail.get("status", ""),
        detail.get("duration_s", detail.get("duration", "")),
        recording,
        json.dumps(detail, ensure_ascii=False),
        seq,
        payload.get("party"),
    ]


def _contacts_csv(
    records: list[Record], values: dict[str, str], include: bool, zone: ZoneInfo
) -> bytes:
    rows = []
    for record in records:
        if record.kind != "contact.received":
            continue
        value = values.get(str(record.payload.get("party")))
        shown = "(erased)" if value is None else (value if include else mask(value))
        recording = recording_shown(record.payload.get("detail") or {}, values, include)
        rows.append(contact_row(record.seq, record.channel, record.payload, shown, zone, recording))
    return _csv(list(CONTACT_COLUMNS), rows)


RECORDING_HELD = "(personal: --include-personal)"


def recording_shown(detail: dict[str, Any], values: dict[str, str], include: bool) -> str:
    """A voice message's link: shown with --include-personal, else said to be held."""
    ref = detail.get("recording")
    if not ref:
        return ""
    link = values.get(str(ref))
    if link is None:
        return "(erased)"
    return link if include else RECORDING_HELD


def pdf_manifest(manifest: dict[str, Any]) -> bytes:
    """The manifest attached inside the PDF: without the PDF's own entry (a file cannot
    hold its own hash) and without the signature."""
    inner = {k: v for k, v in manifest.items() if k != "signature"}
    inner["files"] = {k: v for k, v in manifest.get("files", {}).items() if k != "report.pdf"}
    return json.dumps(inner, ensure_ascii=False, indent=2).encode("utf-8")


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
    tsa_url: str | None = None  # [evidence]: the export's checkpoint stamped, the PDF B-T
    tsa_timeout_s: float = 5.0
    tsa_ca_file: Path | None = None


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
    values = PersonalData(log.database).values(_personal_refs(records))
    files = {
        "events.jsonl": _jsonl(records),
        "events.csv": _events_csv(records),
        "contacts.csv": _contacts_csv(records, values, settings.include_personal, settings.zone),
    }
    stamps = stamps_file(log.home, records)
    if stamps is not None:
        files[STAMPS_NAME] = stamps
    manifest["files"] = {name: _file_entry(content) for name, content in files.items()}
    pdf = _report_pdf(records, values, manifest, files, settings)
    files["report.pdf"] = _signed(log, pdf, key, settings)
    manifest["files"]["report.pdf"] = _file_entry(files["report.pdf"])
    manifest["signature"] = key.sign(MANIFEST_DOMAIN, manifest)

    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    return manifest


def _personal_refs(records: list[Record]) -> list[str]:
    """The digests of the callers and voice-message links the contacts.csv shows."""
    return [
        str(ref)
        for r in records
        if r.kind == "contact.received"
        for ref in (r.payload.get("party"), (r.payload.get("detail") or {}).get("recording"))
        if ref
    ]


def _signed(log: EvidenceLog, pdf: bytes, key: SigningKey, settings: ExportSettings) -> bytes:
    """The PDF signed: PAdES B-T with the authority's timestamp, or B-B without one (also
    when the authority cannot be reached: that is logged, and the export goes on)."""
    from notices.evidence.pades import sign_pdf

    signed, error = sign_pdf(pdf, key, settings.tsa_url, settings.tsa_timeout_s)
    if error:
        log.append("dossier.timestamp_failed", {"authority": settings.tsa_url, "error": error})
    return signed


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
    if settings.tsa_url:  # the export's checkpoint, named by the manifest, stamped at once
        stamp_and_record(log, settings.tsa_url, settings.tsa_timeout_s, newest_is_fresh=True)


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
        "zone": settings.zone.key,
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
        **(
            {"timestamp_authority": authority_entry(settings.tsa_url, settings.tsa_ca_file)}
            if settings.tsa_url
            else {}
        ),
    }


def _report_pdf(
    records: list[Record],
    values: dict[str, str],
    manifest: dict[str, Any],
    files: dict[str, bytes],
    settings: ExportSettings,
) -> bytes:
    """The PDF carries every other file and the manifest of them (it cannot hold its own
    hash), so that it can be checked alone."""
    from notices.evidence.report import ReportInput, build_report

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
            attachments={**files, "manifest.json": pdf_manifest(manifest)},
            generated=manifest["exported_at"],
            version=__version__,
        )
    )
