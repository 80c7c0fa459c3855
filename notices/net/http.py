"""What every HTTP-speaking channel shares.

- `retry_after`: a Retry-After header in seconds or as an HTTP date;
- `http_error` / `status_error`: an HTTP status turned into a Transient/PermanentChannelError
  (408, 429 and 5xx are worth a retry, the rest are not) with the provider's own words;
- `fetch_public`: the plain GET of a public URL (the banner's status.json, the Twilio
  greeting) with a time limit, past every cache;
- `mask_url` (from notices/masking.py): a URL with its secrets masked, for logs and screens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from notices.errors import ChannelError, PermanentChannelError, TransientChannelError
from notices.masking import mask_url

__all__ = ["Answer", "fetch_public", "http_error", "mask_url", "retry_after", "status_error"]


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def is_transient(status: int) -> bool:
    """Whether trying again later can mend an HTTP answer with this status."""
    return status in (408, 429) or status >= 500


def http_error(status: int, headers: Mapping[str, str] | None, message: str) -> ChannelError:
    """The channel error for a failed HTTP answer: transient (with the server's Retry-After)
    when a retry can mend it, else permanent."""
    if is_transient(status):
        return TransientChannelError(message, retry_after=retry_after(headers))
    return PermanentChannelError(message)


def status_error(
    status: int,
    headers: Mapping[str, str] | None,
    *,
    unauthorized: str,
    forbidden: str,
    not_found: str,
    throttled: str,
    server: str,
    refused: str,
) -> ChannelError | None:
    """None for a success; else the error with the provider's message for this status:
    401 `unauthorized`, 403 `forbidden`, 404 `not_found`, 429 `throttled` (the wait added),
    408/5xx `server`, any other `refused`."""
    if status < 300:
        return None
    if status == 429:
        wait = retry_after(headers)
        said = f" (retry after {wait:g} s)" if wait is not None else ""
        return TransientChannelError(throttled + said, retry_after=wait)
    message = {401: unauthorized, 403: forbidden, 404: not_found}.get(status)
    if message is None:
        message = server if is_transient(status) else refused
    return http_error(status, headers, message)


@dataclass(frozen=True)
class Answer:
    """A public URL's answer: 4xx and 5xx are answers too, not exceptions."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")


def fetch_public(
    url: str, timeout: float, method: str = "GET", headers: dict[str, str] | None = None
) -> Answer:
    """Fetch `url` as a visitor (or Twilio) would, past every cache. The whole answer must
    arrive within `timeout` seconds, however slowly it trickles. Raises
    TransientChannelError when it cannot be reached."""
    from notices.net.network import within

    if urlsplit(url).scheme not in ("http", "https"):
        raise PermanentChannelError(f"{mask_url(url)} is not an http(s) address")
    return within(
        timeout,
        lambda: _fetch(url, timeout, method, headers or {}),
        f"{mask_url(url)} cannot be fetched",
    )


def _fetch(url: str, timeout: float, method: str, headers: dict[str, str]) -> Answer:
    import urllib.error
    import urllib.request

    from notices.net.network import plain

    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked by the caller
        url,
        method=method,
        headers={"Cache-Control": "no-cache", "User-Agent": "notices", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(int(response.status), dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, dict(exc.headers.items()) if exc.headers else {}, b"")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = plain(exc, urlsplit(url).hostname, timeout)
        raise TransientChannelError(f"{mask_url(url)} cannot be fetched: {reason}") from None


URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s;,)'\"]+")


def mask_urls(text: str) -> str:
    """Every URL inside `text` masked with `mask_url` (for lines shown to people)."""
    return URL_IN_TEXT.sub(lambda match: mask_url(match.group(0)), text)
