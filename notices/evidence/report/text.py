"""How the report words things: its labels in the report's language, times in the report's
time zone, and contacts' phone numbers and addresses (masked unless personal data is
included)."""

from __future__ import annotations

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
        if not stamp:
            return self("unknown")
        local = from_stamp(stamp).astimezone(self.data.zone)
        return f"{local:%d.%m.%Y %H:%M:%S}" if seconds else f"{local:%d.%m.%Y %H:%M}"

    def party(self, ref: str) -> str:
        value = self.data.held_values.get(ref)
        if value is None:
            return self("erased")
        return value if self.data.include_personal else mask(value)
