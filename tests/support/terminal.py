"""The CLI on a pseudo-terminal, as a person at a keyboard runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# As an answer: Ctrl-C at that prompt (SIGINT to the process, as the terminal would send it).
CTRL_C = "\x03"


def in_a_terminal(
    home: Path, args: list[str], answers: list[tuple[str, str]], timeout: float = 60
) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, as a person would; each (prompt, answer) is typed
    once the prompt has appeared. Returns (exit code, everything shown)."""
    import os
    import select
    import signal
    import time

    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "notices", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "NOTICES_HOME": str(home)},
        close_fds=True,
    )
    os.close(follower)
    output, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if pending and pending[0][0].encode() in output:
            prompt, answer = pending.pop(0)
            output = output.replace(prompt.encode(), f"<{prompt}>".encode(), 1)
            if answer == CTRL_C:
                process.send_signal(signal.SIGINT)
            else:
                os.write(leader, answer.encode() + b"\n")
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return process.wait(timeout=30), output.decode("utf-8", "replace")
