"""Issue 20's figures, side by side in one run against the stand-ins (bench.py's Stage):

    .venv/bin/python bench/side_by_side.py [--runs 5] [--base /tmp/base]
        [--phone-latency 0.3] [--email-latency 0.25] [--banner-latency 0.15]

Each round, on fresh provider state and a fresh data folder (opened once by `status`
first, as an office's data folder is before the day it is needed):

- cold `evacuate` and `resume`, 1 target per channel, no `serve`; and a cold `evacuate` as
  the first command of the day (Microsoft's sign-in metadata, kept a day, not kept);
- warm `evacuate` and `resume`, the same with `notices serve` running for the folder (started
  before, given 3 s to start and sign in);
- cold and warm `evacuate` with 50 phone numbers and 50 mailboxes per email channel; per
  channel, its elapsed time against the 1-target run's (the `--json` result's `elapsed_ms`);
- the same with 50 targets on one kind alone (50 numbers; 50 Graph mailboxes; 50 Gmail
  mailboxes), the other channels at 1: that channel's time and the command's;
- `notices --help` and `notices status` of this tree and of `--base` (a worktree of the
  commit to compare with), alternating, with the same interpreter.

Reported as medians with min and max, as ratios to the lower bound measured in the same run
(3 round trips at the slowest latency), with the load average before and after.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (  # bench.py is a sibling script, not a package
    CHANNELS,
    NOTICES,
    REPO,
    Stage,
    SwitchRun,
    byte_compiled,
    machine,
    run_timed,
    summary,
    timed_runs,
)

SWITCH = ["evacuate", "--for", "4h", "--yes", "--json"]
ALONE = ("phone", "m365", "workspace")  # the channels that have several targets
RESUME = ["resume", "--yes", "--json"]


def with_tree(env: dict[str, str], tree: Path) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(tree)}


def opened(env: dict[str, str]) -> None:
    """The data folder opened once (database, keys), as before the day it is needed."""
    subprocess.run([*NOTICES, "status"], env=env, capture_output=True, check=False)


def start_serve(env: dict[str, str], home: Path) -> subprocess.Popen[str]:
    serve = subprocess.Popen(
        [*NOTICES, "serve", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not (home / "serve.sock").exists():
        if time.monotonic() > deadline or serve.poll() is not None:
            sys.exit("notices serve did not start")
        time.sleep(0.05)
    time.sleep(3)  # signed in (the warm-up runs at once), connections open
    return serve


def stop(serve: subprocess.Popen[str]) -> None:
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=30)


def elapsed(run: SwitchRun) -> dict[str, float]:
    result = json.loads(run.output)
    return {c["name"]: c["elapsed_ms"] / 1000 for c in result["channels"]}


def process_cpu(pid: int) -> float:
    """A running process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """This process's CPU time: the stand-ins answering, mostly."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Results:
    def __init__(self) -> None:
        self.runs: dict[str, list[SwitchRun]] = {}
        self.startup: dict[str, list[float]] = {}
        # Per case: CPU of `serve` (warm) and of the stand-ins during the command.
        self.cpu: dict[str, list[tuple[float, float]]] = {}

    def add(self, name: str, run: SwitchRun) -> None:
        self.runs.setdefault(name, []).append(run)

    def timed(
        self,
        name: str,
        stage: Stage,
        command: list[str],
        env: dict[str, str],
        serve: subprocess.Popen[str] | None = None,
    ) -> None:
        serve_before = process_cpu(serve.pid) if serve else 0.0
        ours_before = own_cpu()
        self.add(name, run_timed(stage, command, env))
        serve_cpu = process_cpu(serve.pid) - serve_before if serve else 0.0
        self.cpu.setdefault(name, []).append((serve_cpu, own_cpu() - ours_before))


def one_round(stage: Stage, tmp: Path, counter: itertools.count[int], results: Results) -> None:
    def fresh(targets: int, counts: dict[str, int] | None = None) -> tuple[Path, dict[str, str]]:
        home = tmp / f"home{next(counter)}"
        env = with_tree(stage.prepare(home, targets, counts), REPO)
        opened(env)
        return home, env

    _, env = fresh(1)
    results.timed("cold evacuate", stage, SWITCH, env)
    results.timed("cold resume", stage, RESUME, env)

    # The first command of the day: Microsoft's sign-in metadata no longer kept (a day).
    home, env = fresh(1)
    shutil.rmtree(home / "cache")
    results.timed("cold evacuate, first of the day", stage, SWITCH, env)

    home, env = fresh(1)
    serve = start_serve(env, home)
    try:
        results.timed("warm evacuate", stage, SWITCH, env, serve)
        results.timed("warm resume", stage, RESUME, env, serve)
    finally:
        stop(serve)

    _, env = fresh(50)
    results.timed("cold evacuate, 50 targets", stage, SWITCH, env)
    home, env = fresh(50)
    serve = start_serve(env, home)
    try:
        results.timed("warm evacuate, 50 targets", stage, SWITCH, env, serve)
    finally:
        stop(serve)

    # Each kind alone: 50 numbers, or 50 mailboxes on one email channel, the others 1.
    for channel in ALONE:
        _, env = fresh(1, {channel: 50})
        results.timed(f"cold evacuate, 50 targets on {channel} alone", stage, SWITCH, env)
        home, env = fresh(1, {channel: 50})
        serve = start_serve(env, home)
        try:
            results.timed(
                f"warm evacuate, 50 targets on {channel} alone", stage, SWITCH, env, serve
            )
        finally:
            stop(serve)


def startup_round(base: Path, tmp: Path, results: Results, runs: int) -> None:
    env = {**os.environ, "NOTICES_HOME": str(tmp / "startup-home")}
    for label, tree in (("base", base), ("this", REPO)):
        for name, args in (("--help", ["--help"]), ("status", ["status"])):
            tree_env = with_tree(env, tree)
            timed_runs([*NOTICES, *args], 1, tree_env)  # the file cache
            cpu: list[float] = []
            timed_runs([*NOTICES, *args], runs, tree_env, cpu)
            results.startup.setdefault(f"{name} {label}", []).extend(cpu)


def report(results: Results, floor: float) -> None:
    print(f"  lower bound (3 round trips at the slowest latency): {floor:.3f} s")
    for name, found in results.runs.items():
        walls = [r.seconds for r in found]
        wall = statistics.median(walls)
        print(f"  {name}: wall {summary(walls)}")
        print(
            f"    ratio to the bound {wall / floor:.2f} (over it by {wall - floor:.3f} s);"
            f" CPU {summary([r.cpu for r in found])}"
        )
        print(f"    skew {summary([r.skew * 1000 for r in found], 'ms')}")
        print(f"    first switching request after {summary([r.first_change for r in found])}")
        spent = results.cpu.get(name, [])
        if any(serve for serve, _ in spent):
            print(f"    CPU of serve {summary([serve for serve, _ in spent])}")
        print(f"    CPU of the stand-ins (the bench process) {summary([s for _, s in spent])}")
    for mode in ("cold", "warm"):
        one, fifty = results.runs[f"{mode} evacuate"], results.runs[f"{mode} evacuate, 50 targets"]
        for channel in CHANNELS:
            a = statistics.median([elapsed(r)[channel] for r in one])
            b = statistics.median([elapsed(r)[channel] for r in fifty])
            print(f"  {mode} {channel}: 1 target {a:.3f} s, 50 targets {b:.3f} s: x{b / a:.2f}")
        a = statistics.median([r.seconds for r in one])
        b = statistics.median([r.seconds for r in fifty])
        print(f"  {mode} evacuate as a whole: 50 targets / 1 target x{b / a:.2f}")
        for channel in ALONE:
            alone = results.runs[f"{mode} evacuate, 50 targets on {channel} alone"]
            a = statistics.median([elapsed(r)[channel] for r in one])
            b = statistics.median([elapsed(r)[channel] for r in alone])
            whole = statistics.median([r.seconds for r in alone])
            single = statistics.median([r.seconds for r in one])
            print(
                f"  {mode} {channel} alone: 1 target {a:.3f} s, 50 targets {b:.3f} s:"
                f" x{b / a:.2f}; the command {whole:.3f} s: x{whole / single:.2f}"
            )
    for name, cpu in results.startup.items():
        print(f"  {name}: CPU {summary(cpu)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--base", type=Path, default=Path("/tmp/base"))
    parser.add_argument("--phone-latency", type=float, default=0.3)
    parser.add_argument("--email-latency", type=float, default=0.25)
    parser.add_argument("--banner-latency", type=float, default=0.15)
    args = parser.parse_args()
    byte_compiled(REPO, args.base)
    latency = {"phone": args.phone_latency, "email": args.email_latency}
    latency["banner"] = args.banner_latency
    print(f"side by side ({machine()}), latency {latency}")
    results = Results()
    with tempfile.TemporaryDirectory(prefix="notices-bench-") as tmp:
        stage = Stage(Path(tmp), latency)
        counter = itertools.count()
        for number in range(args.runs):
            one_round(stage, Path(tmp), counter, results)
            startup_round(args.base, Path(tmp), results, args.startup_runs)
            print(f"  round {number + 1} done, load {os.getloadavg()[0]:.2f}", flush=True)
    print(f"after the run: load {os.getloadavg()[0]:.2f}")
    report(results, 3 * max(latency.values()))


if __name__ == "__main__":
    main()
