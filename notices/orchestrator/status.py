"""`status`: what each channel serves now, read back, against what the commands aimed at."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from notices.channels.base import Channel, Setting
from notices.incident import Incident, IncidentStore, StoredSnapshot
from notices.net.http import mask_urls


def read_status(
    channels: list[Channel], incidents: IncidentStore, plain: Callable[[BaseException], str]
) -> dict[str, Any]:
    """Mode, incident and times, and each channel read back (concurrently) and judged: what
    the last command aimed at, what it served before the incident, or neither."""
    incident = incidents.open_incident()
    states = incidents.channel_states(incident.id) if incident else {}
    # With no incident open, each channel should still serve what the last resume put
    # back: a channel left in emergency mode must not look "normal".
    last = None if incident else incidents.latest()
    restored = incidents.channel_states(last.id) if last else {}
    snapshots = incidents.snapshots(incident.id) if incident else {}

    def read(channel: Channel) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": channel.name,
            "kind": channel.kind,
            "description": channel.describe(),
        }
        try:
            actual = channel.snapshot(served=True)
        except Exception as exc:  # noqa: BLE001 - status reports, never stops
            entry.update(ok=False, state="unreadable", error=plain(exc))
            return entry
        entry["read_back"] = channel.public(actual).summary
        known = states.get(channel.name)
        if incident is None:
            before = restored.get(channel.name)
            if (
                last is not None
                and before is not None
                and before["target"]["target"] == "normal"
                and not _holds(channel, Setting.from_json(before["target"]["expected"]), actual)
            ):
                how = _how(channel, Setting.from_json(before["target"]["expected"]), actual)
                entry.update(
                    ok=False,
                    state="differs",
                    error=f"not what the resume of incident {last.id} restored"
                    f" ({last.ended}){how}; if it was not changed on purpose since, check it",
                )
            else:
                entry.update(ok=True, state="normal")
        else:
            entry.update(_incident_state(channel, incident, known, snapshots, actual))
        return entry

    with ThreadPoolExecutor(max_workers=max(1, len(channels))) as pool:
        entries = list(pool.map(read, channels))
    return {
        "mode": incident.mode if incident else "normal",
        "incident": incident.id if incident else None,
        "status": incident.status if incident else None,
        "started": incident.started if incident else None,
        "expected_return": incident.expected_return if incident else None,
        "channels": entries,
    }


def _incident_state(
    channel: Channel,
    incident: Incident,
    known: dict[str, Any] | None,
    snapshots: dict[str, StoredSnapshot],
    actual: Setting,
) -> dict[str, Any]:
    """What a channel serves during an open incident, compared with what the last command
    aimed at (a switch, or a resume that has begun), and with its pre-incident snapshot.
    After a crash mid-switch or mid-resume this says how far it got."""
    resuming = incident.status in ("resuming", "resume-partial")
    stored = snapshots.get(channel.name)
    before = stored is not None and _holds(channel, stored.setting, actual)
    target = known["target"]["target"] if known else None
    holds = known is not None and _holds(
        channel, Setting.from_json(known["target"]["expected"]), actual
    )
    if holds and target == "incident":
        if resuming:
            return {
                "ok": False,
                "state": incident.mode,
                "error": "not restored yet: the resume did not finish; run `notices resume`",
            }
        return {"ok": True, "state": incident.mode, "error": None}
    if holds or (before and resuming):  # restored (its read-back maybe not yet recorded)
        return {"ok": True, "state": "normal", "error": None}
    if known is None or before:
        return {
            "ok": False,
            "state": "not switched",
            "error": "still serves what it served before the incident: not switched in"
            " this incident" + ("" if known is None else " (the switch did not finish)"),
        }
    how = _how(channel, Setting.from_json(known["target"]["expected"]), actual)
    return {
        "ok": False,
        "state": "differs",
        "error": f"serves neither the notice nor its setting from before the incident{how}: a"
        " switch or resume did not finish (run it again), or it was changed by hand",
    }


def _how(channel: Channel, expected: Setting, actual: Setting) -> str:
    """' (what differs, URLs masked)' from the channel's own words, or ''."""
    try:
        found = channel.differences(expected, actual)
    except Exception:  # noqa: BLE001 - status says "differs" without the detail
        return ""
    return f" ({'; '.join(mask_urls(line) for line in found)})" if found else ""


def _holds(channel: Channel, expected: Setting, actual: Setting) -> bool:
    try:
        return channel.holds(expected, actual)
    except Exception:  # noqa: BLE001 - a setting the channel cannot compare does not hold
        return False
