"""Incident state: normal -> mode -> normal, one open incident at a time.

The tables are the current state; the evidence of how it got there is in the log.
Snapshots are written once per incident and channel and never replaced, so `resume`
always restores what was there before the incident, however often the mode is re-applied.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notices.channels.base import Setting
from notices.db import Database
from notices.timeparse import utc_stamp


@dataclass(frozen=True)
class Incident:
    id: str
    mode: str
    status: str
    started: str
    updated: str  # when what customers are told (mode, return, reasons) last changed
    expected_return: str | None
    reasons: dict[str, str] | None
    ended: str | None


def _incident(row: tuple[Any, ...]) -> Incident:
    return Incident(
        id=row[0],
        mode=row[1],
        status=row[2],
        started=row[3],
        updated=row[4],
        expected_return=row[5],
        reasons=json.loads(row[6]) if row[6] else None,
        ended=row[7],
    )


@dataclass(frozen=True)
class StoredSnapshot:
    """What a channel's target served before the incident, and which target that was."""

    identity: str
    setting: Setting


_COLUMNS = "id, mode, status, started, updated, expected_return, reason, ended"


class IncidentStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def open_incident(self) -> Incident | None:
        rows = self.database.query(f"SELECT {_COLUMNS} FROM incidents WHERE ended IS NULL")
        row = rows[0] if rows else None
        return _incident(row) if row else None

    def get(self, incident_id: str) -> Incident | None:
        rows = self.database.query(f"SELECT {_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))
        row = rows[0] if rows else None
        return _incident(row) if row else None

    def latest(self) -> Incident | None:
        rows = self.database.query(
            f"SELECT {_COLUMNS} FROM incidents ORDER BY started DESC LIMIT 1"
        )
        row = rows[0] if rows else None
        return _incident(row) if row else None

    def open(
        self,
        mode: str,
        started: datetime,
        expected_return: str | None,
        reasons: dict[str, str] | None,
    ) -> Incident:
        incident_id = f"{started.astimezone(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        stamp = utc_stamp(started)
        with self.database.transaction() as conn:
            conn.execute(
                f"INSERT INTO incidents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    incident_id,
                    mode,
                    "switching",
                    stamp,
                    stamp,
                    expected_return,
                    json.dumps(reasons, ensure_ascii=False) if reasons else None,
                ),
            )
        found = self.get(incident_id)
        assert found is not None
        return found

    def update(self, incident_id: str, **fields: Any) -> None:
        if "reasons" in fields:
            reasons = fields.pop("reasons")
            fields["reason"] = json.dumps(reasons, ensure_ascii=False) if reasons else None
        # `updated` is when what customers are told last changed: a caller that changes it
        # says so; a status of its own does not move it.
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.database.transaction() as conn:
            conn.execute(
                f"UPDATE incidents SET {assignments} WHERE id = ?",
                (*fields.values(), incident_id),
            )

    def save_snapshot(
        self, incident_id: str, channel: str, identity: str, setting: Setting
    ) -> bool:
        """Store the pre-incident setting; never replaces one already stored. Returns if stored."""
        with self.database.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO snapshots (incident, channel, identity, setting, taken)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    incident_id,
                    channel,
                    identity,
                    json.dumps(setting.to_json(), ensure_ascii=False),
                    utc_stamp(datetime.now(UTC)),
                ),
            )
            return cursor.rowcount == 1

    def snapshot(self, incident_id: str, channel: str) -> StoredSnapshot | None:
        """The channel's pre-incident snapshot, whatever target it was taken of."""
        return self.snapshots(incident_id).get(channel)

    def snapshots(self, incident_id: str) -> dict[str, StoredSnapshot]:
        rows = self.database.query(
            "SELECT channel, identity, setting FROM snapshots WHERE incident = ? ORDER BY taken",
            (incident_id,),
        )
        found: dict[str, StoredSnapshot] = {}
        for channel, identity, setting in rows:
            # The first one taken is the pre-incident one; never let a later one replace it.
            found.setdefault(
                channel, StoredSnapshot(identity, Setting.from_json(json.loads(setting)))
            )
        return found

    def set_channel_state(
        self, incident_id: str, channel: str, target: dict[str, Any], ok: bool, error: str | None
    ) -> None:
        with self.database.transaction() as conn:
            conn.execute(
                "INSERT INTO channel_state (incident, channel, target, ok, error, updated)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident, channel) DO UPDATE SET"
                " target = excluded.target, ok = excluded.ok, error = excluded.error,"
                " updated = excluded.updated",
                (
                    incident_id,
                    channel,
                    json.dumps(target, ensure_ascii=False),
                    int(ok),
                    error,
                    utc_stamp(datetime.now(UTC)),
                ),
            )

    def channel_states(self, incident_id: str) -> dict[str, dict[str, Any]]:
        rows = self.database.query(
            "SELECT channel, target, ok, error, updated FROM channel_state WHERE incident = ?",
            (incident_id,),
        )
        return {
            row[0]: {
                "target": json.loads(row[1]),
                "ok": bool(row[2]),
                "error": row[3],
                "updated": row[4],
            }
            for row in rows
        }
