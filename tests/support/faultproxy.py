"""A plain HTTP proxy in front of an S3-compatible server (moto's), injecting faults the way
S3 answers them: an XML <Error> with S3's code, a Retry-After, a slow answer, or an answer
that never ends; or a provider's own error whose body a test writes from the request's
headers (`answer`: a proxy echoing Authorization, say). Everything else is forwarded
unchanged."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.net import drip

S3_CODES = {
    401: "Unauthorized",
    403: "AccessDenied",
    404: "NoSuchBucket",
    429: "SlowDown",
    500: "InternalError",
    503: "ServiceUnavailable",
}


@dataclass
class ProxyFault:
    status: int = 0
    retry_after: str | None = None
    delay: float = 0.0
    drip: float = 0.0
    times: int = 1_000
    # With `status`: the JSON body to answer, made from the request's headers.
    answer: Callable[[Mapping[str, str]], dict[str, Any]] | None = None


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.fault: ProxyFault | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def inject(self, fault: ProxyFault) -> None:
        with self.lock:
            self.fault = fault

    def clear(self) -> None:
        with self.lock:
            self.fault = None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _take(self) -> ProxyFault | None:
        with self.lock:
            fault = self.fault
            if fault is None or fault.times <= 0:
                return None
            fault.times -= 1
            return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._take()
                if fault is not None:
                    if fault.delay:
                        time.sleep(fault.delay)
                    if fault.drip:
                        drip(self, fault.drip)
                        return
                    if fault.status and fault.answer is not None:
                        data = json.dumps(fault.answer(dict(self.headers.items()))).encode()
                        self.send_response(fault.status)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        return
                    if fault.status:
                        code = S3_CODES.get(fault.status, str(fault.status))
                        data = (
                            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
                            f"{code}</Code><Message>injected {fault.status}</Message></Error>"
                        ).encode()
                        self.send_response(fault.status)
                        self.send_header("Content-Type", "application/xml")
                        self.send_header("Content-Length", str(len(data)))
                        if fault.retry_after:
                            self.send_header("Retry-After", fault.retry_after)
                        self.end_headers()
                        self.wfile.write(data)
                        return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

        return Handler
