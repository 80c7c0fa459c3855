"""The report's opening: its title, and a summary of each incident in the slice (mode,
reason, who started it, the planned return and its changes, when it ended)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from notices.evidence.log import Record
from notices.evidence.report.inputs import ReportInput
from notices.evidence.report.rows import duration
from notices.evidence.report.text import ReportText

if TYPE_CHECKING:
    from notices.evidence.report.pdf import ReportPdf


def title_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    pdf.add_page()
    pdf.heading(f"{t('title')}: {data.scope}", 16)
    if data.organisation:
        pdf.paragraph(data.organisation, 11)
    pdf.paragraph(f"{t('generated')}: {t.when(data.generated)} (notices {data.version})")


def summary_section(pdf: ReportPdf, t: ReportText, data: ReportInput) -> None:
    """One block per incident in the slice (one that opened in it)."""
    pdf.heading(t("summary"))
    for incident, own in records_by_incident(data.records).items():
        opened = next((r for r in own if r.kind == "incident.opened"), None)
        if opened is not None:
            _incident_summary(pdf, t, data, incident, own, opened)
            pdf.ln(2)


def records_by_incident(records: list[Record]) -> dict[str, list[Record]]:
    by_incident: dict[str, list[Record]] = {}
    for record in records:
        if record.incident:
            by_incident.setdefault(record.incident, []).append(record)
    return by_incident


def _incident_summary(
    pdf: ReportPdf,
    t: ReportText,
    data: ReportInput,
    incident: str,
    own: list[Record],
    opened: Record,
) -> None:
    closed = next((r for r in own if r.kind == "incident.closed"), None)
    updates = [r for r in own if r.kind == "incident.updated"]
    mode = str(opened.payload.get("mode"))
    title = data.mode_titles.get(mode, {}).get(data.lang, mode)
    started = str(opened.payload.get("started") or opened.ts)
    ended = str(closed.payload.get("ended")) if closed else None
    pdf.labelled_value(t("incident"), incident)
    pdf.labelled_value(t("mode"), f"{title} ({mode})")
    pdf.labelled_value(t("reason"), _latest_reason(opened, updates, data.lang) or t("unknown"))
    pdf.labelled_value(t("started_by"), f"{opened.actor}, {t('host')} {opened.host}")
    pdf.labelled_value(t("started"), t.when(started))
    pdf.labelled_value(t("planned"), t.when(opened.payload.get("expected_return")))
    changes = "\n".join(_return_change(update, t) for update in updates)
    pdf.labelled_value(t("changes"), changes or t("no_changes"))
    pdf.labelled_value(t("ended"), t.when(ended) if ended else t("not_ended"))
    if ended:
        pdf.labelled_value(t("duration"), duration(started, ended))


def _latest_reason(opened: Record, updates: list[Record], lang: str) -> str | None:
    """The reason last given, in `lang` if it was given in it, else in its first language."""
    reasons = opened.payload.get("reasons") or {}
    for update in updates:
        reasons = update.payload.get("reasons") or reasons
    reason = reasons.get(lang) or next(iter(reasons.values()), None)
    return str(reason) if reason else None


def _return_change(update: Record, t: ReportText) -> str:
    """Who moved the planned return from when to when (and the mode, if it changed too)."""
    ret = update.payload.get("expected_return") or {}
    change = update.payload.get("mode") or {}
    text = (
        f"{t.when(update.ts)} {update.actor}: {t.when(ret.get('from'), False)}"
        f" → {t.when(ret.get('to'), False)}"
    )
    if change.get("from") != change.get("to"):
        text += f" ({change.get('from')} → {change.get('to')})"
    return text
