"""`notices serve`: the long-lived process. One per data folder, on an always-on machine.

It holds the scheduler (notices/schedule.py: automatic resumes, heartbeat, checkpoints) and
serves on HTTP:

- the data folder's site/ (notice.html, status.json, greeting.xml, notices.js), never
  cached, and /sample.html, a page with the banner script;
- POST /_notices/reconcile, the nudge commands send after changing a plan;
- with `[sms]`, the staff webhooks /_notices/sms and /_notices/voice (notices/staff/).

It stays on the standard library's http.server, run on loopback behind the HTTPS proxy
(docs/scheduler.md), hardened where the stdlib is not: a strict Content-Length (400 for a
negative, absurd or non-numeric one), a read time-out per request, HEAD without a body, 400
for a path with NUL or control characters, only the site's own files served (not `mail/`,
no dotfiles, no folders), and a health answer that tells the internet only "ok". A server
such as uvicorn or waitress would bring its own event loop or worker model into the process
that runs the scheduler, new dependencies to keep current, and a rewrite of the staff
webhooks on the worst day's critical path; what it would fix is fixed here, in one file,
with tests (tests/scheduler/test_http.py).
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files as package_files
from pathlib import Path
from typing import Any, Protocol

from notices.db import Database
from notices.errors import StateError, UsageError
from notices.leader import Leadership
from notices.paths import SMS_PATH, VOICE_PATH
from notices.plans import read_heartbeat
from notices.schedule import CHECKPOINT_SECONDS, RESUME_RETRY_SECONDS, resume_retry, say
from notices.staff.webhook import StaffWebhook
from notices.timeparse import utc_stamp

DEFAULT_PORT = 8787
MAX_WEBHOOK_BYTES = 64 * 1024
READ_TIMEOUT_S = 10.0  # a request not complete in this long is dropped
# The only files of site/ anyone may fetch: what browsers, the banner script and Twilio read.
SERVED_SUFFIXES = (".html", ".js", ".json", ".xml")
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")

SAMPLE_PAGE = """<!doctype html>
<html lang="fi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>notices: sample page</title>
<script src="/notices.js" data-interval="5" defer></script>
</head>
<body>
<main>
<h1>Esimerkkisivu / Exempelsida / Sample page</h1>
<p>This page includes <code>notices.js</code> once, as a real site would. While an incident is
on, the banner appears above this text; after <code>notices resume</code> it goes away.</p>
</main>
</body>
</html>
"""

INDEX_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>notices serve</title></head>
<body>
<h1>notices serve</h1>
<ul>
<li><a href="/sample.html">sample.html</a>: a page with the banner script</li>
<li><a href="/notice.html">notice.html</a>: the standalone notice (while an incident is on)</li>
<li><a href="/status.json">status.json</a>, <a href="/greeting.xml">greeting.xml</a></li>
</ul>
</body>
</html>
"""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "text/xml; charset=utf-8",
    ".sieve": "application/sieve; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """The data folder's site/, never cached; plus /sample.html and the reconcile nudge."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}  # noqa: RUF012
    timeout = READ_TIMEOUT_S  # on the socket: a half-sent request is closed after it
    wake: Callable[[], None] = staticmethod(lambda: None)
    health: Callable[[], dict[str, Any]] = staticmethod(dict)
    # /healthz for a load balancer: (store reachable, this node's role).
    healthz: Callable[[], tuple[bool, str]] = staticmethod(lambda: (True, "leader"))
    staff: StaffWebhook | None = None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if not _clean_path(path):
            self.send_error(HTTPStatus.BAD_REQUEST)
        elif path == "/":
            self._send(200, INDEX_PAGE.encode(), CONTENT_TYPES[".html"])
        elif path == "/sample.html":
            self._send(200, SAMPLE_PAGE.encode(), CONTENT_TYPES[".html"])
        elif path == "/_notices/health":
            # The process's details (pid, data folder) for this machine only; through the
            # proxy (which adds X-Forwarded-For) or from elsewhere, just "ok".
            local = self.client_address[0] in LOOPBACK and not (
                self.headers.get("X-Forwarded-For") or self.headers.get("Forwarded")
            )
            found = type(self).health() if local else {}
            body = json.dumps({"ok": True, "role": "serve", **found}).encode()
            self._send(200, body, "application/json")
        elif path == "/healthz":
            reachable, role = type(self).healthz()
            body = json.dumps({"ok": reachable, "role": role}).encode()
            self._send(200 if reachable else 503, body, "application/json")
        elif path == "/notices.js" and not (Path(self.directory) / "notices.js").exists():
            # Before the first incident the site has no notices.js yet: serve ours.
            script = package_files("notices").joinpath("static/notices.js").read_bytes()
            self._send(200, script, CONTENT_TYPES[".js"])
        elif not _served(path):
            self.send_error(HTTPStatus.NOT_FOUND)
        else:
            # Files change within a second; a 304 by mtime could serve a stale notice.
            del self.headers["If-Modified-Since"]
            if self.command == "HEAD":
                super().do_HEAD()  # the headers only
            else:
                super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()  # every answer checks self.command: HEAD sends no body

    def do_POST(self) -> None:
        if self.path == "/_notices/reconcile":
            type(self).wake()
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()
        elif self.path.split("?", 1)[0] in (SMS_PATH, VOICE_PATH) and type(self).staff is not None:
            length = _content_length(self.headers.get("Content-Length"))
            if length is None:
                self.close_connection = True
                self.send_error(HTTPStatus.BAD_REQUEST, "bad Content-Length")
                return
            if length > MAX_WEBHOOK_BYTES:
                self.close_connection = True
                self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return
            staff = type(self).staff
            assert staff is not None
            signature = self.headers.get("X-Twilio-Signature")
            status, body, content_type = staff.handle(self.path, signature, self.rfile.read(length))
            self._send(status, body, content_type)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def store_reachable(home: Path) -> bool:
    """The store answers: PostgreSQL within a few seconds, or notices.db opens."""
    from notices.errors import StorageError
    from notices.store.url import store_url

    url = store_url(home)
    if url is not None:
        from notices.store.postgres import reachable

        return reachable(url)
    try:
        database = Database(home / "notices.db", read_only=True)
    except StorageError:
        return False
    try:
        database.query("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure of the store is "unreachable" here
        return False
    finally:
        database.close()
    return True


def _content_length(value: str | None) -> int | None:
    """The body's length: digits only (no sign, no spaces inside), else None."""
    if value is None:
        return 0
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def _clean_path(path: str) -> bool:
    """No NUL or other control character, raw or %-encoded: a 400, never a traceback."""
    from urllib.parse import unquote

    decoded = unquote(path, errors="replace")
    return not any(ord(c) < 32 or ord(c) == 127 for c in path + decoded)


def _served(path: str) -> bool:
    """A file of site/ that callers and browsers need: in site/ itself (not `mail/`, no
    folders), not hidden (no temporary files), of a kind a browser or Twilio reads."""
    from urllib.parse import unquote

    name = unquote(path).lstrip("/")
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and not name.startswith(".")
        and name.endswith(SERVED_SUFFIXES)
    )


class Companion(Protocol):
    """Something `serve` runs beside its scheduler, started and stopped with it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Server:
    """`notices serve`: the scheduler, the heartbeat and the local site, in one process."""

    def __init__(
        self,
        home: Path,
        config: Path | None,
        host: str,
        port: int,
        checkpoint_every: float = CHECKPOINT_SECONDS,
        resume_retry_s: float = RESUME_RETRY_SECONDS,
        companions: Sequence[Companion] = (),
    ) -> None:
        resume_retry.first_s = resume_retry_s  # read by the job function, in this process
        self.checkpoint_every = checkpoint_every
        self.home = home.resolve()
        self.config = config.resolve() if config else None
        self.host = host
        self.port = port
        self.started = utc_stamp(datetime.now(UTC))
        # What runs beside the scheduler for as long as it does (the warm path's socket).
        self.companions = list(companions)

    def run(self) -> None:
        from filelock import FileLock, Timeout

        self.home.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.home / "serve.lock", timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise StateError(self._already_running()) from None
        try:
            self._run_locked()
        finally:
            lock.release()

    def _already_running(self) -> str:
        database = Database(self.home / "notices.db")
        try:
            beat = read_heartbeat(database)
        finally:
            database.close()
        who = f" (pid {beat.pid} on {beat.host}, {beat.address})" if beat else ""
        return (
            f"another `notices serve` is already running for {self.home}{who}; only one may"
            " run per data folder, so that no resume runs twice"
        )

    def _listen(self, handler: type[SiteHandler], site: Path) -> ThreadingHTTPServer:
        try:
            httpd = ThreadingHTTPServer((self.host, self.port), partial(handler, directory=site))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror}; choose another"
                " port with --port"
            ) from None
        httpd.daemon_threads = True
        return httpd

    def _run_locked(self) -> None:
        site = self.home / "site"
        site.mkdir(parents=True, exist_ok=True)
        scheduler = Leadership(self.home, self.config, self.checkpoint_every, self.started)
        staff = StaffWebhook(self.home, self.config)
        handler = type(
            "Handler",
            (SiteHandler,),
            {
                "staff": staff,
                "wake": staticmethod(scheduler.wake),
                "health": staticmethod(
                    lambda: {"pid": os.getpid(), "home": str(self.home), "started": self.started}
                ),
                "healthz": staticmethod(lambda: (store_reachable(self.home), scheduler.role)),
            },
        )
        try:
            httpd = self._listen(handler, site)
        except UsageError:
            staff.close()
            scheduler.close()
            raise
        host = f"[{self.host}]" if ":" in self.host else self.host
        address = f"http://{host}:{httpd.server_address[1]}/"
        try:
            for companion in self.companions:
                companion.start()
            scheduler.start(address)
            self._install_signals(httpd)
            say(
                f"notices serve: data folder {self.home}; scheduler running;"
                f" site at {address} (sample.html, notice.html)"
            )
            httpd.serve_forever(poll_interval=0.2)
        finally:
            # A resume in progress finishes before we go; so does an SMS command.
            for companion in self.companions:
                companion.stop()
            scheduler.stop()
            httpd.server_close()
            staff.close()
            scheduler.close()
            say("notices serve stopped")

    def _install_signals(self, httpd: ThreadingHTTPServer) -> None:
        def stop(signum: int, frame: Any) -> None:
            # shutdown() waits for serve_forever, which runs on this (the main) thread.
            threading.Thread(target=httpd.shutdown, daemon=True).start()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
