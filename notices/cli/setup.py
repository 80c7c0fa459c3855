"""Setting up: init, check, preview, embed."""

from __future__ import annotations

import json
import sys
from importlib.resources import files as package_files
from typing import Annotated

import typer

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


def _filled(starter: str, given: dict[str, str | None]) -> str:
    """The starter file with each given value in place of its placeholder line."""
    for key, value in given.items():
        if value and value.strip():
            line = STARTER_VALUES[key][0]
            name = line.split(" = ")[0]
            starter = starter.replace(
                line, f"{name} = {json.dumps(value.strip(), ensure_ascii=False)}", 1
            )
    return starter


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
    from notices import commands

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
    from notices import commands

    report = commands.check(commands.Workspace.load(home, config))
    if json_output:
        print_json(
            {
                "ok": report.ok,
                "modes": report.modes,
                "languages": report.languages,
                "channels": [o.as_json() | {"detail": o.summary} for o in report.outcomes],
                "permissions_repaired": report.repaired,
                "placeholders": report.placeholders,
                "render_errors": report.render_errors,
                "fallbacks": report.fallbacks,
            }
        )
    else:
        from notices.cli.display import outcome_line

        renders = "every notice renders" if not report.render_errors else "NOT every notice renders"
        out.print(
            f"Configuration valid; {renders} (modes {shown(', '.join(report.modes))};"
            f" languages {shown(', '.join(report.languages))})."
        )
        for error in report.render_errors:
            out.print(f"  [bold red]✗ template[/bold red]: {shown(error)}", highlight=False)
        for outcome in report.outcomes:
            out.print(outcome_line(outcome), highlight=False)
        for problem in report.fallbacks:
            out.print(f"  [bold red]✗ second node[/bold red]: {shown(problem)}", highlight=False)
        for problem in report.placeholders:
            out.print(f"  [bold red]✗ not filled in[/bold red]: {shown(problem)}", highlight=False)
        if report.placeholders:
            out.print(
                "  Customers would read these: give the real values (`notices init --org ..."
                " --phone ... --email ... --web ...` writes them, or edit the file)."
            )
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
    from notices import commands

    embedding = commands.embed(commands.Workspace.load(home, config), channel, publish=publish)
    if embedding.published_to:
        err.print(f"notices.js published to {shown(embedding.published_to)}")
    out.print(embedding.snippet, markup=False, highlight=False, soft_wrap=True)


# What `init` fills in (the starter file's placeholder lines), and the question it asks.
STARTER_VALUES: dict[str, tuple[str, str]] = {
    "org": ('name = ""', "The organisation's name, as customers know it"),
    "phone": ('phone = "+358 40 123 4567"', "A phone number customers can call meanwhile"),
    "email": ('email = "asiakaspalvelu@esimerkki.fi"', "An email address customers can write to"),
    "web": ('web = "www.esimerkki.fi"', "The website (or a page) with more information"),
}


@command()
def init(
    home: Home = None,
    config: ConfigFile = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    org: Annotated[str | None, typer.Option("--org", help="The organisation's name.")] = None,
    phone: Annotated[
        str | None, typer.Option("--phone", help="Where customers can call meanwhile.")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Where customers can write meanwhile.")
    ] = None,
    web: Annotated[str | None, typer.Option("--web", help="The website with more.")] = None,
) -> None:
    """Write a commented starter notices.toml into the data folder (or to --config).

    In a terminal it asks for the organisation's name and its alternative contact; in a
    script, --org, --phone, --email and --web give them. `notices check` fails until every
    value customers would read is real."""
    from notices.evidence.anchor import SigningKey
    from notices.evidence.personal import hmac_key

    target = config or (home or default_home()) / "notices.toml"
    if target.exists() and not force:
        raise UsageError(f"{target} exists already; add --force to overwrite it")
    given = {"org": org, "phone": phone, "email": email, "web": web}
    if not any(given.values()) and sys.stdin.isatty():
        given = {
            key: typer.prompt(question, default="", show_default=False) or None
            for key, (_, question) in STARTER_VALUES.items()
        }
    starter = package_files("notices").joinpath("static/notices.toml").read_text("utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_filled(starter, given), "utf-8")
    data = home or default_home()
    fingerprint = SigningKey(data).fingerprint
    hmac_key(data)
    out.print(f"Wrote {target}. Edit it, then run `notices check`.")
    out.print(f"Signing key fingerprint (keep a copy elsewhere): {fingerprint}")
