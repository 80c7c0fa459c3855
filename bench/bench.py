"""Benchmarks for notices: run by hand, not in CI. See docs/benchmarks.md.

    .venv/bin/python bench/bench.py startup [--runs 15]
    .venv/bin/python bench/bench.py log [--sizes 10000,1000000] [--store postgresql]
    .venv/bin/python bench/bench.py switch [--runs 7] [--targets 1,10,50] [--store postgresql]
        [--phone-latency 0.3] [--email-latency 0.25] [--banner-latency 0.15]

`--store postgresql` runs on a PostgreSQL cluster started for the run (Debian's
`postgresql`, as the tests start it: tests/support/postgres.py), a new database per log or
per switch; the default is SQLite in the data folder.

`switch` needs Twilio's OpenAPI description: run `bash scripts/install-test-deps` once.

Every figure printed is measured on this machine in this run; nothing is estimated.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYTHON = sys.executable
# With --store postgresql: "server", a tests.support.postgres.PostgresServer.
STORE: dict[str, Any] = {}


def fresh_store() -> str | None:
    """A new, empty PostgreSQL database's URL with --store postgresql; else None (SQLite)."""
    server = STORE.get("server")
    return server.create_database() if server is not None else None


def store_name() -> str:
    return "PostgreSQL" if STORE else "SQLite"


def use_store(url: str | None) -> None:
    """The store the processes started from now on use."""
    if url is None:
        os.environ.pop("NOTICES_DATABASE_URL", None)
    else:
        os.environ["NOTICES_DATABASE_URL"] = url


NOTICES = [PYTHON, "-m", "notices"]
REPO = Path(__file__).resolve().parents[1]


def byte_compiled(*trees: Path) -> None:
    """Every module of `trees`' notices package compiled to bytecode first, as an install
    leaves it (pip compiles what it installs): without it, a machine that sets
    PYTHONDONTWRITEBYTECODE (this one does) compiles notices' own sources again in every
    process, about 0.05 s of a cold command. Measured both ways in docs/benchmarks.md."""
    for tree in trees:
        subprocess.run(
            [PYTHON, "-m", "compileall", "-q", str(tree / "notices")], check=True, env=os.environ
        )


def machine() -> str:
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    return (
        f"{platform.machine()}, {cpus} cores, Python {platform.python_version()}, load {load:.2f}"
    )


def summary(values: list[float], unit: str = "s") -> str:
    return (
        f"median {statistics.median(values):.3f} {unit}, min {min(values):.3f},"
        f" max {max(values):.3f} (n={len(values)})"
    )


def timed_runs(
    command: list[str], runs: int, env: dict[str, str], cpu: list[float] | None = None
) -> list[float]:
    """Wall time of each run; with `cpu`, also each run's CPU time (user + system), which a
    busy machine disturbs less than the wall time."""
    import resource

    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu is not None:
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times


def bench_startup(runs: int) -> None:
    home = tempfile.mkdtemp(prefix="notices-bench-")
    env = {**os.environ, "NOTICES_HOME": home}
    cases: list[tuple[str, list[str]]] = [
        ("python -c pass", [PYTHON, "-c", "pass"]),
        ("notices --help", [*NOTICES, "--help"]),
        ("notices status", [*NOTICES, "status"]),
        ("notices preview evacuate", [*NOTICES, "preview", "evacuate"]),
    ]
    print(f"start-up ({machine()})")
    for name, command in cases:
        timed_runs(command, 2, env)  # warm the file cache
        cpu: list[float] = []
        wall = timed_runs(command, runs, env, cpu)
        print(f"  {name:<26} {summary(wall)}; CPU median {statistics.median(cpu):.3f} s")


def build_log(path: Path, size: int, url: str | None = None) -> None:
    """A valid chain of `size` records, written in bulk with the log's own hash functions;
    one incident per 10,000 records."""
    import hashlib

    import rfc8785

    from notices.db import Database
    from notices.evidence.anchor import SigningKey
    from notices.evidence.log import GENESIS, canonical_record, link_hash

    database = Database(path, url=url)
    payload = {
        "changed": True,
        "artefacts": {"greeting.xml": {"sha256": "ab" * 32, "text": "Hei, tämä on tiedote. " * 20}},
    }
    payload_jcs = rfc8785.dumps(payload).decode()
    # Record 1 names the signing key, as in every data folder (`log verify` requires it).
    key = {"signing_key": SigningKey(path.parent).public_json()}
    first = (1, "2026-11-23T18:17:38.000Z", "bench", "bench-host", None, "log.started", None)
    key_jcs = rfc8785.dumps(key).decode()
    hashed = hashlib.sha256(b"\x00" + canonical_record(*first, key_jcs)).digest()
    previous = link_hash(GENESIS, hashed)
    batch = [(*first, key_jcs, hashed.hex(), previous.hex())]
    with database.transaction() as conn:
        for seq in range(2, size + 1):
            ts = "2026-11-23T18:17:39.241Z"
            args = (
                seq,
                ts,
                "bench",
                "bench-host",
                f"20261123-181739-{(seq - 1) // 10_000:04x}",
                "channel.applied",
                "phone",
            )
            hashed = hashlib.sha256(b"\x00" + canonical_record(*args, payload_jcs)).digest()
            previous = link_hash(previous, hashed)
            batch.append((*args, payload_jcs, hashed.hex(), previous.hex()))
            if len(batch) == 10_000:
                conn.executemany("INSERT INTO log VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
                batch.clear()
        if batch:
            conn.executemany("INSERT INTO log VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
    database.close()


def child_measure(code: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter; return its wall time and peak memory (MiB)."""
    wrapper = (
        "import json, resource, time\n"
        "began = time.perf_counter()\n"
        f"{code}\n"
        "print(json.dumps({'seconds': time.perf_counter() - began,"
        " 'peak_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    out = subprocess.run([PYTHON, "-c", wrapper], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the measured child failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench_log(sizes: list[int]) -> None:
    from notices.db import Database
    from notices.evidence.log import EvidenceLog

    print(f"evidence log ({machine()}); store: {store_name()}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "append.db", url=fresh_store())
        log = EvidenceLog(db, "bench", "bench-host")
        n = 2000
        began = time.perf_counter()
        for i in range(n):
            log.append(
                "channel.retry", {"attempt": i, "error": "timeout"}, incident="x", channel="phone"
            )
        rate = n / (time.perf_counter() - began)
        durable = "fsync on" if STORE else "synchronous=FULL"
        print(f"  append (one transaction each, {durable}): {rate:,.0f} records/s")
        db.close()
        for size in sizes:
            home = Path(tmp) / f"log-{size}"
            home.mkdir()
            began = time.perf_counter()
            url = fresh_store()
            use_store(url)
            build_log(home / "notices.db", size, url)
            print(f"  {size:,} records: built in {time.perf_counter() - began:.1f} s")
            verify = child_measure(
                "from pathlib import Path\nfrom notices.evidence.export import open_log\n"
                f"result = open_log(Path({str(home)!r})).verify()\nassert result.ok, result\n"
            )
            print(
                f"    log verify: {size / verify['seconds']:,.0f} records/s"
                f" ({verify['seconds']:.2f} s, peak {verify['peak_mib']:.0f} MiB)"
            )
            export = child_measure(
                "from pathlib import Path\nfrom notices.evidence.export import open_log, export\n"
                f"export(open_log(Path({str(home)!r})), Path({str(home / 'out.csv')!r}),"
                " 'csv', None)\n"
            )
            print(f"    CSV export: {export['seconds']:.2f} s, peak {export['peak_mib']:.0f} MiB")
            dossier = child_measure(
                "from pathlib import Path\nfrom zoneinfo import ZoneInfo\n"
                "from notices.evidence.export import open_log\n"
                "from notices.evidence.dossier import ExportSettings, export_dossier\n"
                "settings = ExportSettings(incident='20261123-181739-0000', since=None,"
                " until=None, lang='fi', include_personal=False,"
                " zone=ZoneInfo('Europe/Helsinki'), organisation=None, mode_titles={})\n"
                f"export_dossier(open_log(Path({str(home)!r})), Path({str(home / 'dossier')!r}),"
                " settings)\n"
            )
            print(
                f"    dossier (report.pdf, CSV, JSON Lines, manifest) of one 10,000-record"
                f" incident: {dossier['seconds']:.2f} s, peak {dossier['peak_mib']:.0f} MiB"
            )


# -- switch time and skew, against the tests' stand-ins with a set latency ---------------------

ACCOUNT = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "bench-auth-token-0f9e8d7c6b5a4938"
GRAPH_CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
GRAPH_SECRET = "bench-graph-client-secret"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CHANNELS = ("phone", "m365", "workspace", "website")


@dataclass
class Arrival:
    at: float  # time.monotonic() when the request reached the server
    server: str
    method: str
    path: str

    @property
    def changes_state(self) -> bool:
        # Token requests (POST .../token) sign in; they change nothing the customer sees.
        return self.method in STATE_CHANGING and not self.path.split("?")[0].endswith("/token")


class DelayedWeb:
    """The static web host the greeting TwiML is published to (folder publisher): answers
    after `latency` and records when each request arrived."""

    def __init__(self, root: Path, latency: float) -> None:
        import functools
        import threading
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        self.arrivals: list[tuple[float, str, str]] = []
        owner = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.arrivals.append((time.monotonic(), "GET", self.path))
                time.sleep(latency)
                super().do_GET()

        handler = functools.partial(Handler, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
        self.server.request_queue_size = 128  # the default (5) drops concurrent connections
        self.server.server_bind()
        self.server.server_activate()
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


class DelayedS3:
    """moto's S3 server (as in tests/website) behind a WSGI layer that waits `latency` before
    each request and records when it arrived."""

    def __init__(self, latency: float) -> None:
        import logging
        import threading

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = DomainDispatcherApplication(create_backend_app)
        self.arrivals: list[tuple[float, str, str]] = []

        def delayed(environ: dict[str, Any], start_response: Any) -> Any:
            self.arrivals.append(
                (time.monotonic(), environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))
            )
            time.sleep(latency)
            return app(environ, start_response)

        class Handler(MotoRequestHandler):
            # werkzeug writes headers and body apart: without TCP_NODELAY a kept-alive
            # connection's body waits up to 40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

        self.server = make_server("127.0.0.1", 0, delayed, threaded=True, request_handler=Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="eu-north-1",
            aws_access_key_id="bench-key-id",
            aws_secret_access_key="bench-secret",
            config=Config(s3={"addressing_style": "path"}),
        )


class Stage:
    """Every real channel's stand-in, each with its latency, and a config that uses them."""

    def __init__(self, tmp: Path, latency: dict[str, float]) -> None:
        sys.path.insert(0, str(REPO))
        from tests.support.cloudmail_standins import (
            Google,
            Microsoft,
            make_tls,
            service_account_key,
        )
        from tests.support.twilio_standin import TwilioStandIn

        found = sorted((REPO / ".ci/cache/phone").glob("twilio-cli-core-*/twilio_api_v2010.json"))
        if not found:
            sys.exit(
                "Twilio's OpenAPI description is missing: run `bash scripts/install-test-deps`"
            )
        self.latency = latency
        self.twilio = TwilioStandIn(found[-1]).start()
        self.twilio.latency = latency["phone"]
        self.ca, cert, key = make_tls(tmp)
        self.microsoft = Microsoft(cert, key)
        self.google = Google(cert, key)
        self.microsoft.latency = self.google.latency = latency["email"]
        self.webroot = tmp / "www"
        self.webroot.mkdir()
        self.web = DelayedWeb(self.webroot, latency["banner"])
        self.s3 = DelayedS3(latency["banner"])
        self.gmail_key, self.gmail_info = service_account_key(tmp, f"{self.google.url}/token")

    def server_latency(self, server: str) -> float:
        return {
            "twilio": self.latency["phone"],
            "greeting-host": self.latency["banner"],
            "graph": self.latency["email"],
            "google": self.latency["email"],
            "s3": self.latency["banner"],
        }[server]

    def prepare(
        self, home: Path, targets: int, counts: dict[str, int] | None = None
    ) -> dict[str, str]:
        """Fresh provider state (the customer's own settings) and a data folder that uses it:
        `targets` phone numbers and mailboxes per email channel, or per channel as `counts`
        says ({"phone": 50}: the others keep `targets`)."""
        from notices.channels.local import banner_script

        count = {"phone": targets, "m365": targets, "workspace": targets, **(counts or {})}
        home.mkdir(parents=True)
        self.twilio.reset()
        self.twilio.add_account(ACCOUNT, TWILIO_TOKEN)
        numbers = [f"PN{i:032x}" for i in range(count["phone"])]
        for i, sid in enumerate(numbers):
            self.twilio.add_number(
                ACCOUNT, sid, f"+3589{i:08d}", voice_url="https://pbx.esimerkki.fi/voice"
            )
        graph = [f"palvelu{i}@esimerkki.fi" for i in range(count["m365"])]
        gmail = [f"palvelu{i}@esimerkki.fi" for i in range(count["workspace"])]
        self.microsoft.reset()
        self.microsoft.clients[GRAPH_CLIENT] = GRAPH_SECRET
        self.google.reset()
        self.google.register(self.gmail_info)
        for mailbox in graph:
            self.microsoft.add_mailbox(mailbox)
        for mailbox in gmail:
            self.google.add_user(mailbox)
        # The site's bucket, with notices.js already published once (`notices embed --publish`).
        bucket = f"site-{home.name.lower()}"
        s3 = self.s3.client()
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
        s3.put_object(
            Bucket=bucket,
            Key="notices/notices.js",
            Body=banner_script().encode(),
            ContentType="text/javascript; charset=utf-8",
            ACL="public-read",
        )
        greeting = self.webroot / home.name
        greeting.mkdir()
        (home / "notices.toml").write_text(
            f"""
[channels.phone]
kind = "twilio_voice"
numbers = {json.dumps(numbers)}
greeting_url = "{self.web.url}/{home.name}/greeting.xml"
publisher = {{ type = "folder", path = "{greeting}" }}
api_base = "{self.twilio.url}"

[channels.m365]
kind = "email_graph"
tenant_id = "{self.microsoft.tenant}"
client_id = "{GRAPH_CLIENT}"
client_secret_env = "BENCH_GRAPH_SECRET"
mailboxes = {json.dumps(graph)}
authority_host = "{self.microsoft.url}"
graph_base = "{self.microsoft.url}/v1.0"

[channels.workspace]
kind = "email_gmail"
service_account_key_env = "BENCH_GMAIL_KEY"
mailboxes = {json.dumps(gmail)}
api_base = "{self.google.url}/gmail/v1"

[channels.website]
kind = "banner"
public_url = "{self.s3.url}/{bucket}/notices/"
[channels.website.publisher]
type = "s3"
bucket = "{bucket}"
prefix = "notices/"
endpoint_url = "{self.s3.url}"
region = "eu-north-1"
access_key_id_env = "BENCH_S3_KEY_ID"
secret_access_key_env = "BENCH_S3_SECRET"
path_style = true
acl = "public-read"
""",
            "utf-8",
        )
        return {
            **os.environ,
            "NOTICES_HOME": str(home),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "BENCH_GRAPH_SECRET": GRAPH_SECRET,
            "BENCH_GMAIL_KEY": str(self.gmail_key),
            "BENCH_S3_KEY_ID": "bench-key-id",
            "BENCH_S3_SECRET": "bench-secret",
            "SSL_CERT_FILE": str(self.ca),
        }

    def arrivals(self, began: float, ended: float) -> dict[str, list[Arrival]]:
        """Each channel's requests that arrived between `began` and `ended`, by channel."""
        with self.twilio.lock:
            twilio = list(self.twilio.state.arrivals)
        raw: list[tuple[str, str, tuple[float, str, str]]] = [
            *(("phone", "twilio", a) for a in twilio),
            *(("phone", "greeting-host", a) for a in list(self.web.arrivals)),
            *(("m365", "graph", (s.at, s.method, s.path)) for s in self.microsoft.requests()),
            *(("workspace", "google", (s.at, s.method, s.path)) for s in self.google.requests()),
            *(("website", "s3", a) for a in list(self.s3.arrivals)),
        ]
        result: dict[str, list[Arrival]] = {name: [] for name in CHANNELS}
        for channel, server, (at, method, path) in raw:
            if began <= at <= ended:
                result[channel].append(Arrival(at, server, method, path))
        for found in result.values():
            found.sort(key=lambda a: a.at)
        return result


@dataclass
class SwitchRun:
    seconds: float
    skew: float  # spread of the channels' first state-changing requests
    first_change: float  # from process start to the earliest of them
    requests: dict[str, int]
    before: dict[str, float]  # per channel: its round trips before its switching request
    after: dict[str, float]  # per channel: its switching request and the round trips after
    cpu: float  # the process's CPU time (user + system)
    output: str = ""  # what the command printed on stdout (its --json, when asked)

    @property
    def bound(self) -> float:
        """The least this run could take as implemented: channels switch together (after the
        slowest one is ready), then the slowest switch and read-back."""
        return max(self.before.values()) + max(self.after.values())


def notices_command() -> list[str]:
    """`python -m notices`: the virtualenv's `notices` script may have been made from an
    older entry point (notices.cli:main, which imports the whole CLI before the warm path
    is asked); `-m` runs this tree's notices/__main__.py, as a fresh install's script does."""
    return NOTICES


def run_timed(stage: Stage, command: list[str], env: dict[str, str]) -> SwitchRun:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    done = subprocess.run(
        [*notices_command(), *command], env=env, capture_output=True, text=True, check=False
    )
    ended = time.monotonic()
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime - usage.ru_utime + now.ru_stime - usage.ru_stime
    if done.returncode != 0:
        sys.exit(f"`notices {' '.join(command)}` failed:\n{done.stdout}\n{done.stderr}")
    seen = stage.arrivals(began, ended)
    firsts = {}
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    for channel, found in seen.items():
        changing = [a.at for a in found if a.changes_state]
        if not changing:
            sys.exit(f"{channel}: no state-changing request reached its server")
        firsts[channel] = changing[0]
        before[channel] = rounds([a for a in found if a.at < changing[0]], stage)
        after[channel] = rounds([a for a in found if a.at >= changing[0]], stage)
    return SwitchRun(
        seconds=ended - began,
        skew=max(firsts.values()) - min(firsts.values()),
        first_change=min(firsts.values()) - began,
        requests={c: len(found) for c, found in seen.items()},
        before=before,
        after=after,
        cpu=cpu,
        output=done.stdout,
    )


def rounds(found: list[Arrival], stage: Stage) -> float:
    """The time `found` must take at the least: requests that arrived together (within half
    a latency of the round's first) went in parallel and cost one round trip."""
    total, start = 0.0, -1.0
    for arrival in found:
        latency = stage.server_latency(arrival.server)
        if start < 0 or arrival.at - start > latency / 2:
            total += latency
            start = arrival.at
    return total


def bench_switch(runs: int, targets: list[int], latency: dict[str, float]) -> None:
    print(
        f"switch ({machine()}); store: {store_name()}; latency per request:"
        f" phone {latency['phone']:.3f} s,"
        f" email {latency['email']:.3f} s, banner/web host {latency['banner']:.3f} s"
    )
    # The floor: the slowest channel's three round trips (snapshot read, update, read-back).
    floor = 3 * max(latency.values())
    with tempfile.TemporaryDirectory(prefix="notices-bench-") as tmp:
        stage = Stage(Path(tmp), latency)
        counter = itertools.count()
        for n in targets:
            results: dict[str, list[SwitchRun]] = {"evacuate": [], "resume": []}
            for _ in range(runs):
                home = Path(tmp) / f"home{next(counter)}"
                env = stage.prepare(home, n)
                url = fresh_store()
                if url is not None:
                    env["NOTICES_DATABASE_URL"] = url
                results["evacuate"].append(
                    run_timed(stage, ["evacuate", "--for", "4h", "--yes"], env)
                )
                results["resume"].append(run_timed(stage, ["resume", "--yes"], env))
            print(
                f"  {n} phone number(s), {n} mailbox(es) per email channel;"
                f" load {os.getloadavg()[0]:.2f}"
            )
            for command, found in results.items():
                wall = statistics.median([r.seconds for r in found])
                bound = statistics.median([r.bound for r in found])
                print(f"    {command}: wall {summary([r.seconds for r in found])}")
                print(
                    f"      lower bound {floor:.3f} s (3 round trips at the slowest latency):"
                    f" ratio {wall / floor:.2f}, over it by {wall - floor:.3f} s"
                )
                print(
                    f"      bound as implemented {bound:.3f} s (slowest preparation + slowest"
                    f" switch and read-back, from the requests counted): ratio {wall / bound:.2f}"
                )
                last = found[-1]
                print(
                    "      requests: "
                    + ", ".join(
                        f"{c} {last.requests[c]} ({last.before[c]:.2f} s before its switching"
                        f" request, {last.after[c]:.2f} s from it)"
                        for c in CHANNELS
                    )
                )
                print(f"      CPU of the process: {summary([r.cpu for r in found])}")
                firsts = summary([r.first_change for r in found])
                print(f"      first switching request after {firsts}")
                print(f"      skew {summary([r.skew * 1000 for r in found], 'ms')}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    startup = sub.add_parser("startup")
    startup.add_argument("--runs", type=int, default=15)
    log = sub.add_parser("log")
    log.add_argument("--sizes", default="10000,1000000")
    log.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    switch = sub.add_parser("switch")
    switch.add_argument("--runs", type=int, default=7)
    switch.add_argument("--targets", default="1", help="e.g. 1,10,50")
    switch.add_argument("--phone-latency", type=float, default=0.3)
    switch.add_argument("--email-latency", type=float, default=0.25)
    switch.add_argument("--banner-latency", type=float, default=0.15)
    switch.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    byte_compiled(REPO)
    if getattr(args, "store", "sqlite") == "postgresql":
        sys.path.insert(0, str(REPO))
        from tests.support.postgres import PostgresServer

        STORE["server"] = PostgresServer(fsync=True).start()
    benches: dict[str, Callable[[], None]] = {
        "startup": lambda: bench_startup(args.runs),
        "log": lambda: bench_log([int(s) for s in args.sizes.split(",")]),
        "switch": lambda: bench_switch(
            args.runs,
            [int(n) for n in args.targets.split(",")],
            {
                "phone": args.phone_latency,
                "email": args.email_latency,
                "banner": args.banner_latency,
            },
        ),
    }
    try:
        benches[args.what]()
    finally:
        if STORE:
            STORE["server"].stop()


if __name__ == "__main__":
    main()
