"""Fault injection at step boundaries, for the crash tests.

`NOTICES_FAULT_INJECT=point[:which]` makes the process kill itself with SIGKILL when it
reaches that point, exactly as a power cut or `kill -9` would: no cleanup, no finally
blocks. `which` narrows it to one channel (or file, or number). Points:

- `after-snapshot`, `after-apply`, `before-restore`, `after-restore` (which: a channel);
- `after-plan`: a switch wrote its incident and planned resume, and touched no channel yet;
- `before-close`: every channel restored, the incident not yet closed;
- `after-file` (which: a file name): a folder publisher wrote that file, maybe not the others;
- `after-number` (which: an entry of `numbers`): Twilio took that number's new routing;
- `after-credentials` (which: a channel): the channel read its secrets from the environment.
- `after-checkpoint-recorded`: the chain recorded a checkpoint line not yet in `heads.jsonl`.
- `cli-loading`: a switching command's head start begun, the CLI not yet imported.

`raise-POINT[:which]` raises an unexpected RuntimeError there instead (a bug, not a crash).
`interrupt-POINT[:which]` sends the process SIGINT there instead, as Ctrl-C on its terminal
would (Python raises KeyboardInterrupt in the main thread, whichever thread reached it).
`fill-POINT[:which]` fills the disk there instead: it writes the file NOTICES_FAULT_FILL
until the file system has no room left, and goes on.
Unset, this costs one dictionary lookup per step.
"""

from __future__ import annotations

import os
import signal

WAYS = ("raise-", "fill-", "interrupt-")


def crash_point(point: str, which: str | None = None) -> None:
    wanted = os.environ.get("NOTICES_FAULT_INJECT")
    if not wanted:
        return
    name, _, only = wanted.partition(":")
    how, _, at = name.partition("-") if name.startswith(WAYS) else ("", "", name)
    if at != point or (only and only != which):
        return
    if how == "raise":
        raise RuntimeError(f"fault injected at {point}")
    if how == "fill":
        _fill(os.environ["NOTICES_FAULT_FILL"])
        return
    os.kill(os.getpid(), signal.SIGINT if how == "interrupt" else signal.SIGKILL)


def _fill(path: str) -> None:
    chunk = bytes(64 * 1024)
    try:
        with open(path, "ab") as handle:
            while True:
                handle.write(chunk)
                handle.flush()
    except OSError:
        pass
    try:
        with open(path, "ab") as handle:  # the last few bytes
            while True:
                handle.write(b"\0")
                handle.flush()
    except OSError:
        return
