"""Contacts that reached the providers during an incident (calls, emails), kept in the log.

Provider-side records do not last forever, so at resume (and on demand) each channel's
`contacts(since, until)` is asked and the answers are stored: one `contact.received`
record per contact with a ref instead of the caller's number (notices/personal.py), and
one `contacts.collected` record saying, per channel, how many came in or that the provider
keeps no such record. An email's subject (PERSONAL_DETAIL) is kept the same way as the
party: the record holds a ref, the text sits in the erasable personal table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notices.evidence.contact import Contact
from notices.evidence.log import EvidenceLog
from notices.evidence.personal import PersonalData
from notices.timeparse import utc_stamp


def _scrub(value: Any, party: str) -> Any:
    """The contact's detail without the party's value anywhere in it."""
    if isinstance(value, str):
        return value.replace(party, "[party]") if party else value
    if isinstance(value, dict):
        return {key: _scrub(item, party) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, party) for item in value]
    return value


# Detail fields that may name a person (an email's subject) or hold their voice (the link to
# a recorded message): kept like the party, as a ref, and erased with it.
PERSONAL_DETAIL = ("subject", "recording")


def _known_ids(log: EvidenceLog, incident: str | None) -> set[tuple[str | None, str]]:
    same = "incident IS NULL" if incident is None else "incident = ?"
    rows = log.database.query(
        f"SELECT channel, {log.database.json_text('payload', 'provider_id')} FROM log"
        f" WHERE kind = 'contact.received' AND {same}",
        () if incident is None else (incident,),
    )
    return {(row[0], str(row[1])) for row in rows}


def store_contacts(
    log: EvidenceLog, channel: str, incident: str | None, contacts: list[Contact]
) -> int:
    """Append one record per contact not stored yet (by provider id); return how many."""
    personal = PersonalData(log.database)
    known = _known_ids(log, incident)
    stored = 0
    for contact in sorted(contacts, key=lambda c: c.at):
        if (channel, contact.provider_id) in known:
            continue
        ref = personal.remember(contact.party, contact.at)
        detail = _scrub(contact.detail, contact.party)
        for key in PERSONAL_DETAIL:
            if detail.get(key):
                detail[key] = personal.remember(str(contact.detail[key]), contact.at)
        log.append(
            "contact.received",
            {
                "contact": contact.kind,
                "at": contact.at,
                "party": ref,
                "provider_id": contact.provider_id,
                "detail": detail,
            },
            incident=incident,
            channel=channel,
        )
        known.add((channel, contact.provider_id))
        stored += 1
    return stored


@dataclass(frozen=True)
class ChannelContacts:
    channel: str
    available: bool
    received: int = 0
    new: int = 0
    error: str | None = None


def record_collection(
    log: EvidenceLog, incident: str, since: str, until: str, results: list[ChannelContacts]
) -> None:
    """Log what each channel's provider answered when asked for its contacts."""
    log.append(
        "contacts.collected",
        {
            "since": since,
            "until": until,
            "channels": {
                r.channel: {
                    "available": r.available,
                    "received": r.received,
                    "new": r.new,
                    "error": r.error,
                }
                for r in results
            },
        },
        incident=incident,
    )


def incident_window(log: EvidenceLog, incident: str) -> tuple[str, str] | None:
    """From the incident's first record to its close (or now, while it is open)."""
    ended = log.database.json_text("payload", "ended")
    rows = log.database.query(
        f"SELECT min(ts), max(CASE WHEN kind = 'incident.closed' THEN {ended} END) FROM log"
        " WHERE incident = ?",
        (incident,),
    )
    if not rows or rows[0][0] is None:
        return None
    return str(rows[0][0]), str(rows[0][1] or utc_stamp(datetime.now(UTC)))


@dataclass(frozen=True)
class Message:
    """A voice message a caller left: its length and the link to its audio (None once
    erased, like the caller's number)."""

    at: str
    duration_s: int | None
    link: str | None


@dataclass(frozen=True)
class Callback:
    party: str | None  # None once erased
    ref: str
    last: str
    contacts: int
    channels: list[str]
    kinds: list[str]
    messages: list[Message]


def callbacks(log: EvidenceLog, incident: str) -> list[Callback]:
    """People who contacted us during the incident, one line each, newest first."""
    field = log.database.json_text
    rows = log.database.query(
        f"SELECT channel, {field('payload', 'party')}, {field('payload', 'at')},"
        f" {field('payload', 'contact')}, {field('payload', 'detail')} FROM log"
        " WHERE kind = 'contact.received' AND incident = ? ORDER BY seq",
        (incident,),
    )
    details = [json.loads(row[4] or "{}") for row in rows]
    refs = [str(row[1]) for row in rows] + [str(d.get("recording")) for d in details]
    values = PersonalData(log.database).values(refs)
    grouped: dict[str, dict[str, Any]] = {}
    for (channel, ref, at, kind, _), detail in zip(rows, details, strict=True):
        party = values.get(ref)
        key = party if party is not None else ref
        entry = grouped.setdefault(
            key, {"party": party, "ref": ref, "last": at, "n": 0, "ch": [], "k": [], "m": []}
        )
        entry["n"] += 1
        entry["last"] = max(entry["last"], at)
        for bucket, item in (("ch", channel), ("k", kind)):
            if item not in entry[bucket]:
                entry[bucket].append(item)
        if kind == "message":
            link = values.get(str(detail.get("recording")))
            entry["m"].append(Message(at, detail.get("duration_s"), link))
    result = [
        Callback(e["party"], e["ref"], e["last"], e["n"], e["ch"], e["k"], e["m"])
        for e in grouped.values()
    ]
    return sorted(result, key=lambda c: c.last, reverse=True)
