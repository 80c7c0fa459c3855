"""Ctrl-C on a switching command: SIGINT sent by the process to itself at a set point
(NOTICES_FAULT_INJECT=interrupt-POINT, notices/faults.py), exactly as a terminal sends it,
against the Twilio stand-in and the local banner and Sieve files (test_crashes' rig)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.test_crashes import FIRST, Rig, build_rig
from tests.support.loopback import WebRoot
from tests.support.providers import records
from tests.support.terminal import CTRL_C, in_a_terminal
from tests.support.twilio_standin import TwilioStandIn

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(twilio: TwilioStandIn, web: WebRoot, home: Path) -> Rig:
    return build_rig(twilio, web, home)


def interrupted(notices_process, *args: str, at: str) -> tuple[str, str]:
    process = notices_process(*args, env={"NOTICES_FAULT_INJECT": f"interrupt-{at}"})
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in out + err, err
    return out, " ".join(err.split())


def test_ctrl_c_mid_switch_says_what_it_means_and_the_command_again_finishes(
    notices, notices_process, rig: Rig
):
    _, said = interrupted(notices_process, "evacuate", "--yes", at=f"after-number:{FIRST}")
    assert "Interrupted: `evacuate` did not finish." in said, said
    assert "`notices status` shows what each channel serves now" in said, said
    assert "`notices evacuate` again completes the switch" in said, said
    # The phone, interrupted between its two numbers, finished the change it had begun.
    assert rig.truth()["phone"] == "incident"
    assert [r["channel"] for r in records(rig.home, "channel.applied")].count("phone") == 1
    assert not records(rig.home, "command.finished")
    assert notices("status", "--json").json()["interrupted"] == "evacuate"
    assert notices("log", "verify").exit_code == 0

    again = notices("evacuate", "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert set(rig.truth().values()) == {"incident"}
    assert notices("status", "--json").json()["interrupted"] is None


def test_ctrl_c_mid_resume_names_resume(notices, notices_process, rig: Rig):
    assert notices("evacuate", "--yes").exit_code == 0
    _, said = interrupted(notices_process, "resume", "--yes", at=f"after-number:{FIRST}")
    assert "Interrupted: `resume` did not finish." in said, said
    assert "`notices resume` again completes it" in said, said
    assert notices("resume", "--yes").exit_code == 0
    assert set(rig.truth().values()) == {"normal"}


def test_ctrl_c_before_the_cli_has_loaded_is_one_line_and_changes_nothing(
    notices, notices_process, rig: Rig
):
    out, said = interrupted(notices_process, "evacuate", "--yes", at="cli-loading")
    assert said == "notices: interrupted before anything was switched or logged.", said
    assert out == ""
    assert set(rig.truth().values()) == {"normal"}
    assert not records(rig.home)


def test_ctrl_c_at_the_question_is_a_no(rig: Rig):
    """On a terminal, without --yes: Ctrl-C while the command asks whether to switch is
    declining, exit 2, as answering no is; never click's bare "Aborted!" with exit 1, which
    would say a channel failed."""
    code, shown = in_a_terminal(rig.home, ["evacuate", "--for", "4h"], [("[y/N]:", CTRL_C)])
    assert code == 2, shown
    assert "Nothing was changed." in shown and "Aborted" not in shown, shown
    assert set(rig.truth().values()) == {"normal"}
    assert not records(rig.home, "command.started")
