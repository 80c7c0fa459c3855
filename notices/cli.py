"""The `notices` command. Thin: parse, call the orchestrator, print."""

from __future__ import annotations

import itertools
import json
import os
import sys
import tomllib
from importlib.resources import files as package_files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from notices import __version__
from notices.errors import NoticesError, UsageError
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


def parse_reasons(values: list[str] | None, languages: list[str]) -> dict[str, str] | None:
    if not values:
        return None
    reasons: dict[str, str] = {}
    for value in values:
        prefix, sep, rest = value.partition(":")
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
        raise typer.Exit(1)


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

    from notices.timeparse import expected_return

    try:
        data, config = resolve(home, config_file)
        returning = expected_return(until, for_, config.zone)
        reasons = parse_reasons(reason, config.languages)
        if mode not in config.all_modes():
            raise UsageError(f"unknown mode {mode!r}")
        orchestrator, progress = _orchestrate(data, config, json_output)
    except NoticesError as exc:
        fail(exc)
    try:
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
        names = ", ".join(c.name for c in orchestrator.channels)
        confirm_or_refuse(f"Switch {names} to the {mode} notice now?", yes)
        arguments = {"until": until, "for": for_, "reason": reason, "dry_run": dry_run}
        if progress is not None:
            out.print(f"[bold]Switching to {mode}[/bold]")
            with progress:
                result = orchestrator.switch(
                    mode,
                    reasons=reasons,
                    expected_return=returning,
                    dry_run=False,
                    arguments=arguments,
                )
        else:
            result = orchestrator.switch(
                mode, reasons=reasons, expected_return=returning, dry_run=False, arguments=arguments
            )
    except NoticesError as exc:
        fail(exc)
    finally:
        orchestrator.close()
    _print(result, json_output, config)
    raise typer.Exit(0 if result.ok else 1)


def _print(result: Any, json_output: bool, config: Config) -> None:
    from notices.display import print_result

    if json_output:
        out.print_json(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        print_result(out, result, config.zone)


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
    yes: Yes = False,
    dry_run: DryRun = False,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Back to normal: restore exactly what every channel showed before the incident."""
    try:
        data, cfg = resolve(home, config)
        orchestrator, progress = _orchestrate(data, cfg, json_output)
    except NoticesError as exc:
        fail(exc)
    try:
        if not dry_run:
            confirm_or_refuse("Restore every channel to what it showed before the incident?", yes)
        if progress is not None and not dry_run and orchestrator.incidents.open_incident():
            out.print("[bold]Resuming[/bold]")
            with progress:
                result = orchestrator.resume(dry_run=dry_run, arguments={})
        else:
            result = orchestrator.resume(dry_run=dry_run, arguments={})
    except NoticesError as exc:
        fail(exc)
    finally:
        orchestrator.close()
    _print(result, json_output, cfg)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def status(json_output: Json = False, home: Home = None, config: ConfigFile = None) -> None:
    """Which mode is on, since when, until when, and what each channel serves now (read back)."""
    from notices.display import print_status

    try:
        data, cfg = resolve(home, config)
        orchestrator, _ = _orchestrate(data, cfg, True)
    except NoticesError as exc:
        fail(exc)
    try:
        report = orchestrator.status()
    finally:
        orchestrator.close()
    if json_output:
        out.print_json(json.dumps(report, ensure_ascii=False))
    else:
        print_status(out, report, cfg.zone)
    raise typer.Exit(0 if all(c["ok"] for c in report["channels"]) else 1)


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
    out.print(f"Wrote {target}. Edit it, then run `notices check`.")


@log_app.command("show")
def log_show(
    incident: Annotated[str | None, typer.Option("--incident", help="Only this incident.")] = None,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """List the log's records, oldest first."""
    from notices.evidence import open_log, record_line

    try:
        data, cfg = resolve(home, config)
    except NoticesError as exc:
        fail(exc)
    log = open_log(data)
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
def log_verify(json_output: Json = False, home: Home = None) -> None:
    """Walk the hash chain; name the first record that was altered, removed or reordered."""
    from notices.evidence import open_log

    log = open_log(home or default_home())
    try:
        result = log.verify()
    finally:
        log.database.close()
    if json_output:
        out.print_json(json.dumps(result.__dict__))
    elif result.ok:
        out.print(f"[green]OK[/green]: {result.records} records, chain head {result.head}")
    else:
        err.print(f"[bold red]FAILED[/bold red]: {result.problem}")
    raise typer.Exit(0 if result.ok else 1)


@log_app.command("export")
def log_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    incident: Annotated[str | None, typer.Option("--incident", help="Only this incident.")] = None,
    home: Home = None,
) -> None:
    """Export records as JSON Lines or CSV (UTF-8 with BOM, opens in Excel)."""
    from notices.evidence import export, open_log

    if fmt not in ("jsonl", "csv"):
        fail(UsageError(f"--format must be jsonl or csv, not {fmt!r}"))
    log = open_log(home or default_home())
    try:
        count, digest = export(log, output, fmt, incident)
    finally:
        log.database.close()
    out.print(f"Wrote {count} records to {output} (SHA-256 {digest})")


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
    except (OSError, tomllib.TOMLDecodeError):
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
