"""apply/restore publish and return; the orchestrator's own verify step reads back. A read
back inside apply would fail after publishing (a CDN serving an old copy) and leave no
`channel.applied` record of a change that did happen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.loopback import Site

pytestmark = pytest.mark.integration

OLD_STATUS = '{"mode": "normal", "active": false}\n'


def log_records(notices, config: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    out = notices("log", "show", "--json", "--config", str(config)).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_a_stale_cdn_copy_fails_verify_but_the_publish_is_logged(notices, tmp_path, site: Site):
    published = tmp_path / "published"
    cdn, url = site.folder("stale-cdn")
    (cdn / "status.json").write_text(OLD_STATUS)  # the copy the CDN keeps serving
    config = tmp_path / "notices.toml"
    config.write_text(
        f"""
[channels.website]
kind = "banner"
publisher = {{ type = "folder", path = "{published}" }}
public_url = "{url}"
"""
    )

    run = notices("evacuate", "--yes", "--json", "--config", str(config))

    assert run.exit_code != 0
    [website] = run.json()["channels"]
    assert not website["ok"]
    assert "does not serve what was published" in website["error"]
    assert json.loads((published / "status.json").read_text())["mode"] == "evacuate"
    records = log_records(notices, config)
    kinds = [r["kind"] for r in records]
    assert kinds.count("channel.applied") == 1
    retried = {r["payload"]["step"] for r in records if r["kind"] == "channel.retry"}
    assert retried == {"verify"}
