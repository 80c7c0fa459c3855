"""The publisher contract: read and atomically replace a few named files."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Publisher(ABC):
    @abstractmethod
    def identity(self) -> str:
        """Where the files go (host and path, bucket and prefix): no secrets."""

    @abstractmethod
    def read(self, names: list[str]) -> dict[str, str | None]:
        """The current text of each file, or None where it is absent."""

    @abstractmethod
    def write(self, files: dict[str, str | None], content_types: dict[str, str]) -> bool:
        """Make each named file hold exactly its text (None: absent), each write atomic.

        Files whose content is already right are not touched. Returns whether anything changed.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
