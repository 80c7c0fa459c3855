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
OTHER_FAULTS = (
    ("secrets", "known fake secrets in every credential variable, every provider fault above", "in no output, log record, database byte or published file", "reliability/test_provider_faults.py::test_one_provider_failing_never_blocks_the_others"),
    ("durability", "the evidence log's journal", "WAL, synchronous = FULL", "reliability/test_durability.py::test_log_uses_wal_and_full_sync"),
    ("durability", "full disk (a 256 KiB tmpfs as the data folder)", "fails before anything is switched or logged; exit 1; says the disk is full", "reliability/test_durability.py::test_full_disk_fails_before_switching"),
    ("durability", "read-only data folder (read-only bind mount)", "fails before anything is switched or logged; exit 1; says it is read-only", "reliability/test_durability.py::test_read_only_data_folder_fails_before_switching"),
    ("crash", "SIGKILL after a channel's snapshot", "evacuate again converges", "test_concurrency.py::test_crash_before_switching_then_evacuate_again_converges"),
    ("crash", "SIGKILL after apply, before it is logged", "log verifies; resume restores the pre-incident files", "test_concurrency.py::test_crash_after_snapshot_then_resume_restores_the_original"),
    ("concurrency", "two `evacuate` at once", "one incident, one snapshot per channel, chain valid", "test_concurrency.py::test_two_evacuations_at_once_leave_one_incident_and_a_valid_chain"),
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
        lines.append(f"| {area} | {fault} | {result} | `tests/{test}` |")
    return "\n".join(lines) + "\n"
