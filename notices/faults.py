"""Fault injection at step boundaries, for the crash tests.

`NOTICES_FAULT_INJECT=point[:channel]` makes the process kill itself with SIGKILL when it
reaches that point, exactly as a power cut or `kill -9` would: no cleanup, no finally
blocks. Points: `after-snapshot`, `after-apply`, `before-restore`. Unset, this costs one
dictionary lookup per step.
"""

from __future__ import annotations

import os
import signal


def crash_point(point: str, channel: str | None = None) -> None:
    wanted = os.environ.get("NOTICES_FAULT_INJECT")
    if not wanted:
        return
    name, _, only = wanted.partition(":")
    if name == point and (not only or only == channel):
        os.kill(os.getpid(), signal.SIGKILL)
