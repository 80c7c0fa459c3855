"""Network failures, bounded and said in plain words. Shared by every provider channel.

Connect and read time-outs of HTTP libraries bound each socket operation, not an answer:
a server that sends one byte every few seconds never trips them. So each request also
gets a deadline for its whole answer:

- httpx (Microsoft 365, Gmail): `DeadlineTransport` wraps the transport;
- requests (Twilio): `deadline_hook` reads the body under the deadline;
- anything else (botocore for S3): `within` runs the call in a daemon thread and gives up
  after the deadline (the thread dies with the process).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from notices.errors import TransientChannelError

if TYPE_CHECKING:
    import httpx
    import requests

T = TypeVar("T")

_DNS = (
    "name or service not known",
    "temporary failure in name resolution",
    "nodename nor servname",
    "getaddrinfo failed",
    "no address associated",
    "name resolution",
)


def plain(exc: BaseException, host: str | None = None, seconds: float | None = None) -> str:
    """What went wrong on the network, in words a stressed person understands."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(f"{type(e).__name__} {e}" for e in seen).lower()
    where = f" {host}" if host else ""
    if any(isinstance(e, socket.gaierror) for e in seen) or any(m in text for m in _DNS):
        return f"the host name{where} cannot be found (DNS lookup failed)"
    if any(isinstance(e, ConnectionRefusedError) for e in seen) or "refused" in text:
        return f"the server{where} refused the connection (nothing listens there)"
    if "never finished" in text:
        return f"the server{where} kept sending without finishing its answer" + (
            f" within {seconds:g} s" if seconds else ""
        )
    if any(isinstance(e, TimeoutError) for e in seen) or "timed out" in text or "timeout" in text:
        return f"the server{where} did not answer " + (
            f"within {seconds:g} s" if seconds else "in time"
        )
    if "reset" in text or "closed" in text or "disconnected" in text:
        return f"the server{where} closed the connection"
    return f"cannot reach the server{where} ({type(exc).__name__})"


class AnswerNeverFinished(TimeoutError):
    """An answer kept coming past its deadline."""

    def __init__(self, host: str, seconds: float) -> None:
        super().__init__(f"the answer from {host} never finished within {seconds:g} s")


# -- httpx ---------------------------------------------------------------------------------


def deadline_client(timeout: float, connections: int = 20) -> httpx.Client:
    """An httpx client whose every answer must be complete within `timeout` seconds, with
    one keep-alive pool of up to `connections` connections (httpx keeps 20 by default)."""
    import httpx

    limits = httpx.Limits(
        max_connections=max(100, connections), max_keepalive_connections=connections
    )
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        # Duck-typed: httpx is imported lazily, so this class cannot subclass BaseTransport.
        transport=cast(
            Any, DeadlineTransport(httpx.HTTPTransport(trust_env=True, limits=limits), timeout)
        ),
    )


class DeadlineTransport:
    """Wraps an httpx transport: the body must have arrived `seconds` after the request."""

    def __init__(self, inner: Any, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    def __enter__(self) -> DeadlineTransport:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import httpx

        started = time.monotonic()
        response: httpx.Response = self.inner.handle_request(request)
        inner_stream = response.stream
        host = request.url.host
        seconds = self.seconds

        class Stream(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                for chunk in inner_stream:  # type: ignore[union-attr]
                    if time.monotonic() - started > seconds:
                        raise httpx.ReadTimeout(
                            str(AnswerNeverFinished(host, seconds)), request=request
                        )
                    yield chunk

            def close(self) -> None:
                close = getattr(inner_stream, "close", None)
                if close is not None:
                    close()

        response.stream = Stream()
        return response

    def close(self) -> None:
        self.inner.close()


# -- requests ------------------------------------------------------------------------------

_started = threading.local()


def mark_start() -> None:
    """Start this thread's deadline: call just before sending a request."""
    _started.at = time.monotonic()


def deadline_hook(seconds: float) -> Callable[..., requests.Response]:
    """A requests `response` hook that reads the body, failing once `seconds` have passed
    since `mark_start()` (or since the headers arrived, if it was not called)."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        import requests

        started = getattr(_started, "at", None) or time.monotonic()
        host = urlsplit(response.url).hostname or "the server"
        import urllib3

        chunks = []
        try:
            # read1: what has arrived, not a fixed amount (which would wait for it).
            while chunk := response.raw.read1(8192, decode_content=True):
                chunks.append(chunk)
                if time.monotonic() - started > seconds:
                    response.close()
                    raise requests.ReadTimeout(str(AnswerNeverFinished(host, seconds)))
        except urllib3.exceptions.HTTPError as exc:  # hooks run outside requests' own wrapping
            raise requests.ConnectionError(str(exc)) from exc
        # What requests itself would have stored had it read the body.
        response._content = b"".join(chunks)
        response._content_consumed = True
        return response

    return hook


# -- anything else -------------------------------------------------------------------------


def within(seconds: float, call: Callable[[], T], what: str) -> T:
    """Run `call`, giving up after `seconds`: the call goes on in a daemon thread, which ends
    with the process, while the caller gets a TransientChannelError."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name=f"notices {what}")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TransientChannelError(f"{what}: no complete answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
