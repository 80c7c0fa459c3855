"""The worked example in docs/evidence.md recomputes from the doc's own text (with nothing
but an RFC 8785 encoder and SHA-256), and the code hashes that record the same way, so the
specification and the program cannot drift apart."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import rfc8785

from notices.evidence.log import canonical_record, record_hash

DOC = (Path(__file__).resolve().parents[2] / "docs" / "evidence.md").read_text("utf-8")


def block(language: str) -> str:
    match = re.search(rf"```{language} worked-example\n(.*?)```", DOC, re.S)
    assert match, f"no ```{language} worked-example block in docs/evidence.md"
    return match.group(1)


def stated(name: str) -> str:
    match = re.search(rf"^\s+{name} = ([0-9a-f]{{64}})$", DOC, re.M)
    assert match, f"docs/evidence.md states no {name}"
    return match.group(1)


def test_the_worked_example_recomputes_from_the_docs_text():
    record = json.loads(block("json"))
    jcs = rfc8785.dumps(record)
    assert jcs == bytes.fromhex("".join(block("hex").split()))
    assert f"this JCS, {len(jcs)} bytes" in DOC
    hashed = hashlib.sha256(b"\x00" + jcs).digest()
    assert hashed.hex() == stated("record_hash")
    link = hashlib.sha256(b"\x01" + bytes(32) + hashed).digest()
    assert link.hex() == stated("link_hash")
    key = record["payload"]["signing_key"]
    raw = base64.b64decode(key["public_key"], validate=True)
    assert raw == bytes(range(32))
    assert key["fingerprint_sha256"] == hashlib.sha256(raw).hexdigest()


def test_the_code_hashes_the_worked_example_as_the_doc_says():
    record = json.loads(block("json"))
    assert record_hash(record).hex() == stated("record_hash")
    fields = [record[name] for name in ("seq", "ts", "actor", "host", "incident", "kind")]
    payload = rfc8785.dumps(record["payload"]).decode("utf-8")
    stored = canonical_record(*fields, record["channel"], payload)
    assert stored == bytes.fromhex("".join(block("hex").split()))
