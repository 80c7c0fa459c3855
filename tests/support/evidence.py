"""A recorded incident's data: its reason with special characters, callers old and new
(past and within the retention), and calls stored through the same function the resume hook
uses (notices.evidence.contacts.store_contacts)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from notices.channels.base import Contact
from notices.evidence.contacts import store_contacts
from notices.evidence.export import open_log

SPECIAL = "ÄÖÅäöå – € “” š"
REASON = f"Palohälytys {SPECIAL}"
OLD_CALLERS = ["+358401112267", "+358509998841"]  # from 2022: past the 36-month retention
NEW_CALLERS = ["+358401234567", "+358457654321"]


def calls(numbers: list[str], day: str) -> list[Contact]:
    return [
        Contact(
            channel="phone",
            kind="call",
            at=f"{day}T{10 + i:02d}:{15 * i:02d}:00.000Z",
            party=number,
            provider_id=f"CA{day.replace('-', '')}{i:026d}",
            detail={
                "status": "completed",
                "duration": str(20 + i),
                "direction": "inbound",
                "from": number,
                "to": "+358912345678",
                "played": "greeting.xml",
            },
        )
        for i, number in enumerate(numbers)
    ]


@dataclass
class Recorded:
    incident: str
    home: Path
    texts: dict[str, str]  # artefact name -> the exact text last published


def add_contacts(home: Path, incident: str, contacts: list[Contact]) -> int:
    log = open_log(home)
    try:
        return store_contacts(log, "phone", incident, contacts)
    finally:
        log.database.close()


def resign(folder: Path, home: Path) -> None:
    """What an insider holding the data folder's key can do after editing a dossier: hash
    every listed file again and sign the manifest again (as docs/evidence.md says)."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    for name in manifest["files"]:
        content = (folder / name).read_bytes()
        manifest["files"][name] = {
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
        }
    body = {k: v for k, v in manifest.items() if k != "signature"}
    key = serialization.load_pem_private_key(
        (home / "keys" / "signing-ed25519.pem").read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    signature = key.sign(b"notices manifest v1\x00" + rfc8785.dumps(body))
    manifest["signature"] = base64.b64encode(signature).decode("ascii")
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")


def export(notices: Any, recorded: Recorded, folder: Path, *extra: str) -> Any:
    """`notices log export` of the recorded incident into `folder`; it must succeed."""
    run = notices("log", "export", "--incident", recorded.incident, "-o", str(folder), *extra)
    assert run.exit_code == 0, run.stderr
    return run


def sign_as_insider(pdf: bytes, home: Path) -> bytes:
    """What an insider holding the data folder's key can do after editing the PDF: sign it
    again with that key (PAdES, through pyHanko, a certificate made for the purpose)."""
    import datetime
    import io

    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = serialization.load_pem_private_key(
        (home / "keys" / "signing-ed25519.pem").read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "insider")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, None)
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([]),
    )
    meta = signers.PdfSignatureMetadata(field_name="again", subfilter=SigSeedSubFilter.PADES)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return bytes(signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue())


def reembedded(pdf: bytes, edit: dict[str, bytes]) -> bytes:
    """The PDF written again (pages and attached files, without its signature), with the
    attached files named in `edit` replaced."""
    import io

    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for name, parts in reader.attachments.items():
        writer.add_attachment(name, edit.get(name, parts[0]))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
