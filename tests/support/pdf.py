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


def overlapping_text(path: Path) -> list[tuple[int, str, str]]:
    """Every pair of words on the same page whose boxes overlap (page, word, word): text
    printed over other text. Words are read in the order they were drawn (text flow), so
    two runs printed at the same place stay two words."""
    import itertools

    import pdfplumber

    found = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            words = page.extract_words(keep_blank_chars=True, use_text_flow=True, x_tolerance=1.5)
            boxes = [(w["x0"], w["top"], w["x1"], w["bottom"], w["text"]) for w in words]
            boxes.sort(key=lambda b: b[1])
            for i, a in enumerate(boxes):
                for b in itertools.islice(boxes, i + 1, None):
                    if b[1] >= a[3] - 0.3:
                        break  # sorted by top: nothing further down can overlap `a`
                    if a[0] < b[2] - 0.3 and b[0] < a[2] - 0.3:
                        found.append((number, a[4], b[4]))
    return found
