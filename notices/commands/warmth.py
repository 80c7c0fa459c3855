"""Keeping a long-lived process ready (`serve`, the warm path), and a short one quick.

keep_warm()            serve's channels stay open between commands
warm_up(config, home)  every channel signed in, every mode rendered once; every minute
import_ahead(channels) the providers' SDKs imported in the background (every session)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from notices.channels.base import Channel
from notices.config import Config
from notices.errors import ConfigError, RenderError
from notices.orchestrator import build_channels_apart, keep_channels, kept_channels


def import_ahead(channels: list[Channel]) -> None:
    """Import the channels' provider SDKs in the background, while the command reads its
    state and renders: a channel that reaches its first request before they are loaded
    waits on the module's import lock for the rest, as it would have imported it itself."""
    import sys
    import threading

    wanted = [m for c in channels for m in c.clients() if m not in sys.modules]
    if not wanted:
        return

    def load() -> None:
        import importlib

        for module in dict.fromkeys(wanted):
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001, S112 - the channel's own import will say why
                continue

    threading.Thread(target=load, daemon=True, name="import-ahead").start()


def keep_warm() -> None:
    """In `serve`: keep every channel open between commands (signed in, connected), so that
    a command handed over by the CLI (the warm path) starts with its clients ready."""
    keep_channels()


def warm_up(config: Config, home: Path) -> list[str]:
    """Sign every configured channel in and connect it, and render every mode once (the
    templates compiled, the locale data loaded), touching nothing: fetch the tokens, or
    renew those about to expire (`serve` calls this every minute). Returns what failed,
    one line per channel with its secrets masked; a failure here stops nothing."""
    from concurrent.futures import ThreadPoolExecutor

    from notices import masking

    channels, _ = build_channels_apart(config, home)
    problems: list[str] = []
    try:
        _render_every_mode(config, channels)
    except (RenderError, ConfigError) as exc:
        problems.append(f"rendering: {masking.mask(str(exc))}")

    def warm(channel: Channel) -> None:
        try:
            channel.prepare()
        except Exception as exc:  # noqa: BLE001 - the command itself will report it
            problems.append(f"{channel.name}: {masking.mask(str(exc) or type(exc).__name__)}")

    with ThreadPoolExecutor(max_workers=max(1, len(channels))) as pool:
        list(pool.map(warm, channels))
    for channel in channels:
        if channel not in kept_channels():
            channel.close()
    return sorted(problems)


def _render_every_mode(config: Config, channels: list[Channel]) -> None:
    """Every mode rendered for every channel, with and without a return time; nothing kept."""
    from notices.render import Renderer

    renderer = Renderer(config)
    now = datetime.now(UTC)
    for mode in config.all_modes():
        for returning in (None, now + timedelta(hours=4)):
            for medium in dict.fromkeys(channel.medium for channel in channels):
                notice = renderer.render(
                    mode, medium, reasons=None, started=now, expected_return=returning
                )
                for channel in channels:
                    if channel.medium == medium:
                        channel.build(notice)
