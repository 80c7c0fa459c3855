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


def test_a_time_in_the_spring_gap_is_moved_forward_with_a_note():
    from notices.timeparse import parse_until_explained

    now = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 22:00 EET, the eve of the change
    moment = parse_until_explained("03:30", HELSINKI, now)
    assert moment.utc == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 04:30 EEST
    assert moment.note is not None and "04:30 EEST" in moment.note
    assert parse_until_explained("02:59", HELSINKI, now).note is None
    assert parse_until_explained("04:00", HELSINKI, now).note is None


def test_a_repeated_autumn_time_is_the_first_with_a_note():
    from notices.timeparse import parse_until_explained

    now = datetime(2026, 10, 24, 19, 0, tzinfo=UTC)  # 22:00 EEST, the eve of the change
    moment = parse_until_explained("2026-10-25T03:00", HELSINKI, now)
    assert moment.utc == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 03:00 EEST, not EET
    assert moment.note is not None and "happens twice" in moment.note
    # An explicit offset picks the second one, without a note.
    second = parse_until_explained("2026-10-25T03:00+02:00", HELSINKI, now)
    assert second.utc == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert second.note is None


def test_times_in_words_carry_weekday_and_date_never_today_or_tomorrow():
    from notices.render import when

    now = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # Monday 23:00 in Helsinki
    back = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # Tuesday 09:00
    assert when(back, "fi", HELSINKI, now) == "tiistaina 24.11. klo 9.00"
    assert when(back, "sv", HELSINKI, now) == "tisdagen den 24 november kl. 9.00"
    assert when(back, "en", HELSINKI, now) == "on Tuesday 24 November at 09:00"
    new_year = datetime(2027, 1, 2, 8, 30, tzinfo=UTC)
    assert when(new_year, "fi", HELSINKI, now) == "lauantaina 2.1.2027 klo 10.30"
