"""Bad input is a clear error (exit 2) before anything is touched."""

from __future__ import annotations

import json

import pytest

from tests.support.log import log_count
from tests.support.site import site_files


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "25:99"], "not a time of day"),
        (["--until", "tomorrowish"], "not a time"),
        (["--until", "2020-01-01T10:00"], "in the past"),
        (["--for", "0m"], "longer than zero"),
        (["--for", "-1h"], "not a duration"),
        (["--for", "4 hours"], "not a duration"),
        (["--for", "4h", "--until", "15:30"], "either --until or --for"),
    ],
)
def test_bad_times_fail_before_any_change(notices, home, args, message):
    run = notices("evacuate", "--yes", *args)
    assert run.exit_code == 2
    assert message in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_unknown_config_key_is_named_with_its_line(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text('timezone = "Europe/Helsinki"\n\n[organisation]\nname = "X"\nnmae = "typo"\n')
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 2
    assert "organisation.nmae (line 5): unknown key" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('timezone = "Mars/Olympus"\n', "unknown time zone"),
        ('languages = ["fi", "suomi"]\n', "two-letter language code"),
        ('[channels.phone]\nkind = "fax"\n', "unknown channel kind 'fax'"),
        (
            '[channels.phone]\nkind = "local_voice"\nvoice = 1\n',
            "channels.phone.voice: unknown key",
        ),
        ("[modes.resume]\n", "cannot name a mode"),
        ("timezone = \n", "not valid TOML"),
    ],
)
def test_bad_config_fails_before_any_change(notices, home, tmp_path, toml, message):
    config = tmp_path / "notices.toml"
    config.write_text(toml)
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 2
    assert message in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_missing_config_file_is_an_error(notices, tmp_path):
    run = notices("status", "--config", str(tmp_path / "nowhere.toml"))
    assert run.exit_code == 2
    assert "cannot read the configuration" in run.stderr


def test_broken_site_template_fails_before_any_change(notices, home, tmp_path):
    templates = tmp_path / "templates" / "evacuate"
    templates.mkdir(parents=True)
    (templates / "banner.sv.html.j2").write_text("<p>{{ reason }} {{ no_such_variable }}</p>")
    config = tmp_path / "notices.toml"
    config.write_text('templates = "templates"\n')
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 2
    assert "evacuate/banner.sv.html.j2" in run.stderr and "no_such_variable" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_site_template_overrides_builtin(notices, home, tmp_path):
    templates = tmp_path / "templates" / "evacuate"
    templates.mkdir(parents=True)
    (templates / "ivr.en.txt.j2").write_text("We have left the building. {{ reason }}")
    config = tmp_path / "notices.toml"
    config.write_text('templates = "templates"\n')
    assert notices("evacuate", "--yes", "--config", str(config)).exit_code == 0
    assert "We have left the building." in (home / "site" / "greeting.en.xml").read_text()


def test_email_template_without_subject_is_a_render_error(notices, home, tmp_path):
    templates = tmp_path / "templates" / "power-out"
    templates.mkdir(parents=True)
    (templates / "email.fi.txt.j2").write_text("Hei, meillä on sähkökatko.\n")
    config = tmp_path / "notices.toml"
    config.write_text('templates = "templates"\n')
    run = notices("power-out", "--yes", "--config", str(config))
    assert run.exit_code == 2
    assert "Subject:" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


CHANNELS = """[organisation]
name = "Kaupunkipalvelu Oy"
[channels.phone]
kind = "local_voice"
[channels.website]
kind = "local_banner"
[channels.mail]
kind = "local_email"
adresses = ["palvelu@kaupunkipalvelu.fi"]
"""


def test_a_broken_channel_section_breaks_only_that_channel(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text(CHANNELS)
    run = notices("evacuate", "--yes", "--json", "--config", str(config))
    assert run.exit_code == 1, run.stdout + run.stderr
    channels = {c["name"]: c for c in run.json()["channels"]}
    assert channels["phone"]["ok"] and channels["website"]["ok"]
    assert not channels["mail"]["ok"]
    assert f"{config}: line 9: channels.mail.adresses: unknown key" in channels["mail"]["error"]
    files = site_files(home)
    assert "greeting.xml" in files and "status.json" in files
    assert "mail/active.sieve" not in files
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    failed = [r for r in records if r["kind"] == "channel.failed"]
    assert [r["channel"] for r in failed] == ["mail"]
    assert "line 9: channels.mail.adresses" in failed[0]["payload"]["error"]
    assert notices("log", "verify").exit_code == 0
    status = notices("status", "--json", "--config", str(config))
    assert status.exit_code == 1
    mail = next(c for c in status.json()["channels"] if c["name"] == "mail")
    assert mail["state"] == "broken" and "channels.mail.adresses" in mail["error"]


def test_when_no_channel_is_valid_nothing_is_touched(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text('[channels.mail]\nkind = "local_email"\nadresses = []\n')
    run = notices("evacuate", "--yes", "--config", str(config))
    assert run.exit_code == 2
    assert "line 3: channels.mail.adresses: unknown key" in run.stderr
    assert "No channel is valid" in run.stderr
    assert site_files(home) == {} and log_count(home) == 0


def test_check_reports_every_broken_channel_at_once(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text(CHANNELS.replace('kind = "local_voice"', 'kind = "local_voice"\nvoise = 1'))
    run = notices("check", "--config", str(config))
    assert run.exit_code == 1
    assert "line 5: channels.phone.voise: unknown key" in run.stdout
    assert "line 10: channels.mail.adresses: unknown key" in run.stdout


def test_check_reports_every_broken_template_at_once(notices, home, tmp_path):
    for mode, name in (("evacuate", "banner.sv.html.j2"), ("power-out", "email.en.txt.j2")):
        folder = tmp_path / "templates" / mode
        folder.mkdir(parents=True)
        (folder / name).write_text("Subject: x\n\n{{ no_such_variable }}\n")
    config = tmp_path / "notices.toml"
    config.write_text('templates = "templates"\n[organisation]\nname = "Kaupunkipalvelu Oy"\n')
    run = notices("check", "--config", str(config))
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "evacuate/banner.sv.html.j2" in run.stdout
    assert "power-out/email.en.txt.j2" in run.stdout
    assert "NOT every notice renders" in run.stdout
