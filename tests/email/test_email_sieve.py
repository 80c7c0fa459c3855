"""`email_sieve` end to end through the CLI against a real Dovecot: ManageSieve to switch,
LMTP to deliver, an SMTP sink catching the vacation replies Dovecot sends."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest

from tests.support.dovecot import PASSWORD
from tests.support.site import site_files

pytestmark = pytest.mark.integration

ENV = "NOTICES_TEST_SIEVE_PASSWORD"
# The mailbox's own script, as a webmail would have stored it: invoices into their own
# folder (and nothing else done with them), everything else gets the normal out-of-office.
OWN_SCRIPT = (
    'require ["fileinto", "vacation"];\r\n'
    "# Laskut omaan kansioonsa\r\n"
    'if header :contains "subject" "lasku" {\r\n'
    '    fileinto "Laskut";\r\n'
    "    stop;\r\n"
    "}\r\n"
    'vacation :days 1 :subject "Poissa" "Olen lomalla 1.12. asti. Kiireellisissä asioissa soita.";\r\n'
)
SUBJECT = "Tilapäisesti suljettu / Tillfälligt stängt / Office closed"
REASONS = (
    "--reason", "fi:Rakennuksessa on uhkatilanne",
    "--reason", "sv:Det råder ett hotfullt läge i byggnaden",
    "--reason", "en:There is a threat in the building",
)  # fmt: skip


def write_config(home: Path, port: int, user: str, *, host: str = "127.0.0.1") -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f"""
[organisation]
name = "Testipalvelu Oy"
alternative_contact = "+358 9 310 1000"

[channels.phone]
kind = "local_voice"
[channels.website]
kind = "local_banner"
[channels.mailbox]
kind = "email_sieve"
host = "{host}"
port = {port}
username = "{user}"
password_env = "{ENV}"
starttls = false
""",
        encoding="utf-8",
    )


def subjects(replies) -> list[str]:
    # Dovecot folds a long Subject with a tab; a mail client shows it as one space.
    return [" ".join(str(r.message["Subject"]).split()) for r in replies]


def sender() -> str:
    return f"asiakas-{uuid.uuid4().hex[:8]}@asiakas.example"


def on_disk(dovecot, user: str) -> tuple[str, dict[str, bytes]]:
    """The active script's link target and every stored script's bytes, as Dovecot keeps them."""
    home = dovecot.home(user)
    link = home / ".dovecot.sieve"
    target = str(link.readlink()) if link.is_symlink() else ""
    scripts = {p.name: p.read_bytes() for p in sorted((home / "sieve").glob("*.sieve"))}
    return target, scripts


@pytest.fixture
def mailbox(dovecot, monkeypatch, home):
    """A fresh mailbox with its own active script, and notices.toml pointing at it."""
    user = dovecot.add_user(PASSWORD)
    client = dovecot.sieve_client(user, PASSWORD)
    assert client.putscript("roundcube", OWN_SCRIPT), client.errmsg
    assert client.setactive("roundcube"), client.errmsg
    client.logout()
    monkeypatch.setenv(ENV, PASSWORD)
    write_config(home, dovecot.sieve_port, user)
    return user


def vacation_text(script: str) -> str:
    match = re.search(r"\nvacation [^\n]*text:\n(.*?)\n\.\n;", script, re.DOTALL)
    assert match, script
    return "\n".join(
        line[1:] if line.startswith("..") else line for line in match.group(1).split("\n")
    )


def published_script(notices) -> str:
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    applied = [r for r in records if r["kind"] == "channel.applied" and r["channel"] == "mailbox"]
    return applied[-1]["payload"]["artefacts"]["auto-reply.sieve"]["text"]


def test_evacuate_replies_with_the_notice_keeps_rules_and_resume_restores_exactly(
    notices, dovecot, smtp_sink, mailbox, home
):
    sink, _ = smtp_sink
    before = on_disk(dovecot, mailbox)
    assert before[0] == "sieve/roundcube.sieve"
    # A customer who got the normal out-of-office reply just before the incident.
    early = sender()
    dovecot.deliver(early, mailbox, "Kysymys")
    assert subjects(sink.to(early)) == ["Poissa"]

    run = notices("evacuate", "--for", "4h", *REASONS, "--yes")
    assert run.exit_code == 0, run.stdout + run.stderr + dovecot.log()

    # An invoice during the incident: the emergency reply, and the own rule still files it.
    first = sender()
    dovecot.deliver(first, mailbox, "Lasku 1234")
    replies = sink.to(first)
    assert len(replies) == 1, dovecot.log()
    reply = replies[0]
    assert reply.sender in ("", "<>")  # sent with MAIL FROM:<>
    assert subjects([reply]) == [SUBJECT]
    assert reply.message["Auto-Submitted"].startswith("auto-replied")
    text = reply.text.replace("\r\n", "\n")
    assert text.strip() == vacation_text(published_script(notices)).strip()
    # The safety net: with a return time, the reply is sent only until then.
    assert re.search(
        r'if currentdate :zone "\+0[23]00" :value "lt" "iso8601"', published_script(notices)
    )
    for expected in (
        "Rakennuksessa on uhkatilanne.",
        "Siksi emme juuri nyt pysty vastaamaan viesteihin",
        "Det råder ett hotfullt läge i byggnaden.",
        "There is a threat in the building.",
        "+358 9 310 1000",
    ):
        assert expected in text
    assert "Olen lomalla" not in text
    assert len(dovecot.folder(mailbox, "Laskut")) == 1

    # Another sender, another subject: the emergency reply, not the own out-of-office.
    second = sender()
    dovecot.deliver(second, mailbox, "Kysymys")
    assert subjects(sink.to(second)) == [SUBJECT]
    # ... and the one answered before the incident hears of it too.
    dovecot.deliver(early, mailbox, "Kysymys taas")
    assert subjects(sink.to(early)) == ["Poissa", SUBJECT]

    status = notices("status", "--json").json()
    mail = next(c for c in status["channels"] if c["name"] == "mailbox")
    assert mail["ok"] and mail["state"] == "evacuate", mail

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr

    # Byte for byte what Dovecot had before: the same active link, the same script files.
    assert on_disk(dovecot, mailbox) == before

    # New senders after resume: the own out-of-office again, and invoices filed without reply.
    third = sender()
    dovecot.deliver(third, mailbox, "Kysymys")
    own = sink.to(third)
    assert subjects(own) == ["Poissa"]
    assert "Olen lomalla 1.12. asti." in own[0].text
    fourth = sender()
    dovecot.deliver(fourth, mailbox, "Lasku 5678")
    assert sink.to(fourth) == []
    assert len(dovecot.folder(mailbox, "Laskut")) == 2
    assert notices("status", "--json").json()["mode"] == "normal"


def test_evacuate_again_changes_nothing_and_mailbox_without_script_gets_none_back(
    notices, dovecot, smtp_sink, monkeypatch, home
):
    sink, _ = smtp_sink
    user = dovecot.add_user(PASSWORD)
    monkeypatch.setenv(ENV, PASSWORD)
    write_config(home, dovecot.sieve_port, user)
    assert on_disk(dovecot, user) == ("", {})

    assert notices("evacuate", "--yes").exit_code == 0
    again = notices("evacuate", "--yes", "--json")
    assert again.exit_code == 0
    mail = next(c for c in again.json()["channels"] if c["name"] == "mailbox")
    assert mail["changed"] is False

    someone = sender()
    dovecot.deliver(someone, user, "Hei")
    assert subjects(sink.to(someone)) == [SUBJECT]

    assert notices("resume", "--yes").exit_code == 0
    assert on_disk(dovecot, user) == ("", {})
    later = sender()
    dovecot.deliver(later, user, "Hei")
    assert sink.to(later) == []


def test_unreachable_server_is_retried_then_reported(notices, home, monkeypatch):
    from tests.support.net import free_port

    monkeypatch.setenv(ENV, PASSWORD)
    write_config(home, free_port(), "nobody@esimerkki.fi")
    run = notices("evacuate", "--yes")
    assert run.exit_code == 1
    assert "cannot reach the ManageSieve server" in run.stdout + run.stderr
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    assert len([r for r in records if r["kind"] == "channel.retry"]) == 2


def test_check_reports_the_sieve_channel(notices, dovecot, mailbox, monkeypatch):
    run = notices("check", "--json")
    assert run.exit_code == 0, run.stdout
    mail = next(c for c in run.json()["channels"] if c["name"] == "mailbox")
    assert mail["ok"]
    assert "CHECKSCRIPT" in mail["detail"] and 'active script "roundcube"' in mail["detail"]
    # check switched nothing
    assert on_disk(dovecot, mailbox)[0] == "sieve/roundcube.sieve"
    assert set(on_disk(dovecot, mailbox)[1]) == {"roundcube.sieve"}


def test_server_rejecting_the_script_is_permanent_with_its_message(notices, dovecot, mailbox, home):
    # The active script was broken behind the server's back (edited on disk): Dovecot refuses
    # our composed script, which carries its rules, and we must pass on the server's reason.
    path = dovecot.home(mailbox) / "sieve" / "roundcube.sieve"
    path.write_bytes(path.read_bytes() + b"frobnicate;\r\n")
    run = notices("evacuate", "--yes")
    assert run.exit_code == 1
    output = run.stdout + run.stderr
    assert "refused the auto-reply script" in output and "frobnicate" in output, output
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    assert not [r for r in records if r["kind"] == "channel.retry"]


# Last in this file: Dovecot makes every later login from this address wait longer after a
# failed one, which would slow the tests after it.
def test_wrong_password_fails_the_mailbox_only(notices, dovecot, mailbox, monkeypatch, home):
    monkeypatch.setenv(ENV, "not-the-password")
    before = on_disk(dovecot, mailbox)
    began = time.monotonic()
    run = notices("evacuate", "--yes")
    elapsed = time.monotonic() - began
    assert run.exit_code == 1
    output = run.stdout + run.stderr
    assert "refused the login" in output and ENV in output, notices("log", "show").stdout
    assert "not-the-password" not in output
    # The local channels switched all the same; a refused login is not retried.
    assert {"greeting.xml", "status.json"} <= set(site_files(home))
    assert elapsed < 6, elapsed
    assert on_disk(dovecot, mailbox) == before
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    assert not [r for r in records if r["kind"] == "channel.retry"]
    assert "not-the-password" not in json.dumps(records)

    bad = notices("check")
    assert bad.exit_code == 1
    assert "refused the login" in bad.stdout
    assert "NOT OK" in bad.stdout
