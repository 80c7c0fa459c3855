"""The dossier's `contacts.csv`: the contacts received in the slice, one row each; the
party (and a voice message's link) masked unless the export includes personal data."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from notices.evidence.log import Record
from notices.evidence.personal import mask
from notices.timeparse import from_stamp


def csv_bytes(header: tuple[str, ...] | list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    # The byte-order mark makes Excel read UTF-8 (ä, ö, å, €) correctly.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _recording(detail: dict[str, object], values: dict[str, str], include: bool) -> str:
    """A voice message's link: shown with --include-personal, else said to be held."""
    ref = detail.get("recording")
    if not ref:
        return ""
    link = values.get(str(ref))
    if link is None:
        return "(erased)"
    return link if include else "(personal: --include-personal)"


def contacts_csv(
    records: list[Record], values: dict[str, str], include: bool, zone: ZoneInfo
) -> bytes:
    rows = []
    for record in records:
        if record.kind != "contact.received":
            continue
        p = record.payload
        ref = str(p.get("party"))
        value = values.get(ref)
        shown = "(erased)" if value is None else (value if include else mask(value))
        detail = p.get("detail") or {}
        local = from_stamp(str(p.get("at"))).astimezone(zone)
        rows.append(
            [
                p.get("at"),
                f"{local:%Y-%m-%d %H:%M:%S}",
                record.channel,
                p.get("contact"),
                shown,
                p.get("provider_id"),
                detail.get("status", ""),
                detail.get("duration_s", detail.get("duration", "")),
                _recording(detail, values, include),
                json.dumps(detail, ensure_ascii=False),
                record.seq,
                ref,
            ]
        )
    header = [
        "at_utc",
        "at_local",
        "channel",
        "contact",
        "party",
        "provider_id",
        "status",
        "duration",
        "recording",
        "detail",
        "seq",
        "party_ref",
    ]
    return csv_bytes(header, rows)
