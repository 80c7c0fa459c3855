"""A recorded incident: switched, updated and resumed through the CLI, with phone calls
stored through the same function the resume hook uses (notices.evidence.contacts.store_contacts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from notices.channels.base import Contact
from notices.evidence.contacts import store_contacts
from notices.evidence.export import open_log

SPECIAL = "ÄÖÅäöå – € “” š"
REASON = f"Palohälytys {SPECIAL}"
OLD_CALLERS = ["+358401112267", "+358509998841"]  # from 2022: past the 36-month retention
NEW_CALLERS = ["+358401234567", "+358457654321"]


def calls(numbers: list[str], day: str) -> list[Contact]:
    return [
        Contact(
            channel="phone",
            kind="call",
            at=f"{day}T{10 + i:02d}:{15 * i:02d}:00.000Z",
            party=number,
            provider_id=f"CA{day.replace('-', '')}{i:026d}",
            detail={
                "status": "completed",
                "duration": str(20 + i),
                "direction": "inbound",
                "from": number,
                "to": "+358912345678",
                "played": "greeting.xml",
            },
        )
        for i, number in enumerate(numbers)
    ]


@dataclass
class Recorded:
    incident: str
    home: Path
    texts: dict[str, str]  # artefact name -> the exact text last published


def add_contacts(home: Path, incident: str, contacts: list[Contact]) -> int:
    log = open_log(home)
    try:
        return store_contacts(log, "phone", incident, contacts)
    finally:
        log.database.close()


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
