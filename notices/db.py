"""The data folder's database, `notices.db`: evidence log, incident state, snapshots.

Schema changes are small numbered migrations recorded in `_migrations`, applied in order.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

from notices.errors import StorageError


def _m001_log(db: sqlite_utils.Database) -> None:
    db.execute(
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
    db.execute("CREATE INDEX log_incident ON log(incident, seq)")
    # The database itself refuses to alter evidence, whatever program opens it.
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"""
            CREATE TRIGGER log_refuse_{action.lower()} BEFORE {action} ON log
            BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END
            """
        )


def _m002_state(db: sqlite_utils.Database) -> None:
    db.execute(
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
    db.execute("CREATE UNIQUE INDEX one_open_incident ON incidents((1)) WHERE ended IS NULL")
    db.execute(
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
    db.execute(
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


def _m003_schedule(db: sqlite_utils.Database) -> None:
    # The planned automatic resume, one per incident, written by CLI commands. Only
    # `notices serve` turns it into a job in its own job store (APScheduler's store must not
    # be shared between processes), reconciling the two every few seconds.
    db.execute(
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
    db.execute(
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


def _m004_personal(db: sqlite_utils.Database) -> None:
    # Personal data (caller numbers, sender addresses) lives here, outside the hashed log:
    # a log record holds only `ref` = HMAC(key, salt || value), so erasing a row here (value
    # and salt) leaves the chain intact and the digest no longer guessable.
    db.execute(
        """
        CREATE TABLE personal (
            ref TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            salt TEXT NOT NULL,
            seen TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX personal_seen ON personal(seen)")


def _m005_sms(db: sqlite_utils.Database) -> None:
    # Every incoming SMS webhook's MessageSid, once its signature is valid: a request seen
    # before is a replay (Twilio's signature carries no time), refused even after a restart.
    db.execute("CREATE TABLE sms_messages (sid TEXT PRIMARY KEY, seen TEXT NOT NULL)")


def _m006_gate_limits(db: sqlite_utils.Database) -> None:
    # The staff gate's rate limits (notices/staff/limits.py): one fixed-window counter per
    # scope and key, so a restarted `serve` keeps them. Keys of unknown numbers are keyed
    # digests, never the number. `told`: the limit was logged once in this window.
    db.execute(
        """
        CREATE TABLE gate_limits (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            ends REAL NOT NULL,
            count INTEGER NOT NULL,
            told INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (scope, key)
        )
        """
    )
    db.execute("CREATE INDEX gate_limits_ends ON gate_limits(ends)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m001_log,
    _m002_state,
    _m003_schedule,
    _m004_personal,
    _m005_sms,
    _m006_gate_limits,
]


class Database:
    """One connection to notices.db, shared by the threads of one command under a lock."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.read_only = read_only
        try:
            self._open_retrying(path)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"cannot open the evidence log {path}: {describe_os_error(exc)}."
                " Nothing was switched."
            ) from None

    def _open_retrying(self, path: Path, seconds: float = 30.0) -> None:
        """Open, waiting while another process holds the database: two commands started at
        the same moment on a new data folder both create it, and switching a new database
        to WAL does not wait for the other's lock by itself (SQLite answers "locked")."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._open(path)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                with contextlib.suppress(AttributeError, sqlite3.Error):
                    self.conn.close()
                time.sleep(0.05)

    def _open(self, path: Path) -> None:
        if self.read_only:
            self._open_read_only(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE), so that
        # the sequence number and the previous link are read and written atomically.
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self.conn = conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        self.conn = conn
        self.lock = threading.RLock()
        self._depth = 0  # transaction nesting, only touched by the thread holding `lock`
        self._migrate()

    def _open_read_only(self, path: Path) -> None:
        """Read only, writing nothing, not even a lock or WAL index (`log verify`, also of a
        copy on read-only media): the data folder is left byte for byte as it was found.
        With no `-wal` file beside it no process has the database open, so it is opened as
        immutable; so it is in a folder that cannot be written, unless a WAL must be read."""
        from urllib.parse import quote

        if not path.exists():
            raise sqlite3.OperationalError(f"no evidence log at {path}")
        self.path = path
        wal = path.with_name(path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        immutable = not wal.exists() or (not os.access(path.parent, os.W_OK) and not pending)
        uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")
        self.conn = sqlite3.connect(
            uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30
        )
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        self.lock = threading.RLock()
        self._depth = 0

    def _migrate(self) -> None:
        with self.transaction():
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT)"
            )
            done = {row[0] for row in self.conn.execute("SELECT number FROM _migrations")}
            pending = [
                (number, migration)
                for number, migration in enumerate(MIGRATIONS, start=1)
                if number not in done
            ]
            if pending:
                import sqlite_utils  # only when there is a migration to run: keeps start-up fast

                db = sqlite_utils.Database(self.conn)
                for number, migration in pending:
                    migration(db)
                    self.conn.execute(
                        "INSERT INTO _migrations VALUES (?, ?)", (number, migration.__name__)
                    )

    def check_writable(self, reserve: int = 512 * 1024) -> None:
        """Prove, before anything is switched, that the data folder has room and the log
        takes a write: a full disk or a read-only folder fails here, not half-way."""
        probe = self.path.parent / ".notices-write-check"
        try:
            with open(probe, "wb") as handle:
                handle.write(bytes(reserve))
                handle.flush()
                os.fsync(handle.fileno())
            with self.lock:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.execute("ROLLBACK")
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"the data folder {self.path.parent} cannot be written: {describe_os_error(exc)}."
                " Nothing was switched: free some space or make the folder writable, then run"
                " the command again"
            ) from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; nested calls on the same thread join the outer one, so a state
        change and the log record that tells of it commit together or not at all."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise _storage_error(exc) from None
            self._depth = 1
            try:
                yield self.conn
            except sqlite3.OperationalError as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise _storage_error(exc) from None
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise _storage_error(exc) from None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read rows under the lock: threads of one command share this connection."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self.conn.close()


def _storage_error(exc: sqlite3.OperationalError) -> Exception:
    """A full disk or an unwritable database as a StorageError; any other error as it was."""
    why = describe_os_error(exc)
    if why in ("the disk is full", "the file system is read-only") or "disk i/o" in why.lower():
        return StorageError(f"the evidence log cannot be written: {why}")
    return exc


def describe_os_error(exc: BaseException) -> str:
    """Why a write failed, in words: a full disk, a read-only file system, ..."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "the disk is full"
    if isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return "the file system is read-only"
    text = str(exc).lower()
    if "full" in text:
        return "the disk is full"
    if "readonly" in text or "read-only" in text:
        return "the file system is read-only"
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(
        exc
    ).__name__
