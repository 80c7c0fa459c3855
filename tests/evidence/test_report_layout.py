"""The PDF for an officer: nothing printed over anything else, in any language, with long
reasons in all three languages, Swedish and Finnish numbers, 500 contacts and a record of
every kind; times with their zone; numbers masked by their country's grouping; the page for
an officer on one page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notices import locales
from notices.channels.base import Contact
from tests.support.evidence import add_contacts
from tests.support.pdf import overlapping_text, pdf_text, squash
from tests.support.record_kinds import add_every_kind


def squash_spaces(text: str) -> str:
    return " ".join(text.split())


LONG_REASON = (
    "Palohälytys toimistorakennuksessa: kaikki työntekijät on ohjattu kokoontumispaikalle,"
    " ja pelastuslaitos tarkastaa tilat ennen kuin niihin voi palata – arvioimme, että"
    " asiakaspalvelu jatkuu aikaisintaan iltapäivällä; kiireelliset asiat: 112 tai"
    " sähköposti, johon vastaamme heti kun mahdollista. Brandlarm i kontorsbyggnaden."
)
REASONS = [
    f"fi:{LONG_REASON}",
    "sv:Brandlarm i kontorsbyggnaden: all personal har förts till återsamlingsplatsen och"
    " räddningsverket går igenom lokalerna innan någon får gå tillbaka – vi räknar med att"
    " kundtjänsten öppnar tidigast i eftermiddag; i brådskande fall: 112 eller e-post.",
    "en:Fire alarm in the office building: everyone has been sent to the assembly point,"
    " and the rescue service checks the premises before anyone may return – we expect"
    " customer service to reopen this afternoon at the earliest; urgent matters: 112.",
]
NUMBERS = ["+46701234598", "+358401234567", "+4681234598", "+358912345678"]


def many_contacts(count: int) -> list[Contact]:
    """`count` calls, 5 ms apart from now: inside the incident's time, so its chart shows
    them."""
    start = datetime.now(UTC)
    return [
        Contact(
            channel="phone",
            kind="call",
            at=(start + timedelta(milliseconds=5 * i)).isoformat(timespec="milliseconds")[:23]
            + "Z",
            party=NUMBERS[i % len(NUMBERS)],
            provider_id=f"CA{i:032d}",
            detail={"status": "completed", "duration_s": 30 + i % 90, "direction": "inbound"},
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_no_text_prints_over_other_text(notices, home, tmp_path, lang):
    reasons = [arg for reason in REASONS for arg in ("--reason", reason)]
    run = notices("evacuate", "--for", "2h", *reasons, "--yes")
    assert run.exit_code == 0, run.stderr
    incident = notices("status", "--json").json()["incident"]
    assert add_contacts(home, incident, many_contacts(500)) == 500
    assert notices("resume", "--yes").exit_code == 0
    first = notices("log", "export", "--incident", incident, "-o", str(tmp_path / "first"))
    assert first.exit_code == 0, first.stderr  # so that the dossier holds log.exported
    add_every_kind(home, incident)
    folder = tmp_path / f"dossier-{lang}"
    run = notices("log", "export", "--incident", incident, "--lang", lang, "-o", str(folder))
    assert run.exit_code == 0, run.stderr
    pdf = folder / "report.pdf"
    assert overlapping_text(pdf) == []
    text = pdf_text(pdf)
    assert "+46 ** *** ** 98" in text and "+358 ** *****67" in text
    assert "(UTC+2)" in text or "(UTC+3)" in text
    fingerprint = notices("log", "key", "--json").json()["fingerprint_sha256"]
    assert f"notices log verify dossier/ --expect-key {fingerprint}" in squash_spaces(text)
    officer = {"fi": "Näin tarkistat tämän aineiston", "sv": "Så kontrollerar du detta material"}
    assert officer.get(lang, "How to check this dossier") in text
    rows = (folder / "contacts.csv").read_text("utf-8-sig").splitlines()
    assert len(rows) == 501 and ",completed,30," in rows[1]
    assert officer_page_count(pdf, lang) == 1


def officer_page_count(pdf, lang: str) -> int:
    """How many pages the page for an officer takes: from its title to its last words."""
    from pypdf import PdfReader

    pages = [squash(page.extract_text() or "") for page in PdfReader(pdf).pages]
    title = squash(locales.text(lang, "report.officer_title"))
    ending = squash(locales.text(lang, "report.officer_limits"))[-40:]
    start = next(i for i, page in enumerate(pages) if title in page)
    end = next(i for i, page in enumerate(pages) if i >= start and ending in page)
    return end - start + 1
