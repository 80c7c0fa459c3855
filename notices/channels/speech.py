"""Text made for the ear: what a caller hears never spells out an email address, a URL or a
"/", and phone numbers are said in digit groups.

Pure functions, shared by the renderer (the IVR templates' `phones` and `website`) and the
greeting's TwiML (which wraps each phone number in SSML `<say-as interpret-as="telephone">`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A phone number as people write it: +358 9 123 4567, 09-123 4567, (09) 1234 567.
PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d ()\-]{4,}\d(?!\w|\.\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
URL = re.compile(
    r"\b(?:https?://|www\.)\S*[\w/]|\b[\w-]+(?:\.[\w-]+)*\.(?:fi|se|com|net|org|eu)\b(?:/\S*)?"
)


@dataclass(frozen=True)
class SpokenContact:
    """What of an alternative contact a caller can hear: the phone numbers, and whether a
    website (said by name, never spelled) or an email address is part of it."""

    phones: tuple[str, ...]
    website: bool
    email: bool


def spoken_contact(text: str | None) -> SpokenContact:
    """The parts of a free-text contact ('09 123 4567 / asiakaspalvelu@x.fi / www.x.fi')."""
    if not text:
        return SpokenContact((), website=False, email=False)
    emails = EMAIL.findall(text)
    rest = EMAIL.sub(" ", text)
    website = bool(URL.search(rest))
    phones = tuple(" ".join(found.split()) for found in PHONE.findall(URL.sub(" ", rest)))
    return SpokenContact(phones, website=website, email=bool(emails))


def speakable(text: str, website: str) -> str:
    """`text` without anything a voice would spell: an email address or URL becomes
    `website` (the locale's words for "our website"), a "/" a pause."""
    text = EMAIL.sub(website, text)
    text = URL.sub(website, text)
    text = re.sub(r"\s*/\s*", ", ", text)
    return " ".join(text.split())


def phone_parts(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_phone_number) in order, for `<say-as>`."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for match in PHONE.finditer(text):
        if match.start() > at:
            parts.append((text[at : match.start()], False))
        parts.append((match.group(0), True))
        at = match.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts
