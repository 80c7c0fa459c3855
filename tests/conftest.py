"""Fixtures for every folder: a data folder of its own and the CLI, in-process or as a
process. Below them, the servers several folders share (the Twilio stand-in and a web host,
the SMS gateway, Microsoft 365 and Gmail, moto's S3, Dovecot), so that each starts once per
session. The stand-ins and helpers themselves are in tests/support/."""

from __future__ import annotations

import functools
import getpass
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from notices import cli
from tests.support.cloudmail import CLIENT_ID, GRAPH_SECRET
from tests.support.cloudmail_standins import Google, Microsoft, make_tls, service_account_key
from tests.support.dovecot import (
    CONFIG,
    DOMAIN,
    MAILBOXES,
    PASSWORD,
    Dovecot,
    Sink,
    wait_for_greeting,
)
from tests.support.log import query
from tests.support.loopback import QuietHandler, WebRoot
from tests.support.net import free_port, wait_for_port
from tests.support.postgres import PostgresServer
from tests.support.postgres import wanted as postgres_wanted
from tests.support.sms import PIN, Gateway, sms_config
from tests.support.twilio import ACCOUNT, TOKEN, description_path
from tests.support.twilio_standin import TwilioStandIn
from tests.support.wait import wait_until
from tests.support.website import S3Server, SshServer, keygen


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.stdout)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, tests of SQLite's own files are skipped, saying why."""
    if not postgres_wanted():
        return
    skip = pytest.mark.skip(reason="inspects SQLite's own files; this pass runs on PostgreSQL")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster on loopback for the session, started on first use."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """Every test gets its own data folder; nothing from the developer's machine leaks in.
    With NOTICES_TEST_STORE=postgresql, the folder's store is a new PostgreSQL database."""
    data = tmp_path / "home"
    monkeypatch.setenv("NOTICES_HOME", str(data))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NOTICES_ACTOR", "test-operator")
    for name in (
        "NOTICES_CONFIG",
        "NOTICES_FAULT_INJECT",
        "NOTICES_DATABASE_URL",
        "NOTICES_SIGNING_KEY_FILE",
        "NOTICES_PERSONAL_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    if not postgres_wanted():
        yield data
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database()
    monkeypatch.setenv("NOTICES_DATABASE_URL", url)
    yield data
    server.drop_database(url)


@pytest.fixture
def notices() -> Iterator[Callable[..., Run]]:
    """Run the CLI in-process, exactly as `notices ARGS...` would."""
    runner = CliRunner()
    registered = list(cli.app.registered_commands)

    def run(*args: str, input: str | None = None) -> Run:
        cli.register_configured_modes(list(args))
        result = runner.invoke(cli.app, list(args), input=input, prog_name="notices")
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    yield run
    cli.app.registered_commands[:] = registered


@pytest.fixture
def notices_process() -> Callable[..., subprocess.Popen[str]]:
    """Start the CLI as a separate process (for crashes and races)."""

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        import os

        return subprocess.Popen(
            [sys.executable, "-m", "notices", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    return start


# -- Twilio's stateful stand-in, and a web host for the greeting (phone, evidence, reliability)


@pytest.fixture(scope="session")
def standin_server() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn(description_path()).start()
    yield server
    server.stop()


@pytest.fixture
def twilio(standin_server: TwilioStandIn, monkeypatch: pytest.MonkeyPatch) -> TwilioStandIn:
    """The stand-in, emptied, with our account and its credentials in the environment."""
    standin_server.reset()
    standin_server.add_account(ACCOUNT, TOKEN)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    return standin_server


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebRoot]:
    root = tmp_path_factory.mktemp("webroot")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield WebRoot(root, f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@pytest.fixture
def web(web_server: WebRoot, request: pytest.FixtureRequest) -> WebRoot:
    """A folder of its own for this test, and the URL it is served at."""
    name = request.node.name.replace("[", "-").replace("]", "")
    folder = web_server.root / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return WebRoot(folder, f"{web_server.url}/{name}")


# -- `notices serve` with the SMS gate, and the Twilio stand-in it replies through (sms, voice)


@pytest.fixture(scope="session")
def sms_twilio() -> Iterator[TwilioStandIn]:
    server = TwilioStandIn(description_path()).start()
    yield server
    server.stop()


@pytest.fixture
def gateway(home: Path, sms_twilio: TwilioStandIn) -> Iterator[Callable[..., Gateway]]:
    started: list[subprocess.Popen[str]] = []

    def start(*, unset: tuple[str, ...] = (), **overrides: Any) -> Gateway:
        """`serve` with [sms] overrides; `unset`: environment variables it must not have."""
        sms_twilio.reset()
        sms_twilio.add_account(ACCOUNT, TOKEN)
        home.mkdir(parents=True, exist_ok=True)
        (home / "notices.toml").write_text(sms_config(sms_twilio.url, **overrides), "utf-8")
        env = {
            **os.environ,
            "NOTICES_HOME": str(home),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "NOTICES_PIN_OSKARI": PIN,
        }
        for name in ("TWILIO_EDGE", "TWILIO_REGION", "NOTICES_ACTOR", *unset):
            env.pop(name, None)
        process = subprocess.Popen(
            [sys.executable, "-m", "notices", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        started.append(process)
        rows = wait_until(
            lambda: (
                process.poll() is None
                and query(
                    home / "notices.db",
                    "SELECT address FROM scheduler_heartbeat WHERE pid = ? AND stopped IS NULL",
                    (process.pid,),
                )
            ),
            15,
            "notices serve to start",
        )
        return Gateway(process, home, rows[0][0], sms_twilio)

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=10)


# -- Microsoft 365 and Gmail stand-ins over TLS, reset for each test (email_cloud, reliability)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def microsoft_server(tls: tuple[Path, Path, Path]) -> Iterator[Microsoft]:
    server = Microsoft(tls[1], tls[2])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def google_server(tls: tuple[Path, Path, Path]) -> Iterator[Google]:
    server = Google(tls[1], tls[2])
    yield server
    server.stop()


@pytest.fixture
def trust(tls: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Our HTTP client (httpx) trusts the throw-away CA through SSL_CERT_FILE, as it would a
    company's own CA bundle."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))


@pytest.fixture
def microsoft(
    microsoft_server: Microsoft, trust: None, monkeypatch: pytest.MonkeyPatch
) -> Microsoft:
    microsoft_server.reset()
    microsoft_server.clients[CLIENT_ID] = GRAPH_SECRET
    monkeypatch.setenv("TEST_GRAPH_SECRET", GRAPH_SECRET)
    return microsoft_server


@pytest.fixture
def google(
    google_server: Google, trust: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Google:
    google_server.reset()
    path, info = service_account_key(tmp_path, f"{google_server.url}/token")
    google_server.register(info)
    google_server.key_info = info  # type: ignore[attr-defined]
    monkeypatch.setenv("TEST_GMAIL_KEY", str(path))
    return google_server


# -- moto's S3 server (website, reliability)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.moto_server import werkzeug_app
    from moto.server import ThreadedMotoServer

    # As a real bucket does: CORS headers only from the bucket's own CORS rules (moto's
    # server otherwise allows every origin, and a missing rule would go unnoticed).
    werkzeug_app.DISABLE_GLOBAL_CORS = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    yield S3Server(port)
    server.stop()


# -- Dovecot with ManageSieve and an SMTP sink for its vacation replies (email, reliability)


# -- OpenSSH's sshd with SFTP (website, evidence witness)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    sshd_binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd_binary).exists():
        pytest.fail("sshd is missing: run scripts/install-test-deps")
    keys = tmp_path_factory.mktemp("sshd")
    host_key = keys / "host_key"
    user_key = keys / "user_key"
    host_public = keygen(host_key)
    user_public = keygen(user_key)
    (keys / "authorized_keys").write_text(user_public + "\n")
    port = free_port()
    username = getpass.getuser()
    config = keys / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {keys}/sshd.pid\n"
        f"AuthorizedKeysFile {keys}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    process = subprocess.Popen(
        [sshd_binary, "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        known_hosts = keys / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {host_public}\n")
        yield SshServer(port, username, user_key, known_hosts, host_public, keys)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


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
        wait_for_greeting(server.sieve_port, b"OK", process, base)
        wait_for_greeting(server.lmtp_port, b"220", process, base)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        folder.cleanup()
