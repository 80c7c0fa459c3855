"""serve's side of the warm path (cli/warm.py): the Unix socket in the data folder, the
commands run for the CLI, and the channels kept signed in between them.

`notices serve` (cli/serve.py) gives a `WarmSocket` to notices.serve.Server, which starts
it with the scheduler and stops it last. Each connection is one command, run with the
CLI's own typer app (so through `notices.commands`, as every door), one at a time: the
consoles are the process's, printing to that connection while it runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import socket
import socketserver
import stat
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from notices.warm import MAX_LINE, PEERCRED, WARM_COMMANDS, WARM_EVERY_S, socket_path


class Stream:
    """A console's file in `serve` that sends each write to the CLI as one line. Writes
    after the CLI has gone are dropped: the command still finishes."""

    encoding = "utf-8"

    def __init__(self, connection: socket.socket, key: str, lock: threading.Lock) -> None:
        self.connection = connection
        self.key = key
        self.lock = lock

    def write(self, text: str) -> int:
        send(self.connection, {self.key: text}, self.lock)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def send(connection: socket.socket, message: dict[str, Any], lock: threading.Lock) -> None:
    with lock, contextlib.suppress(OSError):
        connection.sendall(json.dumps(message, ensure_ascii=False).encode() + b"\n")


@contextlib.contextmanager
def routed(
    connection: socket.socket,
    reader: IO[bytes],
    request: dict[str, Any],
    lock: threading.Lock,
) -> Iterator[None]:
    """The CLI's consoles print to `connection` for the duration, at the caller's width,
    and its questions are asked on the caller's terminal (when it has one)."""
    from notices.cli.app import Route, Routing

    def ask(question: str) -> bool:
        send(connection, {"ask": question}, lock)
        try:
            answer = json.loads(reader.readline(MAX_LINE) or b"{}")
        except (OSError, ValueError):
            return False  # the caller is gone: no is the safe answer
        return isinstance(answer, dict) and answer.get("answer") is True

    width = request.get("width")
    Routing.route = Route(
        cast(IO[str], Stream(connection, "out", lock)),
        cast(IO[str], Stream(connection, "err", lock)),
        width if isinstance(width, int) and width > 0 else None,
        tty=request.get("tty") is True,
        ask=ask,
    )
    try:
        yield
    finally:
        Routing.route = None


# How long stopping waits for a handed-over command to finish (a switch's own lock waits
# as long for another command).
STOP_WAIT_S = 120.0


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    warm: WarmSocket


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.warm.serve_one(self.connection, cast(IO[bytes], self.rfile))


class WarmSocket:
    """`serve.sock` in the data folder, and the warm-up of the channels every minute."""

    def __init__(self, home: Path, config: Path | None, say: Callable[[str], None]) -> None:
        self.home = home.absolute()
        self.config = config.absolute() if config else None
        self.say = say
        self.path = socket_path(self.home)
        self.server: _Server | None = None
        self.inode: int | None = None
        self.run_lock = threading.Lock()  # one command at a time: the consoles are shared
        self.stopping = threading.Event()
        self.problems: list[str] = []
        self.command: tuple[tuple[str, ...], Any] | None = None  # the CLI as click builds it

    # -- starting and stopping --------------------------------------------------------------

    def start(self) -> None:
        from notices import commands

        commands.keep_warm()
        problem = self._clear()
        if problem is not None:  # the scheduler matters more: serve runs without the socket
            self.say(f"warm path off: {problem}")
            return
        previous = os.umask(0o177)  # the socket is born 0600: no moment open to others
        try:
            server = _Server(str(self.path), _Handler)
        except OSError as exc:
            self.say(f"warm path off: cannot listen on {self.path} ({exc.strerror or exc})")
            return
        finally:
            os.umask(previous)
        os.chmod(self.path, 0o600)
        self.inode = os.stat(self.path).st_ino
        server.warm = self
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True, name="warm-socket").start()
        threading.Thread(target=self._keep_warm, daemon=True, name="warm-up").start()
        self.say(f"warm path: switching commands are run here, from {self.path}")

    def _clear(self) -> str | None:
        """A socket left by a serve that was killed is removed (we hold serve.lock: no other
        serve runs), and so is a symlink in its place; anything else is left alone."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return None
        if not (stat.S_ISSOCK(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            return f"{self.path} exists and is not a socket: remove it, then restart serve"
        self.path.unlink()
        return None

    def stop(self) -> None:
        """No new command; the one running finishes first (as a resume does), then the
        socket goes."""
        self.stopping.set()
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        if self.run_lock.acquire(timeout=STOP_WAIT_S):
            self.run_lock.release()
        with contextlib.suppress(OSError):
            if os.lstat(self.path).st_ino == self.inode:
                self.path.unlink()

    def _keep_warm(self) -> None:
        """Every minute: every channel signed in, its tokens renewed before they expire."""
        from notices import commands
        from notices.masking import mask

        with self.run_lock:
            self._cli()  # built once, before the first command needs it
        while not self.stopping.is_set():
            try:
                problems = commands.warm_up(commands.Workspace.load(self.home, self.config))
            except Exception as exc:  # noqa: BLE001 - a command will report it properly
                problems = [mask(str(exc) or type(exc).__name__)]
            if problems != self.problems:
                for line in problems:
                    self.say(f"warm path: cannot sign in ahead: {line}")
                self.problems = problems
            self.stopping.wait(WARM_EVERY_S)

    # -- one command ---------------------------------------------------------------------------

    def serve_one(self, connection: Any, reader: IO[bytes]) -> None:
        lock = threading.Lock()
        size = struct.calcsize(PEERCRED)
        pid, uid, _ = struct.unpack(
            PEERCRED, connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
        )
        if uid not in (os.getuid(), 0):
            refused = f"uid {uid} may not command this data folder"
            send(connection, {"accepted": False, "why": refused}, lock)
            return
        try:
            request = json.loads(reader.readline(MAX_LINE))
        except (OSError, ValueError):
            return
        why = self._decline(request)
        if why is not None:
            send(connection, {"accepted": False, "why": why}, lock)
            return
        send(connection, {"accepted": True, "pid": os.getpid()}, lock)
        with self.run_lock:
            code = self._run((connection, reader), request, (pid, uid), lock)
        send(connection, {"exit": code}, lock)
        self.say(f"warm path: `{request['argv'][0]}` for uid {uid} (pid {pid}): exit {code}")

    def _decline(self, request: Any) -> str | None:
        from notices.paths import config_path
        from notices.warm import configured_modes

        if not isinstance(request, dict):
            return "not a request"
        argv = request.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            return "not a command"
        home = ["--home", str(self.home)]
        if argv[0] not in (*WARM_COMMANDS, *configured_modes(home)):
            return f"`{argv[0]}` is not a command serve runs"
        mine = config_path(self.home, self.config)
        theirs = request.get("config")
        if (str(mine.resolve()) if mine else None) != (
            str(Path(theirs).resolve()) if isinstance(theirs, str) else None
        ):
            return (
                f"it runs with the configuration {mine or 'built in'}, not {theirs or 'built in'}"
            )
        return None

    def _run(
        self,
        channel: tuple[Any, IO[bytes]],
        request: dict[str, Any],
        peer_ids: tuple[int, int],
        lock: Any,
    ) -> int:
        from notices.cli.app import Door, door
        from notices.evidence.log import current_actor

        pid, uid = peer_ids
        try:
            user = pwd.getpwuid(uid).pw_name
        except KeyError:
            user = str(uid)
        given = {"NOTICES_ACTOR": request.get("actor"), "SSH_CLIENT": request.get("ssh")}
        actor, host = current_actor({k: v for k, v in given.items() if isinstance(v, str)}, user)
        peer = {"uid": uid, "pid": pid, "user": user}
        token = door.set(Door(actor, host, {"via": "serve", "peer": peer}))
        argv = [*request["argv"], "--home", str(self.home)]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        connection, reader = channel
        try:
            with routed(connection, reader, request, lock):
                return self._invoke(argv, connection, lock)
        finally:
            door.reset(token)

    def _cli(self) -> Any:
        """The CLI as click builds it from the typer app: built once (0.05 s), again only
        when a mode from notices.toml was added. Called with run_lock held."""
        import typer

        from notices import cli

        names = tuple(c.name or "" for c in cli.app.registered_commands)
        if self.command is None or self.command[0] != names:
            self.command = (names, typer.main.get_command(cli.app))
        return self.command[1]

    def _invoke(self, argv: list[str], connection: Any, lock: Any) -> int:
        import click

        from notices import cli
        from notices.cli.app import err, shown
        from notices.masking import mask

        cli.register_configured_modes(argv)
        command = self._cli()
        try:
            result = command.main(args=argv, prog_name="notices", standalone_mode=False)
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.ClickException as exc:
            exc.show(file=cast(IO[Any], Stream(connection, "err", lock)))
            return exc.exit_code
        except click.exceptions.Abort:
            err.print("Aborted!")
            return 1
        except Exception as exc:  # noqa: BLE001 - a bug: said, and serve goes on
            text = mask(f"{type(exc).__name__}: {exc}")
            self.say(f"warm path: `{argv[0]}` failed: {text}")
            err.print(f"[bold red]error:[/bold red] notices serve failed: {shown(text)}")
            return 1
        return result if isinstance(result, int) else 0
