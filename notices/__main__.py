"""`python -m notices` (and the `notices` script): a switching command goes to a running
`notices serve` before the CLI itself (typer, rich, every command) is imported."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

# How long the CLI waits before loading itself while a switching command's providers are
# being reached (notices/head_start.py); measured, it takes about 0.5 s.
UNDER_WAY_WAIT_S = 1.0


def main() -> None:
    from notices.warm import hand_over, switching

    where = switching(sys.argv[1:])
    if where is not None:
        code = hand_over(sys.argv[1:], where)
        if code is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        _load_beside_head_start(where.home, where.config)  # its providers read as it loads
    from notices.cli import main as cli

    cli(serve_asked=True)


def _load_beside_head_start(home: Path, config_file: Path | None) -> None:
    """The head start begun, then the CLI imported; Ctrl-C meanwhile is said in a line (the
    head start only reads), not as a traceback."""
    from notices.faults import crash_point

    try:
        _head_start(home, config_file)
        crash_point("cli-loading")
        import notices.cli  # noqa: F401 - loaded here, where an interruption is said
    except KeyboardInterrupt:
        sys.stderr.write("notices: interrupted before anything was switched or logged.\n")
        sys.stderr.flush()
        os._exit(130)


def _head_start(home: Path, config_file: Path | None) -> None:
    """The command's channels built and their providers read in the background
    (notices/orchestrator/early.py); importing that module is part of the work."""
    from notices import head_start

    def prepare(under_way: Callable[[], None]) -> object:
        from notices.orchestrator.early import HeadStart

        return HeadStart.prepare(home, config_file, under_way)

    head_start.begin(prepare)
    head_start.wait_under_way(UNDER_WAY_WAIT_S)


if __name__ == "__main__":
    main()
