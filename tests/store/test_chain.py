"""One chain from two nodes: commands started on both at once are serialised by the
store (an advisory lock on PostgreSQL), so they make one incident and one valid chain; an
SMS to the standby's webhook (the staff number's fallback URL) works as one to the
leader's."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.log import records
from tests.support.postgres import pg_query
from tests.support.sms import OSKARI, PIN, finished, sms_config, twilio_form
from tests.support.twilio import ACCOUNT, TOKEN
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration


def run_on(node, *args: str) -> subprocess.Popen[str]:
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "notices", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **node.env},
    )


def test_two_evacuations_on_two_nodes_at_once_make_one_incident(folders, notices, store):
    a, b = folders()
    started = [run_on(node, "evacuate", "--for", "2h", "--yes") for node in (a, b)]
    for process in started:
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    assert len(pg_query(store, "SELECT id FROM incidents")) == 1
    assert len(records(a.home, "incident.opened")) == 1
    for node in (a, b):
        assert notices("log", "verify", "--home", str(node.home)).exit_code == 0


def test_twenty_commands_over_both_nodes_make_one_valid_chain(folders, notices, store):
    a, b = folders()
    assert notices("evacuate", "--home", str(a.home), "--for", "1h", "--yes").exit_code == 0
    commands = [("evacuate", "--for", "2h", "--yes"), ("log", "checkpoint")] * 5
    started = [run_on(node, *args) for args in commands for node in (a, b)]
    assert len(started) == 20
    for process in started:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    seqs = [row[0] for row in pg_query(store, "SELECT seq FROM log ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(records(a.home, "command.started")) == 11
    for node in (a, b):
        run = notices("log", "verify", "--home", str(node.home))
        assert run.exit_code == 0, run.stderr
    # Each node's head file holds the checkpoints it wrote, and the chain says whose.
    nodes = {r["payload"].get("node") for r in records(a.home, "checkpoint.written")}
    assert nodes == {a.name, b.name}


def test_an_sms_to_the_standbys_webhook_works_as_one_to_the_leaders(nodes, sms_twilio, store):
    import httpx
    from twilio.request_validator import RequestValidator

    from tests.store.conftest import SECOND_NODE

    sms_twilio.reset()
    sms_twilio.add_account(ACCOUNT, TOKEN)
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "NOTICES_PIN_OSKARI": PIN}
    _a, b = nodes(sms_config(sms_twilio.url), env)
    # Twilio calls the fallback URL when the primary fails, and signs for that URL.
    params = twilio_form(OSKARI, f"POWER-OUT 2h {PIN}", "SM" + "1" * 32)
    signature = RequestValidator(TOKEN).compute_signature(f"{SECOND_NODE}/_notices/sms", params)
    answer = httpx.post(
        b.address + "_notices/sms", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status_code == 200
    assert finished(b.home, "power-out")["payload"]["ok"] is True
    command = records(b.home, "command.started")[0]
    assert command["actor"] == "Oskari Lind"
    assert command["payload"]["arguments"]["channel"] == "sms"
    [reply] = wait_until(lambda: sms_twilio.sent_to(OSKARI), 20, "the reply to Oskari")
    assert reply.startswith("notices: POWER-OUT 2h done."), reply
    # Signed for neither node's address: refused, as on the leader.
    params = twilio_form(OSKARI, f"TILA {PIN}", "SM" + "2" * 32)
    forged = RequestValidator(TOKEN).compute_signature(
        "https://elsewhere.test/_notices/sms", params
    )
    refused = httpx.post(
        b.address + "_notices/sms", data=params, headers={"X-Twilio-Signature": forged}
    )
    assert refused.status_code == 403
