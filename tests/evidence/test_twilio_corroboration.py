"""Provider-side corroboration: right after each phone switch, Twilio's own record of the
change (a Monitor Event, from the stand-in built to Twilio's Monitor API description) is
stored with the receipt, and the report shows its time beside ours."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from notices.timeparse import from_stamp
from tests.support.pdf import pdf_text, squash
from tests.support.twilio import PN_HOOK, PN_STUDIO, add_numbers, write_config
from tests.support.twilio_standin import Fault

pytestmark = pytest.mark.integration
HELSINKI = ZoneInfo("Europe/Helsinki")


def records(notices, config) -> list[dict]:
    lines = notices("log", "show", "--json", "--config", str(config)).stdout.splitlines()
    return [json.loads(line) for line in lines]


def local(stamp: str) -> str:
    return f"{from_stamp(stamp).astimezone(HELSINKI):%d.%m.%Y %H:%M:%S}"


def test_each_switch_stores_twilios_own_record_and_the_report_shows_both_times(
    notices, tmp_path, twilio, web
):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK, PN_STUDIO])
    assert notices("evacuate", "--for", "2h", "--yes", "--config", str(config)).exit_code == 0
    assert notices("resume", "--yes", "--config", str(config)).exit_code == 0

    events = {e["sid"]: e for e in twilio.events()}
    assert len(events) == 4  # two numbers, switched and restored
    log = records(notices, config)
    receipts = [r for r in log if r["kind"] in ("channel.applied", "channel.restored")]
    phone = [r for r in receipts if r["channel"] == "phone"]
    assert [r["kind"] for r in phone] == ["channel.applied", "channel.restored"]
    seen = set()
    for record in phone:
        for sid in (PN_HOOK, PN_STUDIO):
            update = record["payload"]["confirmation"]["numbers"][sid]
            event = update["twilio_event"]
            assert event, json.dumps(update)
            stored = events[event["sid"]]
            assert stored["resource_sid"] == sid
            assert (
                event["event_type"] == "phone-number.updated" and event["matched"] == "properties"
            )
            assert event["actor_type"] == "account" and event["source"] == "api"
            assert from_stamp(event["event_date"]) == from_stamp(stored["event_date"])
            # What Twilio says changed is what we sent.
            assert set(update["fields"]) <= set(event["properties"])
            assert "voice_url" in event["properties"]
            # Twilio stamped it within moments of our own time for the same change.
            assert (
                abs((from_stamp(event["event_date"]) - from_stamp(update["at"])).total_seconds())
                < 5
            )
            seen.add(event["sid"])
    assert seen == set(events)  # each switch matched to its own event, none twice
    # The Monitor API was asked per number, from just before our switch.
    asked = [q for m, p, q in twilio.state.requests if p == "/v1/Events"]
    assert {q["ResourceSid"] for q in asked} == {PN_HOOK, PN_STUDIO} and len(asked) == 4

    incident = next(r["incident"] for r in log if r["kind"] == "incident.opened")
    folder = tmp_path / "dossier"
    run = notices(
        "log", "export", "--incident", incident, "-o", str(folder), "--config", str(config)
    )
    assert run.exit_code == 0, run.stderr
    text = squash(pdf_text(folder / "report.pdf"))
    assert squash("Palveluntarjoajan oma kirjaus muutoksista") in text
    for record in phone:
        for sid in (PN_HOOK, PN_STUDIO):
            update = record["payload"]["confirmation"]["numbers"][sid]
            ours, theirs = local(update["at"]), local(update["twilio_event"]["event_date"])
            # One row: the number, our time, then the provider's beside it.
            assert squash(f"{sid}{ours}{theirs}") in text
    assert notices("log", "verify", str(folder)).exit_code == 0


def test_a_monitor_api_failure_never_fails_the_switch_and_is_logged_as_missing(
    notices, tmp_path, twilio, web
):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    twilio.inject(Fault("GET", "/v1/Events", status=500, times=100))
    run = notices("evacuate", "--for", "2h", "--yes", "--config", str(config))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert twilio.routing(PN_HOOK, ("voice_url",))["voice_url"].endswith("/greeting.xml")

    log = records(notices, config)
    [applied] = [r for r in log if r["kind"] == "channel.applied" and r["channel"] == "phone"]
    update = applied["payload"]["confirmation"]["numbers"][PN_HOOK]
    assert update["changed"] is True and update["twilio_event"] is None
    assert "500" in update["twilio_event_missing"]
    assert not [r for r in log if r["kind"] in ("channel.failed", "channel.retry")]

    incident = next(r["incident"] for r in log if r["kind"] == "incident.opened")
    folder = tmp_path / "dossier"
    run = notices(
        "log", "export", "--incident", incident, "-o", str(folder), "--config", str(config)
    )
    assert run.exit_code == 0, run.stderr
    assert squash("palveluntarjoaja ei ollut kirjannut muutosta") in squash(
        pdf_text(folder / "report.pdf")
    )
