"""Rendered texts composed into the artefacts channels publish: TwiML, banner, Sieve.

Pure functions shared by the local channels and the real providers, so a greeting is the
same TwiML whether a folder or Twilio serves it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notices.channels.base import Notice, RenderedText
from notices.channels.sievescript import sieve_quote
from notices.timeparse import from_stamp

SPEECH_LANGUAGES = {"fi": "fi-FI", "sv": "sv-SE", "en": "en-GB"}  # see voices.speech_language


# Short fixed phrases around <Record> and <Dial>, per language (English where none is given).
PHRASES: dict[str, dict[str, str]] = {
    "record": {
        "fi": "Voit jättää viestin äänimerkin jälkeen. Lopeta painamalla risuaitaa.",
        "sv": "Du kan lämna ett meddelande efter tonen. Avsluta med fyrkant.",
        "en": "You can leave a message after the tone. Press the hash key when you are done.",
    },
    "recorded": {
        "fi": "Kiitos viestistäsi. Näkemiin.",
        "sv": "Tack för ditt meddelande. Hej då.",
        "en": "Thank you for your message. Goodbye.",
    },
    "dial": {
        "fi": "Yhdistämme sinut päivystäjälle.",
        "sv": "Vi kopplar dig till jourhavande.",
        "en": "We are connecting you to the person on call.",
    },
}


@dataclass(frozen=True)
class RecordOffer:
    """Offer a voice message: `<Record>` with its `action` (the TwiML fetched afterwards)."""

    action: str
    method: str = "GET"
    max_length: int = 120
    recording_status_callback: str | None = None


@dataclass(frozen=True)
class DialOffer:
    """Connect the caller to an on-call number: `<Dial><Number>`."""

    number: str
    caller_id: str | None = None
    timeout: int = 30


def _say_attributes(lang: str, voices: dict[str, str]) -> dict[str, Any]:
    """`voice` (the configured one, else the language's default) and the `language` it speaks."""
    from notices.channels import voices as table

    attributes: dict[str, Any] = {"language": table.speech_language(lang, voices)}
    chosen = table.voice(lang, voices)
    if chosen is not None:
        attributes["voice"] = chosen
    return attributes


def _phrases(notice: Notice, key: str, voices: dict[str, str], response: Any) -> None:
    for text in notice.texts:
        phrase = PHRASES[key].get(text.lang, PHRASES[key]["en"])
        response.say(phrase, **_say_attributes(text.lang, voices))


def greeting_twiml(
    notice: Notice,
    voices: dict[str, str],
    record: RecordOffer | None = None,
    dial: DialOffer | None = None,
) -> str:
    """The greeting: `<Say>` per language, then optionally `<Record>` or `<Dial>`, then
    `<Hangup>`. Only verbs and attributes Twilio documents (built with its VoiceResponse)."""
    from twilio.twiml.voice_response import VoiceResponse

    if record is not None and dial is not None:
        raise ValueError("a greeting offers either a voice message or a call, not both")
    response = VoiceResponse()
    for text in notice.texts:
        response.say(" ".join(text.body.split()), **_say_attributes(text.lang, voices))
        response.pause(length=1)
    if record is not None:
        _phrases(notice, "record", voices, response)
        extra: dict[str, Any] = {}
        if record.recording_status_callback:
            extra["recording_status_callback"] = record.recording_status_callback
            extra["recording_status_callback_method"] = "POST"
        response.record(
            action=record.action,
            method=record.method,
            max_length=record.max_length,
            finish_on_key="#",
            play_beep=True,
            **extra,
        )
    elif dial is not None:
        _phrases(notice, "dial", voices, response)
        dialled = response.dial(timeout=dial.timeout, caller_id=dial.caller_id)
        dialled.number(dial.number)
    response.hangup()
    return str(response.to_xml()) + "\n"


def recorded_twiml(notice: Notice, voices: dict[str, str]) -> str:
    """What a caller hears after leaving a message (the `<Record>` action): thanks, hang up."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    _phrases(notice, "recorded", voices, response)
    response.hangup()
    return str(response.to_xml()) + "\n"


def status_document(notice: Notice) -> dict[str, Any]:
    """`status.json`: what the banner script reads. No clock time of its own, so it is
    byte-identical when the same notice is applied again."""
    return {
        "mode": notice.mode,
        "active": True,
        "started": notice.started,
        "expected_return": notice.expected_return,
        # The safety net: notices.js hides the banner once this has passed, even if no
        # resume ever runs.
        "expires": notice.expected_return,
        "languages": [text.lang for text in notice.texts],
        "title": {text.lang: notice.title.get(text.lang, "") for text in notice.texts},
        "html": {text.lang: text.body.strip() for text in notice.texts},
    }


def language_blocks(notice: Notice, inner: Callable[[RenderedText], str]) -> list[str]:
    """One `<div lang>` per language, holding `inner(text)`."""
    return [f'<div lang="{html.escape(text.lang)}">{inner(text)}</div>' for text in notice.texts]


def banner_html(notice: Notice) -> str:
    """An HTML fragment for sites that include it server-side."""
    parts = [f'<div class="notices-banner" role="alert" data-mode="{html.escape(notice.mode)}">']
    parts.extend("  " + block for block in language_blocks(notice, lambda t: t.body.strip()))
    parts.append("</div>")
    return "\n".join(parts) + "\n"


def notice_page(notice: Notice) -> str:
    """A standalone page, linkable from social media or an SMS."""
    first = notice.texts[0].lang
    title = " / ".join(
        notice.title.get(text.lang, "") for text in notice.texts if text.lang in notice.title
    )
    sections = "\n".join(
        f'<section lang="{html.escape(text.lang)}">\n{text.body.strip()}\n</section>'
        for text in notice.texts
    )
    org = html.escape(notice.organisation) if notice.organisation else ""
    return f"""<!doctype html>
<html lang="{html.escape(first)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1a1a1a; background: #fff; }}
section {{ border-left: 0.4rem solid #b00020; padding: 0.5rem 1rem; margin: 1.5rem 0; }}
</style>
</head>
<body>
<p>{org}</p>
{sections}
</body>
</html>
"""


def _sieve_multiline(value: str) -> str:
    # RFC 5228 multi-line string: a line starting with "." is dot-stuffed.
    lines = [(("." + line) if line.startswith(".") else line) for line in value.splitlines()]
    return "text:\n" + "\n".join(lines) + "\n.\n"


def email_subject(notice: Notice) -> str:
    subjects = [text.subject for text in notice.texts if text.subject]
    return " / ".join(dict.fromkeys(subjects))


def email_body(notice: Notice, separator: str = "\n\n— — —\n\n") -> str:
    return separator.join(text.body.strip() for text in notice.texts) + "\n"


def sieve_cutoff(notice: Notice) -> tuple[str, str] | None:
    """The expected return as Sieve `currentdate` wants it: (zone, iso8601), e.g.
    ("+0200", "2026-11-23T15:00:00+02:00"). The comparison is textual, so the zone is the
    offset the configured zone has on that date."""
    if not notice.expected_return:
        return None
    from zoneinfo import ZoneInfo

    moment = from_stamp(notice.expected_return)
    local = moment.astimezone(ZoneInfo(notice.timezone))
    return f"{local:%z}", local.isoformat(timespec="seconds")


def sieve_vacation_command(notice: Notice, addresses: list[str], days: int) -> str:
    """The `vacation` command alone (needs `require "vacation"`), ending in a newline."""
    options = [f":days {days}", f":subject {sieve_quote(email_subject(notice))}"]
    if addresses:
        options.append(":addresses [" + ", ".join(sieve_quote(a) for a in addresses) + "]")
    return f"vacation {' '.join(options)} {_sieve_multiline(email_body(notice))};\n"


def sieve_vacation(
    notice: Notice, addresses: list[str], days: int, *, until_return: bool = True, note: str = ""
) -> str:
    """A complete Sieve script whose only action is the vacation auto-reply; with an expected
    return (and `until_return`), it answers only until then (a safety net if no resume ever
    runs). `note` is a comment line after the first."""
    vacation = sieve_vacation_command(notice, addresses, days)
    head = f"# notices: {notice.mode} auto-reply, started {notice.started}\n"
    if note:
        head += f"# {note}\n"
    cutoff = sieve_cutoff(notice) if until_return else None
    if cutoff is None:
        return head + 'require ["vacation"];\n' + vacation
    zone, until = cutoff
    return (
        head
        + f"# answers until {until}, the expected return, even if no resume runs\n"
        + 'require ["vacation", "date", "relational"];\n'
        + f'if currentdate :zone "{zone}" :value "lt" "iso8601" "{until}" {{\n'
        + vacation
        + "}\n"
    )
