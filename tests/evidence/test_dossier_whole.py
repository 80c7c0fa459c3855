"""The whole dossier is verified: every file the manifest lists, row by row where a file
repeats what the records say, and nothing that no hash covers.

Most of these forgeries are made by an insider holding the data folder's key: after the
edit, the manifest's hashes are recomputed and it is signed again, so the file hashes and
the signature all verify, and only the deeper check can catch the edit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from tests.support.evidence import Recorded, export, resign


def failed(notices, folder: Path) -> str:
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1, run.stdout
    assert "FAILED: the dossier does not verify." in run.stderr
    return str(run.stderr).replace("\n", " ")


def dossier(notices, recorded: Recorded, tmp_path: Path) -> Path:
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 0, run.stderr
    assert "ok     contacts.csv: 4 rows, each as its record says" in run.stdout
    assert "ok     report.pdf attachments" in run.stdout
    return folder


def test_re_signing_alone_still_verifies(notices, recorded, tmp_path):
    """The forger's tool is sound: re-signing an unedited dossier changes nothing."""
    folder = dossier(notices, recorded, tmp_path)
    resign(folder, recorded.home)
    assert notices("log", "verify", str(folder)).exit_code == 0


def test_an_edited_contacts_row_is_rejected(notices, recorded, tmp_path):
    folder = dossier(notices, recorded, tmp_path)
    raw = (folder / "contacts.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    status = rows[0].index("status")
    assert rows[2][status] == "completed"
    rows[2][status] = "no-answer"  # "nobody called back": the caller's call hidden
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    (folder / "contacts.csv").write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    resign(folder, recorded.home)
    message = failed(notices, folder)
    assert "contacts.csv: line 3 (record" in message
    assert "is not what the record says" in message


def test_an_unmasked_number_in_a_masked_dossier_is_rejected(notices, recorded, tmp_path):
    folder = dossier(notices, recorded, tmp_path)
    text = (folder / "contacts.csv").read_bytes().decode("utf-8-sig")
    masked = next(cell for cell in text.split(",") if "***" in cell)
    (folder / "contacts.csv").write_bytes(
        b"\xef\xbb\xbf" + text.replace(masked, "+358401234567", 1).encode("utf-8")
    )
    resign(folder, recorded.home)
    assert "an unmasked number in a masked dossier" in failed(notices, folder)


def test_an_edited_attachment_inside_the_pdf_is_rejected(notices, recorded, tmp_path):
    folder = dossier(notices, recorded, tmp_path)
    reader = PdfReader(folder / "report.pdf")
    attached = {name: parts[0] for name, parts in reader.attachments.items()}
    assert attached["events.jsonl"] == (folder / "events.jsonl").read_bytes()
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    edited = attached["events.jsonl"].replace(b"test-operator", b"someone-else", 1)
    assert edited != attached["events.jsonl"]
    writer.add_attachment("events.jsonl", edited)
    writer.add_attachment("manifest.json", attached["manifest.json"])
    with (folder / "report.pdf").open("wb") as handle:
        writer.write(handle)
    resign(folder, recorded.home)
    message = failed(notices, folder)
    assert "report.pdf attachments: events.jsonl inside the PDF differs from the file" in message


def test_an_extra_jsonl_key_is_rejected(notices, recorded, tmp_path):
    folder = dossier(notices, recorded, tmp_path)
    lines = (folder / "events.jsonl").read_text("utf-8").splitlines()
    record = json.loads(lines[1])
    record["note"] = "the caller was told the office was open"
    lines[1] = json.dumps(record, ensure_ascii=False)
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    resign(folder, recorded.home)
    message = failed(notices, folder)
    assert f"record {record['seq']} carries keys no hash covers: note" in message


def test_an_extra_file_is_rejected(notices, recorded, tmp_path):
    folder = dossier(notices, recorded, tmp_path)
    (folder / "explanation.txt").write_text("All calls were answered.", "utf-8")
    message = failed(notices, folder)
    assert "file explanation.txt: no hash in the manifest covers it" in message
