"""Channels from the configuration, and the credentials they need, checked before a switch."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from notices.channels.base import Channel, ChannelContext, ChannelOptions
from notices.channels.registry import channel_class
from notices.config import Config, locate_key
from notices.errors import ConfigError
from notices.orchestrator.outcomes import ChannelOutcome


@dataclass(frozen=True)
class BrokenChannel:
    """A channel whose own `[channels.NAME]` section is not valid: it fails alone."""

    name: str
    kind: str
    error: str  # with the file, line and key

    def outcome(self) -> ChannelOutcome:
        return ChannelOutcome(self.name, self.kind, self.name, ok=False, error=self.error)


def build_channels(config: Config, home: Path) -> list[Channel]:
    """Instantiate every configured channel, validating its options. Touches no provider.
    Raises ConfigError naming every broken section (file, line, key)."""
    channels, broken = build_channels_apart(config, home)
    if broken:
        raise ConfigError("; ".join(b.error for b in broken))
    return channels


def build_channels_apart(config: Config, home: Path) -> tuple[list[Channel], list[BrokenChannel]]:
    """The channels whose sections are valid, and the broken ones with what is wrong."""
    text = config.source_text()
    where = f"{config.source}: " if config.source else ""
    channels: list[Channel] = []
    broken: list[BrokenChannel] = []
    for name, entry in config.channels.items():
        try:
            cls = channel_class(entry.kind)
        except ConfigError as exc:
            line = _line(text, ("channels", name, "kind"))
            broken.append(
                BrokenChannel(name, entry.kind, f"{where}{line}channels.{name}.kind: {exc}")
            )
            continue
        try:
            options = cls.Options.model_validate(entry.options())
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                line = _line(text, ("channels", name, *(str(p) for p in err["loc"])))
                why = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
                problems.append(f"{where}{line}channels.{name}.{key}: {why}")
            broken.append(BrokenChannel(name, entry.kind, "; ".join(problems)))
            continue
        context = ChannelContext(home=home, name=name, languages=tuple(config.languages))
        channels.append(_kept_or(cls, options, context))
    return channels, broken


class _Kept:
    """serve's channels, kept between commands (signed in, connected), by data folder and
    name, with everything each was built from: a changed section builds a new one. None:
    nothing is kept (the CLI, where one process runs one command)."""

    channels: dict[tuple[str, str], tuple[str, Channel]] | None = None


_kept_lock = threading.Lock()


def keep_channels() -> None:
    """From now on, in this process (`serve`), a channel built from the same section as
    before is the one built before, still open: its clients, connections and tokens stay
    warm for the next command. Orchestrator.close leaves kept channels open."""
    with _kept_lock:
        if _Kept.channels is None:
            _Kept.channels = {}


def kept(channel: Channel) -> bool:
    with _kept_lock:
        known = _Kept.channels or {}
        return any(c is channel for _, c in known.values())


def kept_channels() -> list[Channel]:
    with _kept_lock:
        return [channel for _, channel in (_Kept.channels or {}).values()]


def _kept_or(cls: type[Channel], options: ChannelOptions, context: ChannelContext) -> Channel:
    kept_now = _Kept.channels
    if kept_now is None:
        return cls(options, context)
    where = (str(context.home), context.name)
    built_from = json.dumps(
        [cls.kind, options.model_dump(mode="json"), list(context.languages)], sort_keys=True
    )
    with _kept_lock:
        known = kept_now.get(where)
        if known is not None and known[0] == built_from:
            return known[1]
        channel = cls(options, context)
        # A changed section replaces the old channel; a command may still use that one, so
        # it is not closed here (its connections close with it).
        kept_now[where] = (built_from, channel)
        return channel


def _line(text: str, path: tuple[str, ...]) -> str:
    line = locate_key(text, path) if text else None
    return f"line {line}: " if line else ""


def missing_credentials(config: Config, channels: list[Channel]) -> ConfigError | None:
    """An error naming every credential variable that is not set, before anything is
    switched; None when all are. `config.source` gives the file and line to name."""
    text = config.source_text()
    problems = []
    for channel in channels:
        for option, variable in channel.credential_variables().items():
            if os.environ.get(variable):
                continue
            path = ("channels", channel.name, *option.split("."))
            line = locate_key(text, path) if text else None
            where = f"line {line}" if line else f"the default of {option}"
            problems.append(f"{variable} (channels.{channel.name}.{option}, {where}) is not set")
    if not problems:
        return None
    source = f"{config.source}: " if config.source else ""
    return ConfigError(
        f"{source}the credentials of {'a channel' if len(problems) == 1 else 'some channels'}"
        f" are missing: the environment variable {'; '.join(problems)}. Credentials come only"
        " from the environment: set it (or fix the option's name), then run the command"
        " again. Nothing was switched."
    )
