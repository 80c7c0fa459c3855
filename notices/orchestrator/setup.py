"""Channels from the configuration, and the credentials they need, checked before a switch."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from notices.channels.base import Channel, ChannelContext
from notices.channels.registry import channel_class
from notices.config import Config
from notices.errors import ConfigError


def build_channels(config: Config, home: Path) -> list[Channel]:
    """Instantiate every configured channel, validating its options. Touches no provider."""
    channels = []
    for name, entry in config.channels.items():
        cls = channel_class(entry.kind)
        try:
            options = cls.Options.model_validate(entry.options())
        except ValidationError as exc:
            problems = "; ".join(
                f"channels.{name}.{'.'.join(str(p) for p in err['loc'])}: "
                + ("unknown key" if err["type"] == "extra_forbidden" else err["msg"])
                for err in exc.errors()
            )
            raise ConfigError(f"channel {name!r} ({entry.kind}): {problems}") from None
        context = ChannelContext(home=home, name=name, languages=tuple(config.languages))
        channels.append(cls(options, context))
    return channels


def missing_credentials(config: Config, channels: list[Channel]) -> ConfigError | None:
    """An error naming every credential variable that is not set, before anything is
    switched; None when all are. `config.source` gives the file and line to name."""
    from notices.config import locate_key

    text = ""
    if config.source is not None:
        try:
            text = config.source.read_text("utf-8")
        except (OSError, ValueError):
            text = ""
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
