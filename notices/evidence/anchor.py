"""Anchoring the chain head outside the database, in signed checkpoints.

After every command and at every incident close, a checkpoint (last sequence, chain head,
count, time, link to the previous checkpoint) signed with the data folder's Ed25519 key is
appended to `heads.jsonl`, a file apart from `notices.db`. A database cut short at the end
then no longer matches the last head written down; a copy of that file (or of any
export's manifest, which carries the head) kept elsewhere proves what the log held.

Keys live in `keys/` in the data folder, created on first use or by `notices init`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785
from filelock import FileLock

from notices.errors import KeyFileError
from notices.faults import crash_point
from notices.timeparse import utc_stamp

HEADS_FILE = "heads.jsonl"
SIGNING_KEY_FILE = "keys/signing-ed25519.pem"
# With two `serve` nodes the same key is provisioned to each from a secret (docs/store.md).
SIGNING_KEY_ENV = "NOTICES_SIGNING_KEY_FILE"
# Domain separation: a checkpoint signature can never be replayed as a manifest's, or back.
CHECKPOINT_DOMAIN = b"notices checkpoint v1\x00"
MANIFEST_DOMAIN = b"notices manifest v1\x00"


def _write_private(path: Path, data: bytes) -> None:
    """Write a key atomically, readable by its owner only: a temporary file, fsync, rename,
    fsync of the folder. A power cut leaves either no key or the whole key, never an empty
    one. Never replaces a key that exists."""
    import tempfile

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)  # as a rename, but never over an existing key
    finally:
        os.unlink(temporary)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def key_path(home: Path, relative: str, env: str, what: str) -> tuple[Path, bool]:
    """Where a key is, and whether it may be created there: the file `env` names (a secret
    provisioned to every node, never created by us), else the data folder's own."""
    given = os.environ.get(env)
    if not given:
        return home / relative, True
    path = Path(given)
    if not path.is_file():
        raise KeyFileError(
            f"{env} names {path}, which is not a file: the {what} is provisioned from a"
            " secret, never made here. Nothing was switched; put the key there (docs/store.md)"
        )
    return path, False


def read_key(path: Path, what: str, check: Callable[[bytes], bool]) -> bytes:
    """A key file's bytes, refused with what happened and how to recover if it is empty
    or malformed (what a power cut during its creation left, before keys were written
    atomically)."""
    data = path.read_bytes()
    if data and check(data):
        return data
    state = "empty" if not data else "not a valid key"
    raise KeyFileError(
        f"the {what} {path} is {state}: it was cut short (a power cut or a full disk while"
        " it was written) or altered. Nothing was switched. If this data folder has never"
        " signed an export or a checkpoint (no heads.jsonl), move the file away and it is"
        " created anew; otherwise put back the key from your backup of the data folder"
    )


def _is_signing_key(data: bytes) -> bool:
    try:
        _load_signing_key(data)
    except (ValueError, TypeError):
        return False
    return True


def _load_signing_key(data: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key


class SigningKey:
    """The data folder's Ed25519 key: signs checkpoints and export manifests."""

    def __init__(self, home: Path) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        path, own = key_path(home, SIGNING_KEY_FILE, SIGNING_KEY_ENV, "signing key")
        if own and not path.exists():  # the lock only to create it: a read-only copy verifies
            with FileLock(str(path) + ".lock"):
                if not path.exists():
                    pem = Ed25519PrivateKey.generate().private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                    _write_private(path, pem)
        key = _load_signing_key(read_key(path, "signing key", _is_signing_key))
        self._key = key
        self.public_raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def fingerprint(self) -> str:
        return public_fingerprint(self.public_raw)

    def public_json(self) -> dict[str, str]:
        return {
            "algorithm": "Ed25519",
            "public_key": base64.b64encode(self.public_raw).decode("ascii"),
            "fingerprint_sha256": self.fingerprint,
        }

    def pkcs8(self) -> bytes:
        """The private key as PKCS#8 DER, for signing the dossier's PDF (evidence.pades)."""
        from cryptography.hazmat.primitives import serialization

        der: bytes = self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return der

    def sign(self, domain: bytes, body: dict[str, Any]) -> str:
        return base64.b64encode(self._key.sign(domain + rfc8785.dumps(body))).decode("ascii")


def public_fingerprint(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def signature_valid(public_b64: str, signature_b64: str, domain: bytes, body: Any) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        key.verify(base64.b64decode(signature_b64), domain + rfc8785.dumps(body))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Head:
    seq: int
    link: str


def write_checkpoint(
    home: Path,
    head: Callable[[], Head | None],
    reason: str,
    record: Callable[[dict[str, Any]], None],
    recorded_last: Callable[[], dict[str, Any] | None],
) -> dict[str, Any] | None:
    """Append a signed checkpoint of the log's head to the head file; return it (None: an
    empty log).

    The chain records the line before the line is written (`record` is given its number,
    its exact text, its SHA-256, the sequence and head it covers, the key): a program
    stopped in between (a kill, a power cut) leaves a line the chain holds and the file
    lacks, never a line the chain does not know. The next checkpoint writes such a line
    back first, from `recorded_last` (the newest line the chain records), byte for byte,
    after removing what a power cut left of it (an unfinished last line, `whole_lines`)."""
    key = SigningKey(home)
    path = home / HEADS_FILE
    with FileLock(str(path) + ".lock"):
        lines = drop_unfinished(path)  # a write a power cut stopped: written again below
        missing = recorded_but_missing(len(lines), recorded_last())
        if missing is not None:
            append_whole_line(path, missing)
            lines.append(missing)
        current = head()
        if current is None:
            return None
        body = {
            "last_seq": current.seq,
            "count": current.seq,
            "head": current.link,
            "time": utc_stamp(datetime.now(UTC)),
            "reason": reason,
            "previous": hashlib.sha256(lines[-1]).hexdigest() if lines else None,
            "key": key.fingerprint,
        }
        entry = {"checkpoint": body, "signature": key.sign(CHECKPOINT_DOMAIN, body)}
        line = json.dumps(entry, ensure_ascii=False).encode("utf-8")
        record(
            {
                "line": len(lines) + 1,
                "line_text": line.decode("utf-8"),
                "line_sha256": hashlib.sha256(line).hexdigest(),
                "last_seq": current.seq,
                "head": current.link,
                "key": key.fingerprint,
                "reason": reason,
            }
        )
        crash_point("after-checkpoint-recorded")
        append_whole_line(path, line)
    return entry


def recorded_but_missing(lines: int, recorded: dict[str, Any] | None) -> bytes | None:
    """The line the chain's newest checkpoint record (`recorded`) holds, when it is the
    line after the file's `lines` and the record holds its exact text (records from before
    2026-12 hold only its hash); else None."""
    if recorded is None or recorded.get("line") != lines + 1:
        return None
    text = recorded.get("line_text")
    if not isinstance(text, str):
        return None
    line = text.encode("utf-8")
    if hashlib.sha256(line).hexdigest() != recorded.get("line_sha256"):
        return None
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return None
    return line


def drop_unfinished(path: Path) -> list[bytes]:
    """The file's whole lines (`whole_lines`), after cutting off, synced, an unfinished last
    line a power cut left: what `append_whole_line` writes next then starts a line."""
    if not path.exists():
        return []
    data = path.read_bytes()
    lines, unfinished = whole_lines(data)
    if unfinished:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, len(data) - unfinished)
            os.fsync(fd)
        finally:
            os.close(fd)
    return lines


def append_whole_line(path: Path, line: bytes) -> None:
    """Append one line with its LF in one write, and sync it; on a failure (a full disk),
    cut the file back to where it was: never half a line, which the next line would be
    glued to."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            data = line + b"\n"
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):  # the write's error is the one to report
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)


def last_checkpoint_time(home: Path) -> datetime | None:
    """When the newest checkpoint in the head file was written (reads only its tail)."""
    path = home / HEADS_FILE
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 8192))
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None
    for line in reversed(lines):
        try:
            stamp = json.loads(line)["checkpoint"]["time"]
            return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            continue  # a partial first line of the tail, or a damaged one
    return None


def whole_lines(data: bytes) -> tuple[list[bytes], int]:
    """A JSON Lines file's lines that end in LF, and the length of what follows the last LF:
    a line whose write a power cut stopped part-way, never a line (`append_whole_line`
    writes each with its LF in one write)."""
    end = data.rfind(b"\n") + 1
    return data[:end].splitlines(), len(data) - end


def read_head_file(home: Path) -> tuple[list[tuple[bytes, dict[str, Any]]], int]:
    """Every line of the head file with its parsed entry (raises ValueError on a bad line),
    and how many bytes follow its last LF: an unfinished last line (`whole_lines`), which is
    not one."""
    path = home / HEADS_FILE
    if not path.exists():
        return [], 0
    lines, unfinished = whole_lines(path.read_bytes())
    entries = []
    for number, line in enumerate(lines, start=1):
        try:
            entries.append((line, json.loads(line)))
        except json.JSONDecodeError:
            raise ValueError(f"{HEADS_FILE} line {number} is not valid JSON") from None
    return entries, unfinished


def read_checkpoints(home: Path) -> list[tuple[bytes, dict[str, Any]]]:
    """Every line of the head file with its parsed entry (`read_head_file`)."""
    return read_head_file(home)[0]
