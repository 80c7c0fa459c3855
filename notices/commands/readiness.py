"""Ready before the first real incident: `check` (every mode rendered for every channel,
every provider probed, values customers would see that are still examples), and `embed`
(the line a site's pages include for the banner)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from notices.commands.session import Workspace, open_session
from notices.config import Config, ContactParts, locate_key
from notices.errors import RenderError, UsageError
from notices.orchestrator import ChannelOutcome, build_channels
from notices.orchestrator.fallback import fallback_problems

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


@dataclass
class CheckReport:
    modes: list[str]
    languages: list[str]
    outcomes: list[ChannelOutcome] = field(default_factory=list)
    # Values customers would see that are still examples or empty (organisation, contact).
    placeholders: list[str] = field(default_factory=list)
    # Every template that fails to render, each once.
    render_errors: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # paths made private again
    # With two nodes: staff numbers whose fallback URL is not the second node's.
    fallbacks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        outcomes_ok = all(outcome.ok for outcome in self.outcomes)
        return outcomes_ok and not (self.placeholders or self.render_errors or self.fallbacks)


def check(workspace: Workspace) -> CheckReport:
    """Render every mode for every channel (with and without a return time) and probe every
    channel's provider: credentials, targets, publish locations. Changes nothing but the
    data folder's permissions: 0700 for folders, 0600 for files, repaired and reported."""
    from notices.paths import repair_private

    config = workspace.config
    repaired = [str(path) for path in repair_private(workspace.home)]
    with open_session(workspace) as session:
        now = datetime.now(UTC)
        errors: dict[str, None] = {}
        for mode in config.all_modes():
            for returning in (None, now + timedelta(hours=4)):
                try:
                    session.orchestrator.build_all(mode, None, now, returning)
                except RenderError as exc:
                    errors[str(exc)] = None
        outcomes = session.orchestrator.probe()
        outcomes += [broken.outcome() for broken in session.orchestrator.broken]
    return CheckReport(
        list(config.all_modes()),
        list(config.languages),
        outcomes,
        placeholders(config),
        list(errors),
        repaired,
        fallback_problems(config),
    )


@dataclass(frozen=True)
class Embedding:
    snippet: str  # the <script> line to paste into every page
    published_to: str | None  # where notices.js was uploaded, with --publish


def embed(workspace: Workspace, channel: str | None, *, publish: bool = False) -> Embedding:
    """The line a site's pages include for the banner of `channel` (default: the first
    banner channel); with `publish`, upload notices.js now, before any incident."""
    from notices.channels.banner import Banner, embed_snippet

    banners = [c for c in build_channels(workspace.config, workspace.home) if c.medium == "banner"]
    chosen = [c for c in banners if channel is None or c.name == channel]
    if not chosen:
        raise UsageError(f"no banner channel named {channel!r}" if channel else "no banner channel")
    target = chosen[0]
    if not isinstance(target, Banner) or not target.public_url:
        raise UsageError(
            f'channel {target.name!r} has no public_url: set kind = "banner" and'
            " public_url to the address its files are served from"
        )
    published_to = None
    if publish:
        try:
            target.publish_script()
        finally:
            target.close()
        published_to = target.identity()
    return Embedding(embed_snippet(target.public_url), published_to)
