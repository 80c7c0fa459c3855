"""The PostgreSQL connection behind `notices.db.Database`: the same SQL as on SQLite (`?`
placeholders, explicit BEGIN/COMMIT), TCP keep-alives, and the advisory locks that make
two nodes behave as one data folder.

- Every write transaction takes `WRITE_LOCK` (a transaction-level advisory lock) first: as
  SQLite's BEGIN IMMEDIATE does, it lets one writer at a time read and then write, so the
  log's sequence number and previous link are read and written atomically from any node.
- The keep-alives make a dead peer's session (and its session-level locks) go within
  seconds: idle 5 s, then 3 probes 2 s apart.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

# Advisory lock keys: "notices" in ASCII, plus one per purpose.
_BASE = 0x6E6F7469636573 << 4
WRITE_LOCK = _BASE + 1
LEADER_LOCK = _BASE + 2
COMMAND_LOCK = _BASE + 3

KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "connect_timeout": 10,
    # A write stuck on a dead socket fails too, instead of waiting for the kernel's retries.
    "tcp_user_timeout": 15000,
}


def driver_sql(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (a literal `%` doubled). Our SQL holds no
    `?` or `%` inside string literals."""
    return sql.replace("%", "%%").replace("?", "%s")


def _value(value: Any) -> Any:
    # SQLite stores booleans as integers, and the columns are INTEGER on both.
    return int(value) if isinstance(value, bool) else value


class Cursor:
    """Rows of one statement, fetched at once (as psycopg's client-side cursor does)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def rowcount(self) -> int:
        return int(self._raw.rowcount)

    def fetchone(self) -> Any:
        return self._raw.fetchone() if self._raw.description else None

    def fetchall(self) -> list[Any]:
        return list(self._raw.fetchall()) if self._raw.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Connection:
    """A psycopg connection in autocommit mode that takes SQLite's SQL."""

    def __init__(self, url: str, read_only: bool, application: str) -> None:
        import psycopg

        from notices.store.url import libpq_url

        self.raw = psycopg.connect(
            libpq_url(url), autocommit=True, application_name=application, **KEEPALIVES
        )
        if read_only:
            self.raw.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")

    def execute(self, sql: str, params: Sequence[Any] | None = None, /) -> Cursor:
        if params is None:
            return Cursor(self.raw.execute(sql))
        return Cursor(self.raw.execute(driver_sql(sql), [_value(v) for v in params]))

    def lost(self) -> bool:
        """The server or the network dropped this connection."""
        return bool(self.raw.closed or self.raw.broken)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(driver_sql(sql), [[_value(v) for v in row] for row in rows])

    def begin(self) -> None:
        """A write transaction, serialised with every other node's by WRITE_LOCK."""
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def log_guards(self) -> set[str]:
        rows = self.raw.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'log'::regclass AND tgenabled <> 'D'"
            " AND NOT tgisinternal"
        ).fetchall()
        return {str(row[0]) for row in rows}

    def erase(self, sql: str, params: Sequence[Any]) -> None:
        """Delete, then VACUUM the table so the rows' bytes are reclaimed (not kept as dead
        tuples); the server's WAL and backups keep their own retention (docs/store.md)."""
        self.begin()
        try:
            self.execute(sql, params)
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")
        table = sql.split()[2]
        self.raw.execute(f"VACUUM {table}")

    def has_table(self, name: str) -> bool:
        row = self.raw.execute("SELECT to_regclass(%s)", (name,)).fetchone()
        return row is not None and row[0] is not None

    def close(self) -> None:
        self.raw.close()


def stream(url: str, sql: str, params: Sequence[Any]) -> Iterator[Any]:
    """Rows from a server-side cursor, a few thousand at a time, on a connection of its own
    in a read-only REPEATABLE READ transaction (one snapshot for the whole walk)."""
    import psycopg

    from notices.store.url import libpq_url

    with psycopg.connect(libpq_url(url), application_name=f"notices read {os.getpid()}") as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.cursor(name="notices_stream") as cursor:
            cursor.itersize = 5000
            cursor.execute(driver_sql(sql) if params else sql, [_value(v) for v in params] or None)
            yield from cursor


def errors() -> tuple[type[Exception], ...]:
    """psycopg's error classes, imported only once PostgreSQL is in use."""
    import psycopg

    return (psycopg.Error,)


def is_unreachable(exc: BaseException) -> bool:
    import psycopg

    return isinstance(exc, psycopg.OperationalError)


class AdvisoryLock:
    """The command lock on PostgreSQL: a session advisory lock on a connection of its own,
    so one command at a time runs on any node, and a node that dies (or loses the network)
    lets go within seconds (keep-alives). Acts like filelock's FileLock: `acquire(timeout)`
    raises filelock.Timeout, `with` releases."""

    def __init__(self, url: str, key: int, timeout: float, name: str) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout
        self.lock_file = name
        self._conn: Any = None

    def acquire(self, timeout: float | None = None) -> AdvisoryLock:
        import time

        import psycopg
        from filelock import Timeout

        from notices.store.url import libpq_url

        if self._conn is not None:
            return self
        from notices.errors import StorageError

        wait = self.timeout if timeout is None else timeout
        try:
            conn = psycopg.connect(
                libpq_url(self.url),
                autocommit=True,
                application_name=f"notices command {os.getpid()}",
                options=SERVER_KEEPALIVES,
                **KEEPALIVES,
            )
        except psycopg.Error as exc:
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StorageError(
                f"cannot take {self.lock_file}: {why}. Nothing was switched."
            ) from None
        deadline = time.monotonic() + wait
        while True:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if row and row[0]:
                self._conn = conn
                return self
            if time.monotonic() >= deadline:
                conn.close()
                raise Timeout(self.lock_file)
            time.sleep(0.05)

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            conn.close()

    def __enter__(self) -> AdvisoryLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# The server drops a dead client's session (and its locks) by these, set per session: the
# client's keep-alives alone tell the client of a dead server, not the server of a dead node.
SERVER_KEEPALIVES = (
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"
    " -c tcp_user_timeout=15000"
)


class SessionLock:
    """A session-level advisory lock held on a connection of its own, tried without waiting
    (`try_acquire`) and checked (`holds`): the lead of the `serve` nodes. A node that dies,
    or whose connection is cut, loses it; the server lets go of it at once on a closed
    socket, within about 11 s of silence (the keep-alives above) when the node's machine
    vanishes."""

    def __init__(self, url: str, key: int, application: str) -> None:
        self.url = url
        self.key = key
        self.application = application
        self._conn: Any = None

    def try_acquire(self) -> bool:
        import psycopg

        from notices.store.url import libpq_url

        try:
            if self._conn is None:
                self._conn = psycopg.connect(
                    libpq_url(self.url),
                    autocommit=True,
                    application_name=self.application,
                    options=SERVER_KEEPALIVES,
                    **KEEPALIVES,
                )
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error:
            self._drop()
            return False
        return bool(row and row[0])

    def holds(self) -> bool:
        """Still held: the connection answers (a cut one raises, and the lock is gone)."""
        import psycopg

        if self._conn is None:
            return False
        try:
            # A session lock lasts as long as its session: the session answering is enough.
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def reachable(url: str, timeout: int = 3) -> bool:
    """The store answers a query within `timeout` seconds (for /healthz)."""
    import psycopg

    from notices.store.url import libpq_url

    try:
        with psycopg.connect(
            libpq_url(url), connect_timeout=timeout, options=f"-c statement_timeout={timeout}s"
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True
