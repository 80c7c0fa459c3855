from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from notices import cli
from tests.support.log import query
from tests.support.loopback import QuietHandler, WebRoot
from tests.support.sms import PIN, Gateway, sms_config
from tests.support.twilio import ACCOUNT, TOKEN, description_path
from tests.support.twilio_standin import TwilioStandIn
from tests.support.wait import wait_until


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.stdout)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data folder; nothing from the developer's machine leaks in."""
    data = tmp_path / "home"
    monkeypatch.setenv("NOTICES_HOME", str(data))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NOTICES_ACTOR", "test-operator")
    for name in ("NOTICES_CONFIG", "NOTICES_FAULT_INJECT"):
        monkeypatch.delenv(name, raising=False)
    yield data


@pytest.fixture
def notices() -> Iterator[Callable[..., Run]]:
    """Run the CLI in-process, exactly as `notices ARGS...` would."""
    runner = CliRunner()
    registered = list(cli.app.registered_commands)

    def run(*args: str, input: str | None = None) -> Run:
        cli.register_configured_modes(list(args))
        result = runner.invoke(cli.app, list(args), input=input, prog_name="notices")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield run
    cli.app.registered_commands[:] = registered


@pytest.fixture
def notices_process() -> Callable[..., subprocess.Popen[str]]:
    """Start the CLI as a separate process (for crashes and races)."""

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        import os

        return subprocess.Popen(
            [sys.executable, "-m", "notices", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    return start


# -- Twilio's stateful stand-in, and a web host for the greeting (phone, evidence, reliability)


@pytest.fixture(scope="session")
def standin_server() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn(description_path()).start()
    yield server
    server.stop()


@pytest.fixture
def twilio(standin_server: TwilioStandIn, monkeypatch: pytest.MonkeyPatch) -> TwilioStandIn:
    """The stand-in, emptied, with our account and its credentials in the environment."""
    standin_server.reset()
    standin_server.add_account(ACCOUNT, TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    return standin_server


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebRoot]:
    root = tmp_path_factory.mktemp("webroot")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield WebRoot(root, f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@pytest.fixture
def web(web_server: WebRoot, request: pytest.FixtureRequest) -> WebRoot:
    """A folder of its own for this test, and the URL it is served at."""
    name = request.node.name.replace("[", "-").replace("]", "")
    folder = web_server.root / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return WebRoot(folder, f"{web_server.url}/{name}")


# -- `notices serve` with the SMS gate, and the Twilio stand-in it replies through (sms, voice)


@pytest.fixture(scope="session")
def sms_twilio() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn(description_path()).start()
    yield server
    server.stop()


@pytest.fixture
def gateway(home: Path, sms_twilio: TwilioStandIn) -> Iterator[Callable[..., Gateway]]:
    started: list[subprocess.Popen[str]] = []

    def start(**overrides: Any) -> Gateway:
        sms_twilio.reset()
        sms_twilio.add_account(ACCOUNT, TOKEN)
        home.mkdir(parents=True, exist_ok=True)
        (home / "notices.toml").write_text(sms_config(sms_twilio.url, **overrides), "utf-8")
        env = {
            **os.environ,
            "NOTICES_HOME": str(home),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "NOTICES_PIN_OSKARI": PIN,
        }
        for name in ("TWILIO_EDGE", "TWILIO_REGION", "NOTICES_ACTOR"):
            env.pop(name, None)
        process = subprocess.Popen(
            [sys.executable, "-m", "notices", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        started.append(process)
        rows = wait_until(
            lambda: (
                process.poll() is None
                and query(
                    home / "notices.db",
                    "SELECT address FROM scheduler_heartbeat WHERE pid = ? AND stopped IS NULL",
                    (process.pid,),
                )
            ),
            15,
            "notices serve to start",
        )
        return Gateway(process, home, rows[0][0], sms_twilio)

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)
