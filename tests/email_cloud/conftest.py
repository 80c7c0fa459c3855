"""Session-wide TLS stand-ins for Microsoft 365 and Gmail; each test gets them reset."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.email_cloud.standins import Google, Microsoft, make_tls, service_account_key

GRAPH_SECRET = "s3cr3t-graph-client-secret~value"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def microsoft_server(tls: tuple[Path, Path, Path]) -> Iterator[Microsoft]:
    server = Microsoft(tls[1], tls[2])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def google_server(tls: tuple[Path, Path, Path]) -> Iterator[Google]:
    server = Google(tls[1], tls[2])
    yield server
    server.stop()


@pytest.fixture
def trust(tls: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Our HTTP client (httpx) trusts the throw-away CA through SSL_CERT_FILE, as it would a
    company's own CA bundle."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))


@pytest.fixture
def microsoft(
    microsoft_server: Microsoft, trust: None, monkeypatch: pytest.MonkeyPatch
) -> Microsoft:
    microsoft_server.reset()
    microsoft_server.clients[CLIENT_ID] = GRAPH_SECRET
    monkeypatch.setenv("TEST_GRAPH_SECRET", GRAPH_SECRET)
    return microsoft_server


@pytest.fixture
def google(
    google_server: Google, trust: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Google:
    google_server.reset()
    path, info = service_account_key(tmp_path, f"{google_server.url}/token")
    google_server.register(info)
    google_server.key_info = info  # type: ignore[attr-defined]
    monkeypatch.setenv("TEST_GMAIL_KEY", str(path))
    return google_server


def write_config(home: Path, channels: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        '[organisation]\nname = "Testipalvelu Oy"\n'
        '[channels.phone]\nkind = "local_voice"\n[channels.website]\nkind = "local_banner"\n'
        + channels,
        "utf-8",
    )


def graph_channel(server: Microsoft, mailboxes: list[str]) -> str:
    return (
        "[channels.m365]\n"
        'kind = "email_graph"\n'
        f'tenant_id = "{server.tenant}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        'client_secret_env = "TEST_GRAPH_SECRET"\n'
        f"mailboxes = {json.dumps(mailboxes)}\n"
        f'authority_host = "{server.url}"\n'
        f'graph_base = "{server.url}/v1.0"\n'
    )


def gmail_channel(server: Google, mailboxes: list[str]) -> str:
    return (
        "[channels.workspace]\n"
        'kind = "email_gmail"\n'
        'service_account_key_env = "TEST_GMAIL_KEY"\n'
        f"mailboxes = {json.dumps(mailboxes)}\n"
        f'api_base = "{server.url}/gmail/v1"\n'
    )


def log_records(home: Path, kind: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    with sqlite3.connect(home / "notices.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM log ORDER BY seq").fetchall()
    records = [dict(row) for row in rows]
    return [r for r in records if kind is None or r["kind"] == kind]


def database_text(home: Path) -> str:
    return (home / "notices.db").read_bytes().decode("utf-8", "replace")
