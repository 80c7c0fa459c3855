"""What each channel published on the embedded default, per language."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

SPEECH = {"fi-FI": "fi", "sv-SE": "sv", "en-GB": "en"}
SEPARATOR = "— — —"


def published(home: Path) -> dict[str, dict[str, str]]:
    """Per channel artefact, each language's text as published: TwiML's <Say>, the banner
    (status.json and banner.html), the notice page's sections, the auto-reply's parts."""
    site = home / "site"
    texts: dict[str, dict[str, str]] = {}
    texts["twiml"] = {}
    # One greeting document per language (greeting.xml for the first): its own language's
    # <Say>s, not the menu's offers of the others.
    for document in sorted(site.glob("greeting*.xml")):
        if "recorded" in document.name:
            continue
        greeting = ET.fromstring(document.read_text("utf-8"))
        for say in greeting.iter("Say"):
            lang = SPEECH[say.get("language", "")]
            own = document.name == "greeting.xml" or document.name == f"greeting.{lang}.xml"
            if own:
                spoken = "".join(say.itertext())
                texts["twiml"][lang] = " ".join([texts["twiml"].get(lang, ""), spoken]).strip()
    status = json.loads((site / "status.json").read_text("utf-8"))
    texts["status.json"] = dict(status["html"])
    for name in ("banner.html", "notice.html"):
        page = (site / name).read_text("utf-8")
        blocks = re.findall(
            r'<(?:div|section)[^>]*\blang="(\w+)"[^>]*>(.*?)</(?:div|section)>', page, re.S
        )
        texts[name] = {lang: body for lang, body in blocks}
    sieve = (site / "mail" / "active.sieve").read_text("utf-8")
    body = sieve.split("text:\n", 1)[1].rsplit("\n.\n", 1)[0]
    parts = body.split(SEPARATOR)
    texts["email"] = dict(zip(("fi", "sv", "en"), parts, strict=True))
    for name, by_lang in texts.items():
        assert set(by_lang) == {"fi", "sv", "en"}, (name, by_lang)
    return texts
