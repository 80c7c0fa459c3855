"""Setting up: init, check, preview, embed."""

from __future__ import annotations

from importlib.resources import files as package_files
from typing import Annotated

import typer

from notices import commands
from notices.cli.app import (
    ConfigFile,
    For,
    Home,
    Json,
    Reason,
    Until,
    command,
    err,
    out,
    print_json,
    shown,
)
from notices.errors import UsageError
from notices.paths import default_home


@command()
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
    workspace = commands.Workspace.load(home, config)
    files = commands.preview(
        workspace, mode, channel=channel, lang=lang, until=until, for_=for_, reasons=reason
    )
    for file in files:
        out.rule(f"{shown(file.channel)} ({shown(file.kind)}) — {shown(file.name)}")
        out.print(file.text, markup=False, highlight=False)


@command()
def check(json_output: Json = False, home: Home = None, config: ConfigFile = None) -> None:
    """Confirm an evacuation would work, switching nothing: configuration, every template,
    and each channel's credentials, targets and publish locations."""
    report = commands.check(commands.Workspace.load(home, config))
    if json_output:
        print_json(
            {
                "ok": report.ok,
                "modes": report.modes,
                "languages": report.languages,
                "channels": [o.as_json() | {"detail": o.summary} for o in report.outcomes],
                "permissions_repaired": report.repaired,
            }
        )
    else:
        from notices.cli.display import outcome_line

        out.print(
            f"Configuration valid; every notice renders (modes {shown(', '.join(report.modes))};"
            f" languages {shown(', '.join(report.languages))})."
        )
        for outcome in report.outcomes:
            out.print(outcome_line(outcome), highlight=False)
        if report.repaired:
            out.print(
                f"Permissions repaired (folders 0700, files 0600): {len(report.repaired)}"
                f" paths in the data folder, e.g. {shown(report.repaired[0])}"
            )
        out.print(
            "[green]OK[/green]: an evacuation would work."
            if report.ok
            else "[bold red]NOT OK[/bold red]: fix the channels above before you need them."
        )
    raise typer.Exit(0 if report.ok else 1)


@command()
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
    embedding = commands.embed(commands.Workspace.load(home, config), channel, publish=publish)
    if embedding.published_to:
        err.print(f"notices.js published to {shown(embedding.published_to)}")
    out.print(embedding.snippet, markup=False, highlight=False, soft_wrap=True)


@command()
def init(
    home: Home = None,
    config: ConfigFile = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter notices.toml into the data folder (or to --config)."""
    from notices.evidence.anchor import SigningKey
    from notices.evidence.personal import hmac_key

    target = config or (home or default_home()) / "notices.toml"
    if target.exists() and not force:
        raise UsageError(f"{target} exists already; add --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        package_files("notices").joinpath("static/notices.toml").read_text("utf-8"), "utf-8"
    )
    data = home or default_home()
    fingerprint = SigningKey(data).fingerprint
    hmac_key(data)
    out.print(f"Wrote {target}. Edit it, then run `notices check`.")
    out.print(f"Signing key fingerprint (keep a copy elsewhere): {fingerprint}")
