"""Bad input is one clear paragraph, exit 2, nothing switched and nothing logged; text that
reaches TwiML, HTML, JSON and Sieve comes through intact and inert."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.dovecot import PASSWORD
from tests.support.log import log_count
from tests.support.site import site_files


def refused(run, *words: str) -> None:  # type: ignore[no-untyped-def]
    """Exit 2, one paragraph that says `words`, no traceback."""
    assert run.exit_code == 2, run.stdout + run.stderr
    text = run.stderr.strip()
    assert text.startswith("error:") and "Traceback" not in text, text
    assert "\n\n" not in text, text
    flat = " ".join(text.split())
    for word in words:
        assert word in flat, (word, flat)


def untouched(home: Path) -> None:
    assert site_files(home) == {} and log_count(home) == 0


def test_a_config_that_is_not_utf8_names_the_line(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_bytes(b'timezone = "Europe/Helsinki"\n[organisation]\nname = "Caf\xe9 Oy"\n')
    run = notices("evacuate", "--yes", "--config", str(config))
    refused(run, str(config), "line 3", "not UTF-8")
    untouched(home)


def test_a_config_that_is_not_utf8_is_no_traceback_in_a_real_process(tmp_path, home):
    config = tmp_path / "notices.toml"
    config.write_bytes(b"[modes.h\xe4t\xe4]\n")
    done = subprocess.run(
        [sys.executable, "-m", "notices", "evacuate", "--yes", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "line 1" in done.stderr and "not UTF-8" in done.stderr
    untouched(home)


def test_missing_credentials_stop_every_channel_before_the_switch(
    notices, home, tmp_path, monkeypatch
):
    monkeypatch.delenv("NOTICES_TEST_SIEVE_SECRET", raising=False)
    config = tmp_path / "notices.toml"
    config.write_text(
        """[channels.website]
kind = "local_banner"

[channels.mailbox]
kind = "email_sieve"
host = "127.0.0.1"
username = "palvelu@example.fi"
password_env = "NOTICES_TEST_SIEVE_SECRET"
"""
    )
    run = notices("evacuate", "--yes", "--config", str(config))
    refused(
        run,
        str(config),
        "NOTICES_TEST_SIEVE_SECRET",
        "channels.mailbox.password_env, line 8",
        "Nothing was switched",
    )
    untouched(home)


def test_a_template_with_a_syntax_error_names_file_and_line(notices, home, tmp_path):
    templates = tmp_path / "templates" / "evacuate"
    templates.mkdir(parents=True)
    (templates / "ivr.en.txt.j2").write_text("Hello.\n{{ reason }\nGoodbye.\n")
    config = tmp_path / "notices.toml"
    config.write_text('templates = "templates"\n')
    run = notices("evacuate", "--yes", "--config", str(config))
    refused(run, "ivr.en.txt.j2", "line 2", "not valid")
    untouched(home)


@pytest.mark.parametrize(
    ("until", "words"),
    [
        ("2026-02-30T10:00", ("not a time",)),  # 30 February
        ("24:30", ("not a time of day",)),
    ],
)
def test_times_that_do_not_exist(notices, home, until, words):
    refused(notices("evacuate", "--yes", "--until", until), *words)
    untouched(home)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_a_reason_with_control_characters_is_refused(notices, home, char):
    run = notices("evacuate", "--yes", "--reason", f"Tulipalo{char}[31m kolmannessa kerroksessa")
    refused(run, "--reason", f"U+{ord(char):04X}", "Nothing was switched")
    untouched(home)


def test_line_breaks_and_tabs_in_a_reason_become_spaces(notices, home):
    assert (
        notices("evacuate", "--yes", "--reason", "Tulipalo\n\tkolmannessa\r\nkerroksessa").exit_code
        == 0
    )
    assert "Tulipalo kolmannessa kerroksessa." in (home / "site" / "greeting.xml").read_text()


def test_a_10000_character_reason_is_refused(notices, home):
    run = notices("evacuate", "--yes", "--reason", "x" * 10_000)
    refused(run, "--reason is 10000 characters long", "at most 500", "Nothing was switched")
    untouched(home)
    assert notices("evacuate", "--yes", "--reason", "fi:" + "y" * 500).exit_code == 0


# -- escaping -------------------------------------------------------------------------------

# Everything that could break out of TwiML/XML, HTML, a <script>, JSON or a Sieve string.
NASTY = (
    "<b>Fire</b> & \"smoke\" in 'B' ]]> </script><script>alert(1)</script>"
    ' <!-- x --> \\ \\" \n.\n. text: end.'
)
SAID = " ".join(NASTY.split())  # line breaks become spaces (documented)


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parsed_html(text: str) -> Elements:
    parser = Elements()
    parser.feed(text)
    parser.close()
    return parser


def test_a_nasty_reason_comes_through_every_format_intact_and_inert(notices, home):
    every = [part for lang in ("fi", "sv", "en") for part in ("--reason", f"{lang}:{NASTY}")]
    assert notices("evacuate", "--yes", *every).exit_code == 0
    site = home / "site"

    # On the phone every "/" is said as a pause (a comma), never read out.
    spoken = " ".join(SAID.replace("/", ", ").split()).replace(" ,", ",")
    for name in ("greeting.xml", "greeting.sv.xml", "greeting.en.xml"):
        greeting = ET.fromstring((site / name).read_text("utf-8"))
        says = [" ".join("".join(say.itertext()).split()) for say in greeting.iter("Say")]
        assert any(spoken in said for said in says), (name, says)
        assert {e.tag for e in greeting.iter()} <= {"Response", "Say", "Gather", "Record", "Hangup"}

    for name in ("banner.html", "notice.html"):
        page = parsed_html((site / name).read_text("utf-8"))
        assert not {"script", "b"} & set(page.tags), (name, page.tags)
        assert page.comments == [], name
        assert SAID in " ".join("".join(page.text).split()), name

    status = json.loads((site / "status.json").read_text("utf-8"))
    for lang, fragment in status["html"].items():
        inner = parsed_html(fragment)
        assert inner.tags == ["p"], (lang, inner.tags)
        assert SAID in " ".join("".join(inner.text).split())

    from sievelib.parser import Parser

    script = (site / "mail" / "active.sieve").read_text("utf-8")
    parser = Parser()
    assert parser.parse(script), parser.error
    vacation = _vacation(parser.result)
    body = vacation.arguments["reason"]
    assert SAID in " ".join(body.split()), body


def _vacation(commands):  # type: ignore[no-untyped-def]
    for command in commands:
        if command.name == "vacation":
            return command
        found = _vacation(command.children)
        if found is not None:
            return found
    return None


@pytest.mark.integration
def test_dovecot_accepts_the_nasty_reason_and_replies_with_it_intact(
    notices,
    home,
    tmp_path,
    dovecot,
    smtp_sink,
    monkeypatch,
):
    # The reason first on a line of its own, as a site's template may put it: a line of
    # only "." would end a Sieve multi-line string early if it were not dot-stuffed.
    templates = tmp_path / "templates" / "evacuate"
    templates.mkdir(parents=True)
    for lang in ("fi", "sv", "en"):
        (templates / f"email.{lang}.txt.j2").write_text("Subject: Poikkeus\n\n{{ reason }}\n.\n")
    user = dovecot.add_user(PASSWORD)
    monkeypatch.setenv("NOTICES_TEST_SIEVE_PASSWORD", PASSWORD)
    config = tmp_path / "notices.toml"
    config.write_text(
        f"""templates = "{templates.parent}"
[channels.mailbox]
kind = "email_sieve"
host = "127.0.0.1"
port = {dovecot.sieve_port}
username = "{user}"
password_env = "NOTICES_TEST_SIEVE_PASSWORD"
starttls = false
"""
    )
    reason = ".\n.\n" + NASTY
    run = notices("evacuate", "--yes", "--config", str(config), "--reason", reason)
    assert run.exit_code == 0, run.stdout + run.stderr + dovecot.log()  # PUTSCRIPT accepted
    customer = f"asiakas-{uuid.uuid4().hex[:8]}@asiakas.example"
    dovecot.deliver(customer, user, "Kysymys")
    replies = smtp_sink[0].to(customer)
    assert len(replies) == 1, dovecot.log()
    text = replies[0].text.replace("\r\n", "\n")
    assert text.startswith(". . " + SAID + "\n"), text
    assert text.rstrip().endswith("\n."), text  # the template's own "." line, kept


@pytest.mark.parametrize(
    "nested",
    ["[" * 3000 + "]" * 3000, "{ a = " * 3000 + "1" + " }" * 3000],
    ids=["arrays", "inline-tables"],
)
def test_a_deeply_nested_config_names_the_position(notices, home, tmp_path, nested: str):
    config = tmp_path / "notices.toml"
    config.write_text('timezone = "Europe/Helsinki"\n# [[[[ not counted\nx = ' + nested + "\n")
    for command in (("evacuate", "--yes"), ("resume", "--yes"), ("status",)):
        run = notices(*command, "--config", str(config))
        refused(run, str(config), "line 3, column", "nested more than 32 deep")
    untouched(home)


def test_a_huge_config_is_refused(notices, home, tmp_path):
    config = tmp_path / "notices.toml"
    config.write_text("# padding\n" * 200_000)
    refused(notices("evacuate", "--yes", "--config", str(config)), str(config), "too large")
    untouched(home)
