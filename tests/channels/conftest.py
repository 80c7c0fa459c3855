"""Small real servers for the channel-contract tests: a static web server (a CDN that may
serve an old copy) and TCP listeners that never answer. Each starts once per session on a
free loopback port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer

import pytest

from tests.support.loopback import QuietHandler, Silent, Site


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("cdn")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(root, int(server.server_address[1]))
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def silent() -> Iterator[Silent]:
    """Accepts every connection and never sends a byte (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield Silent(int(listener.getsockname()[1]))
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.fixture
def unreachable() -> Iterator[int]:
    """A port whose accept queue is full, so a new connection is never completed (like a
    firewall that drops packets): connecting hangs until the client's own time limit."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    probe = socket.socket()
    probe.settimeout(0.5)
    try:
        probe.connect(("127.0.0.1", port))
    except OSError:
        pass
    else:  # pragma: no cover - this kernel completes connections past the backlog
        pytest.skip("cannot make a loopback connection hang on this machine")
    finally:
        probe.close()
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


@pytest.fixture(scope="session")
def closing() -> Iterator[int]:
    """Accepts every connection and closes it at once (a server going down)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    listener.close()
