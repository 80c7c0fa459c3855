"""The dossier as a single file: `log verify report.pdf` checks the PDF alone, with the
files it carries inside (the manifest, events.jsonl, events.csv, contacts.csv), as it checks
the folder."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from tests.support.evidence import Recorded, export, reembedded, sign_as_insider


def alone(notices, recorded: Recorded, tmp_path: Path) -> Path:
    """The dossier's PDF, copied away from the rest of its folder."""
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    pdf = tmp_path / "sent-by-email.pdf"
    shutil.copy(folder / "report.pdf", pdf)
    return pdf


def failed(notices, pdf: Path) -> str:
    run = notices("log", "verify", str(pdf))
    assert run.exit_code == 1, run.stdout
    assert "FAILED: the dossier does not verify." in run.stderr
    return " ".join(run.stderr.split())


def attached(pdf: Path) -> dict[str, bytes]:
    return {name: parts[0] for name, parts in PdfReader(pdf).attachments.items()}


def test_the_pdf_alone_verifies_with_the_files_it_carries(notices, recorded, tmp_path):
    pdf = alone(notices, recorded, tmp_path)
    inside = attached(pdf)
    assert set(inside) == {"events.jsonl", "events.csv", "contacts.csv", "manifest.json"}
    key = json.loads(inside["manifest.json"])["signing_key"]["fingerprint_sha256"]
    run = notices("log", "verify", str(pdf), "--expect-key", key)
    assert run.exit_code == 0, run.stderr
    said = " ".join(run.stdout.split())
    assert "ok report.pdf signature: PAdES B-B signature by the manifest's key" in said
    assert f"ok signing key: Ed25519 key with fingerprint {key}" in said
    for name in ("contacts.csv", "events.csv", "events.jsonl"):
        assert f"ok attachment {name}: SHA-256" in said
    assert "ok contacts.csv: 4 rows, each as its record says" in said
    assert "ok chain: records 1–" in said
    assert "OK: the dossier verifies." in said
    run = notices("log", "verify", str(pdf), "--expect-key", "00" * 32)
    assert run.exit_code == 1
    assert f"signing key: key {key} is NOT the expected" in " ".join(run.stderr.split())


def test_an_attachment_edited_and_the_pdf_signed_again_is_rejected_by_name(
    notices, recorded, tmp_path
):
    """An insider edits contacts.csv inside the PDF and signs the PDF again with the data
    folder's key: the signature holds, the attached manifest's hash names the file."""
    pdf = alone(notices, recorded, tmp_path)
    raw = attached(pdf)["contacts.csv"]
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    status = rows[0].index("status")
    rows[2][status] = "no-answer"
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    edited = b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
    forged = sign_as_insider(reembedded(pdf.read_bytes(), {"contacts.csv": edited}), recorded.home)
    pdf.write_bytes(forged)
    assert attached(pdf)["contacts.csv"] == edited
    run = notices("log", "verify", str(pdf))
    assert run.exit_code == 1
    assert "ok report.pdf signature" in " ".join(run.stdout.split())  # the insider's key
    message = " ".join(run.stderr.split())
    assert "attachment contacts.csv: SHA-256" in message
    assert "differs from the manifest's" in message and "it was edited" in message
    assert "contacts.csv: line 3 (record" in message


def test_an_attachment_edited_without_the_key_breaks_the_signature(notices, recorded, tmp_path):
    pdf = alone(notices, recorded, tmp_path)
    events = attached(pdf)["events.jsonl"]
    edited = events.replace(b"test-operator", b"someone-else", 1)
    pdf.write_bytes(reembedded(pdf.read_bytes(), {"events.jsonl": edited}))
    message = failed(notices, pdf)
    assert "report.pdf signature: 0 signatures, not one" in message
    assert "attachment events.jsonl: SHA-256" in message


def test_a_broken_signature_is_rejected(notices, recorded, tmp_path):
    pdf = alone(notices, recorded, tmp_path)
    data = pdf.read_bytes()
    at = data.index(b"stream\n") + 40
    pdf.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
    message = failed(notices, pdf)
    assert "report.pdf signature: the signature does not match the file" in message


def test_the_attached_files_are_pdf_a_3_associated_files(notices, recorded, tmp_path):
    """PDF/A-3 (ISO 19005-3, 6.8): each embedded file has a MIME type and an AFRelationship
    and is named in the document's /AF array; the signature left the PDF/A identification."""
    pdf = alone(notices, recorded, tmp_path)
    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
    associated = [ref.get_object() for ref in root["/AF"]]
    types = {}
    for name, spec in specs.items():
        assert spec["/AFRelationship"] in ("/Data", "/Supplement"), name
        assert spec in associated, name
        types[name] = spec["/EF"]["/F"].get_object()["/Subtype"]
    assert types == {
        "events.jsonl": "/application/jsonl",
        "events.csv": "/text/csv",
        "contacts.csv": "/text/csv",
        "manifest.json": "/application/json",
    }
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfaid:part(>|=")3', xmp) and re.search(r'pdfaid:conformance(>|=")B', xmp)


def test_a_file_that_is_no_dossier_pdf_is_said_so(notices, recorded, tmp_path):
    pdf = alone(notices, recorded, tmp_path)
    message = failed(notices, pdf.parent / "dossier" / "events.jsonl")
    assert "events.jsonl: is not a dossier's PDF: cannot be read as a PDF" in message
    writer = PdfWriter()
    for page in PdfReader(pdf).pages:
        writer.add_page(page)
    writer.add_attachment("events.jsonl", attached(pdf)["events.jsonl"])
    bare = tmp_path / "bare.pdf"
    with bare.open("wb") as handle:
        writer.write(handle)
    assert "bare.pdf: is not a dossier's PDF: no manifest.json attached" in failed(notices, bare)
