"""The outside clock: every checkpoint stamped by a real RFC 3161 authority on loopback
(`openssl ts -reply`, CA and TSA certificates made by the test), an unreachable authority
never stopping a switch, and `log verify` checking every token."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tests.support.evidence import resign
from tests.support.log import records
from tests.support.net import free_port
from tests.support.tsa import Authority

pytestmark = pytest.mark.integration


@pytest.fixture
def authority(tmp_path: Path) -> Iterator[Authority]:
    made = Authority.make(tmp_path / "tsa").serve()
    yield made
    made.stop()


def configure(home: Path, url: str, ca: Path, timeout: float = 5) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f'[evidence]\ntsa_url = "{url}"\ntsa_ca_file = "{ca}"\ntsa_timeout_s = {timeout}\n',
        "utf-8",
    )


def stamps(home: Path) -> list[dict[str, Any]]:
    path = home / "stamps.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def heads(home: Path) -> list[bytes]:
    return (home / "heads.jsonl").read_bytes().splitlines()


def switch(notices: Callable[..., Any]) -> None:
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0


def test_every_checkpoint_is_stamped_and_verified(notices, home, authority, tmp_path):
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    lines, tokens = heads(home), stamps(home)
    assert [t["line"] for t in tokens] == list(range(1, len(lines) + 1)) and len(lines) >= 2
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stderr
    assert f"{len(tokens)} timestamp tokens checked against {authority.ca_file}" in run.stdout
    # An independent check of the last token with OpenSSL itself.
    reply = tmp_path / "reply.tsr"
    reply.write_bytes(base64.b64decode(tokens[-1]["token"]))
    (tmp_path / "line").write_bytes(lines[-1])
    checked = subprocess.run(
        ["openssl", "ts", "-verify", "-in", str(reply), "-data", str(tmp_path / "line"),
         "-CAfile", str(authority.ca_file), "-untrusted", str(authority.folder / "tsa.pem")],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    assert "Verification: OK" in checked.stdout, checked.stderr


def test_an_unreachable_authority_never_stops_a_switch_and_stamps_later(notices, home, authority):
    """The switch ten minutes ago (by this machine's clock) with the authority down; `log
    stamp` now: each stamp is recorded in the chain with its delay, and verify says late."""
    configure(home, f"http://127.0.0.1:{free_port()}/tsa", authority.ca_file, timeout=1)
    with time_machine.travel(datetime.now(UTC) - timedelta(minutes=10), tick=True):
        switch(notices)
    assert stamps(home) == []
    failures = records(home, "checkpoint.stamp_failed")
    assert failures and failures[-1]["payload"]["waiting"] >= 1
    assert "127.0.0.1" in failures[-1]["payload"]["authority"]
    configure(home, authority.url, authority.ca_file)
    run = notices("log", "stamp")
    assert run.exit_code == 0, run.stderr
    assert len(stamps(home)) == len(heads(home))
    late = records(home, "checkpoint.stamped")
    assert [r["payload"]["line"] for r in late] == [t["line"] for t in stamps(home)]
    assert all(590 < r["payload"]["delay_s"] < 700 for r in late), late
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stderr
    said = " ".join(run.stdout.split())
    late_said = re.search(
        r"stamped late \(the authority could not be reached in time\): (.*)", said
    )
    assert late_said and re.match(r"line 1 by (9 min 5\d s|10 min)", late_said[1]), said
    assert "does not record it as late" not in said


def test_a_token_whose_time_disagrees_with_its_checkpoint_fails(notices, home, authority):
    """This machine's clock an hour fast: every checkpoint says a time an hour after the
    authority had already stamped it. A checkpoint cannot be written after it was stamped."""
    configure(home, authority.url, authority.ca_file)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1), tick=True):
        switch(notices)
    assert len(stamps(home)) == len(heads(home))
    run = notices("log", "verify")
    assert run.exit_code == 1
    message = " ".join(run.stderr.split())
    assert "the timestamp of heads.jsonl line 1 says" in message
    assert "before the time the checkpoint gives itself" in message
    assert "the two times disagree" in message


def test_a_token_for_another_hash_is_detected(notices, home, authority):
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    tokens = stamps(home)
    tokens[1]["token"] = tokens[0]["token"]
    (home / "stamps.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tokens))
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert "the timestamp of heads.jsonl line 2 covers another hash" in run.stderr


def test_a_token_from_an_authority_outside_the_ca_is_detected(notices, home, authority, tmp_path):
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    other = Authority.make(tmp_path / "other", "Other")
    expected = "the timestamp of heads.jsonl line 1 is not from an authority of the given CA"
    run = notices("log", "verify", "--tsa-ca", str(other.ca_file))
    assert run.exit_code == 1
    assert expected in " ".join(run.stderr.split())
    configure(home, authority.url, other.ca_file)  # tsa_ca_file names another authority's CA
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert expected in " ".join(run.stderr.split())


def test_a_stated_time_that_is_not_the_tokens_is_detected(notices, home, authority):
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    tokens = stamps(home)
    tokens[0]["gen_time"] = "2026-01-01T00:00:00Z"
    (home / "stamps.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tokens))
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert "heads.jsonl line 1: its gen_time is not the token's" in " ".join(run.stderr.split())


def test_a_token_line_a_power_cut_stopped_part_way_waits_and_is_stamped_again(
    notices, home, authority
):
    """Half of the newest stamps.jsonl line, no LF: not a stamp, so its checkpoint waits
    for one (said by verify), and `log stamp` cuts the half off and stamps it again."""
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    path = home / "stamps.jsonl"
    whole = path.read_bytes().splitlines()
    path.write_bytes(b"".join(line + b"\n" for line in whole[:-1]) + whole[-1][:100])
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stderr
    assert "1 checkpoints wait for a stamp" in " ".join(run.stdout.split())
    assert notices("log", "stamp").exit_code == 0
    assert [t["line"] for t in stamps(home)] == list(range(1, len(heads(home)) + 1))
    run = notices("log", "verify")
    assert run.exit_code == 0 and "wait for a stamp" not in run.stdout


def test_lost_tokens_are_said(notices, home, authority):
    """Tokens deleted: the log itself is intact, but verify says that nothing is stamped."""
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    (home / "stamps.jsonl").unlink()
    run = notices("log", "verify")
    assert run.exit_code == 0, run.stderr
    assert f"no timestamp tokens: {len(heads(home))} checkpoints unstamped" in run.stdout


def test_the_dossier_carries_the_tokens_and_is_checked_offline(notices, home, authority, tmp_path):
    """log export: timestamps.jsonl (every stamped checkpoint of the slice and the export's
    own, with its head-file line) and the authority's CA in the manifest; log verify DIR and
    the PDF alone check them with nothing else; a swapped token or another CA fails."""
    configure(home, authority.url, authority.ca_file)
    switch(notices)
    incident = records(home, "incident.opened")[0]["incident"]
    folder = tmp_path / "dossier"
    assert notices("log", "export", "--incident", incident, "-o", str(folder)).exit_code == 0
    authority.stop()  # offline from here on
    lines = [json.loads(line) for line in (folder / "timestamps.jsonl").read_text().splitlines()]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert json.loads(lines[-1]["heads_line"]) == manifest["checkpoint"]
    # The evacuation's checkpoint (its record is in the slice) and the export's own.
    assert [x["line"] for x in lines] == [1, len(heads(home))]
    assert manifest["timestamp_authority"]["url"] == authority.url
    for where in (folder, folder / "report.pdf"):
        run = notices("log", "verify", str(where))
        assert run.exit_code == 0, run.stderr
        said = " ".join(run.stdout.split())
        assert f"ok timestamps.jsonl: {len(lines)} timestamp tokens, each for a checkpoint" in said
        assert "checked against the CA the dossier carries (SHA-256" in said

    other = Authority.make(tmp_path / "other", "Other")
    run = notices("log", "verify", str(folder), "--tsa-ca", str(other.ca_file))
    assert run.exit_code == 1
    assert "is not from an authority of the given CA" in " ".join(run.stderr.split())

    lines[0]["token"] = lines[1]["token"]
    (folder / "timestamps.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    resign(folder, home)
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1
    message = " ".join(run.stderr.split())
    assert f"timestamps.jsonl line 1: the timestamp of heads.jsonl line {lines[0]['line']}" in (
        message
    )
    assert "covers another hash" in message
