"""A real Dovecot (LMTP, ManageSieve, Pigeonhole) and an SMTP sink for its vacation replies.

One Dovecot per session, with a throw-away configuration in a temporary folder on free
loopback ports; each test gets its own mailbox (user), so tests never share Sieve state.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

DOMAIN = "esimerkki.fi"
PASSWORD = "kissa-kala-123"
MAILBOXES = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Sink:
    """What Dovecot sent out (vacation replies), in arrival order."""

    replies: list[Reply] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        with self.lock:
            self.replies.append(
                Reply(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[attr-defined, arg-type]
            )
        return "250 OK"

    def to(self, address: str) -> list[Reply]:
        with self.lock:
            return [r for r in self.replies if address in r.recipients]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
protocols = lmtp sieve
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/home/%u allow_all_users=yes
}}
mail_location = maildir:~/Maildir
lda_mailbox_autocreate = yes
submission_host = 127.0.0.1:{smtp}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service managesieve-login {{
  inet_listener sieve {{
    address = 127.0.0.1
    port = {sieve}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}
"""


@dataclass
class Dovecot:
    base: Path
    sieve_port: int
    lmtp_port: int
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_user(self, password: str) -> str:
        """A fresh mailbox; returns its address (which is also its login).

        Every mailbox is in the users file from the start: Dovecot notices a changed file by
        its time stamp, which misses changes within the same second."""
        number = next(self.counter)
        assert number <= MAILBOXES, "raise MAILBOXES"
        assert password == PASSWORD
        return f"palvelu{number}@{DOMAIN}"

    def home(self, user: str) -> Path:
        return self.base / "home" / user

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def deliver(self, sender: str, user: str, subject: str) -> None:
        """One mail over LMTP, as the MTA would hand it to Dovecot."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = user
        message["Subject"] = subject
        message["Message-ID"] = f"<{uuid.uuid4().hex}@asiakas.example>"
        message.set_content("Hei, kysyisin laskustani.\n")
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            refused = lmtp.sendmail(sender, [user], message.as_bytes())
        assert not refused, refused

    def folder(self, user: str, name: str) -> list[Path]:
        """The messages delivered into one Maildir folder ("INBOX" or a folder name)."""
        maildir = self.home(user) / "Maildir"
        path = maildir if name == "INBOX" else maildir / f".{name}"
        return sorted((path / "new").glob("*")) if (path / "new").exists() else []

    def sieve_client(self, user: str, password: str):  # type: ignore[no-untyped-def]
        """A ManageSieve session as the user's webmail would open it."""
        from sievelib.managesieve import Client

        client = Client("127.0.0.1", self.sieve_port)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            assert client.connect(user, password), client.errmsg
        return client


def _wait_for(port: int, expect: bytes, process: subprocess.Popen[bytes], base: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"dovecot exited: {(base / 'dovecot.log').read_text(errors='replace')}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                greeting = b""
                while b"\n" not in greeting or (expect == b"OK" and b"OK" not in greeting):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    greeting += chunk
                if expect in greeting:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not greet on port {port}")


@pytest.fixture(scope="session")
def dovecot(smtp_sink: tuple[Sink, int]) -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not Path(binary).exists():
        pytest.fail("dovecot is not installed: run scripts/install-test-deps")
    if os.geteuid() != 0:
        pytest.skip("the Dovecot tests start Dovecot as root (it switches to its own users)")
    # Not under pytest's temporary folder: that is private to root, and Dovecot's own users
    # must reach the files.
    folder = tempfile.TemporaryDirectory(prefix="notices-dovecot-")
    base = Path(folder.name)
    base.chmod(0o755)
    internal = pwd.getpwnam("dovecot")
    (base / "home").mkdir()
    os.chown(base / "home", internal.pw_uid, internal.pw_gid)
    (base / "users").write_text(
        "".join(f"palvelu{n}@{DOMAIN}:{{PLAIN}}{PASSWORD}\n" for n in range(1, MAILBOXES + 1))
    )
    server = Dovecot(base, free_port(), free_port())
    conf = base / "dovecot.conf"
    conf.write_text(
        CONFIG.format(base=base, smtp=smtp_sink[1], lmtp=server.lmtp_port, sieve=server.sieve_port)
    )
    process = subprocess.Popen(
        [binary, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(server.sieve_port, b"OK", process, base)
        _wait_for(server.lmtp_port, b"220", process, base)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        folder.cleanup()
