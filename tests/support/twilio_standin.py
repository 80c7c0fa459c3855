"""A stateful stand-in for the few Twilio API 2010 endpoints notices uses (numbers, calls,
and sending an SMS through Messages).

Built to Twilio's own OpenAPI description (read from the same file Prism serves): request
parameter names, enums and SID patterns are checked against it, bodies are form-encoded,
answers are JSON with the description's property names, Basic auth is required. Unlike
Prism it keeps state, so snapshot -> switch -> restore can be checked end to end.

One deliberate difference from the description: an empty string clears a field. The
description's patterns forbid "" (e.g. VoiceApplicationSid), yet Twilio's own examples
return "" for an unset SID, and twilio-python can only clear a field by sending "".

Every update of an IncomingPhoneNumber is also recorded as a Monitor Event
(`phone-number.updated`, with the properties changed, previous and updated), listed at
`GET /v1/Events` as Twilio's Monitor API (its own OpenAPI description, beside the first)
lists them: filters ResourceSid/EventType/StartDate/EndDate checked, paged with `meta`.

Faults can be injected: an HTTP status (401, 404, 429 with Retry-After, 500), a slow
answer, or an answer that never ends (`drip`), for the next N requests matching a method
and path fragment. `latency` (seconds) delays every answer, as a distant provider would;
`arrivals` records when each request reached the server (time.monotonic(), method, path),
for the benchmarks.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.net import drip

BASE = "/2010-04-01/Accounts/{AccountSid}"
NUMBER_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/IncomingPhoneNumbers/(PN\w+)\.json$")
NUMBERS_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/IncomingPhoneNumbers\.json$")
CALLS_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls\.json$")
RECORDINGS_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Recordings\.json$")
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
EVENTS_PATH = "/v1/Events"  # the Monitor API (monitor.twilio.com), served here too
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=False).replace("-0000", "+0000")


class Server(ThreadingHTTPServer):
    # A provider takes many connections at once; the default backlog (5) drops the rest for
    # a second (a SYN retry) when a client opens 16 at a time.
    request_queue_size = 128


@dataclass
class Fault:
    method: str
    fragment: str
    status: int = 500
    times: int = 1
    retry_after: str | None = None
    delay: float = 0.0
    drip: float = 0.0  # > 0: answer 200 with a body that trickles a byte per `drip` seconds


@dataclass
class State:
    tokens: dict[str, str] = field(default_factory=dict)  # account SID -> auth token
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    arrivals: list[tuple[float, str, str]] = field(default_factory=list)


class Description:
    """What the OpenAPI description says about the endpoints used."""

    def __init__(self, path: Path) -> None:
        spec = json.loads(path.read_text("utf-8"))
        paths = spec["paths"]
        update = paths[BASE + "/IncomingPhoneNumbers/{Sid}.json"]["post"]
        body = update["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        self.update_params: dict[str, dict[str, Any]] = {
            name: self._resolve(spec, schema) for name, schema in body["properties"].items()
        }
        schemas = spec["components"]["schemas"]
        self.number_fields = list(schemas["api.v2010.account.incoming_phone_number"]["properties"])
        self.call_fields = list(schemas["api.v2010.account.call"]["properties"])
        self.list_params = {
            p["name"] for p in paths[BASE + "/IncomingPhoneNumbers.json"]["get"]["parameters"]
        }
        self.call_params = {p["name"] for p in paths[BASE + "/Calls.json"]["get"]["parameters"]}
        self.recording_fields = list(schemas["api.v2010.account.recording"]["properties"])
        self.recording_params = {
            p["name"] for p in paths[BASE + "/Recordings.json"]["get"]["parameters"]
        }
        create = paths[BASE + "/Messages.json"]["post"]["requestBody"]["content"]
        message_body = create["application/x-www-form-urlencoded"]["schema"]
        self.message_params: dict[str, dict[str, Any]] = {
            name: self._resolve(spec, schema) for name, schema in message_body["properties"].items()
        }
        self.message_required = set(message_body.get("required", []))
        self.message_fields = list(schemas["api.v2010.account.message"]["properties"])
        monitor = json.loads((path.parent / "twilio_monitor_v1.json").read_text("utf-8"))
        self.event_fields = list(monitor["components"]["schemas"]["monitor.v1.event"]["properties"])
        self.event_params = {
            p["name"]: p["schema"] for p in monitor["paths"]["/v1/Events"]["get"]["parameters"]
        }

    @staticmethod
    def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return dict(spec["components"]["schemas"][name])
        return schema

    def invalid(self, name: str, value: str) -> str | None:
        schema = self.update_params.get(name)
        if schema is None:
            return f"unknown parameter {name}"
        if value == "":
            return None  # clears the field
        if "enum" in schema and value not in schema["enum"]:
            return f"{name} must be one of {schema['enum']}"
        if "pattern" in schema and not re.match(schema["pattern"], value):
            return f"{name} must match {schema['pattern']}"
        if schema.get("format") == "uri" and not re.match(r"^https?://", value):
            return f"{name} must be a URL"
        return None


class TwilioStandIn:
    def __init__(self, description: Path) -> None:
        self.description = Description(description)
        self.state = State()
        self.lock = threading.Lock()
        self.latency = 0.0
        self.server = Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> TwilioStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.state = State()

    # -- state set-up -------------------------------------------------------------------

    def add_account(self, sid: str, token: str) -> None:
        with self.lock:
            self.state.tokens[sid] = token

    def add_number(self, account: str, sid: str, phone: str, **routing: Any) -> None:
        number: dict[str, Any] = dict.fromkeys(self.description.number_fields)
        number.update(
            account_sid=account,
            sid=sid,
            phone_number=phone,
            friendly_name=phone,
            api_version="2010-04-01",
            voice_method="POST",
            voice_fallback_method="POST",
            status_callback_method="POST",
            voice_receive_mode="voice",
            voice_url="",
            voice_fallback_url="",
            status_callback="",
            voice_application_sid="",
            trunk_sid=None,
            date_created=rfc2822(datetime(2024, 1, 1, tzinfo=UTC)),
            date_updated=rfc2822(datetime(2024, 1, 1, tzinfo=UTC)),
            uri=f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{sid}.json",
        )
        number.update(routing)
        with self.lock:
            self.state.numbers[sid] = number

    def add_call(
        self, account: str, sid: str, to: str, from_: str, started: datetime, **more: Any
    ) -> None:
        call: dict[str, Any] = dict.fromkeys(self.description.call_fields)
        call.update(
            sid=sid,
            account_sid=account,
            to=to,
            to_formatted=to,
            **{"from": from_, "from_formatted": from_},
            status="completed",
            direction="inbound",
            start_time=rfc2822(started),
            end_time=rfc2822(started),
            duration="42",
            api_version="2010-04-01",
            uri=f"/2010-04-01/Accounts/{account}/Calls/{sid}.json",
            _started=started,
        )
        call.update(more)
        with self.lock:
            self.state.calls.append(call)

    def add_recording(
        self, account: str, sid: str, call_sid: str, made: datetime, duration: int
    ) -> None:
        """A message a caller left (`<Record>`), as the Recordings API lists it."""
        recording: dict[str, Any] = dict.fromkeys(self.description.recording_fields)
        uri = f"/2010-04-01/Accounts/{account}/Recordings/{sid}"
        recording.update(
            sid=sid,
            account_sid=account,
            call_sid=call_sid,
            api_version="2010-04-01",
            date_created=rfc2822(made),
            date_updated=rfc2822(made),
            start_time=rfc2822(made),
            duration=str(duration),
            status="completed",
            channels=1,
            source="RecordVerb",
            uri=f"{uri}.json",
            media_url=f"https://api.twilio.com{uri}",
            _made=made,
        )
        with self.lock:
            self.state.recordings.append(recording)

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self.state.faults.append(fault)

    def sent_to(self, number: str) -> list[str]:
        """Bodies of the messages sent to `number` so far, oldest first."""
        with self.lock:
            return [m["body"] for m in self.state.messages if m["to"] == number]

    def routing(self, sid: str, fields: tuple[str, ...]) -> dict[str, Any]:
        with self.lock:
            number = self.state.numbers[sid]
            return {name: number[name] for name in fields}

    # -- HTTP ---------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as api.twilio.com: every answer carries its Content-Length. The
            # headers and the body go out in two writes: without TCP_NODELAY the body would
            # wait up to 40 ms for the client's delayed ACK on a kept-alive connection.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                standin._serve(self, "GET")

            def do_POST(self) -> None:
                standin._serve(self, "POST")

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        arrived = time.monotonic()
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form: dict[str, str] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length).decode("utf-8")
            kind = handler.headers.get("Content-Type", "")
            if raw and not kind.startswith("application/x-www-form-urlencoded"):
                return self._error(handler, 400, 20001, f"expected a form body, not {kind}")
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        with self.lock:
            self.state.requests.append((method, parts.path, {**query, **form}))
            self.state.arrivals.append((arrived, method, parts.path))
            fault = next(
                (
                    f
                    for f in self.state.faults
                    if f.times > 0 and f.method == method and f.fragment in parts.path
                ),
                None,
            )
            if fault is not None:
                fault.times -= 1
        if self.latency:
            time.sleep(self.latency)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drip:
                return drip(handler, fault.drip)
            if fault.status != 200:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return self._error(handler, fault.status, 20000 + fault.status, "injected", headers)

        account = self._authenticated(handler, parts.path)
        if account is None:
            return self._error(handler, 401, 20003, "Authenticate")

        if match := NUMBER_PATH.match(parts.path):
            return self._number(handler, method, match.group(2), form, account)
        if (match := NUMBERS_PATH.match(parts.path)) and method == "GET":
            return self._list_numbers(handler, parts.path, query, account)
        if (match := CALLS_PATH.match(parts.path)) and method == "GET":
            return self._list_calls(handler, parts.path, query, account)
        if (match := RECORDINGS_PATH.match(parts.path)) and method == "GET":
            return self._list_recordings(handler, parts.path, query, account)
        if (match := MESSAGES_PATH.match(parts.path)) and method == "POST":
            return self._send_message(handler, form, account)
        if parts.path == EVENTS_PATH and method == "GET":
            return self._list_events(handler, parts.path, query, account)
        return self._error(
            handler, 404, 20404, f"The requested resource {parts.path} was not found"
        )

    def _authenticated(self, handler: BaseHTTPRequestHandler, path: str) -> str | None:
        header = handler.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return None
        with self.lock:
            token = self.state.tokens.get(user)
        # API 2010 paths name the account; the Monitor API's (/v1/...) do not.
        if token is None or token != password:
            return None
        if f"/Accounts/{user}/" not in path and not path.startswith("/v1/"):
            return None
        return user

    def _number(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        sid: str,
        form: dict[str, str],
        account: str,
    ) -> None:
        with self.lock:
            number = self.state.numbers.get(sid)
            if number is None or number["account_sid"] != account:
                number = None
        if number is None:
            return self._error(handler, 404, 20404, f"The requested resource {sid} was not found")
        if method == "POST":
            for name, value in form.items():
                problem = self.description.invalid(name, value)
                if problem:
                    return self._error(handler, 400, 21502, problem)
            with self.lock:
                before = dict(number)
                for name, value in form.items():
                    number[snake(name)] = (
                        value if value != "" else ("" if name != "TrunkSid" else None)
                    )
                # Setting a TwiML app clears the trunk and the reverse (the description says so).
                if form.get("VoiceApplicationSid"):
                    number["trunk_sid"] = None
                if form.get("TrunkSid"):
                    number["voice_application_sid"] = ""
                number["date_updated"] = rfc2822(datetime.now(UTC))
                self._record_event(account, sid, before, number)
        with self.lock:
            body = dict(number)
        self._json(handler, 200, body)

    def _record_event(
        self, account: str, sid: str, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        """Twilio's own record of the change: a Monitor Event (call with the lock held)."""
        changed = {
            name: {"previous": before.get(name), "updated": after.get(name)}
            for name in after
            if name != "date_updated" and before.get(name) != after.get(name)
        }
        if not changed:
            return
        event: dict[str, Any] = dict.fromkeys(self.description.event_fields)
        event_sid = f"AE{len(self.state.events) + 1:032x}"
        event.update(
            account_sid=account,
            actor_sid=None,  # an API request authenticated as the account, not a user (US...)
            actor_type="account",
            description="Phone number updated",
            event_data={"resource_properties": changed},
            event_date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),  # as Twilio's examples
            event_type="phone-number.updated",
            resource_sid=sid,
            resource_type="phone-number",
            sid=event_sid,
            source="api",
            source_ip_address="127.0.0.1",
            url=f"{self.url}{EVENTS_PATH}/{event_sid}",
            links={
                "resource": f"{self.url}{BASE.format(AccountSid=account)}/IncomingPhoneNumbers/{sid}.json"
            },
        )
        self.state.events.append(event)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.state.events]

    def _send_message(
        self, handler: BaseHTTPRequestHandler, form: dict[str, str], account: str
    ) -> None:
        """Create a Message (send an SMS): To, From or MessagingServiceSid, Body or media."""
        params = self.description.message_params
        unknown = set(form) - set(params)
        if unknown:
            return self._error(handler, 400, 20001, f"unknown parameters {sorted(unknown)}")
        missing = self.description.message_required - set(form)
        if missing:
            return self._error(handler, 400, 21604, f"missing {sorted(missing)}")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(handler, 400, 21603, "A 'From' phone number is required.")
        if not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return self._error(handler, 400, 21602, "Message body is required.")
        for name in ("To", "From"):
            if form.get(name) and not re.match(r"^\+[1-9]\d{1,14}$", form[name]):
                return self._error(handler, 400, 21211, f"Invalid '{name}' Phone Number")
        if len(form.get("Body", "")) > 1600:
            return self._error(handler, 400, 21617, "The concatenated message body exceeds 1600")
        with self.lock:
            sid = f"SM{len(self.state.messages) + 1:032x}"
            now = rfc2822(datetime.now(UTC))
            message: dict[str, Any] = dict.fromkeys(self.description.message_fields)
            message.update(
                sid=sid,
                account_sid=account,
                to=form["To"],
                **{"from": form.get("From")},
                body=form.get("Body", ""),
                status="queued",
                direction="outbound-api",
                num_segments="1",
                num_media="0",
                api_version="2010-04-01",
                date_created=now,
                date_updated=now,
                uri=f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            )
            self.state.messages.append(message)
            body = dict(message)
        self._json(handler, 201, body)

    def _page(
        self, path: str, query: dict[str, str], key: str, items: list[dict[str, Any]]
    ) -> dict[str, Any]:
        size = int(query.get("PageSize") or 50)
        page = int(query.get("Page") or 0)
        chunk = items[page * size : (page + 1) * size]
        base = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}

        def uri(n: int) -> str:
            return f"{path}?{urlencode({**base, 'Page': n, 'PageToken': f'PT{n}'})}"

        more = (page + 1) * size < len(items)
        return {
            key: [{k: v for k, v in item.items() if not k.startswith("_")} for item in chunk],
            "page": page,
            "page_size": size,
            "start": page * size,
            "end": page * size + len(chunk) - 1,
            "uri": uri(page),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page else None,
        }

    def _list_numbers(
        self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str], account: str
    ) -> None:
        unknown = set(query) - self.description.list_params
        if unknown:
            return self._error(handler, 400, 20001, f"unknown parameters {sorted(unknown)}")
        with self.lock:
            items = [
                dict(n)
                for n in self.state.numbers.values()
                if n["account_sid"] == account
                and (not query.get("PhoneNumber") or n["phone_number"] == query["PhoneNumber"])
            ]
        self._json(handler, 200, self._page(path, query, "incoming_phone_numbers", items))

    def _list_calls(
        self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str], account: str
    ) -> None:
        unknown = set(query) - self.description.call_params
        if unknown:
            return self._error(handler, 400, 20001, f"unknown parameters {sorted(unknown)}")
        after = query.get("StartTime>")
        before = query.get("StartTime<")
        for value in (after, before):
            if value is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
                return self._error(handler, 400, 20001, f"StartTime wants YYYY-MM-DD, not {value}")
        with self.lock:
            items = []
            for call in self.state.calls:
                day = call["_started"].astimezone(UTC).date().isoformat()
                if call["account_sid"] != account:
                    continue
                if query.get("To") and call["to"] != query["To"]:
                    continue
                if (after and day < after) or (before and day > before):
                    continue
                items.append(dict(call))
        items.sort(key=lambda c: c["_started"], reverse=True)
        self._json(handler, 200, self._page(path, query, "calls", items))

    def _list_recordings(
        self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str], account: str
    ) -> None:
        unknown = set(query) - self.description.recording_params
        if unknown:
            return self._error(handler, 400, 20001, f"unknown parameters {sorted(unknown)}")
        bounds = {}
        for name in ("DateCreated>", "DateCreated<"):
            if name in query:
                try:
                    bounds[name] = datetime.fromisoformat(query[name].replace("Z", "+00:00"))
                except ValueError:
                    return self._error(handler, 400, 20001, f"{name} is not a date-time")
                if bounds[name].tzinfo is None:
                    return self._error(handler, 400, 20001, f"{name} has no time zone")
        with self.lock:
            items = [
                dict(r)
                for r in self.state.recordings
                if r["account_sid"] == account
                and ("DateCreated>" not in bounds or r["_made"] >= bounds["DateCreated>"])
                and ("DateCreated<" not in bounds or r["_made"] <= bounds["DateCreated<"])
                and (not query.get("CallSid") or r["call_sid"] == query["CallSid"])
            ]
        items.sort(key=lambda r: r["_made"], reverse=True)
        self._json(handler, 200, self._page(path, query, "recordings", items))

    def _list_events(
        self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str], account: str
    ) -> None:
        params = self.description.event_params
        unknown = set(query) - set(params) - {"Page", "PageToken"}
        if unknown:
            return self._error(handler, 400, 20001, f"unknown parameters {sorted(unknown)}")
        for name, value in query.items():
            schema = params.get(name, {})
            if "pattern" in schema and not re.match(schema["pattern"], value):
                return self._error(handler, 400, 20001, f"{name} must match {schema['pattern']}")
            if schema.get("format") == "date-time" and not ISO_DATE.match(value):
                return self._error(handler, 400, 20001, f"{name} is not an ISO 8601 date: {value}")
        size = int(query.get("PageSize") or 50)
        if not 1 <= size <= 1000:
            return self._error(handler, 400, 20001, "PageSize must be 1 to 1000")

        def moment(value: str) -> datetime:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

        start = moment(query["StartDate"]) if "StartDate" in query else None
        end = moment(query["EndDate"]) if "EndDate" in query else None
        with self.lock:
            items = []
            for event in self.state.events:
                at = moment(event["event_date"])
                if event["account_sid"] != account:
                    continue
                if query.get("ResourceSid") and event["resource_sid"] != query["ResourceSid"]:
                    continue
                if query.get("EventType") and event["event_type"] != query["EventType"]:
                    continue
                if (start and at < start) or (end and at > end):
                    continue
                items.append(dict(event))
        items.sort(key=lambda e: str(e["event_date"]), reverse=True)
        page = int(query.get("Page") or 0)
        chunk = items[page * size : (page + 1) * size]
        base = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}

        def url(n: int) -> str:
            return f"{self.url}{path}?{urlencode({**base, 'PageSize': size, 'Page': n})}"

        more = (page + 1) * size < len(items)
        body = {
            "events": chunk,
            "meta": {
                "page": page,
                "page_size": size,
                "first_page_url": url(0),
                "previous_page_url": url(page - 1) if page else None,
                "url": url(page),
                "next_page_url": url(page + 1) if more else None,
                "key": "events",
            },
        }
        self._json(handler, 200, body)

    def _json(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        code: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        self._json(handler, status, body, headers)
