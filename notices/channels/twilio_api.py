"""Talking to Twilio for `twilio_voice`: the REST client (credentials from the environment,
its errors in plain words, a 429's Retry-After kept), and Twilio's own record of a change
(Monitor Events) that corroborates each switched number in the evidence.

The Twilio SDK is imported when a channel first talks to Twilio, never at start-up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from notices.channels.fanout import for_each
from notices.errors import ChannelError, PermanentChannelError, TransientChannelError
from notices.faults import crash_point
from notices.net.http import http_error, status_error
from notices.timeparse import from_stamp, utc_stamp

if TYPE_CHECKING:
    from twilio.rest import Client

    from notices.channels.twilio_options import TwilioVoiceOptions

T = TypeVar("T")

TWILIO_THROTTLED = "Twilio is limiting our requests (HTTP 429)"
# How far before our own switch Twilio's record of it may be stamped (clock difference).
MONITOR_SKEW_S = 10


class TwilioApi:
    """One Twilio REST client per channel, made at its first request."""

    def __init__(self, options: TwilioVoiceOptions, name: str) -> None:
        self.opts = options
        self.name = name
        self._client: Client | None = None
        self._lock = threading.Lock()

    def client(self) -> Client:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Client:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        from notices.net.network import deadline_hook, mark_start

        def need(env: str) -> str:
            value = os.environ.get(env)
            if not value:
                raise PermanentChannelError(
                    f"the environment variable {env} is not set: Twilio credentials come from"
                    " the environment, never from notices.toml"
                )
            return value

        account = need(self.opts.account_sid_env)
        if self.opts.api_key_sid_env and self.opts.api_key_secret_env:
            username = need(self.opts.api_key_sid_env)
            password = need(self.opts.api_key_secret_env)
        else:
            username, password = account, need(self.opts.auth_token_env)
        crash_point("after-credentials", self.name)

        class RetryAfterClient(TwilioHttpClient):  # type: ignore[misc]
            """Keeps what the SDK drops: a 429's Retry-After."""

            def request(self, *args: Any, **kwargs: Any) -> Any:
                mark_start()
                response = super().request(*args, **kwargs)
                if response.status_code == 429:
                    raise http_error(429, response.headers, TWILIO_THROTTLED)
                return response

        http = RetryAfterClient(
            timeout=self.opts.timeout_s,
            pool_connections=True,
            request_hooks={"response": [deadline_hook(self.opts.timeout_s)]},
        )
        keep_alive(http.session, self.opts.workers)
        client = Client(username, password, account, http_client=http)
        if self.opts.api_base:
            client.api.base_url = self.opts.api_base.rstrip("/")
        monitor = self.opts.monitor_base
        if monitor is None and self.opts.api_base:
            parts = urlsplit(self.opts.api_base)
            host = parts.netloc
            if host.startswith("api."):
                host = "monitor." + host[4:]
            monitor = f"{parts.scheme}://{host}"
        if monitor:
            client.monitor.base_url = monitor.rstrip("/")
        return client

    def call(self, entry: str, call: Callable[[Client], T]) -> T:
        """One Twilio request, its errors turned into ones a stressed person understands."""
        import requests
        from twilio.base.exceptions import TwilioRestException

        from notices.net.network import plain

        try:
            return call(self.client())
        except ChannelError as exc:
            raise _naming(entry, exc) from None
        except TwilioRestException as exc:
            raise _rest_error(entry, exc) from None
        except requests.RequestException as exc:
            host = urlsplit(self.opts.api_base or "https://api.twilio.com").hostname
            raise TransientChannelError(
                f"cannot reach Twilio for {entry}: {plain(exc, host, self.opts.timeout_s)}"
            ) from None


def keep_alive(session: Any, connections: int) -> None:
    """One keep-alive pool per Twilio client, as large as the numbers switched at once: the
    SDK's own keeps min(32, CPUs + 4) connections (6 on 2 cores), so with 50 numbers at once
    44 connections were opened, used once and dropped, each a new TCP and TLS handshake."""
    from requests.adapters import HTTPAdapter

    for scheme in ("https://", "http://"):
        session.mount(scheme, HTTPAdapter(pool_connections=1, pool_maxsize=connections))


def _naming(entry: str, exc: ChannelError) -> ChannelError:
    """The error with the number it concerns in its first words (a 429 said no number)."""
    message = str(exc)
    if entry in message:
        return exc
    if isinstance(exc, TransientChannelError):
        return TransientChannelError(f"{entry}: {message}", exc.retry_after)
    return type(exc)(f"{entry}: {message}")


def corroborate(
    api: TwilioApi, updates: dict[str, dict[str, Any]], began: datetime, workers: int
) -> None:
    """Add to each changed number Twilio's own record of the change (a Monitor Event:
    who, when, which properties), or why it is missing. Never raises: the switch is
    done, and a record Twilio has not written yet must not undo it."""
    sent = {entry: u.pop("_sent", {}) for entry, u in updates.items()}
    changed = [entry for entry, u in updates.items() if u.get("changed")]
    if not changed:
        return

    def fetch(entry: str) -> None:
        update = updates[entry]
        try:
            update["twilio_event"] = _monitor_event(
                api, entry, update["sid"], began, from_stamp(update["at"]), sent[entry]
            )
            if update["twilio_event"] is None:
                update["twilio_event_missing"] = (
                    "Twilio had not recorded the change yet (Monitor Events)"
                )
        except Exception as exc:  # noqa: BLE001 - corroboration is never fatal
            update["twilio_event"] = None
            update["twilio_event_missing"] = str(exc)[:300] or type(exc).__name__

    for_each(changed, fetch, workers)


def _monitor_event(
    api: TwilioApi, entry: str, sid: str, began: datetime, done: datetime, sent: dict[str, str]
) -> dict[str, Any] | None:
    # Clocks differ: look a little before our own start, keep only number updates.
    since = began - timedelta(seconds=MONITOR_SKEW_S)
    events = api.call(
        entry,
        lambda c: c.monitor.v1.events.list(
            resource_sid=sid, start_date=since, page_size=20, limit=20
        ),
    )
    found = [
        (moment, e)
        for e in events
        if e.event_type == "phone-number.updated"
        and (moment := _event_date(e.event_date)) is not None
        and moment >= since
    ]
    # Events carry whole seconds, and an earlier switch may be in range: the event whose
    # changed properties hold the values we sent is ours. Only when Twilio's record names
    # none of our fields (a format we do not know) is the nearest in time taken.
    named = [(m, e) for m, e in found if set(sent) & set(_changed_properties(e))]
    matching = [(m, e) for m, e in named if _holds_sent(e, sent)]
    pool, matched = (matching, "properties") if named else (found, "time")
    if not pool:
        return None
    moment, event = min(pool, key=lambda f: abs((f[0] - done).total_seconds()))
    properties = _changed_properties(event)
    return {
        "matched": matched,
        "sid": event.sid,
        "event_type": event.event_type,
        "event_date": utc_stamp(moment),
        "actor_sid": event.actor_sid,
        "actor_type": event.actor_type,
        "source": event.source,
        "properties": sorted(properties),
    }


def _rest_error(entry: str, exc: Any) -> ChannelError:
    status = int(exc.status)
    detail = f"Twilio error {exc.code}: {exc.msg}" if exc.code else f"HTTP {status}"
    refused = f"Twilio rejected the change to {entry}: {detail}"
    credentials = (
        f"Twilio refused the credentials (HTTP {status}): check the account SID and auth"
        " token (or API key) in the environment"
    )
    error = status_error(
        status,
        None,  # the SDK keeps no headers; RetryAfterClient reads a 429's Retry-After
        unauthorized=credentials,
        forbidden=credentials,
        not_found=f"Twilio does not know {entry} in this account (HTTP 404): check `numbers`",
        throttled=TWILIO_THROTTLED,
        server=f"Twilio had a server error (HTTP {status}) for {entry}",
        refused=refused,
    )
    return error or PermanentChannelError(refused)


def parse_stamp(value: str) -> datetime:
    moment = from_stamp(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _changed_properties(event: Any) -> dict[str, Any]:
    """An update Event's `event_data.resource_properties` (name -> previous/updated)."""
    data = event.event_data if isinstance(event.event_data, dict) else {}
    properties = data.get("resource_properties", data)
    return properties if isinstance(properties, dict) else {}


def _holds_sent(event: Any, sent: dict[str, str]) -> bool:
    """Whether the event's updated values are the ones we sent ('' and null both clear)."""
    properties = _changed_properties(event)
    for name, value in sent.items():
        change = properties.get(name)
        updated = change.get("updated", value) if isinstance(change, dict) else value
        if str(updated or "") != str(value or ""):
            return False
    return True


def _event_date(value: Any) -> datetime | None:
    """An Event's date: twilio-python parses whole seconds only and passes others on as text."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return parse_stamp(value)
        except ValueError:
            return None
    return None


def pn(client: Client) -> Any:
    """The account's IncomingPhoneNumbers resource."""
    return client.api.v2010.account.incoming_phone_numbers
