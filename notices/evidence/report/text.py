"""How the report words things: its labels in the report's language, times in the report's
time zone, and contacts' phone numbers and addresses (masked unless personal data is
included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notices.evidence.personal import mask
from notices.evidence.report.inputs import ReportInput
from notices.evidence.report.words import kind_label, label
from notices.timeparse import from_stamp


class ReportText:
    """Called as `t("key", n=3)`: the label `key` in the report's language."""

    def __init__(self, data: ReportInput) -> None:
        self.data = data

    def __call__(self, key: str, **values: Any) -> str:
        return label(self.data.lang, key, **values)

    def kind(self, kind: str) -> str:
        return kind_label(self.data.lang, kind)

    def when(self, stamp: str | None, seconds: bool = True) -> str:
        """Local time with its offset, as the report's language writes it:
        `1.12.2026 klo 14.05 (UTC+2)`, `1.12.2026 kl. 14.05 (UTC+2)`, `1.12.2026 14:05 (UTC+2)`."""
        if not stamp:
            return self("unknown")
        local = from_stamp(stamp).astimezone(self.data.zone)
        sep = ":" if self.data.lang == "en" else "."
        clock = f"{local:%H}{sep}{local:%M}" + (f"{sep}{local:%S}" if seconds else "")
        return self("at_time", date=f"{local.day}.{local.month}.{local.year}", time=clock) + (
            f" ({utc_offset(local)})"
        )

    def party(self, ref: str) -> str:
        value = self.data.held_values.get(ref)
        if value is None:
            return self("erased")
        return value if self.data.include_personal else mask(value)


def utc_offset(moment: datetime) -> str:
    """`UTC+2`, `UTC+5:30`, `UTC−3` (with a minus sign), `UTC`."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
