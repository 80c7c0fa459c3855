"""The evidence log as stored in notices.db: read without the CLI (read-only, while another
process writes), counted, and tampered with as someone with raw access to the file could.
When the test's data folder uses PostgreSQL (NOTICES_DATABASE_URL, set by tests/conftest.py
for NOTICES_TEST_STORE=postgresql), notices.db and jobs.db mean that database."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any


def store(path: Path) -> str | None:
    """The PostgreSQL URL that stands for this file, if the test runs on PostgreSQL."""
    url = os.environ.get("NOTICES_DATABASE_URL")
    return url if url and path.name in ("notices.db", "jobs.db") else None


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    url = store(path)
    if url:
        from tests.support.postgres import pg_query

        return pg_query(url, sql, params)
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def records(home: Path, kind: str | None = None) -> list[dict[str, Any]]:
    rows = query(home / "notices.db", "SELECT seq, actor, kind, incident, payload FROM log")
    found = [
        {"seq": r[0], "actor": r[1], "kind": r[2], "incident": r[3], "payload": json.loads(r[4])}
        for r in rows
    ]
    return [r for r in found if kind is None or r["kind"] == kind]


def raw_log(home: Path) -> str:
    """Every hashed column of every record, as stored."""
    rows = query(
        home / "notices.db", "SELECT actor, host, incident, kind, channel, payload FROM log"
    )
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def log_count(home: Path) -> int:
    db = home / "notices.db"
    if store(db):
        rows = query(db, "SELECT count(*) FROM log")
        return int(rows[0][0]) if rows else 0
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM log").fetchone()[0])


def tamper(home: Path, *statements: str) -> None:
    """What someone with raw access to the file could do: drop the guard, change, restore it."""
    url = store(home / "notices.db")
    if url:
        from tests.support.postgres import pg_tamper

        pg_tamper(url, *statements)
        return
    with sqlite3.connect(home / "notices.db") as conn:
        conn.execute("DROP TRIGGER log_refuse_update")
        conn.execute("DROP TRIGGER log_refuse_delete")
        for statement in statements:
            conn.execute(statement)
        conn.execute(
            "CREATE TRIGGER log_refuse_update BEFORE UPDATE ON log"
            " BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END"
        )
        conn.execute(
            "CREATE TRIGGER log_refuse_delete BEFORE DELETE ON log"
            " BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END"
        )


def execute(home: Path, statement: str) -> None:
    """One statement on the raw store, the guard left in place: what any program with
    access to the file (or the database) could try."""
    url = store(home / "notices.db")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)
        return
    with sqlite3.connect(home / "notices.db") as conn:
        conn.execute(statement)


def drop_guard(home: Path, trigger: str) -> None:
    """Remove one of the log's append-only triggers."""
    on = " ON log" if store(home / "notices.db") else ""
    execute(home, f"DROP TRIGGER {trigger}{on}")


def store_bytes(home: Path) -> bytes:
    """Everything the store holds, as bytes: SQLite's files (the WAL too), or on PostgreSQL
    every row of every table of the test's database, as text."""
    url = store(home / "notices.db")
    if not url:
        return b"".join(p.read_bytes() for p in sorted(home.glob("notices.db*")))
    tables = query(
        home / "notices.db",
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    rows = [query(home / "notices.db", f"SELECT * FROM {name}") for (name,) in tables]
    return "\n".join(str(row) for table in rows for row in table).encode("utf-8")


def log_rows(home: Path) -> list[dict[str, Any]]:
    """Every record of the log as stored, by column name, in order."""
    columns = ("seq", "ts", "actor", "host", "incident", "kind", "channel", "payload")
    columns += ("record_hash", "link_hash")
    rows = query(home / "notices.db", f"SELECT {', '.join(columns)} FROM log ORDER BY seq")
    return [dict(zip(columns, row, strict=True)) for row in rows]
