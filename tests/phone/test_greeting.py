"""The greeting built for the ear, through the real `local_voice` and `twilio_voice` channels:
voices that speak each language, nothing spelled out, a language menu that works on a static
host (GET, one document per language), a message by default, the on-call number per mode."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notices.channels.twilio_voice import TwilioVoice
from notices.config import load_config
from notices.orchestrator.setup import build_channels
from notices.render import Renderer
from notices.voices import speaks
from tests.support.greeting import LONG_REASONS, fetch, press, spoken
from tests.support.twilio import PN_HOOK, add_numbers, routing, write_config

MODES = ("evacuate", "power-out")
CONTACT = "09 123 4567 / asiakaspalvelu@esimerkki.fi / https://www.esimerkki.fi/tiedote"
LOCAL = """
languages = [{languages}]
[organisation]
name = "Esimerkki Oy"
alternative_contact = "{contact}"
[channels.phone]
kind = "local_voice"
folder = "{folder}"
{extra}
"""
TWILIO = """
languages = [{languages}]
[organisation]
name = "Esimerkki Oy"
alternative_contact = "{contact}"
[channels.phone]
kind = "twilio_voice"
numbers = ["+358401234567"]
greeting_url = "https://greeting.example/phone/greeting.xml"
{extra}
"""


def reasons() -> list[str]:
    return [f"--reason={lang}:{text}" for lang, text in LONG_REASONS.items()]


def back() -> datetime:
    """The promised return: three days on at 17.38 in Helsinki (said as '... kello 17.40',
    the long form; today and tomorrow are shorter), so the measure does not depend on when
    the test runs."""
    helsinki = ZoneInfo("Europe/Helsinki")
    day = datetime.now(helsinki).date() + timedelta(days=3)
    return datetime(day.year, day.month, day.day, 17, 38, tzinfo=helsinki)


def publish_local(
    notices, tmp_path: Path, folder: Path, mode: str, languages, extra="", contact=CONTACT
) -> None:
    config = tmp_path / "notices.toml"
    quoted = ", ".join(f'"{lang}"' for lang in languages)
    config.write_text(
        LOCAL.format(languages=quoted, contact=contact, folder=folder, extra=extra), "utf-8"
    )
    until = back().strftime("%Y-%m-%dT%H:%M")
    run = notices(mode, "--yes", "--until", until, "--config", str(config), *reasons())
    assert run.exit_code == 0, run.stderr


def build_twilio(tmp_path: Path, mode: str, languages, extra="") -> dict[str, str]:
    """The documents the real twilio_voice channel builds (build touches no provider)."""
    config_file = tmp_path / "notices.toml"
    quoted = ", ".join(f'"{lang}"' for lang in languages)
    config_file.write_text(TWILIO.format(languages=quoted, contact=CONTACT, extra=extra), "utf-8")
    config = load_config(config_file)
    [channel] = build_channels(config, tmp_path / "home")
    assert isinstance(channel, TwilioVoice)
    now = datetime.now(UTC)
    notice = Renderer(config).render(
        mode, "ivr", reasons=LONG_REASONS, started=now, expected_return=back()
    )
    return channel.build(notice).files


def check_the_ear(documents: dict[str, ET.Element]) -> None:
    for name, root in documents.items():
        for said in spoken(root, until="-"):
            assert speaks(said.voice, said.language), (name, said)
            for spelled in ("@", "/", "http", "www."):
                assert spelled not in said.text, (name, said.text)


@pytest.mark.parametrize("mode", MODES)
def test_local_voice_greeting_is_for_the_ear_and_its_menu_works_on_a_static_host(
    notices, tmp_path, web, mode
):
    publish_local(notices, tmp_path, web.root, mode, ("fi", "sv", "en"))
    names = sorted(path.name for path in web.root.glob("*.xml"))
    assert names == [
        "greeting-recorded.en.xml",
        "greeting-recorded.fi.xml",
        "greeting-recorded.sv.xml",
        "greeting.en.xml",
        "greeting.sv.xml",
        "greeting.xml",
    ]
    url = f"{web.url}/greeting.xml"
    first = fetch(url)
    check_the_ear({name: ET.parse(web.root / name).getroot() for name in names})
    # The first language at once, then the others offered, each in its own voice.
    opening, *offers = spoken(first)[:3]
    assert opening.language == "fi-FI" and opening.voice == "Polly.Suvi-Neural"
    assert [(o.language, o.text) for o in offers] == [
        ("sv-SE", "På svenska, tryck 2."),
        ("en-GB", "For English, press 3."),
    ]
    gathers = [child for child in first if child.tag == "Gather"]
    assert [g.get("numDigits") for g in gathers] == ["1", "1"]
    for gather, (digit, language) in zip(gathers, [("2", "sv-SE"), ("3", "en-GB")], strict=True):
        block = press(url, gather, digit)
        said = spoken(block)
        assert said[0].language == language and "Esimerkki Oy" in said[0].text
        assert {s.language for s in said} == {language, "fi-FI", "en-GB", "sv-SE"}
        # Its own message offer, and a thank-you in the caller's language.
        record = block.find("Record")
        assert record is not None and record.get("playBeep") == "true"
        thanks = fetch(f"{web.url}/{record.get('action')}", {"RecordingUrl": "x"})
        assert spoken(thanks)[0].language == language
    # The phone number in digit groups; the website by name.
    rest = ET.tostring(first, encoding="unicode")
    assert '<say-as interpret-as="telephone">09 123 4567</say-as>' in rest
    record = first.find("Record")
    assert record is not None and record.get("maxLength") == "120"


@pytest.mark.parametrize("mode", MODES)
def test_twilio_voice_builds_the_same_kind_of_greeting(tmp_path, mode):
    files = build_twilio(tmp_path, mode, ("fi", "sv", "en"))
    documents = {name: ET.fromstring(text) for name, text in files.items()}
    check_the_ear(documents)
    first = documents["greeting.xml"]
    actions = [g.get("action") for g in first.iter("Gather")]
    assert actions == [
        "https://greeting.example/phone/greeting.sv.xml",
        "https://greeting.example/phone/greeting.en.xml",
    ]
    assert first.find("Record").get("action") == (
        "https://greeting.example/phone/greeting-recorded.fi.xml"
    )


def test_record_false_turns_messages_off(notices, tmp_path, web):
    publish_local(notices, tmp_path, web.root, "evacuate", ("fi", "sv", "en"), "record = false")
    assert not list(web.root.glob("greeting-recorded.*"))
    for name in ("greeting.xml", "greeting.sv.xml", "greeting.en.xml"):
        root = ET.parse(web.root / name).getroot()
        assert root.find("Record") is None and root[-1].tag == "Hangup"
    twilio = build_twilio(tmp_path, "evacuate", ("fi", "sv", "en"), "record = false")
    assert all(ET.fromstring(text).find("Record") is None for text in twilio.values())


def test_forward_to_dials_the_mode_s_on_call_number(notices, tmp_path, web):
    extra = 'forward_to = { evacuate = "+358407654321" }\nforward_timeout = 20'
    publish_local(notices, tmp_path, web.root, "evacuate", ("fi", "sv", "en"), extra)
    url = f"{web.url}/greeting.xml"
    first = fetch(url)
    forward = [g for g in first.iter("Gather") if "forward" in (g.get("action") or "")]
    assert len(forward) == 1
    assert spoken(forward[0])[0].text == "Päivystäjälle pääset painamalla 0."
    dialled = press(url, forward[0], "0")
    dial = dialled.find("Dial")
    assert dial is not None and dial.get("timeout") == "20"
    assert dial.findtext("Number") == "+358407654321"
    # Nobody answers: the caller can leave a message.
    assert [c.tag for c in dialled][-2:] == ["Record", "Hangup"]
    # power-out has no on-call number: no offer, no forward documents.
    twilio = build_twilio(tmp_path, "power-out", ("fi", "sv", "en"), extra)
    assert not any("forward" in name for name in twilio)
    assert all(ET.fromstring(t).find("Dial") is None for t in twilio.values())


def test_no_address_url_or_slash_is_said_and_the_website_is_named(notices, tmp_path, web):
    config = tmp_path / "notices.toml"
    config.write_text(
        LOCAL.format(
            languages='"fi", "en"',
            contact="https://www.esimerkki.fi / asiakaspalvelu@esimerkki.fi",
            folder=web.root,
            extra="",
        ),
        "utf-8",
    )
    reason = "Katso www.esimerkki.fi/tiedote tai kirjoita osoitteeseen info@esimerkki.fi."
    run = notices("evacuate", "--yes", "--config", str(config), f"--reason=fi:{reason}")
    assert run.exit_code == 0, run.stderr
    documents = {p.name: ET.parse(p).getroot() for p in web.root.glob("*.xml")}
    check_the_ear(documents)
    said = " ".join(s.text for s in spoken(documents["greeting.xml"]))
    assert "Katso verkkosivumme tai kirjoita osoitteeseen verkkosivumme." in said
    assert "Lisätietoja on verkkosivuillamme." in said


@pytest.mark.integration
def test_twilio_voice_menu_followed_as_twilio_would(notices, tmp_path, twilio, web):
    add_numbers(twilio)
    config = write_config(tmp_path, twilio, web, [PN_HOOK])
    run = notices("evacuate", "--for", "2h", "--yes", "--config", str(config), *reasons())
    assert run.exit_code == 0, run.stdout + run.stderr
    url = routing(twilio, PN_HOOK)["voice_url"]
    first = fetch(url)
    check_the_ear({"greeting.xml": first})
    gathers = list(first.iter("Gather"))
    english = press(url, gathers[1], "3")
    said = spoken(english)
    assert said[0].language == "en-GB" and said[0].voice == "Polly.Amy-Neural"
    assert LONG_REASONS["en"] in " ".join(s.text for s in said)
    thanks = fetch(english.find("Record").get("action"), {"RecordingUrl": "x", "Digits": "#"})
    assert spoken(thanks)[0].text == "Thank you for your message. Goodbye."
