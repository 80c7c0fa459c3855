"""The one command, end to end, on the embedded default: through the CLI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from sievelib.parser import Parser

from tests.support.log import log_count
from tests.support.site import site_files

BEFORE = {
    "greeting.xml": b'<?xml version="1.0"?><Response><Play>https://example.fi/normal.mp3</Play></Response>\n',
    "status.json": b'{"mode": "normal", "active": false}\n',
    "mail/active.sieve": b'require ["fileinto"];\nif header :contains "subject" "lasku" { fileinto "Laskut"; }\n',
}


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
    assert "vacation" in sieve and "Poikkeustilanne" in sieve

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


def test_resume_removes_what_was_absent_before(notices, home):
    assert notices("evacuate", "--yes").exit_code == 0
    assert (home / "site" / "status.json").exists()
    assert notices("resume", "--yes").exit_code == 0
    assert set(site_files(home)) == {"notices.js"}


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
    run = notices("power-out", "--until", "23:59", "--yes", "--json")
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
    assert notices("evacuate", "--until", "23:59", "--yes").exit_code == 0
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
    assert "status.json" in run.stdout and "utrymts" in run.stdout
    assert "tyhjennetty" not in run.stdout
    assert site_files(home) == {}


def test_init_then_check(notices, home):
    assert notices("init").exit_code == 0
    assert (home / "notices.toml").exists()
    assert notices("init").exit_code == 2
    run = notices("check")
    assert run.exit_code == 0, run.stderr
    assert "every notice renders" in run.stdout
    assert "an evacuation would work" in run.stdout
    # The starter config is used from the data folder by default.
    notices("evacuate", "--yes")
    assert "Esimerkki Oy" in (home / "site" / "greeting.xml").read_text()


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


def test_json_counts_provider_calls(notices):
    data = notices("evacuate", "--yes", "--json").json()
    # snapshot, apply and read-back: three calls per channel when nothing fails
    assert [c["attempts"] for c in data["channels"]] == [3, 3, 3]


def test_log_commands_on_a_missing_data_folder_fail_clearly(notices, tmp_path):
    run = notices("log", "verify", "--home", str(tmp_path / "typo"))
    assert run.exit_code == 2 and "no evidence log" in run.stderr
    assert not (tmp_path / "typo").exists()
