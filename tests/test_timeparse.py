"""Pure time logic: wall-clock times in Europe/Helsinki, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notices.errors import TimeError
from notices.timeparse import expected_return, parse_duration, parse_until

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90m", timedelta(minutes=90)),
        ("4h", timedelta(hours=4)),
        ("1h30m", timedelta(minutes=90)),
        ("45min", timedelta(minutes=45)),
    ],
)
def test_durations(text, delta):
    assert parse_duration(text) == delta


def test_until_today_or_tomorrow():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 14:00 in Helsinki
    assert parse_until("15:30", HELSINKI, now) == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
    assert parse_until("13.00", HELSINKI, now) == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def test_until_across_the_autumn_daylight_saving_change():
    # 25 Oct 2026: clocks go from 04:00 EEST back to 03:00 EET.
    now = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 23:00 EEST
    assert parse_until("09:00", HELSINKI, now) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_iso_time_without_zone_is_local():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_until("2026-11-24T09:00", HELSINKI, now) == datetime(
        2026, 11, 24, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["24:00", "12:60", "", "soon", "2026-13-01T00:00"])
def test_nonsense_times(text):
    with pytest.raises(TimeError):
        parse_until(text, HELSINKI, datetime(2026, 11, 23, tzinfo=UTC))


def test_absurdly_far_is_refused():
    with pytest.raises(TimeError):
        expected_return(None, "900h", HELSINKI)
