"""Real parts for the website banner: a static HTTP server and headless Chromium (Playwright
driving Debian's chromium); moto's S3 server and OpenSSH's sshd are shared
(tests/conftest.py). Each starts once per session on a free loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.support.website import (
    CHROMIUM,
    CHROMIUM_ARGS,
    StaticSite,
    site_page,
)


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticSite]:
    root = tmp_path_factory.mktemp("www")
    site = StaticSite(root, 0)

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            status = site.failing.get(self.path.split("?")[0])
            if status:
                self.send_error(status)
                return
            super().do_GET()

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-deps")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(
    notices, home: Path, static_site: StaticSite, request: pytest.FixtureRequest
) -> Iterator[tuple[StaticSite, str]]:
    """A banner channel publishing into a folder of the static web server."""
    name = request.node.name.replace("[", "_").replace("]", "")
    folder = static_site.folder(name)
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f"""
[organisation]
name = "Esimerkki Oy"
alternative_contact = "puh. 09 123 4567 tai asiakaspalvelu@esimerkki.fi"
[channels.website]
kind = "banner"
public_url = "{static_site.url(name)}/"
[channels.website.publisher]
type = "folder"
path = "{folder}"
""",
        "utf-8",
    )
    embed = notices("embed", "--publish")
    assert embed.exit_code == 0, embed.stdout + embed.stderr
    snippet = embed.stdout.strip()
    assert snippet == f'<script src="{static_site.url(name)}/notices.js" defer></script>'
    fast = snippet.replace(" defer>", ' data-interval="1" defer>')
    for lang in ("fi", "sv", "en"):
        (folder / f"page-{lang}.html").write_text(site_page(lang, fast), "utf-8")
        (folder / f"cookies-{lang}.html").write_text(site_page(lang, fast, dimmer=True), "utf-8")
    yield static_site, name
    static_site.failing.clear()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    """A fresh browser tab that records script errors and console errors and warnings."""
    context = browser.new_context()
    tab = context.new_page()
    tab.js_errors = []  # type: ignore[attr-defined]
    tab.console_problems = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda error: tab.js_errors.append(str(error)))  # type: ignore[attr-defined]
    tab.on(
        "console",
        lambda message: (
            tab.console_problems.append(f"{message.type}: {message.text}")  # type: ignore[attr-defined]
            if message.type in ("error", "warning")
            else None
        ),
    )
    yield tab
    context.close()
