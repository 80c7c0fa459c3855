"""`notices store migrate --to postgresql://...`: a data folder's SQLite store copied into
an empty PostgreSQL database, the chain intact (docs/store.md).

The log's rows are copied as they are (sequence numbers, times, hashes, links), so the
chain, its head and every checkpoint in `heads.jsonl` carry over; the keys and the head file
stay in the data folder. Nothing is added to the chain: an export made afterwards has the
same hashes as one made before. The source is checked (`log verify`) before anything is
written and the target after; a target that holds any table is refused. The SQLite file is
left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from notices.db import SQLITE_FILE, Database
from notices.errors import LogIntegrityError, StateError, UsageError
from notices.evidence.log import EvidenceLog
from notices.store.url import has_password, is_postgres, mask_url

# Parents before the rows that name them; the log last. APScheduler's jobs are not copied:
# the leading `serve` makes them again from resume_plans when it starts.
TABLES = (
    "incidents",
    "snapshots",
    "channel_state",
    "resume_plans",
    "scheduler_heartbeat",
    "personal",
    "sms_messages",
    "gate_limits",
    "log",
)


@dataclass(frozen=True)
class Migrated:
    target: str  # the URL, password masked
    rows: dict[str, int]
    records: int
    head: str | None


def migrate(home: Path, url: str) -> Migrated:
    """Copy `home`'s notices.db into the empty PostgreSQL database at `url`."""
    if not is_postgres(url):
        raise UsageError(f"--to {mask_url(url)}: give a PostgreSQL URL, postgresql://...")
    if not (home / "notices.db").exists():
        raise UsageError(f"no evidence log at {home / 'notices.db'}: check --home")
    source = Database(home / "notices.db", read_only=True, url=SQLITE_FILE)
    try:
        before = EvidenceLog(source).verify()
        if not before.ok:
            raise LogIntegrityError(
                f"the log in {home} does not verify ({before.problem}): fix that first;"
                " nothing was copied"
            )
        _refuse_non_empty(home, url)
        target = Database(home / "notices.db", url=url)
        try:
            rows = _copy(source, target)
            after = EvidenceLog(target).verify()
        finally:
            target.close()
    finally:
        source.close()
    if not after.ok or (after.records, after.head) != (before.records, before.head):
        raise LogIntegrityError(
            f"the copy in {mask_url(url)} does not verify as the original does"
            f" ({after.problem or 'another head'}): do not use it; drop its tables and retry"
        )
    return Migrated(mask_url(url), rows, after.records, after.head)


def _refuse_non_empty(home: Path, url: str) -> None:
    from notices.store import postgres

    try:
        probe = postgres.Connection(url, read_only=True, application="notices store migrate")
    except postgres.errors() as exc:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "" if has_password(url) else " (a password: PGPASSWORD or ~/.pgpass)"
        raise StateError(f"cannot reach {mask_url(url)}: {why}{hint}") from None
    try:
        tables = probe.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() ORDER BY table_name"
        ).fetchall()
    finally:
        probe.close()
    if tables:
        names = ", ".join(str(row[0]) for row in tables[:5])
        raise StateError(
            f"{mask_url(url)} is not empty (it holds {names}{', ...' if len(tables) > 5 else ''}):"
            " store migrate copies only into an empty database, so no chain is ever mixed"
            " with another; nothing was copied"
        )


def _copy(source: Database, target: Database) -> dict[str, int]:
    """Every row of every table, in one transaction on the target. A table the source lacks
    (a folder last used by a version before the migration that made it) has no rows."""
    present = {
        row[0] for row in source.query("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    counts: dict[str, int] = {}
    with target.transaction() as conn:
        for table in TABLES:
            counts[table] = 0
            if table not in present:
                continue
            cursor = source.conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            while batch := cursor.fetchmany(1000):
                conn.executemany(insert, batch)
                counts[table] += len(batch)
    return counts
