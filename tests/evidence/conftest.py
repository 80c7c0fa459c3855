"""A recorded incident: switched, updated and resumed through the CLI, with phone calls
stored through the same function the resume hook uses (notices.evidence.contacts.store_contacts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.evidence import NEW_CALLERS, OLD_CALLERS, REASON, Recorded, add_contacts, calls


@pytest.fixture
def recorded(notices: Callable[..., Any], home: Path) -> Recorded:
    run = notices
    assert run("evacuate", "--for", "2h", "--reason", REASON, "--yes").exit_code == 0
    assert run("evacuate", "--for", "3h", "--yes").exit_code == 0
    records = [json.loads(line) for line in run("log", "show", "--json").stdout.splitlines()]
    incident = next(r["incident"] for r in records if r["kind"] == "incident.opened")
    texts: dict[str, str] = {}
    for record in records:
        if record["kind"] == "channel.applied":
            for name, artefact in record["payload"]["artefacts"].items():
                texts[name] = artefact["text"]
    assert run("resume", "--yes").exit_code == 0
    today = records[0]["ts"][:10]
    stored = add_contacts(home, incident, calls(OLD_CALLERS, "2022-03-01"))
    stored += add_contacts(home, incident, calls(NEW_CALLERS, today))
    assert stored == 4
    return Recorded(incident, home, texts)
