"""The dossier: what the PDF says, that an export verifies offline, and that tampering with
any part of it, or with the database, is caught."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time

import pytest
from pypdf import PdfReader

from tests.support.evidence import NEW_CALLERS, OLD_CALLERS, REASON, SPECIAL, export
from tests.support.log import execute, query, store_bytes, tamper
from tests.support.pdf import pdf_text, squash


def json_strings(value: object) -> list[str]:
    """Every text in a JSON value, at any depth."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return [value] if isinstance(value, str) else []


def test_pdf_holds_the_summary_exact_texts_and_special_characters(notices, recorded, tmp_path):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    text = pdf_text(folder / "report.pdf")
    for phrase in (
        "Poikkeustilanneraportti",
        "Yhteenveto",
        "Toimipiste tilapäisesti suljettu",
        REASON,
        "Käynnisti",
        "test-operator",
        "Muutokset arvioituun paluuseen",
        "Palautettu normaaliksi",
        "Kesto yhteensä",
        "Aikajana",
        "Kanavien julkaisemat tekstit",
        "Palveluntarjoajien vahvistukset",
        "Ei virheitä eikä uudelleenyrityksiä.",
        "Kanavan website palveluntarjoaja ei säilytä tietoja yhteydenotoista",
        "Kanava phone: 4 yhteydenottoa.",
        "Tiivisteet ja tarkistaminen",
        SPECIAL,
    ):
        assert squash(phrase) in squash(text), phrase  # a label may wrap in its column
    flat = squash(text)
    assert recorded.texts  # greeting.xml, active.sieve, banner files
    for name, published in recorded.texts.items():
        if name.endswith(".json"):  # for a program: its fields in words, every text whole
            assert squash(published) not in flat
            texts = [v for v in json_strings(json.loads(published)) if not v[:4].isdigit()]
            assert texts and [v for v in texts if squash(v) not in flat] == [], name
        else:
            assert squash(published) in flat, f"{name} is not in the PDF verbatim"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["slice"]["last_link"] in flat


def test_pdf_embeds_its_font_and_attachments_and_declares_pdfa(notices, recorded, tmp_path):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    reader = PdfReader(folder / "report.pdf")
    fonts = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = "/FontFile2" in descriptor
    assert fonts and all(fonts.values()), fonts
    assert all("DejaVuSans" in name for name in fonts)
    attachments = reader.attachments
    assert attachments["events.jsonl"][0] == (folder / "events.jsonl").read_bytes()
    inner = json.loads(attachments["manifest.json"][0])
    outer = json.loads((folder / "manifest.json").read_text())
    assert inner["files"]["events.jsonl"] == outer["files"]["events.jsonl"]
    assert "/OutputIntents" in reader.trailer["/Root"]
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    # As an element or as an attribute (pyHanko writes the XMP again when it signs): both are
    # RDF/XML for the same property.
    assert re.search(r'pdfaid:part(>|=")3', xmp) and re.search(r'pdfaid:conformance(>|=")B', xmp)
    assert "<dc:title>" in xmp or "dc:title" in xmp


def test_report_in_swedish(notices, recorded, tmp_path):
    export(notices, recorded, tmp_path / "sv", "--lang", "sv")
    text = pdf_text(tmp_path / "sv" / "report.pdf")
    assert "Sammanfattning" in text and "Tillfälligt stängt" in text


def test_export_verifies_offline_without_the_data_folder(notices, recorded, tmp_path):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    moved = tmp_path / "sent" / "dossier"
    shutil.copytree(folder, moved)
    shutil.rmtree(recorded.home)
    run = notices("log", "verify", str(moved))
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "OK: the dossier verifies." in run.stdout
    manifest = json.loads((moved / "manifest.json").read_text())
    first = json.loads((moved / "events.jsonl").read_text().splitlines()[0])
    assert first["seq"] == manifest["slice"]["first_seq"] == 1
    assert manifest["slice"]["previous_link"] == "0" * 64
    fingerprint = manifest["signing_key"]["fingerprint_sha256"]
    assert notices("log", "verify", str(moved), "--expect-key", fingerprint).exit_code == 0
    assert notices("log", "verify", str(moved), "--expect-key", "ab" * 32).exit_code == 1


def test_a_later_slice_links_to_the_record_before_it(notices, recorded, home, tmp_path):
    assert notices("power-out", "--for", "1h", "--yes").exit_code == 0
    second = notices("status", "--json").json()["incident"]
    folder = tmp_path / "second"
    run = notices("log", "export", "--incident", second, "-o", str(folder))
    assert run.exit_code == 0, run.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    [(before,)] = query(
        home / "notices.db",
        "SELECT link_hash FROM log WHERE seq = ?",
        (manifest["slice"]["first_seq"] - 1,),
    )
    assert manifest["slice"]["previous_link"] == before
    assert notices("log", "verify", str(folder)).exit_code == 0
    # A forged previous link (the manifest re-signed by nobody) is caught.
    manifest["slice"]["previous_link"] = "1" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1 and "does not follow" in run.stderr


def test_period_export(notices, recorded, tmp_path):
    folder = tmp_path / "period"
    run = notices(
        "log", "export", "--since", "2020-01-01", "--until", "2099-01-01", "-o", str(folder)
    )
    assert run.exit_code == 0, run.stderr
    assert notices("log", "verify", str(folder)).exit_code == 0


@pytest.mark.parametrize(
    "name", ["report.pdf", "events.csv", "events.jsonl", "contacts.csv", "manifest.json"]
)
def test_one_changed_byte_in_any_file_is_detected(notices, recorded, tmp_path, name):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    assert notices("log", "verify", str(folder)).exit_code == 0
    path = folder / name
    data = bytearray(path.read_bytes())
    # A byte inside the content (a hash digit in the manifest), changed to another digit.
    at = len(data) // 2
    if name == "manifest.json":
        at = data.index(b'"sha256": "') + len(b'"sha256": "')
    data[at] = ord("0") if data[at] != ord("0") else ord("1")
    path.write_bytes(bytes(data))
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1
    assert "FAILED" in run.stderr


def test_removed_csv_row_is_detected_even_with_the_hash_updated(notices, recorded, tmp_path):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    path = folder / "events.csv"
    raw = path.read_bytes()
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    del rows[5]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1 and "file events.csv" in run.stderr
    # Someone who also fixes the manifest's hash breaks its signature and the row check.
    import hashlib

    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["events.csv"] = {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    run = notices("log", "verify", str(folder))
    assert run.exit_code == 1
    assert "manifest signature" in run.stderr and "not the records of events.jsonl" in run.stderr


def test_truncating_the_database_tail_is_detected(notices, recorded, home):
    assert notices("log", "checkpoint").exit_code == 0
    assert notices("log", "verify").exit_code == 0
    [(last,)] = query(home / "notices.db", "SELECT max(seq) FROM log")
    # Cut the last three records cleanly: what is left is a perfectly valid, shorter chain.
    tamper(home, f"DELETE FROM log WHERE seq > {last - 3}")
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert f"the log ends at record {last - 3}" in run.stderr
    assert "cut off the end" in run.stderr


def test_contacts_are_masked_by_default_and_disclosure_is_logged(notices, recorded, tmp_path):
    masked = tmp_path / "masked"
    export(notices, recorded, masked)
    text = pdf_text(masked / "report.pdf")
    assert "+358 ** *****67" in text
    contacts = (masked / "contacts.csv").read_text("utf-8-sig")
    for number in NEW_CALLERS + OLD_CALLERS:
        assert number not in text and number not in contacts
        assert number not in (masked / "events.jsonl").read_text()
    assert not [
        r
        for r in json.loads(masked.joinpath("manifest.json").read_text()).values()
        if r == "included"
    ]

    full = tmp_path / "full"
    export(notices, recorded, full, "--include-personal")
    contacts = (full / "contacts.csv").read_text("utf-8-sig")
    assert all(number in contacts for number in NEW_CALLERS + OLD_CALLERS)
    assert NEW_CALLERS[0] in pdf_text(full / "report.pdf")
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    exports = [r["payload"]["personal_data"] for r in records if r["kind"] == "log.exported"]
    assert exports == ["masked", "included"]


def test_purge_erases_the_numbers_from_the_file_and_the_chain_still_verifies(
    notices, recorded, home
):
    def file_bytes() -> bytes:
        return store_bytes(home)

    for number in OLD_CALLERS + NEW_CALLERS:
        assert number.encode() in file_bytes()  # the test can fail: they were there
    assert query(
        home / "notices.db", "SELECT count(*) FROM log WHERE payload LIKE '%1112267%'"
    ) == [(0,)]  # never in the hashed log itself
    run = notices("log", "purge-personal", "--older-than", "36m", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "Erased 2" in run.stdout
    raw = file_bytes()
    for number in OLD_CALLERS:
        assert number.encode() not in raw
        assert number[1:].encode() not in raw and number[4:].encode() not in raw
    for number in NEW_CALLERS:
        assert number.encode() in raw  # within retention: kept for the callbacks
    verify = notices("log", "verify")
    assert verify.exit_code == 0, verify.stderr
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    purged = [r for r in records if r["kind"] == "personal.purged"]
    assert len(purged) == 1 and len(purged[0]["payload"]["refs"]) == 2
    callbacks = notices("callbacks", "--incident", recorded.incident).stdout
    assert "(erased)" in callbacks and NEW_CALLERS[0] in callbacks


def test_substituted_phone_number_fails_verification(notices, recorded, home):
    execute(home, f"UPDATE personal SET value = '+358401111111' WHERE value = '{NEW_CALLERS[0]}'")
    run = notices("log", "verify")
    assert run.exit_code == 1 and "was altered" in run.stderr


def test_callbacks_newest_first(notices, recorded):
    run = notices("callbacks", "--incident", recorded.incident)
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    order = [next(n for n in NEW_CALLERS + OLD_CALLERS if n in line) for line in lines]
    assert order == [NEW_CALLERS[1], NEW_CALLERS[0], OLD_CALLERS[1], OLD_CALLERS[0]]


def test_contacts_command_says_when_a_provider_keeps_no_record(notices, recorded):
    run = notices("log", "contacts", "--incident", recorded.incident)
    assert run.exit_code == 0
    assert "phone: the provider keeps no record of contacts" in run.stdout
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    collected = [r for r in records if r["kind"] == "contacts.collected"]
    assert len(collected) == 2  # at resume, and now
    assert collected[-1]["payload"]["channels"]["mail"]["available"] is False


def test_storing_the_same_contacts_twice_adds_nothing(recorded):
    from tests.support.evidence import add_contacts, calls

    assert add_contacts(recorded.home, recorded.incident, calls(OLD_CALLERS, "2022-03-01")) == 0


def test_csv_round_trips_finnish_characters(notices, recorded, tmp_path):
    folder = tmp_path / "dossier"
    export(notices, recorded, folder)
    raw = (folder / "events.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    lines = [json.loads(line) for line in (folder / "events.jsonl").read_text("utf-8").splitlines()]
    assert [json.loads(r["payload"]) for r in rows] == [line["payload"] for line in lines]
    assert any(REASON in r["payload"] for r in rows)


def test_pdf_of_10000_records_takes_under_5_seconds(notices, recorded, tmp_path):
    """The PDF step alone, on the recorded incident plus 10,000 inbound calls."""
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    from notices.evidence.export import open_log
    from notices.evidence.report import ReportInput, build_report

    log = open_log(recorded.home)
    try:
        records = list(log.records())
    finally:
        log.database.close()
    call = next(r for r in records if r.kind == "contact.received")
    many = [
        replace(
            call,
            seq=call.seq + i,
            ts=f"{call.ts[:11]}{10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
            payload={**call.payload, "provider_id": f"CA{i:032d}"},
        )
        for i in range(10_000 - len(records))
    ]
    began = time.monotonic()
    pdf = build_report(
        ReportInput(
            records=records + many,
            lang="fi",
            zone=ZoneInfo("Europe/Helsinki"),
            scope=recorded.incident,
            organisation="Esimerkki Oy",
            mode_titles={},
            include_personal=False,
            held_values={},
            manifest={"files": {}},
        )
    )
    elapsed = time.monotonic() - began
    assert pdf.startswith(b"%PDF-1.7")
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 100
    print(f"PDF of 10,000 records: {elapsed:.2f} s")
    assert elapsed < 5, f"{elapsed:.2f} s"


FORMULAS = ['=HYPERLINK("http://evil.example/x","call me")', "+358401234567", "@SUM(1+1)", "-2+3"]


def cells(raw: bytes) -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")) for cell in row
    ]


def test_no_csv_cell_and_no_callbacks_field_starts_a_formula(
    notices, recorded, tmp_path, monkeypatch
):
    from tests.support.evidence import add_contacts, calls

    add_contacts(recorded.home, recorded.incident, calls(FORMULAS, "2023-01-01"))
    monkeypatch.setenv("NOTICES_ACTOR", "=cmd|' /C calc'!A0")
    assert notices("log", "contacts", "--incident", recorded.incident).exit_code == 0
    folder = tmp_path / "dossier"
    export(notices, recorded, folder, "--include-personal")
    single = tmp_path / "events.csv"
    assert notices("log", "export", "-o", str(single)).exit_code == 0
    written = {
        "contacts.csv": cells((folder / "contacts.csv").read_bytes()),
        "events.csv": cells((folder / "events.csv").read_bytes()),
        "export": cells(single.read_bytes()),
    }
    for name, found in written.items():
        risky = [c for c in found if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert risky == [], (name, risky)
    # Neutralised, not lost: shown as text, and the dossier still verifies.
    assert "'" + FORMULAS[0] in written["contacts.csv"]
    assert "'=cmd|' /C calc'!A0" in written["events.csv"]
    assert notices("log", "verify", str(folder)).exit_code == 0
    run = notices("callbacks", "--incident", recorded.incident)
    fields = [field for line in run.stdout.splitlines() for field in line.split()]
    assert not [f for f in fields if f[:1] in ("=", "+", "@")], run.stdout
    assert "'+358401234567" in run.stdout
