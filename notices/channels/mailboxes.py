"""The channel contract for providers that hold one auto-reply setting per mailbox
(`email_graph`, `email_gmail`): snapshot, switch, restore and read back every mailbox at
once, bounded, through the provider's own `_read` and `_switch`."""

from __future__ import annotations

import json
import threading
from abc import abstractmethod
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from notices.channels.base import (
    Artefacts,
    Channel,
    ChannelContext,
    ChannelOptions,
    Contact,
    Receipt,
    Setting,
)
from notices.channels.cloudmail import check_response, new_client, transport_error
from notices.channels.fanout import for_each
from notices.errors import TransientChannelError
from notices.timeparse import from_stamp

if TYPE_CHECKING:
    import httpx


# Mailboxes share a keep-alive pool in groups of this many. httpcore matches every waiting
# request with every connection of its pool on each request and each answer: one pool of 50
# took 17% of `serve`'s CPU switching 50 mailboxes per provider (py-spy), groups of 10 a
# fifth of that. Every mailbox of a group is still switched at once.
POOL_SIZE = 10


class MailboxesOptions(ChannelOptions):
    mailboxes: list[str] = Field(min_length=1, description="Mailboxes (addresses) to switch.")
    # Both providers limit per mailbox (Graph: 4 requests in flight and 10,000 per 10 minutes
    # per app and mailbox; Gmail: 250 quota units a second per user, a vacation read 1 and
    # an update 5), and each mailbox here sees one request at a time: so the mailboxes go
    # out together, up to this many (docs/email-cloud.md#many-mailboxes).
    concurrency: int = Field(
        default=50, ge=1, le=100, description="Mailboxes switched at once (requests in flight)."
    )
    timeout_s: float = Field(
        default=20.0, gt=0, le=120, description="Seconds for each request's whole answer."
    )


class MailboxesChannel(Channel):
    medium = "email"
    self_expiring = True  # each provider's reply ends by itself at the expected return
    opts: MailboxesOptions
    artefact: ClassVar[str]  # the name the setting is published and logged under
    provider: ClassVar[str]  # the provider's name in messages
    forbidden_hint: ClassVar[str]  # what an administrator must grant, said on 401/403

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, MailboxesOptions)
        self.opts = options
        self._lock = threading.Lock()
        self._client_lock = threading.Lock()
        # A client per group of POOL_SIZE mailboxes (see _client).
        self._http: dict[int, httpx.Client] = {}
        self._group = {m: i // POOL_SIZE for i, m in enumerate(self.opts.mailboxes)}

    # -- what each provider supplies --------------------------------------------------------

    @abstractmethod
    def _read(self, mailbox: str) -> dict[str, Any]:
        """The mailbox's auto-reply setting as the provider serves it."""

    @abstractmethod
    def _switch(
        self, mailbox: str, target: dict[str, Any], current: dict[str, Any]
    ) -> dict[str, Any]:
        """Make the mailbox serve `target` (it serves `current`, read just now); returns at
        least {"changed": bool}."""

    @abstractmethod
    def _summary(self, setting: dict[str, Any]) -> str:
        """One mailbox's setting in a few words."""

    @abstractmethod
    def _effective(self, setting: dict[str, Any], now: datetime) -> dict[str, Any]:
        """What of a setting matters to a sender, for comparing a read-back."""

    @abstractmethod
    def _received(self, mailbox: str, start: datetime, end: datetime) -> list[Contact]:
        """The messages the mailbox received in [start, end)."""

    def _restorable(self, saved: dict[str, Any], now: datetime) -> dict[str, Any]:
        """A saved setting as it can be written back now."""
        return saved

    def _confirmation(self, result: dict[str, Any]) -> dict[str, Any]:
        return {"changed": result["changed"]}

    def _sign_in(self, mailbox: str) -> None:
        """Have a valid token for `mailbox` (the provider caches it; renewed before expiry)."""

    def warm(self) -> None:
        """A token for every mailbox, fetched or renewed before it expires (`serve`)."""
        for_each(self.opts.mailboxes, self._sign_in, self.opts.concurrency)

    # -- the contract ------------------------------------------------------------------------

    def identity(self) -> str:
        return ", ".join(self.opts.mailboxes)

    def _artefacts(self, target: dict[str, Any]) -> Artefacts:
        """The setting every mailbox gets, published and logged as one JSON file."""
        return Artefacts(
            files={self.artefact: json.dumps(target, ensure_ascii=False, indent=2) + "\n"},
            content_types={self.artefact: "application/json"},
            expected=self._setting({mailbox: target for mailbox in self.opts.mailboxes}),
        )

    def _setting(self, mailboxes: dict[str, dict[str, Any]]) -> Setting:
        summary = "; ".join(f"{m}: {self._summary(s)}" for m, s in mailboxes.items())
        return Setting(data={"mailboxes": mailboxes}, summary=summary)

    def differences(self, expected: Setting, actual: Setting) -> list[str]:
        want: dict[str, Any] = expected.data.get("mailboxes", {})
        have: dict[str, Any] = actual.data.get("mailboxes", {})
        now = datetime.now(UTC)
        lines = []
        for mailbox, setting in want.items():
            if mailbox not in have:
                lines.append(f"{mailbox}: not read")
            elif self._effective(setting, now) != self._effective(have[mailbox], now):
                got, wanted = self._summary(have[mailbox]), self._summary(setting)
                lines.append(f"{mailbox}: {got}, not {wanted}")
        return lines

    def snapshot(self, served: bool = False) -> Setting:
        return self._setting(for_each(self.opts.mailboxes, self._read, self.opts.concurrency))

    def apply(self, artefacts: Artefacts, current: Setting | None = None) -> Receipt:
        target = json.loads(artefacts.files[self.artefact])
        results = for_each(
            self.opts.mailboxes,
            lambda m: self._put(m, target, current),
            self.opts.concurrency,
        )
        return self._receipt(results)

    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        saved: dict[str, dict[str, Any]] = setting.data.get("mailboxes", {})
        now = datetime.now(UTC)
        results = for_each(
            [m for m in self.opts.mailboxes if m in saved],
            lambda m: self._put(m, self._restorable(saved[m], now), current),
            self.opts.concurrency,
        )
        return self._receipt(results)

    def _put(self, mailbox: str, target: dict[str, Any], current: Setting | None) -> dict[str, Any]:
        # Read just before by the orchestrator (its read-back checks the result): not again.
        known = (current.data.get("mailboxes") or {}).get(mailbox) if current else None
        now = dict(known) if known is not None else self._read(mailbox)
        return self._switch(mailbox, target, now)

    def _receipt(self, results: dict[str, dict[str, Any]]) -> Receipt:
        return Receipt(
            changed=any(r["changed"] for r in results.values()),
            confirmation={"mailboxes": {m: self._confirmation(r) for m, r in results.items()}},
        )

    def contacts(self, since: str, until: str) -> list[Contact]:
        start, end = from_stamp(since), from_stamp(until)
        results = for_each(
            self.opts.mailboxes, lambda m: self._received(m, start, end), self.opts.concurrency
        )
        found = [c for contacts in results.values() for c in contacts]
        return sorted(found, key=lambda c: (c.at, c.provider_id))

    def _json(
        self, method: str, url: str, mailbox: str, token: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One authorised JSON request, its failures mapped to channel errors."""
        import httpx

        try:
            response = self._client(mailbox).request(
                method,
                url,
                json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise transport_error(self.provider, mailbox, exc, self.opts.timeout_s) from exc
        check_response(
            response, provider=self.provider, mailbox=mailbox, forbidden_hint=self.forbidden_hint
        )
        answer = response.json()
        if not isinstance(answer, dict):
            raise TransientChannelError(f"{self.provider} answered {mailbox} with no settings")
        return answer

    def _client(self, mailbox: str | None = None) -> httpx.Client:
        """The keep-alive client for `mailbox`'s group (None: the first group's)."""
        group = self._group.get(mailbox, 0) if mailbox else 0
        size = min(POOL_SIZE, self.opts.concurrency)
        with self._client_lock:  # mailboxes run in threads
            client = self._http.get(group)
            if client is None or client.is_closed:
                client = self._http[group] = self.own(new_client(self.opts.timeout_s, size))
            return client
