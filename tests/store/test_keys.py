"""The keys provisioned to every node from a secret (NOTICES_SIGNING_KEY_FILE,
NOTICES_PERSONAL_KEY_FILE), never from the database and never made anew by a node."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support.site import site_files

pytestmark = pytest.mark.integration


def run_on(node, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "notices", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **node.env},
        timeout=60,
        check=False,
    )


def test_two_nodes_sign_with_the_keys_provisioned_from_a_secret(
    folders, notices, tmp_path, monkeypatch
):
    secrets = tmp_path / "secrets"
    keys = {
        "NOTICES_SIGNING_KEY_FILE": str(secrets / "signing-ed25519.pem"),
        "NOTICES_PERSONAL_KEY_FILE": str(secrets / "personal-hmac.key"),
    }
    a, b = folders(env=keys)
    shutil.move(a.home / "keys", secrets)
    shutil.rmtree(b.home / "keys")
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    fingerprint = notices("log", "key", "--home", str(a.home)).stdout
    assert run_on(a, "evacuate", "--for", "1h", "--yes").returncode == 0
    checkpoint = run_on(b, "log", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    for node in (a, b):
        run = notices("log", "verify", "--home", str(node.home))
        assert run.exit_code == 0, run.stderr
        assert not (node.home / "keys").exists(), "no node makes a key of its own"
    assert notices("log", "key", "--home", str(b.home)).stdout == fingerprint


def test_a_provisioned_key_that_is_missing_stops_the_command(notices, home, tmp_path, monkeypatch):
    missing = tmp_path / "secrets" / "signing-ed25519.pem"
    monkeypatch.setenv("NOTICES_SIGNING_KEY_FILE", str(missing))
    run = notices("evacuate", "--for", "1h", "--yes")
    assert run.exit_code != 0
    assert f"NOTICES_SIGNING_KEY_FILE names {missing}, which is not a file" in run.stderr
    assert "Nothing was switched" in run.stderr
    assert not missing.exists() and site_files(home) == {}
