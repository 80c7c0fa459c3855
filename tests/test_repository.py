"""The repository itself: no merge-conflict markers committed in any text file git tracks."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A conflict's opening and closing lines (a space, then the side's name, or nothing) and the
# separator between the two sides, exactly as git writes them.
MARKER = re.compile(r"^(?:(?:<{7}|>{7})(?: |$)|={7}$)")


def tracked_files() -> list[Path]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [ROOT / name for name in listed.decode("utf-8").split("\0") if name]


def is_binary(data: bytes) -> bool:
    """Git's own test: a NUL byte in the first 8,000 bytes (fonts, images, PDFs)."""
    return b"\0" in data[:8000]


def test_no_merge_conflict_markers_in_tracked_text_files():
    found = []
    for path in tracked_files():
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        data = path.read_bytes()
        if is_binary(data):
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if MARKER.match(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line}")
    assert not found, "merge-conflict markers committed:\n" + "\n".join(found)
