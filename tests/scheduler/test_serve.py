"""Automatic resume with `notices serve` as a real process; real (short) waits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

import pytest

from notices.render import promised, spoken
from notices.timeparse import from_stamp
from tests.support.log import records
from tests.support.serve import is_normal, iso_in, jobs, resumes
from tests.support.site import site_files
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration
HELSINKI = ZoneInfo("Europe/Helsinki")


def test_a_resume_scheduled_by_another_process_fires_while_serve_runs(
    serve, notices_process, notices, home
):
    serve()
    evacuate = notices_process("evacuate", "--until", iso_in(3), "--yes", "--json")
    out, err = evacuate.communicate(timeout=30)
    assert evacuate.returncode == 0, err
    report = json.loads(out)
    planned = report["planned_resume"]
    assert planned == report["expected_return"]
    assert report["scheduler"]["alive"] is True
    assert report["warning"] is None

    wait_until(lambda: is_normal(home), 10, "the scheduled resume")
    [due] = records(home, "resume.due")
    assert due["actor"] == "scheduler"
    assert due["payload"]["planned"] == planned
    assert from_stamp(due["payload"]["fired"]) >= from_stamp(planned)
    assert 0 <= due["payload"]["late_s"] < 3
    [started] = resumes(home)
    assert started["actor"] == "scheduler"
    [closed] = records(home, "incident.closed")
    assert closed["actor"] == "scheduler"
    assert set(site_files(home)) == {"notices.js", "status.json"}
    assert json.loads((home / "site" / "status.json").read_text())["active"] is False
    assert notices("log", "verify").exit_code == 0
    assert notices("status", "--json").json()["planned_resume"] is None


def test_a_resume_due_while_serve_was_down_runs_once_as_soon_as_it_starts(serve, notices, home):
    first = serve()
    evacuate = notices("evacuate", "--until", iso_in(3), "--yes", "--json")
    planned = evacuate.json()["planned_resume"]
    wait_until(lambda: jobs(home), 5, "the job in serve's job store")
    first.stop()
    status = notices("status", "--json").json()
    assert status["scheduler"]["alive"] is False
    assert "notices serve" in status["warning"]

    time.sleep(max(0.0, (from_stamp(planned) - datetime.now(UTC)).total_seconds()) + 1)
    assert not is_normal(home), "nothing may resume while no scheduler runs"

    began = time.monotonic()
    second = serve()
    wait_until(lambda: is_normal(home), 5, "the missed resume")
    assert time.monotonic() - began < 5
    second.stop()
    # A third start must not run it again.
    third = serve()
    time.sleep(2.2)  # longer than one reconcile cycle
    third.stop()

    assert len(records(home, "resume.due")) == 1
    assert len(resumes(home)) == 1
    [due] = records(home, "resume.due")
    assert due["payload"]["late_s"] >= 1
    assert jobs(home) == {}


def test_extend_moves_the_job_and_re_renders_every_text(serve, notices, home):
    serve()
    first = notices("evacuate", "--until", iso_in(3), "--yes", "--json").json()
    wait_until(lambda: jobs(home), 5, "the first job")

    now = datetime.now(UTC)
    target = (now + timedelta(hours=2)).astimezone(HELSINKI).replace(second=0, microsecond=0)
    run = notices("extend", "--until", f"{target:%Y-%m-%dT%H:%M}", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    extended = run.json()
    assert extended["incident"] == first["incident"]
    assert from_stamp(extended["planned_resume"]) == target

    wait_until(lambda: list(jobs(home).values()) == [target.timestamp()], 5, "the job to move")
    # Said on the phone, in each language's document, rounded up to the next five minutes.
    said = promised(target)
    assert spoken(said, "fi", HELSINKI, now) in (home / "site" / "greeting.xml").read_text()
    assert spoken(said, "en", HELSINKI, now) in (home / "site" / "greeting.en.xml").read_text()
    status_json = json.loads((home / "site" / "status.json").read_text())
    assert from_stamp(status_json["expires"]) == target
    sieve = (home / "site" / "mail" / "active.sieve").read_text()
    assert f'"iso8601" "{target.isoformat()}"' in sieve

    # The first planned time passes: nothing resumes.
    time.sleep(max(0.0, (from_stamp(first["planned_resume"]) - datetime.now(UTC)).total_seconds()))
    time.sleep(1.5)
    assert not is_normal(home)
    assert records(home, "resume.due") == []

    moved = records(home, "resume.scheduled")
    assert [m["payload"]["source"] for m in moved] == ["evacuate", "extend"]
    assert moved[1]["payload"]["previous"] == first["planned_resume"]
    [updated] = records(home, "incident.updated")
    assert updated["payload"]["expected_return"] == {
        "from": first["expected_return"],
        "to": extended["expected_return"],
    }
    assert [r["payload"]["command"] for r in records(home, "command.started")] == [
        "evacuate",
        "extend",
    ]


def test_a_manual_resume_cancels_the_scheduled_one(serve, notices, home):
    serve()
    planned = notices("evacuate", "--until", iso_in(3), "--yes", "--json").json()["planned_resume"]
    wait_until(lambda: jobs(home), 5, "the job")
    run = notices("resume", "--yes")
    assert run.exit_code == 0
    assert "is cancelled" in run.stdout
    wait_until(lambda: jobs(home) == {}, 5, "the job to be removed")
    time.sleep(max(0.0, (from_stamp(planned) - datetime.now(UTC)).total_seconds()) + 1.2)

    [cancelled] = records(home, "resume.cancelled")
    assert cancelled["payload"] == {"planned": planned, "reason": "resumed by hand"}
    assert [r for r in records(home) if r["actor"] == "scheduler"] == []
    assert len(resumes(home)) == 1


def test_resume_at_reschedules_instead_of_resuming_and_warns_without_a_scheduler(
    serve, notices, home
):
    evacuate = notices("evacuate", "--for", "1h", "--yes")
    assert evacuate.exit_code == 0
    assert "NOTHING WILL RESUME AUTOMATICALLY" in evacuate.stderr
    assert "notices serve --home" in evacuate.stderr
    assert "WARNING" in notices("status").stdout

    serve()
    status = notices("status", "--json").json()
    assert status["warning"] is None
    assert status["scheduler"]["alive"] is True
    at = iso_in(2)
    run = notices("resume", "--at", at, "--json")
    assert run.exit_code == 0
    assert from_stamp(run.json()["planned_resume"]) == datetime.fromisoformat(at)
    assert not is_normal(home), "resume --at must not resume now"
    wait_until(lambda: is_normal(home), 8, "the rescheduled resume")
    assert [r["payload"]["source"] for r in records(home, "resume.scheduled")] == [
        "evacuate",
        "resume --at",
    ]


def test_two_serve_processes_do_not_both_run_and_resume_once(serve, notices, home):
    both = [serve(wait=False), serve(wait=False)]
    refused = wait_until(
        lambda: [s for s in both if s.process.poll() is not None], 15, "one to refuse"
    )
    [loser] = refused
    [winner] = [s for s in both if s is not loser]
    assert loser.process.returncode == 2  # nothing done: another serve holds the folder
    assert "already running" in loser.stop()
    wait_until(lambda: winner.process.poll() is None and jobs(home) == {}, 10, "the winner")
    wait_until(
        lambda: notices("status", "--json").json()["scheduler"]["pid"] == winner.process.pid,
        10,
        "the winner's heartbeat",
    )

    notices("evacuate", "--until", iso_in(2), "--yes")
    wait_until(lambda: is_normal(home), 8, "the scheduled resume")
    time.sleep(2.5)
    assert len(records(home, "resume.due")) == 1
    assert len(resumes(home)) == 1


def test_serve_serves_the_site_uncached_with_the_right_types(serve, notices, home):
    server = serve()
    notices("evacuate", "--for", "1h", "--yes")

    def get(path: str) -> tuple[int, Message, bytes]:
        try:
            with urllib.request.urlopen(server.address + path, timeout=5) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, b""

    expected = {
        "sample.html": "text/html; charset=utf-8",
        "notice.html": "text/html; charset=utf-8",
        "notices.js": "text/javascript; charset=utf-8",
        "status.json": "application/json",
        "greeting.xml": "text/xml; charset=utf-8",
    }
    for path, content_type in expected.items():
        status, headers, _ = get(path)
        assert status == 200, path
        assert headers["Content-Type"] == content_type, path
        assert headers["Cache-Control"] == "no-cache", path
    assert b'<script src="/notices.js"' in get("sample.html")[2]
    assert json.loads(get("status.json")[2])["active"] is True
    assert get("mail/")[0] == 404  # no directory listings
    notices("resume", "--yes")
    status, headers, body = get("status.json")
    assert (status, headers["Cache-Control"]) == (200, "no-cache")
    assert json.loads(body) == {"mode": "normal", "active": False}
    assert get("banner.html")[0] == 404


def test_a_failed_scheduled_resume_is_tried_again_until_it_succeeds(serve, notices, home):
    """A provider down at the planned moment must not leave the notice up for good."""
    serve("--resume-retry-s", "1")
    assert notices("evacuate", "--until", iso_in(3), "--yes").exit_code == 0
    greeting = home / "site" / "greeting.xml"
    emergency = greeting.read_text()
    # The phone's "provider" breaks: its file's place is taken by a folder.
    greeting.unlink()
    greeting.mkdir()
    wait_until(lambda: records(home, "resume.failed"), 20, "the resume to fail")
    [failed] = records(home, "resume.failed")
    assert failed["actor"] == "scheduler" and failed["payload"]["next_try"]
    assert not is_normal(home)
    retry = [r for r in records(home, "resume.scheduled") if r["payload"]["source"] == "retry"]
    assert retry and retry[0]["payload"]["planned"] == failed["payload"]["next_try"]
    greeting.rmdir()  # the provider is back
    greeting.write_text(emergency)
    wait_until(lambda: is_normal(home), 20, "the retried resume")
    assert not greeting.exists()  # restored to what was there before: nothing
    assert len(records(home, "resume.due")) >= 2
    assert notices("log", "verify").exit_code == 0
