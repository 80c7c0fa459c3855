"""`notices serve`'s HTTP against what the internet sends: raw sockets on loopback."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from notices.serve import READ_TIMEOUT_S

pytestmark = pytest.mark.integration


def exchange(address: str, request: bytes, body: bytes = b"", timeout: float = 5) -> bytes:
    """Send `request` (then `body`, as far as the server takes it); all it answers."""
    parts = urlsplit(address)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(request)
        if body:
            with contextlib.suppress(OSError):  # the server answered and closed, as it should
                sock.sendall(body)
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text("ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post(length: str) -> bytes:
    return (
        f"POST /_notices/sms HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    ).encode()


@pytest.fixture
def site(serve, notices, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        '[sms]\nenabled = true\npublic_url = "https://example.test"\nnumber = "+358931234567"\n'
        '[[sms.staff]]\nname = "Maija"\nnumber = "+358401111111"\n'
    )
    server = serve()
    assert notices("evacuate", "--yes").exit_code == 0
    return server


def test_a_bad_content_length_is_refused_at_once_without_memory(site):
    before = rss_kib(site.process.pid)
    took = []
    for length in ("-1", "-1", "-1", "abc", " 1 2", "99999999999999999999"):
        began = time.monotonic()
        answer = exchange(site.address, post(length), body=bytes(4 * 1024 * 1024))
        took.append(time.monotonic() - began)
        assert status_of(answer) == 400, (length, answer[:200])
    grown_mib = (rss_kib(site.process.pid) - before) / 1024
    print(f"bad Content-Length: slowest answer {max(took):.3f} s; RSS grew {grown_mib:.1f} MiB")
    assert max(took) < 1.0, took
    assert grown_mib < 10, grown_mib
    big = exchange(site.address, post(str(10**9)))
    assert status_of(big) == 413


def test_head_sends_no_body_and_nul_gets_400(site):
    get = exchange(site.address, b"GET /status.json HTTP/1.0\r\n\r\n")
    head = exchange(site.address, b"HEAD /status.json HTTP/1.0\r\n\r\n")
    assert status_of(get) == status_of(head) == 200
    headers, _, body = head.partition(b"\r\n\r\n")
    assert body == b"" and b"Content-Length: " in headers, head
    assert get.partition(b"\r\n\r\n")[2].startswith(b"{")
    for path in (b"/%00", b"/status.json%00", b"/%0d%0a"):
        answer = exchange(site.address, b"GET " + path + b" HTTP/1.0\r\n\r\n")
        assert status_of(answer) == 400, (path, answer[:200])
    assert site.process.poll() is None


def test_only_the_sites_own_files_are_served(site, home):
    assert (home / "site" / "mail" / "active.sieve").exists()
    (home / "site" / ".status.json.tmp").write_text("{}")
    for path in ("/mail/active.sieve", "/mail/", "/.status.json.tmp", "/%2e%2e/notices.db"):
        answer = exchange(site.address, f"GET {path} HTTP/1.0\r\n\r\n".encode())
        assert status_of(answer) == 404, (path, answer[:200])
    for path in ("/status.json", "/notice.html", "/notices.js", "/greeting.xml"):
        assert status_of(exchange(site.address, f"GET {path} HTTP/1.0\r\n\r\n".encode())) == 200


def test_health_tells_only_this_machine_more_than_ok(site, home):
    def health(extra: str = "") -> dict:
        answer = exchange(site.address, f"GET /_notices/health HTTP/1.0\r\n{extra}\r\n".encode())
        return json.loads(answer.partition(b"\r\n\r\n")[2])

    assert health()["pid"] == site.process.pid
    # Through the HTTPS proxy, the internet: only that it is up.
    proxied = health("X-Forwarded-For: 203.0.113.9\r\n")
    assert proxied == {"ok": True, "role": "serve"}
    assert str(home) not in json.dumps(proxied)


def test_healthz_gives_the_role_for_a_load_balancer(site):
    answer = exchange(
        site.address, b"GET /healthz HTTP/1.0\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
    )
    assert status_of(answer) == 200
    # One `serve` on its data folder (SQLite) or alone on a store: it leads.
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {"ok": True, "role": "leader"}


def test_a_half_sent_request_is_closed_after_the_read_timeout(site):
    parts = urlsplit(site.address)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(b"GET /status.json HTTP/1.1\r\nHost: x\r\n")  # never finished
        began = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server
        waited = time.monotonic() - began
    assert READ_TIMEOUT_S - 1 < waited < READ_TIMEOUT_S + 5, waited
    # Meanwhile and after, everyone else is served.
    assert status_of(exchange(site.address, b"GET /status.json HTTP/1.0\r\n\r\n")) == 200
