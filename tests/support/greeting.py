"""Reading a published phone greeting as a caller's call would go through it: the TwiML
documents, what each `<Say>` says, and espeak-ng's measure of how long that takes."""

from __future__ import annotations

import subprocess
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urljoin

# A long but realistic reason, per language, as an operator would type it in a hurry.
LONG_REASONS = {
    "fi": "Rakennuksessamme on tulipalo, ja pelastuslaitos on määrännyt koko talon"
    " tyhjennettäväksi.",
    "sv": "Det brinner i vår byggnad och räddningsverket har beordrat att hela huset ska utrymmas.",
    "en": "There is a fire in our building and the fire service has ordered everyone out.",
}
ESPEAK_VOICES = {"fi-FI": "fi", "sv-SE": "sv", "en-GB": "en-gb", "en-US": "en-us"}


@dataclass(frozen=True)
class Said:
    language: str
    voice: str
    text: str


def spoken(root: ET.Element, until: str = "Record") -> list[Said]:
    """Every `<Say>` in document order (inside `<Gather>` too), up to the verb `until`."""
    said = []
    for element in root.iter():
        if element.tag == until:
            break
        if element.tag == "Say":
            text = " ".join(_as_said(element).split())
            said.append(Said(element.get("language", ""), element.get("voice", ""), text))
    return said


def _as_said(say: ET.Element) -> str:
    """A `<Say>`'s text, with `<say-as interpret-as="telephone">` in digit groups as the
    provider's voice says it ("0 9, 1 2 3, 4 5 6 7"), so espeak-ng measures that."""
    parts = [say.text or ""]
    for child in say:
        if child.tag == "say-as" and child.get("interpret-as") == "telephone":
            groups = (child.text or "").replace("-", " ").split()
            parts.append(", ".join(" ".join(group) for group in groups))
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def seconds(said: list[Said], folder: Path) -> float:
    """How long espeak-ng takes to say `said` at its default rate (`soxi -D` of its WAV)."""
    total = 0.0
    for index, part in enumerate(said):
        wav = folder / f"say-{index}.wav"
        subprocess.run(
            ["espeak-ng", "-v", ESPEAK_VOICES[part.language], "-w", str(wav), part.text],
            check=True,
            capture_output=True,
        )
        length = subprocess.run(["soxi", "-D", str(wav)], check=True, capture_output=True)
        total += float(length.stdout)
    return total


def fetch(url: str, params: dict[str, str] | None = None) -> ET.Element:
    """GET a document as Twilio does: parameters in the query string."""
    if params:
        url = f"{url}?{urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        assert answer.headers.get_content_type() in ("text/xml", "application/xml")
        return ET.fromstring(answer.read())


def press(document_url: str, gather: ET.Element, digit: str) -> ET.Element:
    """Follow a `<Gather>`'s action as Twilio would after the caller pressed `digit`."""
    assert gather.get("method", "POST") == "GET", "a static host answers only GET"
    action = urljoin(document_url, gather.get("action") or document_url)
    params = {"Digits": digit, "CallSid": "CA" + "0" * 32, "From": "+358501112222"}
    return fetch(action, params)
