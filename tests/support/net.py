"""Loopback networking for the servers the tests start: a free port, waiting for one, and
an HTTP answer that never ends."""

from __future__ import annotations

import socket
import subprocess
import time
from http.server import BaseHTTPRequestHandler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def drip(handler: BaseHTTPRequestHandler, every: float, limit: float = 20.0) -> None:
    """Headers at once, then a JSON body a byte at a time that never completes (within
    `limit` seconds, when the stand-in gives up): per-read time-outs never fire."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", "1000000")
    handler.end_headers()
    deadline = time.monotonic() + limit
    try:
        handler.wfile.write(b"{")
        handler.wfile.flush()
        while time.monotonic() < deadline:
            time.sleep(every)
            handler.wfile.write(b" ")
            handler.wfile.flush()
    except OSError:
        pass  # the client gave up: as it should
    handler.close_connection = True
