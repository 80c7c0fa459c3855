"""What a command would do, without doing it: `--dry-run` and `check`."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from notices.channels.base import Artefacts, Channel
from notices.incident import Incident, StoredSnapshot
from notices.net.http import mask_urls
from notices.orchestrator.outcomes import ChannelOutcome, Result
from notices.orchestrator.setup import BrokenChannel

Plain = Callable[[BaseException], str]


def preview_switch(
    channels: list[Channel],
    command: str,
    mode: str,
    current: Incident | None,
    artefacts: dict[str, Artefacts],
    plain: Plain,
    broken: list[BrokenChannel],
) -> Result:
    """For `--dry-run`: what each channel serves now against what it would, nothing changed."""
    outcomes = []
    for channel in channels:
        try:
            expected = channel.expected(artefacts[channel.name])
            actual = channel.snapshot()
            would = (
                "already shows this notice"
                if channel.holds(expected, actual)
                else (
                    f"would change: {channel.public(actual).summary}"
                    f" -> {channel.public(expected).summary}"
                )
            )
            outcomes.append(
                ChannelOutcome(
                    channel.name, channel.kind, channel.describe(), ok=True, summary=would
                )
            )
        except Exception as exc:  # noqa: BLE001 - a preview reports, never stops
            outcomes.append(
                ChannelOutcome(
                    channel.name,
                    channel.kind,
                    channel.describe(),
                    ok=False,
                    error=plain(exc),
                )
            )
    outcomes += [channel.outcome() for channel in broken]
    return Result(command, mode, current, outcomes, dry_run=True)


def preview_resume(
    channels: list[Channel], incident: Incident, snapshots: dict[str, StoredSnapshot]
) -> Result:
    """For `resume --dry-run`: what each channel would be put back to."""
    outcomes = []
    for channel in channels:
        stored = snapshots.get(channel.name)
        saved = stored.setting if stored else None
        outcomes.append(
            ChannelOutcome(
                channel.name,
                channel.kind,
                channel.describe(),
                ok=True,
                summary=f"would restore: {channel.public(saved).summary}"
                if saved
                else "no snapshot: left as is",
            )
        )
    return Result("resume", incident.mode, incident, outcomes, dry_run=True)


def probe(channels: list[Channel], plain: Plain) -> list[ChannelOutcome]:
    """Every channel's `probe`, concurrently; nothing is changed and nothing is logged."""

    def one(channel: Channel) -> ChannelOutcome:
        began = time.monotonic()
        try:
            # A customer's webhook may hold a password: every URL shown is masked.
            line = mask_urls(channel.probe())
            outcome = ChannelOutcome(
                channel.name, channel.kind, channel.describe(), ok=True, summary=line
            )
        except Exception as exc:  # noqa: BLE001 - report every channel, never stop
            outcome = ChannelOutcome(
                channel.name,
                channel.kind,
                channel.describe(),
                ok=False,
                error=mask_urls(plain(exc)),
            )
        outcome.elapsed_ms = round((time.monotonic() - began) * 1000)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, len(channels))) as pool:
        return list(pool.map(one, channels))
