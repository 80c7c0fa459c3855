"""The shipped texts: short subjects, times in each locale's written form (Babel)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notices.render import promised

ZONE = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize("mode", ["evacuate", "power-out"])
def test_the_auto_reply_subject_fits_a_mail_clients_line(notices, home, mode):
    assert notices(mode, "--yes", "--for", "2h").exit_code == 0
    sieve = (home / "site" / "mail" / "active.sieve").read_text("utf-8")
    subject = re.search(r':subject "([^"]*)"', sieve)
    assert subject is not None, sieve
    assert len(subject[1]) <= 60, subject[1]
    assert subject[1].count(" / ") == 2  # every language has its own


def test_times_are_written_as_each_locale_writes_them(notices, home):
    moment = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    typed = moment.astimezone(ZONE)
    assert notices("evacuate", "--yes", "--until", f"{typed:%Y-%m-%dT%H:%M}").exit_code == 0
    # Customers are promised the time rounded up to the next five minutes (render.promised).
    local = promised(moment).astimezone(ZONE)
    from babel.dates import format_datetime

    weekday = {lang: format_datetime(local, "EEE", locale=lang) for lang in ("fi", "sv", "en")}
    expected = {
        "fi": f"{weekday['fi']} {local.day}.{local.month}. klo {local.hour}.{local:%M}",
        "sv": f"{weekday['sv']} {local.day}/{local.month} kl. {local.hour}.{local:%M}",
        "en": f"{weekday['en']} {local.day} {local:%b}, {local:%H:%M}",
    }
    site = home / "site"
    for name in ("mail/active.sieve", "banner.html", "notice.html"):
        text = " ".join((site / name).read_text("utf-8").split())
        for lang, written in expected.items():
            assert written in text, (name, lang, written)
