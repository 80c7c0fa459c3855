"""The [sms] section: validated like every other key, keywords read as people type them."""

from __future__ import annotations

import pytest

from notices.config import Config
from notices.errors import TimeError
from notices.staff.sms_words import parse_command

STAFF = {"name": "Maija", "number": "+358401111111"}


def _later_today() -> str:
    """A return time still ahead, as an SMS may give it (a clock time passed today is
    refused): tomorrow at noon, with its date."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    return f"{datetime.now(ZoneInfo('Europe/Helsinki')) + timedelta(days=1):%Y-%m-%d}T12:00"


LATER = _later_today()


def config(**sms: object) -> Config:
    return Config.model_validate({"sms": sms})


@pytest.mark.parametrize(
    ("body", "name", "lang", "until", "for_", "pin"),
    [
        ("EVAKUOI 4h", "evacuate", "fi", None, "4h", None),
        (f"sahkokatko {LATER}", "power-out", "fi", LATER, None, None),
        ("Strömavbrott 1h30m 4711", "power-out", "sv", None, "1h30m", "4711"),
        ("RESUME", "resume", "en", None, None, None),
        ("tila 12345678", "status", "fi", None, None, "12345678"),
        ("STATUS", "status", "en", None, None, None),
    ],
)
def test_commands_are_read_as_typed(body, name, lang, until, for_, pin):
    cfg = config(staff=[STAFF])
    command = parse_command(body, cfg, cfg.sms.staff[0])
    assert command is not None
    assert (command.name, command.lang, command.until, command.for_, command.pin) == (
        name,
        lang,
        until,
        for_,
        pin,
    )
    assert pin is None or pin not in command.typed


def test_a_shared_keyword_speaks_the_persons_language():
    cfg = config(staff=[{**STAFF, "language": "sv"}], keywords={"status": {"sv": "STATUS"}})
    command = parse_command("status", cfg, cfg.sms.staff[0])
    assert command is not None and command.lang == "sv"


def test_nonsense_and_bad_times():
    cfg = config(staff=[STAFF])
    assert parse_command("HELLO", cfg, cfg.sms.staff[0]) is None
    with pytest.raises(TimeError):
        parse_command("EVAKUOI 25:99", cfg, cfg.sms.staff[0])
    with pytest.raises(TimeError):
        parse_command("EVAKUOI 4hours", cfg, cfg.sms.staff[0])
    # A word that is no time starts the reason, which the code message repeats.
    command = parse_command("EVAKUOI huomenna", cfg, cfg.sms.staff[0])
    assert command is not None and command.reason == "huomenna"
    assert command.typed == "EVAKUOI huomenna"
    with pytest.raises(TimeError):
        parse_command("PALAA 17:00", cfg, cfg.sms.staff[0])


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ('enabled = true\nnumber = "+358931234567"\n', "public_url"),
        ('[[sms.staff]]\nname = "A"\nnumber = "0401111111"\n', "E.164"),
        ('[sms.keywords.evacuate]\nfi = "PALAA"\n', "stands for both"),
        ('[sms.keywords.flood]\nfi = "TULVA"\n', "no such mode"),
        ("code_lifetime = 5\n", "unknown key"),
    ],
)
def test_check_names_what_is_wrong(notices, home, section, problem):
    home.mkdir(parents=True)
    text = "[sms]\n" + section if not section.startswith("[") else section
    (home / "notices.toml").write_text(text)
    result = notices("check")
    assert result.exit_code == 2
    assert problem in result.stderr


def test_a_clock_time_already_passed_today_is_refused():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    local = datetime.now(ZoneInfo("Europe/Helsinki"))
    if local.hour == 0 and local.minute < 5:
        pytest.skip("just after midnight: no time of today has passed yet")
    cfg = config(staff=[STAFF])
    passed = f"{local - timedelta(minutes=2):%H:%M}"
    with pytest.raises(TimeError, match="has already passed today"):
        parse_command(f"EVAKUOI {passed}", cfg, cfg.sms.staff[0])
