"""Publishers: where published files live (a folder, an SFTP host, an S3 bucket).

Channels that publish static files (the banner, the TwiML greeting) write through a
publisher, chosen in notices.toml by `type`. Each write is atomic (temporary name, then
rename), so a visitor or Twilio never reads half a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from notices.publishers.base import Publisher
from notices.publishers.folder import FolderPublisher, FolderPublisherOptions
from notices.publishers.s3 import S3PublisherOptions
from notices.publishers.sftp import SftpPublisherOptions

# Add a publisher: its options model (with a `type` literal) here, and a branch in `make`.
PublisherOptions = Annotated[
    FolderPublisherOptions | SftpPublisherOptions | S3PublisherOptions,
    Field(discriminator="type"),
]


def make_publisher(options: PublisherOptions, home: Path) -> Publisher:
    if isinstance(options, FolderPublisherOptions):
        return FolderPublisher(options, home)
    if isinstance(options, SftpPublisherOptions):
        from notices.publishers.sftp import SftpPublisher

        return SftpPublisher(options, home)
    if isinstance(options, S3PublisherOptions):
        from notices.publishers.s3 import S3Publisher

        return S3Publisher(options, home)
    raise TypeError(f"no publisher for {options!r}")  # pragma: no cover - union is exhaustive


__all__ = [
    "FolderPublisher",
    "FolderPublisherOptions",
    "Publisher",
    "PublisherOptions",
    "S3PublisherOptions",
    "SftpPublisherOptions",
    "make_publisher",
]
