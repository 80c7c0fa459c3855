"""What the hosted mailbox providers (`email_graph`, `email_gmail`) share.

- the auto-reply as HTML (every configured language in one message);
- comparing HTML the way a person reads it, since both providers rewrite the HTML they store;
- one HTTP client (httpx, which honours SSL_CERT_FILE) used for tokens and API calls alike;
- provider HTTP answers mapped to Transient/PermanentChannelError in plain words;
"""

from __future__ import annotations

import contextlib
import functools
import html
import json
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notices.channels.base import Notice, RenderedText
from notices.channels.texts import email_subject, language_blocks
from notices.errors import TransientChannelError
from notices.net.http import status_error
from notices.timeparse import from_stamp

if TYPE_CHECKING:
    import httpx

TIMEOUT_SECONDS = 20.0
# A scheduled end closer than this is not worth a schedule: the provider may reject it as past.
MIN_SCHEDULE_SECONDS = 120


def email_html(notice: Notice) -> str:
    """The auto-reply as HTML: the subject as a heading, then each language's text."""
    parts = ["<html>", "<body>"]
    subject = email_subject(notice)
    if subject:
        parts.append(f"<p><strong>{html.escape(subject)}</strong></p>")
    parts.append("\n<hr>\n".join(language_blocks(notice, _paragraphs)))
    parts.extend(["</body>", "</html>"])
    return "\n".join(parts) + "\n"


def _paragraphs(text: RenderedText) -> str:
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.body.strip()):
        lines = [html.escape(line.strip()) for line in paragraph.splitlines()]
        paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n" + "\n".join(paragraphs) + "\n"


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def visible_text(markup: str | None) -> str:
    """What a reader sees of some HTML, whitespace collapsed: providers re-wrap and sanitise
    stored HTML, so read-backs are compared by this, not byte for byte."""
    if not markup:
        return ""
    return _visible_text(markup)


@functools.lru_cache(maxsize=512)
def _visible_text(markup: str) -> str:
    # Cached: a read-back of 50 mailboxes compares the same few texts 100 times.
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.chunks).split())


def schedule_end(expected_return: str | None, now: datetime | None = None) -> datetime | None:
    """The provider-side end of the auto-reply, or None when there is none worth setting."""
    if expected_return is None:
        return None
    end = from_stamp(expected_return)
    moment = now or datetime.now(UTC)
    if (end - moment).total_seconds() < MIN_SCHEDULE_SECONDS:
        return None
    return end


def provider_message(response: httpx.Response) -> str:
    """The provider's own error text: Graph {"error": {"code", "message"}}, Google
    {"error": {"code", "message", "status"}} or OAuth {"error", "error_description"}."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = error.get("status") or error.get("code") or ""
            return f"{code}: {error.get('message', '')}".strip(": ")
        if isinstance(error, str):
            return f"{error}: {body.get('error_description', '')}".strip(": ")
    return response.text[:200].strip()


def check_response(
    response: httpx.Response,
    *,
    provider: str,
    mailbox: str,
    forbidden_hint: str,
    action: str = "change the auto-reply of",
) -> None:
    """Raise the channel error a person can act on for a failed answer; return on success.
    `action` says what was refused, e.g. "read the messages received by"."""
    status = response.status_code
    if status < 300:
        return
    detail = provider_message(response)
    error = status_error(
        status,
        response.headers,
        unauthorized=f"{provider} did not accept our sign-in for {mailbox} (401 {detail}):"
        " check the credentials configured for this channel",
        forbidden=f"{provider} does not allow us to {action} {mailbox}"
        f" (403 {detail}): {forbidden_hint}",
        not_found=f"{provider} knows no mailbox {mailbox} (404 {detail}): check the address",
        throttled=f"{provider} asks us to slow down for {mailbox} (429)",
        server=f"{provider} had a temporary problem with {mailbox} ({status} {detail})",
        refused=f"{provider} refused to {action} {mailbox} ({status} {detail})",
    )
    if error is not None:
        raise error


def transport_error(
    provider: str, mailbox: str, exc: Exception, seconds: float | None = None
) -> TransientChannelError:
    from notices.net.network import plain

    return TransientChannelError(
        f"could not reach {provider} for {mailbox}: {plain(exc, None, seconds)}"
    )


def new_client(timeout: float = TIMEOUT_SECONDS, connections: int = 20) -> httpx.Client:
    """Every request, tokens included, must be answered completely within `timeout` s; up
    to `connections` kept alive (one per mailbox switched at once)."""
    from notices.net.network import deadline_client

    return deadline_client(timeout, connections)


class MsalHttpClient:
    """msal's `http_client` (get/post returning status_code/text/headers) over httpx, so
    token requests share our TLS settings and time-outs.

    The tenant's OpenID metadata (`.well-known/openid-configuration`, where msal learns the
    token endpoint) is kept in `metadata_file` for a day, as msal keeps it for a day in a
    long-lived process: a command in a new process then signs in with one round trip, not
    two. It is public, holds no token and no secret, and is kept as JSON (msal's own
    recipe for a CLI pickles its cache: not loaded from a data folder here). A file that
    cannot be read or written is only a cache missed."""

    def __init__(self, client: httpx.Client, metadata_file: Path | None = None) -> None:
        self.client = client
        self.metadata_file = metadata_file

    def post(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if isinstance(data, dict):
            return self.client.post(url, params=params, data=data, headers=headers)
        return self.client.post(url, params=params, content=data, headers=headers)

    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if self.metadata_file is None or params or not url.endswith(OPENID_METADATA):
            return self.client.get(url, params=params, headers=headers)
        kept = _kept_metadata(self.metadata_file).get(url)
        if kept is not None and 0 <= time.time() - kept["fetched"] < METADATA_KEPT_S:
            import httpx

            return httpx.Response(
                200,
                text=kept["text"],
                headers={"content-type": "application/json"},
                request=httpx.Request("GET", url),
            )
        response = self.client.get(url, headers=headers)
        if response.status_code == 200:
            _keep_metadata(self.metadata_file, url, response.text)
        return response

    def close(self) -> None:
        """The client is ours to close, not msal's."""


OPENID_METADATA = "/.well-known/openid-configuration"
METADATA_KEPT_S = 24 * 3600.0  # as long as msal keeps it in memory


def _kept_metadata(path: Path) -> dict[str, dict[str, Any]]:
    try:
        kept = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(kept, dict):
        return {}
    return {
        url: entry
        for url, entry in kept.items()
        if isinstance(entry, dict)
        and isinstance(entry.get("text"), str)
        and isinstance(entry.get("fetched"), int | float)
    }


def _keep_metadata(path: Path, url: str, text: str) -> None:
    kept = _kept_metadata(path)
    kept[url] = {"fetched": time.time(), "text": text}
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(kept, indent=1), "utf-8")
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


class GoogleAuthRequest:
    """google-auth's transport `Request` over httpx."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        import httpx
        from google.auth import exceptions
        from google.auth.transport import Response

        # google-auth asks for tokens with timeout=None, which httpx takes as "no limit".
        limit = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        try:
            answer = self.client.request(
                method, url, content=body, headers=dict(headers or {}), timeout=limit
            )
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(exc) from exc  # type: ignore[no-untyped-call]

        class _Response(Response):
            @property
            def status(self) -> int:
                return answer.status_code

            @property
            def headers(self) -> Mapping[str, str]:
                return answer.headers

            @property
            def data(self) -> bytes:
                return answer.content

        return _Response()
