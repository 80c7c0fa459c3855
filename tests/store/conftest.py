"""Two `serve` nodes on a PostgreSQL database of their own (whichever store the rest of
the suite runs on), each with its own data folder, the second provisioned from the first."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.nodes import Node, provision
from tests.support.postgres import PostgresServer
from tests.support.wait import wait_until

SECOND_NODE = "https://notices-2.example.test/hooks"


@pytest.fixture
def store(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's PostgreSQL database (the suite's own on the PostgreSQL pass)."""
    existing = os.environ.get("NOTICES_DATABASE_URL")
    url = existing or postgres.create_database()
    monkeypatch.setenv("NOTICES_DATABASE_URL", url)
    yield url
    if not existing:
        postgres.drop_database(url)


def shared_config(folder: Path, extra: str = "") -> str:
    """Both nodes publish to one place (as they would to one web host or one Twilio
    account): a resume restores the same target whichever node runs it."""
    channels = (("phone", "local_voice"), ("website", "local_banner"), ("mail", "local_email"))
    text = (
        '[organisation]\nname = "Palvelutoimisto Kivi Oy"\nalternative_contact = "+358 9 765 4321"\n'
        f'[store]\nsecond_node_url = "{SECOND_NODE}"\n'
    )
    for name, kind in channels:
        text += f'[channels.{name}]\nkind = "{kind}"\nfolder = "{folder}"\n'
    return text + extra


@pytest.fixture
def folders(
    store: str, tmp_path: Path, notices: Callable[..., object]
) -> Callable[..., tuple[Node, Node]]:
    """`make(extra_config)`: node A's data folder (keys by `notices init`) and node B's,
    provisioned from it; nothing started."""

    def make(extra: str = "", env: dict[str, str] | None = None) -> tuple[Node, Node]:
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
        config = shared_config(tmp_path / "published", extra)
        (a_home / "notices.toml").write_text(config, "utf-8")
        provision(a_home, b_home)
        return tuple(  # type: ignore[return-value]
            Node(
                h, store, env={"NOTICES_HOME": str(h), "NOTICES_DATABASE_URL": store, **(env or {})}
            )
            for h in (a_home, b_home)
        )

    return make


@pytest.fixture
def nodes(folders: Callable[..., tuple[Node, Node]]) -> Iterator[Callable[..., tuple[Node, Node]]]:
    """`start(extra_config)`: node A (which leads) and node B (standing by), both beating."""
    started: list[Node] = []

    def start(extra: str = "", env: dict[str, str] | None = None) -> tuple[Node, Node]:
        a, b = folders(extra, env)
        started.extend((a, b))
        a.start()
        wait_until(lambda: a.role() == "leader", 10, "node A to lead")
        b.start()
        return a, b

    yield start
    for node in started:
        if node.alive():
            node.process.kill()  # type: ignore[union-attr]
            node.process.communicate(timeout=10)  # type: ignore[union-attr]
