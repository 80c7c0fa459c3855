"""Provider-side ends that hold even if no resume ever runs: the banner hides itself in a real
browser, the Sieve auto-reply stops answering in Dovecot's own interpreter."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sievelib.parser import Parser

from notices.timeparse import from_stamp
from tests.support.serve import iso_in

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SIEVE_TEST = shutil.which("sieve-test")

MESSAGE = (
    "From: customer@example.net\r\nTo: office@example.fi\r\nSubject: Hello\r\n"
    "Message-ID: <1@example.net>\r\n\r\nAre you open?\r\n"
)


def test_status_json_lists_which_channels_end_by_themselves(notices):
    notices("evacuate", "--for", "1h", "--yes")
    status = notices("status", "--json").json()
    assert status["safety_nets"] == {"phone": False, "website": True, "mail": True}
    assert {c["name"]: c["self_expiring"] for c in status["channels"]} == status["safety_nets"]
    assert "no provider-side safety net: phone stays in emergency mode" in notices("status").stdout


def test_without_a_return_time_the_sieve_script_has_no_end(notices, home):
    notices("evacuate", "--yes")
    sieve = (home / "site" / "mail" / "active.sieve").read_text()
    assert "currentdate" not in sieve
    assert Parser().parse(sieve)
    assert json.loads((home / "site" / "status.json").read_text())["expires"] is None


def sieve_test(script: Path, tmp_path: Path) -> str:
    """Pigeonhole's own interpreter (it runs as the dovecot user: give it a readable copy)."""
    folder = Path(tempfile.mkdtemp(prefix="notices-sieve-"))
    folder.chmod(0o777)
    message = folder / "message.eml"
    message.write_text(MESSAGE)
    copy = folder / "active.sieve"
    copy.write_text(script.read_text())
    for path in (message, copy):
        path.chmod(0o644)
    try:
        return _run_sieve_test(copy, message, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_sieve_test(script: Path, message: Path, tmp_path: Path) -> str:
    assert SIEVE_TEST is not None
    run = subprocess.run(
        [
            SIEVE_TEST,
            "-c",
            "/dev/null",
            "-o",
            "mail_uid=dovecot",
            "-o",
            "mail_gid=dovecot",
            "-o",
            "first_valid_uid=1",
            "-o",
            "first_valid_gid=1",
            "-o",
            f"mail_location=maildir:{tmp_path / 'Maildir'}",
            str(script),
            str(message),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.integration
@pytest.mark.skipif(SIEVE_TEST is None, reason="Pigeonhole's sieve-test is not installed")
def test_the_sieve_auto_reply_ends_by_itself_at_the_expected_return(notices, home, tmp_path):
    notices("evacuate", "--for", "1h", "--yes")
    script = home / "site" / "mail" / "active.sieve"
    assert Parser().parse(script.read_text()), "sievelib must parse it too"
    assert "send vacation message" in sieve_test(script, tmp_path)

    # An incident planned to end an hour ago (made yesterday, as far as notices knew),
    # still switched on because no resume ran: the script answers no more.
    notices("resume", "--yes")
    with time_machine.travel(datetime.now(UTC) - timedelta(hours=2), tick=True):
        notices("evacuate", "--for", "1h", "--yes")
    expired = sieve_test(script, tmp_path)
    assert "send vacation message" not in expired
    assert "store message in folder: INBOX" in expired


def dom(url: str) -> str:
    assert CHROMIUM is not None
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            "--virtual-time-budget=1000",
            url,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.integration
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_the_banner_hides_itself_once_the_expected_return_has_passed(serve, notices, home):
    server = serve()
    # Long enough that a busy machine still shows the banner before it expires: Chromium
    # alone can take seconds to start under load.
    returning = notices("evacuate", "--until", iso_in(10), "--yes", "--json").json()[
        "expected_return"
    ]
    # The automatic resume was moved later (or no scheduler runs): the banner must not
    # go on saying "back at ..." once that time has passed.
    assert notices("resume", "--at", iso_in(3600)).exit_code == 0
    assert 'id="notices-banner"' in dom(server.address + "sample.html")
    assert datetime.now(UTC) < from_stamp(returning), "the machine was too slow to see it shown"

    time.sleep(max(0.0, (from_stamp(returning) - datetime.now(UTC)).total_seconds()) + 0.5)
    status_json = json.loads((home / "site" / "status.json").read_text())
    assert status_json["active"] is True
    assert "notices-banner" not in dom(server.address + "sample.html")
