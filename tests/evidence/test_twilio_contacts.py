"""A recorded incident on a Twilio number (the stand-in built to Twilio's OpenAPI
description): the calls it received are collected at resume, exported and verified."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.twilio import ACCOUNT, PN_HOOK, add_numbers, write_config

pytestmark = pytest.mark.integration


def test_calls_during_the_incident_are_collected_at_resume_and_exported(
    notices, tmp_path, twilio, web
):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    assert notices("evacuate", "--for", "2h", "--yes", "--config", str(config)).exit_code == 0
    # The provider's call times have whole seconds: let the incident be a little older.
    time.sleep(2.2)
    now = datetime.now(UTC)
    callers = ["+358401234567", "+358505556677"]
    for n, caller in enumerate(callers):
        twilio.add_call(ACCOUNT, f"CA{n:032x}", "+358401000003", caller, now - timedelta(seconds=n))
    twilio.add_call(  # before the incident: not collected
        ACCOUNT, "CA" + "f" * 32, "+358401000003", "+358409999999", now - timedelta(days=1)
    )
    assert notices("resume", "--yes", "--config", str(config)).exit_code == 0

    records = [
        json.loads(line)
        for line in notices("log", "show", "--json", "--config", str(config)).stdout.splitlines()
    ]
    incident = next(r["incident"] for r in records if r["kind"] == "incident.opened")
    received = [r for r in records if r["kind"] == "contact.received"]
    assert sorted(r["payload"]["provider_id"] for r in received) == [
        "CA" + "0" * 32,
        "CA" + "0" * 31 + "1",
    ]
    assert all(r["payload"]["party"].startswith("hmac-sha256:") for r in received)
    collected = next(r for r in records if r["kind"] == "contacts.collected")
    assert collected["payload"]["channels"]["phone"] == {
        "available": True,
        "received": 2,
        "new": 2,
        "error": None,
    }
    assert "+358401234567" not in json.dumps(records)

    callbacks = notices("callbacks", "--incident", incident, "--config", str(config)).stdout
    assert callbacks.index(callers[0]) < callbacks.index(callers[1])  # newest first

    folder = tmp_path / "dossier"
    run = notices(
        "log", "export", "--incident", incident, "-o", str(folder), "--config", str(config)
    )
    assert run.exit_code == 0, run.stderr
    contacts = (folder / "contacts.csv").read_text("utf-8-sig")
    assert "+358 40 *** **67" in contacts and "+358401234567" not in contacts
    assert notices("log", "verify", str(folder)).exit_code == 0
