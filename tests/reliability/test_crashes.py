"""Crash anywhere, lose nothing; and commands racing each other. Real processes, killed with
SIGKILL at step boundaries (NOTICES_FAULT_INJECT, notices/faults.py), against the Twilio
stand-in (two numbers, switched one after the other) and the local banner and Sieve files."""

from __future__ import annotations

import json
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from tests.support.loopback import WebRoot
from tests.support.mount import mounted
from tests.support.providers import records
from tests.support.twilio import ACCOUNT
from tests.support.twilio_standin import TwilioStandIn

pytestmark = pytest.mark.integration

NUMBERS = {"PN" + "1" * 32: "+358401000001", "PN" + "2" * 32: "+358401000002"}
FIRST = next(iter(NUMBERS))
ORIGINAL = {"voice_url": "https://crm.example.fi/ivr", "voice_method": "POST"}
OWN_SIEVE = 'require ["fileinto"];\nif header :contains "subject" "lasku" { fileinto "Laskut"; }\n'
BANNER_FILES = ("status.json", "banner.html", "notice.html")


@dataclass
class Rig:
    twilio: TwilioStandIn
    web: WebRoot
    home: Path

    @property
    def site(self) -> Path:
        return self.home / "site"

    def numbers(self) -> dict[str, dict[str, Any]]:
        return {sid: self.twilio.routing(sid, ("voice_url", "voice_method")) for sid in NUMBERS}

    def truth(self) -> dict[str, str]:
        """What each provider really serves, read directly: incident, normal or mixed."""
        greeting = f"{self.web.url}/greeting.xml"
        urls = [n["voice_url"] for n in self.numbers().values()]
        published = (self.web.root / "greeting.xml").exists()
        # The greeting is one document per language, plus the thank-you after a message:
        # normal only once none of them is left.
        any_published = any(self.web.root.glob("greeting*.xml"))
        if all(u == greeting for u in urls) and published:
            phone = "incident"
        elif self.numbers() == dict.fromkeys(NUMBERS, ORIGINAL) and not any_published:
            phone = "normal"
        else:
            phone = "mixed"
        present = [(self.site / name).exists() for name in BANNER_FILES]
        if all(present) and '"evacuate"' in (self.site / "status.json").read_text():
            website = "incident"
        else:
            # Normal: no notice files, and status.json absent or inactive (resume leaves it so).
            status = self.site / "status.json"
            inactive = not status.exists() or '"active": false' in status.read_text()
            website = "normal" if inactive and not any(present[1:]) else "mixed"
        sieve = (self.site / "mail" / "active.sieve").read_text()
        mail = "normal" if sieve == OWN_SIEVE else ("incident" if "vacation" in sieve else "mixed")
        return {"phone": phone, "website": website, "mail": mail}


@pytest.fixture
def rig(twilio: TwilioStandIn, web: WebRoot, home: Path) -> Rig:
    return build_rig(twilio, web, home)


def build_rig(twilio: TwilioStandIn, web: WebRoot, home: Path) -> Rig:
    for sid, phone in NUMBERS.items():
        twilio.add_number(ACCOUNT, sid, phone, **ORIGINAL)
    (home / "site" / "mail").mkdir(parents=True)
    (home / "site" / "mail" / "active.sieve").write_text(OWN_SIEVE)
    (home / "notices.toml").write_text(
        f"""[retry]
attempts = 2
wait_s = 0.05

[channels.phone]
kind = "twilio_voice"
numbers = {json.dumps(list(NUMBERS))}
api_base = "{twilio.url}"
greeting_url = "{web.url}/greeting.xml"
publisher = {{ type = "folder", path = "{web.root}" }}
workers = 1
timeout_s = 5

[channels.website]
kind = "local_banner"

[channels.mail]
kind = "local_email"
"""
    )
    return Rig(twilio, web, home)


def killed(notices_process, *args: str, at: str) -> None:
    process = notices_process(*args, env={"NOTICES_FAULT_INJECT": at})
    out, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, (at, out, err)


# What `status` may say for what a provider really serves.
STATE_OF = {"incident": {"evacuate"}, "normal": {"normal", "not switched"}, "mixed": {"differs"}}

CRASHES = [
    ("evacuate", "after-snapshot:website"),
    ("evacuate", "after-file:banner.html"),  # one of the banner's three files written
    ("evacuate", f"after-number:{FIRST}"),  # one of two Twilio numbers switched
    ("evacuate", "after-apply:phone"),  # switched, not yet logged
    ("resume", "after-restore:website"),  # one channel restored, the incident still open
    ("resume", f"after-number:{FIRST}"),  # one of two numbers put back
    ("resume", "before-close"),  # all restored, the incident not closed
]


@pytest.mark.parametrize(("command", "at"), CRASHES, ids=[f"{c}-{a}" for c, a in CRASHES])
def test_crash_anywhere_loses_nothing(notices, notices_process, rig: Rig, command: str, at: str):
    if command == "resume":
        assert notices("evacuate", "--yes").exit_code == 0
        assert set(rig.truth().values()) == {"incident"}
    killed(notices_process, command, "--yes", at=at)

    assert notices("log", "verify").exit_code == 0
    # `status` reads every provider back and says the truth about each.
    truth = rig.truth()
    if at.startswith(("after-file", "after-number")):  # killed half-way through a channel
        assert truth["website" if "file" in at else "phone"] == "mixed", truth
    report = notices("status", "--json").json()
    assert report["mode"] == "evacuate"  # the incident is still open
    assert report["status"] == ("resuming" if command == "resume" else "switching")
    for channel in report["channels"]:
        assert channel["state"] in STATE_OF[truth[channel["name"]]], (channel, truth)
        if command == "evacuate" and truth[channel["name"]] != "incident":
            assert not channel["ok"] and channel["error"], channel

    # Running the command again finishes it.
    again = notices(command, "--yes", "--json")
    assert again.exit_code == 0, again.stdout + again.stderr
    if command == "evacuate":
        assert set(rig.truth().values()) == {"incident"}
        final = notices("status", "--json")
        assert final.exit_code == 0 and all(
            c["state"] == "evacuate" for c in final.json()["channels"]
        )
        assert notices("evacuate", "--yes").exit_code == 0  # once more: nothing re-snapshotted
        assert notices("resume", "--yes").exit_code == 0
    # Resume put back what was there before the incident, never the emergency setting.
    assert rig.truth() == dict.fromkeys(("phone", "website", "mail"), "normal")
    assert notices("status", "--json").json()["mode"] == "normal"
    snapshots = records(rig.home, "channel.snapshot")
    assert sorted(r["channel"] for r in snapshots) == ["mail", "phone", "website"]
    assert notices("log", "verify").exit_code == 0


def test_ten_evacuations_at_once_switch_each_channel_once(notices, notices_process, rig: Rig):
    processes = [notices_process("evacuate", "--yes", "--json") for _ in range(10)]
    results = [p.communicate(timeout=90) for p in processes]
    assert [p.returncode for p in processes] == [0] * 10, results
    assert len({json.loads(out)["incident"] for out, _ in results}) == 1
    assert len(records(rig.home, "incident.opened")) == 1
    changed: dict[str, int] = {}
    for record in records(rig.home, "channel.applied"):
        if record["payload"]["changed"]:
            changed[record["channel"]] = changed.get(record["channel"], 0) + 1
    assert changed == {"phone": 1, "website": 1, "mail": 1}
    assert len(records(rig.home, "channel.snapshot")) == 3
    assert len(records(rig.home, "command.started")) == 10
    assert notices("log", "verify").exit_code == 0
    assert set(rig.truth().values()) == {"incident"}


@pytest.mark.parametrize("round_", [1, 2])
def test_evacuate_and_resume_racing_end_as_the_last_to_take_the_lock(
    notices, notices_process, rig: Rig, round_: int
):
    assert notices("evacuate", "--yes").exit_code == 0
    lock = FileLock(rig.home / "notices.lock")
    with lock:  # both start and wait for the lock; which gets it first is up to them
        first, second = ("evacuate", "resume") if round_ == 1 else ("resume", "evacuate")
        racing = [notices_process(first, "--yes"), notices_process(second, "--yes")]
        time.sleep(1.0)
    results = [p.communicate(timeout=60) for p in racing]
    assert [p.returncode for p in racing] == [0, 0], results

    log = records(rig.home)
    started = [r for r in log if r["kind"] == "command.started"][1:]
    assert sorted(r["payload"]["command"] for r in started) == ["evacuate", "resume"]
    # Never interleaved: each command finished before the next one started.
    order = [(r["kind"], r["payload"]["command"]) for r in log if r["kind"].startswith("command.")]
    assert all(order[i][1] == order[i + 1][1] for i in range(0, len(order), 2)), order
    last = started[-1]["payload"]["command"]
    truth = set(rig.truth().values())
    status = notices("status", "--json").json()
    if last == "resume":
        assert truth == {"normal"} and status["mode"] == "normal"
    else:
        assert truth == {"incident"} and status["mode"] == "evacuate"
    assert notices("log", "verify").exit_code == 0


# -- extend: the automatic resume and the told return ------------------------------------

EXTEND_CRASHES = [
    "after-plan",  # the new return and resume written, no channel touched
    "after-file:greeting.xml",  # the phone's greeting says the new return
    "after-file:banner.html",  # the banner half rewritten
    "after-apply:phone",  # switched, not yet logged
    "after-apply:mail",
]


def told(rig: Rig) -> str | None:
    """The return the website tells customers now."""
    return json.loads((rig.site / "status.json").read_text())["expected_return"]


def consistent_or_said(notices, rig: Rig) -> dict[str, Any]:
    """`status` never shows an automatic resume earlier than the told return without
    saying so; the planned resume is always the incident's expected return."""
    report = notices("status", "--json").json()
    assert report["planned_resume"] == report["expected_return"], report
    if report["interrupted"] is None:
        assert told(rig) == report["expected_return"], (told(rig), report)
    else:
        assert report["interrupted"] == "extend", report
    return report


@pytest.mark.parametrize("at", EXTEND_CRASHES)
def test_a_killed_extend_is_reported_and_the_next_command_repairs_it(
    notices, notices_process, rig: Rig, at: str
):
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    killed(notices_process, "extend", "--for", "6h", "--yes", at=at)
    report = consistent_or_said(notices, rig)
    assert report["interrupted"] == "extend"
    screen = notices("status")
    assert screen.exit_code == 1
    assert "extend interrupted" in " ".join(screen.stdout.split()), screen.stdout
    assert notices("log", "verify").exit_code == 0

    again = notices("extend", "--for", "6h", "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    final = notices("status", "--json")
    assert final.exit_code == 0 and final.json()["interrupted"] is None
    consistent_or_said(notices, rig)
    assert set(rig.truth().values()) == {"incident"}
    assert notices("log", "verify").exit_code == 0


def test_extend_killed_at_random_moments_never_hides_an_early_resume(
    notices, notices_process, rig: Rig
):
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    rig.twilio.latency = 0.05  # a switch takes a moment, as against the real Twilio
    moments = random.Random(19)
    interrupted = 0
    for n in range(20):
        process = notices_process("extend", "--for", f"{3 + n}h", "--yes")
        time.sleep(moments.uniform(0.3, 2.0))
        process.kill()
        process.communicate(timeout=30)
        interrupted += consistent_or_said(notices, rig)["interrupted"] is not None
    print(f"{interrupted} of 20 kills interrupted an extend")
    again = notices("extend", "--for", "30h", "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert consistent_or_said(notices, rig)["interrupted"] is None
    assert set(rig.truth().values()) == {"incident"}
    assert notices("log", "verify").exit_code == 0


def test_a_checkpoint_recorded_but_not_written_is_written_back_by_the_next_command(
    notices, notices_process, rig: Rig
):
    """Killed between the chain's record of a checkpoint and its line in heads.jsonl: the
    file lacks a line the chain holds; `log verify` checks it from the record and says so,
    and the next command writes it back, byte for byte, before its own."""
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    before = (rig.home / "heads.jsonl").read_bytes().splitlines()
    killed(notices_process, "extend", "--for", "6h", "--yes", at="after-checkpoint-recorded")
    recorded = records(rig.home, "checkpoint.written")[-1]["payload"]
    assert recorded["line"] == len(before) + 1
    assert (rig.home / "heads.jsonl").read_bytes().splitlines() == before
    verify = notices("log", "verify")
    assert verify.exit_code == 0, verify.stderr
    assert f"heads.jsonl lacks its line {len(before) + 1}" in " ".join(verify.stdout.split())

    again = notices("extend", "--for", "6h", "--yes")
    assert again.exit_code == 0, again.stdout + again.stderr
    after = (rig.home / "heads.jsonl").read_bytes().splitlines()
    assert after[: len(before) + 1] == [*before, recorded["line_text"].encode()]
    assert len(after) > len(before) + 1  # and the command's own checkpoint after it
    assert notices("log", "verify").exit_code == 0


# -- a disk that fills during a switch ---------------------------------------------------


def test_a_disk_filling_mid_evacuate_names_what_was_switched(
    notices,
    notices_process,
    twilio: TwilioStandIn,
    web: WebRoot,
    home: Path,
):
    home.mkdir(parents=True)
    with mounted("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(home)):
        rig = build_rig(twilio, web, home)
        filler = home / "filler"
        # The phone (at Twilio) has switched, then the disk is full: the log takes no more
        # records (its channel.applied is tried again, then given up).
        process = notices_process(
            "evacuate",
            "--for",
            "4h",
            "--yes",
            env={
                "NOTICES_FAULT_INJECT": "fill-after-apply:phone",
                "NOTICES_FAULT_FILL": str(filler),
            },
        )
        out, err = process.communicate(timeout=90)
        assert process.returncode == 1, out + err
        assert "Traceback" not in out + err, out + err
        said = " ".join(err.split())
        print(said)
        assert "the disk is full" in said and "Switched: " in said, said
        assert "phone" in said.split("Switched: ")[1].split(".")[0], said
        assert "notices evacuate --yes" in said and "notices resume --yes" in said, said
        assert len(err.strip().splitlines()) <= 6, err
        assert rig.truth()["phone"] == "incident"

        filler.unlink()  # room again
        assert notices("log", "verify").exit_code == 0
        back = notices("resume", "--yes")
        assert back.exit_code == 0, back.stdout + back.stderr
        assert rig.truth() == dict.fromkeys(("phone", "website", "mail"), "normal")
        assert notices("log", "verify").exit_code == 0
