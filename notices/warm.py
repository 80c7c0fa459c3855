"""The warm path, the CLI's side (serve's is notices/cli/warm_server.py): `evacuate`,
`power-out` (and configured modes), `resume` and `extend` handed to the `notices serve` of the
same data folder on this machine, whose providers' clients are already imported, signed in
and connected. `python -m notices` and the `notices` script ask here before the CLI itself
(typer, rich, every command) is imported.

`serve` listens on a Unix domain socket, `serve.sock` in the data folder (mode 0600, the
data folder's owner; never a TCP port). A switching command connects to it; the
socket is refused (and the command runs here, as it would without `serve`) when it is a
symlink, not a socket, open to others, or owned by anyone but the data folder's owner, and
when the process listening on it (SO_PEERCRED) runs as another user. `serve` runs the very
same command (this package's typer app, which calls `notices.commands`) with its consoles
printing to the socket, and the CLI prints what comes back as it comes: the same lines,
the same `--json`, the same exit code. The log records the actor (the caller's
NOTICES_ACTOR, else the user SO_PEERCRED names), host and command a direct run records,
and `via: serve` with the caller's uid and pid in `command.started`.

No socket, nobody listening, or `serve` declining (another configuration): the command runs
here. `serve` gone mid-command: the CLI says so and exits 1; the incident is left as a
killed command leaves it, and the next command finishes it (docs/reliability.md).

One connection per command, one JSON object per line:

    CLI -> serve   {"argv": [...], "config": "...", "actor": ..., "ssh": ..., "width": ...,
                    "tty": true}
    serve -> CLI   {"accepted": true, "pid": 123}  or  {"accepted": false, "why": "..."}
                   {"out": "..."} / {"err": "..."}  as the command prints
                   {"ask": "Switch ... now?"}  ->  CLI -> serve {"answer": true}
                   {"exit": 0}
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

# Only what `--help` and `status` need anyway is imported here: they ask hand_over too.
if TYPE_CHECKING:
    import socket
    from typing import IO

SOCKET_NAME = "serve.sock"
WARM_COMMANDS = ("evacuate", "power-out", "resume", "extend")
# The CLI's other commands: never handed over, and no configuration read to find out.
OTHER_COMMANDS = ("status", "serve", "log", "check", "preview", "init", "embed", "callbacks")
MAX_LINE = 64 * 1024
CONNECT_TIMEOUT_S = 2.0
ACCEPT_TIMEOUT_S = 10.0
WARM_EVERY_S = 60.0  # tokens are renewed well before they expire (minutes before)
PEERCRED = "3i"  # struct ucred: pid, uid, gid


def socket_path(home: Path) -> Path:
    return home / SOCKET_NAME


# -- the CLI's side ---------------------------------------------------------------------


class Where(NamedTuple):
    """A switching command's arguments without --home/--config, its data folder and the
    --config given."""

    argv: list[str]
    home: Path
    config: Path | None


def switching(args: list[str]) -> Where | None:
    """Where a switching command (a mode, `resume`, `extend`) runs; None for any other
    command (--help, status and the rest: not a word more read)."""
    if not args or args[0].startswith("-") or args[0] in OTHER_COMMANDS:
        return None
    modes = [] if args[0] in WARM_COMMANDS else configured_modes(args)
    if not _warm_command(args, modes):
        return None
    return _where(args)


def hand_over(args: list[str], where: Where | None = None) -> int | None:
    """Run the command in `serve` if one listens for its data folder: its exit code, or
    None to run it here (not a switching command, no `serve`, or refused). `where`:
    `switching(args)`, when the caller has it already.
    Called before the CLI (typer, rich) is even imported: this module needs only the
    standard library and notices.paths."""
    where = where or switching(args)
    if where is None:
        return None
    argv, home, explicit = where
    path = socket_path(home)
    refusal = refuse(path, home)
    if refusal == "":
        return None
    if refusal is not None:
        _warn(f"not handing the command to `notices serve`: {refusal}; running it here")
        return None
    connection = _connect(path, home)
    if connection is None:
        return None
    with connection:
        return _converse(connection, argv, home, explicit)


def _warm_command(args: list[str], modes: list[str]) -> bool:
    if not args or args[0] not in (*WARM_COMMANDS, *modes):
        return False
    if "--help" in args:
        return False
    return not (args[0] == "resume" and any(a == "--at" or a.startswith("--at=") for a in args))


def _where(args: list[str]) -> Where:
    """The arguments without --home/--config, the data folder, the --config given."""
    from notices.paths import default_home

    values: dict[str, str] = {}
    rest: list[str] = []
    words = iter(args)
    for word in words:
        name, equals, value = word.partition("=")
        if name in ("--home", "--config"):
            values[name] = value if equals else next(words, "")
        else:
            rest.append(word)
    home_text = values.get("--home") or os.environ.get("NOTICES_HOME")
    config_text = values.get("--config") or os.environ.get("NOTICES_CONFIG")
    home = Path(home_text) if home_text else default_home()
    return Where(rest, home.absolute(), Path(config_text).absolute() if config_text else None)


def refuse(path: Path, home: Path) -> str | None:
    """Why the socket at `path` must not be used: "" when there is none, None when it may."""
    import stat

    try:
        info = os.lstat(path)
        owner = os.stat(home).st_uid
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link, not serve's socket"
    if not stat.S_ISSOCK(info.st_mode):
        return f"{path} is not a socket"
    if info.st_uid != owner:
        return f"{path} belongs to uid {info.st_uid}, not to the data folder's owner (uid {owner})"
    if info.st_mode & 0o077:
        return f"{path} is open to others (mode {stat.S_IMODE(info.st_mode):04o}, not 0600)"
    return None


def _connect(path: Path, home: Path) -> socket.socket | None:
    import socket
    import struct

    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(CONNECT_TIMEOUT_S)
    try:
        connection.connect(str(path))
    except OSError:  # nobody listening: serve is gone (its socket stays behind a kill -9)
        connection.close()
        return None
    size = struct.calcsize(PEERCRED)
    _, uid, _ = struct.unpack(
        PEERCRED, connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
    )
    owner = os.stat(home).st_uid
    if uid != owner:
        connection.close()
        _warn(
            f"not handing the command to `notices serve`: the process listening on {path} runs"
            f" as uid {uid}, not as the data folder's owner (uid {owner}); running it here"
        )
        return None
    return connection


def _converse(
    connection: socket.socket, argv: list[str], home: Path, explicit: Path | None
) -> int | None:
    import json

    from notices.paths import config_path

    config = config_path(home, explicit)
    request = {
        "argv": argv,
        "config": str(config.absolute()) if config else None,
        "actor": os.environ.get("NOTICES_ACTOR"),
        "ssh": os.environ.get("SSH_CLIENT"),
        "width": _width(),
        "tty": sys.stdin.isatty(),  # serve asks its questions here
    }
    reader = connection.makefile("rb")
    try:
        connection.sendall(json.dumps(request).encode() + b"\n")
        connection.settimeout(ACCEPT_TIMEOUT_S)
        answer = json.loads(reader.readline(MAX_LINE) or b"{}")
    except (OSError, ValueError):
        return None  # serve did not take it: nothing was done there
    if not answer.get("accepted"):
        if answer.get("why"):
            _warn(f"`notices serve` did not take the command ({answer['why']}); running it here")
        return None
    connection.settimeout(None)  # a switch takes as long as its providers take
    return _relay(reader, connection, argv[0], answer.get("pid"))


def _relay(reader: IO[bytes], connection: socket.socket, command: str, pid: object) -> int:
    """Print what serve's command prints, as it comes, and answer its questions on this
    terminal; its exit code."""
    try:
        return _relayed(reader, connection, command, pid)
    except KeyboardInterrupt:
        sys.stdout.flush()
        _warn(
            f"interrupted here; `notices serve` (pid {pid}) goes on with `{command}` to its"
            " end (a question it asked is answered no). `notices status` shows where it is.",
            "note",
        )
        return 130


def _relayed(reader: IO[bytes], connection: socket.socket, command: str, pid: object) -> int:
    import json

    while True:
        try:
            line = reader.readline()
            message = json.loads(line) if line else None
        except (OSError, ValueError):
            message = None
        if not isinstance(message, dict):
            sys.stdout.flush()
            _warn(
                f"`notices serve` (pid {pid}) stopped before `{command}` finished. What it had"
                " done is in the log; `notices status` shows each channel, and running the"
                f" command again (it runs here while serve is down) finishes what is missing.",
                "error",
            )
            return 1
        if "exit" in message:
            return int(message["exit"])
        if "ask" in message:
            import contextlib

            answer = _ask(str(message["ask"]))
            with contextlib.suppress(OSError):  # serve is gone: the next line read says so
                connection.sendall(json.dumps({"answer": answer}).encode() + b"\n")
        for key, stream in (("out", sys.stdout), ("err", sys.stderr)):
            if key in message:
                stream.write(str(message[key]))
                stream.flush()


def _ask(question: str) -> bool:
    """A yes/no question on this terminal, as the CLI asks it (default no)."""
    from notices.masking import printable

    sys.stdout.write(f"{printable(question)} [y/N]: ")
    sys.stdout.flush()
    try:
        line = sys.stdin.readline()
    except (OSError, KeyboardInterrupt):
        return False
    return line.strip().lower() in ("y", "yes")


def _width() -> int | None:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return None


def _warn(text: str, label: str = "note") -> None:
    """A line on stderr, masked and without control characters (no console loaded yet)."""
    from notices.masking import printable

    sys.stderr.write(f"{label}: {printable(text)}\n")
    sys.stderr.flush()


def configured_modes(argv: list[str]) -> list[str]:
    """Modes a notices.toml adds, read cheaply so they can be commands. Errors wait for later."""
    import itertools
    import tomllib

    from notices.paths import BUILTIN_MODE_NAMES, config_path, default_home, is_mode_name

    explicit = None
    home = None
    for flag, value in itertools.pairwise(argv):
        if flag == "--config":
            explicit = Path(value)
        elif flag == "--home":
            home = Path(value)
    path = config_path(home or default_home(), explicit)
    if path is None:
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable, not TOML: reported later
        return []
    modes = data.get("modes", {})
    return [
        m for m in modes if isinstance(m, str) and is_mode_name(m) and m not in BUILTIN_MODE_NAMES
    ]
