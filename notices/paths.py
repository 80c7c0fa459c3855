"""Where the data folder and the configuration are. Kept free of heavy imports: every
command, `--help` included, reads this before anything else."""

from __future__ import annotations

import os
import re
from pathlib import Path

MODE_NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
BUILTIN_MODE_NAMES = ("evacuate", "power-out")
# The staff webhooks' paths on `serve` (and on the second node, the numbers' fallback URLs).
SMS_PATH = "/_notices/sms"
VOICE_PATH = "/_notices/voice"
# Command names a mode may not take, because the CLI already uses them.
RESERVED_NAMES = frozenset(
    {
        "resume",
        "status",
        "preview",
        "check",
        "log",
        "init",
        "serve",
        "extend",
        "embed",
        "retry",
        "store",
    }
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


# The data folder holds the log, snapshots with customers' webhook credentials and personal
# data: its owner's alone. Files are created so (umask), and `check` repairs the rest.
PRIVATE_UMASK = 0o077


def private_umask() -> int:
    """Create every folder 0700 and every file 0600 from now on, in this process; returns
    the umask it replaces."""
    return os.umask(PRIVATE_UMASK)


def repair_private(home: Path) -> list[Path]:
    """Make the data folder 0700, every folder in it 0700 and every file 0600; returns what
    was changed. Symbolic links are left alone (never followed)."""
    changed: list[Path] = []
    if not home.is_dir():
        return changed
    for path in [home, *home.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode & 0o777
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted and mode & 0o077:
            path.chmod(wanted if path.is_dir() else mode & 0o700 or wanted)
            changed.append(path)
    return changed
