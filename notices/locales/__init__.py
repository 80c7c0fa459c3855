"""Every word notices says or shows to a person, in one place: `<lang>.toml` beside this file.

    text("fi", "sms.code", command="EVAKUOI 4h", code="123456", lifetime="5 min")

A key is the dotted path of a TOML key (`code` under `[sms]` is "sms.code"); its text is a
str.format template. A language without a file of its own speaks English; a key that is not
in the file is an error naming the key and the file. Every file has the same keys with the
same {placeholders} (tests/test_locales.py). Each file is read once per process.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

FALLBACK = "en"


class LocaleError(LookupError):
    """A text missing from a locale file, or a value its placeholders need."""


@cache
def languages() -> tuple[str, ...]:
    """The languages that have a locale file, sorted."""
    names = (entry.name for entry in resources.files(__name__).iterdir())
    return tuple(sorted(name.removesuffix(".toml") for name in names if name.endswith(".toml")))


def resolve(lang: str) -> str:
    """The language whose file speaks for `lang`: its own, else English."""
    return lang if lang in languages() else FALLBACK


@cache
def texts(lang: str) -> Mapping[str, str]:
    """Every text in one language's file, by dotted key."""
    source = resources.files(__name__) / f"{lang}.toml"
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocaleError(f"no locale file notices/locales/{lang}.toml") from None
    flat: dict[str, str] = {}
    _flatten(data, "", flat, lang)
    return MappingProxyType(flat)


def text(lang: str, key: str, **values: Any) -> str:
    """The text at `key` in `lang` (English for a language without a file), filled in."""
    lang = resolve(lang)
    try:
        return template(lang, key).format(**values)
    except (KeyError, IndexError) as exc:
        raise LocaleError(f"the text {key!r} ({lang}.toml) needs a value for {exc}") from None


def template(lang: str, key: str) -> str:
    """The text at `key` as written in `lang`'s own file, placeholders and all."""
    try:
        return texts(lang)[key]
    except KeyError:
        raise LocaleError(f"no text {key!r} in notices/locales/{lang}.toml") from None


def every_language(key: str) -> dict[str, str]:
    """The text at `key`, as written, in every language that has a file."""
    return {lang: template(lang, key) for lang in languages()}


def _flatten(table: Mapping[str, Any], prefix: str, into: dict[str, str], lang: str) -> None:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            _flatten(value, f"{key}.", into, lang)
        elif isinstance(value, str):
            into[key] = value
        else:
            raise LocaleError(f"notices/locales/{lang}.toml: {key} is not text")
