"""Every kind of record the code writes to the evidence log, found by reading the code
(`kinds_the_code_writes`), and for each an example payload shaped as the code writes it
(EXAMPLES), for a dossier that holds every kind. A test keeps the two lists equal, so a new
kind without an example (and so without a check of its words in the report) fails."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from notices.evidence.export import open_log

PACKAGE = Path(__file__).resolve().parents[2] / "notices"
KIND = re.compile(r"^[a-z]+\.[a-z_]+$")
# The calls that write a record, and which of their arguments is the kind.
WRITERS = {"append": 0, "log": 0, "_log": 0, "_append_retrying": 0, "_insert": 3}
STAFF_CHANNELS = ("sms", "voice")  # f"{channel}.refused" in notices/staff/gate.py

LONG_ERROR = (
    "HTTP 503 from api.twilio.com: Service Unavailable – the provider answered with an"
    " error page and no Retry-After; the number's routing was left as it was"
)
# (channel, payload) of each kind, as the code writes them (the files named beside each).
EXAMPLES: dict[str, tuple[str | None, dict[str, Any]]] = {
    # orchestrator/runner.py, flow.py
    "channel.retry": (
        "phone",
        {"step": "apply", "attempt": 2, "error": LONG_ERROR, "retry_in_s": 1.5},
    ),
    "channel.failed": (
        "phone",
        {"error": LONG_ERROR, "type": "TransientChannelError", "transient": True},
    ),
    "channel.skipped": ("mail", {"reason": "no snapshot in this incident"}),
    "contacts.failed": (None, {"error": "connection refused by monitor.twilio.com"}),
    "witness.failed": (None, {"error": "sftp://evidence.example.fi: authentication failed"}),
    # evidence/timestamp.py
    "checkpoint.stamped": (
        None,
        {
            "line": 2,
            "line_sha256": "ab" * 32,
            "gen_time": "2026-12-01T12:10:00.000Z",
            "delay_s": 312.5,
        },
    ),
    "checkpoint.stamp_failed": (
        None,
        {"authority": "https://freetsa.org/tsr", "error": "timed out after 5 s", "waiting": 2},
    ),
    # evidence/dossier.py
    "dossier.timestamp_failed": (
        None,
        {"authority": "https://freetsa.org/tsr", "error": "HTTP 503 from freetsa.org"},
    ),
    # leader.py (two serve nodes on PostgreSQL)
    "node.leading": (
        None,
        {
            "node": "notices-2:/var/lib/notices",
            "address": "https://notices-2.example.fi",
            "previous": "notices-1:/var/lib/notices",
        },
    ),
    # schedule.py
    "resume.due": (
        None,
        {"planned": "2026-12-01T14:00:00.000Z", "fired": "2026-12-01T14:00:02.100Z", "late_s": 2.1},
    ),
    "resume.failed": (
        None,
        {
            "planned": "2026-12-01T14:00:00.000Z",
            "error": LONG_ERROR,
            "try": 2,
            "next_try": "2026-12-01T14:05:00.000Z",
        },
    ),
    # cli/log.py, evidence/retention.py
    "personal.shown": (None, {"purpose": "callbacks", "count": 3}),
    "personal.purged": (
        None,
        {"older_than": "36m", "cutoff": "2023-12-01T00:00:00.000Z", "refs": ["hmac-sha256:00"]},
    ),
    # staff/sms.py, staff/gate.py (the gate adds the channel)
    "sms.received": (
        None,
        {
            "channel": "sms",
            "message": "SM" + "1" * 32,
            "command": "evacuate",
            "typed": "EVAKUOI 4h",
            "second_factor": "code",
            "code_lifetime_s": 300,
            "pin": None,
        },
    ),
    "sms.accepted": (
        None,
        {
            "channel": "sms",
            "message": "SM" + "2" * 32,
            "command": "evacuate",
            "typed": "EVAKUOI 4h",
            "factor": "code",
        },
    ),
    "sms.refused": (
        None,
        {"channel": "sms", "reason": "wrong PIN", "message": "SM" + "3" * 32, "typed": "EVAKUOI"},
    ),
    "sms.replied": (
        None,
        {"channel": "sms", "to": "Päivi", "purpose": "wrong PIN", "message": "SM" + "4" * 32},
    ),
    "sms.reply_failed": (
        None,
        {"channel": "sms", "to": "Päivi", "purpose": "code", "error": "HTTP 429 Too Many Requests"},
    ),
    # staff/call.py
    "voice.answered": (None, {"channel": "voice", "call": "CA" + "5" * 32}),
    "voice.accepted": (
        None,
        {"channel": "voice", "call": "CA" + "5" * 32, "step": "pin", "factor": "pin"},
    ),
    "voice.refused": (
        None,
        {"channel": "voice", "call": "CA" + "6" * 32, "step": "mode", "reason": "unknown choice"},
    ),
    "voice.replied": (
        None,
        {"channel": "voice", "call": "CA" + "5" * 32, "purpose": "result", "text": "Valmis."},
    ),
}
# Kinds a real switch, resume, export and checkpoint write (tests record them through the
# CLI): their payloads are the code's own.
RECORDED_BY_THE_CLI = frozenset(
    {
        "log.started",
        "log.exported",
        "command.started",
        "command.finished",
        "incident.opened",
        "incident.updated",
        "incident.closed",
        "channel.snapshot",
        "channel.applied",
        "channel.verified",
        "channel.restored",
        "contact.received",
        "contacts.collected",
        "checkpoint.written",
        "resume.scheduled",
        "resume.cancelled",
    }
)


def kinds_the_code_writes() -> set[str]:
    """Every kind passed to a call that writes a record, read from notices/'s source: a
    literal, a module constant, or f"{channel}.refused" of the staff gate."""
    constants: dict[str, str] = {}
    calls: list[ast.expr] = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        constants[target.id] = node.value.value
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and len(node.args) > WRITERS.get(node.func.attr, 99)
            ):
                calls.append(node.args[WRITERS[node.func.attr]])
    found: set[str] = set()
    for arg in calls:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.add(arg.value)
        elif isinstance(arg, ast.Name) and arg.id in constants:
            found.add(constants[arg.id])
        elif isinstance(arg, ast.JoinedStr):
            tail = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
            found.update(f"{channel}{tail}" for channel in STAFF_CHANNELS)
    return {kind for kind in found if KIND.match(kind)}


def add_every_kind(home: Path, incident: str) -> None:
    """Append one record of each kind in EXAMPLES to the incident, through the log's own
    append (as the code that writes them does)."""
    log = open_log(home)
    try:
        for kind, (channel, payload) in EXAMPLES.items():
            log.append(kind, payload, incident=incident, channel=channel)
    finally:
        log.database.close()


__all__ = ["EXAMPLES", "RECORDED_BY_THE_CLI", "add_every_kind", "kinds_the_code_writes"]
