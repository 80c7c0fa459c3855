"""Running one step on every channel at once, each with its own retries, logged.

A channel's exception becomes its outcome and a `channel.failed` record: one channel
failing never stops another. Transient provider errors are retried with exponential
backoff (`[retry]` in notices.toml), a provider's Retry-After winning within reason; every
retry is logged. Error texts leave here with the channels' credentials masked.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from notices import masking
from notices.channels.base import Channel, Setting
from notices.config import RetryConfig
from notices.errors import ChannelError
from notices.evidence.log import EvidenceLog
from notices.orchestrator.outcomes import ChannelOutcome, Progress, ProgressState

if TYPE_CHECKING:
    import tenacity

    from notices.orchestrator.early import EarlyReads

# How long a ready channel waits for the others before switching on its own.
TOGETHER_SECONDS = 2.0


class Gate:
    """Lets the channels switch at the same moment: each channel arrives when it is ready (signed
    in, current setting read) or has failed; all go once every channel has arrived, or after
    `limit` seconds, so that one slow provider never holds the others back for long."""

    def __init__(self, names: list[str], limit: float = TOGETHER_SECONDS) -> None:
        self.waiting = set(names)
        self.limit = limit
        self.condition = threading.Condition()

    def arrive(self, name: str) -> None:
        with self.condition:
            self.waiting.discard(name)
            self.condition.notify_all()

    def wait(self, name: str) -> None:
        self.arrive(name)
        with self.condition:
            self.condition.wait_for(lambda: not self.waiting, timeout=self.limit)


def _never_raises(progress: Progress) -> Progress:
    def shown(name: str, state: ProgressState, detail: str) -> None:
        # A display must never stop a switch: what it cannot show is dropped.
        with contextlib.suppress(Exception):
            progress(name, state, masking.mask(detail))

    return shown


class ChannelRunner:
    """Runs a step on every channel concurrently, with retries, for one command."""

    def __init__(
        self, channels: list[Channel], log: EvidenceLog, progress: Progress, retry: RetryConfig
    ) -> None:
        self.channels = channels
        self.log = log
        # The display is not on the switch's critical path: a failure to show is dropped.
        self.progress = _never_raises(progress)
        self.retry = retry
        # Reads made before the lock (a cold command's head start), admitted under it.
        self.early: EarlyReads | None = None
        # Tries per channel and step in the current command (retries included).
        self._attempts: dict[str, dict[str, int]] = {}
        self._attempts_lock = threading.Lock()
        # Values of the channels' credential variables: masked, in every form, in every
        # text that leaves the process (notices/masking.py).
        masking.remember(
            os.environ.get(variable)
            for channel in channels
            for variable in channel.credential_variables().values()
        )

    def run_all(
        self,
        work: Callable[[Channel], ChannelOutcome],
        incident_id: str,
        gate: Gate | None = None,
    ) -> list[ChannelOutcome]:
        """Run `work` for every channel at once; an exception in one becomes its outcome."""
        self._attempts.clear()
        for channel in self.channels:
            self.progress(channel.name, "pending", channel.describe())

        def guarded(channel: Channel) -> ChannelOutcome:
            began = time.monotonic()
            try:
                outcome = work(channel)
            except Exception as exc:  # noqa: BLE001 - one channel must never stop the others
                outcome = ChannelOutcome(
                    channel.name,
                    channel.kind,
                    channel.describe(),
                    ok=False,
                    error=self.plain(exc),
                )
                self.log.append(
                    "channel.failed",
                    {
                        "error": outcome.error,
                        "type": type(exc).__name__,
                        "transient": isinstance(exc, ChannelError) and exc.transient,
                    },
                    incident=incident_id,
                    channel=channel.name,
                )
            finally:
                if gate is not None:
                    gate.arrive(channel.name)  # done or failed: the others need not wait
            outcome.elapsed_ms = round((time.monotonic() - began) * 1000)
            tries = self._attempts.get(channel.name, {}).values()
            outcome.attempts = max(tries, default=0)
            outcome.calls = sum(tries)
            if outcome.ok:
                state: ProgressState = "done" if outcome.changed else "unchanged"
                self.progress(channel.name, state, f"{outcome.elapsed_ms} ms")
            else:
                self.progress(channel.name, "failed", outcome.error or "")
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, len(self.channels))) as pool:
            return list(pool.map(guarded, self.channels))

    def attempt(self, channel: Channel, incident: str, step: str, call: Callable[[], Any]) -> Any:
        """Call a provider, retrying transient failures with exponential backoff; log each."""
        import tenacity

        def log_retry(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            self.log.append(
                "channel.retry",
                {
                    "step": step,
                    "attempt": state.attempt_number,
                    "error": self.plain(exc),
                    "retry_in_s": round(wait, 3),
                },
                incident=incident,
                channel=channel.name,
            )
            self.progress(channel.name, "retrying", f"{step}: {self.plain(exc)}")

        policy = self.retry
        backoff = tenacity.wait_exponential(
            multiplier=policy.wait_s, max=min(8.0, policy.max_wait_s)
        )

        def wait(state: tenacity.RetryCallState) -> float:
            # A provider's Retry-After wins over our own backoff, within reason.
            exc = state.outcome.exception() if state.outcome else None
            after = getattr(exc, "retry_after", None)
            return min(float(after), policy.max_wait_s) if after is not None else backoff(state)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(
                lambda e: isinstance(e, ChannelError) and e.transient
            ),
            before_sleep=log_retry,
            reraise=True,
        )

        def counted() -> Any:
            self._count(channel, step)
            return call()

        return retrying(counted)

    def read(self, channel: Channel) -> Setting:
        """What the provider serves now: the early read when one was admitted, else read."""
        early = self.early.take(channel) if self.early is not None else None
        return early if early is not None else channel.snapshot()

    def read_ahead(self, channel: Channel) -> Setting | None:
        """What the provider serves now, read before the gate so that the first request of
        the change is the switching one. Only a head start: if the read fails, the change
        reads (and retries, and reports) by itself, and does what it can (a resume puts the
        phone numbers back even when the greeting's publisher cannot be read)."""
        self._count(channel, "read-ahead")
        try:
            return self.read(channel)
        except Exception:  # noqa: BLE001 - the change that follows reports the problem
            return None

    def _count(self, channel: Channel, step: str) -> None:
        with self._attempts_lock:
            steps = self._attempts.setdefault(channel.name, {})
            steps[step] = steps.get(step, 0) + 1

    def plain(self, exc: BaseException | None) -> str:
        """An error as text for people and the log, credentials masked: a provider may
        echo one back in its error message, and a bug's message may carry one."""
        return masking.mask(_plain(exc))


def _plain(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    text = str(exc) or type(exc).__name__
    return text
