"""Plain web servers on loopback and what the tests know of them: a folder served at a URL
(a customer's static host, a CDN that may serve an old copy), and a listener that never
answers (a hung server)."""

from __future__ import annotations

from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler
from pathlib import Path


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class WebRoot:
    """A web server for published files, as a customer's static host would serve them."""

    root: Path
    url: str


@dataclass
class Site:
    root: Path
    port: int

    def folder(self, name: str) -> tuple[Path, str]:
        """A folder of its own and the URL it is served at."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path, f"http://127.0.0.1:{self.port}/{name}/"


@dataclass
class Silent:
    port: int
