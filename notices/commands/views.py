"""What customers will read and hear, per language, shown to the operator before it is
published (the confirmation, --dry-run, --json)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from notices.commands.input import parse_reasons
from notices.errors import UsageError
from notices.orchestrator import build_channels
from notices.timeparse import expected_return_explained, from_stamp

if TYPE_CHECKING:
    from notices.commands import Session, SwitchPlan, Workspace

# Text-to-speech reads about this many characters a second: the greeting's length in
# seconds is an estimate from its characters, named as one wherever it is shown.
SPOKEN_CHARACTERS_PER_SECOND = 14


@dataclass(frozen=True)
class LanguageView:
    """What customers in one language will read and hear, shown before it is published."""

    lang: str
    title: str
    reason: str
    reason_is_default: bool
    expected_return: str | None  # as customers read it, with the zone if the operator's differs
    greeting_characters: int
    greeting_seconds_estimate: int

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def language_views(session: Session, plan: SwitchPlan) -> list[LanguageView]:
    """Per language: the title, the reason, the return time and the phone greeting's length,
    as `switch` would publish them (an open incident's reasons and return carry on)."""
    orchestrator = session.orchestrator
    current = session.open_incident()
    reasons = plan.reasons
    if reasons is None and current is not None and current.mode == plan.mode:
        reasons = current.reasons
    now = datetime.now(UTC)
    started = from_stamp(current.started) if current else now
    returning = plan.returning
    if returning is None and current is not None and current.expected_return:
        returning = from_stamp(current.expected_return)
    renderer = orchestrator.renderer
    greeting = renderer.render(
        plan.mode, "ivr", reasons=reasons, started=started, expected_return=returning, now=now
    )
    spoken = {text.lang: len(" ".join(text.body.split())) for text in greeting.texts}
    views = []
    for lang in session.config.languages:
        context = renderer.context(plan.mode, lang, reasons, started, returning, now)
        shown = context["expected_return_written"]
        if shown and returning is not None and _zone_differs(session.config.zone, returning):
            shown = f"{shown} ({session.config.timezone})"
        views.append(
            LanguageView(
                lang,
                context["title"],
                context["reason"],
                not (reasons or {}).get(lang),
                shown,
                spoken[lang],
                round(spoken[lang] / SPOKEN_CHARACTERS_PER_SECOND),
            )
        )
    return views


def _zone_differs(zone: ZoneInfo, moment: datetime) -> bool:
    """Whether the operator's own clock shows `moment` at another offset than `zone`."""
    return moment.astimezone().utcoffset() != moment.astimezone(zone).utcoffset()


@dataclass(frozen=True)
class PreviewFile:
    channel: str
    kind: str
    name: str
    text: str


def preview(
    workspace: Workspace,
    mode: str,
    *,
    channel: str | None = None,
    lang: str | None = None,
    until: str | None = None,
    for_: str | None = None,
    reasons: list[str] | None = None,
) -> list[PreviewFile]:
    """Exactly what each channel would publish for `mode`, touching nothing."""
    from notices.render import Renderer

    config = workspace.config
    if lang is not None:
        if lang not in config.languages:
            raise UsageError(f"{lang!r} is not one of the configured languages {config.languages}")
        config = config.model_copy(update={"languages": [lang]})
    moment = expected_return_explained(until, for_, config.zone)
    channels = build_channels(config, workspace.home)
    if channel is not None:
        channels = [c for c in channels if c.name == channel]
        if not channels:
            raise UsageError(f"no channel named {channel!r} (have: {', '.join(config.channels)})")
    renderer = Renderer(config)
    files = []
    for target in channels:
        notice = renderer.render(
            mode,
            target.medium,
            reasons=parse_reasons(reasons, config.languages),
            started=datetime.now(UTC),
            expected_return=moment.utc if moment else None,
        )
        for name, text in target.build(notice).files.items():
            files.append(PreviewFile(target.name, target.kind, name, text))
    return files
