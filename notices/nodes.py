"""The `serve` nodes of a store: their heartbeats (host, pid, role) and the handovers of
the lead, for `status` and `/healthz` (docs/store.md).

On SQLite there is one node, the `serve` holding serve.lock; on PostgreSQL two may run,
one leading (running the scheduler) and one standing by (notices/leader.py). A node is its
host and its data folder, so two nodes on one machine (as in the tests) stay apart."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from notices.db import Database
from notices.timeparse import from_stamp, utc_stamp

NODE_STALE_SECONDS = 5.0  # nodes beat every second (notices/leader.py)
LEADING_RECORD = "node.leading"
LEADER = "leader"
STANDBY = "standby"


@dataclass(frozen=True)
class NodeBeat:
    node: str
    host: str
    pid: int
    address: str | None
    role: str
    started: str
    seen: str
    stopped: str | None

    def alive(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        fresh = now - from_stamp(self.seen) < timedelta(seconds=NODE_STALE_SECONDS)
        return self.stopped is None and fresh


def record_node(
    database: Database, node: str, role: str, started: str, address: str, stopped: bool = False
) -> None:
    now = utc_stamp(datetime.now(UTC))
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO nodes (node, host, pid, address, role, started, seen, stopped)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node) DO UPDATE SET"
            " host = excluded.host, pid = excluded.pid, address = excluded.address,"
            " role = excluded.role, started = excluded.started, seen = excluded.seen,"
            " stopped = excluded.stopped",
            (
                node,
                socket.gethostname(),
                os.getpid(),
                address,
                role,
                started,
                now,
                now if stopped else None,
            ),
        )


def read_nodes(database: Database) -> list[NodeBeat]:
    rows = database.query(
        "SELECT node, host, pid, address, role, started, seen, stopped FROM nodes ORDER BY node"
    )
    return [NodeBeat(*row) for row in rows]


def previous_leader(database: Database, node: str) -> str | None:
    """The other node that led last (its row still says so, if it died leading)."""
    rows = database.query(
        "SELECT node FROM nodes WHERE role = ? AND node <> ? ORDER BY seen DESC LIMIT 1",
        (LEADER, node),
    )
    return str(rows[0][0]) if rows else None


def last_handover(database: Database) -> dict[str, Any] | None:
    """The newest `node.leading` record: when, which node took the lead, from which."""
    rows = database.query(
        "SELECT ts, payload FROM log WHERE kind = ? ORDER BY seq DESC LIMIT 1",
        (LEADING_RECORD,),
    )
    if not rows:
        return None
    return {"at": rows[0][0], **json.loads(rows[0][1])}


def nodes_report(database: Database) -> dict[str, Any]:
    """The nodes part of `status`: every node with its role and whether it is alive, and
    the last handover of the lead."""
    nodes = []
    for beat in read_nodes(database):
        entry = asdict(beat)
        entry["alive"] = beat.alive()
        nodes.append(entry)
    return {"nodes": nodes, "last_handover": last_handover(database)}
