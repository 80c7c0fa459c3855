"""Channel kinds by name, from the `notices.channels` entry-point group.

Built-in kinds register there too (see pyproject.toml), so an outside package adds a
provider exactly the way ours do.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from notices.channels.base import Channel
from notices.errors import ConfigError

GROUP = "notices.channels"


@cache
def _entry_points() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def kinds() -> list[str]:
    return sorted(_entry_points())


def channel_class(kind: str) -> type[Channel]:
    """The class for a kind, imported only now so unused provider SDKs never load."""
    for ep in entry_points(group=GROUP, name=kind):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Channel)):
            raise ConfigError(f"channel kind {kind!r} does not name a notices channel")
        return cls
    known = ", ".join(kinds()) or "none installed"
    raise ConfigError(f"unknown channel kind {kind!r} (known kinds: {known})")
