"""Every fault the reliability suite injects, and what must happen: the one list that both
parametrises the tests and generates the table in docs/reliability.md (test_docs keeps the
two equal)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderFault:
    id: str
    what: str  # for people, as in the docs table
    transient: bool  # retried with backoff; permanent faults are tried once
    status: int | None = None  # an HTTP answer
    retry_after: str | None = None
    delay: bool = False  # no answer within the time-out (read time-out)
    drip: bool = False  # an answer that trickles and never ends
    network: str | None = None  # "refused" or "dns": the address itself is broken
    words: tuple[str, ...] = ()  # the summary says at least one of these (lower case)


PROVIDER_FAULTS = (
    ProviderFault(
        "http-401", "HTTP 401 (credentials refused)", False, status=401,
        words=("credentials", "sign-in", "401"),
    ),
    ProviderFault(
        "http-403", "HTTP 403 (no permission)", False, status=403,
        words=("permission", "allow", "denies", "credentials", "403"),
    ),
    ProviderFault(
        "http-404", "HTTP 404 (unknown number, mailbox or bucket)", False, status=404,
        words=("does not know", "no mailbox", "does not exist", "404"),
    ),
    ProviderFault(
        "http-429", "HTTP 429 with Retry-After: 1", True, status=429, retry_after="1",
        words=("slow down", "limiting", "429"),
    ),
    ProviderFault(
        "http-500", "HTTP 500", True, status=500,
        words=("server error", "temporary", "500"),
    ),
    ProviderFault(
        "http-503", "HTTP 503", True, status=503,
        words=("server error", "temporary", "503"),
    ),
    ProviderFault(
        "refused", "connection refused (nothing listens)", True, network="refused",
        words=("refused the connection",),
    ),
    ProviderFault(
        "dns", "DNS failure (host nonexistent.invalid)", True, network="dns",
        words=("cannot be found",),
    ),
    ProviderFault(
        "read-timeout", "no answer within the time-out", True, delay=True,
        words=("did not answer in time", "no complete answer"),
    ),
    ProviderFault(
        "never-ends", "an answer that never ends (a byte every 0.1 s)", True, drip=True,
        words=("without finishing", "no complete answer"),
    ),
)  # fmt: skip

# The real channel kinds the matrix runs against, and the stand-in each talks to.
CHANNEL_KINDS = {
    "twilio_voice": "Twilio stand-in (API 2010, from Twilio's OpenAPI description)",
    "email_graph": "Microsoft identity platform + Graph stand-in (TLS)",
    "email_gmail": "Google OAuth + Gmail API stand-in (TLS)",
    "banner": "S3 publisher: moto's S3 server behind a fault-injecting proxy",
}

PROVIDER_RESULT = {
    True: "retried with backoff ({attempts} attempts, each logged as `channel.retry`), then"
    " failed; the others switched; exit 1; `status` names it; a later `evacuate` switches"
    " only it",
    False: "not retried; failed at once; the others switched; exit 1; `status` names it; a"
    " later `evacuate` switches only it",
}

# Other faults: (area, fault, what must happen, the test that shows it).
OTHER_FAULTS = (
    ("crash", "SIGKILL after a channel's snapshot", "log verifies; `status` tells the truth; evacuate again converges; `resume` restores the pre-incident setting", "test_crashes.py::test_crash_at_a_step_boundary[after-snapshot]"),
    ("crash", "SIGKILL during a channel's apply (half of its numbers switched)", "the same", "test_crashes.py::test_crash_at_a_step_boundary[during-apply]"),
    ("crash", "SIGKILL after apply, before it is logged", "the same", "test_crashes.py::test_crash_at_a_step_boundary[after-apply]"),
    ("crash", "SIGKILL during resume (one channel restored)", "the same; the emergency setting is never taken as the original", "test_crashes.py::test_crash_at_a_step_boundary[before-restore]"),
    ("concurrency", "ten `evacuate` at once", "one incident; each channel switched once; chain valid", "test_concurrency.py::test_ten_evacuations_at_once"),
    ("concurrency", "`evacuate` and `resume` racing", "the final state is the last command's; the log shows the order", "test_concurrency.py::test_evacuate_and_resume_racing"),
    ("bad input", "unknown or malformed config keys, non-UTF-8 config, missing credentials, broken or undefined template variables, non-existent times, control characters or 10,000-character reasons", "one paragraph naming file/line/option; exit 2; nothing switched or logged", "test_bad_input.py"),
    ("injection", "a reason with `<`, `\"`, `&`, `]]>`, a Sieve `\\n.\\n`", "TwiML, HTML and Sieve parse, the text appears verbatim as text", "test_escaping.py"),
    ("secrets", "known fake secrets in every credential variable", "in no output, log, export, artefact, exception or database byte", "test_secrets.py"),
    ("durability", "WAL and synchronous=FULL", "checked on the database", "test_durability.py::test_log_uses_wal_and_full_sync"),
    ("durability", "full disk (tmpfs, and RLIMIT_FSIZE)", "fails before anything is switched; exit 1", "test_durability.py::test_full_disk_fails_before_switching"),
    ("durability", "read-only data folder (read-only bind mount)", "fails before anything is switched; exit 1", "test_durability.py::test_read_only_data_folder_fails_before_switching"),
)  # fmt: skip

ATTEMPTS = 2  # [retry] attempts in the suite's notices.toml


def table() -> str:
    """The tables of docs/reliability.md, between its markers."""
    lines = [
        "| fault | kind | result |",
        "|---|---|---|",
    ]
    for fault in PROVIDER_FAULTS:
        result = PROVIDER_RESULT[fault.transient].format(attempts=ATTEMPTS)
        kinds = ", ".join(f"`{k}`" for k in CHANNEL_KINDS)
        lines.append(f"| {fault.what} | {'transient' if fault.transient else 'permanent'}"
                     f" | {result} (each of {kinds}) |")  # fmt: skip
    lines += ["", "| area | fault | result | test |", "|---|---|---|---|"]
    for area, fault, result, test in OTHER_FAULTS:
        lines.append(f"| {area} | {fault} | {result} | `tests/reliability/{test}` |")
    return "\n".join(lines) + "\n"
