"""`extend` never shortens by surprise; a bare --until already passed today is not tomorrow
by surprise either."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.log import log_count
from tests.support.site import site_files
from tests.support.terminal import in_a_terminal

ZONE = ZoneInfo("Europe/Helsinki")


def returning(notices) -> datetime:  # type: ignore[no-untyped-def]
    stamp = notices("status", "--json").json()["expected_return"]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def iso(moment: datetime) -> str:
    return f"{moment.astimezone(ZONE):%Y-%m-%dT%H:%M}"


def test_extend_for_adds_to_the_current_return(notices, home):
    planned = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    assert notices("evacuate", "--yes", "--until", iso(planned)).exit_code == 0
    assert returning(notices) == planned
    run = notices("extend", "--yes", "--for", "30m", "--json")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert returning(notices) == planned + timedelta(minutes=30)
    assert run.json()["previous_return"] == planned.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_extend_until_earlier_needs_earlier(notices, home):
    planned = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    assert notices("evacuate", "--yes", "--until", iso(planned)).exit_code == 0
    records = log_count(home)
    sooner = planned - timedelta(hours=1)
    run = notices("extend", "--yes", "--until", iso(sooner))
    assert run.exit_code == 2
    assert "earlier than the current expected return" in run.stderr
    assert "--earlier" in run.stderr
    assert returning(notices) == planned and log_count(home) == records
    assert notices("extend", "--yes", "--until", iso(sooner), "--earlier").exit_code == 0
    assert returning(notices) == sooner


def test_extend_shows_the_old_and_the_new_return(notices, home):
    planned = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    assert notices("evacuate", "--yes", "--until", iso(planned)).exit_code == 0
    run = notices("extend", "--for", "1h", "--dry-run")
    assert run.exit_code == 0
    old = f"{planned.astimezone(ZONE):%d.%m.%Y %H:%M}"
    new = f"{(planned + timedelta(hours=1)).astimezone(ZONE):%d.%m.%Y %H:%M}"
    assert f"expected return: {old} (Europe/Helsinki) -> {new}" in run.stdout
    assert returning(notices) == planned


def _passed_clock() -> str:
    local = datetime.now(ZONE)
    if local.hour == 0 and local.minute < 5:
        pytest.skip("just after midnight: no time of today has passed yet")
    return f"{local - timedelta(minutes=2):%H:%M}"


def test_a_passed_time_with_yes_is_refused(notices, home):
    run = notices("evacuate", "--yes", "--until", _passed_clock())
    assert run.exit_code == 2
    assert "has already passed today" in run.stderr and "Nothing was switched" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_a_passed_time_in_a_terminal_asks_whether_tomorrow_is_meant(home):
    code, output = in_a_terminal(home, ["evacuate", "--until", _passed_clock()], [("[y/N]", "n")])
    assert "has already passed today" in output and "Is tomorrow meant?" in output, output
    assert code == 2, output
    assert site_files(home) == {} and log_count(home) == 0
