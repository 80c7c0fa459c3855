"""Every HTTP call has a time limit: google-auth asks for tokens with no timeout of its own,
so the client's limit must hold."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from google.auth import exceptions

from notices.channels.cloudmail import GoogleAuthRequest
from tests.support.loopback import Silent

pytestmark = pytest.mark.integration


def test_a_token_request_without_a_timeout_still_ends(silent: Silent):
    outcome: list[BaseException | None] = []

    def ask() -> None:
        request = GoogleAuthRequest(httpx.Client(timeout=1))
        try:
            request(f"http://127.0.0.1:{silent.port}/token", method="POST", body=b"x")
        except BaseException as exc:  # noqa: BLE001 - looked at below
            outcome.append(exc)
        else:
            outcome.append(None)

    began = time.monotonic()
    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(5)
    assert outcome, "the token request was still waiting after 5 s"
    assert isinstance(outcome[0], exceptions.TransportError)
    assert time.monotonic() - began < 2.5
