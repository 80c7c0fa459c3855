"""The folder publisher keeps files byte for byte: a restore puts back CRLF line ends."""

from __future__ import annotations

from pathlib import Path

BEFORE = {
    "status.json": b'{"a":1}\r\n',
    "greeting.xml": b'<?xml version="1.0"?>\r\n<Response><Say>Hei</Say></Response>\r\n',
    "mail/active.sieve": b'require ["fileinto"];\r\nif true { keep; }\r\n\r',
}


def test_crlf_files_are_restored_byte_for_byte(notices, home: Path):
    for name, content in BEFORE.items():
        path = home / "site" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    assert notices("evacuate", "--yes").exit_code == 0
    assert (home / "site" / "status.json").read_bytes() != BEFORE["status.json"]
    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout

    assert {name: (home / "site" / name).read_bytes() for name in BEFORE} == BEFORE
