"""Secrets masked in every form, wherever text leaves the process.

The one masking function, `mask`, used for the screen, the log (every record's payload,
notices/evidence/log.py), exports (built from the log) and `check`. It masks:

- every secret value `remember`ed by whoever read it from the environment (the orchestrator
  for the channels' credentials, the staff gate for the auth token), as the value, its
  URL-encoded forms, and its base64 forms: alone, and inside any base64 token that decodes
  to text holding it (Basic auth's user:password, a JWT's part). A base64 run that holds the
  secret at another alignment loses the part that encodes it;
- the credentials of any `Basic`/`Bearer` authorization shown, known or not;
- inside every URL (`mask_url`): the user information and the values of query parameters
  whose names say key, token, secret, signature, password or auth.

Known values are replaced by [secret], URL parts and authorizations by ***.

`printable` also strips terminal control characters (C0 and C1, but newline and tab):
whatever a provider or a configuration says cannot move the cursor or retitle a terminal.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

MASKED_VALUE = "[secret]"
MASK = "***"
MIN_LENGTH = 6  # shorter values (a PIN) would mask digits all over the log
# Query parameters whose value is masked: names containing one of these words.
SECRET_PARAMETER = re.compile(r"token|secret|key|pass|pwd|sig|auth|credential", re.IGNORECASE)
URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")
AUTHORIZATION = re.compile(
    r"\b(Basic\s+)([A-Za-z0-9+/]{8,}={0,2})|\b(Bearer\s+)([A-Za-z0-9+/=._~-]{20,})"
)

# C0 but tab and newline, DEL, and C1 (which some terminals read as ESC + a letter).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_lock = threading.Lock()
_known: dict[str, tuple[str, ...]] = {}  # value -> its encoded forms


def remember(values: Iterable[str | None]) -> None:
    """Mask these values (credentials just read) from now on, in this process."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_LENGTH and value not in _known:
                _known[value] = _forms(value)


def _forms(value: str) -> tuple[str, ...]:
    raw = value.encode("utf-8")
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value)}
    forms |= {quote(value, safe="").lower(), quote_plus(value).lower()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).decode("ascii"))
        forms.add(encode(raw).decode("ascii").rstrip("="))
        # Inside a longer run, at each alignment: the characters that encode only the value
        # (not the bytes before or after it).
        for shift in (0, 1, 2):
            encoded = encode(b"\0" * shift + raw).decode("ascii")
            inner = encoded[4 if shift else 0 : 4 * ((shift + len(raw)) // 3)]
            if len(inner) >= 8:
                forms.add(inner)
    return tuple(sorted(forms, key=len, reverse=True))


def mask(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every secret masked in every form (see the module's docstring)."""
    if not text:
        return text
    remember(extra)
    return _Masker().mask(text)


class _Masker:
    """The secrets known now, in the forms `mask` looks for: made once per text, or once
    for every string of a payload (`mask_data`)."""

    def __init__(self) -> None:
        with _lock:
            known = dict(_known)
        self.forms = [
            form for value in sorted(known, key=len, reverse=True) for form in known[value]
        ]
        self.secrets = [value.encode("utf-8") for value in known]
        shortest = min((len(secret) for secret in self.secrets), default=0)
        # A run decodes to at most 3 bytes per 4 characters: shorter runs than this cannot
        # hold the shortest secret, and most words of a text are such runs (not visited).
        self.runs = _runs_of(max(8, -(-shortest * 4 // 3)))

    def mask(self, text: str) -> str:
        if not text:
            return text
        text = URL.sub(lambda m: mask_url(m.group(0)), text)
        text = AUTHORIZATION.sub(_mask_authorization, text)
        if not self.secrets:
            return text
        text = self.runs.sub(lambda m: _mask_run(m.group(0), self.secrets), text)
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASKED_VALUE)
        return text


def printable(text: str) -> str:
    """`text` masked, with no control characters but newline and tab: fit for a screen."""
    return CONTROL.sub("", mask(text))


def _mask_authorization(match: re.Match[str]) -> str:
    """`Basic user:password` in base64, or a long `Bearer` token: masked, known or not."""
    if match.group(3):
        return f"{match.group(3)}{MASK}"
    try:
        decoded = base64.b64decode(match.group(2) + "=" * (-len(match.group(2)) % 4))
    except (binascii.Error, ValueError):
        return match.group(0)
    return f"{match.group(1)}{MASK}" if b":" in decoded else match.group(0)


@functools.cache
def _runs_of(length: int) -> re.Pattern[str]:
    """Base64-looking runs (either alphabet, padded or not) of at least `length` characters."""
    return re.compile(rf"[A-Za-z0-9+/_-]{{{length},}}={{0,2}}")


def _mask_run(run: str, secrets: list[bytes]) -> str:
    """A base64-looking run: masked whole if it decodes to something holding a secret."""
    for decoded in _decodings(run):
        if any(secret in decoded for secret in secrets):
            return MASKED_VALUE
    return run


def _decodings(run: str) -> list[bytes]:
    found = []
    body = run.rstrip("=")
    for offset in range(4):
        part = body[offset:]
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                found.append(decode(padded))
            except (binascii.Error, ValueError):
                continue
    return found


def mask_data(value: Any) -> Any:
    """Every string in a JSON-like value masked (keys too)."""
    return _masked(value, _Masker())


def _masked(value: Any, masker: _Masker) -> Any:
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, dict):
        return {masker.mask(str(k)): _masked(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v, masker) for v in value]
    return value


def mask_url(url: str) -> str:
    """`url` with the user information and the values of secret-looking query parameters
    (token, secret, key, password, sig ...) replaced by ***; anything else as it was."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK  # not a URL we can read: show none of it
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        name = pair.partition("=")[0]
        pairs.append(f"{name}={MASK}" if SECRET_PARAMETER.search(name) else pair)
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(pairs), parts.fragment))
