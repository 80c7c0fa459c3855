"""The PDF says every record in words, in its own language: no JSON, no payload field names,
no record kinds or provider words (Twilio statuses, error classes, refusal reasons) as the
code writes them. Every kind the code writes has its words in every language."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from notices import locales
from notices.channels.base import Contact
from tests.support.evidence import add_contacts
from tests.support.pdf import pdf_text, squash
from tests.support.record_kinds import (
    EXAMPLES,
    PACKAGE,
    RECORDED_BY_THE_CLI,
    add_every_kind,
    kinds_the_code_writes,
)

REASON = "Palohälytys: kaikki on ohjattu kokoontumispaikalle. Brandlarm i kontorsbyggnaden."
# Words the code or a provider writes, which a page in the report's language never shows.
RAW = {
    "fi": ("in-progress", "no-answer", "completed", "inbound", "wrong PIN", "resumed by hand"),
    "sv": ("in-progress", "no-answer", "completed", "inbound", "wrong PIN", "resumed by hand"),
    "en": ("in-progress", "no-answer", "outbound-api", "TransientChannelError", "no snapshot"),
}
# What each language says of a few records (squashed: the PDF wraps lines anywhere).
SAID = {
    "fi": (
        "tilapäinenvikapalveluntarjoajalla",
        "vääräPIN-koodi",
        "saapuva,31s,päättynyt",
        "ääniviesti",
        "palautettunormaaliinkäsin",
    ),
    "sv": (
        "tillfälligtfelhosleverantören",
        "felPIN-kod",
        "inkommande,31s,avslutat",
        "röstmeddelande",
        "återställttillnormaltförhand",
    ),
    "en": (
        "temporaryfaultattheprovider",
        "wrongPIN",
        "incoming,31s,completed",
        "voicemessage",
        "returnedtonormalbyhand",
    ),
}


def contacts(day: str) -> list[Contact]:
    """A call of each status Twilio reports, a voice message and an email."""
    statuses = ("completed", "busy", "no-answer", "failed", "canceled", "in-progress")
    found = [
        Contact(
            channel="phone",
            kind="call",
            at=f"{day}T{i:02d}:05:00.000Z",
            party=f"+35840123456{i}",
            provider_id=f"CA{i:032d}",
            detail={"to": "+358912345678", "status": status, "duration_s": 31},
        )
        for i, status in enumerate(statuses)
    ]
    found.append(
        Contact(
            channel="phone",
            kind="message",
            at=f"{day}T07:00:00.000Z",
            party="+46701234598",
            provider_id="RE" + "7" * 32,
            detail={"to": "+358912345678", "call": "CA" + "8" * 32, "duration_s": 12},
        )
    )
    found.append(
        Contact(
            channel="mail",
            kind="email",
            at=f"{day}T08:00:00.000Z",
            party="asiakas@example.fi",
            provider_id="<1@example.fi>",
            detail={"mailbox": "info@example.fi", "subject": "Milloin avaatte?"},
        )
    )
    return found


def payload_keys(value: object) -> set[str]:
    """Every field name in a payload, at any depth (not those the code leaves out)."""
    if isinstance(value, dict):
        keys = {k for k in value if not k.startswith("_")}
        return keys.union(*(payload_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(payload_keys(v) for v in value))
    return set()


@pytest.fixture
def every_kind(notices, home: Path) -> str:
    """An incident whose slice holds a record of every kind the code writes."""
    assert notices("evacuate", "--for", "2h", "--reason", REASON, "--yes").exit_code == 0
    assert notices("evacuate", "--for", "3h", "--yes").exit_code == 0
    incident = notices("status", "--json").json()["incident"]
    first = json.loads(notices("log", "show", "--json").stdout.splitlines()[0])
    add_contacts(home, incident, contacts(first["ts"][:10]))
    assert notices("resume", "--yes").exit_code == 0
    run = notices("log", "export", "--incident", incident, "-o", str(home.parent / "first"))
    assert run.exit_code == 0, run.stderr  # writes log.exported
    add_every_kind(home, incident)
    return incident


def test_the_examples_are_every_kind_the_code_writes():
    assert kinds_the_code_writes() == set(EXAMPLES) | RECORDED_BY_THE_CLI


@pytest.mark.parametrize("lang", locales.languages())
def test_every_kind_has_its_words_in_every_language(lang):
    texts = locales.texts(lang)
    for kind in sorted(kinds_the_code_writes()):
        assert f"report.kinds.{kind}" in texts, f"{lang}.toml: no name for {kind}"
        assert f"report.said.{kind}" in texts, f"{lang}.toml: no sentence for {kind}"


def refusal_reasons() -> set[str]:
    """Every refusal reason the staff gate writes as a literal."""
    found = set()
    for path in (PACKAGE / "staff").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "reason"
                        and isinstance(value, ast.Constant)
                    ):
                        found.add(str(value.value))
    return found | {"unknown sender", "unknown caller", "bad time", "bad reason", "not a command"}


@pytest.mark.parametrize("lang", locales.languages())
def test_every_refusal_reason_has_words_in_every_language(lang):
    reasons = refusal_reasons()
    assert len(reasons) >= 15
    missing = sorted(r for r in reasons if f"report.words.reason.{r}" not in locales.texts(lang))
    assert missing == []


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_a_dossier_of_every_kind_says_each_in_words(notices, every_kind, tmp_path, lang):
    folder = tmp_path / f"dossier-{lang}"
    run = notices("log", "export", "--incident", every_kind, "--lang", lang, "-o", str(folder))
    assert run.exit_code == 0, run.stderr
    lines = (folder / "events.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert {r["kind"] for r in records} == kinds_the_code_writes()
    text = pdf_text(folder / "report.pdf")
    for raw in ('{"', '":', "{'", "':"):
        assert raw not in text
    keys = set().union(*(payload_keys(r["payload"]) for r in records))
    named = sorted(k for k in keys if "_" in k and k in text)
    assert named == [], f"payload field names printed in the {lang} report"
    kinds = sorted(k for k in kinds_the_code_writes() if k in text)
    assert kinds == [], f"record kinds printed as the code names them in the {lang} report"
    assert [w for w in RAW[lang] if w in text] == []
    flat = squash(text)
    assert [s for s in SAID[lang] if s not in flat] == []
