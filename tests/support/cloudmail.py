"""Our Microsoft 365 and Google Workspace tenants in the tests: the app's credentials, the
channels' config, and readers of what a run left in the log."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cloudmail_standins import Google, Microsoft
from tests.support.log import log_rows, store_bytes

GRAPH_SECRET = "s3cr3t-graph-client-secret~value"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


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
    return [r for r in log_rows(home) if kind is None or r["kind"] == kind]


def database_text(home: Path) -> str:
    return store_bytes(home).decode("utf-8", "replace")
