"""Which text-to-speech voice says each language: Twilio's documented voices (voices.toml
beside this file, with its source and date), a default per language, and the check that
refuses a voice that cannot speak the language it is configured for."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType


@cache
def _table() -> tuple[Mapping[str, str], Mapping[str, str]]:
    source = resources.files("notices") / "voices.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return MappingProxyType(dict(data["voices"])), MappingProxyType(dict(data["defaults"]))


def documented() -> Mapping[str, str]:
    """Every documented voice and the language tag it speaks ('Polly.Suvi-Neural': 'fi-FI')."""
    return _table()[0]


def speaks(voice: str, lang: str) -> bool:
    """Whether `voice` is documented and speaks `lang` (a two-letter code or a full tag)."""
    tag = documented().get(voice)
    if tag is None:
        return False
    return tag == lang if "-" in lang else tag.split("-")[0] == lang


def voices_for(lang: str) -> list[str]:
    """The documented voices that speak `lang`, sorted."""
    return sorted(voice for voice in documented() if speaks(voice, lang))


def check_voices(voices: Mapping[str, str]) -> dict[str, str]:
    """`voices` (language -> voice) unchanged, or ValueError naming each voice that cannot
    speak its language and the voices that can."""
    problems = []
    for lang, voice in voices.items():
        if speaks(voice, lang):
            continue
        can = voices_for(lang)
        known = f"it speaks {documented()[voice]}" if voice in documented() else "not a voice"
        choice = (
            f"voices that speak {lang!r}: {', '.join(can)}"
            if can
            else (f"no documented voice speaks {lang!r}")
        )
        problems.append(f"{lang} = {voice!r} cannot speak {lang!r} ({known}); {choice}")
    if problems:
        raise ValueError("; ".join(problems))
    return dict(voices)


def voice(lang: str, configured: Mapping[str, str]) -> str | None:
    """The voice that says `lang`: the configured one, else the default (None: no default)."""
    return configured.get(lang) or _table()[1].get(lang)


def speech_language(lang: str, configured: Mapping[str, str]) -> str:
    """The `language` attribute for `lang`: the tag its voice speaks, else a plain guess."""
    chosen = voice(lang, configured)
    if chosen is not None and chosen in documented():
        return documented()[chosen]
    return {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}.get(lang, lang)
