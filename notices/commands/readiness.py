"""Real values before the first real incident: what `check` refuses to call ready."""

from __future__ import annotations

from notices.config import Config, ContactParts, locate_key

# What `notices init` writes until it is told the real values (notices/static/notices.toml),
# and what people copy from the documentation: "esimerkki" is Finnish for "example".
EXAMPLE_WORDS = ("esimerkki", "example.", "exempel", "+358 40 123 4567")


def placeholders(config: Config) -> list[str]:
    """Each value customers would be shown that is still an example or empty: the
    organisation's name and every part of the alternative contact, with its line."""
    text = config.source_text()
    problems = []
    org = config.organisation
    if not (org.name or "").strip():
        problems.append(_where("organisation.name is empty", ("organisation", "name"), text))
    elif _example(org.name or ""):
        problems.append(
            _where(f"organisation.name is the example {org.name!r}", ("organisation", "name"), text)
        )
    contact = org.alternative_contact
    tables: dict[str, object] = (
        {f".{lang}": value for lang, value in contact.items()}
        if isinstance(contact, dict)
        else {"": contact}
    )
    for suffix, value in tables.items():
        key = f"organisation.alternative_contact{suffix}"
        parts = value.model_dump() if isinstance(value, ContactParts) else {"": value}
        for part, shown in parts.items():
            if isinstance(shown, str) and _example(shown):
                name = f"{key}.{part}" if part else key
                path = ("organisation", "alternative_contact", *name.split(".")[2:])
                problems.append(_where(f"{name} is the example {shown!r}", path, text))
    return problems


def _example(value: str) -> bool:
    folded = value.casefold()
    return any(word in folded for word in EXAMPLE_WORDS)


def _where(problem: str, path: tuple[str, ...], text: str) -> str:
    line = locate_key(text, path) if text else None
    return f"{problem} (line {line})" if line else problem
