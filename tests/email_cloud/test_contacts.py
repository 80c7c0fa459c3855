"""Emails received during an incident, collected at resume from the Microsoft Graph and
Gmail stand-ins (built to the documented message-list shapes) into the log and the dossier."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.cloudmail import (
    database_text,
    gmail_channel,
    graph_channel,
    log_records,
    write_config,
)
from tests.support.cloudmail_standins import GMAIL_SCOPE

pytestmark = pytest.mark.integration

SERVICE = "asiakaspalvelu@esimerkki.fi"
CUSTOMERS = ["matti.meikalainen@example.fi", "anna.andersson@example.se"]
FILLER = "uutiskirje@example.net"
SUBJECT = "Laskuni 4711 – Matti Meikäläinen"


def evacuate(notices) -> str:
    run = notices("evacuate", "--for", "4h", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    [opened] = log_records_json(notices, "incident.opened")
    # Providers keep whole seconds: let the incident be a little older than the messages.
    time.sleep(1.1)
    return str(opened["incident"])


def log_records_json(notices, kind: str) -> list[dict]:
    lines = notices("log", "show", "--json").stdout.splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


def dossier_contacts(notices, incident: str, folder: Path) -> list[dict[str, str]]:
    run = notices("log", "export", "--incident", incident, "-o", str(folder))
    assert run.exit_code == 0, run.stderr
    assert notices("log", "verify", str(folder)).exit_code == 0
    return list(csv.DictReader(io.StringIO((folder / "contacts.csv").read_text("utf-8-sig"))))


def check_stored(notices, home: Path, incident: str, channel: str, expected: int, tmp_path):
    received = [r for r in log_records(home, "contact.received") if r["channel"] == channel]
    assert len(received) == expected
    payloads = [json.loads(r["payload"]) for r in received]
    assert {p["contact"] for p in payloads} == {"email"}
    assert all(p["party"].startswith("hmac-sha256:") for p in payloads)
    # Neither the addresses nor the subject are in the hashed log: only refs.
    raw = json.dumps([r["payload"] for r in log_records(home)])
    for value in (*CUSTOMERS, SUBJECT):
        assert value not in raw
    assert all(p["detail"]["subject"].startswith("hmac-sha256:") for p in payloads)
    [collected] = [json.loads(r["payload"]) for r in log_records(home, "contacts.collected")]
    assert collected["channels"][channel] == {
        "available": True,
        "received": expected,
        "new": expected,
        "error": None,
    }

    rows = dossier_contacts(notices, incident, tmp_path / "dossier")
    mine = [row for row in rows if row["channel"] == channel]
    assert len(mine) == expected
    shown = {row["party"] for row in mine}
    assert {"m***@example.fi", "a***@example.se", "u***@example.net"} == shown  # masked
    text = (tmp_path / "dossier" / "contacts.csv").read_text("utf-8-sig")
    assert not any(address in text for address in CUSTOMERS)

    callbacks = notices("callbacks", "--incident", incident).stdout
    assert CUSTOMERS[0] in callbacks and CUSTOMERS[1] in callbacks


# -- Microsoft Graph ---------------------------------------------------------------------------


def test_graph_messages_in_the_window_become_contacts_with_paging(
    notices, home, microsoft, tmp_path
):
    microsoft.roles = ["MailboxSettings.ReadWrite", "Mail.Read"]
    microsoft.add_mailbox(SERVICE)
    write_config(home, graph_channel(microsoft, [SERVICE]))
    now = datetime.now(UTC)
    microsoft.add_message(SERVICE, "vanha@example.fi", now - timedelta(days=1), "Eilen")
    incident = evacuate(notices)
    during = datetime.now(UTC)
    for n, sender in enumerate(CUSTOMERS):
        microsoft.add_message(SERVICE, sender, during - timedelta(milliseconds=n), SUBJECT)
    for n in range(110):  # more than one page of 100
        microsoft.add_message(SERVICE, FILLER, during, f"Uutiskirje {n}")
    microsoft.add_message(SERVICE, "huomenna@example.fi", now + timedelta(days=1), "Huomenna")

    run = notices("resume", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr

    lists = [s for s in microsoft.requests("GET", "/mailFolders/inbox/messages")]
    assert [s.status for s in lists] == [200, 200]
    assert "%24skip=100" in lists[1].path or "$skip=100" in lists[1].path  # the nextLink
    check_stored(notices, home, incident, "m365", 112, tmp_path)
    assert "vanha@example.fi" not in database_text(home)
    assert "huomenna@example.fi" not in database_text(home)

    # Collecting again stores nothing twice.
    again = notices("log", "contacts", "--incident", incident)
    assert again.exit_code == 0 and "112 contacts (0 new)" in again.stdout


def test_graph_without_mail_read_is_reported_plainly_and_resume_still_succeeds(
    notices, home, microsoft, tmp_path
):
    microsoft.add_mailbox(SERVICE)  # the app holds MailboxSettings.ReadWrite only
    write_config(home, graph_channel(microsoft, [SERVICE]))
    incident = evacuate(notices)
    microsoft.add_message(SERVICE, CUSTOMERS[0], datetime.now(UTC), SUBJECT)

    run = notices("resume", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert microsoft.setting(SERVICE)["status"] == "disabled"  # restored all the same

    [collected] = [json.loads(r["payload"]) for r in log_records(home, "contacts.collected")]
    error = collected["channels"]["m365"]["error"]
    assert "403" in error and "Mail.Read" in error and SERVICE in error
    assert "read the messages received by" in error
    assert not log_records(home, "contact.received")

    again = notices("log", "contacts", "--incident", incident)
    assert again.exit_code == 1 and "Mail.Read" in again.stderr

    folder = tmp_path / "dossier"
    assert notices("log", "export", "--incident", incident, "-o", str(folder)).exit_code == 0
    from pypdf import PdfReader

    text = " ".join(p.extract_text() or "" for p in PdfReader(folder / "report.pdf").pages)
    assert "Mail.Read" in " ".join(text.split())


def test_graph_stand_in_rejects_a_malformed_filter(microsoft):
    microsoft.roles = ["Mail.Read"]
    microsoft.add_mailbox(SERVICE)
    microsoft.clients["app"] = "secret"
    token = httpx.post(
        f"{microsoft.url}/{microsoft.tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "app",
            "client_secret": "secret",
            "scope": "https://graph.microsoft.com/.default",
        },
    ).json()["access_token"]
    url = f"{microsoft.url}/v1.0/users/{SERVICE}/mailFolders/inbox/messages"
    for params in (
        {"$filter": "receivedDateTime ge 2026-11-24 and receivedDateTime lt 2026-11-25"},
        {"$filter": "receivedDateTime gt 2026-11-24T08:00:00Z"},
        {"$select": "from,body2"},
        {"$top": "0"},
    ):
        answer = httpx.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 400, params
    good = {
        "$filter": "receivedDateTime ge 2026-11-24T08:00:00.000Z"
        " and receivedDateTime lt 2026-11-24T12:00:00.000Z"
    }
    answer = httpx.get(url, params=good, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["value"] == []


# -- Gmail -----------------------------------------------------------------------------------


def test_gmail_messages_in_the_window_become_contacts_with_paging(notices, home, google, tmp_path):
    google.add_user(SERVICE)
    write_config(home, gmail_channel(google, [SERVICE]))
    now = datetime.now(UTC)
    google.add_message(SERVICE, "vanha@example.fi", now - timedelta(days=1), "Eilen")
    incident = evacuate(notices)
    during = datetime.now(UTC)
    for sender in CUSTOMERS:
        google.add_message(SERVICE, sender, during, SUBJECT)
    for n in range(103):  # more than one page of 100
        google.add_message(SERVICE, FILLER, during, f"Uutiskirje {n}")
    # Our own answer is in the window too, but it is not a customer's contact.
    google.add_message(SERVICE, SERVICE, during, "Re: Laskuni", labels=("SENT",))
    google.add_message(SERVICE, "huomenna@example.fi", now + timedelta(days=1), "Huomenna")

    run = notices("resume", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr

    lists = google.requests("GET", "/messages?")
    assert len(lists) == 2 and "pageToken=100" in lists[1].path
    assert all("q=after%3A" in s.path for s in lists)
    check_stored(notices, home, incident, "workspace", 105, tmp_path)
    assert "vanha@example.fi" not in database_text(home)
    assert "huomenna@example.fi" not in database_text(home)
    # Its own token, with the read scope: the switch's token stays settings-only.
    scopes = [a["claims"]["scope"] for a in google.assertions]
    assert GMAIL_SCOPE in scopes
    assert "https://www.googleapis.com/auth/gmail.readonly" in scopes


def test_gmail_without_the_read_scope_is_reported_plainly_and_resume_still_succeeds(
    notices, home, google
):
    google.add_user(SERVICE)
    google.granted[google.key_info["client_id"]] = {GMAIL_SCOPE}  # the switch only
    write_config(home, gmail_channel(google, [SERVICE]))
    incident = evacuate(notices)
    google.add_message(SERVICE, CUSTOMERS[0], datetime.now(UTC), SUBJECT)

    run = notices("resume", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert google.vacation(SERVICE)["enableAutoReply"] is False

    [collected] = [json.loads(r["payload"]) for r in log_records(home, "contacts.collected")]
    error = collected["channels"]["workspace"]["error"]
    assert "gmail.readonly" in error and SERVICE in error and "unauthorized_client" in error
    assert not log_records(home, "contact.received")
    assert notices("log", "contacts", "--incident", incident).exit_code == 1


def test_gmail_stand_in_rejects_malformed_queries_and_the_metadata_scope_search(google):
    google.add_user(SERVICE)
    google.add_message(SERVICE, CUSTOMERS[0], datetime.now(UTC), SUBJECT)
    url = f"{google.url}/gmail/v1/users/{SERVICE}/messages"

    def token(scopes: set[str]) -> str:
        value = f"ya29.test-{len(google.tokens)}"
        google.tokens[value] = SERVICE
        google.token_scopes[value] = scopes
        return value

    reader = token({"https://www.googleapis.com/auth/gmail.readonly"})
    for q in ("after:2026/11/24", "after:abc before:1", "from:x@example.fi"):
        answer = google_get(google, url, {"q": q}, reader)
        assert answer.status_code == 400, q
    assert google_get(google, url, {"q": "after:1 before:9999999999"}, reader).status_code == 200
    metadata = token({"https://www.googleapis.com/auth/gmail.metadata"})
    assert google_get(google, url, {"q": "after:1"}, metadata).status_code == 403
    settings_only = token({GMAIL_SCOPE})
    assert google_get(google, url, {}, settings_only).status_code == 403


def google_get(google, url: str, params: dict[str, str], token: str) -> httpx.Response:
    # The `google` fixture trusts the stand-in's CA through SSL_CERT_FILE.
    return httpx.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
