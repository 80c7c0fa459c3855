"""What the report's tables and lists show of a record: its one-line detail, the row of a
provider-corroborated number change, durations, and long lists cut to their two ends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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
    """A record's detail in one line, for the timeline and the lists; a kind without its
    own wording shows its payload as JSON."""
    wording = BRIEF_OF_KIND.get(record.kind)
    if wording is None:
        return json.dumps(record.payload, ensure_ascii=False)
    return wording(record.payload, t)


def _command_started(p: dict[str, Any], t: ReportText) -> str:
    args = {k: v for k, v in (p.get("arguments") or {}).items() if v}
    return (
        f"{p.get('command')} {json.dumps(args, ensure_ascii=False)}"
        if args
        else str(p.get("command"))
    )


def _command_finished(p: dict[str, Any], t: ReportText) -> str:
    return f"{p.get('command')}: {'OK' if p.get('ok') else 'FAILED'}"


def _incident_opened(p: dict[str, Any], t: ReportText) -> str:
    return f"{p.get('mode')}; {t('planned')}: {t.when(p.get('expected_return'), False)}"


def _incident_updated(p: dict[str, Any], t: ReportText) -> str:
    ret = p.get("expected_return") or {}
    return f"{t('planned')}: {t.when(ret.get('from'), False)} → {t.when(ret.get('to'), False)}"


def _incident_closed(p: dict[str, Any], t: ReportText) -> str:
    return t.when(p.get("ended"))


def _setting_summary(p: dict[str, Any], t: ReportText) -> str:
    return str((p.get("setting") or {}).get("summary", ""))


def _artefact_hashes(p: dict[str, Any], t: ReportText) -> str:
    return ", ".join(f"{n} {a['sha256'][:12]}" for n, a in p.get("artefacts", {}).items())


def _read_back(p: dict[str, Any], t: ReportText) -> str:
    summary = (p.get("read_back") or {}).get("summary", "")
    return f"{t('holds') if p.get('holds') else t('differs')}: {summary}"


def _retry(p: dict[str, Any], t: ReportText) -> str:
    return f"{p.get('step')} #{p.get('attempt')}: {p.get('error')}"


def _error(p: dict[str, Any], t: ReportText) -> str:
    return str(p.get("error"))


def _contact(p: dict[str, Any], t: ReportText) -> str:
    detail = p.get("detail") or {}
    extra = " ".join(f"{k}={detail[k]}" for k in ("status", "duration") if k in detail)
    return f"{p.get('contact')} {t.party(str(p.get('party')))} {extra}".strip()


def _contacts_collected(p: dict[str, Any], t: ReportText) -> str:
    return ", ".join(
        f"{name}: {c['received'] if c['available'] else '—'}"
        for name, c in p.get("channels", {}).items()
    )


BRIEF_OF_KIND: dict[str, Callable[[dict[str, Any], ReportText], str]] = {
    "command.started": _command_started,
    "command.finished": _command_finished,
    "incident.opened": _incident_opened,
    "incident.updated": _incident_updated,
    "incident.closed": _incident_closed,
    "channel.snapshot": _setting_summary,
    "channel.restored": _setting_summary,
    "channel.applied": _artefact_hashes,
    "channel.verified": _read_back,
    "channel.retry": _retry,
    "channel.failed": _error,
    "contacts.failed": _error,
    "contact.received": _contact,
    "contacts.collected": _contacts_collected,
}
