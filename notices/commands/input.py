"""Input every door shares: reasons per language, a clock time already passed today."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from notices.errors import TimeError, UsageError

if TYPE_CHECKING:
    from notices.commands import SwitchPlan

MAX_REASON = 500  # characters per language: a caller hears it read aloud


def check_reason(value: str) -> None:
    """Refuse a reason that cannot be shown safely in every notice: control characters
    (other than line breaks and tabs, which become spaces) and texts too long to be heard."""
    for char in value:
        if char in "\t\n\r":
            continue
        category = unicodedata.category(char)
        if category == "Cs":
            raise UsageError(
                "--reason is not valid text (it holds bytes that are not UTF-8): type it again"
                " in a terminal set to UTF-8. Nothing was switched."
            )
        if category == "Cc":
            raise UsageError(
                f"--reason contains the control character U+{ord(char):04X}, which no notice"
                " can show (it may come from a copy-paste): type the reason again without it."
                " Nothing was switched."
            )
    if len(value) > MAX_REASON:
        raise UsageError(
            f"--reason is {len(value)} characters long; at most {MAX_REASON} are accepted, as"
            " callers hear it read aloud in every language: shorten it (details can go on"
            " the notice page). Nothing was switched."
        )


LANGUAGE_PREFIX = re.compile(r"^([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?):(.*)$", re.DOTALL)


def parse_reasons(
    values: list[str] | None, languages: list[str], default: str | None = None
) -> dict[str, str] | None:
    """The reasons given, by language: `fi:Palohälytys` is Finnish; a text without a
    prefix is in `default` (the first of `languages` unless a door knows better, as an SMS
    keyword does). A language given no reason is left out: its notices say the mode's
    default reason in that language, never another language's text. Raises UsageError for
    an unknown language, an empty reason, one given twice for a language, or one that
    starts with `--` (an option swallowed as the reason's text)."""
    if not values:
        return None
    reasons: dict[str, str] = {}
    for value in values:
        match = LANGUAGE_PREFIX.match(value.strip())
        lang, text = (match[1], match[2]) if match else (default or languages[0], value)
        if lang not in languages:
            raise UsageError(
                f"--reason {value!r}: {lang!r} is not one of the configured languages"
                f" ({', '.join(languages)}). Write e.g. --reason '{languages[0]}:...'."
                " Nothing was switched."
            )
        check_reason(text)
        text = " ".join(text.split())
        if not text:
            raise UsageError(
                f"--reason {value!r} is empty: write what happened, or leave --reason out"
                " to use the mode's own reason. Nothing was switched."
            )
        if text.startswith("--"):
            raise UsageError(
                f"--reason {value!r} looks like an option, not a reason (was the reason's"
                " text forgotten?): write --reason 'what happened'. Nothing was switched."
            )
        if lang in reasons:
            raise UsageError(
                f"--reason is given twice for {lang!r}: give each language once."
                " Nothing was switched."
            )
        reasons[lang] = text
    return {lang: reasons[lang] for lang in languages if lang in reasons}


def passed_today(plan: SwitchPlan, zone: ZoneInfo) -> str | None:
    """When a bare `--until 13:30` had already passed today and was read as tomorrow: the
    question to ask (or, where no one can be asked, the reason to refuse)."""
    if plan.moment is None or not plan.moment.tomorrow:
        return None
    local = plan.moment.utc.astimezone(zone)
    return (
        f"{local:%H:%M} has already passed today; it would mean tomorrow,"
        f" {local:%a %d.%m.%Y %H:%M} ({zone.key})"
    )


def refuse_passed(plan: SwitchPlan, zone: ZoneInfo) -> None:
    """Where no one can be asked (--yes, SMS): a time already passed today is refused."""
    question = passed_today(plan, zone)
    if question is None or plan.moment is None:
        return
    dated = f"{plan.moment.utc.astimezone(zone):%Y-%m-%dT%H:%M}"
    raise TimeError(
        f"{question}. Nothing was switched: if that is meant, give the date ({dated}) or a"
        " duration (e.g. 2h)."
    )
