"""An outside clock: RFC 3161 timestamps of the checkpoints, from an authority (TSA).

With `[evidence] tsa_url`, each line written to `heads.jsonl` is sent to the authority as
SHA-256 of the line's bytes (the `line_sha256` of its `checkpoint.written` record); the
authority's signed reply (a TimeStampResp, DER) is kept in `stamps.jsonl`, one line per
stamped checkpoint: `{"line", "line_sha256", "token" (base64 of the DER reply), "gen_time",
"delay_s"}`. An authority that cannot be reached never stops a switch: the lines left
unstamped are stamped at the next command or by `notices log stamp`, and a late stamp is
recorded in the chain (`checkpoint.stamped`, with its delay). Requests, parsing and
verification are rfc3161-client's (no ASN.1 is written here).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock

from notices.evidence.anchor import (
    HEADS_FILE,
    append_whole_line,
    drop_unfinished,
    read_checkpoints,
    whole_lines,
)


class Appending(Protocol):
    """What stamping needs of the log (the log imports this module, not the other way)."""

    @property
    def home(self) -> Path: ...

    def append(self, kind: str, payload: dict[str, Any]) -> Any: ...


STAMPS_FILE = "stamps.jsonl"
STAMPED_RECORD = "checkpoint.stamped"
CLOCK_TOLERANCE_S = 120.0  # our clock against the authority's: beyond it, early fails, late is said


@dataclass(frozen=True)
class StampOutcome:
    stamped: list[dict[str, Any]]
    pending: int
    error: str | None = None


def read_stamps(home: Path) -> dict[int, dict[str, Any]]:
    path = home / STAMPS_FILE
    # An unfinished last line (a power cut mid-write) is no stamp: that line waits for one.
    return _stamps_of(whole_lines(path.read_bytes())[0]) if path.exists() else {}


def _stamps_of(lines: list[bytes]) -> dict[int, dict[str, Any]]:
    """Head-file line number -> its stamp, from stamps.jsonl's whole lines."""
    stamps: dict[int, dict[str, Any]] = {}
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
            stamps[int(entry["line"])] = entry
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{STAMPS_FILE} line {number} is not a stamp") from None
    return stamps


def unstamped_lines(home: Path) -> int:
    """How many lines of the head file have no token yet."""
    try:
        return len(read_checkpoints(home)) - len(read_stamps(home))
    except ValueError:
        return 0


def request_token(url: str, line: bytes, timeout: float) -> bytes:
    """The authority's DER reply for SHA-256(line); raises OSError-like errors in words."""
    import httpx
    from rfc3161_client import (
        HashAlgorithm,
        PKIStatus,
        TimestampRequestBuilder,
        decode_timestamp_response,
    )

    query = (
        TimestampRequestBuilder()
        .data(line)
        .hash_algorithm(HashAlgorithm.SHA256)
        .cert_request(cert_request=True)
        .build()
    )
    reply = httpx.post(
        url,
        content=query.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=timeout,
    )
    reply.raise_for_status()
    decoded = decode_timestamp_response(reply.content)
    if decoded.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise ValueError(f"the authority refused: status {decoded.status}")
    return reply.content


def stamp_pending(home: Path, url: str, timeout: float) -> StampOutcome:
    """Stamp every line of the head file that has no token yet, oldest first; stop at the
    first failure (the rest wait for the next time)."""
    from rfc3161_client import decode_timestamp_response

    with FileLock(str(home / STAMPS_FILE) + ".lock"):
        done = _stamps_of(drop_unfinished(home / STAMPS_FILE))
        lines = [line for line, _ in read_checkpoints(home)]
        todo = [n for n in range(1, len(lines) + 1) if n not in done]
        stamped: list[dict[str, Any]] = []
        for number in todo:
            line = lines[number - 1]
            try:
                token = request_token(url, line, timeout)
            except Exception as exc:  # noqa: BLE001 - any failure: stamp later, say why
                return StampOutcome(stamped, len(todo) - len(stamped), plain_error(exc))
            gen_time = decode_timestamp_response(token).tst_info.gen_time
            written = _checkpoint_time(line)
            entry = {
                "line": number,
                "line_sha256": hashlib.sha256(line).hexdigest(),
                "token": base64.b64encode(token).decode("ascii"),
                "gen_time": _utc_text(gen_time),
                "delay_s": round((gen_time - written).total_seconds(), 3),
            }
            append_whole_line(home / STAMPS_FILE, json.dumps(entry).encode("utf-8"))
            stamped.append(entry)
    return StampOutcome(stamped, 0)


def stamp_and_record(
    log: Appending, url: str, timeout: float, *, newest_is_fresh: bool
) -> StampOutcome:
    """Stamp what waits; record in the chain each stamp made late, with its delay (all of
    them, or all but the newest line's when it was written just now), and a failure to
    reach the authority (the switch itself goes on)."""
    newest = len(read_checkpoints(log.home))
    outcome = stamp_pending(log.home, url, timeout)
    for entry in outcome.stamped:
        if not (newest_is_fresh and entry["line"] == newest):
            log.append(
                STAMPED_RECORD,
                {k: entry[k] for k in ("line", "line_sha256", "gen_time", "delay_s")},
            )
    if outcome.error:
        log.append(
            "checkpoint.stamp_failed",
            {"authority": url, "error": outcome.error, "waiting": outcome.pending},
        )
    return outcome


def _checkpoint_time(line: bytes) -> datetime:
    stamp = str(json.loads(line)["checkpoint"]["time"])
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def plain_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class TokenCheck:
    """One token checked: what is wrong (None: nothing), else how far the authority's time
    is from the checkpoint's own (`gap_s`, positive when the stamp came after it)."""

    problem: str | None
    gap_s: float = 0.0
    gen_time: str = ""  # the authority's time, as stamps.jsonl and timestamps.jsonl say it

    @property
    def late(self) -> bool:
        return self.problem is None and self.gap_s > CLOCK_TOLERANCE_S


def check_token(where: str, line: bytes, token_der: bytes, verifier: Any) -> TokenCheck:
    """A token for the head-file line `line`: it covers SHA-256 of the line, its signature
    verifies and chains to the verifier's roots (None: not checked), and its time is not
    before the checkpoint's own time by more than the tolerance (a checkpoint cannot be
    written after an authority saw it). A stamp later than the tolerance is `late`."""
    from rfc3161_client import VerificationError, decode_timestamp_response

    try:
        token = decode_timestamp_response(token_der)
        written = _checkpoint_time(line)
    except (ValueError, KeyError, TypeError) as exc:
        return TokenCheck(f"{where} cannot be read: {exc}")
    if token.tst_info.message_imprint.message != hashlib.sha256(line).digest():
        return TokenCheck(f"{where} covers another hash, not SHA-256 of the line")
    if verifier is not None:
        try:
            verifier.verify_message(token, line)
        except VerificationError as exc:
            return TokenCheck(
                f"{where} is not from an authority of the given CA, or not validly signed: {exc}"
            )
    gen_time = token.tst_info.gen_time
    gap = (gen_time - written).total_seconds()
    if gap < -CLOCK_TOLERANCE_S:
        return TokenCheck(
            f"{where} says {gen_time:%Y-%m-%d %H:%M:%S} UTC, {-gap:.0f} s before the time the"
            f" checkpoint gives itself ({written:%Y-%m-%d %H:%M:%S} UTC): the two times disagree"
            f" (more than the {CLOCK_TOLERANCE_S:.0f} s allowed), the checkpoint's time is wrong",
            gap,
        )
    return TokenCheck(None, gap, _utc_text(gen_time))


def late_note(late: list[tuple[int, float]], recorded: set[int] | None) -> str:
    """`late` (line, seconds) in words: which checkpoints were stamped late, by how much,
    and (unless `recorded` is None) which the log does not record as late."""
    said = ", ".join(
        f"line {line} by {_duration(gap)}"
        + ("" if recorded is None or line in recorded else " (the log does not record it as late)")
        for line, gap in late
    )
    return f"stamped late (the authority could not be reached in time): {said}"


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 120:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours} h " if hours else "") + f"{minutes} min" + (f" {secs} s" if secs else "")


def check_stamps(
    home: Path, ca_file: Path | None, late_lines: set[int]
) -> tuple[str | None, str | None]:
    """Every token of `stamps.jsonl` checked (`check_token`) against its head-file line and
    the authority's CA (`ca_file`); late stamps are named with their delay in the note, and
    whether the chain records them as late (`late_lines`). (problem, note)."""
    try:
        stamps = read_stamps(home)
    except ValueError as exc:
        return str(exc), None
    lines = [line for line, _ in read_checkpoints(home)]
    if not stamps:
        # Nothing to check; with an authority's CA given, say that nothing was stamped.
        if ca_file and lines:
            return None, f"no timestamp tokens: {len(lines)} checkpoints unstamped"
        return None, None
    verifier = verifier_for(load_certificates(ca_file.read_bytes())) if ca_file else None
    late: list[tuple[int, float]] = []
    for number, entry in sorted(stamps.items()):
        where = f"{STAMPS_FILE}: the timestamp of {HEADS_FILE} line {number}"
        if number > len(lines):
            return f"{where}: there is no such line", None
        try:
            token = base64.b64decode(entry["token"])
        except (ValueError, KeyError, TypeError) as exc:
            return f"{where} cannot be read: {exc}", None
        checked = check_token(where, lines[number - 1], token, verifier)
        if checked.problem:
            return checked.problem, None
        if entry.get("gen_time") != checked.gen_time:
            return f"{where}: its gen_time is not the token's ({checked.gen_time})", None
        if checked.late:
            late.append((number, checked.gap_s))
    unstamped = len(lines) - len(stamps)
    note = f"{len(stamps)} timestamp tokens" + (
        f" checked against {ca_file}" if ca_file else " (their authority not checked: no CA)"
    )
    if late:
        note += "; " + late_note(late, late_lines)
    return None, note + (f"; {unstamped} checkpoints wait for a stamp" if unstamped else "")


def load_certificates(pem_or_der: bytes) -> list[Any]:
    """The certificates of a PEM file (or one DER certificate)."""
    from cryptography import x509

    if b"-----BEGIN" in pem_or_der:
        return list(x509.load_pem_x509_certificates(pem_or_der))
    return [x509.load_der_x509_certificate(pem_or_der)]


def verifier_for(roots: list[Any]) -> Any:
    """An rfc3161-client verifier trusting `roots` (the authority's CA certificates)."""
    from rfc3161_client import VerifierBuilder

    builder = VerifierBuilder()
    for cert in roots:
        builder = builder.add_root_certificate(cert)
    return builder.build()
