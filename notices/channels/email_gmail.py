"""`email_gmail`: Google Workspace vacation responder through the Gmail API.

Per mailbox: `GET/PUT {api_base}/users/{mailbox}/settings/vacation` with a service account
that impersonates the mailbox (domain-wide delegation, scope gmail.settings.basic). The
whole vacation resource is the snapshot and is PUT back verbatim on restore.
"""

from __future__ import annotations

import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field

from notices.channels.base import (
    Artefacts,
    ChannelContext,
    ChannelOptions,
    Contact,
    Notice,
)
from notices.channels.cloudmail import (
    GoogleAuthRequest,
    check_response,
    email_html,
    schedule_end,
    transport_error,
    visible_text,
)
from notices.channels.mailboxes import MailboxesChannel, MailboxesOptions
from notices.channels.texts import email_body, email_subject
from notices.errors import PermanentChannelError, TransientChannelError
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    pass

PROVIDER = "Gmail"
SCOPE = "https://www.googleapis.com/auth/gmail.settings.basic"
ARTEFACT = "vacation.json"
FORBIDDEN_HINT = (
    "a Google Workspace administrator must allow the service account's client ID"
    f" domain-wide delegation for the scope {SCOPE}"
)
# Reading the messages received during an incident (contacts). gmail.metadata is not
# enough: it forbids the `q` search that picks the incident's window.
READ_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
READ_HINT = (
    "a Google Workspace administrator must add the scope"
    f" {READ_SCOPE} to the service account's domain-wide delegation (the auto-reply itself"
    " works without it)"
)
PAGE_SIZE = 100
MAX_PAGES = 200
READ_WORKERS = 8


class EmailGmailOptions(MailboxesOptions):
    service_account_key_env: str = Field(
        min_length=1,
        description="Environment variable that holds the path of the service account's JSON key.",
    )
    restrict_to_domain: bool = Field(
        default=False, description="Reply only to senders in the organisation's own domain."
    )
    restrict_to_contacts: bool = Field(
        default=False, description="Reply only to senders in the mailbox's contacts."
    )
    api_base: str = Field(
        default="https://gmail.googleapis.com/gmail/v1", description="Gmail API root."
    )
    token_uri: str | None = Field(
        default=None, description="Token endpoint; default: the one in the key file."
    )


def epoch_ms(stamp: str | datetime) -> int:
    if isinstance(stamp, str):
        stamp = from_stamp(stamp)
    return int(stamp.timestamp() * 1000)


def _ms(value: Any) -> int | None:
    # Google's JSON carries int64 as strings; accept numbers too.
    if value is None or value == "":
        return None
    return int(value)


def effective(setting: dict[str, Any]) -> dict[str, Any]:
    """What senders get: HTML as read, plain text with whitespace collapsed, times as ints."""
    return {
        "enableAutoReply": bool(setting.get("enableAutoReply", False)),
        "responseSubject": setting.get("responseSubject") or "",
        "plain": " ".join(str(setting.get("responseBodyPlainText") or "").split()),
        "html": visible_text(setting.get("responseBodyHtml")),
        "restrictToContacts": bool(setting.get("restrictToContacts", False)),
        "restrictToDomain": bool(setting.get("restrictToDomain", False)),
        "startTime": _ms(setting.get("startTime")),
        "endTime": _ms(setting.get("endTime")),
    }


def _summary(setting: dict[str, Any]) -> str:
    if not setting.get("enableAutoReply"):
        return "off"
    end = _ms(setting.get("endTime"))
    if end is None:
        return "on"
    return "on until " + datetime.fromtimestamp(end / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EmailGmail(MailboxesChannel):
    kind = "email_gmail"
    sdk = ("httpx", "google.oauth2.service_account", "google.auth.transport")
    sign_in_round_trips = 1  # each mailbox's token
    Options = EmailGmailOptions
    artefact = ARTEFACT
    provider = PROVIDER
    forbidden_hint = FORBIDDEN_HINT
    opts: EmailGmailOptions  # endTime = the expected return: the provider-side safety net

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, EmailGmailOptions)
        self._base: Any = None
        self._credentials: dict[str, Any] = {}

    # -- building ---------------------------------------------------------------------

    def build(self, notice: Notice) -> Artefacts:
        target: dict[str, Any] = {
            "enableAutoReply": True,
            "responseSubject": email_subject(notice),
            "responseBodyPlainText": email_body(notice),
            "responseBodyHtml": email_html(notice),
            "restrictToContacts": self.opts.restrict_to_contacts,
            "restrictToDomain": self.opts.restrict_to_domain,
            "startTime": str(epoch_ms(notice.started)),
        }
        end = schedule_end(notice.expected_return)
        if end is not None:
            # A safety net: Gmail stops the emergency reply itself at the expected return.
            target["endTime"] = str(epoch_ms(end))
            if int(target["startTime"]) >= int(target["endTime"]):
                del target["startTime"]
        return self._artefacts(target)

    def _summary(self, setting: dict[str, Any]) -> str:
        return _summary(setting)

    def _effective(self, setting: dict[str, Any], now: datetime) -> dict[str, Any]:
        return effective(setting)

    # -- talking to Gmail -------------------------------------------------------------

    def _base_credentials(self) -> Any:
        from google.oauth2 import service_account

        if self._base is not None:
            return self._base
        variable = self.opts.service_account_key_env
        path = os.environ.get(variable)
        if not path:
            raise PermanentChannelError(
                f"the environment variable {variable}, which should hold the path of the Google"
                " service account's key file, is not set"
            )
        try:
            with open(path, encoding="utf-8") as handle:
                info = json.load(handle)
            if self.opts.token_uri:
                info["token_uri"] = self.opts.token_uri
            load = service_account.Credentials.from_service_account_info
            self._base = load(info, scopes=[SCOPE])  # type: ignore[no-untyped-call]
        except (OSError, ValueError, KeyError) as exc:
            raise PermanentChannelError(
                f"the Google service account key file named by ${variable} cannot be used:"
                f" {type(exc).__name__} {str(exc)[:160]}"
            ) from None
        return self._base

    def _token(self, mailbox: str, scope: str = SCOPE) -> str:
        from google.auth import exceptions

        with self._lock:
            credentials = self._credentials.get(f"{scope} {mailbox}")
            if credentials is None:
                base = self._base_credentials()
                if scope != SCOPE:
                    base = base.with_scopes([scope])
                credentials = base.with_subject(mailbox)
                self._credentials[f"{scope} {mailbox}"] = credentials
        if not credentials.valid:
            try:
                credentials.refresh(GoogleAuthRequest(self._client(mailbox)))
            except exceptions.TransportError as exc:
                raise transport_error("Google sign-in", mailbox, exc, self.opts.timeout_s) from exc
            except exceptions.RefreshError as exc:
                hint = FORBIDDEN_HINT if scope == SCOPE else READ_HINT
                raise self._refresh_error(mailbox, exc, hint) from None
        return str(credentials.token)

    def _sign_in(self, mailbox: str) -> None:
        # google-auth renews a token that expires within minutes (its refresh threshold).
        self._token(mailbox)

    def _refresh_error(self, mailbox: str, exc: Exception, hint: str = FORBIDDEN_HINT) -> Exception:
        data = exc.args[1] if len(exc.args) > 1 else None
        error = data.get("error") if isinstance(data, dict) else None
        description = data.get("error_description", "") if isinstance(data, dict) else str(exc)
        if error == "unauthorized_client":
            return PermanentChannelError(
                f"Google does not let the service account act for {mailbox}"
                f" ({error}: {description}): {hint}"
            )
        if error == "invalid_grant":
            return PermanentChannelError(
                f"Google refused the service account's sign-in for {mailbox} ({error}:"
                f" {description}): check that the mailbox exists and the key is not revoked"
            )
        if getattr(exc, "retryable", False):
            return TransientChannelError(f"Google sign-in had a temporary problem: {exc}")
        return PermanentChannelError(f"Google sign-in failed for {mailbox}: {str(exc)[:200]}")

    def _request(
        self, method: str, mailbox: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        url = f"{self.opts.api_base.rstrip('/')}/users/{quote(mailbox, safe='@')}/settings/vacation"
        return self._json(method, url, mailbox, self._token(mailbox), body)

    def _read(self, mailbox: str) -> dict[str, Any]:
        return self._request("GET", mailbox)

    def _switch(
        self, mailbox: str, target: dict[str, Any], current: dict[str, Any]
    ) -> dict[str, Any]:
        if effective(current) == effective(target):
            return {"changed": False, "setting": current}
        return {"changed": True, "setting": self._request("PUT", mailbox, target)}

    # -- contacts ---------------------------------------------------------------------

    def _get(self, mailbox: str, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        import httpx

        token = self._token(mailbox, READ_SCOPE)
        url = f"{self.opts.api_base.rstrip('/')}/users/{quote(mailbox, safe='@')}/{path}"
        try:
            response = self._client(mailbox).get(
                url,
                params=tuple(params),
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise transport_error(PROVIDER, mailbox, exc, self.opts.timeout_s) from exc
        check_response(
            response,
            provider=PROVIDER,
            mailbox=mailbox,
            forbidden_hint=READ_HINT,
            action="read the messages received by",
        )
        answer = response.json()
        if not isinstance(answer, dict):
            raise TransientChannelError(f"{PROVIDER} answered {mailbox} with no message data")
        return answer

    def _received(self, mailbox: str, start: datetime, end: datetime) -> list[Contact]:
        # Gmail's after:/before: take whole epoch seconds: ask a little wider, trim exactly.
        query = f"after:{math.floor(start.timestamp()) - 1} before:{math.ceil(end.timestamp()) + 1}"
        ids: list[str] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params = [("q", query), ("maxResults", str(PAGE_SIZE))]
            if token:
                params.append(("pageToken", token))
            page = self._get(mailbox, "messages", params)
            ids.extend(str(m["id"]) for m in page.get("messages") or [] if m.get("id"))
            token = page.get("nextPageToken")
            if not token:
                break

        def fetch(ident: str) -> dict[str, Any]:
            return self._get(
                mailbox,
                f"messages/{quote(ident, safe='')}",
                [("format", "metadata")]
                + [("metadataHeaders", h) for h in ("From", "Subject", "Message-ID")],
            )

        # One request per message (the list holds ids only): a few at a time.
        with ThreadPoolExecutor(max_workers=max(1, min(READ_WORKERS, len(ids)))) as pool:
            messages = list(pool.map(fetch, ids))
        found = (self._contact(mailbox, message, start, end) for message in messages)
        return [contact for contact in found if contact is not None]

    def _contact(
        self, mailbox: str, message: dict[str, Any], start: datetime, end: datetime
    ) -> Contact | None:
        labels = set(message.get("labelIds") or [])
        if labels & {"SENT", "DRAFT", "SPAM", "TRASH"}:  # not a customer's message to us
            return None
        try:
            received = datetime.fromtimestamp(int(message["internalDate"]) / 1000, UTC)
        except (KeyError, TypeError, ValueError):
            return None
        if not start <= received < end:
            return None
        headers = {
            str(h.get("name", "")).lower(): str(h.get("value", ""))
            for h in (message.get("payload") or {}).get("headers") or []
        }
        return Contact(
            channel=self.name,
            kind="email",
            at=utc_stamp(received),
            party=parseaddr(headers.get("from", ""))[1],
            provider_id=f"{mailbox}/{message.get('id')}",
            detail={
                "mailbox": mailbox,
                "internet_message_id": headers.get("message-id", ""),
                "subject": headers.get("subject", ""),
            },
        )

    def probe(self) -> str:
        current = self.snapshot()  # a token per mailbox, then a read per mailbox
        return f"token OK; can read {len(self.opts.mailboxes)} mailbox(es): {current.summary}"
