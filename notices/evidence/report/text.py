"""How the report words things: its labels in the report's language, times in the report's
time zone, and contacts' phone numbers and addresses (masked unless personal data is
included)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal

from notices.evidence.personal import mask
from notices.evidence.report.inputs import ReportInput
from notices.evidence.report.words import field_label, kind_label, label
from notices.locales import resolve, texts
from notices.timeparse import from_stamp


class ReportText:
    """Called as `t("key", n=3)`: the label `key` in the report's language."""

    def __init__(self, data: ReportInput) -> None:
        self.data = data

    def __call__(self, key: str, **values: Any) -> str:
        return label(self.data.lang, key, **values)

    def kind(self, kind: str) -> str:
        return kind_label(self.data.lang, kind)

    def field(self, key: str) -> str:
        return field_label(self.data.lang, key)

    def texts(self) -> Mapping[str, str]:
        """Every text of the report's language, by dotted key."""
        return texts(resolve(self.data.lang))

    def number(self, value: float) -> str:
        """`1,5` in Finnish and Swedish, `1.5` in English; whole numbers without decimals."""
        return format_decimal(value, locale=resolve(self.data.lang))

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
