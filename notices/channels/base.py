"""The channel contract: what every provider module implements, drawn here and only here.

A provider is one module (a `Channel` subclass and its options model) and one test file.
It writes five methods and may refine four more; everything else is derived, here or in
the orchestrator (the only caller of channels), and no provider overrides it (a test checks).

    identity() -> str                 the target, from the configuration only: keys the
                                      snapshot that `resume` puts back
    build(notice) -> Artefacts        the exact texts to publish; pure, touches nothing.
                                      `Artefacts.expected`: the setting the provider then
                                      serves (left out: exactly these files)
    snapshot(served=False) -> Setting what the provider serves now: all `restore` needs.
                                      `served` (read-back, `status`): where the public gets
                                      the state through a URL, check that URL too
    apply(artefacts, current) -> Receipt    switch; twice changes nothing; no read-back
    restore(setting, current) -> Receipt    put back exactly what `snapshot` returned
  may write (each has a default):
    contacts(since, until)            what the provider recorded (default None: keeps none)
    differences(expected, actual)     a read-back against what should be served: one line
                                      per difference, none when it holds (default:
                                      fingerprints compared); refine where the provider
                                      rewrites what it stores, or can say which part differs
    probe() -> str                    `notices check` (default: the setting can be read)
    warm()                            sign in ahead, for `serve` (default: nothing)

What the orchestrator does with them, for every switch or resume:

    build every channel's artefacts (nothing touched yet)
    -> per channel, at once: snapshot (stored before the channel is touched, the first
       time; later only a head start) -> wait until every channel has read (the Gate,
       at most 2 s) -> apply / restore, given that read as `current` (None on a retry:
       the provider reads) -> snapshot(served=True), the read-back -> differences -> log

Derived, never written by a provider: `holds` (no differences), `clients` (the modules
of `sdk` and of what it owns, imported ahead: `import_clients`), `prepare` (`serve`'s
warm-up: imports, the clients it owns made, then `warm`), `describe` (kind, identity,
the options named in `described`, where the secrets come from), `public` (every URL in a
setting masked with `mask_url`), `credential_variables` (every `*_env` option set, less
one the options' `replaced_by` says is not read), `expected` (from the artefacts) and
`close` (whatever was given to `own`). Starting points for common shapes:
`published.PublishedFilesChannel` (files through a publisher) and
`mailboxes.MailboxesChannel` (a setting per mailbox).

A channel never touches the log or the screen. It raises TransientChannelError (retried)
or PermanentChannelError; the orchestrator retries, logs and reports.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from notices.evidence.contact import Contact
from notices.masking import mask_url

Medium = Literal["ivr", "banner", "email"]
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


class ChannelOptions(BaseModel):
    """Base of each channel kind's options; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # `*_env` options not read when another option is set: {"auth_token_env": "api_key_sid_env"}.
    replaced_by: ClassVar[dict[str, str]] = {}


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
    # What the read found besides the setting that the change right after it needs (the
    # banner's permanent script): handed on as `current`, never stored, logged or compared.
    aside: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.data)

    def to_json(self) -> dict[str, Any]:
        return {"data": self.data, "summary": self.summary}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Setting:
        return cls(data=value["data"], summary=value["summary"])


def files_setting(files: dict[str, str | None]) -> Setting:
    """A provider that serves a few files: their texts (None: absent)."""
    present = sorted(name for name, text in files.items() if text is not None)
    summary = ", ".join(present) if present else "no files"
    return Setting(data={"files": files}, summary=summary)


@dataclass(frozen=True)
class Artefacts:
    """The exact texts a channel will publish, by name (e.g. `greeting.xml`), and the setting
    the provider serves once they are applied (None: exactly these files)."""

    files: dict[str, str]
    content_types: dict[str, str] = field(default_factory=dict)
    expected: Setting | None = None

    def digests(self) -> dict[str, str]:
        return {
            name: hashlib.sha256(text.encode("utf-8")).hexdigest()
            for name, text in self.files.items()
        }


@dataclass(frozen=True)
class Receipt:
    """What the provider confirmed after a change. No read-back: the orchestrator's own
    read-back step reads, so a read that fails cannot hide a change that was made."""

    changed: bool
    confirmation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelContext:
    """What a channel may know of its surroundings."""

    home: Path
    name: str
    # The configured languages, first first: a phone channel publishes one document each.
    languages: tuple[str, ...] = ("fi", "sv", "en")


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class Channel(ABC):
    kind: ClassVar[str]
    medium: ClassVar[Medium]
    Options: ClassVar[type[ChannelOptions]] = ChannelOptions
    # True when what the channel publishes ends by itself at the expected return, even if
    # no resume ever runs (a provider-side end time, a Sieve date test, the banner's expiry).
    self_expiring: ClassVar[bool] = False
    # The modules of the provider's SDK (imported when first needed: see `clients`).
    sdk: ClassVar[tuple[str, ...]] = ()
    # Round trips a new client makes before its first read (signing in): a cold command
    # imports the SDKs of the channels with the most first, so that their reads leave first.
    sign_in_round_trips: ClassVar[int] = 0
    # Options shown by `describe` after the identity, e.g. ("public_url",).
    described: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        self.options = options
        self.context = context
        self._owned: list[Closable] = []

    @property
    def name(self) -> str:
        return self.context.name

    # -- written by each provider (see the module's docstring) ---------------------------

    @abstractmethod
    def identity(self) -> str:
        """A stable identity of the target, from the configuration only: keys snapshots."""

    @abstractmethod
    def build(self, notice: Notice) -> Artefacts:
        """Turn rendered texts into the artefacts to publish. Pure: touches nothing."""

    @abstractmethod
    def snapshot(self, served: bool = False) -> Setting:
        """What the provider serves now. `served` (the read-back, `status`): also check what
        the public gets where a URL serves the state."""

    @abstractmethod
    def apply(self, artefacts: Artefacts, current: Setting | None = None) -> Receipt:
        """Switch to the artefacts; twice changes nothing. `current`: read just before."""

    @abstractmethod
    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        """Put back exactly a setting that `snapshot` returned. `current`: read just before."""

    def contacts(self, since: str, until: str) -> list[Contact] | None:
        """Contacts the provider recorded between two UTC RFC 3339 times, or None where the
        provider keeps no such record (the report then says so)."""
        return None

    def differences(self, expected: Setting, actual: Setting) -> list[str]:
        """Where `actual` (read back) is not `expected`, one line each (which target, which
        field holds what); none when it holds. URLs in them are masked by the caller. The
        default compares fingerprints; refine where the provider rewrites what it stores."""
        if expected.fingerprint == actual.fingerprint:
            return []
        return [f"reads back {actual.summary}, not {expected.summary}"]

    def probe(self) -> str:
        """Check, without changing anything, that a switch would work: credentials, targets,
        publish locations. Returns a line for people; raises ChannelError when it would fail.
        The default reads the current setting; providers may add what else they can check."""
        return f"can read: {self.snapshot().summary}"

    def clients(self) -> tuple[str, ...]:
        """The modules this channel's provider clients need (its own `sdk` and its
        publisher's): a command imports them in the background while it reads its
        configuration and renders, instead of on the switch's critical path."""
        owned = (getattr(resource, "sdk", ()) for resource in self._owned)
        return (*self.sdk, *(module for modules in owned for module in modules))

    def warm(self) -> None:  # noqa: B027 - optional: most channels have nothing to warm
        """Sign in and connect ahead of a command, touching nothing (`serve` calls it every
        minute on the channels it keeps, through `prepare`): tokens are fetched, or
        refreshed before they expire, off the critical path. The default does nothing."""

    # -- derived ---------------------------------------------------------------------------

    def import_clients(self) -> None:
        """Import the modules of `clients` now (a cold command's head start, `prepare`)."""
        for module in self.clients():
            importlib.import_module(module)

    def prepare(self) -> None:
        """Everything ahead of a command, touching nothing (`serve`, every minute): the SDK
        imported, every client this channel owns made (a publisher's `warm`), then the
        provider's own `warm` (signing in)."""
        self.import_clients()
        for resource in self._owned:
            made = getattr(resource, "warm", None)
            if made is not None:
                made()
        self.warm()

    def holds(self, expected: Setting, actual: Setting) -> bool:
        """Whether `actual` (read back) is `expected`: no differences."""
        return not self.differences(expected, actual)

    def expected(self, artefacts: Artefacts) -> Setting:
        """The setting the provider should serve once `artefacts` are applied."""
        return artefacts.expected or files_setting(dict(artefacts.files))

    def describe(self) -> str:
        """A line for people, logs and exports. Never holds a secret."""
        parts = []
        for option in self.described:
            value = getattr(self.options, option)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "on" if value else "off"
            shown = mask_url(value) if isinstance(value, str) and URL.match(value) else value
            parts.append(f"{option.replace('_', ' ')} {shown}")
        variables = sorted(set(self.credential_variables().values()))
        if variables:
            parts.append("secrets from " + ", ".join(f"${v}" for v in variables))
        details = f" ({'; '.join(parts)})" if parts else ""
        return f"{self.kind} {self.identity()}{details}"

    def public(self, setting: Setting) -> Setting:
        """The setting as it may be logged, shown and exported: every URL in it (a customer's
        webhook, say, with credentials inside) masked. The raw setting is kept only in the
        snapshots table, so restore stays exact."""
        summary = setting.summary

        def mask(value: Any) -> Any:
            nonlocal summary
            if isinstance(value, dict):
                return {key: mask(item) for key, item in value.items()}
            if isinstance(value, list):
                return [mask(item) for item in value]
            if isinstance(value, str) and URL.match(value):
                masked = mask_url(value)
                summary = summary.replace(value, masked)
                return masked
            return value

        return Setting(data=mask(setting.data), summary=summary)

    def credential_variables(self) -> dict[str, str]:
        """The environment variables this channel reads its secrets from, keyed by the
        option that names each (e.g. `publisher.password_env`): every `*_env` option set,
        less one its options' `replaced_by` says is not read. Checked before a switch; their
        values are masked in every error text."""
        found: dict[str, str] = {}

        def walk(model: BaseModel, prefix: str) -> None:
            replaced = getattr(type(model), "replaced_by", {})
            for key in type(model).model_fields:
                value = getattr(model, key)
                if isinstance(value, BaseModel):
                    walk(value, f"{prefix}{key}.")
                elif key.endswith("_env") and isinstance(value, str) and value:
                    unread = key in replaced and getattr(model, replaced[key])
                    found.update({} if unread else {f"{prefix}{key}": value})

        walk(self.options, "")
        return found

    def own(self, resource: C) -> C:
        """Register something `close` must close (a publisher, an HTTP client)."""
        self._owned.append(resource)
        return resource

    def close(self) -> None:
        """Release what the channel owns."""
        owned, self._owned = self._owned, []
        for resource in owned:
            resource.close()


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
    "files_setting",
    "fingerprint",
]
