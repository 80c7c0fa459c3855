"""A cold command's head start: its channels built and their providers read before the
command takes its lock, and when such a read may stand in for the read made under it.

A command in a new process spends most of its first second importing itself and its
providers' SDKs. The providers' reads need none of the command's options, so they leave
while the CLI is still loading: `notices/__main__.py` begins `HeadStart.prepare` in the
background (notices/head_start.py) for a switching command that no `serve` takes, before it
imports the CLI, and the command's session claims it (commands/session.py) when it is for
the same data folder and configuration; otherwise its channels are closed and the session
builds its own, as it would have. This module and what it imports stay light: the CLI waits
for the reads to leave before it loads the rest.

Each channel's SDK is imported, it signs in and its setting is read, in a thread of its own.
Nothing is touched and nothing is logged. Under the lock, such a read replaces the channel's
first read when

- nothing was written to the log since just before it began: every notices command (this
  machine's or another node's, a scheduled resume, the SMS gate) logs under the lock before
  it touches a provider, and logs each change it makes, so an unchanged log head means no
  notices command changed a provider since (a change made by hand at the provider is as
  much a race as it is for a read made under the lock);
- it ended at most `FRESH_FOR_S` ago: a command that waited on a question is read again.

Otherwise, or when the early read failed, the channel reads under the lock as it always
does (with its retries and its report). An early read is used once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from notices.channels.base import Channel, Setting
from notices.config import Config, load_config
from notices.orchestrator.setup import BrokenChannel, build_channels_apart
from notices.paths import config_path

if TYPE_CHECKING:
    from notices.db import Database

# How old an early read may be when the lock is taken (a question, a slow lock: read again).
FRESH_FOR_S = 5.0


def log_generation(database: Database) -> int:
    """The log's last sequence number (0 when empty): it moves whenever a command logs."""
    rows = database.query("SELECT seq FROM log ORDER BY seq DESC LIMIT 1")
    return int(rows[0][0]) if rows else 0


class EarlyReads:
    """Every channel's setting read in a thread of its own, started now; `generation` is
    the log's, taken just before. The SDKs are imported one channel after another (under
    the GIL, imports made side by side only delay each other), the channels that sign in
    with the most round trips first, and each channel's read leaves as soon as its own SDK
    is in; `under_way()` is called once every read has left (or failed to)."""

    def __init__(
        self,
        channels: list[Channel],
        generation: int,
        under_way: Callable[[], None] = lambda: None,
    ) -> None:
        self.generation = generation
        self._reads: dict[str, Future[tuple[float, Setting]]] = {
            channel.name: Future() for channel in channels
        }
        self._lock = threading.Lock()
        self._admitted = False
        first = sorted(channels, key=lambda channel: -channel.sign_in_round_trips)
        reads = [(channel, self._reads[channel.name]) for channel in first]
        threading.Thread(
            target=_begin, args=(reads, under_way), daemon=True, name="early-reads"
        ).start()

    def admit(self, generation: int) -> None:
        """Under the command's lock: the reads may stand in only if the log has not moved."""
        with self._lock:
            self._admitted = generation == self.generation

    def take(self, channel: Channel) -> Setting | None:
        """The channel's early read, once, when admitted, fresh and successful; else None.
        Waits for a read still under way (it left before the one that would replace it)."""
        with self._lock:
            future = self._reads.pop(channel.name, None) if self._admitted else None
        if future is None:
            return None
        try:
            ended, setting = future.result()
        except Exception:  # noqa: BLE001 - the read under the lock reports it, with retries
            return None
        return setting if time.monotonic() - ended <= FRESH_FOR_S else None


@dataclass
class HeadStart:
    """A data folder's channels, built and read before the command's lock."""

    home: Path
    config: Config
    channels: list[Channel]
    broken: list[BrokenChannel]
    early: EarlyReads

    @classmethod
    def prepare(
        cls, home: Path, config_file: Path | None, under_way: Callable[[], None]
    ) -> HeadStart | None:
        """The folder's configuration loaded (as Workspace.load does), its channels built,
        the log's head noted and every read begun (`under_way` called once all have left);
        None when no channel is valid. Errors are the command's to find and report."""
        from notices.db import Database
        from notices.store.url import store_url

        config = load_config(config_path(home, config_file))
        channels, broken = build_channels_apart(config, home)
        if not channels:
            return None
        database = Database(home / "notices.db", url=store_url(home, config.store.url))
        try:
            generation = log_generation(database)
        finally:
            database.close()
        return cls(home, config, channels, broken, EarlyReads(channels, generation, under_way))

    def fits(self, home: Path, config: Config) -> bool:
        """Whether it was prepared for this folder and this configuration (read again)."""
        return self.home.absolute() == home.absolute() and self.config == config

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


def _begin(
    reads: list[tuple[Channel, Future[tuple[float, Setting]]]], under_way: Callable[[], None]
) -> None:
    for channel, future in reads:
        try:
            channel.import_clients()
            threading.Thread(
                target=_read, args=(channel, future), daemon=True, name=f"early-{channel.name}"
            ).start()
        except BaseException as exc:  # noqa: BLE001 - the read under the lock says why
            future.set_exception(exc)
    under_way()


def _read(channel: Channel, future: Future[tuple[float, Setting]]) -> None:
    try:
        setting = channel.snapshot()
    except BaseException as exc:  # noqa: BLE001 - handed to whoever takes it
        future.set_exception(exc)
        return
    future.set_result((time.monotonic(), setting))
