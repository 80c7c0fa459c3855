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
    greeting = ET.fromstring((site / "greeting.xml").read_text("utf-8"))
    says = [say for say in greeting.iter("Say")][:3]
    texts["twiml"] = {SPEECH[s.get("language", "")]: s.text or "" for s in says}
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
