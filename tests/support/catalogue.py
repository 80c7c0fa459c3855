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
        words=("did not answer", "no complete answer"),
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

# Other faults: (area, fault, what must happen, the test that shows it, from tests/).
OTHER_FAULTS = [
    (
        "secrets",
        "known fake secrets in every credential variable, every provider fault above",
        "in no output, log record, database byte or published file",
        "reliability/test_provider_faults.py::test_one_provider_failing_never_blocks_the_others",
    ),
    (
        "durability",
        "the evidence log's journal",
        "WAL, synchronous = FULL",
        "reliability/test_durability.py::test_log_uses_wal_and_full_sync",
    ),
    (
        "durability",
        "full disk (a 256 KiB tmpfs as the data folder)",
        "fails before anything is switched or logged; exit 1; says the disk is full",
        "reliability/test_durability.py::test_full_disk_fails_before_switching",
    ),
    (
        "durability",
        "read-only data folder (read-only bind mount)",
        "fails before anything is switched or logged; exit 1; says it is read-only",
        "reliability/test_durability.py::test_read_only_data_folder_fails_before_switching",
    ),
    (
        "crash",
        "SIGKILL after a channel's snapshot",
        "evacuate again converges",
        "test_concurrency.py::test_crash_before_switching_then_evacuate_again_converges",
    ),
    (
        "crash",
        "SIGKILL after apply, before it is logged",
        "log verifies; resume restores the pre-incident files",
        "test_concurrency.py::test_crash_after_snapshot_then_resume_restores_the_original",
    ),
    (
        "concurrency",
        "two `evacuate` at once",
        "one incident, one snapshot per channel, chain valid",
        "test_concurrency.py::test_two_evacuations_at_once_leave_one_incident_and_a_valid_chain",
    ),
]
CRASH_RESULT = "log verifies; `status` reads each provider back and says whether it serves the notice, the pre-incident setting or neither; running the command again converges; `resume` restores the pre-incident setting (one snapshot per channel, never retaken)"
OTHER_FAULTS += [
    ("crash", "SIGKILL after a channel's snapshot (`evacuate`)", CRASH_RESULT, "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("crash", "SIGKILL mid-switch: one of the banner's three files written", CRASH_RESULT, "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("crash", "SIGKILL mid-switch: one of two Twilio numbers switched", CRASH_RESULT, "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("crash", "SIGKILL after a Twilio switch, before its log record", CRASH_RESULT, "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("crash", "SIGKILL mid-resume: one channel restored, the incident open", CRASH_RESULT + "; `status` says the resume did not finish", "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("crash", "SIGKILL mid-resume: one of two Twilio numbers put back", CRASH_RESULT, "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("crash", "SIGKILL after every channel is restored, before the incident closes", CRASH_RESULT, "reliability/test_crashes.py::test_crash_anywhere_loses_nothing"),
    ("concurrency", "ten `evacuate` processes at once (Twilio + banner + Sieve)", "one incident; each channel switched once (one `channel.applied` with changed = true); ten commands logged one after the other; chain valid", "reliability/test_crashes.py::test_ten_evacuations_at_once_switch_each_channel_once"),
    ("concurrency", "`evacuate` and `resume` racing for the lock", "never interleaved; the providers end as the last `command.started` in the log asked", "reliability/test_crashes.py::test_evacuate_and_resume_racing_end_as_the_last_to_take_the_lock"),
    ("bad input", "a configuration file that is not UTF-8", "exit 2; names the file, line and column; nothing switched or logged; no traceback", "reliability/test_input.py::test_a_config_that_is_not_utf8_names_the_line"),
    ("bad input", "a channel's credential variable not set", "exit 2 before any switch; names the variable, the option and its line; nothing switched or logged", "reliability/test_input.py::test_missing_credentials_stop_every_channel_before_the_switch"),
    ("bad input", "a template with a syntax error", "exit 2; names the template file and line; nothing switched or logged", "reliability/test_input.py::test_a_template_with_a_syntax_error_names_file_and_line"),
    ("bad input", "a date that does not exist (30 February), 24:30", "exit 2; says it is not a time; nothing switched or logged", "reliability/test_input.py::test_times_that_do_not_exist"),
    ("bad input", "a time in the spring-forward gap (03:30 on the last Sunday of March)", "moved forward by the jump (04:30 summer time), and the command says so", "scheduler/test_dst.py::test_a_time_in_the_spring_gap_moves_forward_and_says_so"),
    ("bad input", "a reason with control characters (NUL, BEL, ESC, DEL, NEL)", "refused: exit 2, names the character; nothing switched or logged (line breaks and tabs become spaces)", "reliability/test_input.py::test_a_reason_with_control_characters_is_refused"),
    ("bad input", "a 10,000-character reason", "refused: exit 2, at most 500 characters per language; nothing switched or logged", "reliability/test_input.py::test_a_10000_character_reason_is_refused"),
    ("escaping", "a reason with `<`, `\"`, `&`, `'`, `]]>`, `</script>`, `<!--`, `\\` and a line of only `.`", "TwiML parses (XML) and says it verbatim; banner.html, notice.html and status.json's fragments parse with no injected element; the Sieve script parses (sievelib)", "reliability/test_input.py::test_a_nasty_reason_comes_through_every_format_intact_and_inert"),
    ("escaping", "the same reason first on a line, sent to Dovecot (`email_sieve`)", "Dovecot accepts the script; the auto-reply a customer gets holds the reason verbatim", "reliability/test_input.py::test_dovecot_accepts_the_nasty_reason_and_replies_with_it_intact"),
    ("secrets", "a provider echoing the client secret in its error", "masked as [secret] in the summary, log, `status`, database and exported dossier (PDF streams decompressed)", "reliability/test_secrets.py::test_a_provider_echoing_the_secret_in_its_error_does_not_leak_it"),
    ("secrets", "an unexpected exception in a channel that has just read its secrets", "the channel fails, the others switch, exit 1; no trace and no secret on screen, in the log or the dossier", "reliability/test_secrets.py::test_an_unexpected_exception_in_a_channel_shows_no_secret_and_no_trace"),
]  # fmt: skip

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
        lines.append(f"| {area} | {fault} | {result} | `tests/{test}` |")
    return "\n".join(lines) + "\n"
