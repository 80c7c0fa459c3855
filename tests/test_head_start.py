"""A cold command's head start (notices/orchestrator/early.py, notices/head_start.py): its
providers read before it takes the lock, and those reads used only while nothing was logged
since and they are fresh. Against the Twilio stand-in; the lock held by the test stands for
another command at work."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from notices import head_start
from notices.db import Database
from notices.orchestrator import early
from notices.orchestrator.early import HeadStart
from tests.support.log import query
from tests.support.twilio import ACCOUNT
from tests.support.twilio import write_config as twilio_config
from tests.support.twilio_standin import TwilioStandIn
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

SID = "PN" + "1" * 32
NUMBER = "+358401000001"
BEFORE = "https://crm.example.fi/ivr"
NUMBERS_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers"


@pytest.fixture
def config(tmp_path: Path, twilio: TwilioStandIn, web) -> Path:  # type: ignore[no-untyped-def]
    twilio.add_number(ACCOUNT, SID, NUMBER, voice_url=BEFORE)
    return twilio_config(tmp_path, twilio, web, [NUMBER])


@contextmanager
def command_lock(home: Path) -> Iterator[None]:
    """The lock every switching command takes: held here, as another command would hold it."""
    database = Database(home / "notices.db")
    lock = database.command_lock(home / "notices.lock", 120)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
        database.close()


def arrivals(twilio: TwilioStandIn, method: str, since: float) -> list[float]:
    """When requests for the number (a fetch or lookup; a change) arrived after `since`."""
    with twilio.lock:
        seen = list(twilio.state.arrivals)
    return [
        at
        for at, how, path in seen
        if how == method and path.startswith(NUMBERS_PATH) and at >= since
    ]


def reads_before_the_change(twilio: TwilioStandIn, since: float) -> int:
    first_change = min(arrivals(twilio, "POST", since))
    return len([at for at in arrivals(twilio, "GET", since) if at < first_change])


def snapshot_url(home: Path) -> str:
    """The phone's routing as stored before the last switch."""
    *_, (payload,) = query(
        home / "notices.db",
        "SELECT payload FROM log WHERE kind = 'channel.snapshot' AND channel = 'phone'"
        " ORDER BY seq",
    )
    setting = json.loads(payload)["setting"]["data"]
    return str(setting["numbers"][NUMBER]["voice_url"])


def test_a_cold_command_reads_its_providers_while_another_holds_the_lock(
    notices, notices_process, home, config, twilio
):
    since = time.monotonic()
    with command_lock(home):
        process = notices_process("evacuate", "--for", "2h", "--yes", "--config", str(config))
        # Read while the lock is held elsewhere: before the command could take it.
        wait_until(lambda: arrivals(twilio, "GET", since), timeout=30, what="an early read")
        time.sleep(0.5)
        assert arrivals(twilio, "POST", since) == [], "nothing switches without the lock"
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, out + err
    assert twilio.routing(SID, ("voice_url",))["voice_url"].endswith("/greeting.xml")
    assert snapshot_url(home) == BEFORE
    # The read made before the lock stood in for the one under it: one read, not two.
    assert reads_before_the_change(twilio, since) == 1


def test_a_read_made_before_the_log_moved_is_made_again(
    notices, notices_process, home, config, twilio
):
    # A log with a head to checkpoint: an incident switched and resumed before.
    for command in ("evacuate", "resume"):
        assert notices(command, "--yes", "--config", str(config)).exit_code == 0
    since = time.monotonic()
    with command_lock(home):
        process = notices_process("evacuate", "--for", "2h", "--yes", "--config", str(config))
        wait_until(lambda: arrivals(twilio, "GET", since), timeout=30, what="an early read")
        time.sleep(0.5)
        # Meanwhile another command logs and the number is routed elsewhere.
        assert notices("log", "checkpoint").exit_code == 0
        twilio.add_number(ACCOUNT, SID, NUMBER, voice_url="https://crm.example.fi/other")
    out, err = process.communicate(timeout=60)

    assert process.returncode == 0, out + err
    # What the number served when the switch began, read again under the lock.
    assert snapshot_url(home) == "https://crm.example.fi/other"
    assert reads_before_the_change(twilio, since) == 2


def prepared(home: Path, config: Path) -> Callable[[Callable[[], None]], HeadStart | None]:
    return lambda under_way: HeadStart.prepare(home, config, under_way)


def test_an_early_read_that_is_no_longer_fresh_is_made_again(
    notices, home, config, twilio, monkeypatch
):
    monkeypatch.setattr(early, "FRESH_FOR_S", 0.0)  # as if the command waited on a question
    since = time.monotonic()
    head_start.begin(prepared(home, config))
    head_start.wait_under_way(10)
    wait_until(lambda: arrivals(twilio, "GET", since), timeout=30, what="an early read")

    run = notices("evacuate", "--for", "2h", "--yes", "--config", str(config))

    assert run.exit_code == 0, run.stdout + run.stderr
    assert reads_before_the_change(twilio, since) == 2


def test_a_head_start_for_another_configuration_is_not_used(
    notices, home, config, twilio, tmp_path
):
    other = "+358401000002"
    twilio.add_number(ACCOUNT, "PN" + "2" * 32, other, voice_url=BEFORE)
    head_start.begin(prepared(home, config))
    head_start.wait_under_way(10)
    # The configuration changes before the command reads it: the command's own is used.
    config.write_text(config.read_text().replace(json.dumps([NUMBER]), json.dumps([other])))

    run = notices("evacuate", "--for", "2h", "--yes", "--config", str(config))

    assert run.exit_code == 0, run.stdout + run.stderr
    assert twilio.routing("PN" + "2" * 32, ("voice_url",))["voice_url"].endswith("/greeting.xml")
    assert twilio.routing(SID, ("voice_url",))["voice_url"] == BEFORE


def test_a_broken_configuration_is_reported_by_the_command_not_the_head_start(
    notices_process, home, tmp_path
):
    broken = tmp_path / "notices.toml"
    broken.write_text("[channels.phone]\nkind = 'twilio_voice'\nnumbers = ['0401']\n")

    process = notices_process("evacuate", "--yes", "--config", str(broken))
    out, err = process.communicate(timeout=60)

    assert process.returncode != 0
    text = " ".join((out + err).split())
    assert f"{broken}: line 3" in text
    assert "Traceback" not in text


# -- the head start's own mechanics (notices/head_start.py) ----------------------------------


def test_nothing_begun_nothing_claimed():
    assert head_start.claim() is None


def test_a_result_is_claimed_once():
    head_start.begin(lambda under_way: (under_way(), "ready")[1])
    head_start.wait_under_way(5)

    assert head_start.claim() == "ready"
    assert head_start.claim() is None


@pytest.mark.parametrize("outcome", ["fails", "nothing"])
def test_work_that_fails_or_finds_nothing_lets_the_cli_go_on_at_once(outcome):
    def work(under_way: Callable[[], None]) -> None:
        if outcome == "fails":
            raise RuntimeError("no configuration")

    began = time.monotonic()
    head_start.begin(work)
    head_start.wait_under_way(5)

    assert time.monotonic() - began < 1
    assert head_start.claim() is None
