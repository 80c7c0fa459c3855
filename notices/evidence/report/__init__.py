"""The dossier's PDF: what happened, what every channel published, who got in touch, and the
hashes that tie it all to the log. fpdf2 (PDF/A-3B, the bundled DejaVu font embedded),
matplotlib for the chart; both imported only when a report is made.

    build.py     the document put together: its sections in order, its attachments
    pdf.py       the document: pages, fonts, headings, paragraphs, tables (fpdf2)
    summary.py   the title and the summary of each incident
    sections.py  the other sections: timeline, texts, confirmations, errors, contacts, hashes
    chart.py     the chart of channel states and contacts (matplotlib)
    rows.py      what tables and lists show of a record; long lists cut to their ends
    text.py      labels, times and contacts as the report writes them
    words.py     every translated word of the report, and the lookups for them
    inputs.py    what a report is made from
"""

from notices.evidence.report.build import build_report
from notices.evidence.report.inputs import ReportInput
from notices.evidence.report.rows import ROWS_SHOWN, capped

_capped = capped  # the name tests/evidence/test_report_pdf.py imports

__all__ = ["ROWS_SHOWN", "ReportInput", "_capped", "build_report", "capped"]
