"""The warm path: switching commands handed to a running `notices serve` over its Unix
socket, as separate processes. What it must keep: the same results and log records as a
direct run, plus `via: serve`; a socket of another user or a symlink refused; the command
run directly when serve is gone; serve killed mid-switch reported, and recovered from."""

from __future__ import annotations

import json
import os
import pwd
import re
import signal
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.log import query, records
from tests.support.serve import is_normal
from tests.support.wait import wait_until

pytestmark = pytest.mark.integration

SWITCH = ("evacuate", "--for", "4h", "--yes")


def run(notices_process, *args: str) -> tuple[int, str, str]:
    process = notices_process(*args)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, " ".join(err.split())  # rich wraps lines at 80


def started(home: Path) -> list[dict[str, Any]]:
    """command.started records with their actor and host."""
    rows = query(
        home / "notices.db",
        "SELECT actor, host, payload FROM log WHERE kind = 'command.started' ORDER BY seq",
    )
    return [{"actor": a, "host": h, **json.loads(p)} for a, h, p in rows]


def kinds(home: Path, incident: str) -> Counter[tuple[str, str | None]]:
    """Which records an incident has, per channel (channels finish in any order)."""
    rows = query(
        home / "notices.db", "SELECT kind, channel FROM log WHERE incident = ?", (incident,)
    )
    return Counter((kind, channel) for kind, channel in rows)


def screen(text: str) -> list[str]:
    """Screen lines with times, durations and incident ids made alike, in sorted order."""
    lines = (re.sub(r"\d{8}-\d{6}-[0-9a-f]+", "ID", line) for line in text.splitlines())
    return sorted(re.sub(r"\d+", "#", line).rstrip() for line in lines)


def stable(result: dict[str, Any]) -> dict[str, Any]:
    """A --json result without what differs between any two runs (times, ids, durations)."""
    channels = [
        {k: c[k] for k in ("name", "kind", "description", "ok", "changed", "error", "attempts")}
        for c in result["channels"]
    ]
    return {
        "keys": sorted(result),
        "ok": result["ok"],
        "command": result["command"],
        "channels": sorted(channels, key=lambda c: c["name"]),
    }


def test_warm_switch_and_resume_give_the_results_and_records_of_a_direct_run(
    serve, notices_process, home
):
    server = serve()
    code, warm_json, err = run(notices_process, *SWITCH, "--json")
    assert code == 0, err
    code, warm_resume, err = run(notices_process, "resume", "--yes")
    assert code == 0, err
    server.stop()
    assert not (home / "serve.sock").exists()

    code, cold_json, err = run(notices_process, *SWITCH, "--json")
    assert code == 0, err
    code, cold_resume, err = run(notices_process, "resume", "--yes")
    assert code == 0, err

    warm, cold = json.loads(warm_json), json.loads(cold_json)
    assert stable(warm) == stable(cold)
    assert screen(warm_resume) == screen(cold_resume)
    assert kinds(home, warm["incident"]) == kinds(home, cold["incident"])
    assert is_normal(home)

    by_serve, direct = started(home)[:2], started(home)[2:]
    assert [s["command"] for s in by_serve] == ["evacuate", "resume"]
    for warm_record, cold_record in zip(by_serve, direct, strict=True):
        assert warm_record["via"] == "serve" and "via" not in cold_record
        assert warm_record["peer"]["uid"] == os.getuid()
        assert warm_record["peer"]["user"] == pwd.getpwuid(os.getuid()).pw_name
        assert warm_record["peer"]["pid"] != server.process.pid
        for key in ("actor", "host", "command", "arguments", "channels"):
            assert warm_record[key] == cold_record[key], key
    assert by_serve[0]["actor"] == "test-operator"


def listening(path: Path) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    listener.setblocking(False)
    os.chmod(path, 0o600)
    return listener


def assert_never_connected(listener: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()


def test_a_socket_of_another_user_is_refused_and_the_command_runs_here(notices_process, home):
    home.mkdir(parents=True)
    listener = listening(home / "serve.sock")
    nobody = pwd.getpwnam("nobody")
    os.chown(home / "serve.sock", nobody.pw_uid, nobody.pw_gid)

    code, _out, err = run(notices_process, *SWITCH)

    assert code == 0, err
    assert f"belongs to uid {nobody.pw_uid}" in err and "running it here" in err
    assert_never_connected(listener)
    [record] = started(home)
    assert "via" not in record


def test_a_symlink_in_place_of_the_socket_is_refused(notices_process, home, tmp_path):
    home.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere.sock"
    listener = listening(elsewhere)
    (home / "serve.sock").symlink_to(elsewhere)

    code, _out, err = run(notices_process, *SWITCH)

    assert code == 0, err
    assert "is a symbolic link" in err
    assert_never_connected(listener)
    assert "via" not in started(home)[0]


def test_a_socket_whose_listener_runs_as_another_user_is_refused(notices_process, home):
    """The file is right (the data folder's owner, 0600), but the process listening on it
    (SO_PEERCRED) is `nobody`: a socket swapped in after serve made it."""
    import shutil
    import subprocess
    import sys
    import tempfile

    home.mkdir(parents=True)
    python = shutil.which("python3", path="/usr/bin") or sys.executable
    folder = Path(tempfile.mkdtemp())
    os.chmod(folder, 0o777)
    code = (
        "import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]);"
        " s.listen(1); print('ready', flush=True); s.settimeout(30)\n"
        "try:\n  s.accept(); print('connected', flush=True)\nexcept OSError: pass"
    )
    nobody = subprocess.Popen(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", python, "-c", code,
         str(folder / "s.sock")],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert nobody.stdout is not None and nobody.stdout.readline() == "ready\n"
        os.rename(folder / "s.sock", home / "serve.sock")
        os.chown(home / "serve.sock", os.getuid(), os.getgid())
        os.chmod(home / "serve.sock", 0o600)

        code_, _out, err = run(notices_process, *SWITCH)

        assert code_ == 0, err
        assert f"runs as uid {pwd.getpwnam('nobody').pw_uid}" in err and "running it here" in err
        assert "via" not in started(home)[0]
    finally:
        nobody.kill()
        nobody.communicate(timeout=10)
        shutil.rmtree(folder)


def test_without_serve_the_command_runs_here_even_with_its_socket_left_behind(
    serve, notices_process, home
):
    server = serve()
    server.process.kill()  # no clean-up: the socket file stays, nobody listens
    server.process.communicate(timeout=10)
    assert (home / "serve.sock").exists()

    code, out, err = run(notices_process, *SWITCH, "--json")

    assert code == 0, err
    assert json.loads(out)["ok"] is True
    assert "serve" not in err
    assert "via" not in started(home)[0]


def test_serve_killed_mid_switch_is_reported_and_the_next_command_finishes_it(
    serve, notices_process, notices, home, monkeypatch
):
    monkeypatch.setenv("NOTICES_FAULT_INJECT", "after-snapshot:website")
    server = serve()
    monkeypatch.delenv("NOTICES_FAULT_INJECT")

    code, _out, err = run(notices_process, *SWITCH)

    server.process.communicate(timeout=10)  # its pipes read and closed
    assert server.process.returncode == -signal.SIGKILL
    assert code == 1
    assert "`notices serve`" in err and "stopped before `evacuate` finished" in err
    assert started(home)[0]["via"] == "serve"
    status = notices("status", "--json").json()
    assert status["interrupted"] == "evacuate"

    again = notices(*SWITCH, "--json")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert all(channel["ok"] for channel in again.json()["channels"])
    assert notices("status", "--json").json()["interrupted"] is None
    assert notices("log", "verify").exit_code == 0
    assert len(records(home, "incident.opened")) == 1


def test_serve_signs_in_ahead_so_a_warm_switch_asks_for_no_token(
    serve, notices_process, home, microsoft, google
):
    from tests.support.cloudmail import gmail_channel, graph_channel, write_config

    microsoft.add_mailbox("asiakaspalvelu@esimerkki.fi")
    google.add_user("myynti@esimerkki.fi")
    write_config(
        home,
        graph_channel(microsoft, ["asiakaspalvelu@esimerkki.fi"])
        + gmail_channel(google, ["myynti@esimerkki.fi"]),
    )

    def tokens() -> int:
        return len(microsoft.requests("POST", "/token")) + len(google.requests("POST", "/token"))

    serve()
    wait_until(lambda: tokens() >= 2, 10, "serve to sign in to Microsoft and Google")
    before = tokens()

    code, out, err = run(notices_process, *SWITCH, "--json")

    assert code == 0, err
    assert all(channel["ok"] for channel in json.loads(out)["channels"])
    assert started(home)[0]["via"] == "serve"
    assert tokens() == before  # no sign-in on the critical path
    assert microsoft.setting("asiakaspalvelu@esimerkki.fi")["status"] == "scheduled"


def asked_on_a_terminal(home: Path, answer: str) -> tuple[int, str, str]:
    """`notices evacuate --for 4h` with a terminal as its stdin, answering `answer`."""
    import pty
    import subprocess
    import sys

    terminal, stdin = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "notices", "evacuate", "--for", "4h"],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NOTICES_HOME": str(home)},
    )
    os.close(stdin)
    os.write(terminal, answer.encode() + b"\n")
    try:
        out, err = process.communicate(timeout=60)
    finally:
        os.close(terminal)
    return process.returncode, out, " ".join(err.split())


@pytest.mark.parametrize(("answer", "code"), [("y", 0), ("n", 2)])
def test_a_warm_switch_asks_on_the_callers_terminal(serve, home, answer, code):
    server = serve()

    returned, out, err = asked_on_a_terminal(home, answer)

    assert returned == code, out + err
    assert f"warm path: `evacuate` for uid {os.getuid()}" in server.stop()
    assert "Switch phone, website, mail to the evacuate notice now? [y/N]:" in out
    if answer == "y":
        assert started(home)[0]["via"] == "serve"
        assert "Every channel now shows the evacuate notice." in out
    else:
        assert "Nothing was changed." in err
        assert not started(home)


def test_stopping_serve_lets_a_handed_over_switch_finish(
    serve, notices_process, home, tmp_path, twilio, web
):
    import shutil
    import time

    from tests.support.twilio import PN_STUDIO, add_numbers, write_config

    add_numbers(twilio)
    home.mkdir(parents=True)
    shutil.copy(write_config(tmp_path, twilio, web, [PN_STUDIO]), home / "notices.toml")
    server = serve()
    twilio.latency = 0.5  # each Twilio request: the switch takes a few seconds
    try:
        client = notices_process(*SWITCH, "--json")
        time.sleep(0.8)  # handed over and under way
        server.process.send_signal(signal.SIGTERM)
        out, err = client.communicate(timeout=60)
    finally:
        twilio.latency = 0.0

    assert client.returncode == 0, err
    assert all(channel["ok"] for channel in json.loads(out)["channels"])
    assert started(home)[0]["via"] == "serve"
    server.process.communicate(timeout=30)
    assert server.process.returncode == 0
    assert not (home / "serve.sock").exists()
