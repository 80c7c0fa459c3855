"""Races and crashes, with real separate processes."""

from __future__ import annotations

import json
import signal

from tests.support.site import site_files


def test_two_evacuations_at_once_leave_one_incident_and_a_valid_chain(
    notices, notices_process, home
):
    processes = [notices_process("evacuate", "--for", "1h", "--yes", "--json") for _ in range(2)]
    results = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    incidents = {json.loads(out)["incident"] for out, _ in results}
    assert len(incidents) == 1
    assert notices("log", "verify").exit_code == 0
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    assert [r["kind"] for r in records].count("incident.opened") == 1
    assert [r["kind"] for r in records].count("channel.snapshot") == 3


def test_crash_after_snapshot_then_resume_restores_the_original(notices, notices_process, home):
    greeting = home / "site" / "greeting.xml"
    greeting.parent.mkdir(parents=True)
    greeting.write_text("<Response><Say>Normal greeting</Say></Response>\n")
    before = site_files(home)

    crashed = notices_process(
        "evacuate", "--yes", env={"NOTICES_FAULT_INJECT": "after-apply:phone"}
    )
    crashed.communicate(timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    assert "Normal greeting" not in greeting.read_text()

    assert notices("log", "verify").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    after = site_files(home)
    after.pop("notices.js", None)
    # status.json was absent before: resume leaves it inactive rather than deleting it.
    assert json.loads(after.pop("status.json")) == {"mode": "normal", "active": False}
    assert after == before


def test_crash_before_switching_then_evacuate_again_converges(notices, notices_process, home):
    crashed = notices_process("evacuate", "--yes", env={"NOTICES_FAULT_INJECT": "after-snapshot"})
    crashed.communicate(timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    again = notices("evacuate", "--yes", "--json")
    assert again.exit_code == 0, again.stdout
    assert all(c["ok"] for c in again.json()["channels"])
    assert notices("status", "--json").json()["mode"] == "evacuate"
    assert notices("resume", "--yes").exit_code == 0
    assert set(site_files(home)) == {"notices.js", "status.json"}
