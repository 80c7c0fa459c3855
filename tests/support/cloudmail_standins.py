"""Local stand-ins for the Microsoft identity platform + Microsoft Graph, and for Google's
OAuth 2.0 token endpoint + the Gmail API, over TLS on loopback.

They follow the providers' documented request and response shapes (paths, methods, JSON
fields, Bearer tokens, int64 as strings at Google, dateTimeTimeZone at Graph), keep state,
reject what the real services reject, record every request (with the moment it arrived),
and can inject failures. `latency` (seconds) delays every answer, as a distant provider would.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GMAIL_SCOPE = "https://www.googleapis.com/auth/gmail.settings.basic"
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
GMAIL_SCOPES = {GMAIL_SCOPE, GMAIL_READONLY, GMAIL_METADATA}


# -- TLS -------------------------------------------------------------------------------------


def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "notices test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


# -- a small TLS JSON server -------------------------------------------------------------------


class Server(ThreadingHTTPServer):
    # A provider takes many connections at once; the default backlog (5) drops the rest for
    # a second (a SYN retry) when a client opens 16 at a time.
    request_queue_size = 128


@dataclass
class Fault:
    method: str | None
    path_contains: str
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a read time-out)
    drip: float = 0.0  # > 0: a 200 whose body trickles a byte per `drip` seconds, never ending


@dataclass
class Seen:
    at: float
    method: str
    path: str
    status: int
    body: Any


class Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class StandIn:
    """A TLS server on 127.0.0.1, port chosen by the OS, dispatching to `route`."""

    def __init__(self, cert: Path, key: Path) -> None:
        owner = self
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.latency = 0.0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are two writes: without TCP_NODELAY the body would wait up
            # to 40 ms for the client's delayed ACK on a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = owner.handle(self.command, self.path, self.headers, raw)
                if "_drip" in headers:
                    from tests.support.net import drip

                    drip(self, float(headers["_drip"]))
                    return
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = _serve

        self.server = Server(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def inject(
        self,
        status: int,
        *,
        method: str | None = None,
        path_contains: str = "",
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        delay: float = 0.0,
        drip: float = 0.0,
    ) -> None:
        with self.lock:
            self.faults.append(
                Fault(method, path_contains, status, times, headers or {}, body or {}, delay, drip)
            )

    def handle(
        self, method: str, path: str, headers: Any, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        arrived = time.monotonic()
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.times > 0
                    and (f.method is None or f.method == method)
                    and f.path_contains in path
                ),
                None,
            )
            if fault is not None:
                fault.times -= 1
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drip:
            return 200, None, {"_drip": str(fault.drip)}
        try:
            if fault is not None:
                raise Reply(
                    fault.status, fault.body or self.fault_body(fault.status), fault.headers
                )
            status, body, extra = 200, self.route(method, path, headers, raw), {}
        except Reply as reply:
            status, body, extra = reply.status, reply.body, reply.headers
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        with self.lock:
            self.seen.append(Seen(arrived, method, path, status, parsed))
        return status, body, extra

    def fault_body(self, status: int) -> dict[str, Any]:
        return {"error": {"code": str(status), "message": "injected"}}

    def route(self, method: str, path: str, headers: Any, raw: bytes) -> Any:
        raise NotImplementedError

    def requests(self, method: str | None = None, contains: str = "") -> list[Seen]:
        with self.lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and contains in s.path
            ]


def bearer(headers: Any) -> str | None:
    value = headers.get("Authorization") or ""
    return value[7:] if value.startswith("Bearer ") else None


# -- Microsoft ------------------------------------------------------------------------------

STATUSES = {"disabled": "disabled", "alwaysenabled": "alwaysEnabled", "scheduled": "scheduled"}
AUDIENCES = {"none": "none", "contactsonly": "contactsOnly", "all": "all"}
SETTING_KEYS = {
    "status",
    "externalAudience",
    "internalReplyMessage",
    "externalReplyMessage",
    "scheduledStartDateTime",
    "scheduledEndDateTime",
}
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?$")
# The one $filter shape the inbox listing accepts here: a window on receivedDateTime with
# DateTimeOffset literals (unquoted, UTC).
_OFFSET = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,7})?Z"
GRAPH_FILTER = re.compile(
    rf"^receivedDateTime ge (?P<ge>{_OFFSET}) and receivedDateTime lt (?P<lt>{_OFFSET})$"
)
MESSAGE_PROPERTIES = {
    "id",
    "receivedDateTime",
    "sentDateTime",
    "subject",
    "internetMessageId",
    "from",
    "sender",
    "bodyPreview",
    "isRead",
}


def graph_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})


def exchange_html(message: str) -> str:
    """Exchange stores replies as full HTML documents with its own head: never byte-equal."""
    if not message.lstrip().lower().startswith("<html"):
        message = f"<html>\n<body>\n{message}\n</body>\n</html>\n"
    if "<head>" not in message:
        message = message.replace(
            "<html>",
            '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html;'
            ' charset=utf-8">\r\n</head>',
            1,
        )
    return message


def parse_graph_time(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, dict) or set(value) - {"dateTime", "timeZone"}:
        raise graph_error(400, "RequestBodyRead", f"Invalid value for '{name}'.")
    if not value.get("timeZone"):
        raise graph_error(400, "ErrorInvalidTimeZone", f"'{name}': timeZone is required.")
    if value["timeZone"] != "UTC":
        raise graph_error(400, "ErrorInvalidTimeZone", "Only UTC is known to this stand-in.")
    text = str(value.get("dateTime", ""))
    if not DATETIME.match(text):
        raise graph_error(400, "RequestBodyRead", f"Cannot convert '{text}' to DateTime.")
    return dt.datetime.fromisoformat(text[:19]).replace(tzinfo=dt.UTC)


class Microsoft(StandIn):
    """login.microsoftonline.com (OIDC discovery + v2.0 client-credentials token endpoint) and
    graph.microsoft.com/v1.0 (users/{id}/mailboxSettings), in one server."""

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(cert, key)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.seen.clear()
            self.tenant = "11111111-2222-3333-4444-555555555555"
            self.clients: dict[str, str] = {}
            self.roles = ["MailboxSettings.ReadWrite"]
            self.tokens: dict[str, list[str]] = {}
            self.mailboxes: dict[str, dict[str, Any]] = {}
            self.inboxes: dict[str, list[dict[str, Any]]] = {}

    def add_mailbox(self, address: str, setting: dict[str, Any] | None = None) -> None:
        base = {
            "status": "disabled",
            "externalAudience": "all",
            "scheduledStartDateTime": {
                "dateTime": "2026-01-01T08:00:00.0000000",
                "timeZone": "UTC",
            },
            "scheduledEndDateTime": {"dateTime": "2026-01-02T08:00:00.0000000", "timeZone": "UTC"},
            "internalReplyMessage": "",
            "externalReplyMessage": "",
        }
        base.update(setting or {})
        for name in ("internalReplyMessage", "externalReplyMessage"):
            if base[name]:
                base[name] = exchange_html(base[name])
        with self.lock:
            self.mailboxes[address.lower()] = base

    def setting(self, address: str) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(self.mailboxes[address.lower()]))

    def add_message(
        self, mailbox: str, sender: str, received: dt.datetime, subject: str = ""
    ) -> str:
        """A message in the mailbox's inbox, as Graph's message resource holds it."""
        with self.lock:
            box = self.inboxes.setdefault(mailbox.lower(), [])
            ident = "AAMkAG" + secrets.token_urlsafe(24)
            box.append(
                {
                    "id": ident,
                    "receivedDateTime": received.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "sentDateTime": received.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "subject": subject,
                    "internetMessageId": f"<{secrets.token_hex(8)}@example.net>",
                    "from": {
                        "emailAddress": {
                            "name": sender.split("@", maxsplit=1)[0],
                            "address": sender,
                        }
                    },
                    "sender": {
                        "emailAddress": {
                            "name": sender.split("@", maxsplit=1)[0],
                            "address": sender,
                        }
                    },
                    "bodyPreview": "",
                    "isRead": False,
                }
            )
            return ident

    def fault_body(self, status: int) -> dict[str, Any]:
        codes = {
            401: ("InvalidAuthenticationToken", "Access token validation failure."),
            429: ("TooManyRequests", "Too many requests."),
            503: ("ServiceUnavailable", "Service unavailable."),
        }
        code, message = codes.get(status, (str(status), "injected"))
        return {"error": {"code": code, "message": message}}

    def route(self, method: str, path: str, headers: Any, raw: bytes) -> Any:
        url = urlsplit(path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        if len(parts) >= 2 and parts[0] != "v1.0":
            return self.identity(method, parts, raw)
        if parts[:2] == ["v1.0", "users"] and len(parts) >= 4 and parts[3] == "mailboxSettings":
            return self.graph(method, parts[2], parts[4:], headers, raw)
        if parts[:2] == ["v1.0", "users"] and parts[3:] == ["mailFolders", "inbox", "messages"]:
            return self.inbox(method, parts[2], url.query, headers)
        raise graph_error(400, "BadRequest", f"Resource not found for the segment '{url.path}'.")

    def identity(self, method: str, parts: list[str], raw: bytes) -> Any:
        tenant = parts[0]
        if tenant != self.tenant:
            raise Reply(
                400,
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
            )
        base = f"{self.url}/{tenant}"
        if method == "GET" and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            }
        if method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            if form.get("grant_type") != "client_credentials":
                raise Reply(
                    400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}
                )
            if form.get("scope") != GRAPH_SCOPE:
                raise Reply(400, {"error": "invalid_scope", "error_description": "AADSTS70011"})
            client = form.get("client_id", "")
            if client not in self.clients:
                raise Reply(
                    400,
                    {
                        "error": "unauthorized_client",
                        "error_description": f"AADSTS700016: Application '{client}' not found.",
                    },
                )
            if form.get("client_secret") != self.clients[client]:
                raise Reply(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided.",
                    },
                )
            claims = {"aud": "https://graph.microsoft.com", "appid": client, "roles": self.roles}
            payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            token = f"eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.{payload}.{secrets.token_urlsafe(16)}"
            self.tokens[token] = list(self.roles)
            return {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        raise Reply(404, {"error": "not_found"})

    def graph(self, method: str, user: str, rest: list[str], headers: Any, raw: bytes) -> Any:
        token = bearer(headers)
        if token is None or token not in self.tokens:
            raise graph_error(
                401, "InvalidAuthenticationToken", "Access token is empty or invalid."
            )
        roles = self.tokens[token]
        if not {"MailboxSettings.Read", "MailboxSettings.ReadWrite"} & set(roles):
            raise graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials.")
        mailbox = self.mailboxes.get(user.lower())
        if mailbox is None:
            raise graph_error(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
        context = f"https://graph.microsoft.com/v1.0/$metadata#users('{user}')/mailboxSettings"
        if method == "GET" and rest == ["automaticRepliesSetting"]:
            return {"@odata.context": context + "/automaticRepliesSetting", **mailbox}
        if method == "GET" and rest == []:
            return {
                "@odata.context": context,
                "automaticRepliesSetting": mailbox,
                "timeZone": "UTC",
            }
        if method == "PATCH" and rest == []:
            if "MailboxSettings.ReadWrite" not in roles:
                raise graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials.")
            try:
                body = json.loads(raw)
            except ValueError:
                raise graph_error(400, "RequestBodyRead", "Invalid JSON.") from None
            change = body.get("automaticRepliesSetting") if isinstance(body, dict) else None
            if not isinstance(change, dict):
                raise graph_error(400, "RequestBodyRead", "automaticRepliesSetting expected.")
            updated = self.validate(mailbox, change)
            with self.lock:
                self.mailboxes[user.lower()] = updated
            return {"@odata.context": context, "automaticRepliesSetting": updated}
        raise graph_error(405, "MethodNotAllowed", f"{method} is not allowed here.")

    def inbox(self, method: str, user: str, query: str, headers: Any) -> Any:
        """GET /users/{id}/mailFolders/inbox/messages with $filter on receivedDateTime,
        $select, $top and paging by @odata.nextLink (which carries $skip), newest first."""
        token = bearer(headers)
        if token is None or token not in self.tokens:
            raise graph_error(
                401, "InvalidAuthenticationToken", "Access token is empty or invalid."
            )
        if not {"Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic.All"} & set(self.tokens[token]):
            raise graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials.")
        if method != "GET":
            raise graph_error(405, "MethodNotAllowed", f"{method} is not allowed here.")
        if user.lower() not in self.mailboxes:
            raise graph_error(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        unknown = set(params) - {"$filter", "$select", "$top", "$skip", "$orderby"}
        if unknown:
            raise graph_error(
                400, "BadRequest", f"Query option '{sorted(unknown)[0]}' is not allowed."
            )
        start = end = None
        if "$filter" in params:
            match = GRAPH_FILTER.match(params["$filter"])
            if not match:
                raise graph_error(400, "BadRequest", f"Invalid filter clause: {params['$filter']}")
            start, end = (
                dt.datetime.fromisoformat(match[n].replace("Z", "+00:00")) for n in ("ge", "lt")
            )
        fields = MESSAGE_PROPERTIES
        if "$select" in params:
            fields = {f.strip() for f in params["$select"].split(",")}
            bad = fields - MESSAGE_PROPERTIES
            if bad or not fields:
                raise graph_error(
                    400,
                    "RequestBroker--ParseUri",
                    f"Could not find a property named '{sorted(bad)[0] if bad else ''}' on type"
                    " 'microsoft.graph.message'.",
                )
        try:
            top = int(params.get("$top", "10"))
            skip = int(params.get("$skip", "0"))
        except ValueError:
            raise graph_error(400, "BadRequest", "Invalid $top or $skip.") from None
        if not 1 <= top <= 1000 or skip < 0:
            raise graph_error(400, "BadRequest", "Invalid $top or $skip.")
        with self.lock:
            messages = list(self.inboxes.get(user.lower(), []))
        chosen = []
        for message in messages:
            received = dt.datetime.fromisoformat(message["receivedDateTime"].replace("Z", "+00:00"))
            if start is not None and end is not None and not start <= received < end:
                continue
            chosen.append(message)
        chosen.sort(key=lambda m: m["receivedDateTime"], reverse=True)
        page = chosen[skip : skip + top]
        body: dict[str, Any] = {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#users('{user}')"
            "/mailFolders('inbox')/messages",
            "value": [
                {
                    "@odata.etag": 'W/"CQAAABYAAAC"',
                    "id": m["id"],
                    **{k: v for k, v in m.items() if k in fields and k != "id"},
                }
                for m in page
            ],
        }
        if skip + top < len(chosen):
            rest = {**params, "$skip": str(skip + top)}
            body["@odata.nextLink"] = (
                f"{self.url}/v1.0/users/{quote(user, safe='@')}/mailFolders/inbox/messages?"
                + urlencode(rest, quote_via=quote)
            )
        return body

    def validate(self, current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
        unknown = set(change) - SETTING_KEYS
        if unknown:
            raise graph_error(
                400,
                "RequestBodyRead",
                f"The property '{sorted(unknown)[0]}' does not exist on type"
                " 'microsoft.graph.automaticRepliesSetting'.",
            )
        updated = dict(current)
        if "status" in change:
            value = STATUSES.get(str(change["status"]).lower())
            if value is None:
                raise graph_error(
                    400, "RequestBodyRead", f"Requested value '{change['status']}' was not found."
                )
            updated["status"] = value
        if "externalAudience" in change:
            value = AUDIENCES.get(str(change["externalAudience"]).lower())
            if value is None:
                raise graph_error(
                    400,
                    "RequestBodyRead",
                    f"Requested value '{change['externalAudience']}' was not found.",
                )
            updated["externalAudience"] = value
        for name in ("scheduledStartDateTime", "scheduledEndDateTime"):
            if name in change:
                parse_graph_time(change[name], name)
                updated[name] = dict(change[name])
        for name in ("internalReplyMessage", "externalReplyMessage"):
            if name in change:
                if not isinstance(change[name], str):
                    raise graph_error(400, "RequestBodyRead", f"'{name}' must be a string.")
                updated[name] = exchange_html(change[name]) if change[name] else ""
        if updated["status"] == "scheduled":
            start = parse_graph_time(updated["scheduledStartDateTime"], "scheduledStartDateTime")
            end = parse_graph_time(updated["scheduledEndDateTime"], "scheduledEndDateTime")
            if end <= start or end <= dt.datetime.now(dt.UTC):
                raise graph_error(
                    400,
                    "ErrorInvalidScheduledOofDuration",
                    "The scheduled duration for sending automatic replies isn't valid.",
                )
        return updated


# -- Google ---------------------------------------------------------------------------------

VACATION_KEYS = {
    "enableAutoReply",
    "responseSubject",
    "responseBodyPlainText",
    "responseBodyHtml",
    "restrictToContacts",
    "restrictToDomain",
    "startTime",
    "endTime",
}


def google_error(status: int, reason: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": reason}})


def gmail_sanitise(markup: str) -> str:
    """Gmail keeps the body's content, not the document around it."""
    markup = re.sub(r"(?is)<head>.*?</head>", "", markup)
    return re.sub(r"(?i)</?(html|body)>", "", markup).strip()


def service_account_key(folder: Path, token_uri: str) -> tuple[Path, dict[str, Any]]:
    """A throw-away service account key file in Google's JSON format."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "notices-test",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": "notices@notices-test.iam.gserviceaccount.com",
        "client_id": "109876543210987654321",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    path = folder / "service-account.json"
    path.write_text(json.dumps(info), "utf-8")
    return path, info


class Google(StandIn):
    """oauth2.googleapis.com/token (JWT-bearer grant) and gmail.googleapis.com/gmail/v1."""

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__(cert, key)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.seen.clear()
            self.accounts: dict[str, Any] = {}  # client_email -> (kid, public key, client_id)
            self.delegated: set[str] = set()  # client ids allowed domain-wide delegation
            # The scopes delegated per client id (what the admin listed for it).
            self.granted: dict[str, set[str]] = {}
            self.tokens: dict[str, str] = {}  # token -> impersonated user
            self.token_scopes: dict[str, set[str]] = {}
            self.messages: dict[str, list[dict[str, Any]]] = {}  # user -> Gmail messages
            self.assertions: list[dict[str, Any]] = []
            self.users: dict[str, dict[str, Any]] = {}

    def register(self, info: dict[str, Any], *, delegated: bool = True) -> None:
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        with self.lock:
            self.accounts[info["client_email"]] = (
                info["private_key_id"],
                key.public_key(),
                info["client_id"],
            )
            if delegated:
                self.delegated.add(info["client_id"])
            self.granted[info["client_id"]] = {GMAIL_SCOPE, GMAIL_READONLY}

    def add_message(
        self,
        address: str,
        sender: str,
        received: dt.datetime,
        subject: str = "",
        labels: tuple[str, ...] = ("INBOX", "UNREAD"),
    ) -> str:
        """A message in the user's mailbox, as the Gmail API's Message resource holds it."""
        with self.lock:
            box = self.messages.setdefault(address.lower(), [])
            ident = f"{len(box) + 1:016x}"
            box.append(
                {
                    "id": ident,
                    "threadId": ident,
                    "labelIds": list(labels),
                    "snippet": "",
                    "sizeEstimate": 2048,
                    "historyId": str(1000 + len(box)),
                    "internalDate": str(int(received.timestamp() * 1000)),
                    "payload": {
                        "mimeType": "text/plain",
                        "headers": [
                            {"name": "From", "value": f"Asiakas <{sender}>"},
                            {"name": "To", "value": address},
                            {"name": "Subject", "value": subject},
                            {
                                "name": "Date",
                                "value": received.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                            },
                            {"name": "Message-ID", "value": f"<{ident}@example.net>"},
                        ],
                    },
                }
            )
            return ident

    def add_user(self, address: str, vacation: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.users[address.lower()] = self.normalise(vacation or {"enableAutoReply": False})

    def vacation(self, address: str) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(self.users[address.lower()]))

    def fault_body(self, status: int) -> dict[str, Any]:
        reasons = {401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
        return {"error": {"code": status, "message": "injected", "status": reasons.get(status, "")}}

    def route(self, method: str, path: str, headers: Any, raw: bytes) -> Any:
        url = urlsplit(path)
        if url.path == "/token" and method == "POST":
            return self.token(raw)
        parts = [unquote(p) for p in url.path.split("/") if p]
        if parts[:3] == ["gmail", "v1", "users"] and parts[4:] == ["settings", "vacation"]:
            return self.gmail(method, parts[3], headers, raw)
        if parts[:3] == ["gmail", "v1", "users"] and parts[4:5] == ["messages"]:
            return self.messages_api(method, parts[3], parts[5:], url.query, headers)
        raise google_error(404, "NOT_FOUND", "Not Found")

    def token(self, raw: bytes) -> Any:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise Reply(
                400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            )
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            kid, public, client_id = self.accounts[unverified["iss"]]
            if header.get("kid") != kid:
                raise jwt.InvalidTokenError("unknown key id")
            claims = jwt.decode(
                assertion,
                public,
                algorithms=["RS256"],
                # Google's documented audience, whatever address the request went to.
                audience="https://oauth2.googleapis.com/token",
                options={"require": ["iss", "aud", "exp", "iat", "scope"]},
            )
        except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
            raise Reply(
                400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"}
            ) from None
        if claims["exp"] - claims["iat"] > 3600:
            raise Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT: expiry"})
        self.assertions.append({"header": header, "claims": claims})
        requested = set(str(claims["scope"]).split())
        if not requested or requested - GMAIL_SCOPES:
            raise Reply(400, {"error": "invalid_scope", "error_description": "Bad scope"})
        subject = str(claims.get("sub", ""))
        if client_id not in self.delegated or requested - self.granted.get(client_id, set()):
            raise Reply(
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using"
                    " this method, or client not authorized for any of the scopes requested.",
                },
            )
        if subject.lower() not in self.users:
            raise Reply(
                400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
            )
        token = "ya29." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = subject.lower()
            self.token_scopes[token] = requested
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def gmail(self, method: str, user: str, headers: Any, raw: bytes) -> Any:
        token = bearer(headers)
        owner = self.tokens.get(token or "")
        if owner is None:
            raise google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            )
        target = owner if user == "me" else user.lower()
        if target != owner:
            raise google_error(403, "PERMISSION_DENIED", "Delegation denied for " + owner)
        # A token a test put in `tokens` by hand is a settings token.
        if GMAIL_SCOPE not in self.token_scopes.get(token or "", {GMAIL_SCOPE}):
            raise google_error(
                403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."
            )
        if method == "GET":
            return self.vacation(target)
        if method == "PUT":
            try:
                body = json.loads(raw)
            except ValueError:
                raise google_error(
                    400, "INVALID_ARGUMENT", "Invalid JSON payload received."
                ) from None
            stored = self.normalise(body)
            with self.lock:
                self.users[target] = stored
            return json.loads(json.dumps(stored))
        raise google_error(405, "METHOD_NOT_ALLOWED", "Method not allowed")

    def messages_api(
        self, method: str, user: str, rest: list[str], query: str, headers: Any
    ) -> Any:
        """users.messages.list (q, maxResults, pageToken, labelIds, includeSpamTrash) and
        users.messages.get (format, metadataHeaders), with Google's scope rules."""
        token = bearer(headers) or ""
        owner = self.tokens.get(token)
        if owner is None:
            raise google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            )
        target = owner if user == "me" else user.lower()
        if target != owner:
            raise google_error(403, "PERMISSION_DENIED", "Delegation denied for " + owner)
        scopes = self.token_scopes.get(token, set())
        if not scopes & {GMAIL_READONLY, GMAIL_METADATA}:
            raise google_error(
                403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."
            )
        if method != "GET" or len(rest) > 1:
            raise google_error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        params = parse_qs(query, keep_blank_values=True)
        with self.lock:
            box = [json.loads(json.dumps(m)) for m in self.messages.get(target, [])]
        if rest:
            return self.message_get(box, rest[0], params, scopes)
        unknown = set(params) - {"q", "maxResults", "pageToken", "labelIds", "includeSpamTrash"}
        if unknown:
            raise google_error(
                400,
                "INVALID_ARGUMENT",
                f'Invalid JSON payload. Unknown name "{sorted(unknown)[0]}"',
            )
        q = params.get("q", [""])[-1]
        if q and GMAIL_READONLY not in scopes:
            raise google_error(
                403, "PERMISSION_DENIED", "Metadata scope does not support 'q' parameter"
            )
        after = before = None
        for term in q.split():
            match = re.fullmatch(r"(after|before):(\d+)", term)
            if not match:
                raise google_error(400, "INVALID_ARGUMENT", f"Invalid search query: {term}")
            if match[1] == "after":
                after = int(match[2])
            else:
                before = int(match[2])
        try:
            size = int(params.get("maxResults", ["100"])[-1])
            offset = int(params.get("pageToken", ["0"])[-1] or "0")
        except ValueError:
            raise google_error(400, "INVALID_ARGUMENT", "Invalid pageToken or maxResults") from None
        if not 1 <= size <= 500 or offset < 0:
            raise google_error(400, "INVALID_ARGUMENT", "Invalid maxResults")
        spam = params.get("includeSpamTrash", ["false"])[-1] == "true"
        labels = set(params.get("labelIds", []))
        chosen = []
        for message in box:
            seconds = int(message["internalDate"]) / 1000
            if after is not None and not seconds > after:
                continue
            if before is not None and not seconds < before:
                continue
            if not spam and {"SPAM", "TRASH"} & set(message["labelIds"]):
                continue
            if labels - set(message["labelIds"]):
                continue
            chosen.append(message)
        chosen.sort(key=lambda m: int(m["internalDate"]), reverse=True)
        page = chosen[offset : offset + size]
        body: dict[str, Any] = {
            "messages": [{"id": m["id"], "threadId": m["threadId"]} for m in page],
            "resultSizeEstimate": len(chosen),
        }
        if not page:
            del body["messages"]  # Google leaves an empty list out
        if offset + size < len(chosen):
            body["nextPageToken"] = str(offset + size)
        return body

    def message_get(
        self,
        box: list[dict[str, Any]],
        ident: str,
        params: dict[str, list[str]],
        scopes: set[str],
    ) -> Any:
        unknown = set(params) - {"format", "metadataHeaders"}
        if unknown:
            raise google_error(400, "INVALID_ARGUMENT", f'Unknown name "{sorted(unknown)[0]}"')
        fmt = params.get("format", ["full"])[-1]
        if fmt not in ("minimal", "full", "raw", "metadata"):
            raise google_error(400, "INVALID_ARGUMENT", f"Invalid value at 'format' ({fmt})")
        if fmt in ("full", "raw") and GMAIL_READONLY not in scopes:
            raise google_error(
                403, "PERMISSION_DENIED", f"Metadata scope doesn't allow format {fmt.upper()}"
            )
        message = next((m for m in box if m["id"] == ident), None)
        if message is None:
            raise google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if fmt == "minimal":
            message.pop("payload")
        elif fmt == "metadata":
            wanted = {h.lower() for h in params.get("metadataHeaders", [])}
            headers = message["payload"]["headers"]
            message["payload"] = {
                "mimeType": message["payload"]["mimeType"],
                "headers": [h for h in headers if not wanted or h["name"].lower() in wanted],
            }
        return message

    def normalise(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        unknown = set(body) - VACATION_KEYS
        if unknown:
            raise google_error(
                400,
                "INVALID_ARGUMENT",
                f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}": Cannot find field.',
            )
        stored: dict[str, Any] = {}
        for name in ("enableAutoReply", "restrictToContacts", "restrictToDomain"):
            if name in body:
                if not isinstance(body[name], bool):
                    raise google_error(400, "INVALID_ARGUMENT", f"Invalid value at '{name}'")
                stored[name] = body[name]
        for name in ("responseSubject", "responseBodyPlainText"):
            if body.get(name):
                stored[name] = str(body[name])
        if body.get("responseBodyHtml"):
            stored["responseBodyHtml"] = gmail_sanitise(str(body["responseBodyHtml"]))
        for name in ("startTime", "endTime"):
            if name in body and body[name] is not None:
                if not re.fullmatch(r"\d+", str(body[name])):
                    raise google_error(
                        400, "INVALID_ARGUMENT", f"Invalid value at '{name}' (TYPE_INT64)"
                    )
                stored[name] = str(int(body[name]))
        if (
            "startTime" in stored
            and "endTime" in stored
            and int(stored["startTime"]) >= int(stored["endTime"])
        ):
            raise google_error(400, "FAILED_PRECONDITION", "Start time must be before end time.")
        if stored.get("enableAutoReply") and not (
            stored.get("responseSubject")
            or stored.get("responseBodyPlainText")
            or stored.get("responseBodyHtml")
        ):
            raise google_error(
                400, "FAILED_PRECONDITION", "Vacation responder requires a subject or a body."
            )
        return stored
