"""A customer's contact as a provider recorded it: what channels return, what the log keeps.

Kept apart from `contacts` (which stores and reads them) so that importing the channel
contract does not import the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Contact:
    """A customer's contact that reached a channel's provider (a call, an email).

    `party` (caller number, sender address) is personal data: the evidence log keeps only a
    keyed digest of it in the hashed record, the value itself where it can be erased.
    """

    channel: str
    kind: Literal["call", "email", "sms", "message"]  # message: a caller's recorded voice
    at: str  # UTC RFC 3339 with milliseconds, from the provider's own record
    party: str
    provider_id: str
    detail: dict[str, Any] = field(default_factory=dict)
