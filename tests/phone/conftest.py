"""Prism serving Twilio's OpenAPI description, for the phone tests. The stateful stand-in
and the web server for the greeting are shared fixtures (tests/conftest.py)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support.net import free_port
from tests.support.twilio import CACHE, Prism, description_path


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
