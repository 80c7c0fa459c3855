"""`banner`: the website banner, published where the site lives.

The same files as `local_banner` (status.json, banner.html, notice.html and the permanent
notices.js), written through a publisher chosen in notices.toml (`folder`, `sftp`, `s3`).
`public_url` is where a browser finds them: `notices embed` prints the snippet with it, and
the read-back checks that the URL really serves what was published.
"""

from __future__ import annotations

import json
import time
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator

from notices.channels.base import (
    Artefacts,
    ChannelContext,
    ChannelOptions,
    Notice,
    Setting,
)
from notices.channels.published import PublishedFilesChannel
from notices.channels.texts import banner_html, notice_page, status_document
from notices.errors import TransientChannelError
from notices.net.http import Answer, fetch_public, http_error
from notices.publishers import (
    FolderPublisherOptions,
    Publisher,
    PublisherOptions,
    make_publisher,
)

SCRIPT = "notices.js"
SCRIPT_TYPE = "text/javascript; charset=utf-8"
HTTP_TIMEOUT_SECONDS = 10.0


def embed_snippet(public_url: str) -> str:
    """The one line a site puts into its pages, once and for good."""
    return f'<script src="{public_url}{SCRIPT}" defer></script>'


class BannerOptions(ChannelOptions):
    publisher: PublisherOptions = Field(
        default_factory=FolderPublisherOptions,
        description="Where the files go: a table with `type` = folder, sftp or s3.",
    )
    public_url: str | None = Field(
        default=None,
        description="The address the published files are served from,"
        " e.g. 'https://www.example.fi/notices/'.",
    )

    @field_validator("public_url")
    @classmethod
    def _http_folder(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or any(c in value for c in "\"'<> "):
            raise ValueError("must be an http:// or https:// address, e.g. https://example.fi/n/")
        return value if value.endswith("/") else value + "/"


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


class Banner(PublishedFilesChannel):
    kind = "banner"
    medium = "banner"
    self_expiring = True  # status.json carries `expires`; notices.js hides the banner after it
    Options: ClassVar[type[ChannelOptions]] = BannerOptions
    filenames = ("status.json", "banner.html", "notice.html")
    described: ClassVar[tuple[str, ...]] = ("public_url",)

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        public_url, publisher = self._where(options, context.home)
        self.public_url, self.publisher = public_url, self.own(publisher)

    def _where(self, options: ChannelOptions, home: Path) -> tuple[str | None, Publisher]:
        """The public address (if known) and the publisher the files go through."""
        assert isinstance(options, BannerOptions)
        return options.public_url, make_publisher(options.publisher, home)

    def build(self, notice: Notice) -> Artefacts:
        return banner_artefacts(notice)

    # notices.js is permanent: pages include it once, and it shows nothing while status.json
    # is absent or says the mode is normal. It is not part of a snapshot, but goes in the
    # same write as the state: one round of requests, not two.
    def publish_script(self) -> bool:
        return self.publisher.write({SCRIPT: banner_script()}, {SCRIPT: SCRIPT_TYPE})

    def extra(self) -> dict[str, tuple[str, str]]:
        return {SCRIPT: (banner_script(), SCRIPT_TYPE)}

    def snapshot(self, served: bool = False) -> Setting:
        setting = super().snapshot(served)
        if served and self.public_url:
            published = setting.data["files"]["status.json"]
            if _parsed(self._served_status()) != _parsed(published):
                raise TransientChannelError(
                    f"{self.public_url}status.json does not serve what was published to"
                    f" {self.identity()} (a cache in front of it, or public_url points"
                    " elsewhere): pages would not show the change"
                )
        return setting

    def _served_status(self) -> str | None:
        answer = self._fetch("status.json")
        if answer.status in (403, 404, 410):  # a bucket answers 403 for a missing object
            return None
        if answer.status >= 400:
            raise http_error(
                answer.status,
                answer.headers,
                f"{self.public_url}status.json answers HTTP {answer.status}",
            )
        return answer.body.decode("utf-8", errors="replace")

    def _fetch(self, name: str) -> Answer:
        """`name` as a browser gets it from public_url, past every cache."""
        return fetch_public(f"{self.public_url}{name}?t={time.time_ns()}", HTTP_TIMEOUT_SECONDS)

    def probe(self) -> str:
        line = f"can read: {self.snapshot().summary}"
        if not self.public_url:
            return line + "; no public_url set, so pages cannot be checked"
        answer = self._fetch(SCRIPT)
        status = answer.status
        if status == 404:
            return (
                line + f"; {self.public_url}{SCRIPT} not published yet (`notices embed --publish`)"
            )
        if status >= 400:
            raise http_error(
                status, answer.headers, f"{self.public_url}{SCRIPT} answers HTTP {status}"
            )
        self.snapshot(served=True)
        return line + f"; {self.public_url} serves the script and the current state"


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
