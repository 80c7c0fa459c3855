"""The `notices` command. Thin: parse, call the orchestrator, print."""

from __future__ import annotations

import itertools
import json
import os
import sys
import tomllib
import unicodedata
from importlib.resources import files as package_files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from notices import __version__
from notices.errors import NoticesError, StateError, UsageError
from notices.paths import BUILTIN_MODE_NAMES, config_path, default_home, is_mode_name

if TYPE_CHECKING:
    from notices.config import Config

app = typer.Typer(
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks with local variables could show a secret on screen: never.
    pretty_exceptions_enable=False,
    help="Switch the phone greeting, website banner and email auto-reply together in an"
    " emergency, and keep evidence of every step.",
)
log_app = typer.Typer(no_args_is_help=True, help="Read, verify and export the evidence log.")
app.add_typer(log_app, name="log")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar="NOTICES_HOME", help="Data folder (log, state, published site)."),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="NOTICES_CONFIG",
        help="notices.toml to use (default: the data folder's, else the built-in default).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object, for scripts.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Render and show what would change; touch nothing.")
]
Until = Annotated[
    str | None,
    typer.Option(
        "--until", help="Expected return: 15:30 (today, or tomorrow if past) or an ISO time."
    ),
]
For = Annotated[str | None, typer.Option("--for", help="Expected return after 90m, 4h or 1h30m.")]
Reason = Annotated[
    list[str] | None,
    typer.Option(
        "--reason",
        help="What happened, said in every notice. Prefix with a language to give it per"
        " language: --reason 'fi:Uhkatilanne' --reason 'en:A security threat'.",
    ),
]


def fail(error: NoticesError) -> NoReturn:
    err.print(f"[bold red]error:[/bold red] {error}")
    raise typer.Exit(error.exit_code)


def resolve(home: Path | None, config: Path | None) -> tuple[Path, Config]:
    from notices.config import load_config

    data = home or default_home()
    return data, load_config(config_path(data, config))


MAX_REASON = 500  # characters per language: a caller hears it read aloud in every language


def check_reason(value: str) -> None:
    """Refuse a reason that cannot be shown safely in every notice: control characters
    (other than line breaks and tabs, which become spaces) and texts too long to be heard."""
    for char in value:
        if char in "\t\n\r":
            continue
        category = unicodedata.category(char)
        if category == "Cs":
            raise UsageError(
                "--reason is not valid text (it holds bytes that are not UTF-8): type it again"
                " in a terminal set to UTF-8. Nothing was switched."
            )
        if category == "Cc":
            raise UsageError(
                f"--reason contains the control character U+{ord(char):04X}, which no notice"
                " can show (it may come from a copy-paste): type the reason again without it."
                " Nothing was switched."
            )
    if len(value) > MAX_REASON:
        raise UsageError(
            f"--reason is {len(value)} characters long; at most {MAX_REASON} are accepted, as"
            " callers hear it read aloud in every language: shorten it (details can go on"
            " the notice page). Nothing was switched."
        )


def resolved(home: Path | None, config: Path | None) -> tuple[Path, Config]:
    """`resolve`, or the error on screen and exit 2."""
    try:
        return resolve(home, config)
    except NoticesError as exc:
        fail(exc)


def parse_reasons(values: list[str] | None, languages: list[str]) -> dict[str, str] | None:
    if not values:
        return None
    reasons: dict[str, str] = {}
    for value in values:
        prefix, sep, rest = value.partition(":")
        check_reason(rest if sep and prefix in languages else value)
        if sep and prefix in languages:
            reasons[prefix] = rest.strip()
        else:
            for lang in languages:
                reasons.setdefault(lang, value.strip())
    # A reason given only for some languages stands for the others too.
    first = next(iter(reasons.values()))
    return {lang: reasons.get(lang, first) for lang in languages}


def confirm_or_refuse(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        fail(UsageError("no terminal to confirm on: add --yes to switch without asking"))
    if not typer.confirm(question, default=False):
        err.print("Nothing was changed.")
        raise typer.Exit(2)


def _orchestrate(home: Path, config: Config, json_output: bool) -> Any:
    from notices.display import LiveProgress
    from notices.orchestrator import Orchestrator, build_channels

    channels = build_channels(config, home)
    progress = None if json_output else LiveProgress(out, [c.name for c in channels])
    orchestrator = Orchestrator(config, home, channels, progress or (lambda *a: None))
    return orchestrator, progress


def run_switch(
    mode: str,
    *,
    home: Path | None,
    config_file: Path | None,
    until: str | None,
    for_: str | None,
    reason: list[str] | None,
    yes: bool,
    dry_run: bool,
    json_output: bool,
) -> None:
    from datetime import UTC, datetime

    from notices.orchestrator import missing_credentials
    from notices.timeparse import expected_return_explained

    try:
        data, config = resolve(home, config_file)
        moment = expected_return_explained(until, for_, config.zone)
        returning = moment.utc if moment else None
        reasons = parse_reasons(reason, config.languages)
        if mode not in config.all_modes():
            raise UsageError(f"unknown mode {mode!r}")
        orchestrator, progress = _orchestrate(data, config, json_output)
    except NoticesError as exc:
        fail(exc)
    try:
        if moment and moment.note:
            err.print(f"[bold]note:[/bold] {moment.note}")
        if dry_run:
            preview = orchestrator.switch(
                mode, reasons=reasons, expected_return=returning, dry_run=True, arguments={}
            )
            _print(preview, json_output, config)
            return
        # switch() renders everything again before it changes anything; rendering here too
        # (no provider is read: that would only slow the switch) fails a broken template
        # before we ask the person to confirm.
        orchestrator.build_all(mode, reasons, datetime.now(UTC), returning)
        missing = missing_credentials(config, orchestrator.channels)
        if missing is not None:
            raise missing
        names = ", ".join(c.name for c in orchestrator.channels)
        confirm_or_refuse(f"Switch {names} to the {mode} notice now?", yes)
        arguments = {"until": until, "for": for_, "reason": reason, "dry_run": dry_run}
        planner = _resume_planner(orchestrator, returning, source=mode)
        if progress is not None:
            out.print(f"[bold]Switching to {mode}[/bold]")
            with progress:
                result = orchestrator.switch(
                    mode,
                    reasons=reasons,
                    expected_return=returning,
                    dry_run=False,
                    arguments=arguments,
                    before_finish=planner,
                )
        else:
            result = orchestrator.switch(
                mode,
                reasons=reasons,
                expected_return=returning,
                dry_run=False,
                arguments=arguments,
                before_finish=planner,
            )
        planned = _schedule_summary(orchestrator, data, config, result, planner is not None)
    except NoticesError as exc:
        fail(exc)
    finally:
        orchestrator.close()
    _print(result, json_output, config, planned)
    raise typer.Exit(0 if result.ok else 1)


def _resume_planner(orchestrator: Any, returning: Any, source: str) -> Any:
    from notices.schedule import resume_planner

    return resume_planner(orchestrator, returning, source)


def _schedule_summary(
    orchestrator: Any, data: Path, config: Config, result: Any, planned: bool
) -> dict[str, Any] | None:
    """After planning a resume: tell `serve`, and report whether one is alive to run it."""
    from notices.schedule import nudge, read_heartbeat, schedule_report

    incident = result.incident
    if not planned or incident is None or incident.ended:
        return None
    nudge(orchestrator.database)
    report = schedule_report(
        orchestrator.database, incident, orchestrator.channels, data, config.timezone
    )
    beat = read_heartbeat(orchestrator.database)
    report["scheduler_alive"] = bool(beat and beat.alive())
    return report


def _print(
    result: Any, json_output: bool, config: Config, schedule: dict[str, Any] | None = None
) -> None:
    from notices.display import local, print_result

    if json_output:
        extra = {}
        if schedule is not None:
            extra = {k: schedule[k] for k in ("planned_resume", "scheduler", "warning")}
        out.print_json(json.dumps(result.as_json() | extra, ensure_ascii=False))
        return
    print_result(out, result, config.zone)
    if schedule is not None and schedule["planned_resume"]:
        out.print(f"  automatic resume: {local(schedule['planned_resume'], config.zone)}")
    if schedule is not None and schedule["warning"]:
        err.print(f"[bold red]WARNING:[/bold red] {schedule['warning']}")


def add_mode_command(mode: str, help_text: str) -> None:
    def command(
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

    command.__doc__ = help_text
    app.command(name=mode)(command)


add_mode_command(
    "evacuate",
    "The office is being evacuated: switch every channel to the evacuation notice.",
)
add_mode_command(
    "power-out", "The office has lost power: switch every channel to the power-cut notice."
)


@app.command()
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
    if at is not None:
        _resume_at(at, dry_run, json_output, home, config)
        return
    try:
        data, cfg = resolve(home, config)
        orchestrator, progress = _orchestrate(data, cfg, json_output)
    except NoticesError as exc:
        fail(exc)
    try:
        if not dry_run:
            confirm_or_refuse("Restore every channel to what it showed before the incident?", yes)
        from notices.schedule import Plan, nudge, resume_canceller

        cancelled: list[Plan] = []
        cancel = resume_canceller(orchestrator, cancelled)

        if progress is not None and not dry_run and orchestrator.incidents.open_incident():
            out.print("[bold]Resuming[/bold]")
            with progress:
                result = orchestrator.resume(dry_run=dry_run, arguments={}, before_finish=cancel)
        else:
            result = orchestrator.resume(dry_run=dry_run, arguments={}, before_finish=cancel)
        if cancelled:
            nudge(orchestrator.database)
    except NoticesError as exc:
        fail(exc)
    finally:
        orchestrator.close()
    _print(result, json_output, cfg)
    if cancelled and not json_output:
        from notices.display import local

        out.print(
            f"  the automatic resume planned for {local(cancelled[0].at, cfg.zone)} is cancelled"
        )
    raise typer.Exit(0 if result.ok else 1)


def _resume_at(
    at: str, dry_run: bool, json_output: bool, home: Path | None, config: Path | None
) -> None:
    from notices.db import Database
    from notices.display import local
    from notices.incident import IncidentStore
    from notices.log import EvidenceLog
    from notices.schedule import Plans, nudge, read_heartbeat, schedule_report
    from notices.timeparse import parse_until_explained, utc_stamp

    try:
        data, cfg = resolve(home, config)
        moment = parse_until_explained(at, cfg.zone)
    except NoticesError as exc:
        fail(exc)
    if moment.note:
        err.print(f"[bold]note:[/bold] {moment.note}")
    database = Database(data / "notices.db")
    try:
        incident = IncidentStore(database).open_incident()
        if incident is None:
            fail(StateError("No incident is open: there is nothing to resume later."))
        if not dry_run:
            Plans(database).schedule(incident.id, moment.utc, "resume --at", EvidenceLog(database))
            nudge(database)
        from notices.orchestrator import build_channels

        report = schedule_report(database, incident, build_channels(cfg, data), data, cfg.timezone)
        alive = bool((beat := read_heartbeat(database)) and beat.alive())
    finally:
        database.close()
    if json_output:
        out.print_json(
            json.dumps(
                {
                    "command": "resume --at",
                    "dry_run": dry_run,
                    "incident": incident.id,
                    "planned_resume": utc_stamp(moment.utc),
                    "expected_return": incident.expected_return,
                    "scheduler": report["scheduler"],
                    "warning": report["warning"] if not dry_run else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        verb = "Would schedule" if dry_run else "Scheduled"
        out.print(
            f"[bold]{verb} the automatic resume[/bold] of incident {incident.id} for"
            f" {local(utc_stamp(moment.utc), cfg.zone)}; nothing else changed."
        )
        if incident.expected_return and incident.expected_return != utc_stamp(moment.utc):
            out.print(
                f"  the notices still say back {local(incident.expected_return, cfg.zone)};"
                " `notices extend --until ...` changes what customers are told."
            )
        if not dry_run and report["warning"]:
            err.print(f"[bold red]WARNING:[/bold red] {report['warning']}")
        elif not dry_run and alive:
            out.print("  the scheduler (`notices serve`) has it.")
    raise typer.Exit(0)


@app.command()
def status(json_output: Json = False, home: Home = None, config: ConfigFile = None) -> None:
    """Which mode is on, since when, until when, and what each channel serves now (read back).

    Also the planned automatic resume, whether a scheduler is alive to run it, and which
    channels end by themselves at the expected return."""
    from notices.display import print_status
    from notices.schedule import schedule_report

    try:
        data, cfg = resolve(home, config)
        orchestrator, _ = _orchestrate(data, cfg, True)
    except NoticesError as exc:
        fail(exc)
    try:
        report = orchestrator.status()
        report |= schedule_report(
            orchestrator.database,
            orchestrator.incidents.open_incident(),
            orchestrator.channels,
            data,
            cfg.timezone,
        )
        for entry in report["channels"]:
            entry["self_expiring"] = report["safety_nets"].get(entry["name"], False)
    finally:
        orchestrator.close()
    if json_output:
        out.print_json(json.dumps(report, ensure_ascii=False))
    else:
        print_status(out, report, cfg.zone)
    raise typer.Exit(0 if all(c["ok"] for c in report["channels"]) else 1)


@app.command()
def extend(
    until: Until = None,
    for_: Annotated[
        str | None, typer.Option("--for", help="The new expected return: 2h, 90m from now.")
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Move the expected return: every notice says the new time, the resume moves with it.

    Re-renders and re-applies every channel's text, moves the automatic resume and the
    provider-side end times. --for counts from now."""
    from notices.timeparse import expected_return_explained

    if not until and not for_:
        fail(UsageError("say until when: --until 18:00 or --for 2h"))
    try:
        data, cfg = resolve(home, config)
        moment = expected_return_explained(until, for_, cfg.zone)
        assert moment is not None
        orchestrator, progress = _orchestrate(data, cfg, json_output)
    except NoticesError as exc:
        fail(exc)
    try:
        current = orchestrator.incidents.open_incident()
        if current is None:
            raise StateError("No incident is open: nothing to extend.")
        if moment.note:
            err.print(f"[bold]note:[/bold] {moment.note}")
        arguments = {"until": until, "for": for_, "dry_run": dry_run}
        # The same switch as the mode's command: same mode, same reasons, the new time.
        switch: dict[str, Any] = {
            "reasons": None,
            "expected_return": moment.utc,
            "arguments": arguments,
            "command": "extend",
            "require_open": True,
        }
        if dry_run:
            _print(orchestrator.switch(current.mode, dry_run=True, **switch), json_output, cfg)
            return
        from notices.display import local
        from notices.timeparse import utc_stamp

        confirm_or_refuse(
            f"Move the expected return to {local(utc_stamp(moment.utc), cfg.zone)} and"
            " update every channel?",
            yes,
        )
        switch["before_finish"] = _resume_planner(orchestrator, moment.utc, source="extend")
        if progress is not None:
            out.print(f"[bold]Extending {current.mode}[/bold]")
            with progress:
                result = orchestrator.switch(current.mode, dry_run=False, **switch)
        else:
            result = orchestrator.switch(current.mode, dry_run=False, **switch)
        planned = _schedule_summary(orchestrator, data, cfg, result, True)
    except NoticesError as exc:
        fail(exc)
    finally:
        orchestrator.close()
    _print(result, json_output, cfg, planned)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to serve the site on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port for the site (0: any free port).")
    ] = 8787,
    checkpoint_every: Annotated[
        int,
        typer.Option(
            "--checkpoint-every",
            min=1,
            help="Seconds between signed checkpoints of the log while an incident is open.",
        ),
    ] = 3600,
    resume_retry_s: Annotated[
        float,
        typer.Option(
            "--resume-retry-s",
            min=0.1,
            help="First wait before a failed automatic resume is tried again (it doubles,"
            " up to 15 minutes, 8 tries).",
        ),
    ] = 60.0,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Run the scheduler for automatic resumes, and serve the site on HTTP.

    Keep it running on an always-on machine outside the office (docs/scheduler.md); one per
    data folder. It serves the data folder's site/ (notice.html, status.json, greeting.xml)
    and /sample.html, a page with the banner script."""
    from notices.schedule import Server

    try:
        data, _cfg = resolve(home, config)
        Server(data, config, host, port, checkpoint_every, resume_retry_s).run()
    except NoticesError as exc:
        fail(exc)


@app.command()
def preview(
    mode: Annotated[str, typer.Argument(help="evacuate, power-out or a mode from notices.toml")],
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Only this language.")] = None,
    until: Until = None,
    for_: For = None,
    reason: Reason = None,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Show exactly what each channel would publish, without touching anything."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from notices.orchestrator import build_channels
    from notices.render import Renderer
    from notices.timeparse import expected_return

    try:
        data, cfg = resolve(home, config)
        if lang is not None:
            if lang not in cfg.languages:
                raise UsageError(f"{lang!r} is not one of the configured languages {cfg.languages}")
            cfg = cfg.model_copy(update={"languages": [lang]})
        returning = expected_return(until, for_, cfg.zone)
        channels = build_channels(cfg, data)
        if channel is not None:
            channels = [c for c in channels if c.name == channel]
            if not channels:
                raise UsageError(f"no channel named {channel!r} (have: {', '.join(cfg.channels)})")
        renderer = Renderer(cfg)
        for target in channels:
            notice = renderer.render(
                mode,
                target.medium,
                reasons=parse_reasons(reason, cfg.languages),
                started=datetime.now(UTC),
                expected_return=returning,
            )
            artefacts = target.build(replace(notice))
            for name, text in artefacts.files.items():
                out.rule(f"{target.name} ({target.kind}) — {name}")
                out.print(text, markup=False, highlight=False)
    except NoticesError as exc:
        fail(exc)


@app.command()
def check(json_output: Json = False, home: Home = None, config: ConfigFile = None) -> None:
    """Confirm an evacuation would work, switching nothing: configuration, every template,
    and each channel's credentials, targets and publish locations."""
    from datetime import UTC, datetime, timedelta

    from notices.orchestrator import Orchestrator, build_channels
    from notices.render import Renderer

    try:
        data, cfg = resolve(home, config)
        channels = build_channels(cfg, data)
        renderer = Renderer(cfg)
        now = datetime.now(UTC)
        for mode in cfg.all_modes():
            for target in channels:
                for returning in (None, now + timedelta(hours=4)):
                    notice = renderer.render(
                        mode, target.medium, reasons=None, started=now, expected_return=returning
                    )
                    target.build(notice)
    except NoticesError as exc:
        fail(exc)
    orchestrator = Orchestrator(cfg, data, channels)
    try:
        outcomes = orchestrator.probe()
    finally:
        orchestrator.close()
    ok = all(o.ok for o in outcomes)
    if json_output:
        report = {
            "ok": ok,
            "modes": list(cfg.all_modes()),
            "languages": cfg.languages,
            "channels": [o.as_json() | {"detail": o.summary} for o in outcomes],
        }
        out.print_json(json.dumps(report, ensure_ascii=False))
    else:
        from notices.display import outcome_line

        out.print(
            f"Configuration valid; every notice renders (modes {', '.join(cfg.all_modes())};"
            f" languages {', '.join(cfg.languages)})."
        )
        for outcome in outcomes:
            out.print(outcome_line(outcome), highlight=False)
        out.print(
            "[green]OK[/green]: an evacuation would work."
            if ok
            else "[bold red]NOT OK[/bold red]: fix the channels above before you need them."
        )
    raise typer.Exit(0 if ok else 1)


@app.command()
def embed(
    channel: Annotated[
        str | None, typer.Option("--channel", help="The banner channel (default: the first).")
    ] = None,
    publish: Annotated[
        bool,
        typer.Option("--publish", help="Also upload notices.js now, before any incident."),
    ] = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Print the one line to paste into every page of the site, so the banner appears there."""
    from notices.channels.banner import Banner, embed_snippet
    from notices.orchestrator import build_channels

    try:
        data, cfg = resolve(home, config)
        banners = [c for c in build_channels(cfg, data) if c.medium == "banner"]
        chosen = [c for c in banners if channel is None or c.name == channel]
        if not chosen:
            raise UsageError(
                f"no banner channel named {channel!r}" if channel else "no banner channel"
            )
        target = chosen[0]
        if not isinstance(target, Banner) or not target.public_url:
            raise UsageError(
                f'channel {target.name!r} has no public_url: set kind = "banner" and'
                " public_url to the address its files are served from"
            )
        if publish:
            try:
                target.publish_script()
            finally:
                target.close()
            err.print(f"notices.js published to {target.identity()}")
    except NoticesError as exc:
        fail(exc)
    out.print(embed_snippet(target.public_url), markup=False, highlight=False, soft_wrap=True)


@app.command()
def init(
    home: Home = None,
    config: ConfigFile = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter notices.toml into the data folder (or to --config)."""
    target = config or (home or default_home()) / "notices.toml"
    if target.exists() and not force:
        fail(UsageError(f"{target} exists already; add --force to overwrite it"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        package_files("notices").joinpath("static/notices.toml").read_text("utf-8"), "utf-8"
    )
    from notices.anchor import SigningKey
    from notices.personal import hmac_key

    data = home or default_home()
    fingerprint = SigningKey(data).fingerprint
    hmac_key(data)
    out.print(f"Wrote {target}. Edit it, then run `notices check`.")
    out.print(f"Signing key fingerprint (keep a copy elsewhere): {fingerprint}")


@log_app.command("show")
def log_show(
    incident: Annotated[str | None, typer.Option("--incident", help="Only this incident.")] = None,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """List the log's records, oldest first."""
    from notices.evidence import record_line

    data, cfg = resolved(home, config)
    log = _open_log(data)
    try:
        for record in log.records(incident=incident):
            if json_output:
                out.print(
                    json.dumps(record.as_dict(), ensure_ascii=False),
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            else:
                out.print(record_line(record, cfg.zone), markup=False, soft_wrap=True)
    finally:
        log.database.close()


@log_app.command("verify")
def log_verify(
    folder: Annotated[
        Path | None,
        typer.Argument(help="An exported dossier to check offline (default: the whole log)."),
    ] = None,
    expect_key: Annotated[
        str | None,
        typer.Option("--expect-key", help="The signing key fingerprint the dossier must carry."),
    ] = None,
    json_output: Json = False,
    home: Home = None,
) -> None:
    """Walk the hash chain and compare its head with the head file; or, given a folder, check
    an exported dossier offline (file hashes, signature, chain continuity)."""
    if folder is not None:
        _verify_dossier(folder, expect_key, json_output)
        return

    log = _open_log(home or default_home())
    try:
        result = log.verify()
        if result.ok:
            log.anchor("verify")
    finally:
        log.database.close()
    if json_output:
        out.print_json(json.dumps(result.__dict__))
    elif result.ok:
        out.print(f"[green]OK[/green]: {result.records} records, chain head {result.head}")
    else:
        err.print(f"[bold red]FAILED[/bold red]: {result.problem}")
    raise typer.Exit(0 if result.ok else 1)


def _verify_dossier(folder: Path, expect_key: str | None, json_output: bool) -> None:
    from notices.dossier import verify_dossier

    checks = verify_dossier(folder, expect_key)
    ok = all(check.ok for check in checks)
    if json_output:
        report = {"ok": ok, "checks": [check.__dict__ for check in checks]}
        out.print_json(json.dumps(report, ensure_ascii=False))
    else:
        for check in checks:
            mark = "[green]ok[/green]    " if check.ok else "[bold red]FAILED[/bold red]"
            (out if check.ok else err).print(f"{mark} {check.name}: {check.detail}", markup=True)
        out.print("[green]OK[/green]: the dossier verifies." if ok else "")
        if not ok:
            err.print("[bold red]FAILED[/bold red]: the dossier does not verify.")
    raise typer.Exit(0 if ok else 1)


Incident = Annotated[str | None, typer.Option("--incident", help="Only this incident.")]


@log_app.command("export")
def log_export(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the dossier, or a .jsonl/.csv file.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl or csv: one file instead of a dossier folder."),
    ] = None,
    incident: Incident = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Export a period from: 2026-11-23T08:00.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="... up to (not including).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: fi, sv or en.")] = "fi",
    include_personal: Annotated[
        bool,
        typer.Option(
            "--include-personal",
            help="Show callers' numbers and addresses unmasked (this is logged).",
        ),
    ] = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Export an incident (or a period) as a dossier folder: report.pdf, events.csv,
    events.jsonl, contacts.csv and a signed manifest.json. With --format, one file only."""
    from notices.evidence import export

    single = fmt is not None or output.suffix in (".jsonl", ".csv")
    if single:
        fmt = fmt or output.suffix[1:]
        if fmt not in ("jsonl", "csv"):
            fail(UsageError(f"--format must be jsonl or csv, not {fmt!r}"))
    data, cfg = resolved(home, config)
    log = _open_log(data)
    try:
        if single:
            assert fmt is not None
            count, digest = export(log, output, fmt, incident)
            out.print(f"Wrote {count} records to {output} (SHA-256 {digest})")
            return
        from notices.dossier import ExportSettings, export_dossier, parse_moment

        settings = ExportSettings(
            incident=incident,
            since=parse_moment(since, cfg.zone) if since else None,
            until=parse_moment(until, cfg.zone) if until else None,
            lang=lang,
            include_personal=include_personal,
            zone=cfg.zone,
            organisation=cfg.organisation.name if cfg.organisation else None,
            mode_titles={name: mode.title for name, mode in cfg.all_modes().items()},
        )
        if incident is None and since is None and until is None:
            raise UsageError("say what to export: --incident ID, or --since/--until")
        manifest = export_dossier(log, output, settings)
    except NoticesError as exc:
        fail(exc)
    finally:
        log.database.close()
    slice_ = manifest["slice"]
    out.print(
        f"Wrote the dossier to {output}: records {slice_['first_seq']}–{slice_['last_seq']},"
        f" chain head {manifest['log_head']['link']}."
    )
    out.print(f"Check it with: notices log verify {output}")


@log_app.command("contacts")
def log_contacts(
    incident: Incident = None,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Fetch from every channel's provider the contacts received during an incident and
    store them in the log (resume does this too)."""
    from notices.contacts import collect_contacts, incident_window
    from notices.orchestrator import build_channels

    try:
        data, cfg = resolve(home, config)
        channels = build_channels(cfg, data)
    except NoticesError as exc:
        fail(exc)
    log = _open_log(data)
    try:
        incident = incident or _latest_incident(log)
        window = incident_window(log, incident)
        if window is None:
            raise UsageError(f"no incident {incident!r} in the log")
        results = collect_contacts(log, channels, incident, *window)
        log.anchor("contacts collected")
    except NoticesError as exc:
        fail(exc)
    finally:
        for channel in channels:
            channel.close()
        log.database.close()
    for result in results:
        if result.error:
            err.print(f"[bold red]{result.channel}[/bold red]: {result.error}")
        elif not result.available:
            out.print(f"{result.channel}: the provider keeps no record of contacts")
        else:
            out.print(f"{result.channel}: {result.received} contacts ({result.new} new)")
    raise typer.Exit(1 if any(r.error for r in results) else 0)


def _latest_incident(log: Any) -> str:
    rows = log.database.query(
        "SELECT incident FROM log WHERE kind = 'incident.opened' ORDER BY seq DESC LIMIT 1"
    )
    if not rows:
        raise UsageError("the log holds no incident yet")
    return str(rows[0][0])


@log_app.command("purge-personal")
def log_purge_personal(
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Erase values older than this: 36m (months), 3y, 90d."),
    ] = "36m",
    yes: Yes = False,
    home: Home = None,
) -> None:
    """Erase callers' numbers and addresses older than the retention period (default 36
    months). The chain keeps verifying; the erasure itself is logged."""
    from datetime import UTC, datetime

    from notices.personal import PersonalData, retention_cutoff
    from notices.timeparse import utc_stamp

    try:
        cutoff = utc_stamp(retention_cutoff(older_than, datetime.now(UTC)))
    except NoticesError as exc:
        fail(exc)
    confirm_or_refuse(f"Erase personal data recorded before {cutoff}?", yes)
    log = _open_log(home or default_home())
    try:
        personal = PersonalData(log.database)
        held = personal.database.query("SELECT ref FROM personal WHERE seen < ?", (cutoff,))
        # Logged first: if the erasure is interrupted, running the command again finishes it.
        log.append(
            "personal.purged",
            {"older_than": older_than, "cutoff": cutoff, "refs": [row[0] for row in held]},
        )
        erased = personal.erase_before(cutoff)
        log.anchor("personal data purged")
    finally:
        log.database.close()
    out.print(f"Erased {len(erased)} personal data values recorded before {cutoff}.")


@app.command()
def callbacks(
    incident: Incident = None,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """The people who tried to reach you during an incident, newest first: call them back."""
    from notices.contacts import callbacks as list_callbacks
    from notices.timeparse import from_stamp

    data, cfg = resolved(home, config)
    log = _open_log(data)
    try:
        incident = incident or _latest_incident(log)
        people = list_callbacks(log, incident)
        # Showing personal data is itself evidence (who looked, when, how many).
        log.append(
            "personal.shown", {"purpose": "callbacks", "count": len(people)}, incident=incident
        )
        log.anchor("callbacks")
    except NoticesError as exc:
        fail(exc)
    finally:
        log.database.close()
    if json_output:
        out.print_json(json.dumps([p.__dict__ for p in people], ensure_ascii=False))
        return
    if not people:
        out.print(f"No contacts stored for incident {incident} (see `notices log contacts`).")
        return
    for person in people:
        when = from_stamp(person.last).astimezone(cfg.zone)
        out.print(
            f"{when:%Y-%m-%d %H:%M}  {person.party or '(erased)':<20} {person.contacts:>3}x"
            f"  {', '.join(person.kinds)} via {', '.join(person.channels)}",
            markup=False,
            highlight=False,
        )


def _open_log(home: Path) -> Any:
    from notices.evidence import open_log

    try:
        return open_log(home)
    except NoticesError as exc:
        fail(exc)


def _version(value: bool) -> None:
    if value:
        out.print(f"notices {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    pass


def _configured_modes(argv: list[str]) -> list[str]:
    """Modes a notices.toml adds, read cheaply so they can be commands. Errors wait for later."""
    explicit = None
    home = None
    for flag, value in itertools.pairwise(argv):
        if flag == "--config":
            explicit = Path(value)
        elif flag == "--home":
            home = Path(value)
    path = config_path(home or default_home(), explicit)
    if path is None:
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError):  # unreadable, not UTF-8, not TOML: reported later
        return []
    modes = data.get("modes", {})
    return [
        m for m in modes if isinstance(m, str) and is_mode_name(m) and m not in BUILTIN_MODE_NAMES
    ]


def register_configured_modes(args: list[str]) -> None:
    for mode in _configured_modes(args):
        if mode not in {cmd.name for cmd in app.registered_commands}:
            add_mode_command(
                mode, f"Switch every channel to the {mode} notice (from notices.toml)."
            )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    register_configured_modes(args)
    try:
        app(args=args, prog_name="notices")
    except SystemExit as exc:
        if argv is not None:
            raise
        # Every command has closed its database and files by now: skip the interpreter's
        # teardown of the provider SDKs (0.2-0.3 s), the last step before a switch is over.
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
