"""A channel whose provider serves a few files through a publisher (banner, local_*)."""

from __future__ import annotations

from typing import ClassVar

from notices.channels.base import Artefacts, Channel, Receipt, Setting, files_setting
from notices.publishers import Publisher

# Kept importable from here, where it lived first.
__all__ = ["PublishedFilesChannel", "files_setting"]


class PublishedFilesChannel(Channel):
    """A channel whose provider serves a few files through a publisher.

    What it serves is the content of those files (or their absence); snapshot and restore
    cover exactly the files in `filenames`. `extra` are files every write also publishes
    (the banner's permanent script): read by the snapshot, so the write that follows
    needs no read of its own, but no part of the setting.
    """

    filenames: ClassVar[tuple[str, ...]]
    publisher: Publisher

    def identity(self) -> str:
        return self.publisher.identity()

    def names(self) -> tuple[str, ...]:
        """The files the setting covers: `filenames`, unless a channel's depend on its options."""
        return self.filenames

    def extra(self) -> dict[str, tuple[str, str]]:
        """Files published with every write: name -> (text, content type)."""
        return {}

    def snapshot(self, served: bool = False) -> Setting:
        # The read-back (`served`) reads the state only: no write follows it.
        files = self.publisher.read([*self.names(), *([] if served else self.extra())])
        setting = files_setting({name: files[name] for name in self.names()})
        return Setting(setting.data, setting.summary, aside={"files": files})

    def apply(self, artefacts: Artefacts, current: Setting | None = None) -> Receipt:
        files = {name: artefacts.files.get(name) for name in self.names()}
        return self._publish(files, artefacts.content_types, current)

    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        saved: dict[str, str | None] = setting.data["files"]
        return self._publish({name: saved.get(name) for name in self.names()}, {}, current)

    def _publish(
        self, files: dict[str, str | None], content_types: dict[str, str], current: Setting | None
    ) -> Receipt:
        extra = self.extra()
        changed = self.publisher.write(
            {**{name: text for name, (text, _) in extra.items()}, **files},
            {**{name: kind for name, (_, kind) in extra.items()}, **content_types},
            current.aside.get("files", current.data["files"]) if current else None,
        )
        return Receipt(changed, {"published": self.publisher.identity()})
