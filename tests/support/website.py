"""Real hosts for the website banner, as the tests know them: a static web server over a
folder, OpenSSH's sshd with SFTP, moto's S3 server, and headless Chromium's command line."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

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
