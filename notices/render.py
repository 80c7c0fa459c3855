"""Rendering every notice from the jinja2 templates, before any channel is touched.

Templates live in `notices/templates/<mode>/<medium>.<lang>.<ext>.j2`; a mode without its
own file for a medium and language uses `_base/`. A site's own folder (`templates` in
notices.toml) overrides any of them by the same path. Missing variables are errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from notices.channels.base import Medium, Notice, RenderedText
from notices.config import Config
from notices.errors import RenderError
from notices.timeparse import utc_stamp

EXTENSIONS: dict[Medium, str] = {"ivr": "txt", "banner": "html", "email": "txt"}
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def environment(site_templates: Path | None) -> jinja2.Environment:
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
    )


def when(moment: datetime, lang: str, zone: ZoneInfo, now: datetime) -> str:
    """A time of day in words, e.g. 'tänään klo 15.30', 'i morgon kl. 9.00', 'today at 15:30'."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    days = (local.date() - today).days
    if lang == "fi":
        clock = f"klo {local.hour}.{local.minute:02d}"
        day = {0: "tänään", 1: "huomenna"}.get(days, f"{local.day}.{local.month}.{local.year}")
        return f"{day} {clock}"
    if lang == "sv":
        clock = f"kl. {local.hour}.{local.minute:02d}"
        day = {0: "i dag", 1: "i morgon"}.get(days, f"den {local.day}.{local.month}.{local.year}")
        return f"{day} {clock}"
    clock = f"{local.hour:02d}:{local.minute:02d}"
    day = {0: "today", 1: "tomorrow"}.get(
        days, f"on {local.day} {MONTHS_EN[local.month - 1]} {local.year}"
    )
    return f"{day} at {clock}"


class Renderer:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = environment(config.templates)
        self.modes = config.all_modes()

    def template_name(self, mode: str, medium: Medium, lang: str) -> str:
        filename = f"{medium}.{lang}.{EXTENSIONS[medium]}.j2"
        for folder in (mode, "_base"):
            name = f"{folder}/{filename}"
            try:
                self.env.get_template(name)
            except jinja2.TemplateNotFound:
                continue
            return name
        raise RenderError(
            f"no template for mode {mode!r}, {medium} in language {lang!r}: {filename}"
        )

    def render(
        self,
        mode: str,
        medium: Medium,
        *,
        reasons: dict[str, str] | None,
        started: datetime,
        expected_return: datetime | None,
        now: datetime | None = None,
    ) -> Notice:
        if mode not in self.modes:
            raise RenderError(f"unknown mode {mode!r} (known: {', '.join(sorted(self.modes))})")
        now = now or datetime.now(UTC)
        spec = self.modes[mode]
        org = self.config.organisation
        texts = []
        for lang in self.config.languages:
            context = {
                "mode": mode,
                "lang": lang,
                "organisation": org.name,
                "alternative_contact": org.alternative_contact,
                "title": spec.title.get(lang, ""),
                "reason": _sentence((reasons or {}).get(lang) or spec.default_reason.get(lang, "")),
                "started": when(started, lang, self.config.zone, now),
                "expected_return": (
                    when(expected_return, lang, self.config.zone, now) if expected_return else None
                ),
            }
            name = self.template_name(mode, medium, lang)
            try:
                output = self.env.get_template(name).render(context)
            except jinja2.TemplateError as exc:
                raise RenderError(f"template {name} failed to render: {exc}") from exc
            texts.append(_parse(output, medium, name, lang))
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


def _parse(output: str, medium: Medium, name: str, lang: str) -> RenderedText:
    """Email templates start with a `Subject:` line and a blank line; others are all body."""
    if medium != "email":
        body = output.strip()
        if not body:
            raise RenderError(f"template {name} rendered an empty text")
        return RenderedText(lang=lang, body=body)
    head, _, body = output.partition("\n\n")
    if not head.startswith("Subject:") or "\n" in head.strip():
        raise RenderError(
            f"template {name} must start with one 'Subject: ...' line and a blank line"
        )
    subject = head.removeprefix("Subject:").strip()
    if not subject or not body.strip():
        raise RenderError(f"template {name} rendered an empty subject or body")
    return RenderedText(lang=lang, subject=subject, body=body.strip())
