"""Putting the report together: the document, its sections in order, its attachments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from notices.evidence.report import sections, summary
from notices.evidence.report.inputs import ReportInput
from notices.evidence.report.text import ReportText

if TYPE_CHECKING:
    from notices.evidence.report.pdf import ReportPdf

Section = Callable[["ReportPdf", ReportText, ReportInput], None]

SECTIONS: tuple[Section, ...] = (
    summary.title_section,
    summary.summary_section,
    sections.timeline_section,
    sections.published_texts_section,
    sections.confirmations_section,
    sections.provider_record_section,
    sections.errors_section,
    sections.contacts_section,
    sections.chart_section,
    sections.hashes_section,
)


def build_report(data: ReportInput) -> bytes:
    """The report as PDF/A-3B bytes, with `data.attachments` embedded."""
    from notices.evidence.report.pdf import ReportPdf

    t = ReportText(data)
    pdf = ReportPdf(
        lang=data.lang,
        title=f"{t('title')} {data.scope}",
        creator=f"notices {data.version}",
        author=data.organisation or "notices",
        footer_text=f"{t('title')} {data.scope} — {t('page')}",
    )
    for section in SECTIONS:
        section(pdf, t, data)
    pdf.attach_files(data.attachments)
    return bytes(pdf.output())
