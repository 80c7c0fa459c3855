"""A folder on this machine: the embedded default, or a web root served by a local server."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from notices.errors import PermanentChannelError, TransientChannelError
from notices.faults import crash_point
from notices.publishers.base import Publisher, decode_text, known_or_read


class FolderPublisherOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["folder"] = "folder"
    path: Path = Field(
        default=Path("site"), description="The folder; relative paths are inside the data folder."
    )


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file.
    `mode`: 0644 for a web root another server reads, 0600 inside the data folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FolderPublisher(Publisher):
    def __init__(self, options: FolderPublisherOptions, home: Path) -> None:
        self.folder = options.path if options.path.is_absolute() else home / options.path
        # Inside the data folder (`serve` serves it as its owner): the owner's alone. A web
        # root elsewhere is read by another server: readable by all.
        inside = self.folder.resolve().is_relative_to(home.resolve())
        self.mode = 0o600 if inside else 0o644

    def identity(self) -> str:
        # Resolved, so `--home data` and `--home /abs/data` name the same target.
        return f"folder {self.folder.resolve()}"

    def read(self, names: list[str]) -> dict[str, str | None]:
        result: dict[str, str | None] = {}
        for name in names:
            try:
                # Bytes, not read_text(): that turns CRLF into LF, and restore must be exact.
                data = (self.folder / name).read_bytes()
            except FileNotFoundError:
                result[name] = None
            except OSError as exc:
                raise TransientChannelError(
                    f"cannot read {self.folder / name}: {exc.strerror}"
                ) from exc
            else:
                result[name] = decode_text(data, str(self.folder / name))
        return result

    def write(
        self,
        files: dict[str, str | None],
        content_types: dict[str, str],
        current: dict[str, str | None] | None = None,
    ) -> bool:
        current = known_or_read(self, files, current)
        changed = False
        try:
            self._remove_leftovers(list(files))
            for name, text in files.items():
                if current[name] == text:
                    continue
                changed = True
                if text is None:
                    (self.folder / name).unlink(missing_ok=True)
                else:
                    write_atomic(self.folder / name, text, self.mode)
                crash_point("after-file", name)
        except PermissionError as exc:
            raise PermanentChannelError(f"no permission to write {exc.filename}") from exc
        except OSError as exc:
            raise TransientChannelError(f"cannot write {exc.filename}: {exc.strerror}") from exc
        return changed

    def _remove_leftovers(self, names: list[str]) -> None:
        """Temporary files a killed process left behind (the real files were never half-written)."""
        for name in names:
            target = self.folder / name
            if target.parent.is_dir():
                for stale in target.parent.glob(f".{target.name}.*.tmp"):
                    stale.unlink(missing_ok=True)
