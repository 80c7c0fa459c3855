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
from notices.channels.files import files_setting, publish, read_files
from notices.channels.texts import banner_html, notice_page, sieve_vacation, status_document


class FolderOptions(ChannelOptions):
    folder: Path = Field(
        default=Path("site"),
        description="Where to publish; relative paths are inside the data folder.",
    )


class FolderChannel(Channel):
    """A channel whose provider is a folder of files."""

    filenames: ClassVar[tuple[str, ...]]

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, FolderOptions)
        folder = options.folder
        self.folder = folder if folder.is_absolute() else context.home / folder

    def identity(self) -> str:
        return f"{self.folder}"

    def snapshot(self) -> Setting:
        return files_setting(read_files(self.folder, list(self.filenames)))

    verify = snapshot

    def expected(self, artefacts: Artefacts) -> Setting:
        return files_setting({name: artefacts.files.get(name) for name in self.filenames})

    def apply(self, artefacts: Artefacts) -> Receipt:
        target = self.expected(artefacts)
        changed = publish(self.folder, target.data["files"])
        return Receipt(
            setting=self.verify(), changed=changed, confirmation={"folder": str(self.folder)}
        )

    def restore(self, setting: Setting) -> Receipt:
        files: dict[str, str | None] = setting.data["files"]
        changed = publish(self.folder, {name: files.get(name) for name in self.filenames})
        return Receipt(
            setting=self.verify(), changed=changed, confirmation={"folder": str(self.folder)}
        )


class LocalVoiceOptions(FolderOptions):
    voices: dict[str, str] = Field(
        default_factory=dict,
        description="Text-to-speech voice per language, e.g. fi = 'Google.fi-FI-Standard-B'.",
    )


class LocalVoice(FolderChannel):
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


class LocalBanner(FolderChannel):
    kind = "local_banner"
    medium = "banner"
    Options = FolderOptions
    filenames = ("status.json", "banner.html", "notice.html")

    def build(self, notice: Notice) -> Artefacts:
        status = status_document(notice)
        return Artefacts(
            files={
                "status.json": json.dumps(status, ensure_ascii=False, indent=2) + "\n",
                "banner.html": banner_html(notice),
                "notice.html": notice_page(notice),
            },
            content_types={
                "status.json": "application/json",
                "banner.html": "text/html; charset=utf-8",
                "notice.html": "text/html; charset=utf-8",
            },
        )

    def apply(self, artefacts: Artefacts) -> Receipt:
        self._install_script()
        return super().apply(artefacts)

    def restore(self, setting: Setting) -> Receipt:
        self._install_script()
        return super().restore(setting)

    def _install_script(self) -> None:
        # notices.js is permanent: pages include it once, and it shows nothing while
        # status.json is absent or says the mode is normal. It is not part of a snapshot.
        script = package_files("notices").joinpath("static/notices.js").read_text("utf-8")
        publish(self.folder, {"notices.js": script})


class LocalEmailOptions(FolderOptions):
    addresses: list[str] = Field(
        default_factory=list, description="Other addresses of the mailbox, for Sieve :addresses."
    )
    days: int = Field(
        default=1, ge=1, description="Answer the same sender at most once per N days."
    )


class LocalEmail(FolderChannel):
    kind = "local_email"
    medium = "email"
    Options = LocalEmailOptions
    filenames = ("mail/active.sieve",)

    def build(self, notice: Notice) -> Artefacts:
        assert isinstance(self.options, LocalEmailOptions)
        script = sieve_vacation(notice, self.options.addresses, self.options.days)
        return Artefacts(
            files={"mail/active.sieve": script},
            content_types={"mail/active.sieve": "application/sieve; charset=utf-8"},
        )
