"""Voices that speak the language: the defaults, and a configured voice that cannot is refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from notices.voices import documented, speaks
from tests.support.log import log_count
from tests.support.site import site_files

TWILIO = """
[channels.phone]
kind = "twilio_voice"
numbers = ["+358401234567"]
greeting_url = "https://example.invalid/greeting.xml"
voices = {{ {voices} }}
"""
LOCAL = """
[channels.phone]
kind = "local_voice"
voices = {{ {voices} }}
"""


def says(xml: str) -> list[ET.Element]:
    return list(ET.fromstring(xml).iter("Say"))


def test_the_default_greeting_has_a_voice_for_every_language(notices, home):
    run = notices("evacuate", "--yes", "--reason", "Palohälytys")
    assert run.exit_code == 0, run.stderr
    spoken = says((home / "site" / "greeting.xml").read_text())
    assert {say.get("language") for say in spoken} == {"fi-FI", "sv-SE", "en-GB"}
    for say in spoken:
        assert speaks(say.get("voice", ""), say.get("language", "")), say.attrib
    assert spoken[0].get("voice") == "Polly.Suvi-Neural"


def test_a_configured_voice_overrides_the_default(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text(LOCAL.format(voices='sv = "Polly.Astrid"'))
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 0, run.stderr
    voices = {
        s.get("language"): s.get("voice") for s in says((home / "site/greeting.xml").read_text())
    }
    assert voices["sv-SE"] == "Polly.Astrid" and voices["fi-FI"] == "Polly.Suvi-Neural"


@pytest.mark.parametrize("template", [TWILIO, LOCAL])
@pytest.mark.parametrize("command", [["check"], ["evacuate", "--yes"]])
def test_a_voice_that_cannot_speak_its_language_is_refused(
    notices, home, tmp_path, template, command
):
    config = tmp_path / "notices.toml"
    config.write_text(template.format(voices='fi = "Polly.Joanna"'))
    run = notices(*command, "--config", str(config))
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "'Polly.Joanna' cannot speak 'fi' (it speaks en-US)" in run.stderr
    assert "Polly.Suvi-Neural" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_an_unknown_voice_is_refused(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text(LOCAL.format(voices='sv = "Polly.Nobody"'))
    run = notices("check", "--config", str(config))
    assert run.exit_code == 2
    assert "not a voice" in run.stderr and "Polly.Elin-Neural" in run.stderr


def test_the_table_names_a_language_for_every_voice():
    assert documented()["Polly.Suvi-Neural"] == "fi-FI"
    assert all(tag.count("-") == 1 for tag in documented().values())


def test_the_staff_line_refuses_a_voice_that_cannot_speak_too(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text('[sms.voice]\nvoices = { sv = "Polly.Amy" }\n')
    run = notices("check", "--config", str(config))
    assert run.exit_code == 2
    assert "'Polly.Amy' cannot speak 'sv' (it speaks en-GB)" in run.stderr
