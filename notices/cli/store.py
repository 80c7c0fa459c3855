"""The store: `store migrate` (SQLite in the data folder to PostgreSQL, docs/store.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from notices.cli.app import Home, Json, app, command, out, print_json, shown
from notices.paths import default_home

store_app = typer.Typer(no_args_is_help=True, help="Where the data lives (docs/store.md).")
app.add_typer(store_app, name="store")


@command(store_app, "migrate")
def store_migrate(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The empty PostgreSQL database, postgresql://user@host:5432/db (the password"
            " from PGPASSWORD or ~/.pgpass, never on the command line).",
        ),
    ],
    json_output: Json = False,
    home: Home = None,
) -> None:
    """Copy this data folder's SQLite store into an empty PostgreSQL database, the evidence
    chain intact: checked before and after, nothing added. Then set NOTICES_DATABASE_URL
    (or `[store] url`) on every node; the SQLite file stays as it was."""
    from notices.commands.store import migrate

    data = home or default_home()
    result = migrate(data, to)
    if json_output:
        print_json(
            {
                "target": result.target,
                "rows": result.rows,
                "records": result.records,
                "head": result.head,
            }
        )
        return
    out.print(
        f"Copied {result.records} log records (head {result.head}) and"
        f" {sum(result.rows.values()) - result.rows['log']} other rows into"
        f" {shown(result.target)}; `log verify` passes there."
    )
    out.print(
        "Next: set NOTICES_DATABASE_URL (or [store] url) on every node, copy keys/ and"
        " heads.jsonl to the second node's data folder, and keep notices.db as a backup."
    )
