"""`[store]`: where the data lives when two `serve` nodes share it (docs/store.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from notices.config.base import StrictModel


class StoreConfig(StrictModel):
    url: str | None = Field(
        default=None,
        description="postgresql://user@host:5432/database: the PostgreSQL store two `serve`"
        " nodes share (default: SQLite in the data folder). Never with the password:"
        " NOTICES_DATABASE_URL, PGPASSWORD or ~/.pgpass give it.",
    )
    second_node_url: str | None = Field(
        default=None,
        description="The public HTTPS address of the other `serve` node: the staff numbers'"
        " sms_fallback_url and voice_fallback_url must point at it (`check` verifies).",
    )

    @field_validator("url")
    @classmethod
    def _postgres_without_password(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        scheme = parts.scheme.lower()
        if scheme not in ("postgresql", "postgres") and not scheme.startswith("postgresql+"):
            raise ValueError("give a PostgreSQL URL, postgresql://user@host:5432/database")
        if parts.password:
            raise ValueError(
                "the URL holds a password: keep it out of the file (NOTICES_DATABASE_URL,"
                " PGPASSWORD or ~/.pgpass)"
            )
        return value

    @field_validator("second_node_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("https", "http"):
            raise ValueError("give the other node's address, https://host/")
        return value.rstrip("/") if value else None
