"""What people see: live per-channel lines while switching, then a summary."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from notices.cli.app import shown
from notices.commands import LanguageView
from notices.orchestrator import ChannelOutcome, ProgressState, Result
from notices.timeparse import from_stamp

STYLES: dict[str, str] = {
    "pending": "yellow",
    "retrying": "yellow",
    "done": "green",
    "unchanged": "green",
    "failed": "bold red",
}
WORDS: dict[str, str] = {
    "pending": "switching…",
    "retrying": "retrying:",
    "done": "done in",
    "unchanged": "already held, checked in",
    "failed": "FAILED:",
}


def local(stamp: str | None, zone: ZoneInfo) -> str:
    if not stamp:
        return "not set"
    moment = from_stamp(stamp).astimezone(zone)
    return f"{moment:%d.%m.%Y %H:%M} ({zone.key})"


class LiveProgress:
    """A line per channel, updated in place on a terminal, printed line by line otherwise."""

    def __init__(self, console: Console) -> None:
        self.console = console
        # Channels appear as the orchestrator announces them (all "pending" first).
        self.states: dict[str, tuple[str, str]] = {}
        self.lock = threading.Lock()
        self.live: Live | None = None

    @property
    def width(self) -> int:
        return max((len(name) for name in self.states), default=8)

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self.live = Live(self._table(), console=self.console, refresh_per_second=10)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            with contextlib.suppress(Exception):
                self.live.update(self._table())
            self._stop_live()

    def _line(self, name: str) -> str:
        state, detail = self.states[name]
        style = STYLES[state]
        return f"  {shown(name):<{self.width}}  [{style}]{WORDS[state]} {shown(detail)}[/{style}]"

    def _table(self) -> Table:
        table = Table.grid()
        for name in self.states:
            table.add_row(self._line(name))
        return table

    def __call__(self, name: str, state: ProgressState, detail: str) -> None:
        """Show a channel's state. Never raises: the display is not on a switch's critical
        path (a line it cannot draw is dropped, and the live view stops)."""
        with self.lock:
            if state == "pending":
                detail = ""
            self.states[name] = (state, detail)
            try:
                if self.live is not None:
                    self.live.update(self._table())
                elif state != "pending":
                    self.console.print(self._line(name), highlight=False)
            except Exception:  # noqa: BLE001 - the summary after the switch says it all
                self._stop_live()

    def _stop_live(self) -> None:
        live, self.live = self.live, None
        if live is not None:
            with contextlib.suppress(Exception):
                live.__exit__(None, None, None)


def print_views(console: Console, views: list[LanguageView]) -> None:
    """What customers will read and hear, per language, before it is published."""
    for view in views:
        default = " [dim](the mode's default)[/dim]" if view.reason_is_default else ""
        console.print(f"[bold]{view.lang}[/bold]  title:    {view.title}", highlight=False)
        console.print(f"    reason:   {escape(view.reason)}{default}", highlight=False)
        console.print(f"    back:     {view.expected_return or 'no return time'}", highlight=False)
        console.print(
            f"    greeting: {view.greeting_characters} characters, about"
            f" {view.greeting_seconds_estimate} s read aloud (an estimate)",
            highlight=False,
        )


def outcome_line(outcome: ChannelOutcome) -> str:
    name = shown(outcome.name)
    if outcome.ok:
        return f"  [green]✓[/green] {name}: {shown(outcome.summary)}"
    return f"  [bold red]✗ {name}[/bold red] ({shown(outcome.kind)}): {shown(outcome.error)}"


def print_result(console: Console, result: Result, zone: ZoneInfo) -> None:
    if result.message:
        console.print(shown(result.message))
    if result.dry_run:
        console.print(f"[bold]Dry run[/bold]: nothing was changed. {result.command}:")
        for outcome in result.outcomes:
            console.print(outcome_line(outcome), highlight=False)
        return
    incident = result.incident
    if not result.outcomes:
        return
    failed = [o for o in result.outcomes if not o.ok]
    if result.command == "resume":
        headline = "Back to normal on every channel." if not failed else "Resume is NOT complete."
    else:
        headline = (
            f"Every channel now shows the {shown(result.mode)} notice."
            if not failed
            else f"The {shown(result.mode)} notice is NOT on every channel."
        )
    console.print(f"[bold]{headline}[/bold]")
    if incident is not None:
        console.print(f"  incident {incident.id}, started {local(incident.started, zone)}")
        if result.command != "resume":
            console.print(f"  expected return: {local(incident.expected_return, zone)}")
    for outcome in failed:
        console.print(outcome_line(outcome), highlight=False)
    if failed:
        again = "notices resume" if result.command == "resume" else f"notices {result.mode}"
        console.print(
            f"[bold red]{len(failed)} of {len(result.outcomes)} channels failed.[/bold red]"
            f" Run `{again} --yes` again to retry only what is missing, or switch them by hand."
        )


def print_status(console: Console, status: dict[str, Any], zone: ZoneInfo) -> None:
    if status["mode"] == "normal":
        console.print("[bold]Mode: normal[/bold] (no open incident)")
    else:
        console.print(
            f"[bold]Mode: {shown(status['mode'])}[/bold]  incident {status['incident']}"
            f" ({shown(status['status'])})"
        )
        console.print(f"  started:         {local(status['started'], zone)}")
        console.print(f"  expected return: {local(status['expected_return'], zone)}")
    if status.get("interrupted"):
        command = shown(status["interrupted"])
        console.print(
            f"[bold red]{command} interrupted[/bold red]: it did not finish, so some channels"
            " may still show what they showed before it, while the expected return and the"
            f" automatic resume are already its new ones. Run `notices {command}` again to"
            " complete it (or `notices resume`)."
        )
    for channel in status["channels"]:
        mark = "[green]✓[/green]" if channel["ok"] else "[bold red]✗[/bold red]"
        detail = channel.get("read_back") or ""
        if channel.get("error"):
            detail = f"{detail} — {channel['error']}".strip(" —")
        console.print(
            f"  {mark} {shown(channel['name'])} ({shown(channel['kind'])}):"
            f" {shown(channel['state'])}; {shown(detail)}",
            highlight=False,
        )
    print_schedule(console, status, zone)


def print_schedule(console: Console, status: dict[str, Any], zone: ZoneInfo) -> None:
    """The planned resume, the scheduler's heartbeat, the safety nets, and the loud warning."""
    if "scheduler" not in status:
        return
    scheduler = status["scheduler"]
    if status.get("planned_resume"):
        console.print(f"  automatic resume: {local(status['planned_resume'], zone)}")
    elif status["mode"] != "normal":
        console.print("  automatic resume: none planned (resume by hand with `notices resume`)")
    if scheduler["alive"]:
        console.print(
            f"  scheduler: alive, last seen {local(scheduler['last_heartbeat'], zone)}"
            f" (pid {scheduler['pid']} on {shown(scheduler['host'])},"
            f" {shown(scheduler['address'])})"
        )
    elif scheduler["last_heartbeat"]:
        console.print(
            f"  scheduler: NOT running (last seen {local(scheduler['last_heartbeat'], zone)})"
        )
    else:
        console.print("  scheduler: never run for this data folder")
    print_nodes(console, status, zone)
    if status["mode"] != "normal":
        without = [name for name, nets in status["safety_nets"].items() if not nets]
        if without:
            console.print(
                f"  no provider-side safety net: {shown(', '.join(without))}"
                f" {'stays' if len(without) == 1 else 'stay'} in emergency mode until a resume"
                " runs (the others end by themselves at the expected return)"
            )
    if status.get("warning"):
        console.print(f"[bold red]WARNING:[/bold red] {shown(status['warning'])}")


def print_nodes(console: Console, status: dict[str, Any], zone: ZoneInfo) -> None:
    """On a shared store: each `serve` node, its role, and the last handover of the lead."""
    for node in status.get("nodes", []):
        state = "alive" if node["alive"] else f"NOT seen since {local(node['seen'], zone)}"
        console.print(
            f"  node {shown(node['node'])}: {shown(node['role'])}, {state}"
            f" (pid {node['pid']}, {shown(node['address'] or '')})",
            highlight=False,
        )
    handover = status.get("last_handover")
    if handover:
        console.print(
            f"  last handover: {local(handover['at'], zone)}, to {shown(handover['node'])}"
            f" (from {shown(handover.get('previous') or 'none')})",
            highlight=False,
        )


def now_local(zone: ZoneInfo) -> str:
    return f"{datetime.now(zone):%d.%m.%Y %H:%M}"
