"""Our Twilio account in the tests: its credentials, Twilio's OpenAPI description (which
Prism serves and the stand-in is built to), four numbers each with its own routing, and a
notices.toml that switches them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.loopback import WebRoot
from tests.support.twilio_standin import TwilioStandIn

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".ci" / "cache" / "phone"
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "s3cr3t-auth-token-0f9e8d7c6b5a4938"


def description_path() -> Path:
    found = sorted(CACHE.glob("twilio-cli-core-*/twilio_api_v2010.json"))
    if not found:
        pytest.fail("Twilio's OpenAPI description is missing: run `bash scripts/install-test-deps`")
    return found[-1]


@dataclass
class Prism:
    url: str
    log: Path

    def rejected(self) -> int:
        """How many requests Prism found invalid so far (each is answered with 422)."""
        return self.log.read_text("utf-8", errors="replace").count(
            "Request did not pass the validation rules"
        )


ROUTING = (
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
PN_STUDIO = "PN" + "1" * 32
PN_APP = "PN" + "2" * 32
PN_HOOK = "PN" + "3" * 32
PN_TRUNK = "PN" + "4" * 32
STUDIO_URL = f"https://webhooks.twilio.com/v1/Accounts/{ACCOUNT}/Flows/FW" + "a" * 32
APP_SID = "AP" + "b" * 32
TRUNK_SID = "TK" + "c" * 32


def add_numbers(twilio: TwilioStandIn) -> None:
    twilio.add_number(
        ACCOUNT,
        PN_STUDIO,
        "+358401000001",
        voice_url=STUDIO_URL,
        voice_method="POST",
        status_callback="https://crm.example.fi/status",
        status_callback_method="GET",
    )
    twilio.add_number(
        ACCOUNT,
        PN_APP,
        "+358401000002",
        voice_application_sid=APP_SID,
        voice_url="https://old.example.fi/ignored-while-the-app-is-set",
    )
    twilio.add_number(
        ACCOUNT,
        PN_HOOK,
        "+358401000003",
        voice_url="https://crm.example.fi/ivr",
        voice_method="GET",
        voice_fallback_url="https://crm.example.fi/fallback",
        voice_fallback_method="GET",
    )
    twilio.add_number(ACCOUNT, PN_TRUNK, "+358401000004", trunk_sid=TRUNK_SID)


def write_config(
    tmp_path: Path,
    twilio: TwilioStandIn,
    web: WebRoot,
    numbers: list[str],
    extra: str = "",
) -> Path:
    config = tmp_path / "notices.toml"
    config.write_text(
        f"""
[organisation]
name = "Testipalvelu Oy"
[channels.phone]
kind = "twilio_voice"
numbers = {json.dumps(numbers)}
api_base = "{twilio.url}"
greeting_url = "{web.url}/greeting.xml"
publisher = {{ type = "folder", path = "{web.root}" }}
voices = {{ fi = "Google.fi-FI-Standard-B" }}
{extra}
[channels.website]
kind = "local_banner"
[channels.mail]
kind = "local_email"
"""
    )
    return config


def routing(twilio: TwilioStandIn, sid: str) -> dict[str, object]:
    return twilio.routing(sid, ROUTING)


def log_records(notices, config: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    out = notices("log", "show", "--json", "--config", str(config)).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]
