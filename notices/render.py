"""Rendering every notice from the jinja2 templates, before any channel is touched.

Templates live in `notices/templates/<mode>/<medium>.<lang>.<ext>.j2`; a mode without its
own file for a medium and language uses `_base/`. A site's own folder (`templates` in
notices.toml) overrides any of them by the same path. Missing variables are errors.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2
import markupsafe

from notices import locales
from notices.channels.base import Medium, Notice, RenderedText
from notices.channels.speech import spoken_contact
from notices.config import Config
from notices.errors import RenderError
from notices.timeparse import utc_stamp

# `page` is the notice page's section for one language (notice.html), rendered with the
# banner: it is given the banner's text as `banner`.
EXTENSIONS: dict[str, str] = {"ivr": "txt", "banner": "html", "email": "txt", "page": "html"}


@functools.lru_cache(maxsize=8)
def environment(site_templates: Path | None) -> jinja2.Environment:
    """One per templates folder and process: compiled templates are kept (`serve` renders
    every command; a template changed on disk is compiled again, jinja2's auto_reload).
    Across processes too, in jinja2's bytecode cache (its default: a folder of the user's
    own in the temporary directory, which jinja2 checks is theirs alone): a command in a
    new process then loads its templates instead of compiling them (about 0.04 s of CPU)."""
    loaders: list[jinja2.BaseLoader] = []
    if site_templates is not None:
        loaders.append(jinja2.FileSystemLoader(site_templates))
    loaders.append(jinja2.PackageLoader("notices", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
    )


def when(moment: datetime, lang: str, zone: ZoneInfo, now: datetime) -> str:
    """A moment in words, with weekday and date, e.g. 'tiistaina 24.11. klo 9.00',
    'tisdagen den 24 november kl. 9.00', 'on Tuesday 24 November at 09:00'.

    Never "today" or "tomorrow": a greeting or auto-reply published at 23:00 is still
    heard and read after midnight. The year is said only when it is not the current one.
    Words and order come from Babel's CLDR data, by the patterns in `[dates]` of
    notices/locales/<lang>.toml (English for a language without a file).
    """
    from babel.dates import format_datetime

    lang = locales.resolve(lang)
    local = moment.astimezone(zone)
    this_year = local.year == now.astimezone(zone).year
    pattern = locales.template(lang, "dates.moment" if this_year else "dates.moment_with_year")
    return format_datetime(local, pattern, tzinfo=zone, locale=lang)


def written(moment: datetime, lang: str, zone: ZoneInfo, now: datetime) -> str:
    """A moment as customers read it: 'ti 1.12. klo 17.40', 'tis 1/12 kl. 17.40',
    'Tue 1 Dec, 17:40' (`written` in `[dates]` of notices/locales/<lang>.toml; the year only
    when it is not the current one). `when` is the long form, as a sentence says it."""
    from babel.dates import format_datetime

    lang = locales.resolve(lang)
    local = moment.astimezone(zone)
    this_year = local.year == now.astimezone(zone).year
    pattern = locales.template(lang, "dates.written" if this_year else "dates.written_with_year")
    return format_datetime(local, pattern, tzinfo=zone, locale=lang)


def spoken(moment: datetime, lang: str, zone: ZoneInfo, now: datetime) -> str:
    """A moment as people say it on the phone, e.g. 'tiistaina 1. joulukuuta kello 17.40',
    'tisdag den 1 december klockan 17.40', 'on Tuesday 1 December at 5.40 pm'; today and
    tomorrow said as such ('tänään kello 17.40', 'huomenna keskiviikkona kello 9.00': the
    weekday stays, so a greeting heard after midnight is not wrong). Patterns `spoken*` in
    `[dates]` of notices/locales/<lang>.toml; the year only when it is not the current one.
    """
    from babel.dates import format_datetime, get_period_names

    lang = locales.resolve(lang)
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        key = "dates.spoken_today"
    elif (local.date() - today).days == 1:
        key = "dates.spoken_tomorrow"
    elif local.year == today.year:
        key = "dates.spoken"
    else:
        key = "dates.spoken_with_year"
    said = format_datetime(local, locales.template(lang, key), tzinfo=zone, locale=lang)
    for period in get_period_names("abbreviated", locale=lang).values():
        said = said.replace(f" {period}", f" {period.lower()}")  # "5.40 pm", as it is said
    return said


def promised(moment: datetime) -> datetime:
    """The time promised to customers: rounded up to the next five minutes (17.38 -> 17.40),
    so nobody is told a minute that looks computed. The plan keeps the exact time."""
    floor = moment.replace(second=0, microsecond=0)
    past = floor.minute % 5
    if past == 0 and floor == moment:
        return moment
    return floor + timedelta(minutes=5 - past)


def alternative_contact(config: Config, lang: str) -> str | None:
    """The organisation's alternative contact in `lang`, as one text: the one place the
    phone reads it from the configuration (its parts: `Organisation.contact`)."""
    contact = config.organisation.contact(lang)
    return contact.as_text() if contact else None


class Renderer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = environment(config.templates)
        self.modes = config.all_modes()

    def _render(
        self, mode: str, medium: Medium | Literal["page"], lang: str, context: Any
    ) -> tuple[str, str]:
        """(the template's name, what it rendered)."""
        name = self.template_name(mode, medium, lang)
        try:
            return name, self.env.get_template(name).render(context)
        except jinja2.TemplateError as exc:
            raise RenderError(f"template {name} failed to render: {exc}") from exc

    def template_name(self, mode: str, medium: Medium | Literal["page"], lang: str) -> str:
        filename = f"{medium}.{lang}.{EXTENSIONS[medium]}.j2"
        for folder in (mode, "_base"):
            name = f"{folder}/{filename}"
            try:
                self.env.get_template(name)
            except jinja2.TemplateNotFound:
                continue
            except jinja2.TemplateSyntaxError as exc:
                where = exc.filename or name
                raise RenderError(
                    f"{where}, line {exc.lineno}: the template is not valid ({exc.message})."
                    " Fix it (or remove it to use the built-in one), then run the command again."
                ) from None
            return name
        raise RenderError(
            f"no template for mode {mode!r}, {medium} in language {lang!r}: {filename}"
        )

    def context(
        self,
        mode: str,
        lang: str,
        reasons: dict[str, str] | None,
        started: datetime,
        expected_return: datetime | None,
        now: datetime,
        say: Callable[[datetime, str, ZoneInfo, datetime], str] = when,
    ) -> dict[str, Any]:
        """What one language's templates are given. `reason` is that language's own, or
        the mode's default reason in that language: never another language's text. `say`
        puts a moment in words (`spoken` for the phone). The return customers are promised
        is rounded up to the next five minutes (`promised`)."""
        spec = self.modes[mode]
        org = self.config.organisation
        contact = org.contact(lang)
        heard = spoken_contact(alternative_contact(self.config, lang))
        zone = self.config.zone
        back = promised(expected_return) if expected_return else None
        return {
            "mode": mode,
            "lang": lang,
            "organisation": org.name,
            # The text form for sentences; `contact` in parts (phone, email, web, text, and
            # phone_href, email_href, web_href) for a channel that renders them its own way.
            "alternative_contact": contact.as_text() if contact else None,
            "contact": contact,
            "title": spec.title.get(lang, ""),
            "reason": _sentence((reasons or {}).get(lang) or spec.default_reason.get(lang, "")),
            # For the ear (IVR): phone numbers only, and whether to point to the website.
            "phones": list(heard.phones),
            "website": heard.website,
            "started": say(started, lang, zone, now),
            "expected_return": say(back, lang, zone, now) if back else None,
            # What customers read: 'ti 1.12. klo 17.40' (templates other than ivr).
            "started_written": written(started, lang, zone, now),
            "expected_return_written": written(back, lang, zone, now) if back else None,
        }

    def render(
        self,
        mode: str,
        medium: Medium,
        *,
        reasons: dict[str, str] | None,
        started: datetime,
        expected_return: datetime | None,
        now: datetime | None = None,
        updated: datetime | None = None,
    ) -> Notice:
        """Every language's text for `medium`. `updated` (default: `started`) is when what
        customers are told last changed: the notice page says it."""
        if mode not in self.modes:
            raise RenderError(f"unknown mode {mode!r} (known: {', '.join(sorted(self.modes))})")
        now = now or datetime.now(UTC)
        spec = self.modes[mode]
        org = self.config.organisation
        texts = []
        say = spoken if medium == "ivr" else when
        for lang in self.config.languages:
            context = self.context(mode, lang, reasons, started, expected_return, now, say)
            text = _parse(self._render(mode, medium, lang, context), medium, lang)
            if medium == "banner":
                stamp = updated or started
                context |= {
                    # The banner template's own output, autoescaped as it was rendered.
                    "banner": markupsafe.Markup(text.body),  # noqa: S704
                    "updated_written": written(stamp, lang, self.config.zone, now),
                    "updated_iso": utc_stamp(stamp),
                    "expected_return_iso": utc_stamp(expected_return) if expected_return else None,
                }
                page = self._render(mode, "page", lang, context)[1].strip()
                text = dataclasses.replace(text, page=page)
            texts.append(text)
        return Notice(
            mode=mode,
            medium=medium,
            texts=tuple(texts),
            title={lang: spec.title.get(lang, "") for lang in self.config.languages},
            started=utc_stamp(started),
            expected_return=utc_stamp(expected_return) if expected_return else None,
            timezone=self.config.timezone,
            organisation=org.name,
        )


def _sentence(text: str) -> str:
    """A reason typed in a hurry still reads as a sentence before the next one."""
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?…" else f"{text}."


def _parse(output: tuple[str, str], medium: Medium, lang: str) -> RenderedText:
    """Email templates start with a `Subject:` line and a blank line; others are all body.
    `output` is (template name, its text)."""
    name, text = output
    if medium != "email":
        body = text.strip()
        if not body:
            raise RenderError(f"template {name} rendered an empty text")
        return RenderedText(lang=lang, body=body)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:") or "\n" in head.strip():
        raise RenderError(
            f"template {name} must start with one 'Subject: ...' line and a blank line"
        )
    subject = head.removeprefix("Subject:").strip()
    if not subject or not body.strip():
        raise RenderError(f"template {name} rendered an empty subject or body")
    return RenderedText(lang=lang, subject=subject, body=body.strip())
