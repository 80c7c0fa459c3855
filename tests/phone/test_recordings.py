"""A caller's message: fetched from Twilio's Recordings API with the incident's calls (nothing
on the call's path needs `notices serve`), stored as an incident contact with its length and
link, listed by `notices callbacks` and in the dossier, erased by `purge-personal`."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from notices.evidence.export import spreadsheet_value
from tests.support.log import store_bytes
from tests.support.twilio import ACCOUNT, PN_HOOK, add_numbers, write_config

pytestmark = pytest.mark.integration

CALLER = "+358501112233"
OTHER = "+358509998877"
CALL = "CA" + "a" * 32
ELSEWHERE = "CA" + "b" * 32
MESSAGE = "RE" + "c" * 32
NOT_OURS = "RE" + "d" * 32
LINK = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{MESSAGE}"


def run_incident(notices, config: str) -> str:
    status = notices("log", "show", "--json", "--config", config).stdout.splitlines()
    return next(json.loads(line)["incident"] for line in status if json.loads(line)["incident"])


def contacts_csv(folder) -> list[dict[str, str]]:
    rows = csv.DictReader(io.StringIO((folder / "contacts.csv").read_text("utf-8-sig")))
    # Cells are made safe for spreadsheets on export ('+358… is written '+358…): undone.
    return [{key: spreadsheet_value(value) for key, value in row.items()} for row in rows]


def test_a_message_left_during_the_incident_is_a_contact_until_purged(
    notices, home, tmp_path, twilio, web
):
    add_numbers(twilio)
    config = str(write_config(tmp_path, twilio, web, [PN_HOOK]))
    run = notices("evacuate", "--for", "4h", "--yes", "--config", config)
    assert run.exit_code == 0, run.stdout + run.stderr
    # Twilio's times are whole seconds: a call in the next whole second, before the resume.
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep((now - datetime.now(UTC)).total_seconds() + 0.05)
    twilio.add_call(ACCOUNT, CALL, "+358401000003", CALLER, now)
    twilio.add_recording(ACCOUNT, MESSAGE, CALL, now, 37)
    # A message left on another number of the account is not this incident's.
    twilio.add_call(ACCOUNT, ELSEWHERE, "+358401000001", OTHER, now)
    twilio.add_recording(ACCOUNT, NOT_OURS, ELSEWHERE, now + timedelta(seconds=5), 12)

    done = notices("resume", "--yes", "--config", config)
    assert done.exit_code == 0, done.stdout + done.stderr
    asked = [q for _, path, q in twilio.state.requests if path.endswith("/Recordings.json")]
    assert len(asked) == 1 and "DateCreated>" in asked[0]

    listed = notices("callbacks", "--config", config)
    assert listed.exit_code == 0, listed.stderr
    assert CALLER in listed.stdout and "call, message" in listed.stdout
    # On screen, the account SID inside the link is masked like every credential value.
    assert f"37 s: {LINK.replace(ACCOUNT, '[secret]')}" in listed.stdout
    assert OTHER not in listed.stdout and NOT_OURS not in listed.stdout
    people = notices("callbacks", "--json", "--config", config).json()
    assert people[0]["messages"][0]["duration_s"] == 37
    incident = ["--incident", run_incident(notices, config)]

    full = tmp_path / "full"
    exported = notices(
        "log", "export", *incident, "-o", str(full), "--include-personal", "--config", config
    )
    assert exported.exit_code == 0, exported.stderr
    [message] = [row for row in contacts_csv(full) if row["contact"] == "message"]
    assert message["duration"] == "37" and message["recording"] == LINK
    assert message["party"] == CALLER
    masked = tmp_path / "masked"
    assert notices("log", "export", *incident, "-o", str(masked), "--config", config).exit_code == 0
    assert LINK not in (masked / "contacts.csv").read_text("utf-8-sig")

    def file_bytes() -> bytes:
        return store_bytes(home)

    assert LINK.encode() in file_bytes()  # the test can fail: it was there
    purged = notices("log", "purge-personal", "--older-than", "0d", "--yes")
    assert purged.exit_code == 0, purged.stderr
    assert LINK.encode() not in file_bytes() and CALLER.encode() not in file_bytes()
    after = notices("callbacks", "--config", config).stdout
    assert "37 s: (erased)" in after and LINK not in after
    assert notices("log", "verify").exit_code == 0
