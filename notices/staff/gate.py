"""The gate every staff command passes, by SMS or by a call to the staff line.

    X-Twilio-Signature valid for [sms] public_url + path?   no: 403, logged
    the message (or call step) never seen before?          no: refused (replay), logged
    the number on the staff allowlist?                     no: refused, logged as a keyed
                                                               digest, never the number
    the staff number under its failure limit?              no: refused, logged once

Then the door's own second factor (an SMS code or a PIN; the staff line's PIN), and the
command runs through `commands` like any other door's. Replies go out through the
Messages API from the gate's workers. The limits (notices/staff/limits.py) live in the
database, so a restarted `serve` keeps them. Only a staff number's own failures lock it
out; unknown numbers, unsigned requests and replays are counted apart and only stop being
logged past their limits, so nobody outside the allowlist can lock staff out or fill the
log.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notices import masking
from notices.config import SmsConfig, StaffMember
from notices.db import Database
from notices.errors import NoticesError
from notices.evidence.log import EvidenceLog
from notices.staff.limits import Budget, RateLimits
from notices.timeparse import utc_stamp

SMS_ACTOR = "sms"
_SENDER = {"sms": "sender", "voice": "caller"}
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
TWIML = "text/xml; charset=utf-8"
MAX_SMS = 1500  # Twilio accepts 1,600 characters; leave room

Response = tuple[int, bytes, str]


class Form(dict[str, list[str]]):
    """A parsed form for RequestValidator: `getall` lets it sign repeated keys as Twilio does."""

    def getall(self, name: str) -> list[str]:
        return self[name]


class StaffGate:
    """Signature, replay, allowlist and failure limits, shared by SMS and the staff line;
    the log and the replies they write. One per `serve`; its lock serialises requests."""

    def __init__(
        self,
        home: Path,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        from notices.evidence.personal import hmac_key

        self.home = home
        self.clock = clock
        self.lock = threading.Lock()
        self.database = Database(home / "notices.db")
        self.limits = RateLimits(self.database, hmac_key(home), wall)
        # Commands run one at a time (they take the command lock anyway); replies apart, so
        # a long command never holds back another person's code.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staff-command")
        self.replies = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sms-reply")

    def close(self) -> None:
        self.worker.shutdown(wait=True)
        self.replies.shutdown(wait=True)
        self.database.close()

    def check_signature(
        self,
        sms: SmsConfig,
        public_url: str,
        target: str,
        signature: str,
        form: Form,
        now: float,
        channel: str,
    ) -> Response | None:
        """None if Twilio signed this request, else the refusal (403 or 503), logged up to
        `max_failures_total` per window (a 503 once per window): nobody fills the log."""
        from twilio.request_validator import RequestValidator

        token = os.environ.get(sms.auth_token_env)
        masking.remember([token])
        if not token:
            reason = (
                f"no auth token: the environment variable {sms.auth_token_env} is not set, so"
                " no request can be validated"
            )
            return self.unavailable(channel, {"reason": reason}, sms.failure_window_s)
        # The URL Twilio used, as configured: the Host header is the proxy's, or forged.
        url = public_url.rstrip("/") + target
        if RequestValidator(token).validate(url, form, signature):
            return None
        budget = self.limits.budget("unsigned", "", sms.max_failures_total, sms.failure_window_s)
        if budget is not Budget.QUIET:
            self.log(
                f"{channel}.refused",
                {
                    "reason": "invalid signature",
                    "sender": self.ref(one(form, "From")),
                    "more_not_logged": budget is Budget.LAST,
                },
                channel=channel,
            )
        return 403, b"", "text/plain"

    def unavailable(self, channel: str, payload: dict[str, Any], window: float) -> Response:
        """503: the gate cannot judge requests (no token, a broken configuration). Logged
        once per window and reason, not per request."""
        if self.limits.first_telling("unavailable", str(payload["reason"]), window):
            self.log(
                f"{channel}.refused",
                {**payload, "more_not_logged_for_s": window},
                channel=channel,
            )
        return 503, b"", "text/plain"

    def allowed(
        self, sms: SmsConfig, sender: str | None, now: float, channel: str, about: dict[str, Any]
    ) -> StaffMember | None:
        """The staff member with this number; else None, logged with the number's keyed
        digest only, up to the limits per unknown number and for all of them together.
        Unknown numbers never count against staff: they cannot lock anyone out."""
        staff = next((s for s in sms.staff if s.number == sender), None)
        if staff is None:
            window = sms.failure_window_s
            mine = self.limits.budget(
                "stranger", self.limits.digest(sender), sms.max_failures_per_sender, window
            )
            everyone = self.limits.budget("strangers", "", sms.max_failures_total, window)
            # Past its own limit a number is not logged, except to say that all are not.
            budget = Budget.LAST if everyone is Budget.LAST else mine.worst(everyone)
            if budget is not Budget.QUIET:
                more = {"more_not_logged": True} if budget is Budget.LAST else {}
                self.log(
                    f"{channel}.refused",
                    {
                        "reason": f"unknown {_SENDER[channel]}",
                        "sender": self.ref(sender),
                        **about,
                        **more,
                    },
                    channel=channel,
                )
        return staff

    def replayed(self, sms: SmsConfig) -> bool:
        """Count a replayed request (never against a staff number: whoever replays is not
        the staff member); True while it should still be logged."""
        budget = self.limits.budget("replayed", "", sms.max_failures_total, sms.failure_window_s)
        return budget is not Budget.QUIET

    # -- limits --------------------------------------------------------------------------

    def fail(self, number: str, now: float, sms: SmsConfig) -> None:
        """A failure of an allowlisted number (wrong code or PIN, ...): its own budget."""
        self.limits.hit("staff", self.limits.digest(number), sms.failure_window_s)

    def blocked(self, number: str, now: float, sms: SmsConfig) -> str | None:
        """ "sender" while this staff number has used up its failures, else None."""
        failures = self.limits.count("staff", self.limits.digest(number))
        return "sender" if failures >= sms.max_failures_per_sender else None

    def first_telling(self, what: str, number: str, window: float) -> bool:
        """True once per window for this number: when to log or tell of a limit."""
        return self.limits.first_telling(what, self.limits.digest(number), window)

    def unclear(self, number: str, sms: SmsConfig) -> Budget:
        """Count a text from this staff number that is no command (answered with help)."""
        return self.limits.budget(
            "unclear",
            self.limits.digest(number),
            sms.max_failures_per_sender,
            sms.failure_window_s,
        )

    def code_allowed(self, number: str, sms: SmsConfig) -> Budget:
        """Count a code request by this staff number: at most `max_codes_per_hour`."""
        return self.limits.budget("codes", self.limits.digest(number), sms.max_codes_per_hour, 3600)

    # -- log, replay, replies --------------------------------------------------------------

    def log(
        self, kind: str, payload: dict[str, Any], actor: str = SMS_ACTOR, channel: str = "sms"
    ) -> None:
        log = EvidenceLog(self.database, actor=actor)
        log.append(kind, {"channel": channel, **payload})
        log.anchor(kind)

    def ref(self, number: str | None) -> str | None:
        """A sender's number as personal data: the log holds only its keyed digest."""
        if not number:
            return None
        from notices.evidence.personal import PersonalData

        return PersonalData(self.database).remember(number, utc_stamp(datetime.now(UTC)))

    def first_time(self, sid: str) -> bool:
        with self.database.transaction() as conn:
            return (
                conn.execute(
                    "INSERT INTO sms_messages (sid, seen) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (sid, utc_stamp(datetime.now(UTC))),
                ).rowcount
                == 1
            )

    def reply(
        self, sms: SmsConfig, staff: StaffMember, message: str, purpose: str, log_text: bool = True
    ) -> None:
        """Send `message` to the staff member, from the reply workers."""
        self.replies.submit(self.send, sms, staff, message[:MAX_SMS], purpose, log_text)

    def send(
        self,
        sms: SmsConfig,
        staff: StaffMember,
        message: str,
        purpose: str,
        log_text: bool,
        channel: str = "sms",
    ) -> None:
        try:
            sid = twilio_client(sms).messages.create(
                to=staff.number, from_=sms.number, body=message
            )
            payload: dict[str, Any] = {"to": staff.name, "purpose": purpose, "message": sid.sid}
            if log_text:
                payload["text"] = message
            self.log("sms.replied", payload, actor=staff.name, channel=channel)
        except Exception as exc:  # noqa: BLE001 - logged; nothing else can be done from here
            error = (str(exc) or type(exc).__name__).replace(staff.number, staff.name)
            error = masking.mask(error, [os.environ.get(sms.auth_token_env) or ""])
            self.log(
                "sms.reply_failed",
                {"to": staff.name, "purpose": purpose, "error": error},
                actor=staff.name,
                channel=channel,
            )


def twilio_client(sms: SmsConfig) -> Any:
    from twilio.rest import Client

    account = os.environ.get(sms.account_sid_env)
    token = os.environ.get(sms.auth_token_env)
    if not account or not token:
        raise NoticesError(
            f"set {sms.account_sid_env} and {sms.auth_token_env}: Twilio credentials come from"
            " the environment"
        )
    client = Client(account, token)
    if sms.api_base:
        client.api.base_url = sms.api_base.rstrip("/")
    return client


def one(form: Mapping[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[-1] if values else None
