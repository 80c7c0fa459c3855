"""The one API every door calls: the CLI, the SMS gate, the staff line and the scheduler.

    Workspace.load(home, config)            the data folder and its validated configuration
    plan_switch / plan_extend               the request, parsed and checked; nothing touched
    open_session(workspace, actor, progress)   the channels built, the log opened
      check_switch(session, plan)           render everything, check credentials: nothing
                                            touched (a door may then ask for confirmation)
      switch(session, plan[, dry_run])      switch every channel; plan the automatic resume
      resume(session, ...)                  restore every channel; cancel the planned resume
      resume_at(session, at)                only (re)plan the automatic resume
      status(session)                       each channel read back, the plan, the scheduler
      collect_contacts(session, incident)   what providers recorded during an incident
    check(workspace), embed(workspace, ...)   ready before an incident (readiness.py)
    preview(workspace, ...)                 what would be published (views.py)
    keep_warm(), warm_up(workspace)         `serve`: channels kept open, signed in (warmth.py)

A door parses its own input (words, digits, options), calls these and presents what comes
back in its own way. Who asked, and through which door, is the session's actor: the log
records it, so the same command reads the same in the evidence whichever door it came by.
A fix to how a command works is made here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notices.commands.input import (
    parse_reasons,
    passed_today,
    refuse_passed,
)
from notices.commands.readiness import CheckReport, Embedding, check, embed
from notices.commands.session import Session, Workspace, open_session, warm_up
from notices.commands.views import LanguageView, PreviewFile, language_views, preview
from notices.commands.warmth import keep_warm
from notices.errors import StateError, UsageError
from notices.evidence.contacts import ChannelContacts, incident_window
from notices.incident import Incident
from notices.nodes import nodes_report
from notices.orchestrator import Result, missing_credentials
from notices.orchestrator.flow import Orchestrator
from notices.plans import Plan, Plans, nudge, read_heartbeat, schedule_report
from notices.timeparse import (
    Moment,
    expected_return_explained,
    from_stamp,
    parse_duration,
    parse_until_explained,
)

SCHEDULER_ACTOR = "scheduler"


# -- switching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchPlan:
    """A switch, parsed and checked: a mode's command, or `extend` of the open incident."""

    mode: str
    command: str
    reasons: dict[str, str] | None
    moment: Moment | None
    require_open: bool = False
    previous: datetime | None = None  # extend: the expected return it replaces

    @property
    def returning(self) -> datetime | None:
        return self.moment.utc if self.moment else None

    @property
    def note(self) -> str | None:
        """How a time the clocks skip or repeat (daylight saving) was read, if it was one."""
        return self.moment.note if self.moment else None


@dataclass
class SwitchOutcome:
    result: Result
    # After a real switch with a return time: the planned resume, the scheduler, a warning.
    schedule: dict[str, Any] | None = None


def plan_switch(
    workspace: Workspace,
    mode: str,
    *,
    until: str | None = None,
    for_: str | None = None,
    reasons: list[str] | None = None,
    reason_language: str | None = None,
) -> SwitchPlan:
    """Parse a switch to `mode`: its return time and reasons (a reason without a language
    prefix is in `reason_language`, else the first configured). Raises UsageError."""
    config = workspace.config
    moment = expected_return_explained(until, for_, config.zone)
    parsed = parse_reasons(reasons, config.languages, reason_language)
    if mode not in config.all_modes():
        raise UsageError(f"unknown mode {mode!r}")
    return SwitchPlan(mode, mode, parsed, moment)


def plan_extend(
    session: Session, *, until: str | None, for_: str | None, earlier: bool = False
) -> SwitchPlan:
    """Parse an extension of the open incident: the same mode and reasons, a new return.
    `for_` adds to the current expected return (to now, when there is none); `until` sets
    it, and one earlier than the current return needs `earlier`. Raises UsageError."""
    if not until and not for_:
        raise UsageError("say until when: --until 18:00 or --for 2h")
    current = session.open_incident()
    if current is None:
        raise StateError("No incident is open: nothing to extend.")
    zone = session.config.zone
    old = from_stamp(current.expected_return) if current.expected_return else None
    if for_ and not until and old is not None:
        moment: Moment | None = Moment(max(old, datetime.now(UTC)) + parse_duration(for_))
    else:
        moment = expected_return_explained(until, for_, zone)
    assert moment is not None
    if old is not None and moment.utc < old and not earlier:
        raise UsageError(
            f"--until {until} ({moment.utc.astimezone(zone):%d.%m.%Y %H:%M}) is earlier than"
            f" the current expected return ({old.astimezone(zone):%d.%m.%Y %H:%M}): that"
            " would shorten the absence. Add --earlier if that is meant. Nothing was switched."
        )
    return SwitchPlan(current.mode, "extend", None, moment, require_open=True, previous=old)


def refuse_earlier(session: Session, plan: SwitchPlan) -> None:
    """For doors that cannot ask (SMS, the staff line): a mode's command sent again while
    that mode's incident is open must not move its return earlier by surprise."""
    current = session.open_incident()
    if current is None or current.mode != plan.mode or not current.expected_return:
        return
    old = from_stamp(current.expected_return)
    if plan.returning is not None and plan.returning < old:
        zone = session.config.zone
        raise UsageError(
            f"the expected return is already {old.astimezone(zone):%d.%m.%Y %H:%M}; this"
            f" would move it earlier, to {plan.returning.astimezone(zone):%d.%m.%Y %H:%M}."
            " Nothing was switched: to shorten it, use `notices extend --until ... --earlier`."
        )


def check_switch(session: Session, plan: SwitchPlan) -> None:
    """Render every notice and check every credential, touching nothing: a broken
    template or a missing secret fails here, before anyone is asked to confirm. No provider
    is read (that would only slow the switch); `switch` does all this again under the lock."""
    orchestrator = session.orchestrator
    orchestrator.build_all(plan.mode, plan.reasons, datetime.now(UTC), plan.returning)
    missing = missing_credentials(session.config, orchestrator.channels)
    if missing is not None:
        raise missing


def switch(
    session: Session,
    plan: SwitchPlan,
    *,
    arguments: dict[str, Any],
    dry_run: bool = False,
) -> SwitchOutcome:
    """Switch every channel as `plan` says, and plan the automatic resume at its return
    time (telling `serve`). With `dry_run`, render and compare only: nothing is touched
    and nothing is logged. `arguments` is what the door was given, for the log."""
    orchestrator = session.orchestrator
    common: dict[str, Any] = {
        "reasons": plan.reasons,
        "expected_return": plan.returning,
        "arguments": arguments,
        "command": plan.command if plan.command != plan.mode else None,
        "require_open": plan.require_open,
    }
    if dry_run:
        return SwitchOutcome(orchestrator.switch(plan.mode, dry_run=True, **common))
    planner = _resume_planner(orchestrator, plan.returning, source=plan.command)
    result = orchestrator.switch(plan.mode, dry_run=False, plan_resume=planner, **common)
    schedule = None
    if planner is not None and result.incident is not None and not result.incident.ended:
        nudge(orchestrator.database)
        schedule = _schedule(session, result.incident)
    return SwitchOutcome(result, schedule)


def _resume_planner(
    orchestrator: Orchestrator, returning: datetime | None, source: str
) -> Callable[[Incident], None] | None:
    """With a return time, a switch also plans the automatic resume (under its lock)."""
    if returning is None:
        return None

    def plan(incident: Incident) -> None:
        Plans(orchestrator.database).schedule(incident.id, returning, source, orchestrator.log)

    return plan


def _schedule(session: Session, incident: Incident | None) -> dict[str, Any]:
    orchestrator = session.orchestrator
    report = schedule_report(
        orchestrator.database,
        incident,
        {channel.name: channel.self_expiring for channel in orchestrator.channels},
        session.workspace.home,
        session.config.timezone,
    )
    beat = read_heartbeat(orchestrator.database)
    report["scheduler_alive"] = bool(beat and beat.alive())
    if orchestrator.database.node is not None:  # a shared store: every node, its role
        report |= nodes_report(orchestrator.database)
    return report


# -- resuming ----------------------------------------------------------------------------


@dataclass
class ResumeOutcome:
    result: Result
    cancelled: Plan | None = None  # the automatic resume this one made unnecessary


def resume(
    session: Session,
    *,
    arguments: dict[str, Any],
    dry_run: bool = False,
    only_if: Callable[[Incident], str | None] | None = None,
) -> ResumeOutcome:
    """Restore every channel to what it served before the incident, and cancel the planned
    automatic resume. `only_if` (the scheduler's) is asked under the lock whether to go
    ahead; a message back means no, and nothing is touched or logged."""
    orchestrator = session.orchestrator
    cancelled: list[Plan] = []

    def cancel(incident: Incident) -> None:
        reason = "resumed by hand"
        plan = Plans(orchestrator.database).cancel(incident.id, reason, orchestrator.log)
        cancelled.extend([plan] if plan else [])

    result = orchestrator.resume(
        dry_run=dry_run,
        arguments=arguments,
        only_if=only_if,
        before_finish=None if only_if else cancel,
    )
    if cancelled:
        nudge(orchestrator.database)
    return ResumeOutcome(result, cancelled[0] if cancelled else None)


@dataclass
class ResumeAtOutcome:
    incident: Incident
    moment: Moment
    schedule: dict[str, Any]
    dry_run: bool


def resume_at(session: Session, at: str, *, dry_run: bool = False) -> ResumeAtOutcome:
    """Change nothing now: (re)plan the automatic resume of the open incident for `at`."""
    moment = parse_until_explained(at, session.config.zone)
    orchestrator = session.orchestrator
    incident = session.open_incident()
    if incident is None:
        raise StateError("No incident is open: there is nothing to resume later.")
    if not dry_run:
        Plans(orchestrator.database).schedule(
            incident.id, moment.utc, "resume --at", orchestrator.log
        )
        nudge(orchestrator.database)
    return ResumeAtOutcome(incident, moment, _schedule(session, incident), dry_run)


# -- reading -----------------------------------------------------------------------------


def status(session: Session) -> dict[str, Any]:
    """Mode, incident, times, each channel read back, the planned resume, the scheduler."""
    report = session.orchestrator.status()
    report |= _schedule(session, session.open_incident())
    report.pop("scheduler_alive")
    for entry in report["channels"]:
        entry["self_expiring"] = report["safety_nets"].get(entry["name"], False)
    for broken in session.orchestrator.broken:  # its section is invalid: it cannot be read
        report["channels"].append(
            {
                "name": broken.name,
                "kind": broken.kind,
                "ok": False,
                "state": "broken",
                "read_back": None,
                "error": broken.error,
                "self_expiring": False,
            }
        )
    return report


def collect_contacts(session: Session, incident: str | None) -> list[ChannelContacts]:
    """Ask every channel's provider for the contacts received during `incident` (default:
    the latest) and store them in the log."""
    log = session.orchestrator.log
    incident = incident or log.latest_incident()
    window = incident_window(log, incident)
    if window is None:
        raise UsageError(f"no incident {incident!r} in the log")
    results = session.orchestrator.collect_contacts(incident, *window)
    log.anchor("contacts collected")
    return results


__all__ = [
    "SCHEDULER_ACTOR",
    "CheckReport",
    "Embedding",
    "LanguageView",
    "PreviewFile",
    "ResumeAtOutcome",
    "ResumeOutcome",
    "Session",
    "SwitchOutcome",
    "SwitchPlan",
    "Workspace",
    "check",
    "check_switch",
    "collect_contacts",
    "embed",
    "keep_warm",
    "language_views",
    "open_session",
    "parse_reasons",
    "passed_today",
    "plan_extend",
    "plan_switch",
    "preview",
    "refuse_earlier",
    "refuse_passed",
    "resume",
    "resume_at",
    "status",
    "switch",
    "warm_up",
]
