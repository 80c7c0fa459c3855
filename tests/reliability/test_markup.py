"""Nothing from outside is markup or a terminal command: a provider's error and a provider's
setting with rich markup and control characters in them are shown as text, and the switch
completes with its resume planned, in line output and in the live (terminal) display."""

from __future__ import annotations

import re

import pytest

from tests.support.providers import PHONE, PN, Providers, records
from tests.support.twilio import ACCOUNT

pytestmark = pytest.mark.integration

KINDS = ("twilio_voice", "email_graph")
CRM = "https://ivr:crm-hunter2@crm.example.fi/ivr?x[/y]=1&opts[lang]=fi"
NASTY = "denied [/admin] [bold]loud[/bold] \x1b]0;owned\x07 \x1b[2J \x9b31m end"
CONTROLS = ("\x1b", "\x07", "\x9b")


def hostile(providers: Providers) -> None:
    """The phone number's own setting holds brackets; Microsoft answers with markup and
    terminal controls in its error."""
    providers.twilio.add_number(ACCOUNT, PN, PHONE, voice_url=CRM, voice_method="POST")
    providers.config(KINDS)
    providers.microsoft.inject(
        400,
        path_contains="/v1.0/users/",
        times=1000,
        body={"error": {"code": "ErrorAccessDenied", "message": NASTY}},
    )


def plain(text: str) -> None:
    assert "Traceback" not in text and "MarkupError" not in text, text
    for control in CONTROLS:
        assert control not in text, (control, text)


def test_markup_and_controls_from_a_provider_are_shown_as_text(notices, providers, home):
    hostile(providers)
    for args in (("check",), ("evacuate", "--for", "4h", "--yes", "--dry-run")):
        run = notices(*args)
        plain(run.stdout + run.stderr)
        assert "x[/y]=1" in run.stdout and "opts[lang]" in run.stdout, run.stdout
        # The customer's webhook credentials are not for the screen.
        assert "***@crm.example.fi" in run.stdout and "crm-hunter2" not in run.stdout
    run = notices("evacuate", "--for", "4h", "--yes")
    screen = run.stdout + run.stderr
    assert run.exit_code == 1, screen
    plain(screen)
    flat = " ".join(screen.split())
    assert "✗ m365 (email_graph):" in flat and "denied [/admin] [bold]loud[/bold]" in flat, flat
    # The switch completed: logged to the end, its automatic resume planned.
    assert records(home, "command.finished") and records(home, "resume.scheduled")
    status = notices("status")
    plain(status.stdout + status.stderr)
    assert re.search(r"automatic resume: \d\d\.\d\d\.\d{4}", status.stdout), status.stdout
    assert "[/admin]" in status.stdout


def test_the_live_display_never_stops_a_switch(notices, notices_process, providers, home):
    hostile(providers)
    # A terminal as rich sees one: the live, in-place display.
    process = notices_process(
        "evacuate", "--for", "4h", "--yes", env={"FORCE_COLOR": "1", "TERM": "xterm"}
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert "Traceback" not in out + err and "MarkupError" not in out + err, out + err
    assert "[/admin]" in out, out
    assert records(home, "command.finished") and records(home, "resume.scheduled")
    assert notices("status", "--json").json()["planned_resume"]
