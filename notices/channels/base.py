"""The channel contract: what every provider module implements.

A channel never touches the log or the screen. It describes itself (secrets masked),
turns rendered texts into the exact artefacts it will publish (a pure step, run before
anything is switched), reads what the provider serves now, switches, restores and reads
back. It raises TransientChannelError / PermanentChannelError; the orchestrator retries,
logs and reports.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from notices.evidence.contacts import Contact

Medium = Literal["ivr", "banner", "email"]


class ChannelOptions(BaseModel):
    """Base of each channel kind's options; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class RenderedText:
    """One language's text for one medium, as the templates rendered it."""

    lang: str
    body: str
    subject: str | None = None
    page: str | None = None  # banner: this language's section of the notice page (HTML)


@dataclass(frozen=True)
class Notice:
    """Everything a channel needs to publish one mode's notice."""

    mode: str
    medium: Medium
    texts: tuple[RenderedText, ...]
    title: dict[str, str]
    started: str  # UTC RFC 3339
    expected_return: str | None  # UTC RFC 3339
    timezone: str
    organisation: str | None


def fingerprint(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Setting:
    """What a provider serves at one moment, in a form that can be stored and put back.

    `data` is JSON, opaque to everyone but the channel that made it; `summary` is a line for
    people.
    """

    data: dict[str, Any]
    summary: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.data)

    def to_json(self) -> dict[str, Any]:
        return {"data": self.data, "summary": self.summary}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Setting:
        return cls(data=value["data"], summary=value["summary"])


@dataclass(frozen=True)
class Artefacts:
    """The exact texts a channel will publish, by name (e.g. `greeting.xml`)."""

    files: dict[str, str]
    content_types: dict[str, str] = field(default_factory=dict)

    def digests(self) -> dict[str, str]:
        return {
            name: hashlib.sha256(text.encode("utf-8")).hexdigest()
            for name, text in self.files.items()
        }


@dataclass(frozen=True)
class Receipt:
    """What the provider confirmed after a change. No read-back: the orchestrator's own
    verify step reads back, so a read that fails cannot hide a change that was made."""

    changed: bool
    confirmation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelContext:
    """What a channel may know of its surroundings."""

    home: Path
    name: str


class Channel(ABC):
    kind: ClassVar[str]
    medium: ClassVar[Medium]
    Options: ClassVar[type[ChannelOptions]] = ChannelOptions
    # True when what the channel publishes ends by itself at the expected return, even if
    # no resume ever runs (a provider-side end time, a Sieve date test, the banner's expiry).
    self_expiring: ClassVar[bool] = False

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        self.options = options
        self.context = context

    @property
    def name(self) -> str:
        return self.context.name

    @abstractmethod
    def identity(self) -> str:
        """A stable identity of the target (account + number, mailbox, site): keys snapshots."""

    def describe(self) -> str:
        """A line for people, logs and exports. Never holds a secret."""
        return f"{self.kind} {self.identity()}"

    @abstractmethod
    def build(self, notice: Notice) -> Artefacts:
        """Turn rendered texts into the artefacts to publish. Pure: touches nothing."""

    @abstractmethod
    def snapshot(self) -> Setting:
        """What the provider serves now."""

    @abstractmethod
    def apply(self, artefacts: Artefacts) -> Receipt:
        """Switch to the artefacts. Applying the same artefacts twice changes nothing.
        Does not read back (that is `verify`)."""

    @abstractmethod
    def restore(self, setting: Setting) -> Receipt:
        """Put back exactly a setting that `snapshot` returned."""

    @abstractmethod
    def verify(self) -> Setting:
        """Read back what the provider serves now (same as snapshot, named for its purpose)."""

    @abstractmethod
    def expected(self, artefacts: Artefacts) -> Setting:
        """The setting the provider should serve once `artefacts` are applied."""

    def public(self, setting: Setting) -> Setting:
        """The setting as it may be logged, shown and exported: secrets a provider keeps in
        it (credentials inside a customer's webhook URL, say) masked. The raw setting is
        kept only in the snapshots table, so restore stays exact."""
        return setting

    def prepare(self) -> None:  # noqa: B027 - optional hook
        """Get ready to switch at once: sign in and read what `apply`/`restore` will need, so
        that their first request is the switching one. The orchestrator calls it (or
        `snapshot`, which may serve the same purpose) just before, and lets every channel
        switch together once all are ready."""

    def probe(self) -> str:
        """Check, without changing anything, that a switch would work: credentials, targets,
        publish locations. Returns a line for people; raises ChannelError when it would fail.
        The default reads the current setting; providers add what else they can check."""
        return f"can read: {self.snapshot().summary}"

    def contacts(self, since: str, until: str) -> list[Contact] | None:
        """Contacts the provider recorded between two UTC RFC 3339 times, or None where the
        provider keeps no such record (the report then says so)."""
        return None

    def holds(self, expected: Setting, actual: Setting) -> bool:
        """Whether `actual` (read back) is `expected`. Channels may compare less strictly."""
        return expected.fingerprint == actual.fingerprint

    def credential_variables(self) -> dict[str, str]:
        """The environment variables this channel reads its secrets from, keyed by the
        option that names each (e.g. `publisher.password_env`): every `*_env` option set.
        Checked before a switch; their values are masked in every error text."""
        found: dict[str, str] = {}

        def walk(model: BaseModel, prefix: str) -> None:
            for key in type(model).model_fields:
                value = getattr(model, key)
                if isinstance(value, BaseModel):
                    walk(value, f"{prefix}{key}.")
                elif key.endswith("_env") and isinstance(value, str) and value:
                    found[f"{prefix}{key}"] = value

        walk(self.options, "")
        return found

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


__all__ = [
    "Artefacts",
    "Channel",
    "ChannelContext",
    "ChannelOptions",
    "Contact",
    "Medium",
    "Notice",
    "Receipt",
    "RenderedText",
    "Setting",
    "fingerprint",
]
