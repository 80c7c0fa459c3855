"""One fan-out for every channel with several targets (numbers, mailboxes)."""

from __future__ import annotations

import threading

import pytest

from notices.channels.fanout import for_each
from notices.errors import ChannelError, PermanentChannelError, TransientChannelError

TARGETS = ["a", "b", "c", "d"]


def test_results_come_back_in_target_order_and_run_at_once():
    both_running = threading.Barrier(2, timeout=5)

    def work(target: str) -> str:
        both_running.wait()  # deadlocks unless two targets run at the same time
        return target.upper()

    assert for_each(["a", "b"], work, workers=2) == {"a": "A", "b": "B"}


def test_every_target_is_tried_even_when_one_fails():
    tried: list[str] = []

    def work(target: str) -> str:
        tried.append(target)
        if target == "a":
            raise PermanentChannelError("a is wrong")
        return target

    with pytest.raises(PermanentChannelError, match="a is wrong") as caught:
        for_each(TARGETS, work, workers=1)
    assert sorted(tried) == TARGETS
    assert "done: b, c, d" in str(caught.value)


def test_transient_wins_so_a_retry_repeats_the_unfinished_targets():
    def work(target: str) -> str:
        if target == "a":
            raise PermanentChannelError("a is wrong")
        if target == "b":
            raise TransientChannelError("b is busy", retry_after=3)
        if target == "c":
            raise TransientChannelError("c is busy", retry_after=7)
        return target

    with pytest.raises(TransientChannelError) as caught:
        for_each(TARGETS, work, workers=4)
    assert caught.value.retry_after == 7
    assert str(caught.value).startswith("a is wrong; b is busy; c is busy")


def test_an_unexpected_exception_becomes_a_plain_transient_error():
    def work(target: str) -> str:
        if target == "b":
            raise KeyError("voice_url")
        return target

    with pytest.raises(TransientChannelError) as caught:
        for_each(TARGETS, work, workers=2)
    assert "b: KeyError 'voice_url'" in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_one_failing_target_alone_keeps_its_own_error():
    error = PermanentChannelError("Twilio refused the credentials (HTTP 401)")

    def work(target: str) -> str:
        raise error

    with pytest.raises(ChannelError) as caught:
        for_each(["only"], work, workers=4)
    assert caught.value is error


def test_the_same_message_from_several_targets_is_said_once():
    def work(target: str) -> str:
        raise PermanentChannelError("Twilio refused the credentials (HTTP 401)")

    with pytest.raises(PermanentChannelError) as caught:
        for_each(TARGETS, work, workers=4)
    assert str(caught.value) == "Twilio refused the credentials (HTTP 401)"


def test_no_targets_is_no_work():
    assert for_each([], lambda t: t, workers=4) == {}
