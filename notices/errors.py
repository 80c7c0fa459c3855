"""The one exception hierarchy of notices.

NoticesError                  anything notices reports to a person
├── UsageError                bad input: exit code 2, nothing touched
│   ├── ConfigError           notices.toml does not validate
│   ├── TimeError             --until / --for / --at make no sense
│   └── RenderError           a template failed to render
├── StateError                the requested transition is not possible now
├── StorageError              the data folder or the log cannot be written (nothing switched)
├── LogIntegrityError         the evidence log failed verification
└── ChannelError              a provider refused or failed
    ├── TransientChannelError retried with backoff (timeouts, 429, 5xx)
    └── PermanentChannelError not retried (401, 403, 404, invalid request)
"""

from __future__ import annotations


class NoticesError(Exception):
    """Base of every error notices reports to a person."""

    exit_code = 1


class UsageError(NoticesError):
    exit_code = 2


class ConfigError(UsageError):
    pass


class TimeError(UsageError):
    pass


class RenderError(UsageError):
    pass


class StateError(NoticesError):
    """Not possible now (another command holds the lock, nothing to extend): nothing touched."""

    exit_code = 2


class StorageError(NoticesError):
    """The data folder or the evidence log cannot be written: a full disk, a read-only
    folder. Checked before any provider is touched; if the disk fills during a switch, the
    error names what was switched."""


class LogIntegrityError(NoticesError):
    pass


class KeyFileError(NoticesError):
    """A key in the data folder's `keys/` is empty or malformed: refused before any switch."""


class ChannelError(NoticesError):
    """A provider failed. `transient` says whether trying again may help."""

    transient = False


class TransientChannelError(ChannelError):
    """Worth retrying. `retry_after` carries a provider's Retry-After, in seconds, if any."""

    transient = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentChannelError(ChannelError):
    transient = False
