"""The embedded default: channels that publish real artefacts into the data folder.

- `local_voice`: the IVR greeting as TwiML (`greeting.xml`, ready for a number's voice URL,
  and one document per other language, thank-you and on-call step: channels/greeting.py).
- `local_banner`: `status.json`, an HTML fragment and a standalone notice page, plus the
  permanent `notices.js` that a web page includes once to show the banner.
- `local_email`: a Sieve script with a `vacation` action (`mail/active.sieve`), the form a
  ManageSieve server such as Dovecot runs.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from notices.channels.banner import Banner, banner_artefacts, banner_script
from notices.channels.base import (
    Artefacts,
    Channel,
    ChannelContext,
    ChannelOptions,
    Notice,
    files_setting,
)
from notices.channels.greeting import (
    GreetingOptions,
    Layout,
    file_names,
    forward_for,
    greeting_files,
)
from notices.channels.published import PublishedFilesChannel
from notices.channels.texts import sieve_vacation
from notices.publishers import FolderPublisher, FolderPublisherOptions, Publisher

# Kept importable from here, where they lived first.
__all__ = ["PublishedFilesChannel", "banner_artefacts", "banner_script", "files_setting"]


class FolderOptions(ChannelOptions):
    folder: Path = Field(
        default=Path("site"),
        description="Where to publish; relative paths are inside the data folder.",
    )


class LocalChannel(PublishedFilesChannel):
    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, FolderOptions)
        self.publisher = self.own(
            FolderPublisher(FolderPublisherOptions(path=options.folder), context.home)
        )


class LocalVoiceOptions(FolderOptions, GreetingOptions):
    pass


class LocalVoice(LocalChannel):
    kind = "local_voice"
    medium = "ivr"
    Options = LocalVoiceOptions
    filenames = ("greeting.xml",)

    def _layout(self, mode: str | None = None) -> Layout:
        assert isinstance(self.options, LocalVoiceOptions)
        return Layout(
            record=self.options.recording(),
            forward=forward_for(mode, self.options) if mode else None,
            forwarding=bool(self.options.forward_to),
        )

    def names(self) -> tuple[str, ...]:
        return tuple(file_names(self._layout(), self.context.languages))

    def build(self, notice: Notice) -> Artefacts:
        assert isinstance(self.options, LocalVoiceOptions)
        files = greeting_files(notice, self.options.voices, self._layout(notice.mode))
        return Artefacts(
            files=dict(files),
            content_types=dict.fromkeys(files, "text/xml; charset=utf-8"),
        )


class LocalBanner(Banner):
    """The banner published into a folder (the data folder's `site` by default)."""

    kind = "local_banner"
    Options = FolderOptions
    described = ()

    def _where(self, options: ChannelOptions, home: Path) -> tuple[str | None, Publisher]:
        assert isinstance(options, FolderOptions)
        return None, FolderPublisher(FolderPublisherOptions(path=options.folder), home)

    def probe(self) -> str:
        return Channel.probe(self)  # no public_url to check


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
