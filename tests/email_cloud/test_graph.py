"""email_graph through the CLI against the Microsoft identity platform + Graph stand-in."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.cloudmail import (
    GRAPH_SECRET,
    database_text,
    graph_channel,
    log_records,
    write_config,
)

pytestmark = pytest.mark.integration

SERVICE = "asiakaspalvelu@esimerkki.fi"
SALES = "myynti@esimerkki.fi"


def graph_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def parse_graph_time(value: dict[str, str]) -> datetime:
    assert value["timeZone"] == "UTC"
    return datetime.fromisoformat(value["dateTime"][:19]).replace(tzinfo=UTC)


def patches(server, mailbox: str) -> list[dict]:
    return [
        s.body["automaticRepliesSetting"]
        for s in server.requests("PATCH", mailbox)
        if s.status == 200
    ]


def test_evacuate_then_resume_restores_the_normal_out_of_office_exactly(notices, home, microsoft):
    now = datetime.now(UTC).replace(microsecond=0)
    # The customer service's own out-of-office: a holiday next week, contacts only.
    microsoft.add_mailbox(
        SERVICE,
        {
            "status": "scheduled",
            "externalAudience": "contactsOnly",
            "scheduledStartDateTime": graph_time(now + timedelta(days=7)),
            "scheduledEndDateTime": graph_time(now + timedelta(days=14)),
            "internalReplyMessage": "<p>Lomalla viikon 48.</p>",
            "externalReplyMessage": "<p>We are on holiday in week 48.</p>",
        },
    )
    microsoft.add_mailbox(SALES)
    before = {SERVICE: microsoft.setting(SERVICE), SALES: microsoft.setting(SALES)}
    write_config(home, graph_channel(microsoft, [SERVICE, SALES]))

    run = notices(
        "evacuate", "--for", "4h", "--reason", "Uhkatilanne, rakennus tyhjennetty", "--yes"
    )
    assert run.exit_code == 0, run.stdout + run.stderr

    returning = datetime.fromisoformat(
        notices("status", "--json").json()["expected_return"].replace("Z", "+00:00")
    )
    for mailbox in (SERVICE, SALES):
        now_serving = microsoft.setting(mailbox)
        assert now_serving["status"] == "scheduled"
        assert now_serving["externalAudience"] == "all"
        # The provider-side safety net: replies end at the expected return.
        assert parse_graph_time(now_serving["scheduledEndDateTime"]) == returning.replace(
            microsecond=0
        )
        assert parse_graph_time(now_serving["scheduledStartDateTime"]) <= datetime.now(UTC)
        for name in ("internalReplyMessage", "externalReplyMessage"):
            text = now_serving[name]
            assert "Uhkatilanne, rakennus tyhjennetty" in text
            assert 'lang="fi"' in text and 'lang="sv"' in text and 'lang="en"' in text

    # Replies were on (scheduled) in one mailbox: off first, then the emergency setting.
    sequence = patches(microsoft, SERVICE)
    assert sequence[0] == {"status": "disabled"}
    assert sequence[1]["status"] == "scheduled" and len(sequence) == 2
    # Replies were off in the other: no reset needed.
    assert [p["status"] for p in patches(microsoft, SALES)] == ["scheduled"]

    status = notices("status", "--json").json()
    assert all(c["ok"] and c["state"] == "evacuate" for c in status["channels"])

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr
    after = {SERVICE: microsoft.setting(SERVICE), SALES: microsoft.setting(SALES)}
    assert after == before
    assert notices("status", "--json").json()["mode"] == "normal"
    assert GRAPH_SECRET not in database_text(home)
    assert GRAPH_SECRET not in run.stdout + done.stdout


def test_replies_already_on_are_switched_off_and_on_both_ways(notices, home, microsoft):
    microsoft.add_mailbox(
        SERVICE,
        {
            "status": "alwaysEnabled",
            "externalAudience": "all",
            "internalReplyMessage": "<p>Olemme tavoitettavissa arkisin 8-16.</p>",
            "externalReplyMessage": "<p>We answer on weekdays 8-16.</p>",
        },
    )
    before = microsoft.setting(SERVICE)
    write_config(home, graph_channel(microsoft, [SERVICE]))

    assert notices("power-out", "--yes").exit_code == 0
    evacuated = patches(microsoft, SERVICE)
    assert evacuated[0] == {"status": "disabled"}
    # No expected return: no schedule, replies stay on until resume.
    assert evacuated[1]["status"] == "alwaysEnabled" and "scheduledEndDateTime" not in evacuated[1]
    assert "sähkökatko" in microsoft.setting(SERVICE)["externalReplyMessage"]

    # The same notice again changes nothing at the provider.
    assert notices("power-out", "--yes").exit_code == 0
    assert len(patches(microsoft, SERVICE)) == 2

    assert notices("resume", "--yes").exit_code == 0
    resumed = patches(microsoft, SERVICE)[2:]
    assert resumed[0] == {"status": "disabled"}
    assert resumed[1]["status"] == "alwaysEnabled"
    assert microsoft.setting(SERVICE) == before


def test_429_and_503_are_retried_honouring_retry_after_and_logged(notices, home, microsoft):
    microsoft.add_mailbox(SERVICE)
    write_config(home, graph_channel(microsoft, [SERVICE]))
    microsoft.inject(503, method="PATCH", times=1)

    # The 503 is retried after our own backoff; the 429 that follows after its Retry-After.
    microsoft.inject(429, method="PATCH", times=1, headers={"Retry-After": "1"})

    run = notices("evacuate", "--for", "2h", "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr

    unavailable, refused, accepted = [s for s in microsoft.requests("PATCH")]
    assert (unavailable.status, refused.status, accepted.status) == (503, 429, 200)
    assert accepted.at - refused.at >= 1.0
    retries = [json.loads(r["payload"]) for r in log_records(home, "channel.retry")]
    assert [(r["step"], r["attempt"]) for r in retries] == [("apply", 1), ("apply", 2)]
    assert "temporary problem" in retries[0]["error"] and "503" in retries[0]["error"]
    assert retries[1]["retry_in_s"] == 1
    assert "429" in retries[1]["error"] and "slow down" in retries[1]["error"]
    assert microsoft.setting(SERVICE)["status"] == "scheduled"


def test_401_leaves_the_local_channels_switched_and_exits_1(notices, home, microsoft):
    microsoft.add_mailbox(SERVICE)
    write_config(home, graph_channel(microsoft, [SERVICE]))
    microsoft.inject(401, path_contains="/v1.0/users/", times=10)

    run = notices("evacuate", "--for", "2h", "--yes")
    assert run.exit_code == 1
    assert "did not accept our sign-in" in run.stdout
    assert (home / "site" / "greeting.xml").exists()
    assert (home / "site" / "status.json").exists()
    assert not log_records(home, "channel.retry")  # permanent: not retried
    failed = [json.loads(r["payload"]) for r in log_records(home, "channel.failed")]
    assert [f["transient"] for f in failed] == [False]
    assert microsoft.setting(SERVICE)["status"] == "disabled"


def test_check_reports_credentials_and_permissions(notices, home, microsoft, monkeypatch):
    microsoft.add_mailbox(SERVICE)
    write_config(home, graph_channel(microsoft, [SERVICE]))
    good = notices("check")
    assert good.exit_code == 0, good.stdout
    assert "token OK" in good.stdout and GRAPH_SECRET not in good.stdout

    microsoft.roles = ["MailboxSettings.Read"]
    read_only = notices("check")
    assert read_only.exit_code == 1
    assert "MailboxSettings.ReadWrite" in read_only.stdout and "admin consent" in read_only.stdout

    microsoft.roles = ["MailboxSettings.ReadWrite"]
    monkeypatch.setenv("TEST_GRAPH_SECRET", "wrong")
    wrong = notices("check")
    assert wrong.exit_code == 1
    assert "invalid_client" in wrong.stdout and "TEST_GRAPH_SECRET" in wrong.stdout

    monkeypatch.delenv("TEST_GRAPH_SECRET")
    missing = notices("check")
    assert missing.exit_code == 1 and "TEST_GRAPH_SECRET" in missing.stdout


def test_unknown_mailbox_is_a_plain_permanent_error(notices, home, microsoft):
    write_config(home, graph_channel(microsoft, ["nobody@esimerkki.fi"]))
    run = notices("evacuate", "--yes")
    assert run.exit_code == 1
    assert "knows no mailbox nobody@esimerkki.fi" in run.stdout


def test_the_stand_in_rejects_what_graph_rejects(microsoft, tls):
    microsoft.add_mailbox(SERVICE)
    with httpx.Client(verify=ssl.create_default_context(cafile=tls[0])) as client:
        token = client.post(
            f"{microsoft.url}/{microsoft.tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": next(iter(microsoft.clients)),
                "client_secret": GRAPH_SECRET,
                "scope": "https://graph.microsoft.com/.default",
            },
        ).json()["access_token"]
        url = f"{microsoft.url}/v1.0/users/{SERVICE}/mailboxSettings"

        def patch(setting: dict, bearer: str = token) -> httpx.Response:
            return client.patch(
                url,
                json={"automaticRepliesSetting": setting},
                headers={"Authorization": f"Bearer {bearer}"},
            )

        soon = datetime.now(UTC) + timedelta(hours=1)
        later = soon + timedelta(hours=1)
        assert patch({"status": "onHoliday"}).status_code == 400
        assert (
            patch(
                {"status": "scheduled", "scheduledEndDateTime": {"dateTime": "2030-01-01T00:00:00"}}
            ).status_code
            == 400
        )
        assert (
            patch(
                {
                    "status": "scheduled",
                    "scheduledStartDateTime": graph_time(later),
                    "scheduledEndDateTime": graph_time(soon),
                }
            ).json()["error"]["code"]
            == "ErrorInvalidScheduledOofDuration"
        )
        assert patch({"status": "disabled"}, bearer="forged").status_code == 401
        assert client.get(url + "/automaticRepliesSetting").status_code == 401
        ok = patch(
            {
                "status": "Scheduled",
                "scheduledStartDateTime": graph_time(soon),
                "scheduledEndDateTime": graph_time(later),
            }
        )
        assert (
            ok.status_code == 200 and ok.json()["automaticRepliesSetting"]["status"] == "scheduled"
        )


def discoveries(server) -> int:
    return len(server.requests("GET", "/.well-known/openid-configuration"))


def test_the_tenants_sign_in_metadata_is_fetched_once_a_day(notices, home, microsoft):
    """A command in a new process signs in with one round trip: msal's discovery of the
    tenant's token endpoint is kept in the data folder for a day, as msal keeps it."""
    microsoft.add_mailbox(SERVICE)
    write_config(home, graph_channel(microsoft, [SERVICE]))
    kept = home / "cache" / "microsoft-openid-configuration.json"

    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("extend", "--for", "1h", "--yes").exit_code == 0
    assert discoveries(microsoft) == 1
    # Public metadata only: no secret, no token.
    assert GRAPH_SECRET not in kept.read_text()
    assert "access_token" not in kept.read_text()

    # A day later it is fetched again; a file that cannot be read is a cache missed.
    entries = json.loads(kept.read_text())
    for entry in entries.values():
        entry["fetched"] -= 24 * 3600 + 1
    kept.write_text(json.dumps(entries))
    assert notices("extend", "--for", "1h", "--yes").exit_code == 0
    assert discoveries(microsoft) == 2
    kept.write_text("{not json")
    assert notices("resume", "--yes").exit_code == 0
    assert discoveries(microsoft) == 3
    assert all(setting["status"] == "disabled" for setting in [microsoft.setting(SERVICE)])
