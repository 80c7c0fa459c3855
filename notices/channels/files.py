"""Publishing a set of text files into a folder, atomically, and putting them back.

Shared by the local channels: the folder is the provider, and what it serves is the
content of the files (or their absence).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from notices.channels.base import Setting
from notices.errors import PermanentChannelError, TransientChannelError


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_files(folder: Path, names: list[str]) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for name in names:
        try:
            result[name] = (folder / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            result[name] = None
        except OSError as exc:
            raise TransientChannelError(f"cannot read {folder / name}: {exc.strerror}") from exc
    return result


def publish(folder: Path, files: dict[str, str | None]) -> bool:
    """Make the folder hold exactly `files` (None = absent). Returns whether anything changed."""
    current = read_files(folder, list(files))
    changed = False
    try:
        _remove_leftovers(folder, list(files))
        for name, text in files.items():
            if current[name] == text:
                continue
            changed = True
            if text is None:
                (folder / name).unlink(missing_ok=True)
            else:
                write_atomic(folder / name, text)
    except PermissionError as exc:
        raise PermanentChannelError(f"no permission to write {exc.filename}") from exc
    except OSError as exc:
        raise TransientChannelError(f"cannot write {exc.filename}: {exc.strerror}") from exc
    return changed


def _remove_leftovers(folder: Path, names: list[str]) -> None:
    """Temporary files a killed process left behind (the real files were never half-written)."""
    for name in names:
        target = folder / name
        if target.parent.is_dir():
            for stale in target.parent.glob(f".{target.name}.*.tmp"):
                stale.unlink(missing_ok=True)


def files_setting(files: dict[str, str | None]) -> Setting:
    present = sorted(name for name, text in files.items() if text is not None)
    summary = ", ".join(present) if present else "no files"
    return Setting(data={"files": files}, summary=summary)
