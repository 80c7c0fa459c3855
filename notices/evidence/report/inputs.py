"""What a report is made from: the log slice and the settings of the export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from notices.evidence.log import Record


@dataclass
class ReportInput:
    records: list[Record]
    lang: str
    zone: ZoneInfo
    scope: str  # incident id or a period, for the title
    organisation: str | None
    mode_titles: dict[str, dict[str, str]]
    include_personal: bool
    held_values: dict[str, str]  # ref -> value still stored (erased ones are absent)
    manifest: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)
    generated: str = ""
    version: str = ""
