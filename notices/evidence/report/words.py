"""The report's words, read from notices/locales (sections [report] and [report.kinds]),
through the two lookups the report uses. Nothing else in the report holds translated text."""

from __future__ import annotations

from typing import Any

from notices.locales import resolve, template, text, texts


def label(lang: str, key: str, **values: Any) -> str:
    """The report's text `key` in `lang`, with `{name}` fields filled from `values`."""
    key = f"report.{key}"
    return text(lang, key, **values) if values else template(resolve(lang), key)


def kind_label(lang: str, kind: str) -> str:
    """A log record kind (`channel.applied`) as the report names it in `lang`; the kind
    itself where the language has no name for it."""
    return texts(lang).get(f"report.kinds.{kind}", kind)


def field_label(lang: str, key: str) -> str:
    """A payload's field name as the report labels it in `lang`; the name with spaces for
    underscores where the language has no label for it."""
    return texts(lang).get(f"report.fields.{key}", key.replace("_", " "))
