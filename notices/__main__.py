"""`python -m notices` (and the `notices` script): a switching command goes to a running
`notices serve` before the CLI itself (typer, rich, every command) is imported."""

from __future__ import annotations

import os
import sys


def main() -> None:
    from notices.warm import hand_over

    code = hand_over(sys.argv[1:])
    if code is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    from notices.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
