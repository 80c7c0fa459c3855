"""The configuration: pydantic models of `notices.toml`, and where to find it.

Secrets never live here: a channel's options name the environment variable that holds
a secret (`*_env` keys), and the channel reads it when it connects.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from notices.config.base import LANGUAGE_PATTERN, StrictModel
from notices.config.source import (
    MAX_CONFIG_BYTES,
    MAX_CONFIG_DEPTH,
    check_nesting,
    decode_config,
    describe_parts,
    describe_validation_error,
    locate_key,
)
from notices.config.staff import (
    DEFAULT_SMS_KEYWORDS,
    DEFAULT_VOICE_DIGITS,
    SMS_COMMANDS,
    SmsConfig,
    SmsVoiceConfig,
    StaffMember,
    fold_keyword,
)
from notices.config.store import StoreConfig
from notices.errors import ConfigError
from notices.paths import RESERVED_NAMES, is_mode_name


class ContactParts(StrictModel):
    """Where customers can turn meanwhile, in parts each channel renders its own way: a
    link on the web, the number on the phone."""

    phone: str | None = Field(default=None, description="A phone number, e.g. +358 9 123 4567.")
    email: str | None = Field(default=None, description="An email address.")
    web: str | None = Field(default=None, description="A web address.")
    text: str | None = Field(default=None, description="Anything else, shown as written.")

    def as_text(self) -> str:
        return " / ".join(part for part in (self.phone, self.email, self.web, self.text) if part)

    @property
    def phone_href(self) -> str | None:
        """`tel:+35891234567`: the number without spaces, dashes or brackets."""
        if not self.phone:
            return None
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")

    @property
    def email_href(self) -> str | None:
        return f"mailto:{self.email}" if self.email else None

    @property
    def web_href(self) -> str | None:
        if not self.web:
            return None
        return self.web if "://" in self.web else f"https://{self.web}"


Contact = str | ContactParts


class Organisation(StrictModel):
    name: str | None = Field(default=None, description="Shown in every notice.")
    alternative_contact: Contact | dict[str, Contact] | None = Field(
        default=None,
        description="Where customers can turn meanwhile: a text, a table of parts (phone,"
        " email, web, text), or a table of either per language (fi, sv, en).",
    )

    @field_validator("alternative_contact", mode="before")
    @classmethod
    def _parts_or_languages(cls, value: Any) -> Any:
        """A table with phone/email/web/text keys is the parts; other keys are languages."""
        if isinstance(value, dict) and set(value) <= set(ContactParts.model_fields):
            return ContactParts.model_validate(value)
        return value

    def contact(self, lang: str) -> ContactParts | None:
        """The alternative contact for `lang`, in parts (a plain text is `text`)."""
        value = self.alternative_contact
        if isinstance(value, dict):
            value = value.get(lang)
        if isinstance(value, str):
            return ContactParts(text=value) if value.strip() else None
        return value


class ModeConfig(StrictModel):
    """A mode of exception. `evacuate` and `power-out` are built in; others may be added."""

    title: dict[str, str] = Field(default_factory=dict, description="Short headline per language.")
    default_reason: dict[str, str] = Field(
        default_factory=dict, description="What happened, per language, when --reason is not given."
    )


class RetryConfig(StrictModel):
    """How a provider's temporary failures (time-outs, 429, 5xx) are retried."""

    attempts: int = Field(default=3, ge=1, le=10, description="Tries per step, the first included.")
    wait_s: float = Field(
        default=0.5, ge=0, le=60, description="Wait before the first retry; doubles each time."
    )
    max_wait_s: float = Field(
        default=30.0, ge=0, le=300, description="Longest single wait, a Retry-After included."
    )


BUILTIN_MODE_NAMES = ("evacuate", "power-out")


@cache
def builtin_modes() -> Mapping[str, ModeConfig]:
    """The built-in modes, their titles and default reasons from notices/locales (every
    language with a file there); a site's `[modes.NAME]` completes or overrides them."""
    from notices import locales

    return MappingProxyType(
        {
            name: ModeConfig(
                title=locales.every_language(f"modes.{name}.title"),
                default_reason=locales.every_language(f"modes.{name}.default_reason"),
            )
            for name in BUILTIN_MODE_NAMES
        }
    )


class ChannelEntry(BaseModel):
    """One `[channels.NAME]` table. `kind` picks the implementation, which validates the rest."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _default_channels() -> dict[str, ChannelEntry]:
    return {
        "phone": ChannelEntry(kind="local_voice"),
        "website": ChannelEntry(kind="local_banner"),
        "mail": ChannelEntry(kind="local_email"),
    }


class EvidenceConfig(StrictModel):
    tsa_url: str | None = Field(
        default=None,
        description="An RFC 3161 timestamping authority: every checkpoint is stamped by it.",
    )
    tsa_ca_file: Path | None = Field(
        default=None,
        description="The authority's CA certificate (PEM): `log verify` checks tokens against it.",
    )
    tsa_timeout_s: float = Field(
        default=5.0, gt=0, description="How long to wait for the authority before stamping later."
    )
    witness: dict[str, Any] | None = Field(
        default=None,
        description="A publisher outside the data folder (folder, sftp, s3) receiving each"
        " checkpoint, append-only; `log verify --witness` compares with it.",
    )


class Config(StrictModel):
    timezone: str = Field(default="Europe/Helsinki", description="Zone for times shown and typed.")
    languages: list[str] = Field(
        default_factory=lambda: ["fi", "sv", "en"],
        min_length=1,
        description="Languages of every notice, in the order they appear.",
    )
    templates: Path | None = Field(
        default=None,
        description="A folder of the site's own templates; they override the built-in ones.",
    )
    organisation: Organisation = Field(default_factory=Organisation)
    modes: dict[str, ModeConfig] = Field(default_factory=dict)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    channels: dict[str, ChannelEntry] = Field(default_factory=_default_channels, min_length=1)
    sms: SmsConfig = Field(default_factory=SmsConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (None: the embedded default)."""
        return self._source

    def source_text(self) -> str:
        """The text of that file, for naming the line of a key ("" when there is none)."""
        if self._source is None:
            return ""
        try:
            return self._source.read_text("utf-8")
        except (OSError, ValueError):
            return ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. 'Europe/Helsinki')") from None
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            if not re.match(LANGUAGE_PATTERN, lang):
                raise ValueError(f"{lang!r} is not a two-letter language code such as 'fi'")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @field_validator("modes")
    @classmethod
    def _mode_names(cls, value: dict[str, ModeConfig]) -> dict[str, ModeConfig]:
        for name in value:
            if not is_mode_name(name):
                raise ValueError(
                    f"{name!r} cannot name a mode: use lower-case letters, digits and '-', "
                    f"and none of {', '.join(sorted(RESERVED_NAMES))}"
                )
        return value

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: dict[str, ChannelEntry]) -> dict[str, ChannelEntry]:
        for name in value:
            if not re.match(r"^[A-Za-z0-9_-]+$", name):
                raise ValueError(f"{name!r} cannot name a channel: use letters, digits, '_', '-'")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @model_validator(mode="after")
    def _contact_languages(self) -> Config:
        contact = self.organisation.alternative_contact
        if isinstance(contact, dict):
            for lang in contact:
                if lang not in self.languages:
                    raise ValueError(
                        f"organisation.alternative_contact.{lang}: not one of the languages"
                        f" ({', '.join(self.languages)}) nor phone, email, web or text"
                    )
        return self

    @model_validator(mode="after")
    def _sms_modes(self) -> Config:
        known = set(self.all_modes()) | set(SMS_COMMANDS)
        for command in self.sms.keywords:
            if command not in known:
                raise ValueError(f"sms.keywords.{command}: no such mode or command")
        for key, command in self.sms.voice.digits.items():
            if command not in known:
                raise ValueError(f"sms.voice.digits.{key}: {command!r} is no mode or command")
        line = self.sms.voice.number
        for name, entry in self.channels.items():
            if line is not None and line in (entry.options().get("numbers") or []):
                raise ValueError(
                    f"sms.voice.number {line} is also switched by channel {name}: an"
                    " evacuation would take the staff line away; use a private number"
                )
        return self

    def all_modes(self) -> dict[str, ModeConfig]:
        """Built-in modes, completed or overridden by the config's own."""
        merged = dict(builtin_modes())
        for name, mode in self.modes.items():
            base = merged.get(name)
            if base is None:
                merged[name] = mode
            else:
                merged[name] = ModeConfig(
                    title={**base.title, **mode.title},
                    default_reason={**base.default_reason, **mode.default_reason},
                )
        return merged


def load_config(path: Path | None) -> Config:
    """Read and validate the config; with no path, the embedded default. Raises ConfigError."""
    if path is None:
        return Config()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration {path}: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: {len(raw):,} bytes is too large for a configuration (at most"
            f" {MAX_CONFIG_BYTES:,}): is it the right file?"
        )
    text = decode_config(path, raw)
    check_nesting(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (RecursionError, ValueError) as exc:  # any other failure of the parser
        raise ConfigError(f"{path}: not valid TOML: {type(exc).__name__}") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_parts(path, text, exc)) from None
    if config.templates is not None and not config.templates.is_absolute():
        config = config.model_copy(update={"templates": (path.parent / config.templates)})
    config._source = path
    return config


__all__ = [
    "DEFAULT_SMS_KEYWORDS",
    "DEFAULT_VOICE_DIGITS",
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "SMS_COMMANDS",
    "ChannelEntry",
    "Config",
    "ContactParts",
    "EvidenceConfig",
    "ModeConfig",
    "Organisation",
    "RetryConfig",
    "SmsConfig",
    "SmsVoiceConfig",
    "StaffMember",
    "StrictModel",
    "builtin_modes",
    "check_nesting",
    "decode_config",
    "describe_validation_error",
    "fold_keyword",
    "load_config",
    "locate_key",
]
