"""`notices serve`: the scheduler, the local site and the staff webhooks, in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from notices.cli.app import ConfigFile, Home, command


@command(name="serve")
def serve_command(
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
    from notices.cli.warm_server import WarmSocket
    from notices.commands import Workspace
    from notices.schedule import say
    from notices.serve import Server

    workspace = Workspace.load(home, config)  # a configuration that does not validate stops here
    warm = WarmSocket(workspace.home, config, say)  # the warm path: cli/warm.py
    Server(workspace.home, config, host, port, checkpoint_every, resume_retry_s, [warm]).run()
