"""The embedded default: channels that publish real artefacts into the data folder.

- `local_voice`: the IVR greeting as TwiML (`greeting.xml`), ready for a number's voice URL.
- `local_banner`: `status.json`, an HTML fragment and a standalone notice page, plus the
  permanent `notices.js` that a web page includes once to show the banner.
- `local_email`: a Sieve script with a `vacation` action (`mail/active.sieve`), the form a
  ManageSieve server such as Dovecot runs.
"""

from __future__ import annotations

import json
from importlib.resources import files as package_files
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from notices.channels.base import (
    Artefacts,
    Channel,
    ChannelContext,
    ChannelOptions,
    Notice,
    Receipt,
    Setting,
)
from notices.channels.texts import banner_html, notice_page, sieve_vacation, status_document
from notices.publishers import FolderPublisher, FolderPublisherOptions, Publisher


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

    # The receipt holds what the publisher confirmed writing; the orchestrator reads back.
    def apply(self, artefacts: Artefacts) -> Receipt:
        files = self.expected(artefacts).data["files"]
        changed = self.publisher.write(files, artefacts.content_types, self._take_fresh())
        return Receipt(files_setting(files), changed, {"published": self.publisher.identity()})

    def restore(self, setting: Setting) -> Receipt:
        saved: dict[str, str | None] = setting.data["files"]
        files = {name: saved.get(name) for name in self.filenames}
        changed = self.publisher.write(files, {}, self._take_fresh())
        return Receipt(files_setting(files), changed, {"published": self.publisher.identity()})

    def close(self) -> None:
        self.publisher.close()


class FolderOptions(ChannelOptions):
    folder: Path = Field(
        default=Path("site"),
        description="Where to publish; relative paths are inside the data folder.",
    )


class LocalChannel(PublishedFilesChannel):
    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, FolderOptions)
        self.publisher = FolderPublisher(FolderPublisherOptions(path=options.folder), context.home)


class LocalVoiceOptions(FolderOptions):
    voices: dict[str, str] = Field(
        default_factory=dict,
        description="Text-to-speech voice per language, e.g. fi = 'Google.fi-FI-Standard-B'.",
    )


class LocalVoice(LocalChannel):
    kind = "local_voice"
    medium = "ivr"
    Options = LocalVoiceOptions
    filenames = ("greeting.xml",)

    def build(self, notice: Notice) -> Artefacts:
        from notices.channels.texts import greeting_twiml

        assert isinstance(self.options, LocalVoiceOptions)
        return Artefacts(
            files={"greeting.xml": greeting_twiml(notice, self.options.voices)},
            content_types={"greeting.xml": "text/xml; charset=utf-8"},
        )


def banner_artefacts(notice: Notice) -> Artefacts:
    """The banner's files, the same whichever publisher serves them."""
    return Artefacts(
        files={
            "status.json": json.dumps(status_document(notice), ensure_ascii=False, indent=2) + "\n",
            "banner.html": banner_html(notice),
            "notice.html": notice_page(notice),
        },
        content_types={
            "status.json": "application/json",
            "banner.html": "text/html; charset=utf-8",
            "notice.html": "text/html; charset=utf-8",
        },
    )


def banner_script() -> str:
    return package_files("notices").joinpath("static/notices.js").read_text("utf-8")


class LocalBanner(LocalChannel):
    kind = "local_banner"
    medium = "banner"
    self_expiring = True  # status.json carries `expires`; notices.js hides the banner after it
    Options = FolderOptions
    filenames = ("status.json", "banner.html", "notice.html")

    def build(self, notice: Notice) -> Artefacts:
        return banner_artefacts(notice)

    # notices.js is permanent: pages include it once, and it shows nothing while
    # status.json is absent or says the mode is normal. It is not part of a snapshot.
    def apply(self, artefacts: Artefacts) -> Receipt:
        self.publisher.write({"notices.js": banner_script()}, {})
        return super().apply(artefacts)

    def restore(self, setting: Setting) -> Receipt:
        self.publisher.write({"notices.js": banner_script()}, {})
        return super().restore(setting)


class LocalEmailOptions(FolderOptions):
    addresses: list[str] = Field(
        default_factory=list, description="Other addresses of the mailbox, for Sieve :addresses."
    )
    days: int = Field(
        default=1, ge=1, description="Answer the same sender at most once per N days."
    )


class LocalEmail(LocalChannel):
    kind = "local_email"
    medium = "email"
    self_expiring = True  # the Sieve script answers only while `currentdate` is before it
    Options = LocalEmailOptions
    filenames = ("mail/active.sieve",)

    def build(self, notice: Notice) -> Artefacts:
        assert isinstance(self.options, LocalEmailOptions)
        script = sieve_vacation(notice, self.options.addresses, self.options.days)
        return Artefacts(
            files={"mail/active.sieve": script},
            content_types={"mail/active.sieve": "application/sieve; charset=utf-8"},
        )
