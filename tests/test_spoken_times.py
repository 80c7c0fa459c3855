"""Times said on the phone as people say them (Babel), and promised rounded up to 5 minutes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from notices.render import promised, spoken
from tests.support.site import site_files

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 1 December, 11.00 in Helsinki


@pytest.mark.parametrize(
    ("moment", "lang", "said"),
    [
        # today
        (datetime(2026, 12, 1, 15, 40, tzinfo=UTC), "fi", "tänään kello 17.40"),
        (datetime(2026, 12, 1, 15, 40, tzinfo=UTC), "sv", "i dag klockan 17.40"),
        (datetime(2026, 12, 1, 15, 40, tzinfo=UTC), "en", "today at 5.40 pm"),
        # tomorrow, with its weekday
        (datetime(2026, 12, 2, 7, 0, tzinfo=UTC), "fi", "huomenna keskiviikkona kello 9.00"),
        (datetime(2026, 12, 2, 7, 0, tzinfo=UTC), "sv", "i morgon, onsdag, klockan 9.00"),
        (datetime(2026, 12, 2, 7, 0, tzinfo=UTC), "en", "tomorrow, Wednesday, at 9.00 am"),
        # next week
        (datetime(2026, 12, 8, 15, 40, tzinfo=UTC), "fi", "tiistaina 8. joulukuuta kello 17.40"),
        (datetime(2026, 12, 8, 15, 40, tzinfo=UTC), "sv", "tisdag den 8 december klockan 17.40"),
        (datetime(2026, 12, 8, 15, 40, tzinfo=UTC), "en", "on Tuesday 8 December at 5.40 pm"),
        # across New Year
        (datetime(2027, 1, 4, 6, 5, tzinfo=UTC), "fi", "maanantaina 4. tammikuuta 2027 kello 8.05"),
        (datetime(2027, 1, 4, 6, 5, tzinfo=UTC), "sv", "måndag den 4 januari 2027 klockan 8.05"),
        (datetime(2027, 1, 4, 6, 5, tzinfo=UTC), "en", "on Monday 4 January 2027 at 8.05 am"),
    ],
)
def test_spoken_times(moment, lang, said):
    assert spoken(moment, lang, HELSINKI, NOW) == said


def test_tomorrow_across_new_year_is_tomorrow():
    eve = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # 22.00 in Helsinki
    moment = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    assert spoken(moment, "fi", HELSINKI, eve) == "huomenna perjantaina kello 8.00"
    assert spoken(moment, "en", HELSINKI, eve) == "tomorrow, Friday, at 8.00 am"


@pytest.mark.parametrize(
    ("exact", "rounded"),
    [
        ((17, 38, 0), (17, 40)),
        ((17, 40, 0), (17, 40)),
        ((17, 40, 1), (17, 45)),
        ((23, 58, 0), (0, 0)),
    ],
)
def test_the_promise_is_rounded_up_to_five_minutes(exact, rounded):
    moment = datetime(2026, 12, 1, *exact, tzinfo=UTC)
    result = promised(moment)
    assert (result.hour, result.minute, result.second) == (*rounded, 0)
    assert result >= moment


def test_the_greeting_says_the_rounded_time_and_the_plan_keeps_the_exact_one(notices, home):
    run = notices("evacuate", "--yes", "--until", "2026-12-08T17:38")
    assert run.exit_code == 0, run.stderr
    files = site_files(home)
    greeting = files["greeting.xml"].decode()
    english = files["greeting.en.xml"].decode()
    assert "tiistaina 8. joulukuuta kello 17.40" in greeting
    assert "on Tuesday 8 December at 5.40 pm" in english
    assert "17.38" not in greeting and "5.38" not in english
    assert "klo 17.40" in files["banner.html"].decode()
    # The plan (and the banner's expiry) keep the exact time.
    assert json.loads(files["status.json"])["expires"] == "2026-12-08T15:38:00.000Z"
