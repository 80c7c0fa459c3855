"""A witness outside the data folder: every checkpoint line of `heads.jsonl`, also written
where someone with the data folder cannot reach (a folder on another disk or share, an SFTP
host, an S3 bucket with Object Lock), through the publishers the channels use.

Each line becomes its own file, `notices-witness/heads-00000001.json` (holding the line's
exact bytes as UTF-8 text), written once and never rewritten: append-only wherever the
target allows no overwrite. In an S3 bucket with Object Lock each is written in compliance
mode, kept `retain_days` (no one can delete or overwrite that version before), and a line
written there again (a second version) is reported. `log verify --witness`
compares the data folder's head file with the witness: a line the witness holds that the
data folder lacks, or holds differently, is a roll-back or a rewrite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from notices.config import EvidenceConfig
from notices.evidence.anchor import HEADS_FILE, read_checkpoints
from notices.evidence.log import EvidenceLog
from notices.masking import mask
from notices.publishers import PublisherOptions, make_publisher
from notices.publishers.base import Publisher
from notices.publishers.s3 import S3Publisher

PREFIX = "notices-witness/"
BATCH = 64  # names read at once when looking for the witness's end


def witness_name(line: int) -> str:
    return f"{PREFIX}heads-{line:08d}.json"


RETAIN_DAYS = 1096  # S3 Object Lock: 36 months, the log's default retention


@dataclass(frozen=True)
class Witness:
    """The publisher that holds the witness's copy, and how long S3 Object Lock keeps each
    line (`retain_days`, a witness option beside the publisher's)."""

    publisher: Publisher
    retain_days: int = RETAIN_DAYS

    def identity(self) -> str:
        return self.publisher.identity()

    def close(self) -> None:
        self.publisher.close()


def open_witness(options: dict[str, Any], home: Path) -> Witness:
    """`[evidence] witness`: a publisher's options, and optionally `retain_days`."""
    from pydantic import PositiveInt, TypeAdapter

    given = dict(options)
    days = TypeAdapter(PositiveInt).validate_python(given.pop("retain_days", RETAIN_DAYS))
    parsed: PublisherOptions = TypeAdapter(PublisherOptions).validate_python(given)
    return Witness(make_publisher(parsed, home), days)


def publish_checkpoints(home: Path, witness: Witness) -> int:
    """Write every line the witness does not hold yet; how many were written. An S3 bucket
    with Object Lock gets each in compliance mode, kept `retain_days`."""
    lines = [line.decode("utf-8") for line, _ in read_checkpoints(home)]
    names = [witness_name(n) for n in range(1, len(lines) + 1)]
    publisher = witness.publisher
    held = publisher.read(names) if names else {}
    missing = {name: text for name, text in zip(names, lines, strict=True) if held[name] is None}
    if not missing:
        return 0
    if isinstance(publisher, S3Publisher) and publisher.object_lock():
        until = datetime.now(UTC) + timedelta(days=witness.retain_days)
        publisher.write_locked(missing, until)
    else:
        files: dict[str, str | None] = dict(missing)
        publisher.write(files, dict.fromkeys(missing, "application/json"), current=held)
    return len(missing)


def _witness_lines(witness: Publisher, at_least: int) -> list[str]:
    found: list[str] = []
    while True:
        names = [witness_name(n) for n in range(len(found) + 1, max(at_least, len(found)) + BATCH)]
        held = witness.read(names)
        for name in names:
            text = held[name]
            if text is None:
                return found
            found.append(text)


def compare_with_witness(home: Path, witness: Witness) -> str | None:
    """The first disagreement between the data folder's head file and the witness."""
    local = [line.decode("utf-8") for line, _ in read_checkpoints(home)]
    publisher = witness.publisher
    remote = _witness_lines(publisher, len(local))
    where = witness.identity()
    if isinstance(publisher, S3Publisher):
        again = publisher.rewritten(PREFIX)
        if again:
            name, versions = sorted(again.items())[0]
            return (
                f"the witness ({where}) holds {versions} versions of {name}: a line was written"
                " there again, and the latest version hides the first"
            )
    for number, (ours, theirs) in enumerate(zip(local, remote, strict=False), start=1):
        if ours != theirs:
            return (
                f"{HEADS_FILE} line {number} differs from the witness's ({where}):"
                " the head file was rewritten"
            )
    if len(remote) > len(local):
        last = json.loads(remote[-1]).get("checkpoint", {})
        return (
            f"the witness ({where}) holds {len(remote)} checkpoints, the data folder only"
            f" {len(local)}: the log was rolled back (the witness saw record"
            f" {last.get('last_seq')} on {last.get('time')})"
        )
    return None


def anchor_outside(log: EvidenceLog, evidence: EvidenceConfig, *, newest_is_fresh: bool) -> None:
    """After a checkpoint (or to catch up): the checkpoints still unstamped stamped by the
    outside clock, then every line the witness lacks sent to it, if they are set. An
    authority or witness that cannot be reached is logged (`checkpoint.stamp_failed`,
    `witness.failed`) and tried again at the next command, by `serve`, or by `log stamp`:
    it never fails the command. `newest_is_fresh`: the newest line was written just now,
    so its stamp is not late."""
    from notices.evidence.timestamp import plain_error, stamp_and_record

    if evidence.tsa_url:
        stamp_and_record(
            log, evidence.tsa_url, evidence.tsa_timeout_s, newest_is_fresh=newest_is_fresh
        )
    if evidence.witness:
        try:
            witness = open_witness(evidence.witness, log.home)
            try:
                publish_checkpoints(log.home, witness)
            finally:
                witness.close()
        except Exception as exc:  # noqa: BLE001 - the switch is done; say why, go on
            log.append("witness.failed", {"error": mask(plain_error(exc))})
