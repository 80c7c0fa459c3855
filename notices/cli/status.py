"""`notices status`: what every channel serves now, read back, and what is planned."""

from __future__ import annotations

import typer

from notices.cli.app import ConfigFile, Home, Json, command, out, print_json


@command()
def status(json_output: Json = False, home: Home = None, config: ConfigFile = None) -> None:
    """Which mode is on, since when, until when, and what each channel serves now (read back).

    Also the planned automatic resume, whether a scheduler is alive to run it, and which
    channels end by themselves at the expected return."""
    from notices import commands
    from notices.cli.display import print_status

    workspace = commands.Workspace.load(home, config)
    with commands.open_session(workspace) as session:
        report = commands.status(session)
    if json_output:
        print_json(report)
    else:
        print_status(out, report, workspace.config.zone)
    ok = all(c["ok"] for c in report["channels"]) and not report.get("interrupted")
    raise typer.Exit(0 if ok else 1)
