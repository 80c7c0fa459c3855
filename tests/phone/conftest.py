"""Servers for the phone tests: Prism serving Twilio's OpenAPI description, a stateful
stand-in built to the same description, and a plain web server for the greeting."""

from __future__ import annotations

import functools
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.phone.standin import TwilioStandIn

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".ci" / "cache" / "phone"
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "s3cr3t-auth-token-0f9e8d7c6b5a4938"


def description_path() -> Path:
    found = sorted(CACHE.glob("twilio-cli-core-*/twilio_api_v2010.json"))
    if not found:
        pytest.fail("Twilio's OpenAPI description is missing: run `bash scripts/install-test-deps`")
    return found[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class WebRoot:
    """A web server for published files, as a customer's static host would serve them."""

    root: Path
    url: str


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


@dataclass
class Prism:
    url: str
    log: Path

    def rejected(self) -> int:
        """How many requests Prism found invalid so far (each is answered with 422)."""
        return self.log.read_text("utf-8", errors="replace").count(
            "Request did not pass the validation rules"
        )


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    binaries = sorted(CACHE.glob("prism-*/node_modules/.bin/prism"))
    if not binaries:
        pytest.fail("Prism is missing: run `bash scripts/install-test-deps`")
    port = free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(binaries[-1]),
                "mock",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                str(description_path()),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Prism exited early:\n{log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("Prism did not start within 60 s")
    yield Prism(f"http://127.0.0.1:{port}", log)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
