"""Reasons per language: each language's published text holds its own reason only."""

from __future__ import annotations

import pytest

from notices import locales
from tests.support.log import log_count
from tests.support.published import published
from tests.support.site import site_files


def flat(text: str) -> str:
    return " ".join(text.split())


def default_reason(lang: str) -> str:
    return locales.template(lang, "modes.evacuate.default_reason")


def test_a_reason_without_prefix_is_in_the_first_language_only(notices, home):
    run = notices("evacuate", "--yes", "--reason", "Rakennuksessa on turvallisuusuhka.")
    assert run.exit_code == 0, run.stdout + run.stderr
    for channel, by_lang in published(home).items():
        assert "turvallisuusuhka" in flat(by_lang["fi"]), channel
        for lang in ("sv", "en"):
            assert "turvallisuusuhka" not in by_lang[lang], (channel, lang)
            assert flat(default_reason(lang)) in flat(by_lang[lang]), (channel, lang)


def test_each_language_says_its_own_reason(notices, home):
    run = notices(
        "evacuate",
        "--yes",
        "--reason",
        "fi:Palohälytys",
        "--reason",
        "sv:Brandlarm",
        "--reason",
        "en:A fire alarm",
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    own = {"fi": "Palohälytys", "sv": "Brandlarm", "en": "A fire alarm"}
    for channel, by_lang in published(home).items():
        for lang, text in by_lang.items():
            assert own[lang] in text, (channel, lang)
            others = [other for other_lang, other in own.items() if other_lang != lang]
            assert not any(other in text for other in others), (channel, lang, text)


def test_fi_only_leaves_the_others_their_default(notices, home):
    assert notices("evacuate", "--yes", "--reason", "fi:Palohälytys").exit_code == 0
    for channel, by_lang in published(home).items():
        assert "Palohälytys" in by_lang["fi"], channel
        for lang in ("sv", "en"):
            assert "Palohälytys" not in by_lang[lang], (channel, lang)
            assert flat(default_reason(lang)) in flat(by_lang[lang]), (channel, lang)


def test_a_swedish_reason_alone_is_not_said_in_finnish(notices, home):
    assert notices("evacuate", "--yes", "--reason", "sv:Brandlarm").exit_code == 0
    for channel, by_lang in published(home).items():
        assert "Brandlarm" in by_lang["sv"], channel
        assert "Brandlarm" not in by_lang["fi"] + by_lang["en"], channel
        assert flat(default_reason("fi")) in flat(by_lang["fi"]), channel


@pytest.mark.parametrize(
    ("reasons", "message"),
    [
        (["de:Feueralarm"], "'de' is not one of the configured languages"),
        ([""], "is empty"),
        (["   "], "is empty"),
        (["fi:"], "is empty"),
        (["--yes"], "looks like an option"),
        (["sv:--dry-run"], "looks like an option"),
        (["fi:Palo", "fi:Tulipalo"], "given twice for 'fi'"),
    ],
)
def test_bad_reasons_are_refused_with_nothing_touched(notices, home, reasons, message):
    args = [part for reason in reasons for part in ("--reason", reason)]
    run = notices("evacuate", *args, "--yes")
    assert run.exit_code == 2, run.stdout + run.stderr
    assert message in run.stderr
    assert "Nothing was switched" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_reason_swallowing_yes_is_refused(notices, home):
    """`--reason --yes`: the option is taken as the reason's text; it must not be published."""
    run = notices("evacuate", "--reason", "--yes")
    assert run.exit_code == 2
    assert "looks like an option" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_extend_keeps_each_languages_own_reason(notices, home):
    assert notices("evacuate", "--yes", "--for", "2h", "--reason", "fi:Palohälytys").exit_code == 0
    assert notices("extend", "--yes", "--for", "1h").exit_code == 0
    texts = published(home)
    for channel, by_lang in texts.items():
        assert "Palohälytys" in by_lang["fi"], channel
        assert "Palohälytys" not in by_lang["sv"] + by_lang["en"], channel
