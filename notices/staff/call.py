"""Switching by a phone call: staff call a private Twilio number and key in mode and PIN.

Behind the same gate as SMS (notices/staff/gate.py): the same signature check, allowlist,
replay store and failure limits, and the same command run (notices/staff/sms.py), with the
channel "voice".

    POST /_notices/voice (the staff line's voice webhook), then the <Gather> actions
    /_notices/voice?step=mode|hours|pin|result&n=N, each signed by Twilio
      -> X-Twilio-Signature valid (StaffGate.check_signature)?     no: 403, logged
      -> CallSid + step + N never seen before?                     no: <Hangup/>, logged
      -> To is the staff line, From on the allowlist?              no: <Reject/>, logged as a
                                                                      keyed digest only
      -> under the failure limits (shared with SMS)?               no: told, <Hangup/>, logged
      -> a PIN configured for the caller?                          no: told to use SMS
      -> <Gather> the mode digit, then hours (# for none), then the PIN and #
      -> the SMS flow's run (actor = the staff member, channel "voice") on its worker;
         the call polls with <Pause>/<Redirect> and hears the outcome per channel, which
         also goes to the caller by SMS.

Calls in progress live in memory: a restarted `serve` drops them (call again).
"""

from __future__ import annotations

import hmac
import os
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from notices import locales
from notices.config import Config, SmsConfig, StaffMember
from notices.errors import TimeError
from notices.paths import VOICE_PATH
from notices.staff.gate import SMS_ACTOR, TWIML, Response, StaffGate, one
from notices.staff.sms import run_command
from notices.staff.sms_words import Command, keyword
from notices.timeparse import parse_duration

MAX_TRIES = 3  # per step of one call: a wrong key, a wrong PIN
MAX_POLLS = 90  # result polls, a second's pause each: then the SMS brings the outcome
MAX_SAY = 1500


def spoken(lang: str, key: str, **values: Any) -> str:
    """What the staff line says: `[call]` in notices/locales/<lang>.toml."""
    return locales.text(lang, f"call.{key}", **values)


@dataclass
class Call:
    """One staff call between its steps. `step` and `n` are what the next request must be."""

    staff: StaffMember
    lang: str
    step: str
    n: int
    expires: float
    command: str | None = None
    for_: str | None = None
    tries: int = 0
    outcome: Future[str] | None = None
    polls: int = 0


class StaffLine:
    """The voice webhook of one `serve`; called by the staff webhook under the gate's lock."""

    def __init__(self, gate: StaffGate) -> None:
        self.gate = gate
        self.calls: dict[str, Call] = {}

    def handle(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        target: str,
        signature: str,
        form: Any,
    ) -> Response:
        now = self.gate.clock()
        refused = self.gate.check_signature(sms, public_url, target, signature, form, now, "voice")
        if refused is not None:
            return refused
        call_sid = one(form, "CallSid")
        if not call_sid:
            self._log("voice.refused", {"reason": "not a call (no CallSid)"})
            return 400, b"", "text/plain"
        query = parse_qs(urlsplit(target).query)
        step = query.get("step", ["call"])[-1]
        n = query.get("n", ["0"])[-1]
        staff = self._caller(sms, form, call_sid, step, n, now)
        if isinstance(staff, tuple):
            return staff
        return self._step(config, sms, public_url, form, call_sid, staff, step, n, now)

    def _caller(
        self, sms: SmsConfig, form: Any, call_sid: str, step: str, n: str, now: float
    ) -> StaffMember | Response:
        """The staff member calling, or the refusal: a replayed step, another number called,
        a caller not on the allowlist."""
        gate = self.gate
        caller = one(form, "From")
        about = {"call": call_sid, "step": step}
        # Each step of a call has its own URL, so a recorded request cannot be played again.
        if not gate.first_time(f"{call_sid}:{step}:{n}"):
            if gate.replayed(sms):
                self._log("voice.refused", {**about, "reason": "replayed request"})
            return _twiml(_hangup())
        if one(form, "To") != sms.voice.number:
            self._log("voice.refused", {**about, "reason": "called another number"})
            return _twiml(_reject())
        staff = gate.allowed(sms, caller, now, "voice", about)
        return _twiml(_reject()) if staff is None else staff

    def _step(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        form: Any,
        call_sid: str,
        staff: StaffMember,
        step: str,
        n: str,
        now: float,
    ) -> Response:
        """The call's next step, if it is the one expected, in time and under the limits."""
        gate = self.gate
        about = {"call": call_sid, "step": step}
        self._forget_old(now, sms)
        lang = staff.language or config.languages[0]
        call = self.calls.get(call_sid)
        if step != "call" and (call is None or call.staff.number != staff.number):
            gate.fail(staff.number, now, sms)
            self._log("voice.refused", {**about, "reason": "no such call"}, staff)
            return _twiml(self._end(sms, lang, "lost"))
        if call is not None:
            lang = call.lang
            if (step, n) != (call.step, str(call.n)):
                gate.fail(staff.number, now, sms)
                self._log("voice.refused", {**about, "reason": "step out of order"}, staff)
                return _twiml(self._end(sms, lang, "lost"))
        if step == "result" and call is not None:
            return self._result(config, sms, public_url, call_sid, call)
        blocked = gate.blocked(staff.number, now, sms)
        if blocked:
            self.calls.pop(call_sid, None)
            about |= {"reason": "too many failed attempts", "scope": blocked}
            if gate.first_telling("locked-voice", staff.number, sms.failure_window_s):
                self._log("voice.refused", about, staff)
            return _twiml(self._locked(_response(), sms, lang))
        if call is None:
            return self._answer(config, sms, public_url, call_sid, staff, lang, now)
        if now > call.expires:
            del self.calls[call_sid]
            self._log("voice.refused", {**about, "reason": "call timed out"}, staff)
            return _twiml(self._end(sms, lang, "lost"))
        digits = (one(form, "Digits") or "").strip()
        if step == "mode":
            return self._mode(config, sms, public_url, call_sid, call, digits)
        if step == "hours":
            return self._hours(config, sms, public_url, call_sid, call, digits)
        return self._pin(config, sms, public_url, call_sid, call, digits, now)

    # -- the steps -----------------------------------------------------------------------

    def _answer(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        call_sid: str,
        staff: StaffMember,
        lang: str,
        now: float,
    ) -> Response:
        if not _pin_of(staff):
            self._log(
                "voice.refused", {"call": call_sid, "step": "call", "reason": "no PIN"}, staff
            )
            return _twiml(self._end(sms, lang, "no_pin"))
        call = Call(staff, lang, "mode", 1, now + sms.code_lifetime_s)
        self.calls[call_sid] = call
        self._log("voice.answered", {"call": call_sid}, staff)
        return _twiml(self._menu(config, sms, public_url, call))

    def _mode(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        call_sid: str,
        call: Call,
        digits: str,
    ) -> Response:
        command = sms.voice.digits.get(digits)
        if command is None:
            self._log(
                "voice.refused",
                {"call": call_sid, "step": "mode", "reason": "unknown choice", "keys": digits},
                call.staff,
            )
            if not self._again(call_sid, call):
                return _twiml(self._bye(_response(), sms, call.lang, "unknown_choice"))
            response = self._say(_response(), sms, call.lang, spoken(call.lang, "unknown_choice"))
            return _twiml(self._menu(config, sms, public_url, call, response))
        call.command = command
        if sms.voice.ask_hours and command not in ("resume", "status"):
            return _twiml(self._ask(sms, public_url, call, "hours", digits=3))
        return _twiml(self._ask(sms, public_url, call, "pin", digits=8))

    def _hours(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        call_sid: str,
        call: Call,
        digits: str,
    ) -> Response:
        hours = int(digits) if digits.isdigit() else 0
        if digits and not digits.isdigit():
            hours = -1
        if hours > 0:
            try:
                parse_duration(f"{hours}h")
            except TimeError:
                hours = -1
        if hours < 0:
            self._log(
                "voice.refused",
                {"call": call_sid, "step": "hours", "reason": "bad time", "keys": digits},
                call.staff,
            )
            if not self._again(call_sid, call):
                return _twiml(self._bye(_response(), sms, call.lang, "bad_hours"))
            response = self._say(_response(), sms, call.lang, spoken(call.lang, "bad_hours"))
            return _twiml(self._ask(sms, public_url, call, "hours", 3, response, again=True))
        call.for_ = f"{hours}h" if hours else None
        return _twiml(self._ask(sms, public_url, call, "pin", digits=8))

    def _pin(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        call_sid: str,
        call: Call,
        digits: str,
        now: float,
    ) -> Response:
        gate = self.gate
        staff = call.staff
        assert call.command is not None
        word = keyword(config, call.command, call.lang)
        typed = f"{word} {call.for_}" if call.for_ else word
        about = {"call": call_sid, "command": call.command, "typed": typed}
        expected = _pin_of(staff)
        if not expected:
            self.calls.pop(call_sid, None)
            self._log("voice.refused", {**about, "step": "pin", "reason": "no PIN"}, staff)
            return _twiml(self._end(sms, call.lang, "no_pin"))
        if not hmac.compare_digest(digits.encode(), expected.encode()):
            gate.fail(staff.number, now, sms)
            self._log("voice.refused", {**about, "step": "pin", "reason": "wrong PIN"}, staff)
            response = self._say(_response(), sms, call.lang, spoken(call.lang, "wrong_pin"))
            if gate.blocked(staff.number, now, sms):
                self.calls.pop(call_sid, None)
                return _twiml(self._locked(response, sms, call.lang, hangup=True))
            if not self._again(call_sid, call):
                return _twiml(self._bye(response, sms, call.lang))
            return _twiml(self._ask(sms, public_url, call, "pin", 8, response, again=True))
        command = Command(call.command, call.lang, typed, None, call.for_, None)
        self._log("voice.accepted", {**about, "factor": "pin"}, staff)
        call.outcome = gate.worker.submit(
            run_command, gate, config, sms, staff, command, "pin", "voice"
        )
        call.step, call.n = "result", call.n + 1
        response = self._say(
            _response(), sms, call.lang, spoken(call.lang, "running", command=word)
        )
        response.redirect(self._url(public_url, call), method="POST")
        return _twiml(response)

    def _result(
        self, config: Config, sms: SmsConfig, public_url: str, call_sid: str, call: Call
    ) -> Response:
        assert call.outcome is not None
        lang = call.lang
        call.n += 1
        if not call.outcome.done():
            call.polls += 1
            if call.polls > MAX_POLLS:
                del self.calls[call_sid]
                self._log(
                    "voice.replied", {"call": call_sid, "purpose": "still running"}, call.staff
                )
                return _twiml(self._end(sms, lang, "still_running"))
            response = _response()
            response.pause(length=1)
            response.redirect(self._url(public_url, call), method="POST")
            return _twiml(response)
        del self.calls[call_sid]
        try:
            outcome = call.outcome.result()
        except Exception as exc:  # noqa: BLE001 - the caller must hear of any failure
            outcome = str(exc) or type(exc).__name__
        response = _response()
        lines = [line.removeprefix("notices: ") for line in outcome.splitlines() if line.strip()]
        said = "\n".join(lines)[:MAX_SAY]
        for line in said.splitlines():
            self._say(response, sms, lang, line)
        self._say(response, sms, lang, spoken(lang, "goodbye"))
        response.hangup()
        self._log(
            "voice.replied", {"call": call_sid, "purpose": "result", "text": said}, call.staff
        )
        return _twiml(response)

    # -- TwiML -----------------------------------------------------------------------------

    def _menu(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        call: Call,
        response: Any = None,
    ) -> Any:
        response = response if response is not None else _response()
        call.step = "mode"
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            timeout=8,
            action=self._url(public_url, call),
            method="POST",
        )
        for digit, command in sms.voice.digits.items():
            name = keyword(config, command, call.lang).capitalize()
            self._say(gather, sms, call.lang, spoken(call.lang, "choice", name=name, digit=digit))
        return self._say(response, sms, call.lang, spoken(call.lang, "no_input"), hangup=True)

    def _ask(
        self,
        sms: SmsConfig,
        public_url: str,
        call: Call,
        step: str,
        digits: int,
        response: Any = None,
        again: bool = False,
    ) -> Any:
        response = response if response is not None else _response()
        if not again:
            call.tries = 0
        call.step, call.n = step, call.n + 1
        # For hours, a lone # ("no return time") must still reach us.
        empty: dict[str, Any] = {"action_on_empty_result": True} if step == "hours" else {}
        gather = response.gather(
            input="dtmf",
            num_digits=digits,
            finish_on_key="#",
            timeout=10,
            action=self._url(public_url, call),
            method="POST",
            **empty,
        )
        self._say(gather, sms, call.lang, spoken(call.lang, step))
        return self._say(response, sms, call.lang, spoken(call.lang, "no_input"), hangup=True)

    def _again(self, call_sid: str, call: Call) -> bool:
        """Another try at the same step (with its own URL), unless this call had enough."""
        call.tries += 1
        if call.tries >= MAX_TRIES:
            self.calls.pop(call_sid, None)
            return False
        call.n += 1
        return True

    def _end(self, sms: SmsConfig, lang: str, key: str) -> Any:
        return self._say(_response(), sms, lang, spoken(lang, key), hangup=True)

    def _bye(self, response: Any, sms: SmsConfig, lang: str, first: str | None = None) -> Any:
        if first:
            self._say(response, sms, lang, spoken(lang, first))
        return self._say(response, sms, lang, spoken(lang, "bye"), hangup=True)

    def _locked(self, response: Any, sms: SmsConfig, lang: str, hangup: bool = True) -> Any:
        minutes = max(1, round(sms.failure_window_s / 60))
        return self._say(response, sms, lang, spoken(lang, "locked", minutes=minutes), hangup)

    def _say(self, verb: Any, sms: SmsConfig, lang: str, words: str, hangup: bool = False) -> Any:
        from notices.voices import speech_language, voice

        attributes: dict[str, Any] = {"language": speech_language(lang, sms.voice.voices)}
        chosen = voice(lang, sms.voice.voices)
        if chosen is not None:
            attributes["voice"] = chosen
        verb.say(words, **attributes)
        if hangup:
            verb.hangup()
        return verb

    def _url(self, public_url: str, call: Call) -> str:
        return f"{public_url.rstrip('/')}{VOICE_PATH}?step={call.step}&n={call.n}"

    def _log(self, kind: str, payload: dict[str, Any], staff: StaffMember | None = None) -> None:
        actor = staff.name if staff is not None else SMS_ACTOR
        self.gate.log(kind, payload, actor=actor, channel="voice")

    def _forget_old(self, now: float, sms: SmsConfig) -> None:
        """Calls abandoned mid-way (the caller hung up) are dropped once well past expiry."""
        for sid, call in list(self.calls.items()):
            idle = call.outcome is None or call.outcome.done()
            if idle and now > call.expires + sms.code_lifetime_s:
                del self.calls[sid]


def _pin_of(staff: StaffMember) -> str | None:
    return os.environ.get(staff.pin_env) if staff.pin_env else None


def _response() -> Any:
    from twilio.twiml.voice_response import VoiceResponse

    return VoiceResponse()


def _hangup() -> Any:
    response = _response()
    response.hangup()
    return response


def _reject() -> Any:
    response = _response()
    response.reject()
    return response


def _twiml(response: Any) -> Response:
    return 200, str(response.to_xml()).encode("utf-8"), TWIML
