"""What a command reports: one outcome per channel, the command's result, and progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from notices.incident import Incident

ProgressState = Literal["pending", "retrying", "done", "failed", "unchanged"]
Progress = Callable[[str, ProgressState, str], None]


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
