"""A command's working set: the data folder with its configuration (`Workspace`), and the
channels and log open for one command (`Session`, from `open_session`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notices.commands import warmth
from notices.commands.warmth import import_ahead
from notices.config import Config, load_config
from notices.errors import ConfigError
from notices.incident import Incident
from notices.orchestrator import Progress, build_channels_apart, no_progress
from notices.orchestrator.early import HeadStart
from notices.orchestrator.flow import Orchestrator
from notices.paths import config_path, default_home


@dataclass(frozen=True)
class Workspace:
    """A data folder and the configuration that applies to it."""

    home: Path
    config: Config
    config_file: Path | None = None

    @classmethod
    def load(cls, home: Path | None = None, config_file: Path | None = None) -> Workspace:
        """`--home` / `NOTICES_HOME` (else the platform default) and `--config` /
        `NOTICES_CONFIG` (else the data folder's notices.toml, else the built-in default)."""
        data = home or default_home()
        return cls(data, load_config(config_path(data, config_file)), config_file)


@dataclass
class Session:
    """A workspace's channels and log, open for one command. Close it (or use `with`)."""

    workspace: Workspace
    orchestrator: Orchestrator

    @property
    def config(self) -> Config:
        return self.workspace.config

    def open_incident(self) -> Incident | None:
        return self.orchestrator.incidents.open_incident()

    def channel_names(self) -> list[str]:
        return [channel.name for channel in self.orchestrator.channels]

    def close(self) -> None:
        self.orchestrator.close()


@contextmanager
def open_session(
    workspace: Workspace,
    actor: str | None = None,
    progress: Progress = no_progress,
    *,
    host: str | None = None,
    door: dict[str, Any] | None = None,
) -> Iterator[Session]:
    """Build every configured channel (validating its options; no provider is touched) and
    open the log. `actor` is who asks (None: the person at this computer, from
    NOTICES_ACTOR or the login name) and `host` from where (None: this machine); `door`
    says how the command came when another process took it ({"via": "serve", ...}: the
    command.started record carries it); `progress` hears of each channel as it goes."""
    ahead = _head_start(workspace)
    if ahead is not None:
        channels, broken, early = ahead.channels, ahead.broken, ahead.early
    else:
        (channels, broken), early = build_channels_apart(workspace.config, workspace.home), None
    if broken and not channels:
        raise ConfigError(
            "; ".join(b.error for b in broken) + ". No channel is valid: nothing was switched."
        )
    session = Session(
        workspace,
        Orchestrator(
            workspace.config,
            workspace.home,
            channels,
            progress,
            actor=actor,
            broken=broken,
            host=host,
            door=door,
            early=early,
        ),
    )
    if early is None:  # the head start imports them itself, one channel after another
        import_ahead(channels)
    try:
        yield session
    finally:
        session.close()


def _head_start(workspace: Workspace) -> HeadStart | None:
    """This process's head start (orchestrator/early.py), if one was begun for this very
    workspace; another workspace's is closed. Claimed once."""
    from notices import head_start

    ahead = head_start.claim()
    if not isinstance(ahead, HeadStart):
        return None
    if not ahead.fits(workspace.home, workspace.config):
        ahead.close()
        return None
    return ahead


def warm_up(workspace: Workspace) -> list[str]:
    """`serve`, every minute: every channel signed in (tokens renewed before they expire)
    and every mode rendered once, touching nothing; what failed, one line each, masked."""
    return warmth.warm_up(workspace.config, workspace.home)
