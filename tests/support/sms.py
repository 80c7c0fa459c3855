"""The SMS gate's side of the tests: the company's number and its staff, `notices serve`
with [sms] on (`Gateway`), requests signed exactly as Twilio signs its webhooks, and readers
of what a command by SMS did."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from tests.support.log import records
from tests.support.site import site_files
from tests.support.twilio import ACCOUNT, TOKEN
from tests.support.twilio_standin import TwilioStandIn
from tests.support.wait import wait_until

COMPANY = "+358931234567"
PUBLIC = "https://notices.example.test/hooks"  # what Twilio calls, behind the HTTPS proxy
MAIJA = "+358401111111"  # code only
OSKARI = "+358402222222"  # has a PIN
STRANGER = "+358409999999"
PIN = "4711"


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


def switched(home: Path) -> bool:
    return bool(records(home, "command.started")) or "greeting.xml" in site_files(home)


def finished(home: Path, command: str) -> dict:
    def done() -> dict | None:
        found = [r for r in records(home, "command.finished") if r["payload"]["command"] == command]
        return found[-1] if found else None

    return wait_until(done, 20, f"{command} to finish")
