"""Reading the evidence log for people and for other programs: lines, JSON Lines, CSV."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from notices.db import Database
from notices.errors import UsageError
from notices.evidence.log import EvidenceLog, Record
from notices.store.url import store_url
from notices.timeparse import from_stamp

# OWASP's CSV injection guidance: a cell a spreadsheet would read as a formula (or that
# begins with the quote that marks one as text) gets a leading ' and is shown as written.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell no spreadsheet runs: text beginning with = + - @ tab CR or ' gets a ' in
    front. Every CSV the product writes goes through it; `spreadsheet_value` undoes it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_value(cell: str) -> str:
    """The value a `spreadsheet_safe` cell stands for."""
    return cell[1:] if cell.startswith("'") else cell


CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "host",
    "incident",
    "kind",
    "channel",
    "payload",
    "record_hash",
    "link_hash",
)


def open_log(home: Path, *, read_only: bool = False) -> EvidenceLog:
    """The log of an existing data folder. A mistyped --home must not look like an empty,
    valid log, so a missing database is an error rather than a new one. `read_only`: for
    checking, which must leave the data folder byte for byte as it was."""
    path = home / "notices.db"
    if store_url(home) is None and not path.exists():
        raise UsageError(f"no evidence log at {path}: check --home / NOTICES_HOME")
    if not home.is_dir():  # on PostgreSQL too: the folder holds the keys and the head file
        raise UsageError(f"no evidence log for {home}: no such data folder; check --home")
    return EvidenceLog(Database(path, read_only=read_only))


def _brief(record: Record) -> str:
    payload = record.payload
    for key in ("error", "command", "mode", "setting", "holds", "changed"):
        if key in payload:
            value = payload[key]
            if isinstance(value, dict) and "summary" in value:
                value = value["summary"]
            return f"{key}={json.dumps(value, ensure_ascii=False)}"[:120]
    return ""


def record_line(record: Record, zone: ZoneInfo) -> str:
    when = from_stamp(record.ts).astimezone(zone)
    return (
        f"{record.seq:>6}  {when:%Y-%m-%d %H:%M:%S.%f}"[:-3]
        + f"  {record.actor:<10} {record.kind:<18} {record.channel or '-':<10}"
        f" {record.incident or '-':<22} {_brief(record)}"
    )


def export(log: EvidenceLog, output: Path, fmt: str, incident: str | None) -> tuple[int, str]:
    """Write the records (streamed) as jsonl or csv; return the count and the file's SHA-256."""
    output.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    if fmt == "jsonl":
        with output.open("w", encoding="utf-8", newline="\n") as handle:
            for record in log.records(incident=incident):
                handle.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")
                count += 1
    else:
        # utf-8-sig: the byte-order mark makes Excel read Finnish characters correctly.
        with output.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for record in log.records(incident=incident):
                row = record.as_dict()
                row["payload"] = json.dumps(row["payload"], ensure_ascii=False)
                writer.writerow([spreadsheet_safe(row[column]) for column in CSV_COLUMNS])
                count += 1
    # Hashed in chunks: an export of a million records must not be read into memory whole.
    digest = hashlib.sha256()
    with output.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return count, digest.hexdigest()
