"""`twilio_voice`: point Twilio phone numbers at the emergency greeting, and back.

The greeting TwiML is published through a publisher (a folder behind a web server, SFTP,
S3) and served at `greeting_url`; each number's voice URL is switched to it. A number's
routing is decided by several fields together (voice URL and method, fallback, status
callback, a TwiML app SID, a SIP trunk SID, the receive mode): the snapshot holds all of
them and `restore` puts back exactly those, so a Studio flow, a TwiML app or the customer's
own webhook runs again after `resume`.

Credentials come only from environment variables named in the options. The Twilio SDK is
imported when a channel first talks to Twilio, never at start-up.
"""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from notices.channels.base import (
    Artefacts,
    Channel,
    ChannelContext,
    ChannelOptions,
    Contact,
    Notice,
    Receipt,
    Setting,
)
from notices.channels.fanout import for_each
from notices.channels.greeting import (
    Forward,
    Layout,
    file_names,
    forward_for,
    greeting_files,
)
from notices.channels.twilio_api import TwilioApi, corroborate, parse_stamp, pn
from notices.channels.twilio_contacts import inbound_calls, messages
from notices.channels.twilio_options import (
    NUMBER_SID,
    ROUTING_FIELDS,
    TwilioVoiceOptions,
)
from notices.errors import PermanentChannelError
from notices.faults import crash_point
from notices.net.http import fetch_public, http_error
from notices.publishers import Publisher, make_publisher
from notices.timeparse import utc_stamp

if TYPE_CHECKING:
    from twilio.rest import Client

T = TypeVar("T")

XML_CONTENT_TYPES = ("text/xml", "application/xml")
# A read-back made right after a change serves the orchestrator's verify this long at most.
READ_AHEAD_S = 5.0


def _routing(number: Any) -> dict[str, str]:
    """A number's routing fields as strings ('' for unset: how Twilio clears a field)."""
    return {name: getattr(number, name, None) or "" for name in ROUTING_FIELDS}


def _summary(numbers: dict[str, dict[str, str]]) -> str:
    parts = []
    for entry, value in numbers.items():
        label = value.get("phone_number") or entry
        if value.get("trunk_sid"):
            target = f"SIP trunk {value['trunk_sid']}"
        elif value.get("voice_application_sid"):
            target = f"TwiML app {value['voice_application_sid']}"
        elif value.get("voice_url"):
            target = f"{value.get('voice_method') or 'POST'} {value['voice_url']}"
        else:
            target = "no voice URL"
        parts.append(f"{label} -> {target}")
    return "; ".join(parts)


class TwilioVoice(Channel):
    kind = "twilio_voice"
    medium = "ivr"
    # twilio.rest imports each API's modules on first use: the v2010 account's are the most.
    sdk = ("twilio.rest", "twilio.rest.api.v2010.account", "twilio.http.http_client", "requests")
    Options = TwilioVoiceOptions
    described = ("greeting_url",)

    def __init__(self, options: ChannelOptions, context: ChannelContext) -> None:
        super().__init__(options, context)
        assert isinstance(options, TwilioVoiceOptions)
        self.opts = options
        self.publisher: Publisher = self.own(make_publisher(options.publisher, context.home))
        self.api = TwilioApi(options, context.name)
        self._sids: dict[str, tuple[str, str]] = {}  # configured entry -> (PN sid, +number)
        self._lock = threading.Lock()
        # The read-back made right after a change (monotonic time, setting): see
        # _read_back_beside. Taken once, and only while fresh.
        self._read_ahead: tuple[float, Setting] | None = None

    # -- identity ---------------------------------------------------------------------

    def identity(self) -> str:
        # From the configuration only: a missing variable must not change which target a
        # stored snapshot belongs to.
        where = f" via {self.opts.api_base}" if self.opts.api_base else ""
        return f"numbers {', '.join(self.opts.numbers)}{where}"

    # -- the artefacts ------------------------------------------------------------------

    def _layout(self, mode: str | None = None) -> Layout:
        dial = self.opts.dial
        every = Forward(dial.number, dial.timeout, dial.caller_id) if dial else None
        return Layout(
            greeting_file=self.opts.greeting_file,
            base_url=self.opts.greeting_url,
            record=self.opts.recording(),
            forward=forward_for(mode, self.opts, every) if mode else None,
            forwarding=bool(self.opts.forward_to) or dial is not None,
        )

    def _files(self) -> list[str]:
        return file_names(self._layout(), self.context.languages)

    def build(self, notice: Notice) -> Artefacts:
        files: dict[str, str] = greeting_files(notice, self.opts.voices, self._layout(notice.mode))
        return Artefacts(
            files=dict(files),
            content_types=dict.fromkeys(files, "text/xml; charset=utf-8"),
            expected=self._expected(files),
        )

    def _expected(self, published: dict[str, str]) -> Setting:
        """Every number routed to the greeting, the files published and served. The fields
        we leave alone (fallback, status callback) are not part of it."""
        files: dict[str, str | None] = {name: published.get(name) for name in self._files()}
        numbers = {entry: self._switched_fields({}) for entry in self.opts.numbers}
        data = {
            "switched": True,
            "numbers": numbers,
            "files": files,
            "served": published[self.opts.greeting_file],
        }
        target = f"{self.opts.greeting_method} {self.opts.greeting_url}"
        summary = f"{', '.join(self.opts.numbers)} -> {target}"
        return Setting(data=data, summary=summary)

    def differences(self, expected: Setting, actual: Setting) -> list[str]:
        """Each number that is not as expected: which field holds what, and what it should."""
        want, have = expected.data, actual.data
        numbers: dict[str, dict[str, str]] = have.get("numbers", {})
        lines = []
        for entry in self.opts.numbers:
            now = numbers.get(entry)
            if now is None:
                lines.append(f"{entry}: not read")
                continue
            label = now.get("phone_number") or entry
            if want.get("switched"):
                wanted = self._switched_fields(now)
            elif entry not in want.get("numbers", {}):
                lines.append(f"{label}: not in the setting from before the incident")
                continue
            else:
                saved = want["numbers"][entry]
                wanted = {name: saved.get(name, "") for name in ROUTING_FIELDS}
            for name, value in wanted.items():
                if (now.get(name) or "") != (value or ""):
                    lines.append(
                        f"{label}: {name} is {now.get(name) or '(empty)'!r},"
                        f" not {value or '(empty)'!r}"
                    )
        if want.get("switched") and have.get("served") != want.get("served"):
            lines.append(f"{self.opts.greeting_url} does not serve the greeting just published")
        if want.get("files") != have.get("files"):
            lines.append("the published files are not the ones expected")
        return lines

    def _switched_fields(self, current: dict[str, str]) -> dict[str, str]:
        """The routing that sends calls to the greeting; the rest of `current` stays."""
        wanted = {
            "voice_url": self.opts.greeting_url,
            "voice_method": self.opts.greeting_method,
            "voice_application_sid": "",
            "trunk_sid": "",
        }
        if current.get("voice_receive_mode") == "fax":
            wanted["voice_receive_mode"] = "voice"
        return wanted

    # -- reading --------------------------------------------------------------------------

    def snapshot(self, served: bool = False) -> Setting:
        if served:
            with self._lock:
                ahead, self._read_ahead = self._read_ahead, None
            if ahead is not None and time.monotonic() - ahead[0] < READ_AHEAD_S:
                return ahead[1]  # read after this command's change, beside its Monitor request
        if not served:
            return self._read(None)
        # What Twilio would fetch from greeting_url is part of the state while a number
        # points at it: fetched beside the numbers' read, not after it (one round trip).
        with ThreadPoolExecutor(max_workers=1) as pool:
            greeting = pool.submit(self._fetch_greeting)
            return self._read(greeting)

    def _read(self, greeting: Future[tuple[str | None, str]] | None) -> Setting:
        numbers = self._read_numbers()
        files = self.publisher.read(self._files())
        setting = Setting(data={"numbers": numbers, "files": files}, summary=_summary(numbers))
        if greeting is not None and any(
            n["voice_url"] == self.opts.greeting_url for n in numbers.values()
        ):
            setting.data["served"] = greeting.result()[0]
        return setting

    def _read_back_beside(self, work: Callable[[], None]) -> None:
        """Run `work` (the Monitor request that corroborates a change) and the read-back of
        the change at once, after it: the read-back is kept for the orchestrator's verify
        step, which then costs no round trip of its own. A failed read is not kept: verify
        reads again, and reports."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(self.snapshot, True)
            work()
            try:
                setting = reading.result()
            except Exception:  # noqa: BLE001 - verify reads again and reports it
                return
        with self._lock:
            self._read_ahead = (time.monotonic(), setting)

    def _read_numbers(self) -> dict[str, dict[str, str]]:
        def read(entry: str) -> dict[str, str]:
            (sid, phone), number = self._lookup(entry)
            if number is None:
                number = self.api.call(entry, lambda c: pn(c)(sid).fetch())
            return {"sid": sid, "phone_number": phone, **_routing(number)}

        return self._each(read)

    def _resolve(self, entry: str) -> tuple[str, str]:
        """The number's SID and E.164 number, looked up once per process."""
        return self._lookup(entry)[0]

    def _lookup(self, entry: str) -> tuple[tuple[str, str], Any]:
        """(SID, E.164 number), and the number's record when this call had to read it."""
        with self._lock:
            known = self._sids.get(entry)
        if known:
            return known, None
        if NUMBER_SID.match(entry):
            number = self.api.call(entry, lambda c: pn(c)(entry).fetch())
            found = (entry, str(number.phone_number))
        else:
            page = self.api.call(
                entry,
                lambda c: pn(c).list(phone_number=entry, limit=2),
            )
            matches = [n for n in page if n.phone_number == entry]
            if not matches:
                raise PermanentChannelError(
                    f"{entry} is not a number of this Twilio account: check `numbers`"
                )
            number = matches[0]
            found = (str(number.sid), entry)
        with self._lock:
            self._sids[entry] = found
        return found, number

    def warm(self) -> None:
        """The REST client made and each number's SID looked up (once per process): the
        switch's first request is then the read it needs, on an open connection."""
        self._each(self._resolve)

    # -- switching ------------------------------------------------------------------------

    def apply(self, artefacts: Artefacts, current: Setting | None = None) -> Receipt:
        published = self.publisher.write(
            {name: artefacts.files.get(name) for name in self._files()},
            artefacts.content_types,
            current.data["files"] if current else None,
        )

        def switch(entry: str) -> dict[str, Any]:
            sid, _ = self._resolve(entry)
            routing = self._routing_now(entry, sid, current)
            return self._update(entry, sid, routing, self._switched_fields(routing))

        began = datetime.now(UTC)
        updates = self._each(switch)
        self._read_back_beside(lambda: corroborate(self.api, updates, began, self.opts.workers))
        changed = published or any(u["changed"] for u in updates.values())
        confirmation = {"published": self.publisher.identity(), "numbers": updates}
        return Receipt(changed, confirmation)

    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        saved: dict[str, dict[str, str]] = setting.data["numbers"]
        missing = [entry for entry in self.opts.numbers if entry not in saved]
        if missing:
            raise PermanentChannelError(
                f"no saved setting for {', '.join(missing)}: restore those numbers by hand"
            )

        def put_back(entry: str) -> dict[str, Any]:
            sid = saved[entry]["sid"]
            wanted = {name: saved[entry].get(name, "") for name in ROUTING_FIELDS}
            return self._update(entry, sid, self._routing_now(entry, sid, current), wanted)

        began = datetime.now(UTC)
        updates = self._each(put_back)
        files: dict[str, str | None] = setting.data.get("files", {})
        published = self.publisher.write(
            {name: files.get(name) for name in self._files()},
            {},
            current.data["files"] if current else None,
        )
        self._read_back_beside(lambda: corroborate(self.api, updates, began, self.opts.workers))
        changed = published or any(u["changed"] for u in updates.values())
        confirmation = {"published": self.publisher.identity(), "numbers": updates}
        return Receipt(changed, confirmation)

    def _routing_now(self, entry: str, sid: str, current: Setting | None) -> dict[str, str]:
        """The number's routing: as read just before by the orchestrator (its read-back
        checks the result), else read now."""
        known = current.data["numbers"].get(entry) if current else None
        if known is not None and known.get("sid") == sid:
            return {name: known.get(name) or "" for name in ROUTING_FIELDS}
        return _routing(self.api.call(entry, lambda c: pn(c)(sid).fetch()))

    def _update(
        self, entry: str, sid: str, current: dict[str, str], wanted: dict[str, str]
    ) -> dict[str, Any]:
        """Send only the fields that differ ('' clears one); nothing when all hold already."""
        # A trunk or a TwiML app takes the call before any URL, and setting one clears the
        # other: send only the one the target has, so Twilio does not clear it again.
        changes = {k: v for k, v in wanted.items() if current.get(k, "") != v}
        if wanted.get("trunk_sid") and "trunk_sid" in changes:
            changes.pop("voice_application_sid", None)
        if wanted.get("voice_application_sid") and "voice_application_sid" in changes:
            changes.pop("trunk_sid", None)
        if not changes:
            return {"sid": sid, "changed": False}
        self.api.call(entry, lambda c: pn(c)(sid).update(**changes))
        at = utc_stamp(datetime.now(UTC))
        crash_point("after-number", entry)
        # `_sent` (the values, which may hold a customer's credentials) never reaches the log:
        # corroborate matches it against Twilio's record and drops it.
        return {"sid": sid, "changed": True, "fields": sorted(changes), "at": at, "_sent": changes}

    # -- check and contacts -------------------------------------------------------------

    def probe(self) -> str:
        numbers = self._read_numbers()
        served, content_type = self._fetch_greeting(missing_ok=True)
        greeting = (
            f"{self.opts.greeting_url} not published yet (checked after the first switch)"
            if served is None
            else f"{self.opts.greeting_url} serves valid TwiML ({content_type})"
        )
        return (
            f"credentials work; {len(numbers)} number(s) found ({_summary(numbers)}); {greeting};"
            f" not checked: that the publisher's files appear at greeting_url"
        )

    def contacts(self, since: str, until: str) -> list[Contact]:
        """Inbound calls to the numbers in the window, and the messages callers left there
        (Twilio's Recordings API: nothing on the call's path needs `notices serve`)."""
        start = parse_stamp(since)
        end = parse_stamp(until)

        def calls(entry: str) -> list[Contact]:
            return inbound_calls(self.api, self.name, entry, self._resolve(entry)[1], start, end)

        found = [c for listed in self._each(calls).values() for c in listed]
        label = ", ".join(self.opts.numbers)
        everything = found + messages(self.api, self.name, label, found, start, end)
        return sorted(everything, key=lambda c: (c.at, c.provider_id))

    # -- plumbing --------------------------------------------------------------------------

    def _each(self, work: Callable[[str], T]) -> dict[str, T]:
        """Run `work` for every number at once (see fanout.for_each for the error rule)."""
        return for_each(self.opts.numbers, work, self.opts.workers)

    def _fetch_greeting(self, missing_ok: bool = False) -> tuple[str | None, str]:
        """What Twilio would get from greeting_url: the text, checked as TwiML."""
        url = self.opts.greeting_url
        answer = fetch_public(url, self.opts.timeout_s, self.opts.greeting_method)
        if answer.status == 404 and missing_ok:
            return None, ""
        if answer.status != 200:
            raise http_error(
                answer.status,
                answer.headers,
                f"the greeting at {url} answers HTTP {answer.status}: Twilio could not fetch it",
            )
        content_type = answer.content_type
        if content_type.split(";")[0].strip().lower() not in XML_CONTENT_TYPES:
            raise PermanentChannelError(
                f"the greeting at {url} is served as {content_type or 'no content type'!r};"
                " Twilio needs text/xml or application/xml"
            )
        text = answer.body.decode("utf-8", errors="replace")
        try:
            root = ET.fromstring(answer.body)  # noqa: S314 - our own published file
        except ET.ParseError as exc:
            raise PermanentChannelError(f"the greeting at {url} is not valid XML: {exc}") from None
        if root.tag != "Response":
            raise PermanentChannelError(
                f"the greeting at {url} is XML but not TwiML (root <{root.tag}>, not <Response>)"
            )
        return text, content_type

    def client(self) -> Client:
        """The channel's Twilio REST client (made at the first request)."""
        return self.api.client()
