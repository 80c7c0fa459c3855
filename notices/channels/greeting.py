"""The phone greeting, built for the ear: one static TwiML document per language.

What a caller hears, in the document of the first language (`greeting.xml`):

1. the opening sentence (the template's first paragraph), at once, in that language;
2. the other languages offered, each in its own voice ("På svenska, tryck 2."): each offer is
   a `<Gather numDigits="1">` whose `action` is that language's own document, fetched with
   GET, so any static host serves the menu (no `notices serve` on the call's path);
3. the rest of the notice (the template's other paragraphs);
4. optionally "press 0" for the mode's on-call number (`forward_to`): `<Dial>` with a
   timeout, and a message if nobody answers;
5. a message after the beep (`<Record>`, on unless `record = false`), then a thank-you in
   the caller's language (its own document, the `<Record>` action).

Every other language's document (`greeting.<lang>.xml`) has the same shape, offering the
remaining languages, so a key pressed too early costs one sentence. Every `<Say>` has a voice
that speaks its language (voices.py); no email address, URL or "/" is said, and phone
numbers are said in digit groups (SSML `<say-as interpret-as="telephone">`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notices import locales
from notices.channels.base import ChannelOptions, Notice, RenderedText
from notices.channels.speech import phone_parts, speakable
from notices.config.base import PhoneNumber
from notices.voices import check_voices, speech_language, voice

FORWARD_DIGIT = 0
# Seconds a language offer or the on-call offer waits for a key after it is said.
OFFER_WAIT_S = 1


class RecordOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_length: int = Field(default=120, ge=1, le=14400, description="Longest message, seconds.")
    recording_status_callback: str | None = Field(
        default=None,
        description="A URL Twilio notifies when a recording is ready (optional:"
        " recordings are fetched from Twilio with the incident's calls).",
    )
    file: str = Field(
        default="greeting-recorded.xml",
        description="The thank-you said after a message; one per language, named"
        " greeting-recorded.<lang>.xml beside the greeting.",
    )


class GreetingOptions(ChannelOptions):
    """What every phone channel says and offers: voices, a message, an on-call number."""

    voices: dict[str, str] = Field(
        default_factory=dict,
        description="Text-to-speech voice per language, e.g. fi = 'Google.fi-FI-Standard-B';"
        " a language not named here has its default (notices/voices.toml).",
    )
    record: bool | RecordOptions = Field(
        default=True,
        description="Offer a voice message after the beep (false: companies that may not"
        " record); a table sets its maximum length.",
    )
    forward_to: dict[str, PhoneNumber] = Field(
        default_factory=dict,
        description="Per mode, an on-call number (E.164) the caller reaches by pressing 0.",
    )
    forward_timeout: int = Field(default=25, ge=5, le=600, description="Seconds to let it ring.")

    @field_validator("voices")
    @classmethod
    def _voices_speak(cls, value: dict[str, str]) -> dict[str, str]:
        return check_voices(value)

    def recording(self) -> RecordOptions | None:
        if self.record is False:
            return None
        return RecordOptions() if self.record is True else self.record


@dataclass(frozen=True)
class Forward:
    """The on-call number a caller reaches by pressing 0: `<Dial>` with a timeout."""

    number: str
    timeout: int = 25
    caller_id: str | None = None


@dataclass(frozen=True)
class Layout:
    """Where the documents are published and how they link to each other."""

    greeting_file: str = "greeting.xml"
    base_url: str = ""  # "" links by relative name; Twilio resolves it against the document
    record: RecordOptions | None = None
    forward: Forward | None = None
    forwarding: bool = False  # the channel can forward in some mode (its file names exist)

    def name(self, kind: str, lang: str) -> str:
        folder = posixpath.dirname(self.greeting_file)
        stem = posixpath.splitext(posixpath.basename(self.greeting_file))[0]
        if kind == "recorded":
            base = posixpath.basename(self.record.file if self.record else "greeting-recorded.xml")
            return posixpath.join(folder, f"{posixpath.splitext(base)[0]}.{lang}.xml")
        return posixpath.join(folder, f"{stem}{kind}.{lang}.xml")

    def document(self, lang: str, languages: tuple[str, ...]) -> str:
        """The file that holds `lang`'s block: the greeting itself for the first language."""
        return self.greeting_file if lang == languages[0] else self.name("", lang)

    def link(self, name: str) -> str:
        if not self.base_url:
            return posixpath.basename(name)
        return self.base_url.rsplit("/", 1)[0] + "/" + posixpath.basename(name)


def file_names(layout: Layout, languages: tuple[str, ...]) -> list[str]:
    """Every file a phone channel publishes for `languages` (a file a mode does not use is
    published absent, so snapshots and restores cover the same set)."""
    names = [layout.document(lang, languages) for lang in languages]
    if layout.record is not None:
        names += [layout.name("recorded", lang) for lang in languages]
    if layout.forwarding:
        names += [layout.name("-forward", lang) for lang in languages]
    return names


def greeting_files(notice: Notice, voices: dict[str, str], layout: Layout) -> dict[str, str]:
    """Every document of the greeting, by file name (see the module's docstring)."""
    languages = tuple(text.lang for text in notice.texts)
    files: dict[str, str] = {}
    for index, text in enumerate(notice.texts):
        files[layout.document(text.lang, languages)] = _block(
            notice, index, voices, layout, languages
        )
        if layout.record is not None:
            files[layout.name("recorded", text.lang)] = _document(
                lambda r, lang=text.lang: _say(
                    r, lang, voices, locales.text(lang, "phone.recorded")
                )
            )
        if layout.forward is not None:
            files[layout.name("-forward", text.lang)] = _forward(text.lang, voices, layout)
    return files


def _block(
    notice: Notice,
    index: int,
    voices: dict[str, str],
    layout: Layout,
    languages: tuple[str, ...],
) -> str:
    text = notice.texts[index]
    opening, rest = _paragraphs(text)

    def build(response: Any) -> None:
        _say(response, text.lang, voices, opening)
        for other_index, other in enumerate(notice.texts):
            if other_index == index:
                continue
            offer = locales.text(other.lang, "phone.menu", digit=other_index + 1)
            target = layout.link(layout.document(other.lang, languages))
            gather = response.gather(
                num_digits=1, timeout=OFFER_WAIT_S, action=target, method="GET"
            )
            _say(gather, other.lang, voices, offer)
        if rest:
            _say(response, text.lang, voices, rest)
        if layout.forward is not None:
            offer = locales.text(text.lang, "phone.forward_offer", digit=FORWARD_DIGIT)
            target = layout.link(layout.name("-forward", text.lang))
            gather = response.gather(
                num_digits=1, timeout=OFFER_WAIT_S, action=target, method="GET"
            )
            _say(gather, text.lang, voices, offer)
        _record(response, text.lang, voices, layout)

    return _document(build)


def _forward(lang: str, voices: dict[str, str], layout: Layout) -> str:
    assert layout.forward is not None
    forward = layout.forward

    def build(response: Any) -> None:
        _say(response, lang, voices, locales.text(lang, "phone.dial"))
        dial = response.dial(timeout=forward.timeout, caller_id=forward.caller_id)
        dial.number(forward.number)
        _say(response, lang, voices, locales.text(lang, "phone.no_answer"))
        _record(response, lang, voices, layout)

    return _document(build)


def _record(response: Any, lang: str, voices: dict[str, str], layout: Layout) -> None:
    record = layout.record
    if record is None:
        return
    _say(response, lang, voices, locales.text(lang, "phone.record"))
    extra: dict[str, Any] = {}
    if record.recording_status_callback:
        extra["recording_status_callback"] = record.recording_status_callback
        extra["recording_status_callback_method"] = "POST"
    response.record(
        action=layout.link(layout.name("recorded", lang)),
        method="GET",
        max_length=record.max_length,
        finish_on_key="#",
        play_beep=True,
        **extra,
    )


def _document(build: Any) -> str:
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    build(response)
    response.hangup()
    return str(response.to_xml()) + "\n"


def _paragraphs(text: RenderedText) -> tuple[str, str]:
    """The opening (the template's first paragraph) and the rest, each on one line."""
    opening, _, rest = text.body.strip().partition("\n\n")
    return " ".join(opening.split()), " ".join(rest.split())


def _say(parent: Any, lang: str, voices: dict[str, str], words: str) -> None:
    """One `<Say>` in `lang`'s voice; phone numbers in `<say-as interpret-as="telephone">`."""
    attributes: dict[str, Any] = {"language": speech_language(lang, voices)}
    chosen = voice(lang, voices)
    if chosen is not None:
        attributes["voice"] = chosen
    said = speakable(words, locales.text(lang, "phone.website"))
    say = parent.say(**attributes)
    for piece, is_phone in phone_parts(said):
        if is_phone:
            say.say_as(piece, interpret_as="telephone")
        else:
            say.append(piece)


def forward_for(
    mode: str, options: GreetingOptions, extra: Forward | None = None
) -> Forward | None:
    """The on-call number for `mode`: `forward_to[mode]`, else `extra` (a channel's own)."""
    number = options.forward_to.get(mode)
    if number is not None:
        return Forward(number, options.forward_timeout)
    return extra
