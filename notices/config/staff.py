"""`[sms]` and `[sms.voice]`: who may command by SMS or by calling the staff line, and how."""

from __future__ import annotations

import re

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from notices.config.base import PhoneNumber, StrictModel

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
    number: PhoneNumber = Field(description="Their own mobile number, E.164 (+358...).")
    pin_env: str | None = Field(
        default=None, description="Environment variable holding their PIN (4-8 digits)."
    )
    language: str | None = Field(
        default=None, description="Language of replies when a keyword is the same in several."
    )


DEFAULT_VOICE_DIGITS = {"1": "evacuate", "2": "power-out", "9": "resume", "0": "status"}


class SmsVoiceConfig(StrictModel):
    """`[sms.voice]`: staff call a private Twilio number and key in mode and PIN."""

    enabled: bool = False
    number: PhoneNumber | None = Field(
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
    number: PhoneNumber | None = Field(
        default=None, description="The Twilio number staff text, E.164."
    )
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
