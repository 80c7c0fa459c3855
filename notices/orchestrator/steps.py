"""One channel's part of a command: read, switch or restore, read back; each step logged.

Run for every channel at once by the runner (runner.py); the orchestrator (flow.py) calls
`switch_channel` and `restore_channel` for each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from notices.channels.base import Artefacts, Channel, Receipt, Setting
from notices.db import Database
from notices.errors import ChannelError, PermanentChannelError, StorageError
from notices.evidence.log import EvidenceLog
from notices.faults import crash_point
from notices.incident import Incident, IncidentStore, StoredSnapshot
from notices.orchestrator.outcomes import ChannelOutcome
from notices.orchestrator.runner import ChannelRunner, Gate


class ChannelSteps:
    """The steps of one command on each channel, with what they write down."""

    def __init__(
        self,
        database: Database,
        log: EvidenceLog,
        incidents: IncidentStore,
        runner: ChannelRunner,
    ) -> None:
        self.database = database
        self.log = log
        self.incidents = incidents
        self.runner = runner
        # Receipts of the channels this command has switched, kept in memory: if the log
        # cannot be written (a full disk), the error still names them.
        self.receipts: dict[str, Receipt] = {}

    def switch_channel(
        self, channel: Channel, incident: Incident, artefacts: Artefacts, gate: Gate
    ) -> ChannelOutcome:
        current = self._read_before_switch(channel, incident)
        expected = channel.expected(artefacts)
        # What the switch aims at, stored before it starts: after a crash mid-switch,
        # `status` compares the provider with it and says how far the switch got. Stored
        # before the gate, not after: the channels' writes to the store go one at a time,
        # and after the gate they would hold back each channel's first change (the skew).
        self.incidents.set_channel_state(
            incident.id,
            channel.name,
            {"target": "incident", "expected": expected.to_json()},
            False,
            "switching",
        )
        gate.wait(channel.name)
        fresh = _once(current)
        receipt = self.runner.attempt(
            channel, incident.id, "apply", lambda: channel.apply(artefacts, fresh())
        )
        self.receipts[channel.name] = receipt
        crash_point("after-apply", channel.name)
        self._append_retrying(
            "channel.applied",
            {
                "changed": receipt.changed,
                "artefacts": {
                    name: {"sha256": digest, "text": artefacts.files[name]}
                    for name, digest in artefacts.digests().items()
                },
                "confirmation": receipt.confirmation,
            },
            incident=incident.id,
            channel=channel.name,
        )
        self._read_back(channel, incident, expected, "incident")
        return _succeeded(channel, receipt, expected)

    def _append_retrying(self, kind: str, payload: dict[str, Any], **where: Any) -> None:
        """Log a change a provider has already made: a full disk may clear in a moment
        (a log rotated, a temp file removed), so try a few times before giving up."""
        for wait in (0.2, 0.5, 1.0, None):
            try:
                self.log.append(kind, payload, **where)
                return
            except StorageError:
                if wait is None:
                    raise
                time.sleep(wait)

    def _read_before_switch(self, channel: Channel, incident: Incident) -> Setting | None:
        """What the provider serves now, read before the gate so that the first request after
        it is the switching one, handed to apply as `current`. The first time in an
        incident it is the snapshot, stored before the channel is touched."""
        identity = channel.identity()
        stored = self.incidents.snapshot(incident.id, channel.name)
        if stored is not None and stored.identity != identity:
            # Switching a different target mid-incident would leave the first one in
            # emergency mode at resume, or snapshot an emergency state as "normal".
            raise PermanentChannelError(
                f"{channel.name} now points at {identity}, but this incident switched"
                f" {stored.identity}. Put the configuration back as it was when the incident"
                " began (or resume first, then switch the new target)."
            )
        if stored is not None:
            return self.runner.read_ahead(channel)
        setting: Setting = self.runner.attempt(
            channel, incident.id, "snapshot", lambda: self.runner.read(channel)
        )
        self._store_snapshot(channel, incident, identity, setting)
        return setting

    def _store_snapshot(
        self, channel: Channel, incident: Incident, identity: str, setting: Setting
    ) -> None:
        """Stored (with its log record, in one transaction) before the channel is touched:
        a crash after this point still resumes to it."""
        with self.database.transaction():
            if self.incidents.save_snapshot(incident.id, channel.name, identity, setting):
                self.log.append(
                    "channel.snapshot",
                    {"identity": identity, "setting": channel.public(setting).to_json()},
                    incident=incident.id,
                    channel=channel.name,
                )
        crash_point("after-snapshot", channel.name)

    def _read_back(
        self, channel: Channel, incident: Incident, expected: Setting, target: str
    ) -> None:
        actual = self.runner.attempt(
            channel, incident.id, "verify", lambda: channel.snapshot(served=True)
        )
        holds = channel.holds(expected, actual)
        self.log.append(
            "channel.verified",
            {
                "holds": holds,
                "target": target,
                "read_back": channel.public(actual).to_json(),
                "fingerprint": actual.fingerprint,
            },
            incident=incident.id,
            channel=channel.name,
        )
        self.incidents.set_channel_state(
            incident.id,
            channel.name,
            {"target": target, "expected": expected.to_json()},
            holds,
            None if holds else "read-back differs from what was published",
        )
        if not holds:
            raise ChannelError(
                f"read back after the change, {channel.name} serves"
                f" '{channel.public(actual).summary}', not '{channel.public(expected).summary}'"
            )

    def restore_channel(
        self,
        channel: Channel,
        incident: Incident,
        stored: StoredSnapshot | None,
        gate: Gate,
    ) -> ChannelOutcome:
        if stored is not None and stored.identity != channel.identity():
            raise PermanentChannelError(
                f"cannot restore {channel.name}: the snapshot taken before this incident is of"
                f" {stored.identity}, but the configuration now points at"
                f" {channel.identity()}. Put the configuration back as it was when the"
                " incident began, then run `notices resume` again."
            )
        saved = stored.setting if stored else None
        if saved is None:
            self.log.append(
                "channel.skipped",
                {"reason": "no snapshot in this incident"},
                incident=incident.id,
                channel=channel.name,
            )
            return ChannelOutcome(
                channel.name,
                channel.kind,
                channel.describe(),
                ok=True,
                summary="untouched in this incident",
            )
        crash_point("before-restore", channel.name)
        fresh = _once(self.runner.read_ahead(channel))
        gate.wait(channel.name)
        receipt = self.runner.attempt(
            channel, incident.id, "restore", lambda: channel.restore(saved, fresh())
        )
        self.log.append(
            "channel.restored",
            {
                "changed": receipt.changed,
                "setting": channel.public(saved).to_json(),
                "confirmation": receipt.confirmation,
            },
            incident=incident.id,
            channel=channel.name,
        )
        self._read_back(channel, incident, saved, "normal")
        crash_point("after-restore", channel.name)
        return _succeeded(channel, receipt, saved)


def _once(current: Setting | None) -> Callable[[], Setting | None]:
    """`current` for the first attempt of a change, None for a retry: the first attempt may
    have changed part of it, so a retry lets the provider read again."""
    left = [current]
    return lambda: left.pop() if left else None


def _succeeded(channel: Channel, receipt: Receipt, setting: Setting) -> ChannelOutcome:
    """A switch or restore that held: what changed, and what the channel now serves."""
    return ChannelOutcome(
        channel.name,
        channel.kind,
        channel.describe(),
        ok=True,
        changed=receipt.changed,
        summary=channel.public(setting).summary,
    )
