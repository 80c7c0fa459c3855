"""The evidence log: show, verify, export, contacts, purge-personal; and callbacks."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from notices.cli.app import (
    ConfigFile,
    Home,
    Incident,
    Json,
    Yes,
    command,
    confirm_or_refuse,
    err,
    log_app,
    out,
    print_json,
    shown,
)
from notices.errors import UsageError
from notices.paths import default_home

if TYPE_CHECKING:
    from notices import commands
    from notices.evidence.dossier import ExportSettings
    from notices.evidence.log import Verification


@command(log_app, "show")
def log_show(
    incident: Incident = None,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """List the log's records, oldest first."""
    from notices import commands
    from notices.evidence.export import open_log, record_line

    workspace = commands.Workspace.load(home, config)
    with open_log(workspace.home) as log:
        for record in log.records(incident=incident):
            if json_output:
                line = json.dumps(record.as_dict(), ensure_ascii=False)
                out.print(line, markup=False, highlight=False, soft_wrap=True)
            else:
                out.print(record_line(record, workspace.config.zone), markup=False, soft_wrap=True)


@command(log_app, "verify")
def log_verify(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="An exported dossier to check offline, its folder or its report.pdf alone"
            " (default: the whole log)."
        ),
    ] = None,
    expect_key: Annotated[
        str | None,
        typer.Option("--expect-key", help="The signing key fingerprint the dossier must carry."),
    ] = None,
    tsa_ca: Annotated[
        Path | None,
        typer.Option("--tsa-ca", help="The timestamp authority's CA (default: tsa_ca_file)."),
    ] = None,
    witness: Annotated[
        bool,
        typer.Option("--witness", help="Compare the head file with the witness's copy too."),
    ] = False,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Walk the hash chain and compare it with the head file; or, given a dossier (its
    folder, or its report.pdf alone), check it offline (file hashes, signatures, chain
    continuity, timestamps). Reads only: it never writes a checkpoint (that is `notices log
    checkpoint`)."""
    from notices.evidence.export import open_log

    if folder is not None:
        _verify_dossier(folder, expect_key, tsa_ca, json_output)
        return
    from notices import commands

    evidence = commands.Workspace.load(home, config).config.evidence
    with open_log(home or default_home(), read_only=True) as log:
        result = log.verify(expect_key, tsa_ca=tsa_ca or evidence.tsa_ca_file)
    if witness and result.ok:
        result = _compare_witness(result, evidence.witness, log.home)
    if json_output:
        out.print_json(json.dumps(result.__dict__))
    elif result.ok:
        out.print(f"[green]OK[/green]: {result.records} records, chain head {result.head}")
        if result.note:
            out.print(result.note, markup=False, highlight=False)
    else:
        err.print(f"[bold red]FAILED[/bold red]: {shown(result.problem)}")
    raise typer.Exit(0 if result.ok else 1)


def _compare_witness(
    result: Verification, options: dict[str, Any] | None, home: Path
) -> Verification:
    from dataclasses import replace

    from notices.witness import compare_with_witness, open_witness

    if not options:
        raise UsageError("no witness: set [evidence] witness in notices.toml")
    publisher = open_witness(options, home)
    try:
        problem = compare_with_witness(home, publisher)
    finally:
        publisher.close()
    if problem:
        return replace(result, ok=False, problem=problem)
    note = f"{result.note}; " if result.note else ""
    return replace(result, note=f"{note}the witness agrees ({publisher.identity()})")


@command(log_app, "checkpoint")
def log_checkpoint(home: Home = None, config: ConfigFile = None) -> None:
    """Write a signed checkpoint of the log's head to heads.jsonl now, and record it in the
    log (commands and `serve` do this by themselves); then have it stamped and witnessed,
    if [evidence] says so."""
    from notices import commands
    from notices.evidence.export import open_log
    from notices.witness import anchor_outside

    workspace = commands.Workspace.load(home, config)
    with open_log(workspace.home) as log:
        if log.head() is None:
            raise UsageError("the log is empty: there is no head to checkpoint")
        log.anchor("log checkpoint")
        head = log.head()
        anchor_outside(log, workspace.config.evidence, newest_is_fresh=True)
    assert head is not None
    out.print(
        f"Checkpoint written: record {head.seq - 1}, recorded in the log as record {head.seq}."
    )


@command(log_app, "stamp")
def log_stamp(home: Home = None, config: ConfigFile = None) -> None:
    """Have the timestamp authority ([evidence] tsa_url) stamp every checkpoint still
    waiting for a stamp (commands do this by themselves; this catches up after an outage)."""
    from notices import commands
    from notices.evidence.export import open_log
    from notices.evidence.timestamp import stamp_and_record

    workspace = commands.Workspace.load(home, config)
    evidence = workspace.config.evidence
    if not evidence.tsa_url:
        raise UsageError("no timestamp authority: set [evidence] tsa_url in notices.toml")
    with open_log(workspace.home) as log:
        outcome = stamp_and_record(
            log, evidence.tsa_url, evidence.tsa_timeout_s, newest_is_fresh=False
        )
    out.print(f"Stamped {len(outcome.stamped)} checkpoints.")
    if outcome.error:
        err.print(f"[bold red]{evidence.tsa_url}[/bold red]: {outcome.error}", markup=True)
        err.print(f"{outcome.pending} checkpoints still wait for a stamp.")
    raise typer.Exit(1 if outcome.error else 0)


@command(log_app, "key")
def log_key(json_output: Json = False, home: Home = None) -> None:
    """The fingerprint of the data folder's signing key: compare it with the copy kept
    elsewhere (the company's letter, the dossier's cover), or give it to --expect-key."""
    from notices.evidence.anchor import SigningKey

    key = SigningKey(home or default_home())
    if json_output:
        print_json(key.public_json())
        return
    out.print(f"Signing key fingerprint (SHA-256 of the Ed25519 public key): {key.fingerprint}")
    out.print(f"Public key (base64): {key.public_json()['public_key']}", highlight=False)


def _verify_dossier(
    folder: Path, expect_key: str | None, tsa_ca: Path | None, json_output: bool
) -> None:
    from notices.evidence.dossier_check import verify_dossier

    if not folder.exists():
        raise UsageError(f"{folder} does not exist: give a dossier folder or its report.pdf")
    checks = verify_dossier(folder, expect_key, tsa_ca)
    ok = all(check.ok for check in checks)
    if json_output:
        print_json({"ok": ok, "checks": [check.__dict__ for check in checks]})
    else:
        for check in checks:
            mark = "[green]ok[/green]    " if check.ok else "[bold red]FAILED[/bold red]"
            (out if check.ok else err).print(f"{mark} {shown(check.name)}: {shown(check.detail)}")
        out.print("[green]OK[/green]: the dossier verifies." if ok else "")
        if not ok:
            err.print("[bold red]FAILED[/bold red]: the dossier does not verify.")
    raise typer.Exit(0 if ok else 1)


@command(log_app, "export")
def log_export(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the dossier, or a .jsonl/.csv file.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl or csv: one file instead of a dossier folder."),
    ] = None,
    incident: Incident = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Export a period from: 2026-11-23T08:00.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="... up to (not including).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: fi, sv or en.")] = "fi",
    include_personal: Annotated[
        bool,
        typer.Option(
            "--include-personal",
            help="Show callers' numbers and addresses unmasked (this is logged).",
        ),
    ] = False,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="File mode in octal, e.g. 640 to let the group read (default 600: yours only).",
        ),
    ] = None,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Export an incident (or a period) as a dossier folder: report.pdf, events.csv,
    events.jsonl, contacts.csv and a signed manifest.json. With --format, one file only."""
    from notices import commands
    from notices.evidence.export import open_log

    permissions = _file_mode(mode)
    fmt = _single_file_format(fmt, output)
    workspace = commands.Workspace.load(home, config)
    with open_log(workspace.home) as log:
        if fmt is not None:
            from notices.evidence.export import export

            count, digest = export(log, output, fmt, incident)
            _chmod(output, permissions)
            out.print(f"Wrote {count} records to {output} (SHA-256 {digest})")
            return
        from notices.evidence.dossier import export_dossier

        if incident is None and since is None and until is None:
            raise UsageError("say what to export: --incident ID, or --since/--until")
        settings = _dossier_settings(workspace, incident, since, until, lang, include_personal)
        manifest = export_dossier(log, output, settings)
        _chmod(output, permissions)
    slice_ = manifest["slice"]
    out.print(
        f"Wrote the dossier to {output}: records {slice_['first_seq']}–{slice_['last_seq']},"
        f" chain head {manifest['log_head']['link']}."
    )
    out.print(f"Check it with: notices log verify {output}")


def _single_file_format(fmt: str | None, output: Path) -> str | None:
    """jsonl or csv for a one-file export (by --format, else by the file's suffix); None
    for a dossier folder."""
    if fmt is None and output.suffix not in (".jsonl", ".csv"):
        return None
    fmt = fmt or output.suffix[1:]
    if fmt not in ("jsonl", "csv"):
        raise UsageError(f"--format must be jsonl or csv, not {fmt!r}")
    return fmt


def _file_mode(text: str | None) -> int | None:
    """--mode: an octal file mode without execute or special bits (600, 640, 644)."""
    if text is None:
        return None
    try:
        value = int(text, 8)
    except ValueError:
        value = -1
    if not 0 <= value <= 0o666 or value & 0o111:
        raise UsageError(f"--mode must be an octal file mode such as 600 or 640, not {text!r}")
    return value


def _chmod(output: Path, mode: int | None) -> None:
    """Give the export's files `mode` (and its folders the matching search bits)."""
    if mode is None:
        return
    folder_mode = mode | ((mode & 0o444) >> 2)  # r -> r-x for the folders
    for path in [output, *output.rglob("*")] if output.is_dir() else [output]:
        path.chmod(folder_mode if path.is_dir() else mode)


def _dossier_settings(
    workspace: commands.Workspace,
    incident: str | None,
    since: str | None,
    until: str | None,
    lang: str,
    include_personal: bool,
) -> ExportSettings:
    from notices.evidence.dossier import ExportSettings, parse_moment

    cfg = workspace.config
    return ExportSettings(
        incident=incident,
        since=parse_moment(since, cfg.zone) if since else None,
        until=parse_moment(until, cfg.zone) if until else None,
        lang=lang,
        include_personal=include_personal,
        zone=cfg.zone,
        organisation=cfg.organisation.name if cfg.organisation else None,
        mode_titles={name: mode.title for name, mode in cfg.all_modes().items()},
        tsa_url=cfg.evidence.tsa_url,
        tsa_timeout_s=cfg.evidence.tsa_timeout_s,
        tsa_ca_file=cfg.evidence.tsa_ca_file,
    )


@command(log_app, "contacts")
def log_contacts(
    incident: Incident = None,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """Fetch from every channel's provider the contacts received during an incident and
    store them in the log (resume does this too)."""
    from notices import commands
    from notices.evidence.export import open_log

    workspace = commands.Workspace.load(home, config)
    open_log(workspace.home).database.close()  # a mistyped --home must not start a new log
    with commands.open_session(workspace) as session:
        results = commands.collect_contacts(session, incident)
    for result in results:
        if result.error:
            err.print(f"[bold red]{shown(result.channel)}[/bold red]: {shown(result.error)}")
        elif not result.available:
            out.print(f"{shown(result.channel)}: the provider keeps no record of contacts")
        else:
            out.print(f"{shown(result.channel)}: {result.received} contacts ({result.new} new)")
    raise typer.Exit(1 if any(r.error for r in results) else 0)


@command(log_app, "purge-personal")
def log_purge_personal(
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Erase values older than this: 36m (months), 3y, 90d."),
    ] = "36m",
    yes: Yes = False,
    home: Home = None,
) -> None:
    """Erase callers' numbers and addresses older than the retention period (default 36
    months). The chain keeps verifying; the erasure itself is logged."""
    from notices.evidence.export import open_log
    from notices.evidence.retention import purge_cutoff, purge_personal

    cutoff = purge_cutoff(older_than)
    confirm_or_refuse(f"Erase personal data recorded before {cutoff}?", yes)
    with open_log(home or default_home()) as log:
        erased = purge_personal(log, older_than, cutoff)
    out.print(f"Erased {len(erased)} personal data values recorded before {cutoff}.")


@command()
def callbacks(
    incident: Incident = None,
    json_output: Json = False,
    home: Home = None,
    config: ConfigFile = None,
) -> None:
    """The people who tried to reach you during an incident, newest first: call them back."""
    from notices import commands
    from notices.evidence.contacts import callbacks as list_callbacks
    from notices.evidence.export import open_log, spreadsheet_safe
    from notices.timeparse import from_stamp

    workspace = commands.Workspace.load(home, config)
    with open_log(workspace.home) as log:
        incident = incident or log.latest_incident()
        people = list_callbacks(log, incident)
        # Showing personal data is itself evidence (who looked, when, how many).
        log.append(
            "personal.shown", {"purpose": "callbacks", "count": len(people)}, incident=incident
        )
        log.anchor("callbacks")
    if json_output:
        print_json([asdict(p) for p in people])
        return
    if not people:
        out.print(f"No contacts stored for incident {incident} (see `notices log contacts`).")
        return
    for person in people:
        when = from_stamp(person.last).astimezone(workspace.config.zone)
        # Pasted into a spreadsheet, no line may start a formula (OWASP CSV injection).
        party = str(spreadsheet_safe(person.party or "(erased)"))
        out.print(
            f"{when:%Y-%m-%d %H:%M}  {party:<20} {person.contacts:>3}x"
            f"  {', '.join(person.kinds)} via {', '.join(person.channels)}",
            markup=False,
            highlight=False,
        )
        for message in person.messages:
            at = from_stamp(message.at).astimezone(workspace.config.zone)
            length = f"{message.duration_s} s" if message.duration_s is not None else "? s"
            out.print(
                f"                  message {at:%H:%M}, {length}: {message.link or '(erased)'}",
                markup=False,
                highlight=False,
            )
