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

from notices.errors import ConfigError
from notices.paths import RESERVED_NAMES, is_mode_name

LANGUAGE_PATTERN = r"^[a-z]{2}$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organisation(StrictModel):
    name: str | None = Field(default=None, description="Shown in every notice.")
    alternative_contact: str | None = Field(
        default=None, description="Where customers can turn meanwhile (phone, email, web)."
    )


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


E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
SMS_COMMANDS = ("resume", "status")
DEFAULT_SMS_KEYWORDS: dict[str, dict[str, str]] = {
    "evacuate": {"fi": "EVAKUOI", "sv": "UTRYM", "en": "EVACUATE"},
    "power-out": {"fi": "SÄHKÖKATKO", "sv": "STRÖMAVBROTT", "en": "POWER-OUT"},
    "resume": {"fi": "PALAA", "sv": "ÅTERGÅ", "en": "RESUME"},
    "status": {"fi": "TILA", "en": "STATUS"},
}


def fold_keyword(word: str) -> str:
    """How a texted keyword is compared: upper case, without accents (SAHKOKATKO matches)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word.strip().upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class StaffMember(StrictModel):
    name: str = Field(min_length=1, description="Logged as the actor of what they trigger.")
    number: str = Field(description="Their own mobile number, E.164 (+358...).")
    pin_env: str | None = Field(
        default=None, description="Environment variable holding their PIN (4-8 digits)."
    )
    language: str | None = Field(
        default=None, description="Language of replies when a keyword is the same in several."
    )

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not E164.match(value):
            raise ValueError(f"{value!r} is not an E.164 number such as '+358401234567'")
        return value


DEFAULT_VOICE_DIGITS = {"1": "evacuate", "2": "power-out", "9": "resume", "0": "status"}


class SmsVoiceConfig(StrictModel):
    """`[sms.voice]`: staff call a private Twilio number and key in mode and PIN."""

    enabled: bool = False
    number: str | None = Field(
        default=None,
        description="The private Twilio number staff call, E.164: its voice webhook is"
        " PUBLIC_URL/_notices/voice. Never a number a phone channel switches.",
    )
    digits: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_VOICE_DIGITS),
        description="The key pressed for each mode or command (resume, status).",
    )
    ask_hours: bool = Field(
        default=True, description="After a mode, ask hours until the automatic resume (--for)."
    )
    voices: dict[str, str] = Field(
        default_factory=dict,
        description="Text-to-speech voice per language, e.g. fi = 'Google.fi-FI-Standard-B';"
        " a language not named here has its default (notices/voices.toml).",
    )

    @field_validator("voices")
    @classmethod
    def _voices_speak(cls, value: dict[str, str]) -> dict[str, str]:
        from notices.voices import check_voices

        return check_voices(value)

    @field_validator("number")
    @classmethod
    def _number(cls, value: str | None) -> str | None:
        if value is not None and not E164.match(value):
            raise ValueError(f"{value!r} is not an E.164 number such as '+358401234567'")
        return value

    @field_validator("digits")
    @classmethod
    def _digits(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(r"[0-9]", key):
                raise ValueError(f"digits: {key!r} is not one key from 0 to 9")
        return value

    @model_validator(mode="after")
    def _complete(self) -> SmsVoiceConfig:
        if self.enabled and self.number is None:
            raise ValueError("with enabled = true, set number (the private staff line)")
        return self


class SmsConfig(StrictModel):
    """`[sms]`: authorised staff switch by SMS through `notices serve` (docs/sms.md)."""

    enabled: bool = False
    public_url: str | None = Field(
        default=None,
        description="The base URL Twilio calls serve at (behind the HTTPS proxy), e.g."
        " https://notices.example.fi: the SMS webhook is PUBLIC_URL/_notices/sms.",
    )
    number: str | None = Field(default=None, description="The Twilio number staff text, E.164.")
    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"  # noqa: S105 - a variable's name, not a secret
    api_base: str | None = Field(default=None, description="Another API 2010 base URL (tests).")
    staff: list[StaffMember] = Field(default_factory=list)
    keywords: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Keyword per command and language (over the defaults)."
    )
    code_lifetime_s: float = Field(default=300, gt=0, le=3600)
    code_attempts: int = Field(default=3, ge=1, le=10, description="Wrong codes before it dies.")
    max_failures_per_sender: int = Field(default=5, ge=1)
    max_failures_total: int = Field(default=30, ge=1)
    failure_window_s: float = Field(default=900, gt=0)
    voice: SmsVoiceConfig = Field(
        default_factory=SmsVoiceConfig, description="Calling a private staff line instead."
    )

    @field_validator("number")
    @classmethod
    def _number(cls, value: str | None) -> str | None:
        if value is not None and not E164.match(value):
            raise ValueError(f"{value!r} is not an E.164 number such as '+358401234567'")
        return value

    @field_validator("public_url", "api_base")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("staff")
    @classmethod
    def _unique_staff(cls, value: list[StaffMember]) -> list[StaffMember]:
        numbers = [member.number for member in value]
        if len(set(numbers)) != len(numbers):
            raise ValueError("a staff number is listed twice")
        return value

    @model_validator(mode="after")
    def _complete(self) -> SmsConfig:
        if self.enabled:
            missing = [k for k in ("public_url", "number") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"with enabled = true, set {' and '.join(missing)}")
            if not self.staff:
                raise ValueError("with enabled = true, list at least one [[sms.staff]]")
        if self.voice.enabled and not self.enabled:
            raise ValueError("[sms.voice] needs [sms] enabled (its URL, token and staff)")
        words: dict[str, str] = {}
        for command, by_lang in self.all_keywords().items():
            for word in by_lang.values():
                folded = fold_keyword(word)
                if not re.fullmatch(r"[A-Z0-9-]+", folded):
                    raise ValueError(f"keyword {word!r}: one word of letters, digits and '-'")
                if words.setdefault(folded, command) != command:
                    raise ValueError(
                        f"keyword {word!r} stands for both {words[folded]} and {command}"
                    )
        return self

    def all_keywords(self) -> dict[str, dict[str, str]]:
        merged = {command: dict(words) for command, words in DEFAULT_SMS_KEYWORDS.items()}
        for command, words in self.keywords.items():
            merged.setdefault(command, {}).update(words)
        return merged


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
    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (None: the embedded default)."""
        return self._source

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
    text = decode_config(path, raw)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, text, exc)) from None
    if config.templates is not None and not config.templates.is_absolute():
        config = config.model_copy(update={"templates": (path.parent / config.templates)})
    config._source = path
    return config


def decode_config(path: Path, raw: bytes) -> str:
    """The file's text; a file that is not UTF-8 is an error naming the line and byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}, line {line}, column {column}: the configuration is not UTF-8 text"
            f" (byte 0x{raw[exc.start]:02x}; an editor saved it in another encoding, such"
            " as Latin-1 or Windows-1252). Save it as UTF-8, then run the command again."
        ) from None


def describe_validation_error(
    source: Path, text: str, exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> str:
    return _describe(source, text, exc, prefix)


def _describe(
    source: Path, text: str, exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> str:
    lines = [f"{source}: the configuration is not valid:"]
    for error in exc.errors():
        loc = prefix + tuple(error["loc"])
        dotted = ".".join(str(part) for part in loc) or "(top level)"
        line = locate_key(text, loc)
        where = f" (line {line})" if line else ""
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {dotted}{where}: {message}")
    return "\n".join(lines)


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_dotted(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def locate_key(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The line number in a TOML text where the key at `loc` is written, if it can be found."""
    wanted = [str(part) for part in loc if not isinstance(part, int)]
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched length, line)
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(raw)
        if header:
            table = _split_dotted(header.group(1))
            path = table
        else:
            key = _KEY.match(raw)
            if not key:
                continue
            path = table + _split_dotted(key.group(1))
        matched = 0
        for have, want in zip(path, wanted, strict=False):
            if have != want:
                break
            matched += 1
        if matched == len(path) and matched and (best is None or matched > best[0]):
            best = (matched, number)
    return best[1] if best else None
