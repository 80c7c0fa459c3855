"""Channel kinds by name, from the `notices.channels` entry-point group.

Built-in kinds register there too (see pyproject.toml), so an outside package adds a
provider exactly the way ours do.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from notices.channels.base import Channel
from notices.errors import ConfigError

GROUP = "notices.channels"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    # Read once per process: each entry_points() call scans every installed distribution.
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def kinds() -> list[str]:
    return sorted(_entry_points())


def channel_class(kind: str) -> type[Channel]:
    """The class for a kind, imported only now so unused provider SDKs never load."""
    ep = _entry_points().get(kind)
    if ep is not None:
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Channel)):
            raise ConfigError(f"channel kind {kind!r} does not name a notices channel")
        return cls
    known = ", ".join(kinds()) or "none installed"
    raise ConfigError(f"unknown channel kind {kind!r} (known kinds: {known})")
