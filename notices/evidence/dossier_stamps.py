"""The outside clock in a dossier: `timestamps.jsonl`, and its offline check.

One line per checkpoint the dossier can vouch for that the authority stamped: each
checkpoint whose `checkpoint.written` record is in the slice, and the export's own
checkpoint (the manifest's `checkpoint`). A line holds the head-file line's exact text
(`heads_line`, whose SHA-256 the chain records and the token covers), the token (base64 of
the DER TimeStampResp, which carries the authority's signing certificate), its time and its
delay. The authority's CA certificates, from `tsa_ca_file` at export, are in the manifest
(`timestamp_authority`), so the tokens can be checked with nothing but the dossier; a CA
given from outside (`log verify --tsa-ca FILE`) is better still.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from notices.evidence.anchor import CHECKPOINT_DOMAIN, read_checkpoints, signature_valid
from notices.evidence.checkpoints import CHECKPOINT_RECORD
from notices.evidence.log import Record
from notices.evidence.timestamp import (
    check_token,
    late_note,
    load_certificates,
    read_stamps,
    verifier_for,
)

STAMPS_NAME = "timestamps.jsonl"
STAMP_KEYS = ("line", "heads_line", "token", "gen_time", "delay_s")


def stamps_file(home: Path, records: list[Record]) -> bytes | None:
    """The dossier's timestamps.jsonl (None: no checkpoint of it was stamped)."""
    lines = read_checkpoints(home)
    wanted = {int(r.payload.get("line", 0)) for r in records if r.kind == CHECKPOINT_RECORD}
    wanted.add(len(lines))  # the export's own checkpoint, the manifest's
    stamps = read_stamps(home)
    out = []
    for number in sorted(n for n in wanted if n in stamps and 1 <= n <= len(lines)):
        entry = stamps[number]
        line = {
            "line": number,
            "heads_line": lines[number - 1][0].decode("utf-8"),
            "token": entry["token"],
            "gen_time": entry["gen_time"],
            "delay_s": entry["delay_s"],
        }
        out.append(json.dumps(line, ensure_ascii=False) + "\n")
    return "".join(out).encode("utf-8") if out else None


def authority_entry(url: str, ca_file: Path | None) -> dict[str, Any]:
    """The manifest's `timestamp_authority`: where the tokens came from, and the CA
    certificates (base64 DER, with their SHA-256) to check them against."""
    from cryptography.hazmat.primitives.serialization import Encoding

    certs = load_certificates(ca_file.read_bytes()) if ca_file else []
    ders = [cert.public_bytes(Encoding.DER) for cert in certs]
    return {
        "url": url,
        "ca_certificates": [base64.b64encode(der).decode("ascii") for der in ders],
        "ca_sha256": [hashlib.sha256(der).hexdigest() for der in ders],
    }


def authority_roots(manifest: dict[str, Any], tsa_ca: Path | None) -> tuple[list[Any], str]:
    """The CA certificates to check tokens against, and where they came from, in words."""
    from cryptography import x509

    if tsa_ca is not None:
        return load_certificates(tsa_ca.read_bytes()), f"the CA in {tsa_ca}"
    carried = (manifest.get("timestamp_authority") or {}).get("ca_certificates") or []
    if not carried:
        return [], ""
    certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in carried]
    prints = ", ".join((manifest["timestamp_authority"].get("ca_sha256") or [])[:2])
    return certs, f"the CA the dossier carries (SHA-256 {prints}: compare it with the authority's)"


def check_stamps_file(
    raw: bytes, rows: list[dict[str, Any]], manifest: dict[str, Any], tsa_ca: Path | None
) -> tuple[bool, str]:
    """Every line of timestamps.jsonl: a checkpoint the slice's chain or the signed manifest
    vouches for, signed by the manifest's key, its token checked as `log verify` checks the
    data folder's (hash, signature, CA, time)."""
    recorded = {
        int(r["payload"].get("line", 0)): r["payload"].get("line_sha256")
        for r in rows
        if r.get("kind") == CHECKPOINT_RECORD
    }
    try:
        roots, source = authority_roots(manifest, tsa_ca)
        entries = [json.loads(line) for line in raw.splitlines() if line]
    except ValueError as exc:
        return False, f"cannot be read: {exc}"
    verifier = verifier_for(roots) if roots else None
    public = str((manifest.get("signing_key") or {}).get("public_key", ""))
    late: list[tuple[int, float]] = []
    for number, entry in enumerate(entries, start=1):
        problem = _check_entry(number, entry, recorded, manifest, public, verifier, late)
        if problem:
            return False, problem
    said = f"{len(entries)} timestamp tokens, each for a checkpoint of the dossier, " + (
        f"checked against {source}" if roots else "their authority not checked (no CA)"
    )
    return True, said + (f"; {late_note(late, None)}" if late else "")


def _check_entry(
    number: int,
    entry: Any,
    recorded: dict[int, Any],
    manifest: dict[str, Any],
    public: str,
    verifier: Any,
    late: list[tuple[int, float]],
) -> str | None:
    where = f"{STAMPS_NAME} line {number}"
    if not isinstance(entry, dict) or sorted(entry) != sorted(STAMP_KEYS):
        return f"{where} does not have exactly the members {', '.join(STAMP_KEYS)}"
    line = str(entry["heads_line"]).encode("utf-8")
    try:
        body = json.loads(line)
        token = base64.b64decode(entry["token"], validate=True)
    except ValueError as exc:
        return f"{where} cannot be read: {exc}"
    vouched = recorded.get(entry["line"]) == hashlib.sha256(line).hexdigest()
    if not vouched and body != manifest.get("checkpoint"):
        return (
            f"{where} (heads.jsonl line {entry['line']}) is a checkpoint that neither the"
            " slice's records nor the manifest name"
        )
    checkpoint = body.get("checkpoint", {}) if isinstance(body, dict) else {}
    if not signature_valid(public, body.get("signature", ""), CHECKPOINT_DOMAIN, checkpoint):
        return f"{where}: the checkpoint's signature does not verify"
    checked = check_token(
        f"{where}: the timestamp of heads.jsonl line {entry['line']}", line, token, verifier
    )
    if checked.problem:
        return checked.problem
    if entry["gen_time"] != checked.gen_time:
        return f"{where}: its gen_time is not the token's ({checked.gen_time})"
    if checked.late:
        late.append((int(entry["line"]), checked.gap_s))
    return None
