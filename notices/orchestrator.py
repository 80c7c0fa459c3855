"""The one flow every command follows.

    validate config -> build channels -> (lock) -> render every notice and build every
    artefact -> open/continue the incident -> per channel, concurrently: snapshot (stored
    before the channel is touched) -> apply -> read back -> log -> report

Nothing is switched and nothing is logged until every channel's artefacts are built.
Each channel runs in its own worker with its own retries; one failing never stops another.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from notices.channels.base import Artefacts, Channel, ChannelContext, Setting
from notices.channels.registry import channel_class
from notices.config import Config
from notices.db import Database, describe_os_error
from notices.errors import (
    ChannelError,
    ConfigError,
    PermanentChannelError,
    StateError,
    StorageError,
)
from notices.evidence.contacts import ChannelContacts, record_collection, store_contacts
from notices.evidence.log import EvidenceLog
from notices.faults import crash_point
from notices.incident import Incident, IncidentStore, StoredSnapshot
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    import tenacity
    from filelock import FileLock

    from notices.render import Renderer

ProgressState = Literal["pending", "retrying", "done", "failed", "unchanged"]
Progress = Callable[[str, ProgressState, str], None]
LOCK_TIMEOUT_SECONDS = 120
# Retries: `[retry]` in notices.toml (attempts, wait_s, max_wait_s); see config.RetryConfig.
# How long a ready channel waits for the others before switching on its own.
TOGETHER_SECONDS = 2.0


def no_progress(name: str, state: ProgressState, detail: str) -> None:
    pass


@dataclass
class ChannelOutcome:
    name: str
    kind: str
    description: str
    ok: bool
    changed: bool = False
    error: str | None = None
    elapsed_ms: int = 0
    # Tries of the step (snapshot, apply, read-back...) that needed most: 1 when every
    # provider call worked the first time. `calls` counts every call, retries included.
    attempts: int = 0
    calls: int = 0
    summary: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "ok": self.ok,
            "changed": self.changed,
            "error": self.error,
            "elapsed_ms": self.elapsed_ms,
            "attempts": self.attempts,
            "calls": self.calls,
        }


@dataclass
class Result:
    command: str
    mode: str
    incident: Incident | None
    outcomes: list[ChannelOutcome] = field(default_factory=list)
    dry_run: bool = False
    message: str | None = None

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)

    def as_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "mode": self.mode,
            "incident": self.incident.id if self.incident else None,
            "started": self.incident.started if self.incident else None,
            "expected_return": self.incident.expected_return if self.incident else None,
            "message": self.message,
            "channels": [outcome.as_json() for outcome in self.outcomes],
        }


class Gate:
    """Lets the channels switch at the same moment: each channel arrives when it is ready (signed
    in, current setting read) or has failed; all go once every channel has arrived, or after
    `limit` seconds, so that one slow provider never holds the others back for long."""

    def __init__(self, names: list[str], limit: float = TOGETHER_SECONDS) -> None:
        self.waiting = set(names)
        self.limit = limit
        self.condition = threading.Condition()

    def arrive(self, name: str) -> None:
        with self.condition:
            self.waiting.discard(name)
            self.condition.notify_all()

    def wait(self, name: str) -> None:
        self.arrive(name)
        with self.condition:
            self.condition.wait_for(lambda: not self.waiting, timeout=self.limit)


@dataclass(frozen=True)
class BrokenChannel:
    """A channel whose own `[channels.NAME]` section is not valid: it fails alone."""

    name: str
    kind: str
    error: str  # with the file, line and key

    def outcome(self) -> ChannelOutcome:
        return ChannelOutcome(self.name, self.kind, self.name, ok=False, error=self.error)


def build_channels(config: Config, home: Path) -> list[Channel]:
    """Instantiate every configured channel, validating its options. Touches no provider.
    Raises ConfigError naming every broken section (file, line, key)."""
    channels, broken = build_channels_apart(config, home)
    if broken:
        raise ConfigError("; ".join(b.error for b in broken))
    return channels


def build_channels_apart(config: Config, home: Path) -> tuple[list[Channel], list[BrokenChannel]]:
    """The channels whose sections are valid, and the broken ones with what is wrong."""
    text = _source_text(config)
    where = f"{config.source}: " if config.source else ""
    channels: list[Channel] = []
    broken: list[BrokenChannel] = []
    for name, entry in config.channels.items():
        try:
            cls = channel_class(entry.kind)
        except ConfigError as exc:
            line = _line(text, ("channels", name, "kind"))
            broken.append(
                BrokenChannel(name, entry.kind, f"{where}{line}channels.{name}.kind: {exc}")
            )
            continue
        try:
            options = cls.Options.model_validate(entry.options())
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                line = _line(text, ("channels", name, *(str(p) for p in err["loc"])))
                why = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
                problems.append(f"{where}{line}channels.{name}.{key}: {why}")
            broken.append(BrokenChannel(name, entry.kind, "; ".join(problems)))
            continue
        channels.append(cls(options, ChannelContext(home=home, name=name)))
    return channels, broken


def _line(text: str, path: tuple[str, ...]) -> str:
    from notices.config import locate_key

    line = locate_key(text, path) if text else None
    return f"line {line}: " if line else ""


def _source_text(config: Config) -> str:
    if config.source is None:
        return ""
    try:
        return config.source.read_text("utf-8")
    except (OSError, ValueError):
        return ""


def missing_credentials(config: Config, channels: list[Channel]) -> ConfigError | None:
    """An error naming every credential variable that is not set, before anything is
    switched; None when all are. `config.source` gives the file and line to name."""
    from notices.config import locate_key

    text = ""
    if config.source is not None:
        try:
            text = config.source.read_text("utf-8")
        except (OSError, ValueError):
            text = ""
    problems = []
    for channel in channels:
        for option, variable in channel.credential_variables().items():
            if os.environ.get(variable):
                continue
            path = ("channels", channel.name, *option.split("."))
            line = locate_key(text, path) if text else None
            where = f"line {line}" if line else f"the default of {option}"
            problems.append(f"{variable} (channels.{channel.name}.{option}, {where}) is not set")
    if not problems:
        return None
    source = f"{config.source}: " if config.source else ""
    return ConfigError(
        f"{source}the credentials of {'a channel' if len(problems) == 1 else 'some channels'}"
        f" are missing: the environment variable {'; '.join(problems)}. Credentials come only"
        " from the environment: set it (or fix the option's name), then run the command"
        " again. Nothing was switched."
    )


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


class Orchestrator:
    def __init__(
        self,
        config: Config,
        home: Path,
        channels: list[Channel],
        progress: Progress = no_progress,
        actor: str | None = None,
        broken: list[BrokenChannel] | None = None,
    ) -> None:
        self.config = config
        self.home = home
        self.channels = channels
        # Channels whose own section is invalid: each fails alone, reported and logged.
        self.broken = list(broken or [])
        self.progress = progress
        # Tries per channel and step in the current command (retries included).
        self._attempts: dict[str, dict[str, int]] = {}
        self._attempts_lock = threading.Lock()
        self.database = Database(home / "notices.db")
        self.log = EvidenceLog(self.database, actor=actor)
        self.incidents = IncidentStore(self.database)
        self._renderer: Renderer | None = None
        # Values of the channels' credential variables: masked in every error text.
        self.secrets = sorted(
            {
                value
                for channel in channels
                for variable in channel.credential_variables().values()
                if len(value := os.environ.get(variable, "")) >= 4
            },
            key=len,
            reverse=True,
        )

    @property
    def renderer(self) -> Renderer:
        """jinja2 is imported by the commands that render, not by `status` or `resume`."""
        if self._renderer is None:
            from notices.render import Renderer

            self._renderer = Renderer(self.config)
        return self._renderer

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        self.database.close()

    def lock(self) -> FileLock:
        from filelock import FileLock

        return FileLock(self.home / "notices.lock", timeout=LOCK_TIMEOUT_SECONDS)

    def _locked(self) -> FileLock:
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
        before_finish: Callable[[Incident], None] | None = None,
    ) -> Result:
        """Switch to `mode`. `command` names it in the log (default: the mode); with
        `require_open` (extend), no incident open is an error, checked under the lock;
        `before_finish` (planning the automatic resume) runs under the lock, logged as part
        of the command."""
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
                return self._preview_changes(command or mode, mode, current, artefacts)
            missing = missing_credentials(self.config, self.channels)
            if missing is not None:
                raise missing
            self.database.check_writable()

            self.log.append(
                "command.started",
                {
                    "command": command or mode,
                    "arguments": arguments,
                    "channels": {c.name: c.describe() for c in self.channels},
                },
                incident=current.id if current else None,
            )
            returning = utc_stamp(expected_return) if expected_return else None
            if current is None:
                with self.database.transaction():
                    incident = self.incidents.open(mode, started, returning, reasons)
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
            else:
                with self.database.transaction():
                    self.incidents.update(
                        current.id,
                        mode=mode,
                        expected_return=returning,
                        reasons=reasons,
                        status="switching",
                        updated=utc_stamp(updated),
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
                incident = self.incidents.get(current.id)  # type: ignore[assignment]
                assert incident is not None

            gate = Gate([c.name for c in self.channels])
            outcomes = self._run_all(
                lambda channel: self._switch_channel(
                    channel, incident, artefacts[channel.name], gate
                ),
                incident.id,
                gate,
            )
            outcomes += self._broken_outcomes(incident.id)
            status = "active" if all(o.ok for o in outcomes) else "partial"
            self.incidents.update(incident.id, status=status)
            if before_finish is not None:
                before_finish(incident)
            result = Result(command or mode, mode, self.incidents.get(incident.id), outcomes)
            self._finish(result)
            return result

    def _switch_channel(
        self, channel: Channel, incident: Incident, artefacts: Artefacts, gate: Gate
    ) -> ChannelOutcome:
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
            self._attempt(channel, incident, "prepare", channel.prepare)
        else:
            setting = self._attempt(channel, incident, "snapshot", channel.snapshot)
            # Stored (with its log record, in one transaction) before this channel is
            # touched: a crash after this point still resumes to it.
            with self.database.transaction():
                if self.incidents.save_snapshot(incident.id, channel.name, identity, setting):
                    self.log.append(
                        "channel.snapshot",
                        {"identity": identity, "setting": channel.public(setting).to_json()},
                        incident=incident.id,
                        channel=channel.name,
                    )
            crash_point("after-snapshot", channel.name)
        gate.wait(channel.name)
        expected = channel.expected(artefacts)
        # What the switch aims at, stored before it starts: after a crash mid-switch,
        # `status` compares the provider with it and says how far the switch got.
        self.incidents.set_channel_state(
            incident.id,
            channel.name,
            {"target": "incident", "expected": expected.to_json()},
            False,
            "switching",
        )
        receipt = self._attempt(channel, incident, "apply", lambda: channel.apply(artefacts))
        crash_point("after-apply", channel.name)
        self.log.append(
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
        return ChannelOutcome(
            channel.name,
            channel.kind,
            channel.describe(),
            ok=True,
            changed=receipt.changed,
            summary=channel.public(expected).summary,
        )

    def _read_back(
        self, channel: Channel, incident: Incident, expected: Setting, target: str
    ) -> None:
        actual = self._attempt(channel, incident, "verify", channel.verify)
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
                outcomes = []
                for channel in self.channels:
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
            self.database.check_writable()
            self.log.append(
                "command.started",
                {
                    "command": "resume",
                    "arguments": arguments,
                    "channels": {c.name: c.describe() for c in self.channels},
                },
                incident=incident.id,
            )
            self.incidents.update(incident.id, status="resuming")
            by_channel = {channel.name: channel for channel in self.channels}
            missing = [name for name in snapshots if name not in by_channel]
            gate = Gate([c.name for c in self.channels])
            outcomes = self._run_all(
                lambda channel: self._restore_channel(
                    channel, incident, snapshots.get(channel.name), gate
                ),
                incident.id,
                gate,
            )
            broken = {b.name: b.error for b in self.broken}
            for name in missing:
                error = broken.get(name) or (
                    f"channel {name!r} has a snapshot but is no longer configured:"
                    " restore it by hand"
                )
                self.log.append(
                    "channel.failed",
                    {"step": "restore", "error": error},
                    incident=incident.id,
                    channel=name,
                )
                outcomes.append(ChannelOutcome(name, "?", name, ok=False, error=error))
            if all(o.ok for o in outcomes):
                crash_point("before-close")
                ended = utc_stamp(datetime.now(UTC))
                with self.database.transaction():
                    self.incidents.update(incident.id, status="resumed", ended=ended)
                    self.log.append(
                        "incident.closed",
                        {"ended": ended, "mode": incident.mode},
                        incident=incident.id,
                    )
                self._collect_contacts(incident, ended)
            else:
                self.incidents.update(incident.id, status="resume-partial")
            if before_finish is not None:
                before_finish(incident)
            result = Result("resume", "normal", self.incidents.get(incident.id), outcomes)
            self._finish(result)
            return result

    def _restore_channel(
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
        self._attempt(channel, incident, "prepare", channel.prepare)
        gate.wait(channel.name)
        receipt = self._attempt(channel, incident, "restore", lambda: channel.restore(saved))
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
        return ChannelOutcome(
            channel.name,
            channel.kind,
            channel.describe(),
            ok=True,
            changed=receipt.changed,
            summary=channel.public(saved).summary,
        )

    # -- shared machinery ------------------------------------------------------------------

    def _run_all(
        self,
        work: Callable[[Channel], ChannelOutcome],
        incident_id: str,
        gate: Gate | None = None,
    ) -> list[ChannelOutcome]:
        """Run `work` for every channel at once; an exception in one becomes its outcome."""
        self._attempts.clear()
        for channel in self.channels:
            self.progress(channel.name, "pending", channel.describe())

        def guarded(channel: Channel) -> ChannelOutcome:
            began = time.monotonic()
            try:
                outcome = work(channel)
            except Exception as exc:  # noqa: BLE001 - one channel must never stop the others
                outcome = ChannelOutcome(
                    channel.name,
                    channel.kind,
                    channel.describe(),
                    ok=False,
                    error=self._plain(exc),
                )
                self.log.append(
                    "channel.failed",
                    {
                        "error": outcome.error,
                        "type": type(exc).__name__,
                        "transient": isinstance(exc, ChannelError) and exc.transient,
                    },
                    incident=incident_id,
                    channel=channel.name,
                )
            finally:
                if gate is not None:
                    gate.arrive(channel.name)  # done or failed: the others need not wait
            outcome.elapsed_ms = round((time.monotonic() - began) * 1000)
            tries = self._attempts.get(channel.name, {}).values()
            outcome.attempts = max(tries, default=0)
            outcome.calls = sum(tries)
            if outcome.ok:
                state: ProgressState = "done" if outcome.changed else "unchanged"
                self.progress(channel.name, state, f"{outcome.elapsed_ms} ms")
            else:
                self.progress(channel.name, "failed", outcome.error or "")
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, len(self.channels))) as pool:
            return list(pool.map(guarded, self.channels))

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
            self.progress(broken.name, "failed", broken.error)
            outcomes.append(broken.outcome())
        return outcomes

    def _attempt(
        self, channel: Channel, incident: Incident, step: str, call: Callable[[], Any]
    ) -> Any:
        """Call a provider, retrying transient failures with exponential backoff; log each."""
        import tenacity

        def log_retry(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            self.log.append(
                "channel.retry",
                {
                    "step": step,
                    "attempt": state.attempt_number,
                    "error": self._plain(exc),
                    "retry_in_s": round(wait, 3),
                },
                incident=incident.id,
                channel=channel.name,
            )
            self.progress(channel.name, "retrying", f"{step}: {self._plain(exc)}")

        policy = self.config.retry
        backoff = tenacity.wait_exponential(
            multiplier=policy.wait_s, max=min(8.0, policy.max_wait_s)
        )

        def wait(state: tenacity.RetryCallState) -> float:
            # A provider's Retry-After wins over our own backoff, within reason.
            exc = state.outcome.exception() if state.outcome else None
            after = getattr(exc, "retry_after", None)
            return min(float(after), policy.max_wait_s) if after is not None else backoff(state)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=wait,
            retry=tenacity.retry_if_exception(
                lambda e: isinstance(e, ChannelError) and e.transient
            ),
            before_sleep=log_retry,
            reraise=True,
        )

        def counted() -> Any:
            with self._attempts_lock:
                steps = self._attempts.setdefault(channel.name, {})
                steps[step] = steps.get(step, 0) + 1
            return call()

        return retrying(counted)

    def _preview_changes(
        self, command: str, mode: str, current: Incident | None, artefacts: dict[str, Artefacts]
    ) -> Result:
        outcomes = []
        for channel in self.channels:
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
                        error=self._plain(exc),
                    )
                )
        outcomes += [broken.outcome() for broken in self.broken]
        return Result(command, mode, current, outcomes, dry_run=True)

    def _plain(self, exc: BaseException | None) -> str:
        """An error as text for people and the log, credentials masked: a provider may
        echo one back in its error message, and a bug's message may carry one."""
        text = _plain(exc)
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        return text

    def collect_contacts(self, incident: str, since: str, until: str) -> list[ChannelContacts]:
        """Ask every channel for the contacts its provider recorded in the window, store the
        new ones and log the outcome. A channel's failure is its entry, never an exception."""
        results = []
        for channel in self.channels:
            try:
                contacts = channel.contacts(since, until)
            except ChannelError as exc:
                results.append(ChannelContacts(channel.name, True, error=self._plain(exc)))
                continue
            if contacts is None:
                results.append(ChannelContacts(channel.name, False))
                continue
            new = store_contacts(self.log, channel.name, incident, contacts)
            results.append(ChannelContacts(channel.name, True, len(contacts), new))
        record_collection(self.log, incident, since, until, results)
        return results

    def _collect_contacts(self, incident: Incident, ended: str) -> None:
        """Store the contacts providers recorded during the incident (they may not keep
        them for long). Never fails the resume: a problem is logged per channel."""
        try:
            self.collect_contacts(incident.id, incident.started, ended)
        except Exception as exc:  # noqa: BLE001 - the channels are restored; report, go on
            self.log.append("contacts.failed", {"error": self._plain(exc)}, incident=incident.id)

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

    def probe(self) -> list[ChannelOutcome]:
        """Every channel's `probe`, concurrently; nothing is changed and nothing is logged."""

        def one(channel: Channel) -> ChannelOutcome:
            began = time.monotonic()
            try:
                line = channel.probe()
                outcome = ChannelOutcome(
                    channel.name, channel.kind, channel.describe(), ok=True, summary=line
                )
            except Exception as exc:  # noqa: BLE001 - report every channel, never stop
                outcome = ChannelOutcome(
                    channel.name, channel.kind, channel.describe(), ok=False, error=self._plain(exc)
                )
            outcome.elapsed_ms = round((time.monotonic() - began) * 1000)
            return outcome

        with ThreadPoolExecutor(max_workers=max(1, len(self.channels))) as pool:
            return list(pool.map(one, self.channels))

    # -- reading ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        incident = self.incidents.open_incident()
        states = self.incidents.channel_states(incident.id) if incident else {}
        # With no incident open, each channel should still serve what the last resume put
        # back: a channel left in emergency mode must not look "normal".
        last = None if incident else self.incidents.latest()
        restored = self.incidents.channel_states(last.id) if last else {}
        snapshots = self.incidents.snapshots(incident.id) if incident else {}

        def read(channel: Channel) -> dict[str, Any]:
            entry: dict[str, Any] = {
                "name": channel.name,
                "kind": channel.kind,
                "description": channel.describe(),
            }
            try:
                actual = channel.verify()
            except Exception as exc:  # noqa: BLE001 - status reports, never stops
                entry.update(ok=False, state="unreadable", error=self._plain(exc))
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
                    entry.update(
                        ok=False,
                        state="differs",
                        error=f"not what the resume of incident {last.id} restored"
                        f" ({last.ended}); if it was not changed on purpose since, check it",
                    )
                else:
                    entry.update(ok=True, state="normal")
            else:
                entry.update(_incident_state(channel, incident, known, snapshots, actual))
            return entry

        with ThreadPoolExecutor(max_workers=max(1, len(self.channels))) as pool:
            channels = list(pool.map(read, self.channels))
        return {
            "mode": incident.mode if incident else "normal",
            "incident": incident.id if incident else None,
            "status": incident.status if incident else None,
            "started": incident.started if incident else None,
            "expected_return": incident.expected_return if incident else None,
            "channels": channels,
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
    return {
        "ok": False,
        "state": "differs",
        "error": "serves neither the notice nor its setting from before the incident: a"
        " switch or resume did not finish (run it again), or it was changed by hand",
    }


def _holds(channel: Channel, expected: Setting, actual: Setting) -> bool:
    try:
        return channel.holds(expected, actual)
    except Exception:  # noqa: BLE001 - a setting the channel cannot compare does not hold
        return False


def _plain(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    text = str(exc) or type(exc).__name__
    return text
