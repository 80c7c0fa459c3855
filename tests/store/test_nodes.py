"""Two `notices serve` nodes on one PostgreSQL store: one leads (runs the scheduler), the
other stands by and takes over when the leader dies or loses its connection. Real
processes, a real PostgreSQL on loopback, real (short) waits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from notices.timeparse import from_stamp
from tests.support.log import records
from tests.support.nodes import Node
from tests.support.postgres import pg_query
from tests.support.serve import is_normal, iso_in, resumes
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration


def plan_resume_in(notices, node: Node, seconds: float) -> str:
    """Evacuate through node A's folder, then plan the resume `seconds` ahead."""
    assert notices("evacuate", "--home", str(node.home), "--for", "1h", "--yes").exit_code == 0
    at = iso_in(seconds)
    run = notices("resume", "--home", str(node.home), "--at", at, "--json")
    assert run.exit_code == 0, run.stderr
    return str(run.json()["planned_resume"])


def job_held(url: str) -> bool:
    return bool(pg_query(url, "SELECT id FROM apscheduler_jobs"))


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def assert_resumed_once_by(node: Node, planned: str, homes: list[Path], notices) -> None:
    wait_until(lambda: is_normal(node.home), 12, "the resume by the standby")
    [due] = records(node.home, "resume.due")
    assert due["payload"]["node"] == node.name, "the log names the node that resumed"
    fired = from_stamp(due["payload"]["fired"])
    assert 0 <= (fired - from_stamp(planned)).total_seconds() < 10
    assert len(resumes(node.home)) == 1
    for home in homes:
        run = notices("log", "verify", "--home", str(home))
        assert run.exit_code == 0, run.stderr


def healthz(node: Node) -> tuple[int, dict]:  # type: ignore[type-arg]
    try:
        with urllib.request.urlopen(node.address + "healthz", timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_exactly_one_node_leads_and_each_says_which_it_is(nodes, notices, store):
    a, b = nodes()
    time.sleep(2.5)  # a few election rounds: B must stay standing by
    assert (a.role(), b.role()) == ("leader", "standby")
    assert healthz(a) == (200, {"ok": True, "role": "leader"})
    assert healthz(b) == (200, {"ok": True, "role": "standby"})
    status = notices("status", "--home", str(b.home), "--json").json()
    roles = {n["node"]: (n["role"], n["alive"], n["pid"]) for n in status["nodes"]}
    assert roles == {
        a.name: ("leader", True, a.process.pid),
        b.name: ("standby", True, b.process.pid),
    }
    assert status["last_handover"] is None, "A led from the start: no handover yet"
    text = notices("status", "--home", str(b.home)).stdout
    assert f"leader, alive (pid {a.process.pid}" in text
    assert f"standby, alive (pid {b.process.pid}" in text


def test_the_standby_resumes_when_the_leader_is_killed(nodes, notices, store):
    a, b = nodes()
    planned = plan_resume_in(notices, a, 5)
    wait_until(lambda: job_held(store), 5, "the job in the leader's scheduler")
    sleep_until(datetime.fromtimestamp(from_stamp(planned).timestamp() - 1, UTC))
    a.kill()
    assert_resumed_once_by(b, planned, [a.home, b.home], notices)
    [leading] = [r for r in records(b.home, "node.leading") if r["payload"]["node"] == b.name]
    assert leading["payload"]["previous"] == a.name
    assert b.role() == "leader"
    status = notices("status", "--home", str(b.home), "--json").json()
    assert status["last_handover"]["node"] == b.name
    assert status["last_handover"]["previous"] == a.name

    def roles() -> dict[str, tuple[str, bool]]:
        report = notices("status", "--home", str(b.home), "--json").json()
        return {n["node"]: (n["role"], n["alive"]) for n in report["nodes"]}

    # A's last beat goes stale within seconds: it shows as the leader not seen since.
    wait_until(lambda: roles()[a.name] == ("leader", False), 8, "node A to show as gone")
    assert roles()[b.name] == ("leader", True)
    assert "last handover:" in notices("status", "--home", str(b.home)).stdout


def test_the_standby_resumes_when_the_leaders_connection_is_cut(nodes, notices, store, postgres):
    a, b = nodes()
    planned = plan_resume_in(notices, a, 5)
    wait_until(lambda: job_held(store), 5, "the job in the leader's scheduler")
    sleep_until(datetime.fromtimestamp(from_stamp(planned).timestamp() - 1, UTC))
    # Every connection of node A's process dropped by the server, as a failover would.
    cut = postgres.admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE %s",
        (f"%{a.process.pid}%",),
    )
    assert cut, "node A had connections to cut"
    assert_resumed_once_by(b, planned, [a.home, b.home], notices)
    # A lives on, standing by: its scheduler stopped when its lead went.
    wait_until(lambda: a.role() == "standby", 10, "node A to stand by")
    assert healthz(a)[1]["role"] == "standby"


def test_healthz_answers_503_while_the_store_takes_no_connection(nodes, store, postgres):
    a, b = nodes()
    name = store.rsplit("/", 1)[1]
    postgres.admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    try:
        assert healthz(a) == (503, {"ok": False, "role": "leader"})
        assert healthz(b) == (503, {"ok": False, "role": "standby"})
    finally:
        postgres.admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    assert healthz(b) == (200, {"ok": True, "role": "standby"})
