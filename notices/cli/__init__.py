"""The `notices` command. Thin: parse, call `notices.commands`, print.

One module per group: `switch` (evacuate, power-out, any configured mode, resume, extend),
`setup` (init, check, preview, embed), `log` (show, verify, export, contacts,
purge-personal; callbacks), `status`, `serve`. `app` holds the shared options and the one
error handler; `display` the screen's words.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from notices import __version__
from notices.cli.app import app, out
from notices.paths import private_umask
from notices.warm import configured_modes, hand_over

# Imported in the order `notices --help` lists their commands.
# isort: split
from notices.cli import switch
from notices.cli.switch import add_mode_command

# isort: split
from notices.cli import status

# isort: split
from notices.cli import serve, setup

# isort: split
from notices.cli import log

# isort: split
from notices.cli import store

__all__ = [
    "app",
    "log",
    "main",
    "register_configured_modes",
    "serve",
    "setup",
    "status",
    "store",
    "switch",
]


def _version(value: bool) -> None:
    if value:
        out.print(f"notices {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    # Every folder and file a command creates (the data folder, the log, keys, dossiers)
    # is its owner's alone; the caller's umask is back when the command ends.
    previous = private_umask()
    ctx.call_on_close(lambda: os.umask(previous))


def register_configured_modes(args: list[str]) -> None:
    for mode in configured_modes(args):
        if mode not in {cmd.name for cmd in app.registered_commands}:
            add_mode_command(
                mode, f"Switch every channel to the {mode} notice (from notices.toml)."
            )


def main(argv: list[str] | None = None, *, serve_asked: bool = False) -> None:
    """The CLI. `serve_asked`: notices/__main__.py has already offered the command to a
    running `serve` (the warm path); an entry point made for this function asks here."""
    args = sys.argv[1:] if argv is None else argv
    register_configured_modes(args)
    if argv is None and not serve_asked:
        code = hand_over(args)  # None: no serve to take it
        if code is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
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
