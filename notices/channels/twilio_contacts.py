"""What callers did during an incident, from Twilio's own records: the inbound calls to the
switched numbers (Calls API) and the messages they left (Recordings API, matched to those
calls). Read afterwards with the incident's contacts, so nothing on a call's path needs
`notices serve`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from notices.channels.base import Contact
from notices.channels.twilio_api import TwilioApi
from notices.timeparse import utc_stamp


def inbound_calls(
    api: TwilioApi, channel: str, entry: str, phone: str, start: datetime, end: datetime
) -> list[Contact]:
    """The inbound calls to `phone` that began in [start, end]."""
    # The API filters on whole UTC days: ask for every day touched, then trim exactly.
    found = api.call(
        entry,
        lambda c: c.api.v2010.account.calls.list(
            to=phone,
            start_time_after=_day(start),
            start_time_before=_day(end + timedelta(days=1)),
            page_size=100,
        ),
    )
    result = []
    for call in found:
        began = call.start_time
        if began is None or call.direction != "inbound":
            continue
        began = began.astimezone(UTC)
        if not start <= began <= end:
            continue
        result.append(
            Contact(
                channel=channel,
                kind="call",
                at=utc_stamp(began),
                party=str(getattr(call, "_from", "") or ""),
                provider_id=str(call.sid),
                detail={"to": phone, "status": str(call.status), "duration_s": call.duration},
            )
        )
    return result


def messages(
    api: TwilioApi, channel: str, label: str, calls: list[Contact], start: datetime, end: datetime
) -> list[Contact]:
    """The recordings made during `calls`: each a contact with its length and the link to its
    audio. One listing for the window (a message may end up to an hour after the window)."""
    if not calls:
        return []
    by_sid = {call.provider_id: call for call in calls}
    found = api.call(
        label,
        lambda c: c.api.v2010.account.recordings.list(
            date_created_after=start,
            date_created_before=end + timedelta(hours=1),
            page_size=100,
        ),
    )
    result = []
    for recording in found:
        call = by_sid.get(str(recording.call_sid))
        if call is None:
            continue  # not a call to our numbers in the window
        made = recording.start_time or recording.date_created
        result.append(
            Contact(
                channel=channel,
                kind="message",
                at=utc_stamp(made.astimezone(UTC)) if made else call.at,
                party=call.party,
                provider_id=str(recording.sid),
                detail={
                    "to": call.detail["to"],
                    "call": call.provider_id,
                    "duration_s": _seconds(recording.duration),
                    "recording": _media_link(recording),
                },
            )
        )
    return result


def _seconds(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _media_link(recording: Any) -> str:
    """The recording's audio at Twilio (it asks for the account's credentials)."""
    media = getattr(recording, "media_url", None)
    if media:
        return str(media)
    uri = str(recording.uri or "").removesuffix(".json")
    return f"https://api.twilio.com{uri}" if uri else ""


def _day(moment: datetime) -> str:
    return date(moment.year, moment.month, moment.day).isoformat()
