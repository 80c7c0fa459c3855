"""The PDF for an officer: nothing printed over anything else, in any language, with long
reasons, Swedish and Finnish numbers and 500 contacts; times with their zone; numbers
masked by their country's grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notices.channels.base import Contact
from tests.support.evidence import add_contacts
from tests.support.pdf import overlapping_text, pdf_text


def squash_spaces(text: str) -> str:
    return " ".join(text.split())


LONG_REASON = (
    "Palohälytys toimistorakennuksessa: kaikki työntekijät on ohjattu kokoontumispaikalle,"
    " ja pelastuslaitos tarkastaa tilat ennen kuin niihin voi palata – arvioimme, että"
    " asiakaspalvelu jatkuu aikaisintaan iltapäivällä; kiireelliset asiat: 112 tai"
    " sähköposti, johon vastaamme heti kun mahdollista. Brandlarm i kontorsbyggnaden."
)
NUMBERS = ["+46701234598", "+358401234567", "+4681234598", "+358912345678"]


def many_contacts(count: int) -> list[Contact]:
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        Contact(
            channel="phone",
            kind="call",
            at=(start + timedelta(seconds=5 * i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            party=NUMBERS[i % len(NUMBERS)],
            provider_id=f"CA{i:032d}",
            detail={"status": "completed", "duration_s": 30 + i % 90, "direction": "inbound"},
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_no_text_prints_over_other_text(notices, home, tmp_path, lang):
    run = notices("evacuate", "--for", "2h", "--reason", LONG_REASON, "--yes")
    assert run.exit_code == 0, run.stderr
    incident = notices("status", "--json").json()["incident"]
    assert add_contacts(home, incident, many_contacts(500)) == 500
    assert notices("resume", "--yes").exit_code == 0
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
