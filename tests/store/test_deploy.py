"""deploy/notices-serve.service is a unit systemd accepts: `systemd-analyze verify`, with
its ExecStart pointed at this installation's `notices` (the unit's path is where the docs
install it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "notices-serve.service"
INSTALLED = "/opt/notices/.venv/bin/notices"


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: run scripts/install-test-deps (systemd)")
    return subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_unit_verifies_without_a_warning(tmp_path):
    notices = Path(sys.executable).parent / "notices"
    assert notices.exists()
    text = UNIT.read_text("utf-8")
    assert f"ExecStart={INSTALLED} serve" in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(INSTALLED, str(notices)), "utf-8")
    result = verify(unit)
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_verify_would_catch_a_broken_unit(tmp_path):
    """The check above can fail: a key systemd does not know is named."""
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text("utf-8") + "\n[Service]\nRestartSecs=5\n", "utf-8")
    assert "Unknown key 'RestartSecs'" in verify(unit).stderr
