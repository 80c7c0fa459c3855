"""A real PostgreSQL server for the tests: Debian's `postgresql` package, a cluster made by
`initdb` in a temporary folder and started by `pg_ctl` on loopback (as .ci/run does for
Dovecot and sshd), and one empty database per test.

`NOTICES_TEST_STORE=postgresql` runs the whole suite on it: each test's data folder then
uses its own database through NOTICES_DATABASE_URL (tests/conftest.py)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.support.net import free_port

STORE_ENV = "NOTICES_TEST_STORE"
USER = "postgres"


def wanted() -> bool:
    """The suite runs on PostgreSQL (else on SQLite, the default)."""
    return os.environ.get(STORE_ENV, "sqlite").lower() in ("postgresql", "postgres")


def bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    which = shutil.which("pg_ctl")
    if which:
        return Path(which).resolve().parent
    raise RuntimeError("PostgreSQL is not installed: run scripts/install-test-deps")


class PostgresServer:
    """One cluster on 127.0.0.1:`port`, trust authentication on loopback only."""

    def __init__(self, fsync: bool = False) -> None:
        """`fsync`: durable commits, as a real server makes them (the benchmark); the tests
        run without (-F), as nothing they check survives a power cut anyway."""
        self.fsync = fsync
        self.folder = Path(tempfile.mkdtemp(prefix="notices-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.bin = bin_dir()
        self._names = itertools.count(1)
        self.proxies: list[Any] = []

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.folder, USER)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            USER,
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=200"
        options += "" if self.fsync else " -F"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres", port: int | None = None) -> str:
        return f"postgresql://{USER}@127.0.0.1:{port or self.port}/{database}"

    def admin(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pg_query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """SQL as the tests write it for SQLite (`?`), run on PostgreSQL; [] without the table."""
    import psycopg

    from notices.store.postgres import driver_sql

    with psycopg.connect(url, autocommit=True) as conn:
        try:
            cursor = conn.execute(driver_sql(sql) if params else sql, params or None)
        except psycopg.errors.UndefinedTable:
            return []
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def pg_tamper(url: str, *statements: str) -> None:
    """What someone with raw access to the database could do: drop the guard, change,
    restore it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE log DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE log ENABLE TRIGGER USER")
