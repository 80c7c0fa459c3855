"""The one command, end to end, on the embedded default: through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from sievelib.parser import Parser

from tests.support.log import log_count
from tests.support.site import site_files
from tests.support.terminal import in_a_terminal

BEFORE = {
    "greeting.xml": b'<?xml version="1.0"?><Response><Play>https://example.fi/normal.mp3</Play></Response>\n',
    "status.json": b'{"mode": "normal", "active": false}\n',
    "mail/active.sieve": b'require ["fileinto"];\nif header :contains "subject" "lasku" { fileinto "Laskut"; }\n',
}


def _later() -> str:
    """A return time still ahead: tomorrow's date at 12:00 (a bare clock time that has
    passed today is refused with --yes)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    return f"{datetime.now(ZoneInfo('Europe/Helsinki')) + timedelta(days=1):%Y-%m-%d}T12:00"


LATER = _later()


def put_before(home: Path) -> None:
    for name, content in BEFORE.items():
        path = home / "site" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def test_evacuate_status_resume_restores_exact_previous_artefacts(notices, home):
    put_before(home)
    before = site_files(home)

    run = notices(
        "evacuate", "--for", "4h", "--reason", "Uhkatilanne, rakennus tyhjennetty", "--yes"
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Every channel now shows the evacuate notice." in run.stdout
    assert "expected return:" in run.stdout

    greeting = (home / "site" / "greeting.xml").read_text()
    root = ET.fromstring(greeting)
    said = [(say.get("language"), "".join(say.itertext())) for say in root.iter("Say")]
    assert {language for language, _ in said} == {"fi-FI", "sv-SE", "en-GB"}  # the menu
    assert any("Uhkatilanne, rakennus tyhjennetty." in text for _, text in said)
    assert "Hangup" in [child.tag for child in root]

    sieve = (home / "site" / "mail" / "active.sieve").read_text()
    parser = Parser()
    assert parser.parse(sieve), parser.error
    assert "vacation" in sieve and "Tilapäisesti suljettu" in sieve

    status = notices("status", "--json")
    assert status.exit_code == 0
    report = status.json()
    assert report["mode"] == "evacuate"
    assert report["incident"]
    assert report["expected_return"].endswith("Z")
    assert all(c["ok"] and c["state"] == "evacuate" for c in report["channels"])

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout
    assert "Back to normal on every channel." in done.stdout
    after = site_files(home)
    after.pop("notices.js")  # the banner script stays: pages include it permanently
    assert after == before
    assert notices("status", "--json").json()["mode"] == "normal"


def test_resume_removes_what_was_absent_before_but_leaves_an_inactive_state(notices, home):
    assert notices("evacuate", "--yes").exit_code == 0
    assert (home / "site" / "status.json").exists()
    assert notices("resume", "--yes").exit_code == 0
    after = site_files(home)
    # status.json stays, inactive: an open page reads "no notice" rather than a missing file.
    assert after == {
        "notices.js": after["notices.js"],
        "status.json": b'{"mode": "normal", "active": false}\n',
    }
    assert notices("status", "--json").json()["mode"] == "normal"


def test_dry_run_changes_nothing(notices, home):
    put_before(home)
    before = site_files(home)
    run = notices("evacuate", "--for", "2h", "--dry-run")
    assert run.exit_code == 0
    assert "nothing was changed" in run.stdout
    assert "would change" in run.stdout
    assert site_files(home) == before
    assert log_count(home) == 0


def test_json_output_for_scripts(notices):
    run = notices("power-out", "--until", LATER, "--yes", "--json")
    assert run.exit_code == 0
    data = run.json()
    assert data["mode"] == "power-out" and data["ok"] is True and data["incident"]
    assert {c["name"] for c in data["channels"]} == {"phone", "website", "mail"}
    for channel in data["channels"]:
        assert set(channel) >= {"name", "kind", "ok", "error", "elapsed_ms"}


def test_without_yes_and_without_a_terminal_it_refuses(notices, home):
    run = notices("evacuate")
    assert run.exit_code == 2
    assert "--yes" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_evacuate_twice_keeps_the_original_snapshot(notices, home):
    put_before(home)
    before = site_files(home)
    assert notices("evacuate", "--for", "1h", "--yes").exit_code == 0
    incident = notices("status", "--json").json()["incident"]
    again = notices("power-out", "--for", "3h", "--yes", "--json")
    assert again.exit_code == 0
    assert again.json()["incident"] == incident
    assert notices("resume", "--yes").exit_code == 0
    after = site_files(home)
    after.pop("notices.js")
    assert after == before


def test_second_apply_of_the_same_notice_changes_nothing(notices):
    assert notices("evacuate", "--until", LATER, "--yes").exit_code == 0
    again = notices("evacuate", "--yes", "--json").json()
    assert again["ok"] and not any(c["changed"] for c in again["channels"])


def test_resume_without_incident_is_harmless(notices):
    run = notices("resume", "--yes")
    assert run.exit_code == 0
    assert "nothing to resume" in run.stdout


def test_a_failing_channel_does_not_stop_the_others(notices, home, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    config = tmp_path / "notices.toml"
    config.write_text(
        f"""
[channels.phone]
kind = "local_voice"
[channels.broken]
kind = "local_email"
folder = "{blocker}"
"""
    )
    run = notices("evacuate", "--yes", "--json", "--config", str(config))
    assert run.exit_code == 1
    result = {c["name"]: c for c in run.json()["channels"]}
    assert result["phone"]["ok"] is True
    assert result["broken"]["ok"] is False and result["broken"]["error"]
    assert (home / "site" / "greeting.xml").exists()
    shown = notices("status", "--json", "--config", str(config)).json()
    states = {c["name"]: c["ok"] for c in shown["channels"]}
    assert states == {"phone": True, "broken": False}
    log = notices("log", "show", "--json").stdout
    assert '"kind": "channel.failed"' in log and '"channel": "broken"' in log


def test_custom_mode_from_config(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text(
        """
[modes.network-outage]
title = { fi = "Verkkohäiriö", sv = "Nätverksstörning", en = "Network outage" }
default_reason = { fi = "Meillä on verkkohäiriö.", sv = "Vi har en nätverksstörning.", en = "We have a network outage." }
"""
    )
    run = notices("network-outage", "--for", "1h", "--yes", "--config", str(config))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "Meillä on verkkohäiriö." in (home / "site" / "greeting.xml").read_text()


def test_preview_shows_one_channel_in_one_language(notices, home):
    run = notices("preview", "evacuate", "--channel", "website", "--lang", "sv", "--for", "4h")
    assert run.exit_code == 0
    assert "status.json" in run.stdout and "utrymma kontoret" in run.stdout
    assert "tyhjentämään" not in run.stdout
    assert site_files(home) == {}


def test_init_without_values_then_check_names_each_placeholder(notices, home):
    assert notices("init").exit_code == 0
    assert (home / "notices.toml").exists()
    assert notices("init").exit_code == 2
    run = notices("check")
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "every notice renders" in run.stdout and "NOT OK" in run.stdout
    for problem in (
        "organisation.name is empty (line",
        "organisation.alternative_contact.phone is the example '+358 40 123 4567' (line",
        "organisation.alternative_contact.email is the example",
        "organisation.alternative_contact.web is the example",
    ):
        assert problem in run.stdout, run.stdout
    assert len(notices("check", "--json").json()["placeholders"]) == 4


def test_init_with_values_then_check_passes(notices, home):
    run = notices(
        "init",
        "--org",
        "Kaupunkipalvelu Oy",
        "--phone",
        "+358 9 310 1000",
        "--email",
        "palvelu@kaupunkipalvelu.fi",
        "--web",
        "kaupunkipalvelu.fi/poikkeus",
    )
    assert run.exit_code == 0, run.stdout + run.stderr
    check = notices("check")
    assert check.exit_code == 0, check.stdout
    assert "an evacuation would work" in check.stdout
    # The starter config is used from the data folder by default.
    assert notices("evacuate", "--yes").exit_code == 0
    page = (home / "site" / "notice.html").read_text()
    assert "Kaupunkipalvelu Oy" in page
    assert 'href="tel:+358931010 00"'.replace(" ", "") in page
    assert 'href="mailto:palvelu@kaupunkipalvelu.fi"' in page
    assert 'href="https://kaupunkipalvelu.fi/poikkeus"' in page


def test_init_in_a_terminal_asks_for_the_values(home):
    answers = [
        ("name", "Kaupunkipalvelu Oy"),
        ("call", "+358 9 310 1000"),
        ("write", "palvelu@kaupunkipalvelu.fi"),
        ("website", "kaupunkipalvelu.fi"),
    ]
    code, output = in_a_terminal(home, ["init"], answers)
    assert code == 0, output
    written = (home / "notices.toml").read_text()
    assert 'name = "Kaupunkipalvelu Oy"' in written
    assert 'phone = "+358 9 310 1000"' in written and 'web = "kaupunkipalvelu.fi"' in written
    assert "esimerkki" not in written.split("[channels.phone]")[0].split("[organisation]")[1]


def test_a_contact_per_language_reaches_only_its_language(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text(
        '[organisation]\nname = "Kaupunkipalvelu Oy"\n'
        '[organisation.alternative_contact.fi]\nphone = "+358 9 310 1001"\n'
        '[organisation.alternative_contact.sv]\nphone = "+358 9 310 1002"\n'
        '[organisation.alternative_contact.en]\nemail = "service@kaupunkipalvelu.fi"\n'
    )
    assert notices("check", "--config", str(config)).exit_code == 0
    assert notices("evacuate", "--yes", "--config", str(config)).exit_code == 0
    status = json.loads((home / "site" / "status.json").read_text())
    assert "310 1001" in status["html"]["fi"] and "310 1002" not in status["html"]["fi"]
    assert "310 1002" in status["html"]["sv"] and "310 1001" not in status["html"]["sv"]
    assert "mailto:service@" in status["html"]["en"] and "310 100" not in status["html"]["en"]


def test_check_fails_loudly_when_a_channel_cannot_work(notices, home, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    config = tmp_path / "notices.toml"
    config.write_text(f'[channels.mail]\nkind = "local_email"\nfolder = "{blocker}"\n')
    run = notices("check", "--json", "--config", str(config))
    assert run.exit_code == 1
    report = run.json()
    assert report["ok"] is False
    assert report["channels"][0]["name"] == "mail" and report["channels"][0]["error"]
    assert site_files(home) == {}


def test_relative_and_absolute_home_name_the_same_target(notices, home, monkeypatch):
    """The same folder reached by another path is the same target: resume restores it."""
    put_before(home)
    before = site_files(home)
    monkeypatch.chdir(home.parent)
    assert notices("evacuate", "--yes", "--home", home.name).exit_code == 0
    assert notices("resume", "--yes", "--home", str(home)).exit_code == 0
    after = site_files(home)
    after.pop("notices.js")
    assert after == before


def test_resume_refuses_when_the_configuration_points_elsewhere(notices, home, tmp_path):
    """Never report 'back to normal' while the switched target still shows the notice."""
    other = tmp_path / "elsewhere"
    config = tmp_path / "notices.toml"
    config.write_text('[channels.phone]\nkind = "local_voice"\n')
    assert notices("evacuate", "--yes", "--config", str(config)).exit_code == 0
    config.write_text(f'[channels.phone]\nkind = "local_voice"\nfolder = "{other}"\n')
    run = notices("resume", "--yes", "--json", "--config", str(config))
    assert run.exit_code == 1
    phone = run.json()["channels"][0]
    assert not phone["ok"] and "configuration now points at" in phone["error"]
    assert notices("status", "--json", "--config", str(config)).json()["mode"] == "evacuate"
    again = notices("evacuate", "--yes", "--json", "--config", str(config))
    assert again.exit_code == 1 and "this incident switched" in again.json()["channels"][0]["error"]
    assert not other.exists()


def test_status_after_resume_flags_a_channel_changed_since(notices, home):
    assert notices("evacuate", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    assert notices("status").exit_code == 0
    (home / "site" / "greeting.xml").write_text("<Response><Say>left behind</Say></Response>")
    run = notices("status", "--json")
    assert run.exit_code == 1
    phone = next(c for c in run.json()["channels"] if c["name"] == "phone")
    assert phone["state"] == "differs" and "restored" in phone["error"]


def test_json_counts_attempts_and_provider_calls(notices):
    data = notices("evacuate", "--yes", "--json").json()
    # Every step worked the first time: one attempt; snapshot, apply and read-back: 3 calls.
    assert [c["attempts"] for c in data["channels"]] == [1, 1, 1]
    assert [c["calls"] for c in data["channels"]] == [3, 3, 3]


def test_the_log_names_each_command_and_its_real_attempts(notices, home):
    assert notices("evacuate", "--yes", "--for", "2h").exit_code == 0
    extended = notices("extend", "--yes", "--for", "1h", "--json")
    assert extended.exit_code == 0 and extended.json()["command"] == "extend"
    assert notices("resume", "--yes").exit_code == 0
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    finished = [r["payload"] for r in records if r["kind"] == "command.finished"]
    assert [f["command"] for f in finished] == ["evacuate", "extend", "resume"]
    for payload in finished:
        assert {c["attempts"] for c in payload["channels"]} == {1}, payload


def test_log_commands_on_a_missing_data_folder_fail_clearly(notices, tmp_path):
    run = notices("log", "verify", "--home", str(tmp_path / "typo"))
    assert run.exit_code == 2 and "no evidence log" in run.stderr
    assert not (tmp_path / "typo").exists()
