"""A channel whose provider serves a few files through a publisher (banner, local_*)."""

from __future__ import annotations

from typing import ClassVar

from notices.channels.base import Artefacts, Channel, Receipt, Setting
from notices.publishers import Publisher


def files_setting(files: dict[str, str | None]) -> Setting:
    present = sorted(name for name, text in files.items() if text is not None)
    summary = ", ".join(present) if present else "no files"
    return Setting(data={"files": files}, summary=summary)


class PublishedFilesChannel(Channel):
    """A channel whose provider serves a few files through a publisher.

    What it serves is the content of those files (or their absence); snapshot and restore
    cover exactly the files in `filenames`.
    """

    filenames: ClassVar[tuple[str, ...]]
    publisher: Publisher
    # What the last snapshot read, used once by the write that follows it at once.
    _fresh: dict[str, str | None] | None = None

    def identity(self) -> str:
        return self.publisher.identity()

    def _read_names(self) -> list[str]:
        """The files a switch writes: snapshot reads them all in one go."""
        return list(self.filenames)

    def snapshot(self) -> Setting:
        files = self.publisher.read(self._read_names())
        self._fresh = files
        return files_setting({name: files[name] for name in self.filenames})

    def prepare(self) -> None:
        self.snapshot()

    def _take_fresh(self) -> dict[str, str | None] | None:
        fresh, self._fresh = self._fresh, None
        return fresh

    def verify(self) -> Setting:
        return files_setting(self.publisher.read(list(self.filenames)))

    def expected(self, artefacts: Artefacts) -> Setting:
        return files_setting({name: artefacts.files.get(name) for name in self.filenames})

    def apply(self, artefacts: Artefacts) -> Receipt:
        files = self.expected(artefacts).data["files"]
        changed = self.publisher.write(files, artefacts.content_types, self._take_fresh())
        return Receipt(changed, {"published": self.publisher.identity()})

    def restore(self, setting: Setting) -> Receipt:
        saved: dict[str, str | None] = setting.data["files"]
        files = {name: saved.get(name) for name in self.filenames}
        changed = self.publisher.write(files, {}, self._take_fresh())
        return Receipt(changed, {"published": self.publisher.identity()})

    def close(self) -> None:
        self.publisher.close()
