"""The dossier's PDF is signed (PAdES) with the data folder's key: `log verify DIR` and
pyHanko's own validator accept it, and both refuse it after one byte changes."""

from __future__ import annotations

import io
import json

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.support.evidence import export, resign


def pyhanko_status(pdf: bytes):
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    context = ValidationContext(trust_roots=[signature.signer_cert])
    return signature, validate_pdf_signature(signature, context)


def test_the_pdf_signature_validates_and_fails_after_one_byte_changes(notices, recorded, tmp_path):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 0, run.stderr
    assert "ok     report.pdf signature: PAdES B-B signature by the manifest's key" in run.stdout
    pdf = (folder / "report.pdf").read_bytes()
    signature, status = pyhanko_status(pdf)
    assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"
    manifest = json.loads((folder / "manifest.json").read_text())
    raw = signature.signer_cert.public_key["public_key"].native
    import base64

    assert base64.b64encode(raw).decode() == manifest["signing_key"]["public_key"]

    # One byte of the first page's content changed; the manifest re-signed by an insider,
    # so that only the PDF's own signature can tell.
    at = pdf.index(b"stream\n") + 40
    changed = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    (folder / "report.pdf").write_bytes(changed)
    resign(folder, recorded.home)
    _, status = pyhanko_status(changed)
    assert not status.intact
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1
    assert "report.pdf signature: the signature does not match the file" in run.stderr.replace(
        "\n", " "
    )
