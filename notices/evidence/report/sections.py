"""The report's sections after the summary, in the order they are printed: the timeline,
the published texts, the providers' confirmations, errors, contacts, the chart, and the
hashes to verify it all with. Each writes itself onto the PDF from the report's input."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from notices.evidence.log import Record
from notices.evidence.report.inputs import ReportInput
from notices.evidence.report.rows import brief, call_detail, capped, corroboration_row
from notices.evidence.report.said import fields, published_fields, quoted, word
from notices.evidence.report.text import ReportText

if TYPE_CHECKING:
    from notices.evidence.report.pdf import ReportPdf

CONFIRMED = ("channel.applied", "channel.restored", "channel.verified")
PROBLEMS = ("channel.retry", "channel.failed", "contacts.failed")


def timeline_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    pdf.heading(t("timeline"))
    # Contacts have their own table below; listing them here too would only double the PDF.
    n_contacts = sum(1 for r in data.records if r.kind == "contact.received")
    if n_contacts:
        pdf.paragraph(t("timeline_contacts", n=n_contacts), 8)
    pdf.text_table(
        [(40, t("time")), (22, t("who")), (32, t("event")), (16, t("channel")), (0, t("detail"))],
        _timeline_rows([r for r in data.records if r.kind != "contact.received"], t),
        wrap=3,
    )


def _timeline_rows(records: list[Record], t: ReportText) -> Iterator[list[str]]:
    for record, omitted in capped(records):
        if record is None:
            yield ["", "", t("omitted", n=omitted), "", ""]
        else:
            kind, channel = t.kind(record.kind), record.channel or ""
            yield [t.when(record.ts), record.actor, kind, channel, brief(record, t)]


def published_texts_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    """Each distinct text once; re-applying the same notice only counts (an incident re-run
    thousands of times must not make a report of thousands of pages)."""
    pdf.add_page()
    pdf.heading(t("texts"))
    pdf.paragraph(t("texts_intro"))
    repeats: dict[tuple[str, str], int] = {}
    for record in data.records:
        if record.kind != "channel.applied":
            continue
        for name, artefact in record.payload.get("artefacts", {}).items():
            key = (str(record.channel), artefact["sha256"])
            if key in repeats:
                repeats[key] += 1
                continue
            repeats[key] = 0
            pdf.heading(f"{record.channel} — {name} — {t.when(record.ts)}", 10)
            pdf.paragraph(f"SHA-256 {artefact['sha256']}", 7)
            in_words = published_fields(artefact["text"], t)
            if in_words is not None:
                pdf.paragraph(t("json_in_words", name=name), 7)
            pdf.framed_text(artefact["text"] if in_words is None else in_words)
    for (channel, digest), count in repeats.items():
        if count:
            pdf.paragraph(f"{channel}, SHA-256 {digest[:16]}…: {t('republished', n=count)}", 8)


def confirmations_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    pdf.heading(t("confirmations"))
    for shown, omitted in capped([r for r in data.records if r.kind in CONFIRMED]):
        if shown is None:
            pdf.paragraph(t("omitted", n=omitted), 8)
        elif shown.kind in ("channel.applied", "channel.restored"):
            confirmation = fields(shown.payload.get("confirmation") or {}, t)
            pdf.paragraph(
                f"{t.when(shown.ts)}  {shown.channel}  {t.kind(shown.kind)}: {confirmation}", 8
            )
        else:
            pdf.paragraph(f"{t.when(shown.ts)}  {shown.channel}  {brief(shown, t)}", 8)


def provider_record_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    """Twilio's own record of each number change (Monitor Events), beside our time."""
    corroborated = [
        (entry, update)
        for record in data.records
        if record.kind in ("channel.applied", "channel.restored")
        for entry, update in (
            (record.payload.get("confirmation") or {}).get("numbers") or {}
        ).items()
        if isinstance(update, dict) and update.get("at")
    ]
    if corroborated:
        pdf.heading(t("provider_record"), 10)
        pdf.text_table(
            [(45, t("number")), (34, t("ours")), (34, t("theirs")), (12, t("difference")), (0, "")],
            (corroboration_row(entry, update, t) for entry, update in corroborated),
            size=5.5,  # a 34-character number SID and two times with their zones on one line
        )


def errors_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    pdf.heading(t("errors"))
    problems = [r for r in data.records if r.kind in PROBLEMS]
    for problem, omitted in capped(problems):
        if problem is None:
            pdf.paragraph(t("omitted", n=omitted), 8)
            continue
        pdf.paragraph(
            f"{t.when(problem.ts)}  {problem.channel or ''}  {t.kind(problem.kind)}:"
            f" {brief(problem, t)}",
            8,
        )
    if not problems:
        pdf.paragraph(t("no_errors"))


def contacts_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    """Whether each provider's contacts could be collected, how many, and the contacts."""
    pdf.heading(t("contacts"))
    collected = [r for r in data.records if r.kind == "contacts.collected"]
    contacts = [r for r in data.records if r.kind == "contact.received"]
    if not collected and not contacts:
        pdf.paragraph(t("not_collected"))
    for name, status in collection_statuses(collected).items():
        if not status.get("available"):
            pdf.paragraph(t("no_record", channel=name))
        elif status.get("error"):
            pdf.paragraph(t("collect_error", channel=name, error=quoted(str(status["error"]))))
    for name, n in contacts_per_channel(contacts).items():
        pdf.paragraph(t("received", channel=name, n=n))
    if contacts:
        if not data.include_personal:
            pdf.paragraph(t("masked_note"), 8)
        pdf.text_table(
            [
                (40, t("time")),
                (16, t("channel")),
                (20, t("contact_kind")),
                (30, t("party")),
                (0, t("detail")),
            ],
            (_contact_row(r, t) for r in contacts),
            wrap=2,
        )


def collection_statuses(collected: list[Record]) -> dict[str, dict[str, Any]]:
    """Each channel's latest collection status: available at the provider, or an error."""
    statuses: dict[str, dict[str, Any]] = {}
    for record in collected:
        statuses.update(record.payload.get("channels", {}))
    return statuses


def contacts_per_channel(contacts: list[Record]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in contacts:
        counts[str(record.channel)] = counts.get(str(record.channel), 0) + 1
    return counts


def _contact_row(record: Record, t: ReportText) -> list[str]:
    return [
        t.when(str(record.payload.get("at"))),
        str(record.channel),
        word(t, "contact", record.payload.get("contact")),
        t.party(str(record.payload.get("party"))),
        call_detail(record.payload.get("detail") or {}, t),
    ]


def chart_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    from notices.evidence.report.chart import chart_png

    png = chart_png(data.records, t)
    if png:
        if pdf.get_y() + 90 > pdf.page_break_trigger:
            pdf.add_page()  # the heading stays with its chart
        pdf.heading(t("chart"))
        pdf.image(io.BytesIO(png), w=pdf.epw)


HASH_SIZE = 7.5  # points: a 64-digit hexadecimal hash on one line beside its label


def hashes_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    """The slice's ends, the log's head, the signing key and the files' hashes, and how to
    check them."""
    pdf.add_page()
    pdf.heading(t("hashes"))
    pdf.paragraph(t("verify_intro"))
    manifest = data.manifest
    slice_ = manifest.get("slice", {})
    pdf.set_font("DejaVu", "", 8)
    pdf.labelled_value(
        t("first"),
        f"#{slice_.get('first_seq')}\n{t('hash_record')} {slice_.get('first_record_hash')}"
        f"\n{t('hash_link')} {slice_.get('first_link')}",
        HASH_SIZE,
    )
    pdf.labelled_value(
        t("last"),
        f"#{slice_.get('last_seq')}\n{t('hash_record')} {slice_.get('last_record_hash')}"
        f"\n{t('hash_link')} {slice_.get('last_link')}",
        HASH_SIZE,
    )
    pdf.labelled_value(t("previous"), str(slice_.get("previous_link")), HASH_SIZE)
    head = manifest.get("log_head", {})
    pdf.labelled_value(t("log_head"), f"#{head.get('seq')}\n{head.get('link')}", HASH_SIZE)
    fingerprint = str(manifest.get("signing_key", {}).get("fingerprint_sha256"))
    pdf.labelled_value(t("key"), fingerprint, HASH_SIZE)
    files = "\n".join(f"{n}\n{f['sha256']}" for n, f in manifest["files"].items())
    pdf.labelled_value(t("files"), files, HASH_SIZE)
    pdf.heading(t("how"), 11)
    pdf.paragraph(t("how_text"))
    pdf.paragraph(t("proves"))


def officer_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    """One page for a non-technical officer: what the fingerprint is, where to compare it,
    the one command to run, what OK and FAILED mean."""
    fingerprint = str(data.manifest.get("signing_key", {}).get("fingerprint_sha256"))
    pdf.add_page()
    pdf.heading(t("officer_title"), 15)
    pdf.ln(2)
    pdf.point(t("officer_fingerprint"), 10)
    pdf.ln(1)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(
        pdf.epw, 6, f"{fingerprint[:32]}\n{fingerprint[32:]}", border=1, align="C", padding=1
    )
    pdf.ln(4)
    for key in ("officer_compare", "officer_command"):
        pdf.point(t(key), 10)
        pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    command = f"notices log verify dossier/ --expect-key {fingerprint}"
    pdf.multi_cell(pdf.epw, 5, command, border=1, align="L", padding=1)
    pdf.ln(4)
    for key in ("officer_ok", "officer_failed", "officer_limits"):
        pdf.point(t(key), 10)
        pdf.ln(3)
