"""The publisher contract: read and atomically replace a few named files."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar


class Publisher(ABC):
    # The modules this publisher's client needs, imported ahead by `Channel.clients`.
    sdk: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def identity(self) -> str:
        """Where the files go (host and path, bucket and prefix): no secrets."""

    @abstractmethod
    def read(self, names: list[str]) -> dict[str, str | None]:
        """The current text of each file, or None where it is absent."""

    @abstractmethod
    def write(
        self,
        files: dict[str, str | None],
        content_types: dict[str, str],
        current: dict[str, str | None] | None = None,
    ) -> bool:
        """Make each named file hold exactly its text (None: absent), each write atomic.

        Files whose content is already right are not touched. Returns whether anything changed.
        `current`: what the caller read of these files just now; spares reading them again.
        """

    def warm(self) -> None:  # noqa: B027 - optional hook
        """Make the client ahead, touching nothing and sending nothing (`serve`, every
        minute: Channel.prepare). Default: nothing to make."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def known_or_read(
    publisher: Publisher, files: dict[str, str | None], current: dict[str, str | None] | None
) -> dict[str, str | None]:
    """`current` when it covers every file to write, else a fresh read."""
    if current is not None and all(name in current for name in files):
        return current
    return publisher.read(list(files))


CONTENT_TYPES = {
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xml": "text/xml; charset=utf-8",
    ".sieve": "application/sieve; charset=utf-8",
}


def content_type_for(name: str, given: dict[str, str]) -> str:
    """The content type to serve `name` with: the channel's, else one from the extension."""
    if name in given:
        return given[name]
    suffix = name[name.rfind(".") :] if "." in name else ""
    return CONTENT_TYPES.get(suffix, "text/plain; charset=utf-8")


def decode_text(data: bytes, where: str) -> str:
    from notices.errors import PermanentChannelError

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PermanentChannelError(
            f"{where} is not UTF-8 text: notices will not overwrite a file it cannot put back"
        ) from None
