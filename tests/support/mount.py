"""A file system mounted for one test (a small tmpfs, a read-only bind): needs root."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def mounted(*command: str) -> Iterator[None]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): needs root")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", command[-1]], check=False)
