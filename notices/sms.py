"""Switching by SMS: authorised staff text the company's Twilio number; `serve` runs it.

    POST /_notices/sms (Twilio's messaging webhook)
      -> X-Twilio-Signature valid for [sms] public_url + path?   no: 403, logged
      -> MessageSid never seen before?                           no: refused (replay), logged
      -> From on the staff allowlist?                            no: empty TwiML, logged as a
                                                                     keyed digest, never the number
      -> sender and total failures under the limits?             no: refused, logged
      -> `EVAKUOI 4h`: a one-time code goes back to that number (Messages API); the command
         runs when the same number answers with it in time. `EVAKUOI 4h 1234`: the staff
         member's PIN instead of the code, runs at once. TILA/STATUS needs the same.
      -> the same orchestrator flow as the CLI, actor = the staff member's name, arguments
         {"channel": "sms", ...}; the outcome per channel goes back by SMS.

The webhook answers at once with empty TwiML (Twilio waits 15 s at most); commands run on a
worker and every reply is sent through the Messages API. Codes and failure counts live in
memory only: a restarted `serve` forgets pending codes (send the command again) and counts.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from notices.config import Config, SmsConfig, StaffMember, fold_keyword, load_config
from notices.db import Database
from notices.errors import NoticesError, TimeError
from notices.log import EvidenceLog
from notices.paths import config_path
from notices.timeparse import from_stamp, parse_duration, parse_until, utc_stamp

SMS_ACTOR = "sms"
VOICE_PATH = "/_notices/voice"
_SENDER = {"sms": "sender", "voice": "caller"}
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
TWIML = "text/xml; charset=utf-8"
MAX_SMS = 1500  # Twilio accepts 1,600 characters; leave room
CODE = re.compile(r"^\d{6}$")
PIN = re.compile(r"^\d{4,8}$")

Response = tuple[int, bytes, str]

TEXTS: dict[str, dict[str, str]] = {
    "fi": {
        "code": "notices: vahvista {command} vastaamalla koodilla {code} ({lifetime} kuluessa)."
        " Jos et lähettänyt komentoa, älä vastaa.",
        "wrong_code": "notices: väärä koodi, komentoa ei suoritettu.",
        "expired": "notices: koodi vanheni, komentoa ei suoritettu. Lähetä komento uudelleen.",
        "no_pending": "notices: ei vahvistettavaa komentoa. Lähetä ensin komento.",
        "wrong_pin": "notices: väärä PIN, komentoa ei suoritettu.",
        "locked": "notices: liian monta epäonnistunutta yritystä. Odota {minutes} min tai"
        " käytä komentoriviä.",
        "usage": "notices: komennot: {commands}. Aika: 4h tai 15:30.",
        "bad_time": "notices: {error}",
        "done": "notices: {command} tehty.",
        "failed": "notices: {command} EI ONNISTUNUT kaikkialla.",
        "not_run": "notices: {command} ei suoritettu: {error}",
        "retry": "Lähetä komento uudelleen: vain puuttuva tehdään.",
        "return": "Automaattinen paluu {when}.",
        "no_return": "Paluuaikaa ei ole: lähetä {resume}, kun palaatte.",
        "nothing_open": "notices: poikkeustila ei ole päällä, ei palautettavaa.",
        "switched": "vaihdettu",
        "restored": "palautettu",
        "unchanged": "ennallaan",
        "error": "VIRHE",
        "normal": "normaali",
        "status": "notices: tila {mode}{since}.",
        "since": " alkaen {when}",
        "scheduler_down": "AUTOMAATTINEN PALUU EI TOIMI: ajastin ei ole käynnissä.",
    },
    "sv": {
        "code": "notices: bekräfta {command} genom att svara med koden {code} (inom {lifetime})."
        " Svara inte om du inte skickade kommandot.",
        "wrong_code": "notices: fel kod, kommandot utfördes inte.",
        "expired": "notices: koden har gått ut, kommandot utfördes inte. Skicka det igen.",
        "no_pending": "notices: inget kommando väntar på bekräftelse. Skicka först kommandot.",
        "wrong_pin": "notices: fel PIN, kommandot utfördes inte.",
        "locked": "notices: för många misslyckade försök. Vänta {minutes} min eller använd"
        " kommandoraden.",
        "usage": "notices: kommandon: {commands}. Tid: 4h eller 15:30.",
        "bad_time": "notices: {error}",
        "done": "notices: {command} klart.",
        "failed": "notices: {command} MISSLYCKADES delvis.",
        "not_run": "notices: {command} utfördes inte: {error}",
        "retry": "Skicka kommandot igen: bara det som saknas görs.",
        "return": "Automatisk återgång {when}.",
        "no_return": "Ingen återgångstid: skicka {resume} när ni är tillbaka.",
        "nothing_open": "notices: inget undantagsläge är på, inget att återställa.",
        "switched": "ändrad",
        "restored": "återställd",
        "unchanged": "oförändrad",
        "error": "FEL",
        "normal": "normal",
        "status": "notices: läge {mode}{since}.",
        "since": " sedan {when}",
        "scheduler_down": "AUTOMATISK ÅTERGÅNG FUNGERAR INTE: schemaläggaren körs inte.",
    },
    "en": {
        "code": "notices: confirm {command} by replying with the code {code} (within"
        " {lifetime}). If you did not send it, do not reply.",
        "wrong_code": "notices: wrong code; the command was not run.",
        "expired": "notices: the code expired; the command was not run. Send it again.",
        "no_pending": "notices: no command is waiting for a code. Send the command first.",
        "wrong_pin": "notices: wrong PIN; the command was not run.",
        "locked": "notices: too many failed attempts. Wait {minutes} min or use the command line.",
        "usage": "notices: commands: {commands}. Time: 4h or 15:30.",
        "bad_time": "notices: {error}",
        "done": "notices: {command} done.",
        "failed": "notices: {command} FAILED on some channels.",
        "not_run": "notices: {command} was not run: {error}",
        "retry": "Send the command again: only what is missing is done.",
        "return": "Automatic resume {when}.",
        "no_return": "No return time: send {resume} when you are back.",
        "nothing_open": "notices: no incident is open; nothing to resume.",
        "switched": "switched",
        "restored": "restored",
        "unchanged": "already so",
        "error": "FAILED",
        "normal": "normal",
        "status": "notices: mode {mode}{since}.",
        "since": " since {when}",
        "scheduler_down": "AUTOMATIC RESUME WILL NOT RUN: no scheduler is alive.",
    },
}


def text(lang: str, key: str, **values: Any) -> str:
    return TEXTS.get(lang, TEXTS["en"])[key].format(**values)


@dataclass(frozen=True)
class Command:
    """A parsed SMS command. `typed` is what the log may hold: never the PIN."""

    name: str  # a mode, "resume" or "status"
    lang: str
    typed: str
    until: str | None = None
    for_: str | None = None
    pin: str | None = None


@dataclass
class Pending:
    command: Command
    code: str
    expires: float
    attempts_left: int


@dataclass
class Limits:
    """Failures in the sliding window, per sender and in total (monotonic seconds)."""

    per_sender: dict[str, deque[float]] = field(default_factory=dict)
    total: deque[float] = field(default_factory=deque)
    bad_signatures: deque[float] = field(default_factory=deque)
    locked_told: dict[str, float] = field(default_factory=dict)


class _Form(dict[str, list[str]]):
    """A parsed form for RequestValidator: `getall` lets it sign repeated keys as Twilio does."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def parse_command(body: str, config: Config, staff: StaffMember) -> Command | None:
    """`EVAKUOI 4h`, `SÄHKÖKATKO 15:30 1234`, `PALAA`, `TILA`; None if no keyword matches.
    Raises TimeError for a time that cannot be read."""
    words = body.split()
    if not words:
        return None
    first = fold_keyword(words[0])
    matches = [
        (command, lang)
        for command, by_lang in config.sms.all_keywords().items()
        for lang, word in by_lang.items()
        if fold_keyword(word) == first
    ]
    if not matches:
        return None
    name = matches[0][0]
    langs = [lang for _, lang in matches]
    # One word in several languages (STATUS): the person's own, else the configured order.
    order = [staff.language, *config.languages, "en"]
    lang = next((lang for lang in order if lang in langs), langs[0])
    rest = words[1:]
    pin = rest.pop() if rest and PIN.match(rest[-1]) else None
    until = for_ = None
    if rest and name not in ("resume", "status"):
        moment = rest.pop(0)
        try:
            parse_duration(moment)
            for_ = moment
        except TimeError:
            parse_until(moment, config.zone)  # raises TimeError if not a time either
            until = moment
    if rest:
        raise TimeError(f"{' '.join(rest)!r} is not understood: write e.g. {words[0]} 4h")
    moment_typed = until or for_
    typed = f"{words[0].upper()} {moment_typed}" if moment_typed else words[0].upper()
    return Command(name, lang, typed, until, for_, pin)


class SmsGate:
    """The SMS webhook of one `serve`: checks, second factor, then the CLI's flow."""

    def __init__(
        self, home: Path, config_file: Path | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.home = home
        self.config_file = config_file
        self.clock = clock
        self.lock = threading.Lock()
        self.pending: dict[str, Pending] = {}
        self.last_lang: dict[str, str] = {}  # by number: the language of their last keyword
        self.limits = Limits()
        self.database = Database(home / "notices.db")
        # Commands run one at a time (they take the command lock anyway); replies apart, so
        # a long command never holds back another person's code.
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sms-command")
        self.replies = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sms-reply")
        from notices.staffline import StaffLine

        self.calls = StaffLine(self)

    def close(self) -> None:
        self.worker.shutdown(wait=True)
        self.replies.shutdown(wait=True)
        self.database.close()

    # -- the webhook ---------------------------------------------------------------------

    def handle(self, target: str, signature: str | None, raw: bytes) -> Response:
        """One webhook request: the path with its query, X-Twilio-Signature, the form body."""
        try:
            config = load_config(config_path(self.home, self.config_file))
        except NoticesError as exc:
            self._log("sms.refused", {"reason": "configuration", "error": str(exc)})
            return 503, b"", "text/plain"
        sms = config.sms
        voice = target.split("?", 1)[0].endswith(VOICE_PATH)
        if not sms.enabled or sms.public_url is None or (voice and not sms.voice.enabled):
            return 404, b"", "text/plain"
        form = _Form(parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
        with self.lock:
            if voice:
                return self.calls.handle(config, sms, sms.public_url, target, signature or "", form)
            return self._handle(config, sms, sms.public_url, target, signature or "", form)

    def _handle(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        target: str,
        signature: str,
        form: _Form,
    ) -> Response:
        now = self.clock()
        sender = _one(form, "From")
        refused = self.check_signature(sms, public_url, target, signature, form, now, "sms")
        if refused is not None:
            return refused
        sid = _one(form, "MessageSid") or _one(form, "SmsSid")
        if not sid:
            self._log("sms.refused", {"reason": "not an incoming SMS (no MessageSid)"})
            return 400, b"", "text/plain"
        if not self._first_time(sid):
            self._fail(sender, now, sms)
            self._log("sms.refused", {"reason": "replayed request", "message": sid})
            return 200, EMPTY_TWIML, TWIML
        if _one(form, "To") != sms.number:
            self._log("sms.refused", {"reason": "sent to another number", "message": sid})
            return 200, EMPTY_TWIML, TWIML
        staff = self.allowed(sms, sender, now, "sms", {"message": sid})
        if staff is None:
            return 200, EMPTY_TWIML, TWIML
        self._accept_from(config, sms, staff, (_one(form, "Body") or "").strip(), sid, now)
        return 200, EMPTY_TWIML, TWIML

    # -- the checks SMS and calls share -----------------------------------------------------

    def check_signature(
        self,
        sms: SmsConfig,
        public_url: str,
        target: str,
        signature: str,
        form: _Form,
        now: float,
        channel: str,
    ) -> Response | None:
        """None if Twilio signed this request, else the refusal (403 or 503), logged."""
        from twilio.request_validator import RequestValidator

        token = os.environ.get(sms.auth_token_env)
        if not token:
            self._log(
                f"{channel}.refused",
                {
                    "reason": f"no auth token: the environment variable {sms.auth_token_env} is"
                    " not set, so no request can be validated"
                },
                channel=channel,
            )
            return 503, b"", "text/plain"
        # The URL Twilio used, as configured: the Host header is the proxy's, or forged.
        url = public_url.rstrip("/") + target
        if RequestValidator(token).validate(url, form, signature):
            return None
        flood = self._count(self.limits.bad_signatures, now, sms) > sms.max_failures_total
        if not flood or len(self.limits.bad_signatures) == sms.max_failures_total + 1:
            self._log(
                f"{channel}.refused",
                {
                    "reason": "invalid signature",
                    "sender": self._ref(_one(form, "From")),
                    "more_not_logged": flood,
                },
                channel=channel,
            )
        return 403, b"", "text/plain"

    def allowed(
        self, sms: SmsConfig, sender: str | None, now: float, channel: str, about: dict[str, Any]
    ) -> StaffMember | None:
        """The staff member with this number; else None, counted as a failure and logged with
        the number's keyed digest only (not logged once the total is over its limit)."""
        staff = next((s for s in sms.staff if s.number == sender), None)
        if staff is None:
            flooding = len(self._window(self.limits.total, now, sms)) > sms.max_failures_total
            self._fail(sender, now, sms)
            if not flooding:
                self._log(
                    f"{channel}.refused",
                    {"reason": f"unknown {_SENDER[channel]}", "sender": self._ref(sender), **about},
                    channel=channel,
                )
        return staff

    def _accept_from(
        self, config: Config, sms: SmsConfig, staff: StaffMember, body: str, sid: str, now: float
    ) -> None:
        """A signed message from an allowlisted number: a command, a code, or nonsense."""
        lang = self._lang(config, staff, body)
        blocked = self._blocked(staff.number, now, sms)
        if blocked:
            self._log(
                "sms.refused",
                {"reason": "too many failed attempts", "scope": blocked, "message": sid},
                actor=staff.name,
            )
            told = self.limits.locked_told.get(staff.number)
            if told is None or now - told > sms.failure_window_s:
                self.limits.locked_told[staff.number] = now
                minutes = max(1, round(sms.failure_window_s / 60))
                self._reply(sms, staff, text(lang, "locked", minutes=minutes), "locked")
            return
        if CODE.match(body):
            self._code(config, sms, staff, body, sid, now)
            return
        try:
            command = parse_command(body, config, staff)
        except TimeError as exc:
            self._log("sms.refused", {"reason": "bad time", "message": sid}, actor=staff.name)
            self._reply(sms, staff, text(lang, "bad_time", error=str(exc)), "bad time")
            return
        self.last_lang[staff.number] = lang
        if command is None:
            self._log("sms.refused", {"reason": "not a command", "message": sid}, actor=staff.name)
            self._reply(sms, staff, _usage(config, lang), "usage")
            return
        expected_pin = os.environ.get(staff.pin_env) if staff.pin_env else None
        received = {"message": sid, "command": command.name, "typed": command.typed}
        if command.pin is not None and expected_pin:
            if hmac.compare_digest(command.pin.encode(), expected_pin.encode()):
                self.pending.pop(staff.number, None)
                self._log("sms.accepted", {**received, "factor": "pin"}, actor=staff.name)
                self.worker.submit(self._run, config, sms, staff, command, "pin")
            else:
                self._fail(staff.number, now, sms)
                self._log("sms.refused", {**received, "reason": "wrong PIN"}, actor=staff.name)
                self._reply(sms, staff, text(command.lang, "wrong_pin"), "wrong PIN")
            return
        code = f"{secrets.randbelow(10**6):06d}"
        self.pending[staff.number] = Pending(
            command, code, now + sms.code_lifetime_s, sms.code_attempts
        )
        self._log(
            "sms.received",
            {
                **received,
                "second_factor": "code",
                "code_lifetime_s": sms.code_lifetime_s,
                "pin": "given but none configured" if command.pin is not None else None,
            },
            actor=staff.name,
        )
        lifetime = _lifetime(sms.code_lifetime_s)
        message = text(command.lang, "code", command=command.typed, code=code, lifetime=lifetime)
        self._reply(sms, staff, message, "code", log_text=False)

    def _code(
        self, config: Config, sms: SmsConfig, staff: StaffMember, body: str, sid: str, now: float
    ) -> None:
        pending = self.pending.get(staff.number)
        lang = self._lang(config, staff, body)
        if pending is None:
            self._fail(staff.number, now, sms)
            self._log(
                "sms.refused",
                {"reason": "code without a command", "message": sid},
                actor=staff.name,
            )
            self._reply(sms, staff, text(lang, "no_pending"), "no command pending")
            return
        about = {"message": sid, "command": pending.command.name, "typed": pending.command.typed}
        if now > pending.expires:
            del self.pending[staff.number]
            self._fail(staff.number, now, sms)
            self._log("sms.refused", {**about, "reason": "expired code"}, actor=staff.name)
            self._reply(sms, staff, text(lang, "expired"), "expired code")
            return
        if not hmac.compare_digest(body.encode(), pending.code.encode()):
            pending.attempts_left -= 1
            if pending.attempts_left <= 0:
                del self.pending[staff.number]
            self._fail(staff.number, now, sms)
            self._log(
                "sms.refused",
                {**about, "reason": "wrong code", "attempts_left": pending.attempts_left},
                actor=staff.name,
            )
            self._reply(sms, staff, text(lang, "wrong_code"), "wrong code")
            return
        del self.pending[staff.number]
        self._log("sms.accepted", {**about, "factor": "code"}, actor=staff.name)
        self.worker.submit(self._run, config, sms, staff, pending.command, "code")

    def _lang(self, config: Config, staff: StaffMember, body: str) -> str:
        """Replies speak the language of the keyword texted, else of the command waiting for
        a code, else of the person's last keyword, else theirs or the first configured."""
        word = (body.split(maxsplit=1) or [""])[0]
        folded = fold_keyword(word)
        found = [
            lang
            for by_lang in config.sms.all_keywords().values()
            for lang, keyword in by_lang.items()
            if fold_keyword(keyword) == folded
        ]
        if found:
            order = [staff.language, *config.languages]
            return next((lang for lang in order if lang in found), found[0])
        pending = self.pending.get(staff.number)
        if pending is not None:
            return pending.command.lang
        return self.last_lang.get(staff.number) or staff.language or config.languages[0]

    # -- running: the CLI's flow ---------------------------------------------------------

    def _run(
        self,
        config: Config,
        sms: SmsConfig,
        staff: StaffMember,
        command: Command,
        factor: str,
        channel: str = "sms",
    ) -> str:
        """Run `command` as the CLI would; the outcome goes to the staff member by SMS and
        is returned (a call speaks it)."""
        from notices.orchestrator import Orchestrator, build_channels

        arguments = {
            "channel": channel,
            "factor": factor,
            "typed": command.typed,
            "until": command.until,
            "for": command.for_,
            "reason": None,
            "dry_run": False,
        }
        try:
            orchestrator = Orchestrator(
                config, self.home, build_channels(config, self.home), actor=staff.name
            )
        except NoticesError as exc:
            reply = _not_run(command, exc)
            self._send(sms, staff, reply[:MAX_SMS], "not run", True, channel)
            return reply
        try:
            if command.name == "status":
                reply = self._status(orchestrator, config, command)
            elif command.name == "resume":
                reply = self._resume(orchestrator, config, command, arguments)
            else:
                reply = self._switch(orchestrator, config, command, arguments)
        except Exception as exc:  # noqa: BLE001 - the person must hear of any failure
            reply = _not_run(command, exc)
        finally:
            orchestrator.close()
        # Sent from here, not queued: at shutdown the command's reply still goes out.
        self._send(sms, staff, reply[:MAX_SMS], "result", True, channel)
        return reply

    def _switch(
        self, orchestrator: Any, config: Config, command: Command, arguments: dict[str, Any]
    ) -> str:
        from notices.schedule import nudge, resume_planner
        from notices.timeparse import expected_return_explained

        moment = expected_return_explained(command.until, command.for_, config.zone)
        returning = moment.utc if moment else None
        planner = resume_planner(orchestrator, returning, source=command.name)
        result = orchestrator.switch(
            command.name,
            reasons=None,
            expected_return=returning,
            dry_run=False,
            arguments=arguments,
            before_finish=planner,
        )
        if planner is not None:
            nudge(orchestrator.database)
        reply = _result_text(result, config, command, "switched")
        # A time the clocks skip or repeat: say how it was read, as the CLI does.
        return f"{reply}\n{moment.note}" if moment and moment.note else reply

    def _resume(
        self, orchestrator: Any, config: Config, command: Command, arguments: dict[str, Any]
    ) -> str:
        from notices.schedule import Plan, nudge, resume_canceller

        cancelled: list[Plan] = []
        result = orchestrator.resume(
            dry_run=False,
            arguments=arguments,
            before_finish=resume_canceller(orchestrator, cancelled),
        )
        if cancelled:
            nudge(orchestrator.database)
        if result.message:
            return text(command.lang, "nothing_open")
        return _result_text(result, config, command, "restored")

    def _status(self, orchestrator: Any, config: Config, command: Command) -> str:
        from notices.schedule import schedule_report

        lang = command.lang
        report = orchestrator.status()
        incident = orchestrator.incidents.open_incident()
        schedule = schedule_report(
            orchestrator.database, incident, orchestrator.channels, self.home, config.timezone
        )
        mode = report["mode"]
        shown = text(lang, "normal") if mode == "normal" else _keyword(config, mode, lang)
        started = report["started"]
        since = text(lang, "since", when=_when(started, lang, config)) if started else ""
        lines = [text(lang, "status", mode=shown, since=since)]
        for entry in report["channels"]:
            state = entry["state"]
            if not entry["ok"]:
                state = f"{text(lang, 'error')} ({entry.get('error')})"
            elif state == "normal":
                state = text(lang, "normal")
            else:
                state = _keyword(config, state, lang)
            lines.append(f"{entry['name']}: {state}")
        if schedule["planned_resume"]:
            lines.append(text(lang, "return", when=_when(schedule["planned_resume"], lang, config)))
            if not schedule["scheduler"]["alive"]:
                lines.append(text(lang, "scheduler_down"))
        return "\n".join(lines)

    # -- limits --------------------------------------------------------------------------

    def _window(self, times: deque[float], now: float, sms: SmsConfig) -> deque[float]:
        while times and now - times[0] > sms.failure_window_s:
            times.popleft()
        return times

    def _count(self, times: deque[float], now: float, sms: SmsConfig) -> int:
        times.append(now)
        return len(self._window(times, now, sms))

    def _fail(self, sender: str | None, now: float, sms: SmsConfig) -> None:
        self._count(self.limits.total, now, sms)
        if sender:
            self._count(self.limits.per_sender.setdefault(sender, deque()), now, sms)

    def _blocked(self, sender: str, now: float, sms: SmsConfig) -> str | None:
        mine = self._window(self.limits.per_sender.get(sender, deque()), now, sms)
        if len(mine) >= sms.max_failures_per_sender:
            return "sender"
        if len(self._window(self.limits.total, now, sms)) >= sms.max_failures_total:
            return "all senders"
        return None

    # -- log, replay, replies --------------------------------------------------------------

    def _log(
        self, kind: str, payload: dict[str, Any], actor: str = SMS_ACTOR, channel: str = "sms"
    ) -> None:
        log = EvidenceLog(self.database, actor=actor)
        log.append(kind, {"channel": channel, **payload})
        log.anchor(kind)

    def _ref(self, number: str | None) -> str | None:
        """A sender's number as personal data: the log holds only its keyed digest."""
        if not number:
            return None
        from notices.personal import PersonalData

        return PersonalData(self.database).remember(number, utc_stamp(datetime.now(UTC)))

    def _first_time(self, sid: str) -> bool:
        import sqlite3

        try:
            with self.database.transaction() as conn:
                conn.execute(
                    "INSERT INTO sms_messages (sid, seen) VALUES (?, ?)",
                    (sid, utc_stamp(datetime.now(UTC))),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def _reply(
        self, sms: SmsConfig, staff: StaffMember, message: str, purpose: str, log_text: bool = True
    ) -> None:
        """Send `message` to the staff member, from the reply workers."""
        self.replies.submit(self._send, sms, staff, message[:MAX_SMS], purpose, log_text)

    def _send(
        self,
        sms: SmsConfig,
        staff: StaffMember,
        message: str,
        purpose: str,
        log_text: bool,
        channel: str = "sms",
    ) -> None:
        try:
            sid = _twilio(sms).messages.create(to=staff.number, from_=sms.number, body=message)
            payload: dict[str, Any] = {"to": staff.name, "purpose": purpose, "message": sid.sid}
            if log_text:
                payload["text"] = message
            self._log("sms.replied", payload, actor=staff.name, channel=channel)
        except Exception as exc:  # noqa: BLE001 - logged; nothing else can be done from here
            error = (str(exc) or type(exc).__name__).replace(staff.number, staff.name)
            token = os.environ.get(sms.auth_token_env)
            if token:
                error = error.replace(token, "***")
            self._log(
                "sms.reply_failed",
                {"to": staff.name, "purpose": purpose, "error": error},
                actor=staff.name,
                channel=channel,
            )


def _twilio(sms: SmsConfig) -> Any:
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


def _one(form: Mapping[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[-1] if values else None


def _keyword(config: Config, command: str, lang: str) -> str:
    words = config.sms.all_keywords().get(command, {})
    return words.get(lang) or words.get("en") or command


def _usage(config: Config, lang: str) -> str:
    commands = []
    for command in config.sms.all_keywords():
        word = _keyword(config, command, lang)
        commands.append(word + (" [4h|15:30]" if command not in ("resume", "status") else ""))
    return text(lang, "usage", commands=", ".join(commands))


def _lifetime(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 60 else f"{round(seconds / 60)} min"


def _when(stamp: str, lang: str, config: Config) -> str:
    from notices.render import when

    return when(from_stamp(stamp), lang, config.zone, datetime.now(UTC))


def _not_run(command: Command, exc: BaseException) -> str:
    error = str(exc) or type(exc).__name__
    return text(command.lang, "not_run", command=command.typed, error=error)


def _result_text(result: Any, config: Config, command: Command, verb: str) -> str:
    lang = command.lang
    head = "done" if result.ok else "failed"
    lines = [text(lang, head, command=command.typed)]
    for outcome in result.outcomes:
        if not outcome.ok:
            state = f"{text(lang, 'error')}: {outcome.error}"
        else:
            state = text(lang, verb if outcome.changed else "unchanged")
        lines.append(f"{outcome.name}: {state}")
    incident = result.incident
    if command.name != "resume" and incident is not None:
        if incident.expected_return:
            lines.append(text(lang, "return", when=_when(incident.expected_return, lang, config)))
        else:
            lines.append(text(lang, "no_return", resume=_keyword(config, "resume", lang)))
    if not result.ok:
        lines.append(text(lang, "retry"))
    return "\n".join(lines)
