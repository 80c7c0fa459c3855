"""What the report's tables and lists show of a record: its one-line detail, the row of a
provider-corroborated number change, durations, and long lists cut to their two ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from notices.evidence.log import Record
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
        reason = str(update.get("twilio_event_missing") or t("unknown"))
        return [entry, t.when(ours), "—", "", t("provider_missing", reason=reason)]
    theirs = str(event.get("event_date"))
    difference = (from_stamp(theirs) - from_stamp(ours)).total_seconds()
    who = "/".join(str(v) for v in (event.get("actor_type"), event.get("source")) if v)
    properties = ", ".join(event.get("properties") or [])
    detail = f"{who}: {properties} ({event.get('event_type')} {event.get('sid')})"
    return [entry, t.when(ours), t.when(theirs), f"{difference:+.1f}", detail]


def brief(record: Record, t: ReportText) -> str:
    """A record's detail in one line, for the timeline and the lists."""
    p = record.payload
    kind = record.kind
    if kind == "command.started":
        args = {k: v for k, v in (p.get("arguments") or {}).items() if v}
        return (
            f"{p.get('command')} {json.dumps(args, ensure_ascii=False)}"
            if args
            else str(p.get("command"))
        )
    if kind == "incident.opened":
        return f"{p.get('mode')}; {t('planned')}: {t.when(p.get('expected_return'), False)}"
    if kind == "incident.updated":
        ret = p.get("expected_return") or {}
        return f"{t('planned')}: {t.when(ret.get('from'), False)} → {t.when(ret.get('to'), False)}"
    if kind in ("channel.snapshot", "channel.restored"):
        return str((p.get("setting") or {}).get("summary", ""))
    if kind == "channel.applied":
        return ", ".join(f"{n} {a['sha256'][:12]}" for n, a in p.get("artefacts", {}).items())
    if kind == "channel.verified":
        summary = (p.get("read_back") or {}).get("summary", "")
        return f"{t('holds') if p.get('holds') else t('differs')}: {summary}"
    if kind == "channel.retry":
        return f"{p.get('step')} #{p.get('attempt')}: {p.get('error')}"
    if kind in ("channel.failed", "contacts.failed"):
        return str(p.get("error"))
    if kind == "incident.closed":
        return t.when(p.get("ended"))
    if kind == "command.finished":
        return f"{p.get('command')}: {'OK' if p.get('ok') else 'FAILED'}"
    if kind == "contact.received":
        detail = p.get("detail") or {}
        extra = " ".join(f"{k}={detail[k]}" for k in ("status", "duration") if k in detail)
        return f"{p.get('contact')} {t.party(str(p.get('party')))} {extra}".strip()
    if kind == "contacts.collected":
        return ", ".join(
            f"{name}: {c['received'] if c['available'] else '—'}"
            for name, c in p.get("channels", {}).items()
        )
    return json.dumps(p, ensure_ascii=False)
