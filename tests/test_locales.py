"""The locale files (notices/locales/<lang>.toml): alike in keys and placeholders, and the API."""

from __future__ import annotations

import string
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notices import locales
from notices.config import Config, builtin_modes
from notices.render import when

REPO = Path(__file__).resolve().parents[1]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_three_languages_have_a_file():
    assert set(locales.languages()) >= {"fi", "sv", "en"}


@pytest.mark.parametrize("lang", [lang for lang in locales.languages() if lang != "en"])
def test_every_key_is_in_every_language_with_the_same_placeholders(lang):
    english, other = locales.texts("en"), locales.texts(lang)
    assert sorted(set(english) - set(other)) == [], f"missing from {lang}.toml"
    assert sorted(set(other) - set(english)) == [], f"in {lang}.toml but not in en.toml"
    differ = {
        key: (placeholders(english[key]), placeholders(other[key]))
        for key in english
        if placeholders(english[key]) != placeholders(other[key])
    }
    assert differ == {}, f"placeholders differ between en.toml and {lang}.toml"


def test_a_text_is_filled_in():
    said = locales.text("fi", "sms.done", command="EVAKUOI 4h")
    assert said == "notices: EVAKUOI 4h tehty."


def test_a_language_without_a_file_speaks_english():
    assert locales.resolve("de") == "en"
    assert locales.text("de", "sms.done", command="X") == locales.text(
        "en", "sms.done", command="X"
    )


def test_a_missing_key_is_an_error_naming_it():
    with pytest.raises(locales.LocaleError, match=r"'sms\.no-such-text'.*fi\.toml"):
        locales.text("fi", "sms.no-such-text")


def test_a_missing_value_is_an_error_naming_the_text():
    with pytest.raises(locales.LocaleError, match=r"'sms\.done'.*command"):
        locales.text("sv", "sms.done")


def test_the_files_are_package_data():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "locales/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["notices"]


def test_built_in_modes_take_their_words_from_the_locales_and_a_site_overrides_them():
    evacuate = builtin_modes()["evacuate"]
    assert evacuate.title["sv"] == locales.text("sv", "modes.evacuate.title")
    assert evacuate.default_reason["fi"] == locales.text("fi", "modes.evacuate.default_reason")
    config = Config.model_validate({"modes": {"evacuate": {"title": {"fi": "Oma otsikko"}}}})
    mode = config.all_modes()["evacuate"]
    assert mode.title["fi"] == "Oma otsikko"
    assert mode.title["en"] == locales.text("en", "modes.evacuate.title")
    assert mode.default_reason == evacuate.default_reason


HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # Monday 23:00 in Helsinki


WEEKS = {
    # Finnish in the essive ("on Monday"), as the templates use it: "palaamme maanantaina".
    "fi": "maanantaina tiistaina keskiviikkona torstaina perjantaina lauantaina sunnuntaina",
    "sv": "måndagen tisdagen onsdagen torsdagen fredagen lördagen söndagen",
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
}


@pytest.mark.parametrize("lang", sorted(WEEKS))
def test_every_weekday_in_the_form_a_notice_says_it(lang):
    monday = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
    for offset, day in enumerate(WEEKS[lang].split()):
        said = when(monday + timedelta(days=offset), lang, HELSINKI, NOW)
        assert said.removeprefix("on ").startswith(f"{day} "), said


def test_the_year_only_when_it_is_not_this_one_in_every_language():
    moment = datetime(2027, 3, 1, 6, 5, tzinfo=UTC)  # Monday 08:05 in Helsinki
    assert when(moment, "fi", HELSINKI, NOW) == "maanantaina 1.3.2027 klo 8.05"
    assert when(moment, "sv", HELSINKI, NOW) == "måndagen den 1 mars 2027 kl. 8.05"
    assert when(moment, "en", HELSINKI, NOW) == "on Monday 1 March 2027 at 08:05"
    this_year = datetime(2026, 12, 1, 6, 5, tzinfo=UTC)
    assert when(this_year, "sv", HELSINKI, NOW) == "tisdagen den 1 december kl. 8.05"


def test_a_language_without_a_file_says_a_moment_in_english():
    moment = datetime(2026, 12, 1, 6, 5, tzinfo=UTC)
    assert when(moment, "de", HELSINKI, NOW) == when(moment, "en", HELSINKI, NOW)
