"""The one flow every command follows.

    validate config -> build channels -> (lock) -> render every notice and build every
    artefact -> open/continue the incident -> per channel, concurrently: snapshot (stored
    before the channel is touched, the first time) -> wait until every channel has read
    (the Gate) -> apply (given what the snapshot read) -> read back -> log -> report

Nothing is switched and nothing is logged until every channel's artefacts are built.
Each channel runs in its own worker with its own retries (runner.py); one failing never
stops another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notices.channels.base import Artefacts, Channel
from notices.config import Config
from notices.db import CommandLock, Database, describe_os_error
from notices.errors import StateError, StorageError
from notices.evidence.contacts import ChannelContacts
from notices.evidence.log import EvidenceLog
from notices.faults import crash_point
from notices.incident import Incident, IncidentStore, StoredSnapshot
from notices.orchestrator.contacts import collect_contacts
from notices.orchestrator.early import EarlyReads, log_generation
from notices.orchestrator.outcomes import ChannelOutcome, Progress, Result, no_progress
from notices.orchestrator.preview import preview_resume, preview_switch, probe
from notices.orchestrator.runner import ChannelRunner, Gate
from notices.orchestrator.setup import BrokenChannel, kept, missing_credentials
from notices.orchestrator.status import read_status
from notices.orchestrator.steps import ChannelSteps
from notices.store.url import store_url
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    from notices.render import Renderer

LOCK_TIMEOUT_SECONDS = 120


class Orchestrator:
    def __init__(
        self,
        config: Config,
        home: Path,
        channels: list[Channel],
        progress: Progress = no_progress,
        actor: str | None = None,
        broken: list[BrokenChannel] | None = None,
        host: str | None = None,
        door: dict[str, Any] | None = None,
        early: EarlyReads | None = None,
    ) -> None:
        self.config = config
        self.home = home
        self.channels = channels
        # Channels whose own section is invalid: each fails alone, reported and logged.
        self.broken = list(broken or [])
        self.database = Database(home / "notices.db", url=store_url(home, config.store.url))
        self.log = EvidenceLog(self.database, actor=actor, host=host)
        # How the command came, when not typed here: {"via": "serve", "peer": {...}}.
        self.door = dict(door or {})
        self.incidents = IncidentStore(self.database)
        self.runner = ChannelRunner(channels, self.log, progress, config.retry)
        self.runner.early = early  # reads made before the lock: admitted when it is taken
        self.steps = ChannelSteps(self.database, self.log, self.incidents, self.runner)
        self._renderer: Renderer | None = None

    @property
    def renderer(self) -> Renderer:
        """jinja2 is imported by the commands that render, not by `status` or `resume`."""
        if self._renderer is None:
            from notices.render import Renderer

            self._renderer = Renderer(self.config)
        return self._renderer

    def close(self) -> None:
        for channel in self.channels:
            if not kept(channel):  # serve's warm channels stay open for the next command
                channel.close()
        self.database.close()

    def lock(self) -> CommandLock:
        return self.database.command_lock(self.home / "notices.lock", LOCK_TIMEOUT_SECONDS)

    def _locked(self) -> CommandLock:
        from filelock import Timeout

        lock = self.lock()
        try:
            lock.acquire()
        except Timeout:
            raise StateError(
                f"another notices command has held {lock.lock_file} for {LOCK_TIMEOUT_SECONDS} s;"
                " try again when it has finished"
            ) from None
        except OSError as exc:
            raise StorageError(
                f"cannot take the lock {lock.lock_file}: {describe_os_error(exc)}."
                " Nothing was switched: make the data folder writable, then run the command again"
            ) from None
        if self.runner.early is not None:
            self.runner.early.admit(log_generation(self.database))
        return lock

    # -- building ---------------------------------------------------------------------

    def build_all(
        self,
        mode: str,
        reasons: dict[str, str] | None,
        started: datetime,
        expected_return: datetime | None,
        updated: datetime | None = None,
    ) -> dict[str, Artefacts]:
        """Render every notice and build every channel's artefacts. Touches nothing.
        `updated`: when what customers are told last changed (default: `started`)."""
        notices = {}
        artefacts = {}
        for channel in self.channels:
            if channel.medium not in notices:
                notices[channel.medium] = self.renderer.render(
                    mode,
                    channel.medium,
                    reasons=reasons,
                    started=started,
                    expected_return=expected_return,
                    updated=updated,
                )
            artefacts[channel.name] = channel.build(notices[channel.medium])
        return artefacts

    # -- switching ----------------------------------------------------------------------

    def switch(
        self,
        mode: str,
        *,
        reasons: dict[str, str] | None,
        expected_return: datetime | None,
        dry_run: bool,
        arguments: dict[str, Any],
        command: str | None = None,
        require_open: bool = False,
        plan_resume: Callable[[Incident], None] | None = None,
    ) -> Result:
        """Switch to `mode`. `command` names it in the log (default: the mode); with
        `require_open` (extend), no incident open is an error, checked under the lock.
        `plan_resume` (planning the automatic resume) runs in the transaction that writes
        the incident's expected return, before any channel is touched: a crash can never
        leave the automatic resume at another time than the incident's return."""
        with self._locked():
            current = self.incidents.open_incident()
            if require_open and current is None:
                raise StateError(f"No incident is open: nothing to {command or mode}.")
            now = datetime.now(UTC)
            started = from_stamp(current.started) if current else now
            if expected_return is None and current and current.expected_return:
                expected_return = from_stamp(current.expected_return)
            if reasons is None and current and current.mode == mode:
                reasons = current.reasons
            updated = _told_since(current, mode, expected_return, reasons, now)
            artefacts = self.build_all(mode, reasons, started, expected_return, updated)
            if dry_run:
                return preview_switch(
                    self.channels,
                    command or mode,
                    mode,
                    current,
                    artefacts,
                    self.runner.plain,
                    self.broken,
                )
            missing = missing_credentials(self.config, self.channels)
            if missing is not None:
                raise missing
            self.database.check_writable()
            check_keys(self.home)
            returning = utc_stamp(expected_return) if expected_return else None
            change = IncidentChange(current, mode, started, returning, reasons, updated)
            try:
                return self._switch_logged(
                    change, command or mode, artefacts, arguments, plan_resume
                )
            except StorageError as exc:
                raise StorageError(self._half_logged(exc, command or mode)) from None

    def _switch_logged(
        self,
        change: IncidentChange,
        command: str,
        artefacts: dict[str, Artefacts],
        arguments: dict[str, Any],
        plan_resume: Callable[[Incident], None] | None,
    ) -> Result:
        """The switch proper, under the lock, once everything is checked."""
        current = change.current
        self._log_started(command, arguments, current.id if current else None)
        with self.database.transaction():
            incident = self._open_or_update(change)
            if plan_resume is not None:
                plan_resume(incident)
        crash_point("after-plan")
        gate = Gate([c.name for c in self.channels])
        outcomes = self.runner.run_all(
            lambda channel: self.steps.switch_channel(
                channel, incident, artefacts[channel.name], gate
            ),
            incident.id,
            gate,
        )
        outcomes += self._broken_outcomes(incident.id)
        status = "active" if all(o.ok for o in outcomes) else "partial"
        self.incidents.update(incident.id, status=status)
        result = Result(command, change.mode, self.incidents.get(incident.id), outcomes)
        self._finish(result)
        return result

    def _half_logged(self, exc: StorageError, command: str) -> str:
        """A full disk mid-switch: what was switched (from the receipts in memory), what
        was not, and what to run once there is room."""
        switched = sorted(self.steps.receipts)
        others = [c.name for c in self.channels if c.name not in self.steps.receipts]
        said = f"{exc}. " + (
            f"Switched: {', '.join(switched)}" if switched else "No channel was switched"
        )
        if switched and others:
            said += f"; not switched: {', '.join(others)}"
        return (
            f"{said}. The log may lack the last steps. Free some space in {self.home}, then"
            f" run `notices {command} --yes` again to complete and log it, or"
            " `notices resume --yes` to put everything back"
        )

    def _log_started(self, command: str, arguments: dict[str, Any], incident: str | None) -> None:
        self.log.append(
            "command.started",
            {
                "command": command,
                "arguments": arguments,
                "channels": {c.name: c.describe() for c in self.channels},
                **self.door,
            },
            incident=incident,
        )

    def _open_or_update(self, change: IncidentChange) -> Incident:
        """Open the incident, or set the open one's new mode, return and reasons (status
        `switching` until the channels are done); logged. In the caller's transaction."""
        current, mode, returning, reasons = (
            change.current,
            change.mode,
            change.returning,
            change.reasons,
        )
        if current is None:
            incident = self.incidents.open(mode, change.started, returning, reasons)
            self.log.append(
                "incident.opened",
                {
                    "mode": mode,
                    "started": incident.started,
                    "expected_return": returning,
                    "reasons": reasons,
                },
                incident=incident.id,
            )
            return incident
        self.incidents.update(
            current.id,
            mode=mode,
            expected_return=returning,
            reasons=reasons,
            status="switching",
            updated=utc_stamp(change.updated),
        )
        self.log.append(
            "incident.updated",
            {
                "mode": {"from": current.mode, "to": mode},
                "expected_return": {"from": current.expected_return, "to": returning},
                "reasons": reasons,
            },
            incident=current.id,
        )
        moved = self.incidents.get(current.id)
        assert moved is not None
        return moved

    # -- resuming ------------------------------------------------------------------------

    def resume(
        self,
        *,
        dry_run: bool,
        arguments: dict[str, Any],
        only_if: Callable[[Incident], str | None] | None = None,
        before_finish: Callable[[Incident], None] | None = None,
    ) -> Result:
        """Restore every channel. `only_if` (the scheduler's) is asked under the lock whether
        to go ahead; a message back means no: nothing is touched or logged. `before_finish`
        (cancelling a planned resume) runs under the lock, logged as part of the command."""
        with self._locked():
            incident = self.incidents.open_incident()
            if incident is None:
                return Result(
                    "resume", "normal", None, message="No incident is open: nothing to resume."
                )
            refusal = only_if(incident) if only_if and not dry_run else None
            if refusal:
                return Result("resume", incident.mode, incident, message=refusal)
            snapshots = self.incidents.snapshots(incident.id)
            if dry_run:
                return preview_resume(self.channels, incident, snapshots)
            self.database.check_writable()
            check_keys(self.home)
            self._log_started("resume", arguments, incident.id)
            self.incidents.update(incident.id, status="resuming")
            gate = Gate([c.name for c in self.channels])
            outcomes = self.runner.run_all(
                lambda channel: self.steps.restore_channel(
                    channel, incident, snapshots.get(channel.name), gate
                ),
                incident.id,
                gate,
            )
            outcomes += self._unconfigured(incident, snapshots)
            self._close_or_partial(incident, outcomes)
            if before_finish is not None:
                before_finish(incident)
            result = Result("resume", "normal", self.incidents.get(incident.id), outcomes)
            self._finish(result)
            return result

    def _unconfigured(
        self, incident: Incident, snapshots: dict[str, StoredSnapshot]
    ) -> list[ChannelOutcome]:
        """A failure for each channel switched in this incident but configured no more."""
        configured = {channel.name for channel in self.channels}
        broken = {channel.name: channel.error for channel in self.broken}
        outcomes = []
        for name in (name for name in snapshots if name not in configured):
            error = broken.get(name) or (
                f"channel {name!r} has a snapshot but is no longer configured: restore it by hand"
            )
            self.log.append(
                "channel.failed",
                {"step": "restore", "error": error},
                incident=incident.id,
                channel=name,
            )
            outcomes.append(ChannelOutcome(name, "?", name, ok=False, error=error))
        return outcomes

    def _broken_outcomes(self, incident_id: str) -> list[ChannelOutcome]:
        """Each channel whose section is invalid: failed, with why, in the log and on screen."""
        outcomes = []
        for broken in self.broken:
            self.log.append(
                "channel.failed",
                {"step": "configuration", "error": broken.error, "type": "ConfigError"},
                incident=incident_id,
                channel=broken.name,
            )
            self.runner.progress(broken.name, "failed", broken.error)
            outcomes.append(broken.outcome())
        return outcomes

    def _close_or_partial(self, incident: Incident, outcomes: list[ChannelOutcome]) -> None:
        """Every channel restored: close the incident and collect its contacts."""
        if not all(o.ok for o in outcomes):
            self.incidents.update(incident.id, status="resume-partial")
            return
        crash_point("before-close")
        ended = utc_stamp(datetime.now(UTC))
        with self.database.transaction():
            self.incidents.update(incident.id, status="resumed", ended=ended)
            self.log.append(
                "incident.closed", {"ended": ended, "mode": incident.mode}, incident=incident.id
            )
        self._collect_contacts(incident, ended)

    def collect_contacts(self, incident: str, since: str, until: str) -> list[ChannelContacts]:
        """Ask every channel for the contacts its provider recorded in the window, store the
        new ones and log the outcome. A channel's failure is its entry, never an exception."""
        return collect_contacts(self.channels, self.log, incident, since, until, self.runner.plain)

    def _collect_contacts(self, incident: Incident, ended: str) -> None:
        """Store the contacts providers recorded during the incident (they may not keep
        them for long). Never fails the resume: a problem is logged per channel."""
        try:
            self.collect_contacts(incident.id, incident.started, ended)
        except Exception as exc:  # noqa: BLE001 - the channels are restored; report, go on
            self.log.append(
                "contacts.failed", {"error": self.runner.plain(exc)}, incident=incident.id
            )

    def _finish(self, result: Result) -> None:
        self.log.append(
            "command.finished",
            {
                "command": result.command,
                "ok": result.ok,
                "channels": [o.as_json() for o in result.outcomes],
            },
            incident=result.incident.id if result.incident else None,
        )
        closed = result.incident is not None and result.incident.ended is not None
        self.log.anchor(
            f"incident {result.incident.id} closed"
            if closed and result.incident
            else f"{result.command} finished"
        )
        from notices.witness import anchor_outside

        anchor_outside(self.log, self.config.evidence, newest_is_fresh=True)

    def probe(self) -> list[ChannelOutcome]:
        """Every channel's `probe`, concurrently; nothing is changed and nothing is logged."""
        return probe(self.channels, self.runner.plain)

    # -- reading ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What every channel serves now, read back and judged (orchestrator/status.py)."""
        report = read_status(self.channels, self.incidents, self.runner.plain)
        interrupted = self._interrupted(self.incidents.open_incident())
        # `interrupted` right after `status`, as `status --json` has it.
        ordered: dict[str, Any] = {}
        for key, value in report.items():
            ordered[key] = value
            if key == "status":
                ordered["interrupted"] = interrupted
        return ordered

    def _interrupted(self, incident: Incident | None) -> str | None:
        """The command that left `incident` half done (killed, or the machine went down),
        if no command is running now: `switching` or `resuming` with the lock free."""
        from filelock import Timeout

        if incident is None or incident.status not in ("switching", "resuming"):
            return None
        lock = self.lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return None  # it is running now
        except OSError:
            pass  # a read-only data folder: nothing can be running on it
        else:
            lock.release()
        return _last_command(self.database)


@dataclass(frozen=True)
class IncidentChange:
    """What a switch writes of the incident: opened, or moved to this mode and return."""

    current: Incident | None
    mode: str
    started: datetime
    returning: str | None
    reasons: dict[str, str] | None
    updated: datetime


def check_keys(home: Path) -> None:
    """The signing and personal-data keys load (created if missing): an empty or malformed
    one stops the command here, before any channel is touched (KeyFileError)."""
    from notices.evidence.anchor import SigningKey
    from notices.evidence.personal import hmac_key

    SigningKey(home)
    hmac_key(home)


def _last_command(database: Database) -> str:
    rows = database.query(
        "SELECT payload FROM log WHERE kind = 'command.started' ORDER BY seq DESC LIMIT 1"
    )
    return str(json.loads(rows[0][0]).get("command") or "the switch") if rows else "the switch"


def _told_since(
    current: Incident | None,
    mode: str,
    expected_return: datetime | None,
    reasons: dict[str, str] | None,
    now: datetime,
) -> datetime:
    """When what customers are told last changed: the open incident's own time if this
    switch tells them the same again (so the same notice is byte-identical), else now."""
    if current is None:
        return now
    returning = utc_stamp(expected_return) if expected_return else None
    same = (current.mode, current.expected_return, current.reasons) == (mode, returning, reasons)
    return from_stamp(current.updated) if same else now
