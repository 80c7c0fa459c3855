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
    ("crash", "`notices serve` SIGKILLed mid-switch while running a handed-over `evacuate` (the warm path)", "the CLI says serve stopped before `evacuate` finished (exit 1); `status` says `evacuate` was interrupted; `evacuate` again (run directly, serve being down) completes it; log verifies", "scheduler/test_warm.py::test_serve_killed_mid_switch_is_reported_and_the_next_command_finishes_it"),
    ("warm path", "`serve.sock` owned by another user", "not used (said on stderr); the command runs directly", "scheduler/test_warm.py::test_a_socket_of_another_user_is_refused_and_the_command_runs_here"),
    ("warm path", "a socket in the place of `serve.sock` with the right owner and mode, listened on by another user's process (`SO_PEERCRED`)", "not used (said on stderr); the command runs directly", "scheduler/test_warm.py::test_a_socket_whose_listener_runs_as_another_user_is_refused"),
    ("warm path", "a symlink in the place of `serve.sock`", "not used (said on stderr); the command runs directly", "scheduler/test_warm.py::test_a_symlink_in_place_of_the_socket_is_refused"),
    ("rate limits", "a 429 with `Retry-After: 3` from Microsoft", "only `m365` waits; Gmail is switched and read back meanwhile", "targets/test_parallel_targets.py::test_a_429_from_microsoft_slows_only_microsoft"),
    ("concurrency", "ten `evacuate` processes at once (Twilio + banner + Sieve)", "one incident; each channel switched once (one `channel.applied` with changed = true); ten commands logged one after the other; chain valid", "reliability/test_crashes.py::test_ten_evacuations_at_once_switch_each_channel_once"),
    ("concurrency", "`evacuate` and `resume` racing for the lock", "never interleaved; the providers end as the last `command.started` in the log asked", "reliability/test_crashes.py::test_evacuate_and_resume_racing_end_as_the_last_to_take_the_lock"),
    ("crash", "SIGKILL during `extend`: after its plan, mid-greeting, mid-banner, after a channel's apply", "the automatic resume is always the incident's new return (written with it, before any channel); `status` says `extend interrupted` (exit 1); log verifies; `extend` again completes it", "reliability/test_crashes.py::test_a_killed_extend_is_reported_and_the_next_command_repairs_it"),
    ("crash", "`extend` killed at 20 random moments (Twilio answering in 50 ms)", "`status` never shows an automatic resume other than the told return without saying `extend interrupted`; `extend` again completes it; log verifies", "reliability/test_crashes.py::test_extend_killed_at_random_moments_never_hides_an_early_resume"),
    ("crash", "SIGKILL between the chain's record of a checkpoint and its line in `heads.jsonl`", "log verifies, checking the line from the record and saying so; the next command writes it back byte for byte, then its own checkpoint", "reliability/test_crashes.py::test_a_checkpoint_recorded_but_not_written_is_written_back_by_the_next_command"),
    ("durability", "`heads.jsonl`'s newest line cut short (half of it, no LF: a power cut mid-write)", "not counted as a line; `log verify` passes, checking that line from the chain's record and saying both; the next checkpoint removes the half and writes the whole line back", "evidence/test_rollback.py::test_a_line_a_power_cut_stopped_part_way_is_not_counted_and_is_written_again"),
    ("durability", "`stamps.jsonl`'s newest line cut short (a power cut mid-write)", "not a stamp: `log verify` passes and says its checkpoint waits for one; `log stamp` removes the half and stamps that checkpoint again", "evidence/test_timestamps.py::test_a_token_line_a_power_cut_stopped_part_way_waits_and_is_stamped_again"),
    ("interrupt", "Ctrl-C (SIGINT) mid-`evacuate`, between the phone's two numbers", "exit 130; one line says `evacuate` did not finish, that each channel finished the change it had begun, and what to run; the phone served both numbers' notice; no `command.finished`; `status` says `evacuate` was interrupted; log verifies; `evacuate` again completes it", "reliability/test_interrupt.py::test_ctrl_c_mid_switch_says_what_it_means_and_the_command_again_finishes"),
    ("interrupt", "Ctrl-C mid-`resume`", "exit 130; the line names `resume` and says to run it again; `resume` again restores everything", "reliability/test_interrupt.py::test_ctrl_c_mid_resume_names_resume"),
    ("interrupt", "Ctrl-C at the confirmation question, on a terminal", "a no: exit 2, `Nothing was changed.`, no provider changed, nothing logged (not click's `Aborted!` with exit 1)", "reliability/test_interrupt.py::test_ctrl_c_at_the_question_is_a_no"),
    ("interrupt", "Ctrl-C while a switching command loads (its head start begun)", "exit 130; one line, no traceback, saying that nothing was switched or logged; no provider changed, the log empty", "reliability/test_interrupt.py::test_ctrl_c_before_the_cli_has_loaded_is_one_line_and_changes_nothing"),
    ("durability", "the disk fills (8 MiB tmpfs) right after the phone switched at Twilio, mid-`evacuate`", "no traceback; exit 1; a short error naming the channels switched (from the receipts kept in memory) and what to run; the log write is retried first; after freeing space `log verify` passes and `resume` restores everything", "reliability/test_crashes.py::test_a_disk_filling_mid_evacuate_names_what_was_switched"),
    ("durability", "an empty or malformed key file (`signing-ed25519.pem` empty or cut short, `personal-hmac.key` empty: what a power cut at creation left)", "refused before switching: exit 1, one error naming the file, what happened and how to recover; nothing switched or logged", "reliability/test_durability.py::test_an_empty_or_malformed_key_is_refused_before_switching"),
    ("durability", "keys written while the power may go", "temporary file, fsync, link into place, fsync of the folder: whole and 0600, no temporary file left", "reliability/test_durability.py::test_keys_are_written_whole_and_private"),
    ("durability", "`log verify` on a read-only copy (read-only bind mount, no lock files)", "verifies: the database opened read-only (immutable), no lock taken, no checkpoint written", "reliability/test_durability.py::test_log_verify_needs_no_write_access"),
    ("privacy", "files created by `init`, `evacuate` and `log export`", "the data folder and the dossier: folders 0700, files 0600 (umask 077; the local site too)", "reliability/test_durability.py::test_the_data_folder_and_dossiers_are_their_owners_alone"),
    ("privacy", "`log export --mode 640` (and a bad `--mode 777`)", "files 0640, folders 0750, the dossier verifies; 777 refused with exit 2", "reliability/test_durability.py::test_export_mode_lets_the_group_read_when_asked"),
    ("privacy", "a data folder made readable to others (0755 folders, a 0644 database)", "`check` repairs it to 0700/0600 and says so", "reliability/test_durability.py::test_check_repairs_the_permissions"),
    ("http", "`Content-Length: -1`, `abc`, ` 1 2` or 20 digits on a webhook, with 4 MiB sent after", "400 at once (slowest 0.006 s measured), `serve`'s RSS grows under 10 MiB (0.0 measured); 10^9 gets 413", "scheduler/test_http.py::test_a_bad_content_length_is_refused_at_once_without_memory"),
    ("http", "`HEAD`; `GET /%00`, `/status.json%00`, `/%0d%0a`", "HEAD: the headers only; the others 400; `serve` runs on", "scheduler/test_http.py::test_head_sends_no_body_and_nul_gets_400"),
    ("http", "`GET /mail/active.sieve`, `/mail/`, a temporary dotfile, `/%2e%2e/notices.db`", "404: only site/'s own .html, .js, .json and .xml files are served", "scheduler/test_http.py::test_only_the_sites_own_files_are_served"),
    ("http", "`/_notices/health` through the proxy (X-Forwarded-For)", "only `ok` and the role; pid and data folder only from loopback without a proxy", "scheduler/test_http.py::test_health_tells_only_this_machine_more_than_ok"),
    ("http", "a half-sent request held open", "closed after the 10 s read time-out; others served meanwhile", "scheduler/test_http.py::test_a_half_sent_request_is_closed_after_the_read_timeout"),
    ("bad input", "a configuration nested 3,000 deep (arrays; inline tables)", "exit 2 naming the file, line and column where it passes 32 levels, for `evacuate`, `resume` and `status`; nothing logged; no RecursionError", "reliability/test_input.py::test_a_deeply_nested_config_names_the_position"),
    ("bad input", "a 2 MB configuration", "exit 2: too large (at most 1 MiB); nothing logged", "reliability/test_input.py::test_a_huge_config_is_refused"),
    ("escaping", "contacts and an actor that are spreadsheet formulas (`=HYPERLINK(...)`, `+358...`, `@SUM`, `-2+3`)", "every CSV cell (contacts.csv, events.csv, `log export` to .csv) and every `callbacks` field starts with `'`, not the formula; the dossier still verifies", "evidence/test_dossier.py::test_no_csv_cell_and_no_callbacks_field_starts_a_formula"),
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

OTHER_FAULTS += [
    ("abuse", "100 signed texts from numbers not on the allowlist (50 from one, 50 from others)", "nobody is locked out: a staff command with the right PIN runs; logged up to the limits per number and in total (10 records), numbers kept only for those", "sms/test_sms.py::test_a_hundred_unknown_senders_lock_nobody_out_and_do_not_fill_the_log"),
    ("abuse", "repeated code requests from a staff number (spoofed)", "at most `max_codes_per_hour` codes; told and logged once; the code already sent still confirms its command", "sms/test_sms.py::test_a_staff_number_under_attack_keeps_its_pending_code"),
    ("abuse", "10 texts that are no command from a staff number (spoofed)", "answered with help 3 times (`max_failures_per_sender`), logged 4 times, then silent; the number is not locked out", "sms/test_sms.py::test_texts_that_are_no_command_get_a_bounded_number_of_answers"),
    ("abuse", "`serve` restarted while a staff number is locked out", "still locked out: the limits are kept in the database", "sms/test_sms.py::test_the_limits_survive_a_restart_of_serve"),
    ("abuse", "300 unsigned POSTs while the auth token is missing", "503 each; one log record", "sms/test_sms.py::test_without_an_auth_token_unsigned_requests_write_one_record"),
    ("secrets", "a proxy echoing the Authorization header: plain, base64 (Basic SID:token), URL-encoded, inside a URL", "no form of the token in the output of `check`, `evacuate`, `--dry-run`, `status`, `log show`, the database, the data folder or the dossier; shown as `Basic ***`, `[secret]`, `auth_token=***`", "reliability/test_secrets.py::test_a_proxy_echoing_the_authorization_header_leaks_the_secret_in_no_encoding"),
    ("escaping", "a provider error with `[/admin]`, `[bold]`, ESC, BEL and C1 controls; a provider setting with `x[/y]=1` and `opts[lang]`", "shown verbatim as text (controls stripped) by `check`, `--dry-run`, `evacuate` and `status`; `evacuate` logs to the end and plans its resume", "reliability/test_markup.py::test_markup_and_controls_from_a_provider_are_shown_as_text"),
    ("escaping", "the same in the live display on a terminal", "the display never stops the switch: exit 1 for the failed channel, `command.finished` and the resume planned", "reliability/test_markup.py::test_the_live_display_never_stops_a_switch"),
    ("abuse", "50 requests with forged signatures", "403 each; logged up to `max_failures_total`, then once with `more_not_logged`; staff not locked out", "sms/test_sms.py::test_invalid_signatures_are_logged_up_to_the_limit"),
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
