"""The locale files (notices/locales/<lang>.toml): alike in keys and placeholders, and the API."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path

import pytest

from notices import locales
from notices.config import Config, builtin_modes

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
