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

    def identity(self) -> str:
        return self.publisher.identity()

    def snapshot(self) -> Setting:
        return files_setting(self.publisher.read(list(self.filenames)))

    def verify(self) -> Setting:
        return self.snapshot()

    def expected(self, artefacts: Artefacts) -> Setting:
        return files_setting({name: artefacts.files.get(name) for name in self.filenames})

    def apply(self, artefacts: Artefacts) -> Receipt:
        files = self.expected(artefacts).data["files"]
        changed = self.publisher.write(files, artefacts.content_types)
        return Receipt(changed, {"published": self.publisher.identity()})

    def restore(self, setting: Setting) -> Receipt:
        saved: dict[str, str | None] = setting.data["files"]
        files = {name: saved.get(name) for name in self.filenames}
        changed = self.publisher.write(files, {})
        return Receipt(changed, {"published": self.publisher.identity()})

    def close(self) -> None:
        self.publisher.close()
