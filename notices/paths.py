"""Where the data folder and the configuration are. Kept free of heavy imports: every
command, `--help` included, reads this before anything else."""

from __future__ import annotations

import os
import re
from pathlib import Path

MODE_NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
BUILTIN_MODE_NAMES = ("evacuate", "power-out")
# Command names a mode may not take, because the CLI already uses them.
RESERVED_NAMES = frozenset(
    {"resume", "status", "preview", "check", "log", "init", "serve", "extend", "embed", "retry"}
)


def is_mode_name(name: str) -> bool:
    return bool(re.match(MODE_NAME_PATTERN, name)) and name not in RESERVED_NAMES


def default_home() -> Path:
    env = os.environ.get("NOTICES_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_path

    return user_data_path("notices", appauthor=False)


def config_path(home: Path, explicit: Path | None) -> Path | None:
    """The config file to read: --config, then NOTICES_CONFIG, then DATA/notices.toml, else none."""
    if explicit is not None:
        return explicit
    env = os.environ.get("NOTICES_CONFIG")
    if env:
        return Path(env)
    candidate = home / "notices.toml"
    return candidate if candidate.exists() else None
