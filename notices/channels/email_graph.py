"""`email_graph`: Microsoft 365 / Exchange Online automatic replies through Microsoft Graph.

Per mailbox: `GET/PATCH {graph_base}/users/{mailbox}/mailboxSettings[/automaticRepliesSetting]`
with an app-only token (msal client credentials). The whole `automaticRepliesSetting` is the
snapshot and is PATCHed back on restore.

Exchange answers each sender only once until automatic replies are switched off and on
again, so a change of text while replies are on goes through `status: disabled` first:
senders who already had the normal out-of-office reply then get the emergency one.
"""

from __future__ import annotations

import base64
import json
import os
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import Field

from notices.channels.base import (
    Artefacts,
    ChannelContext,
    ChannelOptions,
    Contact,
    Notice,
)
from notices.channels.cloudmail import (
    MsalHttpClient,
    check_response,
    email_html,
    schedule_end,
    transport_error,
    visible_text,
)
from notices.channels.mailboxes import MailboxesChannel, MailboxesOptions
from notices.errors import PermanentChannelError, TransientChannelError
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    pass

PROVIDER = "Microsoft 365"
# The tenant's OpenID metadata, kept in the data folder for a day (cloudmail.MsalHttpClient).
METADATA_FILE = "microsoft-openid-configuration.json"
ARTEFACT = "automaticRepliesSetting.json"
REQUIRED_ROLE = "MailboxSettings.ReadWrite"
FORBIDDEN_HINT = (
    "an administrator must grant the app the Microsoft Graph application permission"
    f" {REQUIRED_ROLE} with admin consent"
)
# Reading the messages received during an incident (contacts) needs more than switching.
READ_ROLE = "Mail.Read"
READ_HINT = (
    "an administrator must grant the app the Microsoft Graph application permission"
    f" {READ_ROLE} with admin consent (the auto-reply itself works without it)"
)
MESSAGE_FIELDS = "from,receivedDateTime,subject,internetMessageId"
PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 messages per mailbox: far more than an incident brings


class EmailGraphOptions(MailboxesOptions):
    tenant_id: str = Field(min_length=1, description="Directory (tenant) ID of the organisation.")
    client_id: str = Field(min_length=1, description="Application (client) ID of the app.")
    client_secret_env: str = Field(
        min_length=1, description="Environment variable that holds the app's client secret."
    )
    external_audience: Literal["all", "contactsOnly", "none"] = Field(
        default="all", description="Who outside the organisation gets the reply."
    )
    authority_host: str = Field(
        default="https://login.microsoftonline.com", description="Microsoft sign-in host."
    )
    graph_base: str = Field(
        default="https://graph.microsoft.com/v1.0", description="Microsoft Graph API root."
    )
    scope: str = Field(
        default="https://graph.microsoft.com/.default", description="Token scope for Graph."
    )


def graph_time(moment: datetime) -> dict[str, str]:
    utc = moment.astimezone(UTC)
    return {"dateTime": utc.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _odata_time(moment: datetime) -> str:
    """A DateTimeOffset literal for $filter, UTC, to the millisecond."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _instant(value: Any) -> str | None:
    """A dateTimeTimeZone as a comparable key: UTC instants to the second, others verbatim."""
    if not isinstance(value, dict):
        return None
    text = str(value.get("dateTime", ""))
    zone = str(value.get("timeZone", ""))
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)", text)
    if match and zone.upper() in ("UTC", "ETC/UTC", "Z"):
        return match.group(1) + "Z"
    return f"{text} {zone}"


def _ended(setting: dict[str, Any], now: datetime) -> bool:
    key = _instant(setting.get("scheduledEndDateTime"))
    if key is None or not key.endswith("Z"):
        return False
    return from_stamp(key) <= now


def effective(setting: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """What a setting means for senders: a schedule that has ended is the same as off."""
    moment = now or datetime.now(UTC)
    status = str(setting.get("status", "")).lower()
    if status == "scheduled" and _ended(setting, moment):
        status = "disabled"
    key: dict[str, Any] = {
        "status": status,
        "externalAudience": str(setting.get("externalAudience", "")).lower(),
        "internal": visible_text(setting.get("internalReplyMessage")),
        "external": visible_text(setting.get("externalReplyMessage")),
    }
    if status == "scheduled":
        key["start"] = _instant(setting.get("scheduledStartDateTime"))
        key["end"] = _instant(setting.get("scheduledEndDateTime"))
    return key


def _summary(setting: dict[str, Any]) -> str:
    status = str(setting.get("status", "?"))
    if status.lower() == "scheduled":
        end = _instant(setting.get("scheduledEndDateTime")) or "?"
        return f"scheduled until {end}"
    return status


def _token_roles(token: str) -> list[str] | None:
    """The application permissions in a Graph token, when it is a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError):
        return None
    roles = claims.get("roles") if isinstance(claims, dict) else None
    return [str(r) for r in roles] if isinstance(roles, list) else None


class EmailGraph(MailboxesChannel):
    kind = "email_graph"
    sdk = ("httpx", "msal")
    sign_in_round_trips = 2  # the tenant's OpenID metadata, then the token
    Options = EmailGraphOptions
    artefact = ARTEFACT
    provider = PROVIDER
    forbidden_hint = FORBIDDEN_HINT
    opts: EmailGraphOptions  # scheduledEndDateTime = the expected return: the safety net

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, EmailGraphOptions)
        self._app: Any = None

    described = ("client_id",)

    def identity(self) -> str:
        return f"{self.opts.tenant_id}: {', '.join(self.opts.mailboxes)}"

    # -- building ---------------------------------------------------------------------

    def build(self, notice: Notice) -> Artefacts:
        message = email_html(notice)
        target: dict[str, Any] = {
            "status": "alwaysEnabled",
            "externalAudience": self.opts.external_audience,
            "internalReplyMessage": message,
            "externalReplyMessage": message,
        }
        end = schedule_end(notice.expected_return)
        if end is not None:
            # A safety net: Exchange stops the emergency reply itself at the expected return.
            started = from_stamp(notice.started)
            target["status"] = "scheduled"
            target["scheduledStartDateTime"] = graph_time(min(started, end))
            target["scheduledEndDateTime"] = graph_time(end)
        return self._artefacts(target)

    def _summary(self, setting: dict[str, Any]) -> str:
        return _summary(setting)

    def _effective(self, setting: dict[str, Any], now: datetime) -> dict[str, Any]:
        return effective(setting, now)

    def _restorable(self, saved: dict[str, Any], now: datetime) -> dict[str, Any]:
        body = {k: v for k, v in saved.items() if not k.startswith("@odata.")}
        if str(body.get("status", "")).lower() == "scheduled" and _ended(body, now):
            # Exchange refuses a schedule that has ended; it means the same as off.
            body["status"] = "disabled"
        return body

    def _confirmation(self, result: dict[str, Any]) -> dict[str, Any]:
        return {"changed": result["changed"], "off_and_on": result["reset"]}

    # -- talking to Graph -------------------------------------------------------------

    def _token(self) -> str:
        import httpx
        import msal

        with self._lock:
            try:
                if self._app is None:
                    secret = os.environ.get(self.opts.client_secret_env)
                    if not secret:
                        raise PermanentChannelError(
                            f"the environment variable {self.opts.client_secret_env}, which"
                            " should hold the Microsoft 365 app's client secret, is not set"
                        )
                    try:
                        self._app = msal.ConfidentialClientApplication(
                            self.opts.client_id,
                            client_credential=secret,
                            authority=f"{self.opts.authority_host.rstrip('/')}/"
                            f"{self.opts.tenant_id}",
                            http_client=MsalHttpClient(
                                self._client(), self.context.home / "cache" / METADATA_FILE
                            ),
                            instance_discovery=False,
                        )
                    except ValueError as exc:
                        raise PermanentChannelError(
                            f"Microsoft sign-in does not know the tenant {self.opts.tenant_id}:"
                            f" check tenant_id ({str(exc)[:160]})"
                        ) from None
                result = self._app.acquire_token_for_client(scopes=[self.opts.scope])
            except httpx.HTTPError as exc:
                raise transport_error(
                    "Microsoft sign-in", "the token", exc, self.opts.timeout_s
                ) from exc
            except msal.exceptions.MsalServiceError as exc:  # 5xx from the token endpoint
                raise TransientChannelError(
                    f"Microsoft sign-in had a temporary problem ({exc})"
                ) from None
        if "access_token" in result:
            return str(result["access_token"])
        error = str(result.get("error", "unknown_error"))
        description = str(result.get("error_description", "")).split("\n")[0][:200]
        if error in ("temporarily_unavailable", "server_error"):
            raise TransientChannelError(f"Microsoft sign-in is temporarily unavailable ({error})")
        raise PermanentChannelError(
            f"Microsoft sign-in refused the app {self.opts.client_id} ({error}: {description}):"
            f" check client_id and the secret in ${self.opts.client_secret_env}"
        )

    def _sign_in(self, mailbox: str) -> None:
        # One app token for every mailbox; msal renews it 5 minutes before it expires.
        self._token()

    def _request(
        self, method: str, mailbox: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        url = f"{self.opts.graph_base.rstrip('/')}/users/{quote(mailbox, safe='@')}/{path}"
        return self._json(method, url, mailbox, self._token(), body)

    def _read(self, mailbox: str) -> dict[str, Any]:
        answer = self._request("GET", mailbox, "mailboxSettings/automaticRepliesSetting")
        return {k: v for k, v in answer.items() if not k.startswith("@odata.")}

    def _patch(self, mailbox: str, setting: dict[str, Any]) -> dict[str, Any]:
        answer = self._request(
            "PATCH", mailbox, "mailboxSettings", {"automaticRepliesSetting": setting}
        )
        stored = answer.get("automaticRepliesSetting")
        return dict(stored) if isinstance(stored, dict) else setting

    def _switch(
        self, mailbox: str, target: dict[str, Any], current: dict[str, Any]
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        before, after = effective(current, now), effective(target, now)
        if before == after:
            return {"changed": False, "reset": False, "setting": current}
        # Off, then on: Exchange forgets whom it has answered, so everyone gets the new text.
        reset = before["status"] != "disabled" and after["status"] != "disabled"
        if reset:
            self._patch(mailbox, {"status": "disabled"})
        stored = self._patch(mailbox, target)
        return {"changed": True, "reset": reset, "setting": stored}

    # -- contacts ---------------------------------------------------------------------

    def _received(self, mailbox: str, start: datetime, end: datetime) -> list[Contact]:
        import httpx

        base = self.opts.graph_base.rstrip("/")
        url: str | None = f"{base}/users/{quote(mailbox, safe='@')}/mailFolders/inbox/messages"
        params: dict[str, str] | None = {
            "$filter": f"receivedDateTime ge {_odata_time(start)}"
            f" and receivedDateTime lt {_odata_time(end)}",
            "$select": MESSAGE_FIELDS,
            "$top": str(PAGE_SIZE),
        }
        origin = urlsplit(base)[:2]
        contacts: list[Contact] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            if urlsplit(url)[:2] != origin:  # our token goes only where graph_base is
                raise PermanentChannelError(
                    f"{PROVIDER} sent the next page of {mailbox}'s messages to another host"
                    f" ({urlsplit(url).netloc}): not followed"
                )
            token = self._token()
            try:
                response = self._client(mailbox).get(
                    url,
                    params=params,
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
            page = response.json()
            if not isinstance(page, dict) or not isinstance(page.get("value"), list):
                raise TransientChannelError(f"{PROVIDER} answered {mailbox} with no message list")
            for message in page["value"]:
                contact = self._contact(mailbox, message, start, end)
                if contact is not None:
                    contacts.append(contact)
            link = page.get("@odata.nextLink")
            url, params = (str(link), None) if link else (None, None)
        return contacts

    def _contact(
        self, mailbox: str, message: Any, start: datetime, end: datetime
    ) -> Contact | None:
        if not isinstance(message, dict):
            return None
        try:
            received = from_stamp(str(message.get("receivedDateTime")))
        except ValueError:
            return None
        if not start <= received < end:
            return None
        sender = (message.get("from") or {}).get("emailAddress") or {}
        ident = str(message.get("internetMessageId") or message.get("id") or "")
        return Contact(
            channel=self.name,
            kind="email",
            at=utc_stamp(received),
            party=str(sender.get("address") or ""),
            provider_id=f"{mailbox}/{ident}",
            detail={
                "mailbox": mailbox,
                "internet_message_id": str(message.get("internetMessageId") or ""),
                "subject": str(message.get("subject") or ""),
            },
        )

    def probe(self) -> str:
        token = self._token()
        roles = _token_roles(token)
        if roles is not None and REQUIRED_ROLE not in roles:
            raise PermanentChannelError(
                f"the app {self.opts.client_id} signs in but lacks {REQUIRED_ROLE}"
                f" (it has: {', '.join(roles) or 'none'}): {FORBIDDEN_HINT}"
            )
        current = self.snapshot()
        line = f"token OK; can read {len(self.opts.mailboxes)} mailbox(es): {current.summary}"
        if roles is not None and not {READ_ROLE, "Mail.ReadWrite"} & set(roles):
            line += f"; contacts cannot be collected without {READ_ROLE}"
        return line
