"""`twilio_voice`'s options: the numbers, the greeting's URL and publisher, the credentials'
variables, the API's address, how many numbers are switched at once."""

from __future__ import annotations

import re
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from notices.channels.greeting import GreetingOptions
from notices.config.base import E164, PhoneNumber
from notices.publishers import FolderPublisherOptions, PublisherOptions

NUMBER_SID = re.compile(r"^PN[0-9a-fA-F]{32}$")
# Every field that decides where a call to the number goes (twilio-python attribute names).
ROUTING_FIELDS = (
    "voice_url",
    "voice_method",
    "voice_fallback_url",
    "voice_fallback_method",
    "status_callback",
    "status_callback_method",
    "voice_application_sid",
    "trunk_sid",
    "voice_receive_mode",
)


class DialOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: PhoneNumber = Field(description="The on-call number, E.164 (+358...).")
    caller_id: str | None = Field(default=None, description="Caller ID shown to the on-call phone.")
    timeout: int = Field(default=30, ge=5, le=600, description="Seconds to let it ring.")


class TwilioVoiceOptions(GreetingOptions):
    replaced_by: ClassVar[dict[str, str]] = {"auth_token_env": "api_key_sid_env"}  # API key
    numbers: list[str] = Field(
        min_length=1,
        description="Phone-number SIDs (PN...) or E.164 numbers (+358...) to switch.",
    )
    greeting_url: str = Field(description="The public URL where the greeting TwiML is served.")
    greeting_method: Literal["GET", "POST"] = Field(
        default="GET", description="How Twilio fetches the greeting (static hosts need GET)."
    )
    greeting_file: str = Field(
        default="greeting.xml", description="The greeting's file name at the publisher."
    )
    publisher: PublisherOptions = Field(
        default_factory=FolderPublisherOptions,
        description="Where the greeting file is published (it must be served at greeting_url).",
    )
    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"  # noqa: S105 - a variable's name, not a secret
    api_key_sid_env: str | None = Field(
        default=None, description="With api_key_secret_env: use an API key instead of the token."
    )
    api_key_secret_env: str | None = None
    api_base: str | None = Field(
        default=None, description="Another API 2010 base URL (tests; Twilio edge locations)."
    )
    monitor_base: str | None = Field(
        default=None,
        description="Another Monitor API base URL; default Twilio's own, or with api_base the"
        " same host with api. replaced by monitor. (or api_base itself when it has no api.)",
    )
    dial: DialOptions | None = Field(
        default=None,
        description="An on-call number for every mode (forward_to names one per mode).",
    )
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="Per HTTP request.")
    # Twilio limits the REST requests of one account in flight at once (HTTP 429, error
    # 20429, "safe to retry"); 50 at once switches 50 numbers in one round trip, and a 429
    # is retried after its Retry-After on this channel only (docs/phone.md#many-numbers).
    workers: int = Field(
        default=50, ge=1, le=100, description="Numbers switched at once (requests in flight)."
    )

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not (NUMBER_SID.match(entry) or E164.match(entry)):
                raise ValueError(
                    f"{entry!r} is neither a phone-number SID (PN + 32 hex digits)"
                    " nor an E.164 number such as '+358401234567'"
                )
        if len(set(value)) != len(value):
            raise ValueError("a number is listed twice")
        return value

    @field_validator("greeting_url", "api_base", "monitor_base")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _one_offer(self) -> TwilioVoiceOptions:
        if (self.api_key_sid_env is None) != (self.api_key_secret_env is None):
            raise ValueError("api_key_sid_env and api_key_secret_env go together")
        return self
