"""Reading a dossier's PDF as text."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader


def squash(text: str) -> str:
    """Text without whitespace: the PDF wraps long lines wherever it must."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> str:
    """The text of every page, without the page footers (a text may span pages)."""
    pages = [page.extract_text() or "" for page in PdfReader(path).pages]
    return "\n".join(re.sub(r"\S+ \S+ — (Sivu|Sida|Page) \d+/\d+\s*$", "", p) for p in pages)
