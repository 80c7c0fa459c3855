"""Real hosts for the website banner, as the tests know them: a static web server over a
folder, OpenSSH's sshd with SFTP, moto's S3 server, and headless Chromium's command line."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class StaticSite:
    """A plain web server over a folder, like the host a company's site lives on."""

    root: Path
    port: int
    failing: dict[str, int] = field(default_factory=dict)  # URL path -> HTTP status

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class SshServer:
    port: int
    username: str
    user_key: Path
    known_hosts: Path
    host_public_key: str
    keys: Path


def keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "notices-test", "-f", str(path)],
        check=True,
    )
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


@dataclass
class S3Server:
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="eu-north-1",
            aws_access_key_id="test-key-id",
            aws_secret_access_key="test-secret",
            config=Config(s3={"addressing_style": "path"}),
        )


# A company page as site owners make them: a hard CSS reset (every element unset), a sticky
# header with its own controls, long content to scroll, and, when asked, a cookie consent
# dimmer at z-index 2147483646 placed after the snippet (OneTrust's way).
SITE_PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Esimerkki Oy</title>
<style>
*:where(:not(html, iframe, canvas, img, svg, video, audio):not(svg *, symbol *)) {{
  all: unset; display: revert; }}
*, *::before, *::after {{ box-sizing: border-box; }}
a, button {{ cursor: revert; }}
body {{ margin: 0; font: 16px/1.5 Georgia, serif; }}
p {{ color: #555; }} div {{ background: yellow; }}
header {{ position: sticky; top: 0; z-index: 1000; display: flex; gap: 1rem;
  align-items: center; height: 56px; padding: 0 1rem; background: #fff;
  border-bottom: 1px solid #ccc; }}
main {{ display: block; padding: 1rem; }}
section {{ display: block; margin: 0 0 1rem; }}
footer {{ display: block; padding: 1rem; background: #eee; }}
#cookie-dimmer {{ position: fixed; inset: 0; z-index: 2147483646; background: rgba(0,0,0,.6); }}
#cookie-dialog {{ position: absolute; left: 50%; top: 50%; transform: translate(-50%, -50%);
  width: min(90vw, 24rem); padding: 1rem; background: #fff; color: #000; }}
</style>
</head>
<body>
<header><h1 id="heading">Esimerkki Oy</h1><button id="menu" type="button">Valikko</button></header>
<main>
<p id="content">Tervetuloa asiakaspalveluumme.</p>
<button id="counter" type="button" onclick="this.textContent = Number(this.textContent) + 1">0</button>
{sections}
<section id="hours"><h2>Aukioloajat</h2><p>Ma-pe 8-16.</p></section>
{sections}
</main>
<footer><a id="footer-link" href="#heading">Sivun alkuun</a></footer>
{snippet}
{dimmer}
</body>
</html>
"""
FILLER = "<section><p>" + "Palvelemme asiakkaitamme kaikissa asioissa. " * 12 + "</p></section>"
DIMMER = """<div id="cookie-dimmer"><div id="cookie-dialog" role="dialog" aria-label="Evästeet">
<p>Sallitko evästeet?</p><button type="button" id="cookie-ok"
onclick="document.getElementById('cookie-dimmer').remove()">Hyväksy</button></div></div>"""


def site_page(lang: str, snippet: str, dimmer: bool = False) -> str:
    return SITE_PAGE.format(
        lang=lang, snippet=snippet, sections=FILLER * 6, dimmer=DIMMER if dimmer else ""
    )


def open_page(
    page: Page, site: tuple[StaticSite, str], lang: str = "fi", kind: str = "page"
) -> None:
    """Open the test page (`kind` "cookies": the one with the consent dimmer) in `lang`."""
    from playwright.sync_api import expect

    static, name = site
    page.goto(static.url(f"{name}/{kind}-{lang}.html"))
    expect(page.locator("#content")).to_be_visible()
