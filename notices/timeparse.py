"""Times people type (`--until 15:30`, `--for 4h`) turned into aware UTC datetimes.

A wall-clock time means that time in the configured zone, on today's date or, if it
has already passed, tomorrow's; zoneinfo keeps it right across daylight-saving changes.

Two wall-clock times need a rule (the same as RFC 5545's for calendar events):
- a time that does not exist, because the clocks jump forward over it (in Helsinki 03:00-03:59
  on the last Sunday of March), is moved forward by the length of the jump: 03:30 becomes
  04:30 summer time;
- a time that happens twice, because the clocks go back (03:00-03:59 on the last Sunday of
  October), means its first occurrence, in summer time.
Either way the command says so. An ISO time with an explicit offset picks the other one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Moment:
    """A parsed time in UTC, and a note for the person when a daylight-saving rule applied."""

    utc: datetime
    note: str | None = None
    # A bare clock time (`13:30`) that had already passed today, read as tomorrow's: a door
    # asks whether that is meant, or refuses where it cannot ask.
    tomorrow: bool = False


def local_moment(naive: datetime, zone: ZoneInfo) -> Moment:
    """A wall-clock time in `zone`, with the gap and repeat rules of this module applied."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    shown = f"{naive:%d.%m.%Y %H:%M}"
    if first.utcoffset() == second.utcoffset():
        return Moment(first.astimezone(UTC))
    # zoneinfo gives a gap time the offset from before the jump with fold=0: that is the
    # time moved forward by the jump, once converted.
    exact = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    if not exact:
        moved = first.astimezone(UTC).astimezone(zone)
        return Moment(
            first.astimezone(UTC),
            f"{shown} does not exist in {zone.key} (the clocks jump forward over it);"
            f" using {moved:%H:%M} {moved.tzname()} (UTC{moved:%z}) instead",
        )
    other = second.astimezone(zone)
    return Moment(
        first.astimezone(UTC),
        f"{shown} happens twice in {zone.key} (the clocks go back); using the first,"
        f" {naive:%H:%M} {first.tzname()} (UTC{first:%z}), not the second in"
        f" {other.tzname()} (UTC{other:%z})",
    )


def parse_until(text: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """`15:30` / `15.30` (today, or tomorrow if past) or an ISO date-time -> aware UTC datetime."""
    return parse_until_explained(text, zone, now).utc


def parse_until_explained(text: str, zone: ZoneInfo, now: datetime | None = None) -> Moment:
    """As `parse_until`, with the note saying how a daylight-saving gap or repeat was resolved."""
    now = now or datetime.now(UTC)
    stripped = text.strip()
    clock = _CLOCK.match(stripped)
    if clock:
        hour, minute = int(clock["h"]), int(clock["m"])
        if hour > 23 or minute > 59:
            raise TimeError(f"{text!r} is not a time of day: write e.g. 15:30")
        local_now = now.astimezone(zone)
        candidate = local_moment(datetime.combine(local_now.date(), time(hour, minute)), zone)
        if candidate.utc <= now:
            candidate = local_moment(
                datetime.combine(local_now.date() + timedelta(days=1), time(hour, minute)), zone
            )
            candidate = Moment(candidate.utc, candidate.note, tomorrow=True)
        _checked(candidate.utc, text, now)
        return candidate
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise TimeError(f"{text!r} is not a time: write e.g. 15:30 or 2026-11-24T09:00") from None
    moment = local_moment(parsed, zone) if parsed.tzinfo is None else Moment(parsed.astimezone(UTC))
    if moment.utc <= now:
        raise TimeError(f"{text!r} is in the past")
    _checked(moment.utc, text, now)
    return moment


def _checked(moment: datetime, text: str, now: datetime) -> datetime:
    if moment - now > MAX_DURATION:
        raise TimeError(f"{text!r} is more than {MAX_DURATION.days} days away")
    return moment


def expected_return(
    until: str | None, for_: str | None, zone: ZoneInfo, now: datetime | None = None
) -> datetime | None:
    """The expected return from `--until` or `--for` (not both); None when neither is given."""
    moment = expected_return_explained(until, for_, zone, now)
    return moment.utc if moment else None


def expected_return_explained(
    until: str | None, for_: str | None, zone: ZoneInfo, now: datetime | None = None
) -> Moment | None:
    """As `expected_return`, with the daylight-saving note when one applies."""
    if until and for_:
        raise TimeError("give either --until or --for, not both")
    now = now or datetime.now(UTC)
    if until:
        return parse_until_explained(until, zone, now)
    if for_:
        # A duration is elapsed time: 4h is four real hours, whatever the clocks do.
        return Moment(now + parse_duration(for_))
    return None


def utc_stamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and `Z`, the form every stored time takes."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_stamp(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
