"""The staff line: Twilio's side of a call, played here. The voice webhook, then each
<Gather> action and <Redirect>, signed exactly as Twilio signs them, at the absolute URLs the
TwiML names."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from tests.support.sms import PUBLIC, Gateway
from tests.support.twilio import ACCOUNT, TOKEN

LINE = "+358931239999"  # the private staff line
VOICE_URL = f"{PUBLIC}/_notices/voice"


@dataclass
class Twiml:
    """One answer: the HTTP status and the parsed TwiML (which must parse as XML)."""

    status: int
    root: ET.Element | None

    @property
    def verbs(self) -> list[str]:
        assert self.root is not None and self.root.tag == "Response"
        return [child.tag for child in self.root]

    def said(self) -> str:
        assert self.root is not None
        return " ".join(e.text or "" for e in self.root.iter("Say"))

    @property
    def gather(self) -> ET.Element:
        assert self.root is not None
        found = self.root.find("Gather")
        assert found is not None, self.verbs
        return found

    @property
    def next_url(self) -> str:
        """Where Twilio goes next: the <Gather> action or the <Redirect>."""
        assert self.root is not None
        if self.root.find("Gather") is not None:
            return self.gather.attrib["action"]
        redirect = self.root.find("Redirect")
        assert redirect is not None and redirect.text, self.verbs
        return redirect.text


@dataclass
class Call:
    """One incoming call to the staff line, from `caller`."""

    gw: Gateway
    caller: str
    sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    to: str = LINE

    def form(self, **extra: str) -> dict[str, str]:
        """The parameters Twilio posts to a voice webhook (and to a <Gather> action)."""
        return {
            "AccountSid": ACCOUNT,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": "ringing" if not extra else "in-progress",
            "Called": self.to,
            "CalledCountry": "FI",
            "Caller": self.caller,
            "CallerCountry": "FI",
            "Direction": "inbound",
            "From": self.caller,
            "FromCountry": "FI",
            "To": self.to,
            "ToCountry": "FI",
            **extra,
        }

    def post(
        self,
        url: str,
        params: dict[str, str],
        *,
        token: str = TOKEN,
        signed_for: str | None = None,
        signature: str | None = None,
    ) -> Twiml:
        assert url.startswith(PUBLIC + "/"), url
        if signature is None:
            signature = RequestValidator(token).compute_signature(signed_for or url, params)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        local = self.gw.address + url.removeprefix(PUBLIC + "/")
        response = httpx.post(local, data=params, headers=headers)
        root = ET.fromstring(response.content) if response.content else None
        return Twiml(response.status_code, root)

    def ring(self, **kwargs: Any) -> Twiml:
        return self.post(VOICE_URL, self.form(), **kwargs)

    def press(self, answer: Twiml, digits: str, **kwargs: Any) -> Twiml:
        """Keys pressed at a <Gather>; `#` ends them as Twilio reports it."""
        finished = "#" if answer.gather.attrib.get("finishOnKey") == "#" else ""
        params = self.form(Digits=digits, FinishedOnKey=finished, msg="Gather End")
        return self.post(answer.next_url, params, **kwargs)

    def follow(self, answer: Twiml, timeout: float = 20) -> Twiml:
        """Follow <Redirect>s (Twilio after each <Pause>) until an answer without one."""
        import time

        deadline = time.monotonic() + timeout
        while answer.root is not None and answer.root.find("Redirect") is not None:
            assert time.monotonic() < deadline, "the command's result never came"
            time.sleep(0.2)
            answer = self.post(answer.next_url, self.form())
        return answer
