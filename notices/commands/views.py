"""What customers will read and hear, per language, shown to the operator before it is
published (the confirmation, --dry-run, --json)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from notices.timeparse import from_stamp

if TYPE_CHECKING:
    from notices.commands import Session, SwitchPlan

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
