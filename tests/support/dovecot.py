"""A real Dovecot (LMTP, ManageSieve, Pigeonhole) and an SMTP sink for its vacation replies,
as the tests know them. One Dovecot per session (the fixture is in tests/conftest.py), with a
throw-away configuration in a temporary folder on free loopback ports; each test gets its own
mailbox (user), so tests never share Sieve state.
"""

from __future__ import annotations

import itertools
import smtplib
import socket
import subprocess
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

DOMAIN = "esimerkki.fi"
PASSWORD = "kissa-kala-123"
MAILBOXES = 40


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


def wait_for_greeting(
    port: int, expect: bytes, process: subprocess.Popen[bytes], base: Path
) -> None:
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
