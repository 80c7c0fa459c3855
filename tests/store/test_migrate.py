"""`notices store migrate`: a data folder's SQLite store copied into PostgreSQL with the
chain intact: `log verify` passes before and after, the key and the checkpoints carry over,
an incident's export has the same hashes, and a non-empty target is refused."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.evidence import NEW_CALLERS, add_contacts, calls
from tests.support.postgres import pg_query

pytestmark = pytest.mark.integration
SAME = ("events.csv", "events.jsonl", "contacts.csv")
OLD_FINGERPRINT = "58590e8dee08af62a6aa850fd67297ab28bf13149cb7ede73fdf1ffdea282c27"


def incident_with_contacts(notices, home: Path, callers: list[str]) -> str:
    run = notices("evacuate", "--for", "2h", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    incident = run.json()["incident"]
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert add_contacts(home, incident, calls(callers, day)) == len(callers)
    assert notices("log", "checkpoint").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0
    return str(incident)


def exported(notices, incident: str, folder: Path) -> dict[str, str]:
    run = notices("log", "export", "--incident", incident, "-o", str(folder))
    assert run.exit_code == 0, run.stderr
    assert notices("log", "verify", str(folder)).exit_code == 0
    hashes = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in SAME}
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    return {**hashes, "slice": json.dumps(manifest["slice"], sort_keys=True)}


def test_a_folder_with_two_incidents_moves_to_postgresql_intact(
    notices, home, tmp_path, postgres, monkeypatch
):
    monkeypatch.delenv("NOTICES_DATABASE_URL", raising=False)  # start on SQLite, as today
    first = incident_with_contacts(notices, home, NEW_CALLERS[:1])
    second = incident_with_contacts(notices, home, NEW_CALLERS)
    verified = notices("log", "verify")
    assert verified.exit_code == 0, verified.stderr
    [key] = re.findall(r"\b[0-9a-f]{64}\b", notices("log", "key").stdout)
    before = {i: exported(notices, i, tmp_path / f"sqlite-{i}") for i in (first, second)}
    heads_file = (home / "heads.jsonl").read_bytes()

    url = postgres.create_database()
    try:
        run = notices("store", "migrate", "--to", url, "--json")
        assert run.exit_code == 0, run.stderr
        moved = run.json()
        assert moved["rows"]["incidents"] == 2
        assert moved["rows"]["personal"] == 3
        records = pg_query(url, "SELECT count(*) FROM log")[0][0]
        assert moved["records"] == records > 20
        assert (home / "notices.db").exists(), "the SQLite file stays as it was"

        again = notices("store", "migrate", "--to", url)
        assert again.exit_code == 2
        assert "is not empty" in again.stderr and "nothing was copied" in again.stderr
        assert pg_query(url, "SELECT count(*) FROM log")[0][0] == records

        monkeypatch.setenv("NOTICES_DATABASE_URL", url)
        after = notices("log", "verify", "--expect-key", key)
        assert after.exit_code == 0, after.stderr
        assert f"{records} records" in after.stdout
        for incident in (first, second):
            assert exported(notices, incident, tmp_path / f"pg-{incident}") == before[incident]
        # The checkpoints written on SQLite stay; exports on PostgreSQL add their own.
        assert (home / "heads.jsonl").read_bytes().startswith(heads_file)
        # And the store goes on: a new incident on PostgreSQL, the chain still whole.
        incident_with_contacts(notices, home, NEW_CALLERS[1:])
        assert notices("log", "verify").exit_code == 0
        assert pg_query(url, "SELECT count(*) FROM incidents")[0][0] == 3
    finally:
        postgres.drop_database(url)


def test_a_target_with_any_table_is_refused(notices, home, postgres, monkeypatch):
    monkeypatch.delenv("NOTICES_DATABASE_URL", raising=False)
    assert notices("evacuate", "--for", "1h", "--yes").exit_code == 0
    url = postgres.create_database()
    try:
        pg_query(url, "CREATE TABLE their_table (id integer)")
        run = notices("store", "migrate", "--to", url)
        assert run.exit_code == 2
        assert "holds their_table" in run.stderr
        assert pg_query(url, "SELECT to_regclass('log')") == [(None,)]
    finally:
        postgres.drop_database(url)


def test_the_password_never_shows(notices, home, postgres, monkeypatch):
    monkeypatch.delenv("NOTICES_DATABASE_URL", raising=False)
    assert notices("evacuate", "--for", "1h", "--yes").exit_code == 0
    secret = "Salasana-7f3e"
    url = f"postgresql://postgres:{secret}@127.0.0.1:{postgres.port}/no_such_db"
    run = notices("store", "migrate", "--to", url)
    assert run.exit_code != 0
    assert secret not in run.stdout + run.stderr
    assert "***@127.0.0.1" in run.stderr and "no_such_db" in run.stderr


def test_a_folder_from_before_the_key_was_recorded_moves_and_still_verifies(
    notices, home, postgres, monkeypatch
):
    """A data folder made by the code of 16e4725 (record 1 names no key): moved as it is,
    and verified on PostgreSQL with the same note and the same fingerprint as on SQLite."""
    import shutil

    old = Path(__file__).parents[1] / "evidence" / "old_data_folder"
    shutil.copytree(old, home)
    for key in (home / "keys").iterdir():
        key.chmod(0o600)
    monkeypatch.delenv("NOTICES_DATABASE_URL", raising=False)
    on_sqlite = notices("log", "verify")
    assert on_sqlite.exit_code == 0, on_sqlite.stderr
    url = postgres.create_database()
    try:
        run = notices("store", "migrate", "--to", url, "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json()["records"] == 34
        monkeypatch.setenv("NOTICES_DATABASE_URL", url)
        on_postgresql = notices("log", "verify", "--expect-key", OLD_FINGERPRINT)
        assert on_postgresql.exit_code == 0, on_postgresql.stderr
        said = " ".join(on_postgresql.stdout.split())
        assert "this log was started before notices recorded its signing key" in said
        assert "34 records" in said
    finally:
        postgres.drop_database(url)
