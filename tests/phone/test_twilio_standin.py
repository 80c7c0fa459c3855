"""The Twilio channel through the CLI, against the stateful stand-in: switch, restore
exactly, faults, credentials kept secret."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from notices.config import load_config
from notices.orchestrator import build_channels
from tests.support.twilio import (
    ACCOUNT,
    PN_APP,
    PN_HOOK,
    PN_STUDIO,
    PN_TRUNK,
    STUDIO_URL,
    TOKEN,
    add_numbers,
    log_records,
    routing,
    write_config,
)
from tests.support.twilio_standin import Fault

pytestmark = pytest.mark.integration


def assert_secret_kept(home: Path, *outputs: str) -> None:
    for output in outputs:
        assert TOKEN not in output
    for path in home.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_evacuate_then_resume_restores_studio_app_webhook_and_trunk_exactly(
    notices, home, tmp_path, twilio, web
):
    add_numbers(twilio)
    before = {sid: routing(twilio, sid) for sid in (PN_STUDIO, PN_APP, PN_HOOK, PN_TRUNK)}
    config = write_config(
        tmp_path, twilio, web, [PN_STUDIO, "+358401000002", PN_HOOK, "+358401000004"]
    )

    run = notices("evacuate", "--for", "4h", "--yes", "--json", "--config", str(config))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert all(c["ok"] for c in run.json()["channels"])
    greeting_url = f"{web.url}/greeting.xml"
    for sid in before:
        now = routing(twilio, sid)
        assert now["voice_url"] == greeting_url and now["voice_method"] == "GET"
        assert not now["voice_application_sid"] and not now["trunk_sid"]
        # What we do not need to touch stays as it was.
        assert now["voice_fallback_url"] == before[sid]["voice_fallback_url"]
        assert now["status_callback"] == before[sid]["status_callback"]

    served = requests.get(greeting_url, timeout=5)
    assert served.status_code == 200 and "xml" in served.headers["Content-Type"]
    root = ET.fromstring(served.content)
    assert root.tag == "Response"
    says = list(root.iter("Say"))
    assert {s.get("language") for s in says} == {"fi-FI", "sv-SE", "en-GB"}  # with the menu
    assert {s.get("voice") for s in says if s.get("language") == "fi-FI"} == {
        "Google.fi-FI-Standard-B"
    }

    status = notices("status", "--json", "--config", str(config)).json()
    assert status["mode"] == "evacuate" and all(c["ok"] for c in status["channels"])

    posts = sum(1 for method, _, _ in twilio.state.requests if method == "POST")
    again = notices("evacuate", "--yes", "--json", "--config", str(config))
    assert again.exit_code == 0
    assert not any(c["changed"] for c in again.json()["channels"])
    assert sum(1 for method, _, _ in twilio.state.requests if method == "POST") == posts

    done = notices("resume", "--yes", "--config", str(config))
    assert done.exit_code == 0, done.stdout + done.stderr
    after = {sid: routing(twilio, sid) for sid in before}
    assert after == before
    assert not (web.root / "greeting.xml").exists()  # it was not there before either
    assert_secret_kept(home, run.stdout, again.stdout, done.stdout, done.stderr)


def test_a_phone_fault_is_retried_reported_and_leaves_banner_and_email_switched(
    notices, home, tmp_path, twilio, web
):
    add_numbers(twilio)
    twilio.inject(Fault("POST", "IncomingPhoneNumbers", status=500, times=100))
    config = write_config(tmp_path, twilio, web, [PN_STUDIO, PN_HOOK])

    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 1
    assert "Twilio had a server error (HTTP 500)" in run.stdout
    assert (home / "site" / "status.json").exists()
    assert (home / "site" / "mail" / "active.sieve").exists()
    records = log_records(notices, config)
    retries = [r for r in records if r["kind"] == "channel.retry" and r["channel"] == "phone"]
    assert len(retries) == 2 and all(r["payload"]["step"] == "apply" for r in retries)
    failed = [r for r in records if r["kind"] == "channel.failed"]
    assert [r["channel"] for r in failed] == ["phone"] and failed[0]["payload"]["transient"]
    shown = notices("status", "--json", "--config", str(config)).json()
    assert {c["name"]: c["ok"] for c in shown["channels"]} == {
        "phone": False,
        "website": True,
        "mail": True,
    }

    # Once Twilio answers again, running the command again finishes the job.
    twilio.state.faults.clear()
    second = notices("evacuate", "--yes", "--config", str(config))
    assert second.exit_code == 0, second.stdout
    assert routing(twilio, PN_STUDIO)["voice_url"] == f"{web.url}/greeting.xml"
    assert notices("resume", "--yes", "--config", str(config)).exit_code == 0
    assert routing(twilio, PN_STUDIO)["voice_url"] == STUDIO_URL
    assert_secret_kept(home, run.stdout, run.stderr, second.stdout)


def test_429_waits_as_long_as_twilio_says_then_succeeds(notices, home, tmp_path, twilio, web):
    add_numbers(twilio)
    twilio.inject(Fault("POST", PN_HOOK, status=429, times=1, retry_after="1"))
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 0, run.stdout
    retries = [r for r in log_records(notices, config) if r["kind"] == "channel.retry"]
    assert len(retries) == 1
    assert retries[0]["payload"]["retry_in_s"] == 1.0
    assert "HTTP 429" in retries[0]["payload"]["error"]


def test_a_slow_answer_times_out_and_is_retried(notices, home, tmp_path, twilio, web):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK], extra="timeout_s = 0.5")
    # The dry run before the switch reads the number once; the switch's snapshot is slow.
    twilio.inject(Fault("GET", PN_HOOK, status=200, times=2, delay=1.5))
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 0, run.stdout
    retries = [r for r in log_records(notices, config) if r["kind"] == "channel.retry"]
    assert retries and "did not answer within 0.5 s" in retries[0]["payload"]["error"]


def test_wrong_credentials_are_permanent_and_named(
    notices, home, tmp_path, twilio, web, monkeypatch
):
    add_numbers(twilio)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-token")
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 1
    assert "Twilio refused the credentials (HTTP 401)" in run.stdout
    records = log_records(notices, config)
    assert not [r for r in records if r["kind"] == "channel.retry"]
    assert (home / "site" / "status.json").exists()
    assert routing(twilio, PN_HOOK)["voice_url"] == "https://crm.example.fi/ivr"


def test_missing_credentials_say_which_variable(notices, home, tmp_path, twilio, web, monkeypatch):
    add_numbers(twilio)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    run = notices("check", "--config", str(config))
    assert run.exit_code == 1
    assert "TWILIO_AUTH_TOKEN is not set" in run.stdout


def test_an_unknown_number_is_permanent(notices, home, tmp_path, twilio, web):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK, "PN" + "9" * 32, "+358409999999"])
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 1
    assert "does not know PN" + "9" * 32 in run.stdout
    assert "+358409999999 is not a number of this Twilio account" in run.stdout


def test_check_reads_numbers_and_the_greeting_without_switching(
    notices, home, tmp_path, twilio, web
):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_STUDIO, "+358401000003"])
    first = notices("check", "--config", str(config))
    assert first.exit_code == 0, first.stdout
    assert "credentials work; 2 number(s) found" in first.stdout
    assert "not published yet" in first.stdout
    assert not [r for r in twilio.state.requests if r[0] == "POST"]

    (web.root / "greeting.xml").write_text("<html><body>oops</body></html>")
    broken = notices("check", "--config", str(config))
    assert broken.exit_code == 1
    assert "not TwiML" in broken.stdout

    (web.root / "greeting.xml").write_text("<Response><Say>half")
    assert "not valid XML" in notices("check", "--config", str(config)).stdout

    wrong_type = write_config(tmp_path, twilio, web, [PN_STUDIO])
    wrong_type.write_text(wrong_type.read_text().replace("greeting.xml", "greeting.txt"))
    (web.root / "greeting.txt").write_text("<Response><Hangup/></Response>")
    typed = notices("check", "--config", str(wrong_type))
    assert typed.exit_code == 1 and "Twilio needs text/xml" in typed.stdout


def test_record_offer_publishes_the_after_message_twiml(notices, home, tmp_path, twilio, web):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK], extra="record = { max_length = 90 }")
    assert notices("evacuate", "--yes", "--config", str(config)).exit_code == 0
    root = ET.fromstring((web.root / "greeting.xml").read_bytes())
    record = root.find("Record")
    assert record is not None and record.get("maxLength") == "90"
    action = requests.get(record.get("action") or "", timeout=5)
    assert action.status_code == 200
    assert ET.fromstring(action.content).find("Hangup") is not None
    assert notices("resume", "--yes", "--config", str(config)).exit_code == 0
    assert not (web.root / "greeting-recorded.xml").exists()


def test_a_forward_number_that_is_not_e164_is_a_configuration_error(notices, tmp_path, twilio, web):
    config = write_config(
        tmp_path, twilio, web, [PN_HOOK], extra='forward_to = { evacuate = "040 123 4567" }'
    )
    # The phone's own section is broken: check reports it (with the others), exit 1.
    run = notices("check", "--config", str(config))
    said = " ".join(run.stdout.split())  # the screen wraps at 80 columns wherever it falls
    assert run.exit_code == 1 and "'040 123 4567' is not an E.164 number" in said
    assert "forward_to.evacuate" in said  # the error names the mode whose number it is


def test_contacts_lists_inbound_calls_in_the_window(tmp_path, twilio, web):
    add_numbers(twilio)
    moments = {
        "CA" + "1" * 32: datetime(2026, 11, 23, 21, 59, 59, tzinfo=UTC),  # in
        "CA" + "2" * 32: datetime(2026, 11, 23, 22, 30, tzinfo=UTC),  # in, next UTC day
        "CA" + "3" * 32: datetime(2026, 11, 23, 8, 0, tzinfo=UTC),  # same day, before
        "CA" + "4" * 32: datetime(2026, 11, 25, 9, 0, tzinfo=UTC),  # after
    }
    for sid, moment in moments.items():
        twilio.add_call(ACCOUNT, sid, "+358401000003", "+358501112233", moment)
    twilio.add_call(
        ACCOUNT,
        "CA" + "5" * 32,
        "+358401000003",
        "+358501112233",
        datetime(2026, 11, 23, 21, 0, tzinfo=UTC),
        direction="outbound-api",
    )
    twilio.add_call(
        ACCOUNT,
        "CA" + "6" * 32,
        "+358401000001",
        "+358509999999",
        datetime(2026, 11, 23, 21, 0, tzinfo=UTC),
    )
    for n in range(120):  # enough for a second page
        twilio.add_call(
            ACCOUNT,
            f"CA{n:032x}",
            "+358401000003",
            "+358500000000",
            datetime(2026, 11, 24, 0, 0, n % 60, tzinfo=UTC),
        )
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    (channel,) = [c for c in build_channels(load_config(config), tmp_path) if c.name == "phone"]
    found = channel.contacts("2026-11-23T21:00:00.000Z", "2026-11-24T06:00:00.000Z")
    assert found is not None
    ids = [c.provider_id for c in found]
    assert "CA" + "1" * 32 in ids and "CA" + "2" * 32 in ids
    assert not {"CA" + "3" * 32, "CA" + "4" * 32, "CA" + "5" * 32, "CA" + "6" * 32} & set(ids)
    assert len(ids) == 122
    first = found[0]
    assert first.kind == "call" and first.channel == "phone"
    assert first.at == "2026-11-23T21:59:59.000Z" and first.party == "+358501112233"
    calls = [r for r in twilio.state.requests if r[1].endswith("/Calls.json")]
    assert calls[0][2]["StartTime>"] == "2026-11-23" and calls[0][2]["To"] == "+358401000003"
