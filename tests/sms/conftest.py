"""A real `notices serve` with [sms] on, Twilio's side played by the stateful stand-in, and
requests signed exactly as Twilio signs its webhooks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.phone.conftest import ACCOUNT, TOKEN, description_path
from tests.phone.standin import TwilioStandIn
from tests.scheduler.conftest import query, wait_until

COMPANY = "+358931234567"
PUBLIC = "https://notices.example.test/hooks"  # what Twilio calls, behind the HTTPS proxy
MAIJA = "+358401111111"  # code only
OSKARI = "+358402222222"  # has a PIN
STRANGER = "+358409999999"
PIN = "4711"


@pytest.fixture(scope="session")
def sms_twilio() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn(description_path()).start()
    yield server
    server.stop()


@dataclass
class Gateway:
    """`notices serve` with the SMS webhook; `text()` is Twilio delivering an incoming SMS."""

    process: subprocess.Popen[str]
    home: Path
    address: str
    twilio: TwilioStandIn
    sent: list[str] = field(default_factory=list)

    def text(
        self,
        sender: str,
        body: str,
        *,
        sid: str | None = None,
        token: str = TOKEN,
        url: str | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        params = twilio_form(sender, body, sid or "SM" + secrets.token_hex(16))
        return self.post(params, token=token, url=url, signature=signature)

    def post(
        self,
        params: dict[str, str],
        *,
        token: str = TOKEN,
        url: str | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        signed_for = url or f"{PUBLIC}/_notices/sms"
        if signature is None:
            signature = RequestValidator(token).compute_signature(signed_for, params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        response = httpx.post(self.address + "_notices/sms", data=params, headers=headers)
        self.sent.append(params["MessageSid"])
        return response

    def replies(self, number: str) -> list[str]:
        return self.twilio.sent_to(number)

    def next_reply(self, number: str, seen: int, timeout: float = 20) -> str:
        """Wait for the reply after the first `seen` messages sent to `number`."""
        found = wait_until(lambda: len(self.replies(number)) > seen, timeout, f"an SMS to {number}")
        assert found
        return self.replies(number)[seen]


def twilio_form(sender: str, body: str, sid: str) -> dict[str, str]:
    """The parameters Twilio posts for an incoming SMS (Messaging webhook)."""
    return {
        "ToCountry": "FI",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FI",
        "To": COMPANY,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def sms_config(twilio_url: str, **overrides: Any) -> str:
    settings = {
        "enabled": "true",
        "public_url": f'"{PUBLIC}"',
        "number": f'"{COMPANY}"',
        "api_base": f'"{twilio_url}"',
        "code_lifetime_s": "300",
    } | {k: str(v) for k, v in overrides.items()}
    lines = ["[sms]", *(f"{k} = {v}" for k, v in settings.items())]
    lines += [
        "",
        "[[sms.staff]]",
        'name = "Maija Virtanen"',
        f'number = "{MAIJA}"',
        "",
        "[[sms.staff]]",
        'name = "Oskari Lind"',
        f'number = "{OSKARI}"',
        'pin_env = "NOTICES_PIN_OSKARI"',
        "",
    ]
    return "\n".join(lines)


@pytest.fixture
def gateway(home: Path, sms_twilio: TwilioStandIn) -> Iterator[Callable[..., Gateway]]:
    started: list[subprocess.Popen[str]] = []

    def start(*, unset: tuple[str, ...] = (), **overrides: Any) -> Gateway:
        """`serve` with [sms] overrides; `unset`: environment variables it must not have."""
        sms_twilio.reset()
        sms_twilio.add_account(ACCOUNT, TOKEN)
        home.mkdir(parents=True, exist_ok=True)
        (home / "notices.toml").write_text(sms_config(sms_twilio.url, **overrides), "utf-8")
        env = {
            **os.environ,
            "NOTICES_HOME": str(home),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "NOTICES_PIN_OSKARI": PIN,
        }
        for name in ("TWILIO_EDGE", "TWILIO_REGION", "NOTICES_ACTOR", *unset):
            env.pop(name, None)
        process = subprocess.Popen(
            [sys.executable, "-m", "notices", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        started.append(process)
        rows = wait_until(
            lambda: (
                process.poll() is None
                and query(
                    home / "notices.db",
                    "SELECT address FROM scheduler_heartbeat WHERE pid = ? AND stopped IS NULL",
                    (process.pid,),
                )
            ),
            15,
            "notices serve to start",
        )
        return Gateway(process, home, rows[0][0], sms_twilio)

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)
