"""The dossier's PDF is signed (PAdES) with the data folder's key: `log verify DIR` and
pyHanko's own validator accept it, and both refuse it after one byte changes."""

from __future__ import annotations

import io
import json
import re

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from tests.support.evidence import export, resign
from tests.support.tsa import Authority


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


def test_with_an_authority_the_signature_is_timestamped_pades_b_t(notices, recorded, tmp_path):
    """[evidence] tsa_url set: the PDF's signature carries the authority's timestamp
    (PAdES B-T), which log verify and pyHanko's validator check against the authority's CA;
    one changed byte fails both; a CA of another authority fails the timestamp."""
    authority = Authority.make(tmp_path / "tsa").serve()
    try:
        config = recorded.home / "notices.toml"
        config.write_text(
            f'[evidence]\ntsa_url = "{authority.url}"\ntsa_ca_file = "{authority.ca_file}"\n'
        )
        folder = tmp_path / "dossier"
        export(notices, recorded, folder)
    finally:
        authority.stop()
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 0, run.stderr
    said = " ".join(run.stdout.split())
    assert "ok report.pdf signature: PAdES B-T signature by the manifest's key" in said
    assert "by an authority of the CA: the CA the dossier carries (SHA-256" in said
    pdf = (folder / "report.pdf").read_bytes()
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    ca = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(authority.ca_file.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    status = validate_pdf_signature(
        signature,
        ValidationContext(trust_roots=[signature.signer_cert]),
        ts_validation_context=ValidationContext(trust_roots=[ca]),
    )
    stamp = status.timestamp_validity
    assert status.intact and status.valid and stamp is not None
    assert stamp.intact and stamp.valid and stamp.trusted
    assert "Test TSA" in stamp.signing_cert.subject.human_friendly
    xmp = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert re.search(rb'pdfaid:part(>|=")3', xmp) and re.search(rb'pdfaid:conformance(>|=")B', xmp)

    other = Authority.make(tmp_path / "other", "Other")
    run = notices("log", "verify", str(folder), "--tsa-ca", str(other.ca_file))
    assert run.exit_code == 1
    message = " ".join(run.stderr.split())
    assert "report.pdf signature: the signature's timestamp is not from an authority" in message

    at = pdf.index(b"stream\n") + 40
    (folder / "report.pdf").write_bytes(pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :])
    resign(folder, recorded.home)
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1
    assert "report.pdf signature: the signature does not match the file" in " ".join(
        run.stderr.split()
    )


def test_export_and_verify_sign_inside_a_running_event_loop(notices, recorded, tmp_path):
    """pyHanko's synchronous API starts its own asyncio loop; a program that calls us from
    inside one (Playwright's sync API in the website tests does) must still get a signed
    and verified dossier, not "asyncio.run() cannot be called from a running event loop"."""
    import asyncio

    folder = tmp_path / "dossier"

    async def inside_a_loop() -> None:
        export(notices, recorded, folder)
        run = notices("log", "verify", str(folder))
        assert run.exit_code == 0, run.stderr
        assert "report.pdf signature: PAdES B-B signature" in run.stdout

    asyncio.run(inside_a_loop())
