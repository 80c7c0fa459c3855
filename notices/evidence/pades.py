"""The dossier's PDF signed with the data folder's Ed25519 key, through pyHanko: PAdES
baseline B-T when a timestamp authority is configured (the authority's signature timestamp
in the CMS signature's unsigned attributes), B-B otherwise. The signature is an incremental
update with a CMS signature over the whole file (SubFilter ETSI.CAdES.detached), so the
PDF/A-3B document and its attachments stay as they were written; its XMP metadata is written
again with the PDF/A identification kept. The key's certificate is self-issued (the data
folder has no CA): what makes it trustworthy is the same fingerprint as the manifest's,
checked by `log verify DIR` and given from outside with `--expect-key`.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any, TypeVar

from notices.evidence.anchor import SigningKey

FIELD = "notices-signature"
T = TypeVar("T")


def _certificate(key: SigningKey) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    private = serialization.load_der_private_key(key.pkcs8(), password=None)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "notices data folder signing key"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, key.fingerprint),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())  # type: ignore[arg-type]
        .serial_number(int(key.fingerprint[:30], 16))
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3653))
        .add_extension(usage, critical=True)
        .sign(private, None)  # type: ignore[arg-type]
    )


def sign_pdf(
    pdf: bytes, key: SigningKey, tsa_url: str | None = None, timeout: float = 5.0
) -> tuple[bytes, str | None]:
    """`pdf` with a PAdES signature by `key` appended: B-T (a signature timestamp from the
    authority at `tsa_url`, pyHanko's HTTPTimeStamper) when one is given and answers, B-B
    otherwise. Returns the signed PDF and, when the authority failed, why (in words)."""
    if tsa_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        try:
            return _sign(pdf, key, HTTPTimeStamper(tsa_url, timeout=timeout)), None
        except Exception as exc:  # noqa: BLE001 - no timestamp: sign B-B, say why
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return _sign(pdf, key, None), why
    return _sign(pdf, key, None), None


def _outside_any_event_loop(work: Callable[[], T]) -> T:
    """Run `work` where no asyncio loop runs: pyHanko's synchronous signing and validation
    call asyncio.run(), which refuses to start inside a thread whose loop is running (a
    program embedding us with its own loop, or Playwright's in the tests)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _sign(pdf: bytes, key: SigningKey, timestamper: Any) -> bytes:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = _certificate(key).public_bytes(serialization.Encoding.DER)
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.pkcs8()),
        cert_registry=SimpleCertificateStore.from_certs([]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha512"
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _keep_pdfa_metadata(writer)
    signing = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
    return _outside_any_event_loop(lambda: bytes(signing.sign_pdf(writer).getvalue()))


def _keep_pdfa_metadata(writer: Any) -> None:
    """pyHanko writes the document's XMP metadata again when it signs, from the metadata
    it reads (the PDF/A-3B identification, pdfaid:part and pdfaid:conformance, is kept);
    the title, author and creator are given again so that the XMP still matches the
    document information dictionary, as PDF/A requires."""
    try:
        info = writer.prev.trailer["/Info"].get_object()
    except KeyError:
        return
    document = writer.document_meta
    document.title = str(info.get("/Title", "")) or None
    document.author = str(info.get("/Author", "")) or None
    document.creator = str(info.get("/Creator", "")) or None


def check_pdf_signature(
    pdf: bytes, public_key_b64: str, tsa_roots: list[Any] | None = None
) -> tuple[bool, str]:
    """The PDF's signature: present, intact, valid, covering the whole file, made by the key
    the manifest names; its signature timestamp (B-T), if it has one, intact and from an
    authority of `tsa_roots` (cryptography certificates; none: the authority not checked)."""
    import base64

    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except Exception as exc:  # noqa: BLE001 - a damaged PDF: say so
        return False, f"cannot be read: {exc}"
    if len(signatures) != 1:
        return False, f"{len(signatures)} signatures, not one"
    signature = signatures[0]
    cert: asn1_x509.Certificate = signature.signer_cert
    raw = cert.public_key["public_key"].native
    if base64.b64encode(raw).decode("ascii") != public_key_b64:
        return False, "signed by a key other than the manifest's"
    try:
        status = _validate(signature, cert, tsa_roots)
    except Exception as exc:  # noqa: BLE001 - pyHanko's own words
        return False, f"does not validate: {exc}"
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    if not (status.intact and status.valid and whole):
        return False, "the signature does not match the file: the PDF was changed after signing"
    stamp = status.timestamp_validity
    if stamp is None:
        return True, (
            "PAdES B-B signature by the manifest's key, covering the whole file"
            f" ({status.md_algorithm}); no signature timestamp"
        )
    if not (stamp.intact and stamp.valid):
        return False, "the signature's timestamp does not match the signature"
    if tsa_roots and not stamp.trusted:
        return False, "the signature's timestamp is not from an authority of the given CA"
    authority = "by an authority of the CA" if tsa_roots else "(its authority not checked: no CA)"
    return True, (
        f"PAdES B-T signature by the manifest's key, covering the whole file"
        f" ({status.md_algorithm}), timestamped {stamp.timestamp:%Y-%m-%d %H:%M:%S} UTC {authority}"
    )


def _validate(signature: Any, cert: Any, tsa_roots: list[Any] | None) -> Any:
    """pyHanko's validation: the signer trusted as itself (the fingerprint is what makes
    it trustworthy), the timestamp against the authority's CA; nothing fetched."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in tsa_roots or []]
    stamps = ValidationContext(trust_roots=roots, allow_fetching=False) if roots else None
    return _outside_any_event_loop(
        lambda: validate_pdf_signature(
            signature,
            ValidationContext(trust_roots=[cert], allow_fetching=False),
            ts_validation_context=stamps,
        )
    )
