"""Checking an exported dossier offline, with nothing but its own files.

Every file of the folder must be listed in the signed manifest with its SHA-256 (an extra
file is refused); events.jsonl's records recompute their hashes and links from the stated
previous link, and carry no key the hash does not cover; events.csv and contacts.csv are
checked row by row against those records; the files attached inside report.pdf are compared
byte for byte with the files of the same name (the PDF's manifest.json being the manifest
without the PDF's own entry and the signature).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notices.evidence.anchor import (
    CHECKPOINT_DOMAIN,
    MANIFEST_DOMAIN,
    public_fingerprint,
    signature_valid,
)
from notices.evidence.dossier import (
    CONTACT_COLUMNS,
    FILES,
    FORMAT,
    RECORDING_HELD,
    contact_row,
    pdf_manifest,
)
from notices.evidence.dossier_stamps import STAMPS_NAME, authority_roots, check_stamps_file
from notices.evidence.export import CSV_COLUMNS, spreadsheet_value
from notices.evidence.log import RECORD_FIELDS, link_hash, record_hash

BOM = b"\xef\xbb\xbf"
JSONL_KEYS = frozenset((*RECORD_FIELDS, "record_hash", "link_hash"))


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def verify_dossier(
    path: Path, expect_key: str | None = None, tsa_ca: Path | None = None
) -> list[Check]:
    """Check an exported dossier with nothing but its own files: a folder, or its PDF alone
    (with the files it carries). `tsa_ca`: the timestamp authority's CA, given from outside
    (default: the CA the manifest carries)."""
    if path.is_file():
        return _verify_pdf_alone(path, expect_key, tsa_ca)
    try:
        manifest = json.loads((path / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return [Check("manifest", False, f"manifest.json cannot be read: {exc}")]
    if manifest.get("format") != FORMAT:
        return [Check("manifest", False, f"not a notices dossier ({manifest.get('format')!r})")]
    checks = _signature_checks(manifest, expect_key)
    contents = _read_listed_files(path, manifest, checks)
    checks.extend(_unlisted_files(path, manifest))
    if "report.pdf" in contents:
        checks.append(_check_attachments(contents, manifest))
        checks.append(_check_pdf_signature(contents["report.pdf"], manifest, tsa_ca))
    return checks + _check_contents(contents, manifest, tsa_ca)


def _check_contents(
    contents: dict[str, bytes], manifest: dict[str, Any], tsa_ca: Path | None
) -> list[Check]:
    """What the files say, checked against each other: the chain of events.jsonl, the rows
    of the two CSV files, the timestamps, the export's checkpoint."""
    checks: list[Check] = []
    rows: list[dict[str, Any]] = []
    if "events.jsonl" in contents:
        rows = _check_chain(contents["events.jsonl"], manifest.get("slice", {}), checks)
    if "events.csv" in contents:
        checks.append(_check_csv(contents["events.csv"], rows))
    if "contacts.csv" in contents:
        checks.append(_check_contacts(contents["contacts.csv"], rows, manifest))
    if STAMPS_NAME in contents:
        ok, detail = check_stamps_file(contents[STAMPS_NAME], rows, manifest, tsa_ca)
        checks.append(Check(STAMPS_NAME, ok, detail))
    if manifest.get("checkpoint"):
        checks.append(_check_checkpoint(manifest, rows))
    return checks


def _verify_pdf_alone(path: Path, expect_key: str | None, tsa_ca: Path | None) -> list[Check]:
    """The dossier as its PDF alone: the PAdES signature (by the key the attached manifest
    names) vouches for everything inside; each attached file must be the one the attached
    manifest lists, with its hash; then the same checks as for the folder."""
    pdf = path.read_bytes()
    try:
        attached = _attachments(pdf)
        manifest = json.loads(attached.pop("manifest.json"))
    except (ValueError, KeyError) as exc:
        why = f"no manifest.json attached ({exc})" if isinstance(exc, KeyError) else str(exc)
        return [Check(path.name, False, f"is not a dossier's PDF: {why}")]
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return [Check(path.name, False, "its manifest.json is not a notices dossier's")]
    checks = [_check_pdf_signature(pdf, manifest, tsa_ca), _key_check(manifest, expect_key)]
    listed = manifest.get("files", {})
    for name in sorted(set(listed) | set(attached) | (set(FILES) - {"report.pdf"})):
        checks.append(_attached_file(name, attached.get(name), listed.get(name)))
    contents = {n: c for n, c in attached.items() if n in listed}
    return checks + _check_contents(contents, manifest, tsa_ca)


def _key_check(manifest: dict[str, Any], expect_key: str | None) -> Check:
    """The key the manifest names: its fingerprint recomputed, and compared with one given
    from outside."""
    key = manifest.get("signing_key") or {}
    try:
        fingerprint = public_fingerprint(base64.b64decode(str(key.get("public_key", ""))))
    except ValueError:
        fingerprint = ""
    if fingerprint != key.get("fingerprint_sha256"):
        return Check("signing key", False, "the manifest's fingerprint is not its key's")
    if expect_key and fingerprint != expect_key.strip().lower():
        return Check("signing key", False, f"key {fingerprint} is NOT the expected {expect_key}")
    return Check("signing key", True, f"Ed25519 key with fingerprint {fingerprint}")


def _attached_file(name: str, content: bytes | None, entry: dict[str, Any] | None) -> Check:
    where = f"attachment {name}"
    if entry is None:
        return Check(where, False, "no hash in the attached manifest covers it")
    if content is None:
        return Check(where, False, "listed in the attached manifest, but not attached")
    digest = hashlib.sha256(content).hexdigest()
    if digest != entry.get("sha256") or len(content) != entry.get("bytes"):
        return Check(
            where,
            False,
            f"SHA-256 {digest} differs from the manifest's {entry.get('sha256')}: it was edited",
        )
    return Check(where, True, f"SHA-256 {digest}")


def _attachments(pdf: bytes) -> dict[str, bytes]:
    """The files embedded in the PDF, by name (a name embedded twice is refused). What is
    wrong with a file that is no PDF is said once, not also in pypdf's log warnings."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        attached = PdfReader(io.BytesIO(pdf)).attachments
    except PyPdfError as exc:
        raise ValueError(f"cannot be read as a PDF ({exc})") from None
    finally:
        pypdf_log.setLevel(level)
    if any(len(parts) != 1 for parts in attached.values()):
        raise ValueError("a file is attached more than once")
    return {name: parts[0] for name, parts in attached.items()}


def _recompute(rows: list[dict[str, Any]], previous: str) -> str | None:
    """Check each record's keys, hash and link from `previous`; return the first problem."""
    link = bytes.fromhex(previous)
    expected_seq = rows[0]["seq"] if rows else 0
    for row in rows:
        extra, lacking = sorted(set(row) - JSONL_KEYS), sorted(JSONL_KEYS - set(row))
        if extra:
            return f"record {row.get('seq')} carries keys no hash covers: {', '.join(extra)}"
        if lacking:
            return f"record {row.get('seq')} lacks keys: {', '.join(lacking)}"
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
        same = fingerprint == expect_key.strip().lower()
        checks.append(
            Check(
                "signing key",
                same,
                f"key {fingerprint} {'is' if same else 'is NOT'} the expected {expect_key}",
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
        if Path(name).name != name or not path.is_file():
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


def _unlisted_files(folder: Path, manifest: dict[str, Any]) -> list[Check]:
    """Anything in the folder that no hash covers is refused, not ignored."""
    listed = set(manifest.get("files", {})) | {"manifest.json"}
    return [
        Check(
            f"file {path.name}", False, "no hash in the manifest covers it: not part of the dossier"
        )
        for path in sorted(folder.iterdir())
        if path.name not in listed
    ]


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
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = f"events.jsonl holds a malformed record: {exc}"
    ends = (
        rows[0].get("seq") == slice_.get("first_seq")
        and rows[-1].get("seq") == slice_.get("last_seq")
        and len(rows) == slice_.get("count")
        and rows[0].get("record_hash") == slice_.get("first_record_hash")
        and rows[-1].get("link_hash") == slice_.get("last_link")
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
    return rows if problem is None else []


def _check_checkpoint(manifest: dict[str, Any], rows: list[dict[str, Any]]) -> Check:
    """The latest signed checkpoint: signed by the same key, naming the log's head (or a
    record before it: the export's checkpoint is followed by the record of it), and agreeing
    with the slice's link where it falls inside the slice."""
    checkpoint = manifest["checkpoint"]
    cp = checkpoint.get("checkpoint", {})
    good = signature_valid(
        _public_key(manifest), checkpoint.get("signature", ""), CHECKPOINT_DOMAIN, cp
    )
    in_slice = {row["seq"]: row["link_hash"] for row in rows}
    matches = cp.get("last_seq") not in in_slice or in_slice[cp["last_seq"]] == cp.get("head")
    head = manifest.get("log_head", {})
    before_head = isinstance(cp.get("last_seq"), int) and cp["last_seq"] < head.get("seq", 0)
    return Check(
        "checkpoint",
        good and matches and (before_head or cp.get("head") == head.get("link")),
        f"signed checkpoint of record {cp.get('last_seq')}, head {cp.get('head')}"
        if good
        else "the checkpoint's signature does not verify",
    )


def _csv_rows(raw: bytes) -> list[list[str]]:
    if not raw.startswith(BOM):
        raise ValueError("no UTF-8 byte-order mark")
    lines = csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""))
    # Cells were made safe for spreadsheets on export (export.spreadsheet_safe): undone.
    return [[spreadsheet_value(cell) for cell in line] for line in lines]


def _check_csv(raw: bytes, rows: list[dict[str, Any]]) -> Check:
    try:
        table = _csv_rows(raw)
        if table[0] != list(CSV_COLUMNS):
            raise ValueError(f"its columns are not {', '.join(CSV_COLUMNS)}")
        parsed = []
        for line in table[1:]:
            record: dict[str, Any] = dict(zip(CSV_COLUMNS, line, strict=True))
            record = {c: (v if v != "" else None) for c, v in record.items()}
            record["seq"] = int(line[0])
            record["payload"] = json.loads(record["payload"])
            parsed.append(record)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
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


def _check_contacts(raw: bytes, rows: list[dict[str, Any]], manifest: dict[str, Any]) -> Check:
    """contacts.csv row by row: what the contact.received records say, the number masked
    unless the manifest says personal data was included."""
    try:
        table = _csv_rows(raw)
        zone = ZoneInfo(str(manifest.get("zone", "UTC")))
    except (ValueError, ZoneInfoNotFoundError) as exc:
        return Check("contacts.csv", False, f"cannot be read: {exc}")
    if not table or table[0] != list(CONTACT_COLUMNS):
        return Check("contacts.csv", False, f"its columns are not {', '.join(CONTACT_COLUMNS)}")
    received = [r for r in rows if r.get("kind") == "contact.received"]
    if len(table) - 1 != len(received):
        return Check(
            "contacts.csv",
            False,
            f"{len(table) - 1} rows for {len(received)} contact.received records",
        )
    masked = manifest.get("personal_data") != "included"
    for number, (line, record) in enumerate(zip(table[1:], received, strict=True), start=2):
        whole = len(line) == len(CONTACT_COLUMNS)
        party = line[CONTACT_COLUMNS.index("party")] if whole else ""
        recording = line[CONTACT_COLUMNS.index("recording")] if whole else ""
        expected = contact_row(
            record["seq"], record["channel"], record["payload"], party, zone, recording
        )
        shown_masked = (party in ("(erased)", "—") or "***" in party) and recording in (
            "",
            "(erased)",
            RECORDING_HELD,
        )
        if line != [("" if v is None else str(v)) for v in expected] or (
            masked and not shown_masked
        ):
            return Check(
                "contacts.csv",
                False,
                f"line {number} (record {record['seq']}) is not what the record says"
                + (
                    " (an unmasked number in a masked dossier)"
                    if masked and not shown_masked
                    else ""
                ),
            )
    return Check("contacts.csv", True, f"{len(received)} rows, each as its record says")


def _check_attachments(contents: dict[str, bytes], manifest: dict[str, Any]) -> Check:
    """The files inside report.pdf, byte for byte: each as the dossier's file of that name,
    manifest.json as the manifest without the PDF's entry and the signature. (Dossiers
    made before the PDF carried every file attach only events.jsonl and manifest.json.)"""
    try:
        inside = _attachments(contents["report.pdf"])
    except ValueError as exc:
        return Check("report.pdf attachments", False, f"cannot be read: {exc}")
    expected = {name: contents.get(name) for name in manifest.get("files", {})}
    expected.pop("report.pdf", None)
    expected["manifest.json"] = pdf_manifest(manifest)
    for name in sorted(set(inside) | {"events.jsonl", "manifest.json"}):
        if name not in expected:
            return Check("report.pdf attachments", False, f"{name}: no hash covers it")
        if name not in inside:
            return Check("report.pdf attachments", False, f"{name} is not attached")
        if inside[name] != expected[name]:
            return Check(
                "report.pdf attachments",
                False,
                f"{name} inside the PDF differs from "
                + ("the signed manifest" if name == "manifest.json" else f"the file {name}"),
            )
    return Check(
        "report.pdf attachments",
        True,
        f"{', '.join(sorted(inside))} inside the PDF are byte for byte the dossier's",
    )


def _check_pdf_signature(pdf: bytes, manifest: dict[str, Any], tsa_ca: Path | None) -> Check:
    from notices.evidence.pades import check_pdf_signature

    try:
        roots, source = authority_roots(manifest, tsa_ca)
    except ValueError as exc:
        return Check("report.pdf signature", False, f"the timestamp authority's CA: {exc}")
    ok, detail = check_pdf_signature(pdf, _public_key(manifest), roots)
    said = f"{detail}: {source}" if ok and roots and "B-T" in detail else detail
    return Check("report.pdf signature", ok, said)
