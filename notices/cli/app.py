"""The typer app, its shared options, its consoles and its one error handler.

Every command module registers on `app` (or `log_app`) with `@command(...)`, which turns a
NoticesError into one line on stderr and the error's exit code: no command catches it
itself.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from notices import masking
from notices.errors import NoticesError, UsageError

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


@dataclass
class Route:
    """Where the consoles print while `serve` runs a command for another process (the warm
    path, cli/warm.py): that process's stdout and stderr, at its terminal's width."""

    out: IO[str]
    err: IO[str]
    width: int | None = None
    tty: bool = False  # whether that process has a terminal to ask on
    ask: Callable[[str], bool] | None = None  # a yes/no question, asked on that terminal


class Routing:
    """The route in force: set only in `serve`, for one warm command at a time."""

    route: Route | None = None


@dataclass(frozen=True)
class Door:
    """Who asked, from where and how, when `serve` runs the command for another process."""

    actor: str
    host: str
    door: dict[str, Any]


door: ContextVar[Door | None] = ContextVar("door", default=None)


class SafeConsole(Console):
    """A console that prints no terminal control character and no secret: every string
    printed goes through notices.masking.printable first. Text from outside (providers,
    the configuration) is also escaped where it is put into markup: see `shown`."""

    @property
    def file(self) -> IO[str]:
        route = Routing.route
        if route is not None:
            return route.err if self.stderr else route.out
        return Console.file.fget(self)  # type: ignore[attr-defined,no-any-return]

    @file.setter
    def file(self, new_file: IO[str]) -> None:
        Console.file.fset(self, new_file)  # type: ignore[attr-defined]

    @property
    def size(self) -> ConsoleDimensions:
        size: ConsoleDimensions = Console.size.fget(self)  # type: ignore[attr-defined]
        route = Routing.route
        if route is not None and route.width:
            return ConsoleDimensions(route.width, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_printable(o) for o in objects), **kwargs)

    def print_json(self, json: str | None = None, **kwargs: Any) -> None:
        super().print_json(_printable(json) if json is not None else None, **kwargs)


def _printable(value: Any) -> Any:
    return masking.printable(value) if isinstance(value, str) else value


def shown(value: object) -> str:
    """Text from outside (a provider's error, a setting, a name from the configuration) as
    it may go into a markup string: masked, without control characters, escaped."""
    return escape(masking.printable(str(value)))


out = SafeConsole(highlight=False)
err = SafeConsole(stderr=True, highlight=False)

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
        help="What happened, once per language: --reason 'fi:Uhkatilanne' --reason"
        " 'sv:Ett hot' --reason 'en:A threat'. Without a prefix, the first configured"
        " language. A language without one gets the mode's own reason in that language.",
    ),
]
Incident = Annotated[str | None, typer.Option("--incident", help="Only this incident.")]

F = TypeVar("F", bound=Callable[..., Any])


def fail(error: NoticesError) -> NoReturn:
    err.print(f"[bold red]error:[/bold red] {shown(error)}")
    raise typer.Exit(error.exit_code)


def handled(function: F) -> F:
    """The one error handler: a NoticesError becomes `error: ...` and its exit code."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except NoticesError as exc:
            fail(exc)

    return wrapper  # type: ignore[return-value]


def command(target: typer.Typer = app, name: str | None = None) -> Callable[[F], F]:
    """Register a command on `target`, behind the one error handler."""

    def register(function: F) -> F:
        target.command(name=name)(handled(function))
        return function

    return register


def can_ask() -> bool:
    """Whether there is a terminal to ask on: ours, or (the warm path) the caller's."""
    route = Routing.route
    return route.tty if route is not None else sys.stdin.isatty()


def ask(question: str) -> bool:
    """A yes/no question (default no) on our terminal, or (the warm path) the caller's."""
    route = Routing.route
    if route is not None and route.ask is not None:
        return route.ask(question)
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:  # Ctrl-C or end of input at the question: not a yes
        out.print()
        return False


def confirm_or_refuse(question: str, yes: bool) -> None:
    if yes:
        return
    if not can_ask():
        raise UsageError("no terminal to confirm on: add --yes to switch without asking")
    if not ask(question):
        err.print("Nothing was changed.")
        raise typer.Exit(2)


def print_json(value: Any) -> None:
    out.print_json(json.dumps(value, ensure_ascii=False))


def note(text: str | None) -> None:
    """How a time the clocks skip or repeat was read: said before anything happens."""
    if text:
        err.print(f"[bold]note:[/bold] {shown(text)}")
