"""The schema of notices.db (or of the PostgreSQL store): small numbered migrations,
recorded in `_migrations` and applied in order, for both dialects from one list.

Each migration gets `run(sql)` and the dialect ("sqlite" or "postgresql"); the statements
are the same except where the dialects differ (the append-only guard, floating point).
Numbered migrations rather than Alembic: there is no ORM model to diff against, the SQL is
plain and small, and they run on every command's start-up, where Alembic's import would
cost more than the whole command (docs/store.md).
"""

from __future__ import annotations

from collections.abc import Callable

Run = Callable[[str], None]
SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# The triggers that make the log append-only, by dialect (`log verify` checks they are there).
LOG_GUARDS = {
    SQLITE: frozenset({"log_refuse_update", "log_refuse_delete"}),
    POSTGRESQL: frozenset({"log_refuse_update", "log_refuse_delete", "log_refuse_truncate"}),
}
APPEND_ONLY = "the evidence log is append-only"


def _m001_log(run: Run, dialect: str) -> None:
    run(
        """
        CREATE TABLE log (
            seq INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            actor TEXT NOT NULL,
            host TEXT NOT NULL,
            incident TEXT,
            kind TEXT NOT NULL,
            channel TEXT,
            payload TEXT NOT NULL,
            record_hash TEXT NOT NULL,
            link_hash TEXT NOT NULL
        )
        """
    )
    run("CREATE INDEX log_incident ON log(incident, seq)")
    # The database itself refuses to alter evidence, whatever program opens it.
    if dialect == POSTGRESQL:
        run(
            "CREATE FUNCTION log_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        for action in ("UPDATE", "DELETE"):
            run(
                f"CREATE TRIGGER log_refuse_{action.lower()} BEFORE {action} ON log"
                " FOR EACH ROW EXECUTE FUNCTION log_refuse()"
            )
        run(
            "CREATE TRIGGER log_refuse_truncate BEFORE TRUNCATE ON log"
            " FOR EACH STATEMENT EXECUTE FUNCTION log_refuse()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        run(
            f"""
            CREATE TRIGGER log_refuse_{action.lower()} BEFORE {action} ON log
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END
            """
        )


def _m002_state(run: Run, dialect: str) -> None:
    run(
        """
        CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            started TEXT NOT NULL,
            updated TEXT NOT NULL,
            expected_return TEXT,
            reason TEXT,
            ended TEXT
        )
        """
    )
    # At most one open incident: the partial unique index makes a second one impossible.
    run("CREATE UNIQUE INDEX one_open_incident ON incidents((1)) WHERE ended IS NULL")
    run(
        """
        CREATE TABLE snapshots (
            incident TEXT NOT NULL REFERENCES incidents(id),
            channel TEXT NOT NULL,
            identity TEXT NOT NULL,
            setting TEXT NOT NULL,
            taken TEXT NOT NULL,
            PRIMARY KEY (incident, channel, identity)
        )
        """
    )
    run(
        """
        CREATE TABLE channel_state (
            incident TEXT NOT NULL REFERENCES incidents(id),
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            ok INTEGER NOT NULL,
            error TEXT,
            updated TEXT NOT NULL,
            PRIMARY KEY (incident, channel)
        )
        """
    )


def _m003_schedule(run: Run, dialect: str) -> None:
    # The planned automatic resume, one per incident, written by CLI commands. Only
    # `notices serve` turns it into a job in its own job store (APScheduler's store must not
    # be shared between processes), reconciling the two every few seconds.
    run(
        """
        CREATE TABLE resume_plans (
            incident TEXT PRIMARY KEY REFERENCES incidents(id),
            at TEXT NOT NULL,
            state TEXT NOT NULL,
            source TEXT NOT NULL,
            actor TEXT NOT NULL,
            updated TEXT NOT NULL,
            fired TEXT,
            outcome TEXT
        )
        """
    )
    # The one scheduler of this data folder says here, every few seconds, that it is alive.
    run(
        """
        CREATE TABLE scheduler_heartbeat (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            address TEXT,
            started TEXT NOT NULL,
            seen TEXT NOT NULL,
            stopped TEXT
        )
        """
    )


def _m004_personal(run: Run, dialect: str) -> None:
    # Personal data (caller numbers, sender addresses) lives here, outside the hashed log:
    # a log record holds only `ref` = HMAC(key, salt || value), so erasing a row here (value
    # and salt) leaves the chain intact and the digest no longer guessable.
    run(
        """
        CREATE TABLE personal (
            ref TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            salt TEXT NOT NULL,
            seen TEXT NOT NULL
        )
        """
    )
    run("CREATE INDEX personal_seen ON personal(seen)")


def _m005_sms(run: Run, dialect: str) -> None:
    # Every incoming SMS webhook's MessageSid, once its signature is valid: a request seen
    # before is a replay (Twilio's signature carries no time), refused even after a restart.
    run("CREATE TABLE sms_messages (sid TEXT PRIMARY KEY, seen TEXT NOT NULL)")


def _m006_gate_limits(run: Run, dialect: str) -> None:
    # The staff gate's rate limits (notices/staff/limits.py): one fixed-window counter per
    # scope and key, so a restarted `serve` keeps them. Keys of unknown numbers are keyed
    # digests, never the number. `told`: the limit was logged once in this window.
    # `ends` is UNIX seconds: PostgreSQL's REAL is 4 bytes (minutes off), so DOUBLE there.
    real = "DOUBLE PRECISION" if dialect == POSTGRESQL else "REAL"
    run(
        f"""
        CREATE TABLE gate_limits (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            ends {real} NOT NULL,
            count INTEGER NOT NULL,
            told INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (scope, key)
        )
        """
    )
    run("CREATE INDEX gate_limits_ends ON gate_limits(ends)")


def _m007_nodes(run: Run, dialect: str) -> None:
    # Every `serve` node on this store says here, every few seconds, that it is alive and
    # whether it leads (runs the scheduler) or stands by (docs/store.md). One row a node:
    # `node` is its host and data folder.
    run(
        """
        CREATE TABLE nodes (
            node TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            address TEXT,
            role TEXT NOT NULL,
            started TEXT NOT NULL,
            seen TEXT NOT NULL,
            stopped TEXT
        )
        """
    )


MIGRATIONS: list[Callable[[Run, str], None]] = [
    _m001_log,
    _m002_state,
    _m003_schedule,
    _m004_personal,
    _m005_sms,
    _m006_gate_limits,
    _m007_nodes,
]
