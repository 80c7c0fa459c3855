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
        _head_start(where.home, where.config)  # run here: its providers read while it loads
    from notices.cli import main as cli

    cli(serve_asked=True)


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
