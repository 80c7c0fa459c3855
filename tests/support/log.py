"""The evidence log as stored in notices.db: read without the CLI (read-only, while another
process writes), counted, and tampered with as someone with raw access to the file could."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
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
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM log").fetchone()[0])


def tamper(home: Path, *statements: str) -> None:
    """What someone with raw access to the file could do: drop the guard, change, restore it."""
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
