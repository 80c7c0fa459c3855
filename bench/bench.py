"""Benchmarks for notices: run by hand, not in CI. See docs/benchmarks.md.

    .venv/bin/python bench/bench.py startup [--runs 15]
    .venv/bin/python bench/bench.py log [--sizes 10000,1000000]

Every figure printed is measured on this machine in this run; nothing is estimated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PYTHON = sys.executable
NOTICES = [PYTHON, "-m", "notices"]


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


def timed_runs(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - began)
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
        print(f"  {name:<26} {summary(timed_runs(command, runs, env))}")


def build_log(path: Path, size: int) -> None:
    """A valid chain of `size` records, written in bulk with the log's own hash functions."""
    import hashlib

    import rfc8785

    from notices.db import Database
    from notices.log import GENESIS, canonical_record, link_hash

    database = Database(path)
    payload = {
        "changed": True,
        "artefacts": {"greeting.xml": {"sha256": "ab" * 32, "text": "Hei, tämä on tiedote. " * 20}},
    }
    payload_jcs = rfc8785.dumps(payload).decode()
    previous = GENESIS
    batch = []
    with database.transaction() as conn:
        for seq in range(1, size + 1):
            ts = "2026-11-23T18:17:39.241Z"
            args = (
                seq,
                ts,
                "bench",
                "bench-host",
                "20261123-181739-beef",
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
    out = subprocess.run([PYTHON, "-c", wrapper], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench_log(sizes: list[int]) -> None:
    from notices.db import Database
    from notices.log import EvidenceLog

    print(f"evidence log ({machine()})")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "append.db")
        log = EvidenceLog(db, "bench", "bench-host")
        n = 2000
        began = time.perf_counter()
        for i in range(n):
            log.append(
                "channel.retry", {"attempt": i, "error": "timeout"}, incident="x", channel="phone"
            )
        rate = n / (time.perf_counter() - began)
        print(f"  append (one transaction each, synchronous=FULL): {rate:,.0f} records/s")
        db.close()
        for size in sizes:
            home = Path(tmp) / f"log-{size}"
            home.mkdir()
            began = time.perf_counter()
            build_log(home / "notices.db", size)
            print(f"  {size:,} records: built in {time.perf_counter() - began:.1f} s")
            verify = child_measure(
                "from pathlib import Path\nfrom notices.evidence import open_log\n"
                f"result = open_log(Path({str(home)!r})).verify()\nassert result.ok, result\n"
            )
            print(
                f"    log verify: {size / verify['seconds']:,.0f} records/s"
                f" ({verify['seconds']:.2f} s, peak {verify['peak_mib']:.0f} MiB)"
            )
            export = child_measure(
                "from pathlib import Path\nfrom notices.evidence import open_log, export\n"
                f"export(open_log(Path({str(home)!r})), Path({str(home / 'out.csv')!r}),"
                " 'csv', None)\n"
            )
            print(f"    CSV export: {export['seconds']:.2f} s, peak {export['peak_mib']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    startup = sub.add_parser("startup")
    startup.add_argument("--runs", type=int, default=15)
    log = sub.add_parser("log")
    log.add_argument("--sizes", default="10000,1000000")
    args = parser.parse_args()
    benches: dict[str, Callable[[], None]] = {
        "startup": lambda: bench_startup(args.runs),
        "log": lambda: bench_log([int(s) for s in args.sizes.split(",")]),
    }
    benches[args.what]()


if __name__ == "__main__":
    main()
