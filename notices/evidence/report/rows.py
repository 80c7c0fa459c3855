"""What the report's tables and lists show of a record: its one-line detail, the row of a
provider-corroborated number change, durations, and long lists cut to their two ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from notices.evidence.log import Record
from notices.evidence.report.said import contact_detail, quoted, said, word
from notices.evidence.report.text import ReportText
from notices.timeparse import from_stamp

ROWS_SHOWN = 400  # per table: the first and last half; the attachments hold every record


def capped(items: list[Record]) -> Iterator[tuple[Record | None, int]]:
    """The items, or for a long list its first and last ROWS_SHOWN / 2 with one marker
    (None, how many were left out) between them."""
    if len(items) <= ROWS_SHOWN:
        yield from ((item, 0) for item in items)
        return
    half = ROWS_SHOWN // 2
    yield from ((item, 0) for item in items[:half])
    yield None, len(items) - 2 * half
    yield from ((item, 0) for item in items[-half:])


def duration(start: str, end: str) -> str:
    delta = from_stamp(end) - from_stamp(start)
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def corroboration_row(entry: str, update: dict[str, Any], t: ReportText) -> list[str]:
    """One row: the number, our time of the change, the provider's, the difference, and
    who and what the provider recorded (or why its record is missing)."""
    ours = str(update["at"])
    event = update.get("twilio_event")
    if not isinstance(event, dict):
        missing = update.get("twilio_event_missing")
        reason = quoted(str(missing)) if missing else t("unknown")
        return [entry, t.when(ours), "—", "", t("provider_missing", reason=reason)]
    theirs = str(event.get("event_date"))
    difference = (from_stamp(theirs) - from_stamp(ours)).total_seconds()
    detail = t(
        "said.provider_event",
        who=" / ".join(word(t, k, event.get(k)) for k in ("actor_type", "source") if event.get(k))
        or "—",
        properties=", ".join(word(t, "property", p) for p in event.get("properties") or []) or "—",
        event=word(t, "event_type", event.get("event_type")),
        sid=event.get("sid"),
    )
    sign = "+" if difference >= 0 else "−"
    return [entry, t.when(ours), t.when(theirs), sign + t.number(round(abs(difference), 1)), detail]


def brief(record: Record, t: ReportText) -> str:
    """A record's detail in one line of words, for the timeline and the lists."""
    return said(record, t)


def call_detail(detail: dict[str, Any], t: ReportText) -> str:
    """A contact's provider details in words."""
    return contact_detail(detail, t)
