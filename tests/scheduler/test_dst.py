"""Resume times across Helsinki's daylight-saving changes, through the CLI, with the clock
moved by time-machine (no scheduler runs here: these are the pure time computations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine

HELSINKI_EVE_OF_SPRING = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # Sat 22:00 EET
HELSINKI_EVE_OF_AUTUMN = datetime(2026, 10, 24, 19, 0, tzinfo=UTC)  # Sat 22:00 EEST


def planned(notices, *args: str) -> tuple[str, str, str]:
    run = notices("evacuate", *args, "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    return run.json()["planned_resume"], run.stderr, run.json()["incident"]


def test_last_sunday_of_march_15_00_is_summer_time(notices, home):
    with time_machine.travel(HELSINKI_EVE_OF_SPRING, tick=True):
        # A bare 15:00 at 22:00 would be refused with --yes (passed today): the date says it.
        at, note, _ = planned(notices, "--until", "2026-03-29T15:00")
        # Planned at +02:00, it happens at 15:00 EEST (+03:00), the next day.
        assert at == "2026-03-29T12:00:00.000Z"
        assert "note" not in note
        greeting = (home / "site" / "greeting.en.xml").read_text()
        assert "tomorrow, Sunday, at 3.00 pm" in greeting  # said on the phone
        sieve = (home / "site" / "mail" / "active.sieve").read_text()
        assert 'currentdate :zone "+0300" :value "lt" "iso8601" "2026-03-29T15:00:00+03:00"' in (
            sieve
        )
        status = notices("status", "--json").json()
        assert status["planned_resume"] == at
        assert "29.03.2026 15:00" in notices("status").stdout


def test_a_time_in_the_spring_gap_moves_forward_and_says_so(notices, home):
    with time_machine.travel(HELSINKI_EVE_OF_SPRING, tick=True):
        at, note, _ = planned(notices, "--until", "2026-03-29T03:30")
    assert at == "2026-03-29T01:30:00.000Z"  # 04:30 EEST
    assert "does not exist" in note
    assert "04:30 EEST" in note


def test_last_sunday_of_october_15_00_is_winter_time(notices, home):
    with time_machine.travel(HELSINKI_EVE_OF_AUTUMN, tick=True):
        at, _, _ = planned(notices, "--until", "2026-10-25T15:00")
        assert at == "2026-10-25T13:00:00.000Z"
        status_json = json.loads((home / "site" / "status.json").read_text())
        assert status_json["expires"] == at
        sieve = (home / "site" / "mail" / "active.sieve").read_text()
        assert '"+0200" :value "lt" "iso8601" "2026-10-25T15:00:00+02:00"' in sieve


def test_a_repeated_autumn_time_means_the_first_and_says_so(notices, home):
    with time_machine.travel(HELSINKI_EVE_OF_AUTUMN, tick=True):
        at, _, _ = planned(notices, "--for", "1h")
        run = notices("resume", "--at", "03:30", "--json")
        assert run.exit_code == 0, run.stderr
    assert run.json()["planned_resume"] == "2026-10-25T00:30:00.000Z"  # 03:30 EEST
    assert "happens twice" in run.stderr
    assert "03:30 EEST" in run.stderr
    assert at != run.json()["planned_resume"]


def test_extend_for_across_the_autumn_change_is_elapsed_time(notices, home):
    # 02:30 EEST on the night of the change: two real hours later it is 03:30 EET.
    with time_machine.travel(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), tick=False):
        planned(notices, "--for", "1h")
        # --for adds to the current return: 1h + 1h, two real hours after 02:30 EEST.
        run = notices("extend", "--for", "1h", "--yes", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json()["planned_resume"] == "2026-10-25T01:30:00.000Z"
        greeting = (home / "site" / "greeting.en.xml").read_text()
        assert "today at 3.30 am" in greeting  # said on the phone, the same night
