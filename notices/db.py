"""The data folder's database, `notices.db`: evidence log, incident state, snapshots; or
the PostgreSQL store that two `serve` nodes share (`[store] url`, docs/store.md).

Both run the same SQL through `Database` (`?` placeholders, `transaction()`, `query()`);
schema changes are small numbered migrations (notices/store/schema.py) recorded in
`_migrations`, applied in order.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, Protocol

from notices.errors import StorageError
from notices.store.schema import LOG_GUARDS, MIGRATIONS, POSTGRESQL, SQLITE
from notices.store.url import is_postgres, mask_url, store_url

# `Database(..., url=SQLITE_FILE)`: the data folder's notices.db, whatever NOTICES_DATABASE_URL
# or `[store] url` say (store migrate reads the file it copies from).
SQLITE_FILE = "sqlite:notices.db"


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class CommandLock(Protocol):
    """One command at a time on a data folder (filelock's FileLock, or on PostgreSQL an
    advisory lock): `acquire` raises filelock.Timeout, `with` releases."""

    @property
    def lock_file(self) -> str: ...

    def acquire(self, timeout: float | None = ...) -> Any: ...

    def release(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: Any) -> Any: ...


class Connection(Protocol):
    """What `transaction()` yields on either store: `execute(sql, params)` with `?`."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, rows: Any, /) -> Any: ...


class Database:
    """One connection to the store, shared by the threads of one command under a lock:
    notices.db in the data folder, or the PostgreSQL store when the data folder names one
    (`url`, else NOTICES_DATABASE_URL or `[store] url`: notices/store/url.py)."""

    conn: Any  # sqlite3.Connection, or notices.store.postgres.Connection
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)  # what the driver raises

    def __init__(self, path: Path, read_only: bool = False, url: str | None = None) -> None:
        self.read_only = read_only
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0  # transaction nesting, only touched by the thread holding `lock`
        # An explicit URL wins; else NOTICES_DATABASE_URL, else the folder's `[store] url`.
        self.url = None if url == SQLITE_FILE else url or store_url(path.parent)
        if self.url is not None and is_postgres(self.url):
            self.dialect = POSTGRESQL
            from notices.store import postgres

            self.errors = postgres.errors()
            self._open_postgres(self.url)
            return
        if self.url is not None:
            raise StorageError(
                f"the store {mask_url(self.url)} is neither SQLite nor PostgreSQL: give"
                " `[store] url` (or NOTICES_DATABASE_URL) as postgresql://user@host/database"
            )
        self.dialect = SQLITE
        try:
            self._open_retrying(path)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(
                f"cannot open the evidence log {path}: {describe_os_error(exc)}."
                " Nothing was switched."
            ) from None

    @property
    def node(self) -> str | None:
        """On a shared store (PostgreSQL), this node: its host and data folder. Each node
        keeps its own head file, so a checkpoint's record names the node whose file holds
        it. None on SQLite, where the data folder is the only one."""
        if self.dialect != POSTGRESQL:
            return None
        return node_name(self.path.parent)

    @property
    def where(self) -> str:
        """The store, as shown to people: the file, or the URL with its password masked."""
        return mask_url(self.url) if self.url else str(self.path)

    def _open_postgres(self, url: str) -> None:
        from notices.store import postgres

        try:
            self.conn = postgres.Connection(url, self.read_only, f"notices {os.getpid()}")
            if self.read_only:
                if not self.conn.has_table("log"):
                    raise StorageError(f"no evidence log in {self.where}")
                return
            # The data folder still holds the keys, the head file and the published site.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except postgres.errors() as exc:
            raise StorageError(
                f"cannot open the store {self.where}: {_first_line(exc)}. Nothing was switched."
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
        # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE), so that
        # the sequence number and the previous link are read and written atomically.
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self.conn = conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        self._migrate()

    def _open_read_only(self, path: Path) -> None:
        """Read only, writing nothing, not even a lock or WAL index (`log verify`, also of a
        copy on read-only media): the data folder is left byte for byte as it was found.
        With no `-wal` file beside it no process has the database open, so it is opened as
        immutable; so it is in a folder that cannot be written, unless a WAL must be read."""
        from urllib.parse import quote

        if not path.exists():
            raise sqlite3.OperationalError(f"no evidence log at {path}")
        wal = path.with_name(path.name + "-wal")
        pending = wal.exists() and wal.stat().st_size > 0
        immutable = not wal.exists() or (not os.access(path.parent, os.W_OK) and not pending)
        uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")
        self.conn = sqlite3.connect(
            uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30
        )
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name TEXT)"
            )
            done = {row[0] for row in conn.execute("SELECT number FROM _migrations")}
            for number, migration in enumerate(MIGRATIONS, start=1):
                if number not in done:
                    migration(partial(_run, conn), self.dialect)
                    conn.execute(
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
            if self.dialect == POSTGRESQL:
                with self.transaction():
                    pass
                return
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

    def _reconnect_if_lost(self) -> None:
        """On PostgreSQL, a connection the server or the network dropped is opened anew
        (between transactions only): a long-lived `serve` outlives a failover."""
        if self.dialect == POSTGRESQL and self.conn.lost():
            from notices.store import postgres

            assert self.url is not None
            self.conn.close()
            self.conn = postgres.Connection(self.url, self.read_only, f"notices {os.getpid()}")

    def _begin(self) -> None:
        if self.dialect == POSTGRESQL:
            self.conn.begin()
        else:
            self.conn.execute("BEGIN IMMEDIATE")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction; nested calls on the same thread join the outer one, so a state
        change and the log record that tells of it commit together or not at all. Writers
        are serialised: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self._reconnect_if_lost()
                self._begin()
            except self.errors as exc:
                self._raise_mapped(exc)
            self._depth = 1
            try:
                yield self.conn
            except self.errors as exc:
                with contextlib.suppress(*self.errors):
                    self.conn.execute("ROLLBACK")
                self._raise_mapped(exc)
            except BaseException:
                with contextlib.suppress(*self.errors):
                    self.conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            try:
                self.conn.execute("COMMIT")
            except self.errors as exc:
                with contextlib.suppress(*self.errors):
                    self.conn.execute("ROLLBACK")
                self._raise_mapped(exc)

    def _raise_mapped(self, exc: Exception) -> NoReturn:
        """Raise `exc` as a StorageError if it is one (full disk, store unreachable), else
        as it was."""
        mapped = self._storage_error(exc)
        if mapped is exc:
            raise exc
        raise mapped from None

    def _storage_error(self, exc: Exception) -> Exception:
        """A full disk, an unwritable database or an unreachable store as a StorageError;
        any other error as it was."""
        if self.dialect == POSTGRESQL:
            from notices.store import postgres

            if postgres.is_unreachable(exc):
                return StorageError(f"the store {self.where} cannot be reached: {_first_line(exc)}")
            return exc
        if isinstance(exc, sqlite3.OperationalError):
            return _storage_error(exc)
        return exc

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read rows under the lock: threads of one command share this connection."""
        with self.lock:
            try:
                if not self._depth:
                    self._reconnect_if_lost()
                return [tuple(row) for row in self.conn.execute(sql, params).fetchall()]
            except self.errors as exc:
                self._raise_mapped(exc)

    def stream(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Any]:
        """Rows of a long read, never all in memory: SQLite's cursor; on PostgreSQL a
        server-side cursor on a connection of its own, in one read-only snapshot, so a long
        read neither holds this connection nor sees half of a concurrent append."""
        if self.dialect != POSTGRESQL:
            return iter(self.conn.execute(sql, params))
        from notices.store import postgres

        assert self.url is not None
        return postgres.stream(self.url, sql, params)

    def json_text(self, column: str, key: str) -> str:
        """SQL for a top-level field of a JSON text column, as text (an object as its
        JSON): `json_extract` on SQLite, `->>` on PostgreSQL. `column` and `key` are our
        own constant names, never input."""
        if self.dialect == POSTGRESQL:
            return f"({column}::jsonb ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"

    def log_guard_intact(self) -> bool:
        """The append-only triggers on the log are all there (and enabled)."""
        with self.lock:
            if self.dialect == POSTGRESQL:
                found = self.conn.log_guards()
            else:
                rows = self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='log'"
                )
                found = {row[0] for row in rows}
        return bool(found == LOG_GUARDS[self.dialect])

    def erase(self, sql: str, params: tuple[Any, ...]) -> None:
        """Delete rows so that their bytes leave the store too: SQLite's secure_delete,
        VACUUM and a truncated WAL; on PostgreSQL, VACUUM of the table."""
        with self.lock:
            if self.dialect == POSTGRESQL:
                self.conn.erase(sql, params)
                return
            conn = self.conn
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(sql, params)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def command_lock(self, file: Path, timeout: float) -> CommandLock:
        """The lock every command holds while it switches: a file beside notices.db, or on
        PostgreSQL an advisory lock that every node shares."""
        if self.dialect == POSTGRESQL:
            from notices.store import postgres

            assert self.url is not None
            return postgres.AdvisoryLock(
                self.url, postgres.COMMAND_LOCK, timeout, f"the command lock of {self.where}"
            )
        from filelock import FileLock

        return FileLock(file, timeout=timeout)

    def close(self) -> None:
        self.conn.close()


def node_name(home: Path) -> str:
    """A `serve` node or command's place: its host name and its data folder."""
    import socket

    return f"{socket.gethostname()}:{home.resolve()}"


def _run(conn: Connection, sql: str) -> None:
    conn.execute(sql)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


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
