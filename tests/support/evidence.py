"""A recorded incident's data: its reason with special characters, callers old and new
(past and within the retention), and calls stored through the same function the resume hook
uses (notices.evidence.contacts.store_contacts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
