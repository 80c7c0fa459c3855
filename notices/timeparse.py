"""Times people type (`--until 15:30`, `--for 4h`) turned into aware UTC datetimes.

A wall-clock time means that time in the configured zone, on today's date or, if it
has already passed, tomorrow's; zoneinfo keeps it right across daylight-saving changes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notices.errors import TimeError

_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?$")
_CLOCK = re.compile(r"^(?P<h>\d{1,2})[:.](?P<m>\d{2})$")
MAX_DURATION = timedelta(days=30)


def parse_duration(text: str) -> timedelta:
    """`90m`, `4h`, `1h30m` -> timedelta. Zero, negative or absurd durations are errors."""
    cleaned = text.strip().lower().replace(" ", "")
    match = _DURATION.match(cleaned)
    if not cleaned or not match or not (match["h"] or match["m"]):
        raise TimeError(f"{text!r} is not a duration: write e.g. 90m, 4h or 1h30m")
    delta = timedelta(hours=int(match["h"] or 0), minutes=int(match["m"] or 0))
    if delta <= timedelta(0):
        raise TimeError(f"{text!r}: the duration must be longer than zero")
    if delta > MAX_DURATION:
        raise TimeError(
            f"{text!r}: durations longer than {MAX_DURATION.days} days are not accepted"
        )
    return delta


def parse_until(text: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """`15:30` / `15.30` (today, or tomorrow if past) or an ISO date-time -> aware UTC datetime."""
    now = now or datetime.now(UTC)
    stripped = text.strip()
    clock = _CLOCK.match(stripped)
    if clock:
        hour, minute = int(clock["h"]), int(clock["m"])
        if hour > 23 or minute > 59:
            raise TimeError(f"{text!r} is not a time of day: write e.g. 15:30")
        local_now = now.astimezone(zone)
        candidate = datetime.combine(local_now.date(), time(hour, minute), tzinfo=zone)
        if candidate <= local_now:
            candidate = datetime.combine(
                local_now.date() + timedelta(days=1), time(hour, minute), tzinfo=zone
            )
        return _checked(candidate.astimezone(UTC), text, now)
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise TimeError(f"{text!r} is not a time: write e.g. 15:30 or 2026-11-24T09:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    result = parsed.astimezone(UTC)
    if result <= now:
        raise TimeError(f"{text!r} is in the past")
    return _checked(result, text, now)


def _checked(moment: datetime, text: str, now: datetime) -> datetime:
    if moment - now > MAX_DURATION:
        raise TimeError(f"{text!r} is more than {MAX_DURATION.days} days away")
    return moment


def expected_return(
    until: str | None, for_: str | None, zone: ZoneInfo, now: datetime | None = None
) -> datetime | None:
    """The expected return from `--until` or `--for` (not both); None when neither is given."""
    if until and for_:
        raise TimeError("give either --until or --for, not both")
    now = now or datetime.now(UTC)
    if until:
        return parse_until(until, zone, now)
    if for_:
        return now + parse_duration(for_)
    return None


def utc_stamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and `Z`, the form every stored time takes."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_stamp(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
