"""ManageSieve never hangs: connecting and every read are bounded by the channel's own
`timeout`, per channel, whatever another channel (or thread) uses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from notices.channels.base import ChannelContext
from notices.channels.email_sieve import EmailSieve, EmailSieveOptions
from notices.errors import TransientChannelError
from tests.support.loopback import Silent

pytestmark = pytest.mark.integration


def channel(home: Path, port: int, timeout: float) -> EmailSieve:
    options = EmailSieveOptions(
        host="127.0.0.1",
        port=port,
        username="reception",
        password_env="SIEVE_TEST_PASSWORD",
        timeout=timeout,
    )
    return EmailSieve(options, ChannelContext(home=home, name="mail"))


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIEVE_TEST_PASSWORD", "not-used")


def failing_time(mail: EmailSieve) -> tuple[float, TransientChannelError]:
    began = time.monotonic()
    with pytest.raises(TransientChannelError) as caught:
        mail.snapshot()
    return time.monotonic() - began, caught.value


def test_a_server_that_accepts_and_never_answers_fails_within_the_timeout(home, silent: Silent):
    elapsed, error = failing_time(channel(home, silent.port, timeout=1))
    assert 0.9 <= elapsed < 2.5, elapsed
    assert "no answer within 1 s" in str(error)


def test_a_connection_that_never_completes_fails_within_the_timeout(home, unreachable: int):
    elapsed, error = failing_time(channel(home, unreachable, timeout=1))
    assert 0.9 <= elapsed < 2.5, elapsed
    assert f"127.0.0.1:{unreachable}" in str(error)


def test_each_channel_keeps_its_own_read_timeout(home, silent: Silent, closing: int):
    from sievelib.managesieve import Client

    shared = Client.read_timeout
    with pytest.raises(TransientChannelError):
        channel(home, closing, timeout=30).snapshot()  # a patient channel, used first

    elapsed, _ = failing_time(channel(home, silent.port, timeout=1))

    assert elapsed < 2.5, elapsed
    assert Client.read_timeout == shared  # sievelib's class-wide default is left alone
