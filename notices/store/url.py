"""Which store a data folder uses: NOTICES_DATABASE_URL, else `[store] url` in the data
folder's configuration (NOTICES_CONFIG or DATA/notices.toml), else SQLite in the data folder.

A PostgreSQL URL in the configuration file never carries a password (the configuration
refuses one): the password comes from NOTICES_DATABASE_URL, PGPASSWORD or ~/.pgpass, as
libpq reads them. Every URL shown anywhere goes through `mask_url`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from notices.paths import config_path

ENV_URL = "NOTICES_DATABASE_URL"
SCHEMES = ("postgresql", "postgres")


def store_url(home: Path, configured: str | None = None) -> str | None:
    """The PostgreSQL URL of this data folder's store, or None for SQLite in the folder.
    `configured`: the loaded configuration's `[store] url`, when the caller has it."""
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        return env
    return configured or configured_url(home)


def configured_url(home: Path) -> str | None:
    """`[store] url` of the data folder's configuration file, read without validating the
    rest (loading the configuration reports its errors, naming the line)."""
    path = config_path(home, None)
    if path is None:
        return None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    store = data.get("store")
    url = store.get("url") if isinstance(store, dict) else None
    return url if isinstance(url, str) and url.strip() else None


def is_postgres(url: str) -> bool:
    scheme = urlsplit(url).scheme.lower()
    return scheme in SCHEMES or scheme.startswith("postgresql+")


def has_password(url: str) -> bool:
    return bool(urlsplit(url).password)


def mask_url(url: str) -> str:
    """The URL with its password (if any) as `***`: the only form shown or logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def libpq_url(url: str) -> str:
    """The URL as libpq takes it (`postgresql://`), whatever driver suffix it was given."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def sqlalchemy_url(url: str) -> str:
    """The URL as SQLAlchemy takes it for psycopg 3 (APScheduler's job store)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))
