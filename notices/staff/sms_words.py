"""What a staff member's SMS says: the command read from its words (`EVAKUOI 4h 1234`),
and each command's keyword in a language. Shared by the SMS line (notices/staff/sms.py) and
the staff phone line (notices/staff/call.py), which reads its commands the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass

from notices import commands
from notices.config import Config, StaffMember, fold_keyword
from notices.errors import TimeError
from notices.timeparse import parse_duration, parse_until_explained

PIN = re.compile(r"^\d{4,8}$")


@dataclass(frozen=True)
class Command:
    """A parsed SMS command. `typed` is what the log may hold: never the PIN."""

    name: str  # a mode, "resume" or "status"
    lang: str
    typed: str
    until: str | None = None
    for_: str | None = None
    pin: str | None = None
    # Given in the SMS after the time, as typed: commands.parse_reasons reads it, in the
    # keyword's language unless it has a prefix of its own.
    reason: str | None = None


def parse_command(body: str, config: Config, staff: StaffMember) -> Command | None:
    """`EVAKUOI 4h`, `SÄHKÖKATKO 15:30 1234`, `EVAKUOI 4h Palohälytys 1234`, `PALAA`,
    `TILA`; None if no keyword matches. After the time, a mode's command may carry a
    reason, in the keyword's language unless prefixed (`sv:Brandlarm`), by the same rules
    as `--reason`. Raises UsageError (TimeError for a time) for what cannot be read."""
    words = body.split()
    if not words:
        return None
    first = fold_keyword(words[0])
    matches = [
        (command, lang)
        for command, by_lang in config.sms.all_keywords().items()
        for lang, word in by_lang.items()
        if fold_keyword(word) == first
    ]
    if not matches:
        return None
    name = matches[0][0]
    langs = [lang for _, lang in matches]
    # One word in several languages (STATUS): the person's own, else the configured order.
    order = [staff.language, *config.languages, "en"]
    lang = next((lang for lang in order if lang in langs), langs[0])
    rest = words[1:]
    pin = rest.pop() if rest and PIN.match(rest[-1]) else None
    until = for_ = None
    if rest and name not in ("resume", "status") and _time_like(rest[0]):
        until, for_ = _read_time(rest.pop(0), config)
    reason = None
    if rest and name not in ("resume", "status", "extend"):
        reason = " ".join(rest)
        commands.parse_reasons([reason], config.languages, reason_language(config, lang))
        rest = []
    if rest:
        raise TimeError(f"{' '.join(rest)!r} is not understood: write e.g. {words[0]} 4h")
    # What the code message repeats and the log keeps: keyword, time, reason; never the PIN.
    typed = " ".join(part for part in (words[0].upper(), until or for_, reason) if part)
    return Command(name, lang, typed, until, for_, pin, reason)


def reason_language(config: Config, lang: str) -> str | None:
    """The language an unprefixed reason is read in: the keyword's, when it is configured."""
    return lang if lang in config.languages else None


def _read_time(word: str, config: Config) -> tuple[str | None, str | None]:
    """(until, for) from `15:30` or `4h`. Raises TimeError for neither, and for a clock
    time already passed today: an SMS cannot be asked whether tomorrow is meant."""
    try:
        parse_duration(word)
    except TimeError:
        pass
    else:
        return None, word
    when = parse_until_explained(word, config.zone)
    if when.tomorrow:
        dated = f"{when.utc.astimezone(config.zone):%Y-%m-%dT%H:%M}"
        raise TimeError(
            f"{word} has already passed today: write the date ({dated}) if tomorrow is"
            " meant, or a duration (4h)"
        )
    return word, None


def _time_like(word: str) -> bool:
    """A time or a duration starts with a digit (`4h`, `15:30`, `2026-12-01T15:00`)."""
    return word[:1].isdigit()


def keyword(config: Config, command: str, lang: str) -> str:
    """The word that stands for `command` in `lang` (else in English, else the name)."""
    words = config.sms.all_keywords().get(command, {})
    return words.get(lang) or words.get("en") or command
