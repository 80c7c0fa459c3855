"""`banner`: the website banner, published where the site lives.

The same files as `local_banner` (status.json, banner.html, notice.html and the permanent
notices.js), written through a publisher chosen in notices.toml (`folder`, `sftp`, `s3`).
`public_url` is where a browser finds them: `notices embed` prints the snippet with it, and
the read-back checks that the URL really serves what was published.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pydantic import Field, field_validator

from notices.channels.base import (
    Artefacts,
    ChannelContext,
    ChannelOptions,
    Notice,
    Receipt,
    Setting,
)
from notices.channels.local import (
    PublishedFilesChannel,
    banner_artefacts,
    banner_script,
    files_setting,
)
from notices.errors import PermanentChannelError, TransientChannelError
from notices.publishers import FolderPublisherOptions, PublisherOptions, make_publisher

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


def fetch(url: str) -> tuple[int, bytes]:
    """GET `url` past every cache; (status, body). 4xx/5xx are answers, not exceptions.
    The whole answer must arrive within the time-out, however slowly it trickles."""
    from notices.channels.network import within

    return within(HTTP_TIMEOUT_SECONDS, lambda: _fetch(url), f"{url} did not answer")


def _fetch(url: str) -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - public_url is validated as http(s)
        url, headers={"Cache-Control": "no-cache", "User-Agent": "notices"}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        from urllib.parse import urlsplit

        from notices.channels.network import plain

        reason = plain(exc, urlsplit(url).hostname, HTTP_TIMEOUT_SECONDS)
        raise TransientChannelError(f"{url} is unreachable: {reason}") from exc


class Banner(PublishedFilesChannel):
    kind = "banner"
    medium = "banner"
    self_expiring = True  # status.json carries `expires`; notices.js hides the banner after it
    Options = BannerOptions
    filenames = ("status.json", "banner.html", "notice.html")

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, BannerOptions)
        self.public_url = options.public_url
        self.publisher = make_publisher(options.publisher, context.home)

    def describe(self) -> str:
        served = f" (served at {self.public_url})" if self.public_url else ""
        return f"{self.kind} {self.identity()}{served}"

    def build(self, notice: Notice) -> Artefacts:
        return banner_artefacts(notice)

    # notices.js is permanent: pages include it once, and it shows nothing while status.json
    # is absent or says the mode is normal. It is not part of a snapshot.
    def publish_script(self) -> bool:
        return self.publisher.write({SCRIPT: banner_script()}, {SCRIPT: SCRIPT_TYPE})

    # The script goes in the same write as the state: one round of requests, not two.
    def apply(self, artefacts: Artefacts) -> Receipt:
        files = self.expected(artefacts).data["files"]
        return self._publish(files, artefacts.content_types)

    def restore(self, setting: Setting) -> Receipt:
        saved: dict[str, str | None] = setting.data["files"]
        return self._publish({name: saved.get(name) for name in self.filenames}, {})

    def _read_names(self) -> list[str]:
        return [*self.filenames, SCRIPT]

    def _publish(self, files: dict[str, str | None], content_types: dict[str, str]) -> Receipt:
        changed = self.publisher.write(
            {SCRIPT: banner_script(), **files},
            {SCRIPT: SCRIPT_TYPE, **content_types},
            self._take_fresh(),
        )
        return Receipt(files_setting(files), changed, {"published": self.publisher.identity()})

    def verify(self) -> Setting:
        setting = super().verify()
        if self.public_url:
            published = setting.data["files"]["status.json"]
            served = self._served_status()
            if _parsed(served) != _parsed(published):
                raise TransientChannelError(
                    f"{self.public_url}status.json does not serve what was published to"
                    f" {self.identity()} (a cache in front of it, or public_url points"
                    " elsewhere): pages would not show the change"
                )
        return setting

    def _served_status(self) -> str | None:
        status, body = fetch(f"{self.public_url}status.json?t={time.time_ns()}")
        if status in (403, 404, 410):  # a bucket answers 403 for a missing object
            return None
        if status >= 400:
            raise TransientChannelError(f"{self.public_url}status.json answers HTTP {status}")
        return body.decode("utf-8", errors="replace")

    def probe(self) -> str:
        line = f"can read: {self.snapshot().summary}"
        if not self.public_url:
            return line + "; no public_url set, so pages cannot be checked"
        status, _ = fetch(f"{self.public_url}{SCRIPT}?t={time.time_ns()}")
        if status == 404:
            return (
                line + f"; {self.public_url}{SCRIPT} not published yet (`notices embed --publish`)"
            )
        if status >= 400:
            raise PermanentChannelError(f"{self.public_url}{SCRIPT} answers HTTP {status}")
        self.verify()
        return line + f"; {self.public_url} serves the script and the current state"


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
