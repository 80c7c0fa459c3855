"""email_gmail through the CLI against the Google OAuth 2.0 token endpoint + Gmail stand-in."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.cloudmail import database_text, gmail_channel, log_records, write_config
from tests.support.cloudmail_standins import GMAIL_SCOPE

pytestmark = pytest.mark.integration

SERVICE = "asiakaspalvelu@esimerkki.fi"
SALES = "myynti@esimerkki.fi"


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def puts(server, mailbox: str) -> list[dict]:
    return [s.body for s in server.requests("PUT", mailbox) if s.status == 200]


def test_evacuate_then_resume_restores_the_vacation_responder_exactly(notices, home, google):
    now = datetime.now(UTC)
    google.add_user(
        SERVICE,
        {
            "enableAutoReply": True,
            "responseSubject": "Loma / Semester",
            "responseBodyPlainText": "Olemme lomalla viikon 48.",
            "restrictToContacts": False,
            "restrictToDomain": True,
            "startTime": ms(now + timedelta(days=7)),
            "endTime": ms(now + timedelta(days=14)),
        },
    )
    google.add_user(SALES)
    before = {SERVICE: google.vacation(SERVICE), SALES: google.vacation(SALES)}
    write_config(home, gmail_channel(google, [SERVICE, SALES]))

    run = notices(
        "evacuate", "--for", "4h", "--reason", "Uhkatilanne, rakennus tyhjennetty", "--yes"
    )
    assert run.exit_code == 0, run.stdout + run.stderr

    returning = notices("status", "--json").json()["expected_return"]
    returning_ms = int(datetime.fromisoformat(returning.replace("Z", "+00:00")).timestamp() * 1000)
    for mailbox in (SERVICE, SALES):
        serving = google.vacation(mailbox)
        assert serving["enableAutoReply"] is True
        assert serving["restrictToDomain"] is False and serving["restrictToContacts"] is False
        assert int(serving["endTime"]) == returning_ms  # the safety net
        assert int(serving["startTime"]) <= int(ms(datetime.now(UTC)))
        assert "Tilapäisesti suljettu" in serving["responseSubject"]
        assert "Uhkatilanne, rakennus tyhjennetty" in serving["responseBodyPlainText"]
        assert 'lang="sv"' in serving["responseBodyHtml"]

    # Every token came from a JWT assertion signed with the service account's key,
    # impersonating exactly the mailbox it was used for, with the one scope we need.
    assert {a["claims"]["sub"] for a in google.assertions} == {SERVICE, SALES}
    assert all(a["claims"]["scope"] == GMAIL_SCOPE for a in google.assertions)
    assert all(a["header"]["alg"] == "RS256" for a in google.assertions)
    assert all(a["claims"]["iss"] == google.key_info["client_email"] for a in google.assertions)

    assert all(c["ok"] for c in notices("status", "--json").json()["channels"])
    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert {SERVICE: google.vacation(SERVICE), SALES: google.vacation(SALES)} == before
    # Restore puts the whole saved resource back, as it was read.
    assert puts(google, SERVICE)[-1] == before[SERVICE]
    assert "PRIVATE KEY" not in database_text(home)


def test_without_expected_return_no_end_time_and_reapplying_changes_nothing(notices, home, google):
    google.add_user(SERVICE)
    write_config(home, gmail_channel(google, [SERVICE]))
    assert notices("power-out", "--yes").exit_code == 0
    assert "endTime" not in google.vacation(SERVICE)
    assert notices("power-out", "--yes").exit_code == 0
    assert len(puts(google, SERVICE)) == 1
    assert notices("resume", "--yes").exit_code == 0
    assert google.vacation(SERVICE) == {"enableAutoReply": False}


def test_429_is_retried_after_retry_after_and_401_fails_plainly(notices, home, google):
    google.add_user(SERVICE)
    write_config(home, gmail_channel(google, [SERVICE]))
    google.inject(429, method="PUT", headers={"Retry-After": "1"})
    assert notices("evacuate", "--for", "1h", "--yes").exit_code == 0
    refused, accepted = google.requests("PUT")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 1.0
    retry = json.loads(log_records(home, "channel.retry")[0]["payload"])
    assert retry["retry_in_s"] == 1 and "429" in retry["error"]

    google.inject(401, path_contains="/gmail/", times=10)
    run = notices("resume", "--yes")
    assert run.exit_code == 1
    assert "Gmail did not accept our sign-in" in run.stdout
    # The local channels did resume: the banner's state is inactive again.
    assert '"active": false' in (home / "site" / "status.json").read_text()
    assert google.vacation(SERVICE)["enableAutoReply"] is True


def test_check_names_missing_domain_wide_delegation(notices, home, google):
    google.add_user(SERVICE)
    write_config(home, gmail_channel(google, [SERVICE]))
    assert notices("check").exit_code == 0
    google.delegated.clear()  # each command signs in afresh
    run = notices("check")
    assert run.exit_code == 1
    assert "domain-wide delegation" in run.stdout and "gmail.settings.basic" in run.stdout


def test_the_stand_in_rejects_what_gmail_rejects(google, tls):
    google.add_user(SERVICE)
    with httpx.Client(verify=ssl.create_default_context(cafile=tls[0])) as client:
        url = f"{google.url}/gmail/v1/users/{SERVICE}/settings/vacation"
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": "Bearer ya29.forged"}).status_code == 401
        forged = client.post(
            f"{google.url}/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",
            },
        )
        assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"
        google.tokens["ya29.test"] = SERVICE
        auth = {"Authorization": "Bearer ya29.test"}
        backwards = {
            "enableAutoReply": True,
            "responseSubject": "x",
            "startTime": "2000",
            "endTime": "1000",
        }
        assert client.put(url, json=backwards, headers=auth).status_code == 400
        assert client.put(url, json={"vacation": True}, headers=auth).status_code == 400
        assert client.put(url, json={"enableAutoReply": True}, headers=auth).status_code == 400
        other = f"{google.url}/gmail/v1/users/{SALES}/settings/vacation"
        assert client.get(other, headers=auth).status_code == 403
