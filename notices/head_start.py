"""The process's one head start: work begun in the background as the process starts, before
the CLI is imported, and claimed once by the code that needs its result.

`notices/__main__.py` begins it for a switching command run here (notices/orchestrator/early.py
builds the channels and sends their reads); the command's session claims it. Only the
standard library is imported here, so that beginning costs nothing on the way to the CLI.

The work says when what it does is "under way" (the providers' reads sent): until then the
CLI waits (`wait_under_way`), so that its own imports do not take the interpreter's one
running thread (the GIL) from the work that gets the network going. The CLI's own work is
then done while the providers answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

# How long a claim waits for the work (it is then well under way: doing it again would
# take as long).
CLAIM_WAIT_S = 10.0

_pending: list[Future[Any]] = []
_under_way = threading.Event()
_lock = threading.Lock()


def begin(work: Callable[[Callable[[], None]], Any]) -> None:
    """Run `work` in a daemon thread from now; it is given the function to call once it is
    under way (which may be after it returns: called for it when it fails or returns None).
    Its result waits for `claim`."""
    future: Future[Any] = Future()
    with _lock:
        _pending[:] = [future]
    _under_way.clear()

    def run() -> None:
        try:
            result = work(_under_way.set)
        except BaseException as exc:  # noqa: BLE001 - the claimant decides what it means
            _under_way.set()
            future.set_exception(exc)
            return
        if result is None:
            _under_way.set()
        future.set_result(result)

    threading.Thread(target=run, daemon=True, name="head-start").start()


def wait_under_way(seconds: float) -> None:
    """Wait until the work is under way, or `seconds` at most (then go on beside it)."""
    _under_way.wait(seconds)


def claim() -> Any:
    """The work's result, once; None when nothing was begun, it failed or it is too slow."""
    with _lock:
        future = _pending.pop() if _pending else None
    if future is None:
        return None
    try:
        return future.result(timeout=CLAIM_WAIT_S)
    except Exception:  # noqa: BLE001 - whoever claims does the work itself, and reports
        return None
