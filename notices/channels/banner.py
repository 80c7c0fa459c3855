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
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from notices.channels.base import (
    Artefacts,
    ChannelContext,
    ChannelOptions,
    Notice,
    Receipt,
    Setting,
)
from notices.channels.published import PublishedFilesChannel
from notices.channels.texts import banner_html, notice_page, status_document
from notices.errors import PermanentChannelError, TransientChannelError
from notices.net.http import Answer, fetch_public, http_error
from notices.publishers import (
    FolderPublisherOptions,
    Publisher,
    PublisherOptions,
    make_publisher,
)

SCRIPT = "notices.js"
SCRIPT_TYPE = "text/javascript; charset=utf-8"
STATUS = "status.json"
STATUS_TYPE = "application/json"
# What status.json says while there is no incident. It always exists once the snippet is
# installed (`embed --publish` writes it, `resume` puts it back instead of deleting): a page
# then never asks for a missing file (a console error on every check), and on another origin
# the answer carries the CORS headers an error page may lack.
INACTIVE_STATUS = '{"mode": "normal", "active": false}\n'
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

    site_origins: list[str] = Field(
        default_factory=list,
        description="The origins of the pages that include the snippet, e.g."
        " ['https://www.example.fi']: `notices check` verifies that public_url answers them"
        " with CORS.",
    )

    @field_validator("site_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ValueError(f"{origin!r} is not an origin, e.g. https://www.example.fi")
        return value

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
            "status.json": STATUS_TYPE,
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
    # says the mode is normal. It is not part of a snapshot, but goes in the same write as
    # the state: one round of requests, not two.
    def publish_script(self) -> bool:
        """notices.js, and an inactive status.json where there is none yet."""
        current = self.publisher.read([SCRIPT, STATUS])
        files: dict[str, str | None] = {SCRIPT: banner_script()}
        if current[STATUS] is None:
            files[STATUS] = INACTIVE_STATUS
        return self.publisher.write(files, {SCRIPT: SCRIPT_TYPE, STATUS: STATUS_TYPE}, current)

    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        """What was there before, except that status.json stays: inactive where it was absent."""
        return super().restore(_with_status(setting), current)

    def differences(self, expected: Setting, actual: Setting) -> list[str]:
        return super().differences(_with_status(expected), _with_status(actual))

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

    def _fetch(self, name: str, origin: str | None = None) -> Answer:
        """`name` as a browser gets it from public_url, past every cache (from a page on
        `origin`: a cross-origin request)."""
        return fetch_public(
            f"{self.public_url}{name}?t={time.time_ns()}",
            HTTP_TIMEOUT_SECONDS,
            headers={"Origin": origin} if origin else None,
        )

    def _cors(self) -> str:
        """Check that pages on every other origin may read status.json (else `check` fails),
        and its error answers (a missing file: else a note). A line for `check`."""
        assert isinstance(self.options, BannerOptions) and self.public_url
        if not self.options.site_origins:
            return "; set site_origins to check that pages on another origin may read it"
        own = _origin(self.public_url)
        others = [o.rstrip("/") for o in self.options.site_origins if o.rstrip("/") != own]
        notes = []
        for origin in others:
            allowed = self._allowed(STATUS, origin)
            if allowed not in (origin, "*"):
                raise PermanentChannelError(
                    f"{self.public_url}{STATUS} does not let pages on {origin} read it"
                    f" (Access-Control-Allow-Origin: {allowed or 'missing'}): the banner would"
                    " not appear there, nor go after resume. Add the CORS rule of"
                    " docs/website.md for that origin"
                )
            if self._allowed(f"notices-check-{time.time_ns()}.json", origin) not in (origin, "*"):
                notes.append(
                    f"; its error answers (a missing file) carry no CORS header for {origin}:"
                    " should status.json ever go missing, pages there keep the last state"
                    " until it expires"
                )
        if not others:
            return "; same origin as every site_origins"
        return f"; CORS lets {', '.join(others)} read it" + "".join(notes)

    def _allowed(self, name: str, origin: str) -> str | None:
        """The Access-Control-Allow-Origin that a page on `origin` gets with `name`."""
        return _header(self._fetch(name, origin).headers, "Access-Control-Allow-Origin")

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
        return line + f"; {self.public_url} serves the script and the current state" + self._cors()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _with_status(setting: Setting) -> Setting:
    """`setting` with an absent status.json read as the inactive one `restore` writes."""
    files = setting.data.get("files")
    if not isinstance(files, dict) or files.get(STATUS) is not None:
        return setting
    return Setting({**setting.data, "files": {**files, STATUS: INACTIVE_STATUS}}, setting.summary)


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
