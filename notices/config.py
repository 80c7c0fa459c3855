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


E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
SMS_COMMANDS = ("resume", "status", "extend")
DEFAULT_SMS_KEYWORDS: dict[str, dict[str, str]] = {
    "evacuate": {"fi": "EVAKUOI", "sv": "UTRYM", "en": "EVACUATE"},
    "power-out": {"fi": "SÄHKÖKATKO", "sv": "STRÖMAVBROTT", "en": "POWER-OUT"},
    "resume": {"fi": "PALAA", "sv": "ÅTERGÅ", "en": "RESUME"},
    "extend": {"fi": "JATKA", "sv": "FÖRLÄNG", "en": "EXTEND"},
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
    max_failures_total: int = Field(
        default=30,
        ge=1,
        description="Refusals logged per window from unknown numbers, unsigned requests and"
        " replays, each kind together; more are refused without a record.",
    )
    max_codes_per_hour: int = Field(
        default=5, ge=1, le=60, description="Codes sent to one staff number per hour."
    )
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
        raise ConfigError(_describe(path, text, exc)) from None
    if config.templates is not None and not config.templates.is_absolute():
        config = config.model_copy(update={"templates": (path.parent / config.templates)})
    config._source = path
    return config


MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_DEPTH = 32  # arrays and inline tables inside each other


def check_nesting(path: Path, text: str) -> None:
    """Refuse arrays and inline tables nested deeper than MAX_CONFIG_DEPTH, naming where,
    before the parser recurses into them (a RecursionError on every command otherwise)."""
    depth = 0
    quote = ""
    line, column = 1, 0
    index = 0
    while index < len(text):
        char = text[index]
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            if quote in ('"', "'"):
                quote = ""  # a one-line string ends with its line (or is an error)
        elif quote:
            if char == "\\" and quote in ('"', '"""'):
                index += 1
                column += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                column += len(quote) - 1
                quote = ""
        elif char == "#":
            end = text.find("\n", index)
            index = (end if end != -1 else len(text)) - 1
        elif char in "\"'":
            triple = char * 3
            quote = triple if text.startswith(triple, index) else char
            index += len(quote) - 1
            column += len(quote) - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                raise ConfigError(
                    f"{path}, line {line}, column {column}: arrays or tables nested more than"
                    f" {MAX_CONFIG_DEPTH} deep; a configuration needs far fewer"
                )
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1


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
