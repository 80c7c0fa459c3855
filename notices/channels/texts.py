"""Rendered texts composed into the artefacts channels publish: banner, notice page, Sieve.

Pure functions shared by the local channels and the real providers. The phone greeting's
TwiML is built in channels/greeting.py (the same whether a folder or Twilio serves it).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from notices.channels.base import Notice, RenderedText
from notices.channels.sievescript import sieve_quote
from notices.timeparse import from_stamp


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
        "timezone": notice.timezone,  # notices.js shows the return in the notice's own time
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
    """A standalone page, linkable from social media or an SMS: per language a section with
    its own `lang`, a visible language label, an <h1>, the text with its links, and when it
    was last updated (the `page` templates)."""
    first = notice.texts[0].lang
    title = " / ".join(
        notice.title.get(text.lang, "") for text in notice.texts if text.lang in notice.title
    )
    sections = "\n".join(
        f'<section lang="{html.escape(text.lang)}">\n{(text.page or text.body).strip()}\n</section>'
        for text in notice.texts
    )
    org = html.escape(notice.organisation) if notice.organisation else ""
    header = f'<header><p class="organisation">{org}</p></header>\n' if org else ""
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
h1 {{ font-size: 1.5rem; margin: 0.25rem 0 0.75rem; }}
.language {{ margin: 0; font-size: 0.9rem; font-weight: 600; text-transform: uppercase;
            letter-spacing: 0.05em; color: #5c0010; }}
.organisation {{ font-weight: 600; }}
.updated {{ font-size: 0.9rem; color: #4a4a4a; }}
a {{ color: #0b4f9c; }}
a[href^="tel:"] {{ white-space: nowrap; }}
</style>
</head>
<body>
{header}<main>
{sections}
</main>
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
