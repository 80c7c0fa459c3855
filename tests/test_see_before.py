"""See before you publish: per language, the title, the reason, the return time as
customers read it and the greeting's length, in the confirmation, --dry-run and --json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from notices import locales
from notices.render import promised
from tests.support.log import log_count
from tests.support.site import site_files

ZONE = ZoneInfo("Europe/Helsinki")


def _until() -> tuple[str, datetime]:
    moment = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    return f"{moment.astimezone(ZONE):%Y-%m-%dT%H:%M}", moment


def test_dry_run_shows_each_languages_title_reason_return_and_greeting(notices, home):
    until, moment = _until()
    run = notices("evacuate", "--until", until, "--reason", "fi:Palohälytys", "--dry-run")
    assert run.exit_code == 0, run.stderr
    # As customers are promised it: rounded up to the next five minutes (render.promised).
    local = promised(moment).astimezone(ZONE)
    for lang in ("fi", "sv", "en"):
        assert locales.template(lang, "modes.evacuate.title") in run.stdout
    assert "Palohälytys." in run.stdout
    for lang in ("sv", "en"):
        assert " ".join(locales.template(lang, "modes.evacuate.default_reason").split()[:3]) in (
            " ".join(run.stdout.split())
        )
    assert f"klo {local:%-H.%M}" in run.stdout  # fi: 'ti 1.12. klo 17.40'
    assert f"kl. {local:%-H.%M}" in run.stdout  # sv: 'tis 1/12 kl. 17.40'
    assert f"{local:%-d %b}, {local:%H:%M}" in run.stdout  # en: 'Tue 1 Dec, 17:40'
    assert run.stdout.count("characters, about") == 3 and "(an estimate)" in run.stdout
    assert site_files(home) == {} and log_count(home) == 0


def test_json_gives_the_same_as_data(notices, home):
    until, _ = _until()
    run = notices("evacuate", "--until", until, "--reason", "sv:Brandlarm", "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    texts = {view["lang"]: view for view in run.json()["texts"]}
    assert list(texts) == ["fi", "sv", "en"]
    assert texts["sv"]["reason"] == "Brandlarm." and not texts["sv"]["reason_is_default"]
    assert texts["fi"]["reason_is_default"] and "Brandlarm" not in texts["fi"]["reason"]
    assert texts["en"]["title"] == locales.template("en", "modes.evacuate.title")
    for view in texts.values():
        assert view["greeting_characters"] > 50
        assert view["greeting_seconds_estimate"] == round(view["greeting_characters"] / 14)
        assert view["expected_return"]
    real = notices("evacuate", "--until", until, "--reason", "sv:Brandlarm", "--yes", "--json")
    assert real.exit_code == 0
    assert real.json()["texts"] == run.json()["texts"]


def test_the_confirmation_shows_the_texts_before_asking(notices, home):
    run = notices("evacuate", "--for", "2h", "--reason", "fi:Palohälytys")
    # No terminal to ask on: refused, but the texts were shown first.
    assert run.exit_code == 2
    assert "Palohälytys." in run.stdout and "characters, about" in run.stdout
    assert site_files(home) == {} and log_count(home) == 0
