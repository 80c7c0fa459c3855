"""Switching by SMS: authorised staff text the company's Twilio number; `serve` runs it.

    POST /_notices/sms (Twilio's messaging webhook)
      -> the gate (notices/staff/gate.py): signature, replay, allowlist, limits
      -> `EVAKUOI 4h`: a one-time code goes back to that number (Messages API); the command
         runs when the same number answers with it in time. `EVAKUOI 4h 1234`: the staff
         member's PIN instead of the code, runs at once. TILA/STATUS needs the same.
      -> `commands`, as every door: actor = the staff member's name, arguments
         {"channel": "sms", ...}; the outcome per channel goes back by SMS.

The webhook answers at once with empty TwiML (Twilio waits 15 s at most); commands run on
the gate's worker and every reply is sent through the Messages API. Codes live in memory
only: a restarted `serve` forgets pending codes (send the command again); the limits on
them live in the database. A new command does not cancel a code still valid: several may
wait, each confirms its own command, at most `max_codes_per_hour` per number.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notices import commands, locales
from notices.config import Config, SmsConfig, StaffMember, fold_keyword
from notices.errors import NoticesError, TimeError, UsageError
from notices.staff.gate import EMPTY_TWIML, MAX_SMS, TWIML, Form, Response, StaffGate, one
from notices.staff.limits import Budget
from notices.staff.sms_words import Command, keyword, parse_command, reason_language
from notices.timeparse import from_stamp, utc_stamp

CODE = re.compile(r"^\d{6}$")


def text(lang: str, key: str, **values: Any) -> str:
    """A reply to staff by SMS: `[sms]` in notices/locales/<lang>.toml."""
    return locales.text(lang, f"sms.{key}", **values)


@dataclass
class Pending:
    command: Command
    code: str
    expires: float
    attempts_left: int


class SmsLine:
    """Staff commands by SMS: a command, then its code (or a PIN with it)."""

    def __init__(self, gate: StaffGate) -> None:
        self.gate = gate
        self.pending: dict[str, list[Pending]] = {}  # by number, oldest first
        self.last_lang: dict[str, str] = {}  # by number: the language of their last keyword

    def handle(
        self,
        config: Config,
        sms: SmsConfig,
        public_url: str,
        target: str,
        signature: str,
        form: Form,
    ) -> Response:
        now = self.gate.clock()
        sender = one(form, "From")
        refused = self.gate.check_signature(sms, public_url, target, signature, form, now, "sms")
        if refused is not None:
            return refused
        sid = one(form, "MessageSid") or one(form, "SmsSid")
        if not sid:
            self.gate.log("sms.refused", {"reason": "not an incoming SMS (no MessageSid)"})
            return 400, b"", "text/plain"
        if not self.gate.first_time(sid):
            if self.gate.replayed(sms):
                self.gate.log("sms.refused", {"reason": "replayed request", "message": sid})
            return 200, EMPTY_TWIML, TWIML
        if one(form, "To") != sms.number:
            self.gate.log("sms.refused", {"reason": "sent to another number", "message": sid})
            return 200, EMPTY_TWIML, TWIML
        staff = self.gate.allowed(sms, sender, now, "sms", {"message": sid})
        if staff is None:
            return 200, EMPTY_TWIML, TWIML
        self._accept_from(config, sms, staff, (one(form, "Body") or "").strip(), sid, now)
        return 200, EMPTY_TWIML, TWIML

    def _accept_from(
        self, config: Config, sms: SmsConfig, staff: StaffMember, body: str, sid: str, now: float
    ) -> None:
        """A signed message from an allowlisted number: a command, a code, or nonsense."""
        lang = self._lang(config, staff, body)
        blocked = self.gate.blocked(staff.number, now, sms)
        if blocked:
            # Logged and told once per window: a flood from a spoofed staff number neither
            # fills the log nor sends texts.
            if self.gate.first_telling("locked", staff.number, sms.failure_window_s):
                self.gate.log(
                    "sms.refused",
                    {"reason": "too many failed attempts", "scope": blocked, "message": sid},
                    actor=staff.name,
                )
                minutes = max(1, round(sms.failure_window_s / 60))
                self.gate.reply(sms, staff, text(lang, "locked", minutes=minutes), "locked")
            return
        if CODE.match(body):
            self._code(config, sms, staff, body, sid, now)
            return
        try:
            command = parse_command(body, config, staff)
        except UsageError as exc:
            why = "bad time" if isinstance(exc, TimeError) else "bad reason"
            self._unclear(sms, staff, sid, why, text(lang, "bad_time", error=str(exc)))
            return
        self.last_lang[staff.number] = lang
        if command is None:
            self._unclear(sms, staff, sid, "not a command", _usage(config, lang))
            return
        self._second_factor(config, sms, staff, command, sid, now)

    def _unclear(
        self, sms: SmsConfig, staff: StaffMember, sid: str, reason: str, answer: str
    ) -> None:
        """A text that is no command: answered with help, up to `max_failures_per_sender`
        times per window and number (never locking anyone out); past it, logged once more
        and then not answered, so a spoofed staff number cannot make us text on and on."""
        budget = self.gate.unclear(staff.number, sms)
        if budget is Budget.QUIET:
            return
        more = {"more_not_logged": True} if budget is Budget.LAST else {}
        self.gate.log("sms.refused", {"reason": reason, "message": sid, **more}, actor=staff.name)
        if budget is Budget.LOG:
            self.gate.reply(sms, staff, answer, "usage" if reason == "not a command" else reason)

    def _second_factor(
        self,
        config: Config,
        sms: SmsConfig,
        staff: StaffMember,
        command: Command,
        sid: str,
        now: float,
    ) -> None:
        """A command with the staff member's PIN runs at once; without, a code goes back."""
        expected_pin = os.environ.get(staff.pin_env) if staff.pin_env else None
        received = {"message": sid, "command": command.name, "typed": command.typed}
        if command.pin is not None and expected_pin:
            if hmac.compare_digest(command.pin.encode(), expected_pin.encode()):
                self.gate.log("sms.accepted", {**received, "factor": "pin"}, actor=staff.name)
                self.gate.worker.submit(run_command, self.gate, config, sms, staff, command, "pin")
            else:
                self.gate.fail(staff.number, now, sms)
                self.gate.log("sms.refused", {**received, "reason": "wrong PIN"}, actor=staff.name)
                self.gate.reply(sms, staff, text(command.lang, "wrong_pin"), "wrong PIN")
            return
        if not self._may_send_code(sms, staff, command, received):
            return
        code = f"{secrets.randbelow(10**6):06d}"
        waiting = [p for p in self.pending.get(staff.number, []) if now <= p.expires]
        waiting.append(Pending(command, code, now + sms.code_lifetime_s, sms.code_attempts))
        self.pending[staff.number] = waiting
        self.gate.log(
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
        self.gate.reply(sms, staff, message, "code", log_text=False)

    def _may_send_code(
        self, sms: SmsConfig, staff: StaffMember, command: Command, received: dict[str, Any]
    ) -> bool:
        """At most `max_codes_per_hour` codes per staff number; past it, logged and told
        once in the hour, and the codes already sent stay valid."""
        budget = self.gate.code_allowed(staff.number, sms)
        if budget is Budget.LAST:
            self.gate.log(
                "sms.refused",
                {**received, "reason": "too many code requests", "more_not_logged": True},
                actor=staff.name,
            )
            message = text(command.lang, "too_many_codes", count=sms.max_codes_per_hour)
            self.gate.reply(sms, staff, message, "too many codes")
        return budget is Budget.LOG

    def _code(
        self, config: Config, sms: SmsConfig, staff: StaffMember, body: str, sid: str, now: float
    ) -> None:
        """A code: it confirms the command it was sent for, if still valid."""
        waiting = self.pending.get(staff.number, [])
        lang = self._lang(config, staff, body)
        if not waiting:
            self.gate.fail(staff.number, now, sms)
            self.gate.log(
                "sms.refused",
                {"reason": "code without a command", "message": sid},
                actor=staff.name,
            )
            self.gate.reply(sms, staff, text(lang, "no_pending"), "no command pending")
            return
        match = next((p for p in waiting if hmac.compare_digest(body, p.code)), None)
        live = [p for p in waiting if now <= p.expires and p is not match]
        if match is None or now > match.expires:
            self._refuse_code(sms, staff, match or waiting[-1], live, sid, now, lang)
            return
        self.pending[staff.number] = live
        command = match.command
        about = {"message": sid, "command": command.name, "typed": command.typed}
        self.gate.log("sms.accepted", {**about, "factor": "code"}, actor=staff.name)
        self.gate.worker.submit(run_command, self.gate, config, sms, staff, command, "code")

    def _refuse_code(
        self,
        sms: SmsConfig,
        staff: StaffMember,
        about_pending: Pending,
        live: list[Pending],
        sid: str,
        now: float,
        lang: str,
    ) -> None:
        """An expired code (it dies), or a wrong one (every waiting code loses a try)."""
        command = about_pending.command
        about = {"message": sid, "command": command.name, "typed": command.typed}
        self.gate.fail(staff.number, now, sms)
        if now > about_pending.expires:
            self.pending[staff.number] = live
            self.gate.log("sms.refused", {**about, "reason": "expired code"}, actor=staff.name)
            self.gate.reply(sms, staff, text(lang, "expired"), "expired code")
            return
        for pending in live:
            pending.attempts_left -= 1
        self.pending[staff.number] = [p for p in live if p.attempts_left > 0]
        attempts_left = max((p.attempts_left for p in live), default=0)
        self.gate.log(
            "sms.refused",
            {**about, "reason": "wrong code", "attempts_left": attempts_left},
            actor=staff.name,
        )
        self.gate.reply(sms, staff, text(lang, "wrong_code"), "wrong code")

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
        waiting = self.pending.get(staff.number)
        if waiting:
            return waiting[-1].command.lang
        return self.last_lang.get(staff.number) or staff.language or config.languages[0]


# -- running: the same commands as every door ----------------------------------------------


def run_command(
    gate: StaffGate,
    config: Config,
    sms: SmsConfig,
    staff: StaffMember,
    command: Command,
    factor: str,
    channel: str = "sms",
) -> str:
    """Run `command` through `commands` as the staff member; the outcome goes to them by SMS
    and is returned (a call speaks it)."""
    arguments = {
        "channel": channel,
        "factor": factor,
        "typed": command.typed,
        "until": command.until,
        "for": command.for_,
        "reason": command.reason,
        "dry_run": False,
    }
    workspace = commands.Workspace(gate.home, config)
    try:
        with commands.open_session(workspace, actor=staff.name) as session:
            try:
                reply = _run(session, command, arguments)
            except Exception as exc:  # noqa: BLE001 - the person must hear of any failure
                reply = _not_run(command, exc)
    except NoticesError as exc:
        reply = _not_run(command, exc)
        gate.send(sms, staff, reply[:MAX_SMS], "not run", True, channel)
        return reply
    # Sent from here, not queued: at shutdown the command's reply still goes out.
    gate.send(sms, staff, reply[:MAX_SMS], "result", True, channel)
    return reply


def _run(session: commands.Session, command: Command, arguments: dict[str, Any]) -> str:
    config = session.config
    if command.name == "status":
        return _status_text(commands.status(session), config, command)
    if command.name == "resume":
        result = commands.resume(session, arguments=arguments).result
        if result.message:
            return text(command.lang, "nothing_open")
        return _result_text(result, config, command, "restored")
    if command.name == "extend":
        return _extend(session, command, arguments)
    plan = commands.plan_switch(
        session.workspace,
        command.name,
        until=command.until,
        for_=command.for_,
        reasons=[command.reason] if command.reason else None,
        reason_language=reason_language(config, command.lang),
    )
    commands.refuse_earlier(session, plan)
    result = commands.switch(session, plan, arguments=arguments).result
    reply = _result_text(result, config, command, "switched")
    # A time the clocks skip or repeat: say how it was read, as the CLI does.
    return f"{reply}\n{plan.note}" if plan.note else reply


def _extend(session: commands.Session, command: Command, arguments: dict[str, Any]) -> str:
    """JATKA 2h adds two hours to the current return; JATKA 18:00 sets it, never earlier
    (an SMS cannot be asked: shortening is for `notices extend --earlier`)."""
    config = session.config
    plan = commands.plan_extend(session, until=command.until, for_=command.for_)
    result = commands.switch(session, plan, arguments=arguments).result
    reply = _result_text(result, config, command, "switched")
    if plan.previous is not None and plan.returning is not None:
        old = _when(utc_stamp(plan.previous), command.lang, config)
        new = _when(utc_stamp(plan.returning), command.lang, config)
        reply = f"{reply}\n{text(command.lang, 'moved', old=old, new=new)}"
    return reply


def _status_text(report: dict[str, Any], config: Config, command: Command) -> str:
    lang = command.lang
    mode = report["mode"]
    shown = text(lang, "normal") if mode == "normal" else keyword(config, mode, lang)
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
            state = keyword(config, state, lang)
        lines.append(f"{entry['name']}: {state}")
    if report["planned_resume"]:
        lines.append(text(lang, "return", when=_when(report["planned_resume"], lang, config)))
        if not report["scheduler"]["alive"]:
            lines.append(text(lang, "scheduler_down"))
    return "\n".join(lines)


def _usage(config: Config, lang: str) -> str:
    commands = []
    for command in config.sms.all_keywords():
        word = keyword(config, command, lang)
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
            lines.append(text(lang, "no_return", resume=keyword(config, "resume", lang)))
    if not result.ok:
        lines.append(text(lang, "retry"))
    return "\n".join(lines)
