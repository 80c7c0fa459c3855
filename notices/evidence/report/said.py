"""Every record kind said in words, in the report's language: one sentence per kind from
`[report.said]`, its values put in words (`[report.words]`: statuses, steps, reasons,
error classes, ...) and any other fields labelled in words (`[report.fields]`). The raw
JSON is only in the attachments; what a provider or a person wrote (an error message, a
reason, a subject) is quoted as it was, being evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from notices.evidence.log import Record
from notices.evidence.report.text import ReportText

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LONG = 90  # characters of a field's text shown; the attachments hold all of it
# Fields whose values are words of a group in [report.words] (a field of that name).
WORD_FIELDS = frozenset(
    {
        "status",
        "direction",
        "step",
        "reason",
        "purpose",
        "factor",
        "type",
        "contact",
        "personal_data",
        "matched",
        "second_factor",
        "scope",
        "command",
        "actor_type",
        "source",
        "event_type",
        "externalAudience",
    }
)
# Lists of words: a provider's field names, languages.
LIST_WORDS = {"fields": "property", "properties": "property", "languages": "language"}
PARTIES = frozenset({"party", "sender"})  # keyed digests of a caller's number or address

Saying = Callable[[dict[str, Any], ReportText], str]


def said(record: Record, t: ReportText) -> str:
    """A record's payload in one line of words; a kind without its own sentence as
    labelled fields."""
    saying = SAYINGS.get(record.kind)
    if saying is None:
        return fields(record.payload, t)
    return saying(record.payload, t)


def word(t: ReportText, group: str, value: Any) -> str:
    """`value` (a status, a step, a reason, ...) in the report's language; as it was
    written, quoted, where the language has no word for it."""
    if value is None or value == "":
        return "—"
    found = t.texts().get(f"report.words.{group}.{value}")
    return found if found is not None else quoted(str(value))


def quoted(text: str, limit: int | None = None) -> str:
    """Text from outside (an error message, a subject) as it was, on one line; cut at
    `limit` characters if one is given."""
    text = " ".join(text.split())
    return f"“{text[:limit]}…”" if limit and len(text) > limit else f"“{text}”"


def fields(payload: dict[str, Any], t: ReportText) -> str:
    """Each field labelled in words: `label: value; label: value`. Fields starting with `_`
    and empty ones are left out."""
    parts = []
    for key, value in payload.items():
        if key.startswith("_") or value in (None, "", [], {}):
            continue
        parts.append(f"{t.field(key)}: {value_said(key, value, t)}")
    return "; ".join(parts) or "—"


def published_fields(text: str, t: ReportText) -> str | None:
    """A published file that is a JSON object (the website's status.json, a mailbox's
    auto-reply setting) as labelled lines in words, every text whole; None for any other
    file, which is shown as it is."""
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return None
    return "\n".join(_field_lines(value, t, "")) if isinstance(value, dict) else None


def _field_lines(value: dict[str, Any], t: ReportText, indent: str) -> list[str]:
    lines = []
    for key, item in value.items():
        if key == "mode":
            lines.append(f"{indent}{t.field(key)}: {command_word(item, t)}")
        elif isinstance(item, dict):
            lines.append(f"{indent}{t.field(key)}:")
            lines.extend(_field_lines(item, t, indent + "    "))
        elif isinstance(item, str) and not STAMP.match(item) and key not in WORD_FIELDS | {"mode"}:
            lines.append(f"{indent}{t.field(key)}: {item}")
        else:
            lines.append(f"{indent}{t.field(key)}: {value_said(key, item, t)}")
    return lines


def value_said(key: str, value: Any, t: ReportText) -> str:
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, dict):
        return f"({fields(value, t)})"
    if isinstance(value, list):
        if key in LIST_WORDS:
            return ", ".join(word(t, LIST_WORDS[key], v) for v in value)
        return ", ".join(value_said(key, v, t) for v in value)
    if key in PARTIES:
        return t.party(str(value))
    if isinstance(value, str) and STAMP.match(value):
        return t.when(value)
    if key in WORD_FIELDS and isinstance(value, str):
        return word(t, key, value)
    if isinstance(value, int | float):
        return t.number(value)
    if isinstance(value, str) and " " in value:
        return quoted(value, LONG)  # a long text (a script) is whole in the attachments
    return str(value)


def command_word(command: Any, t: ReportText) -> str:
    """A command: a mode by its title in the report's language, else its word."""
    title = t.data.mode_titles.get(str(command), {}).get(t.data.lang)
    return f"“{title}”" if title else word(t, "command", command)


# -- the sayings, one per kind -------------------------------------------------------------


def _log_started(p: dict[str, Any], t: ReportText) -> str:
    key = p.get("signing_key") or {}
    return t("said.log.started", fingerprint=key.get("fingerprint_sha256"))


def _log_exported(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.log.exported",
        first=p.get("first_seq"),
        last=p.get("last_seq"),
        language=word(t, "language", p.get("lang")),
        personal=word(t, "personal_data", p.get("personal_data")),
    )


def _command_started(p: dict[str, Any], t: ReportText) -> str:
    args = {k: v for k, v in (p.get("arguments") or {}).items() if v}
    said_ = t("said.command.started", command=command_word(p.get("command"), t))
    return f"{said_}: {fields(args, t)}" if args else said_


def _command_finished(p: dict[str, Any], t: ReportText) -> str:
    failed = [c for c in p.get("channels") or [] if not c.get("ok")]
    outcome = (
        t("said.every_channel_holds")
        if p.get("ok")
        else t(
            "said.channels_failed",
            channels=", ".join(
                f"{c.get('name')} ({quoted(str(c.get('error') or '—'))})" for c in failed
            )
            or "—",
        )
    )
    return t("said.command.finished", command=command_word(p.get("command"), t), outcome=outcome)


def _incident_opened(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.incident.opened",
        mode=command_word(p.get("mode"), t),
        when=t.when(p.get("expected_return"), False),
    )


def _incident_updated(p: dict[str, Any], t: ReportText) -> str:
    ret = p.get("expected_return") or {}
    text = t(
        "said.incident.updated",
        before=t.when(ret.get("from"), False),
        after=t.when(ret.get("to"), False),
    )
    mode = p.get("mode") or {}
    if mode.get("from") != mode.get("to"):
        text += "; " + t(
            "said.mode_changed",
            before=command_word(mode.get("from"), t),
            after=command_word(mode.get("to"), t),
        )
    return text


def _incident_closed(p: dict[str, Any], t: ReportText) -> str:
    return t("said.incident.closed", when=t.when(p.get("ended")))


def _summary(p: dict[str, Any], t: ReportText) -> str:
    """A channel's setting as the channel described it (a few words of its own)."""
    summary = str((p.get("setting") or {}).get("summary", ""))
    return word(t, "summary", summary)


def _channel_snapshot(p: dict[str, Any], t: ReportText) -> str:
    return t("said.channel.snapshot", setting=_summary(p, t))


def _channel_restored(p: dict[str, Any], t: ReportText) -> str:
    key = "said.channel.restored" if p.get("changed", True) else "said.channel.unchanged"
    return t(key, setting=_summary(p, t))


def _channel_applied(p: dict[str, Any], t: ReportText) -> str:
    files = ", ".join(f"{n} ({a['sha256'][:12]}…)" for n, a in p.get("artefacts", {}).items())
    return t("said.channel.applied", files=files or "—")


def _channel_verified(p: dict[str, Any], t: ReportText) -> str:
    holds = t("holds") if p.get("holds") else t("differs")
    return t("said.channel.verified", holds=holds, setting=word(t, "summary", _read_back(p)))


def _read_back(p: dict[str, Any]) -> str:
    return str((p.get("read_back") or {}).get("summary", ""))


def _channel_retry(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.channel.retry",
        step=word(t, "step", p.get("step")),
        attempt=p.get("attempt"),
        error=quoted(str(p.get("error"))),
        wait=t.number(p.get("retry_in_s") or 0),
    )


def _channel_failed(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.channel.failed",
        step=word(t, "step", p.get("step") or "apply"),
        type=word(t, "type", p.get("type") or "error"),
        error=quoted(str(p.get("error"))),
    )


def _channel_skipped(p: dict[str, Any], t: ReportText) -> str:
    return t("said.channel.skipped", reason=word(t, "reason", p.get("reason")))


def _contact_received(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.contact.received",
        contact=word(t, "contact", p.get("contact")),
        party=t.party(str(p.get("party"))),
        detail=contact_detail(p.get("detail") or {}, t),
    )


def contact_detail(detail: dict[str, Any], t: ReportText) -> str:
    """A contact's provider details in words: a call's direction, length and status."""
    if "status" in detail and ("duration_s" in detail or "duration" in detail):
        rest = {
            k: v
            for k, v in detail.items()
            if k not in ("status", "duration_s", "duration", "direction")
        }
        call = t(
            "said.call",
            direction=word(t, "direction", detail.get("direction") or "inbound"),
            duration=detail.get("duration_s", detail.get("duration")),
            status=word(t, "status", detail["status"]),
        )
        return f"{call}; {fields(rest, t)}" if rest else call
    return fields(detail, t)


def _contacts_collected(p: dict[str, Any], t: ReportText) -> str:
    said_ = []
    for name, c in (p.get("channels") or {}).items():
        if c.get("error"):
            said_.append(t("said.collect_error", channel=name, error=quoted(str(c["error"]))))
        elif not c.get("available"):
            said_.append(t("said.collect_none", channel=name))
        else:
            said_.append(
                t("said.collect_count", channel=name, n=c.get("received"), new=c.get("new"))
            )
    return t("said.contacts.collected", channels="; ".join(said_) or "—")


def _error(kind: str) -> Saying:
    def saying(p: dict[str, Any], t: ReportText) -> str:
        values = {k: v for k, v in p.items() if k != "error"}
        text = t(f"said.{kind}", error=quoted(str(p.get("error"))))
        return f"{text}; {fields(values, t)}" if values else text

    return saying


def _checkpoint_written(p: dict[str, Any], t: ReportText) -> str:
    return t("said.checkpoint.written", line=p.get("line"), seq=p.get("last_seq"))


def _checkpoint_stamped(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.checkpoint.stamped",
        line=p.get("line"),
        when=t.when(p.get("gen_time")),
        delay=t.number(p.get("delay_s") or 0),
    )


def _checkpoint_stamp_failed(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.checkpoint.stamp_failed",
        authority=p.get("authority"),
        error=quoted(str(p.get("error"))),
        waiting=p.get("waiting"),
    )


def _dossier_timestamp_failed(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.dossier.timestamp_failed",
        authority=p.get("authority"),
        error=quoted(str(p.get("error"))),
    )


def _node_leading(p: dict[str, Any], t: ReportText) -> str:
    return t("said.node.leading", node=p.get("node"), previous=p.get("previous"))


def _resume_scheduled(p: dict[str, Any], t: ReportText) -> str:
    return t("said.resume.scheduled", when=t.when(p.get("planned"), False))


def _resume_cancelled(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.resume.cancelled",
        when=t.when(p.get("planned"), False),
        reason=word(t, "reason", p.get("reason")),
    )


def _resume_due(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.resume.due", when=t.when(p.get("planned"), False), late=t.number(p.get("late_s", 0))
    )


def _resume_failed(p: dict[str, Any], t: ReportText) -> str:
    again = p.get("next_try")
    return t(
        "said.resume.failed",
        when=t.when(p.get("planned"), False),
        error=quoted(str(p.get("error"))),
        tries=p.get("try"),
        again=t.when(again, False) if again else t("said.no_more_tries"),
    )


def _personal_shown(p: dict[str, Any], t: ReportText) -> str:
    return t("said.personal.shown", n=p.get("count"), purpose=word(t, "purpose", p.get("purpose")))


def _personal_purged(p: dict[str, Any], t: ReportText) -> str:
    return t(
        "said.personal.purged",
        when=t.when(p.get("cutoff"), False),
        n=len(p.get("refs") or []),
        older=p.get("older_than"),
    )


def _staff(kind: str) -> Saying:
    """A staff command by SMS or on the staff line: what happened, then its details."""

    def saying(p: dict[str, Any], t: ReportText) -> str:
        shown = {k: v for k, v in p.items() if k not in ("channel", "command", "reason")}
        text = t(
            f"said.{kind}",
            command=command_word(p.get("command"), t) if p.get("command") else "—",
            reason=word(t, "reason", p.get("reason")),
        )
        return f"{text}; {fields(shown, t)}" if shown else text

    return saying


SAYINGS: dict[str, Saying] = {
    "log.started": _log_started,
    "log.exported": _log_exported,
    "command.started": _command_started,
    "command.finished": _command_finished,
    "incident.opened": _incident_opened,
    "incident.updated": _incident_updated,
    "incident.closed": _incident_closed,
    "channel.snapshot": _channel_snapshot,
    "channel.applied": _channel_applied,
    "channel.verified": _channel_verified,
    "channel.retry": _channel_retry,
    "channel.failed": _channel_failed,
    "channel.restored": _channel_restored,
    "channel.skipped": _channel_skipped,
    "contact.received": _contact_received,
    "contacts.collected": _contacts_collected,
    "contacts.failed": _error("contacts.failed"),
    "checkpoint.written": _checkpoint_written,
    "checkpoint.stamped": _checkpoint_stamped,
    "checkpoint.stamp_failed": _checkpoint_stamp_failed,
    "dossier.timestamp_failed": _dossier_timestamp_failed,
    "resume.scheduled": _resume_scheduled,
    "resume.cancelled": _resume_cancelled,
    "resume.due": _resume_due,
    "node.leading": _node_leading,
    "resume.failed": _resume_failed,
    "personal.shown": _personal_shown,
    "personal.purged": _personal_purged,
    "witness.failed": _error("witness.failed"),
    **{kind: _staff(kind) for kind in ("sms.received", "sms.accepted", "sms.refused")},
    **{kind: _staff(kind) for kind in ("sms.replied", "sms.reply_failed")},
    **{kind: _staff(kind) for kind in ("voice.answered", "voice.accepted", "voice.refused")},
    "voice.replied": _staff("voice.replied"),
}
