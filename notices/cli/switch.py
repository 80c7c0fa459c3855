"""Switching: evacuate, power-out (and any mode from notices.toml), resume, extend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from notices.cli.app import (
    ConfigFile,
    DryRun,
    For,
    Home,
    Json,
    Reason,
    Until,
    Yes,
    app,
    ask,
    can_ask,
    command,
    confirm_or_refuse,
    door,
    err,
    handled,
    note,
    out,
    print_json,
    shown,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from notices import commands
    from notices.cli.display import LiveProgress
    from notices.orchestrator import Result


def _progress(json_output: bool) -> LiveProgress | None:
    """A line per channel on screen while it switches; none for --json."""
    if json_output:
        return None
    from notices.cli.display import LiveProgress

    return LiveProgress(out)


def _session(workspace: commands.Workspace, progress: LiveProgress | None) -> Any:
    """The command's session; when `serve` runs it for another process (the warm path),
    with that process's actor and host, and `via: serve` for the log."""
    from notices import commands

    caller = door.get()
    who: dict[str, Any] = (
        {} if caller is None else {"actor": caller.actor, "host": caller.host, "door": caller.door}
    )
    if progress is None:
        return commands.open_session(workspace, **who)
    return commands.open_session(workspace, progress=progress, **who)


def run_switch(
    mode: str,
    *,
    home: Any,
    config_file: Any,
    until: str | None,
    for_: str | None,
    reason: list[str] | None,
    yes: bool,
    dry_run: bool,
    json_output: bool,
) -> None:
    from notices import commands

    workspace = commands.Workspace.load(home, config_file)
    plan = commands.plan_switch(workspace, mode, until=until, for_=for_, reasons=reason)
    progress = _progress(json_output)
    with _session(workspace, progress) as session:
        note(plan.note)
        ask_if_tomorrow(plan, workspace.config.zone, yes=yes, dry_run=dry_run)
        views = commands.language_views(session, plan)
        texts = {"texts": [view.as_json() for view in views]}
        if dry_run:
            preview = commands.switch(session, plan, arguments={}, dry_run=True)
            _show_views(views, json_output)
            _print(preview.result, json_output, workspace.config.zone, extra=texts)
            return
        commands.check_switch(session, plan)
        _show_views(views, json_output)
        names = ", ".join(session.channel_names())
        confirm_or_refuse(f"Switch {names} to the {mode} notice now?", yes)
        arguments = {"until": until, "for": for_, "reason": reason, "dry_run": dry_run}
        if progress is not None:
            out.print(f"[bold]Switching to {shown(mode)}[/bold]")
        again = f"`notices {mode}` again completes the switch, `notices resume` undoes it"
        with interrupted_said(mode, again), progress or nullcontext():
            outcome = commands.switch(session, plan, arguments=arguments)
    _print(outcome.result, json_output, workspace.config.zone, outcome.schedule, texts)
    raise typer.Exit(0 if outcome.result.ok else 1)


@contextmanager
def interrupted_said(command: str, again: str) -> Iterator[None]:
    """Ctrl-C while the channels switch: the channels' own threads finish the change each
    has begun (a provider's setting is never left half-sent), the command logs no end, and
    this says what that means and what to run; exit 130, as for any interrupted program."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(
            f"[bold red]Interrupted:[/bold red] `{command}` did not finish. Each channel"
            " finished the change it had begun, and every step is in the log. `notices"
            f" status` shows what each channel serves now; {again}."
        )
        raise typer.Exit(130) from None


def _show_views(views: list[commands.LanguageView], json_output: bool) -> None:
    if not json_output:
        from notices.cli.display import print_views

        print_views(out, views)


def ask_if_tomorrow(plan: commands.SwitchPlan, zone: ZoneInfo, *, yes: bool, dry_run: bool) -> None:
    """A bare --until already passed today: refused with --yes or without a terminal,
    asked in one, noted by --dry-run."""
    from notices import commands

    question = commands.passed_today(plan, zone)
    if question is None:
        return
    if dry_run:
        note(f"{question}: the real command asks whether tomorrow is meant (--yes refuses)")
        return
    if yes or not can_ask():
        commands.refuse_passed(plan, zone)
    if not ask(f"{question}. Is tomorrow meant?"):
        err.print("Nothing was changed.")
        raise typer.Exit(2)


def _print(
    result: Result,
    json_output: bool,
    zone: ZoneInfo,
    schedule: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    from notices.cli.display import local, print_result

    if json_output:
        extra = dict(extra or {})
        if schedule is not None:
            extra |= {k: schedule[k] for k in ("planned_resume", "scheduler", "warning")}
        print_json(result.as_json() | extra)
        return
    print_result(out, result, zone)
    if schedule is not None and schedule["planned_resume"]:
        out.print(f"  automatic resume: {local(schedule['planned_resume'], zone)}")
    if schedule is not None and schedule["warning"]:
        err.print(f"[bold red]WARNING:[/bold red] {shown(schedule['warning'])}")


def add_mode_command(mode: str, help_text: str) -> None:
    def switch_command(
        until: Until = None,
        for_: For = None,
        reason: Reason = None,
        yes: Yes = False,
        dry_run: DryRun = False,
        json_output: Json = False,
        home: Home = None,
        config: ConfigFile = None,
    ) -> None:
        run_switch(
            mode,
            home=home,
            config_file=config,
            until=until,
            for_=for_,
            reason=reason,
            yes=yes,
            dry_run=dry_run,
            json_output=json_output,
        )

    switch_command.__doc__ = help_text
    app.command(name=mode)(handled(switch_command))


add_mode_command(
    "evacuate",
    "The office is being evacuated: switch every channel to the evacuation notice.",
)
add_mode_command(
    "power-out", "The office has lost power: switch every channel to the power-cut notice."
)


@command()
def resume(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Do not resume now: (re)schedule the automatic resume for 17:00 or an ISO"
            " time. Needs `notices serve` running.",
        ),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Back to normal: restore exactly what every channel showed before the incident.

    Cancels any scheduled automatic resume. With --at, changes nothing now and schedules
    the automatic resume for that time instead."""
    from notices import commands

    workspace = commands.Workspace.load(home, config)
    if at is not None:
        _resume_at(workspace, at, dry_run, json_output)
        return
    progress = _progress(json_output)
    with _session(workspace, progress) as session:
        if not dry_run:
            confirm_or_refuse("Restore every channel to what it showed before the incident?", yes)
        live = progress is not None and not dry_run and session.open_incident() is not None
        if live:
            out.print("[bold]Resuming[/bold]")
        shown_live = progress if live and progress is not None else nullcontext()
        with interrupted_said("resume", "`notices resume` again completes it"), shown_live:
            outcome = commands.resume(session, arguments={}, dry_run=dry_run)
    zone = workspace.config.zone
    _print(outcome.result, json_output, zone)
    if outcome.cancelled and not json_output:
        from notices.cli.display import local

        out.print(
            f"  the automatic resume planned for {local(outcome.cancelled.at, zone)} is cancelled"
        )
    raise typer.Exit(0 if outcome.result.ok else 1)


def _resume_at(workspace: commands.Workspace, at: str, dry_run: bool, json_output: bool) -> None:
    from notices import commands
    from notices.cli.display import local
    from notices.timeparse import utc_stamp

    zone = workspace.config.zone
    with _session(workspace, None) as session:
        outcome = commands.resume_at(session, at, dry_run=dry_run)
    note(outcome.moment.note)
    incident, planned = outcome.incident, utc_stamp(outcome.moment.utc)
    report = outcome.schedule
    if json_output:
        print_json(
            {
                "command": "resume --at",
                "dry_run": dry_run,
                "incident": incident.id,
                "planned_resume": planned,
                "expected_return": incident.expected_return,
                "scheduler": report["scheduler"],
                "warning": report["warning"] if not dry_run else None,
            }
        )
        raise typer.Exit(0)
    verb = "Would schedule" if dry_run else "Scheduled"
    out.print(
        f"[bold]{verb} the automatic resume[/bold] of incident {incident.id} for"
        f" {local(planned, zone)}; nothing else changed."
    )
    if incident.expected_return and incident.expected_return != planned:
        out.print(
            f"  the notices still say back {local(incident.expected_return, zone)};"
            " `notices extend --until ...` changes what customers are told."
        )
    if not dry_run and report["warning"]:
        err.print(f"[bold red]WARNING:[/bold red] {shown(report['warning'])}")
    elif not dry_run and report["scheduler_alive"]:
        out.print("  the scheduler (`notices serve`) has it.")
    raise typer.Exit(0)


@command()
def extend(
    until: Until = None,
    for_: Annotated[
        str | None,
        typer.Option("--for", help="Add this to the current expected return: 2h, 90m."),
    ] = None,
    earlier: Annotated[
        bool,
        typer.Option("--earlier", help="Allow an --until earlier than the current return."),
    ] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Move the expected return: every notice says the new time, the resume moves with it.

    --for adds to the current expected return; --until sets it, and a time earlier than
    the current return needs --earlier. Re-renders and re-applies every channel's text,
    moves the automatic resume and the provider-side end times."""
    from notices import commands

    workspace = commands.Workspace.load(home, config)
    progress = _progress(json_output)
    zone = workspace.config.zone
    with _session(workspace, progress) as session:
        plan = commands.plan_extend(session, until=until, for_=for_, earlier=earlier)
        note(plan.note)
        ask_if_tomorrow(plan, zone, yes=yes, dry_run=dry_run)
        arguments = {"until": until, "for": for_, "earlier": earlier, "dry_run": dry_run}
        views = commands.language_views(session, plan)
        extra = _previous(plan) | {"texts": [view.as_json() for view in views]}
        if dry_run:
            preview = commands.switch(session, plan, arguments=arguments, dry_run=True)
            if not json_output:
                out.print(_moved(plan, zone))
            _show_views(views, json_output)
            _print(preview.result, json_output, zone, extra=extra)
            return
        commands.check_switch(session, plan)
        _show_views(views, json_output)
        confirm_or_refuse(f"{_moved(plan, zone)}\nUpdate every channel?", yes)
        if progress is not None:
            out.print(f"[bold]Extending {shown(plan.mode)}[/bold]: {shown(_moved(plan, zone))}")
        again = "`notices extend` again with the same time completes it"
        with interrupted_said("extend", again), progress or nullcontext():
            outcome = commands.switch(session, plan, arguments=arguments)
    _print(outcome.result, json_output, zone, outcome.schedule, extra)
    raise typer.Exit(0 if outcome.result.ok else 1)


def _previous(plan: commands.SwitchPlan) -> dict[str, Any]:
    from notices.timeparse import utc_stamp

    return {"previous_return": utc_stamp(plan.previous) if plan.previous else None}


def _moved(plan: commands.SwitchPlan, zone: ZoneInfo) -> str:
    """The expected return before and after, e.g. 'expected return: 01.12.2026 17:00 ->
    01.12.2026 17:30'."""
    from notices.cli.display import local
    from notices.timeparse import utc_stamp

    old = local(utc_stamp(plan.previous), zone) if plan.previous else "not set"
    new = local(utc_stamp(plan.returning), zone) if plan.returning else "not set"
    return f"expected return: {old} -> {new}"
