"""Two `serve` nodes on a PostgreSQL database of their own (whichever store the rest of
the suite runs on)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.nodes import Node, provision
from tests.support.postgres import PostgresServer


@pytest.fixture
def store(postgres: PostgresServer, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's PostgreSQL database (the suite's own on the PostgreSQL pass)."""
    import os

    existing = os.environ.get("NOTICES_DATABASE_URL")
    url = existing or postgres.create_database()
    monkeypatch.setenv("NOTICES_DATABASE_URL", url)
    yield url
    if not existing:
        postgres.drop_database(url)


def shared_config(folder: Path) -> str:
    channels = (("phone", "local_voice"), ("website", "local_banner"), ("mail", "local_email"))
    return (
        '[organisation]\nname = "Esimerkki Oy"\nalternative_contact = "+358 9 123 4567"\n'
        + "".join(
            f'[channels.{name}]\nkind = "{kind}"\nfolder = "{folder}"\n' for name, kind in channels
        )
    )


@pytest.fixture
def nodes(
    store: str, tmp_path: Path, notices: Callable[..., object]
) -> Iterator[Callable[[], tuple[Node, Node]]]:
    """`start()`: node A (which leads) and node B (standing by), both beating."""
    started: list[Node] = []

    def start() -> tuple[Node, Node]:
        a_home, b_home = tmp_path / "node-a", tmp_path / "node-b"
        run = notices(
            "init",
            "--home",
            str(a_home),
            "--org",
            "Esimerkki Oy",
            "--phone",
            "+358 9 123 4567",
            "--email",
            "palvelu@esimerkki.fi",
            "--web",
            "www.esimerkki.fi",
        )
        assert run.exit_code == 0, run  # type: ignore[attr-defined]
        # Both nodes publish to one place (as they would to one web host or one Twilio
        # account): a resume restores the same target whichever node runs it.
        shared = tmp_path / "published"
        (a_home / "notices.toml").write_text(shared_config(shared), "utf-8")
        provision(a_home, b_home)
        a, b = (
            Node(h, store, env={"NOTICES_HOME": str(h), "NOTICES_DATABASE_URL": store})
            for h in (a_home, b_home)
        )
        started.extend((a, b))
        a.start()
        from tests.support.wait import wait_until

        wait_until(lambda: a.role() == "leader", 10, "node A to lead")
        b.start()
        return a, b

    yield start
    for node in started:
        if node.alive():
            node.process.kill()  # type: ignore[union-attr]
            node.process.communicate(timeout=10)  # type: ignore[union-attr]
