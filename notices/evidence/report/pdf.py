"""The report's document: an A4 PDF/A-3B page layout in the bundled DejaVu font, and the
building blocks the sections write with (headings, paragraphs, label-value pairs, tables,
framed texts, attached files). Imports fpdf2: import this module only to make a report."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from importlib.resources import files as package_files

from fpdf import FPDF
from fpdf.enums import XPos, YPos

LABEL_WIDTH = 62  # mm, the label column of a label-value pair
ROW_HEIGHT = 4  # mm, one table row
LINE_HEIGHT = 2.9  # mm, a wrapped cell's next line
POINT = re.compile(r"^(\d+\. [^.:]+[.:]) (.*)$", re.DOTALL)  # "1. Heading. Text"
MM_PER_CHARACTER = 1.25  # DejaVu at 6.5 pt is wide: about 1.25 mm a character


def _font_path(name: str) -> str:
    return str(package_files("notices").joinpath(f"fonts/{name}"))


class ReportPdf(FPDF):
    """The report's pages; `footer_text` is printed at the foot of each before its page
    number."""

    def __init__(self, lang: str, title: str, creator: str, author: str, footer_text: str) -> None:
        super().__init__(format="A4", enforce_compliance="PDF/A-3B")
        self.footer_text = footer_text
        self.set_lang(lang)
        self.set_title(title)
        self.set_creator(creator)
        self.set_author(author)
        self.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=16)
        self.set_margins(14, 14, 14)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 5, f"{self.footer_text} {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(self.epw, 7, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("DejaVu", "", 9)

    def labelled_value(self, label: str, value: str, size: float = 9) -> None:
        """The label wrapped in its own column, the value beside it: a long label never
        prints over its value."""
        top = self.get_y()
        if top + 10 > self.page_break_trigger:
            self.add_page()
            top = self.get_y()
        self.set_font("DejaVu", "B", 9)
        self.multi_cell(LABEL_WIDTH - 2, 5, label, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        label_bottom, label_page = self.get_y(), self.page
        self.set_xy(self.l_margin + LABEL_WIDTH, top)
        self.set_font("DejaVu", "", size)
        self.multi_cell(
            self.epw - LABEL_WIDTH, 5, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        if self.page == label_page:
            self.set_y(max(self.get_y(), label_bottom))

    def paragraph(self, text: str, size: float = 9) -> None:
        self.set_font("DejaVu", "", size)
        self.multi_cell(self.epw, 4.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def point(self, text: str, size: float = 10) -> None:
        """A numbered point, `1. Its heading. Its text`, with the number and heading in
        bold; any other text as a paragraph."""
        match = POINT.match(text)
        if match is None:
            self.paragraph(text, size)
            return
        head, rest = match.groups()
        self.set_font("DejaVu", "B", size)
        self.write(size * 0.5, head + " ")
        self.set_font("DejaVu", "", size)
        self.write(size * 0.5, rest)
        self.ln(size * 0.5)

    def framed_text(self, text: str) -> None:
        """A published text verbatim, in a box."""
        self.set_font("DejaVu", "", 7.5)
        self.multi_cell(
            self.epw,
            3.6,
            text,
            border=1,
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            padding=1,  # mm: the first line clear of the frame
        )

    def text_table(
        self,
        columns: list[tuple[float, str]],
        rows: Iterable[list[str]],
        size: float = 6.5,
        wrap: int = 1,
    ) -> None:
        """A table drawn with plain text runs: thousands of rows stay fast. `columns` are
        (width in mm, header); the last one takes the rest of the page's width; `size` is
        the rows' font size in points; a cell wraps onto up to `wrap` lines, then is cut
        with "…"."""
        widths = [w for w, _ in columns[:-1]]
        columns = [*columns[:-1], (self.epw - sum(widths), columns[-1][1])]
        fits = [int(w / (MM_PER_CHARACTER * size / 6.5)) for w, _ in columns]
        self._table_header(columns, size)
        for cells in rows:
            lines = [
                textwrap.wrap(cell.replace("\n", " "), limit, max_lines=wrap, placeholder=" …")
                for cell, limit in zip(cells, fits, strict=True)
            ]
            height = ROW_HEIGHT + (max(len(cell) for cell in lines) - 1) * LINE_HEIGHT
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                self._table_header(columns, size)
            self._table_row([w for w, _ in columns], lines, height)

    def _table_header(self, columns: list[tuple[float, str]], size: float) -> None:
        self.set_font("DejaVu", "B", 7)
        for w, label in columns:
            self.cell(w, 5, self._fit(label, w - 1), border="B")
        self.ln(5)
        self.set_font("DejaVu", "", size)

    def _fit(self, text: str, width: float) -> str:
        """`text` cut with "…" to what the current font prints within `width` mm."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[: max(len(text) - max(len(text) // 8, 1), 0)]
        return text + "…"

    def _table_row(self, widths: list[float], cells: list[list[str]], height: float) -> None:
        """One row: each cell's lines under each other in its column, each line cut with
        "…" to what the font prints within the column."""
        x, y = self.l_margin, self.get_y()
        for w, lines in zip(widths, cells, strict=True):
            for n, line in enumerate(lines):
                self.text(x + 0.3, y + 2.9 + n * LINE_HEIGHT, self._fit(line, w - 1))
            x += w
        self.set_y(y + height)

    def attach_files(self, attachments: dict[str, bytes]) -> None:
        """Embed the files the report is checked against (PDF/A-3 associated files): the
        data (JSON Lines, CSV) and the manifest that supplements it."""
        types = {".json": "application/json", ".jsonl": "application/jsonl", ".csv": "text/csv"}
        for name, content in attachments.items():
            self.embed_file(
                bytes=content,
                basename=name,
                mime_type=types.get(name[name.rfind(".") :], "application/octet-stream"),
                associated_file_relationship="Supplement" if name.endswith(".json") else "Data",
                desc=name,
            )
