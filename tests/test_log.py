"""The evidence log: chained, append-only, and `log verify` catches every kind of tampering."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest
import rfc8785

from tests.support.log import drop_guard, execute, query, tamper


def evacuate_and_resume(notices) -> None:
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    assert notices("resume", "--yes").exit_code == 0


def test_honest_log_verifies(notices):
    evacuate_and_resume(notices)
    run = notices("log", "verify")
    assert run.exit_code == 0
    assert run.stdout.startswith("OK:")


def test_database_refuses_update_and_delete(notices, home):
    evacuate_and_resume(notices)
    for statement in (
        "UPDATE log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM log WHERE seq = 1",
    ):
        with pytest.raises(Exception, match="append-only"):  # sqlite3's or psycopg's
            execute(home, statement)


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (
            ['UPDATE log SET payload = \'{"command": "power-out"}\' WHERE seq = 3'],
            "record 3 was altered",
        ),
        (["UPDATE log SET ts = '2026-01-01T00:00:00.000Z' WHERE seq = 2"], "record 2 was altered"),
        (["DELETE FROM log WHERE seq = 4"], "record 4 is missing"),
        (
            # Swap two whole records, hashes and all, keeping the sequence numbers in order.
            [
                "UPDATE log SET seq = -5 WHERE seq = 5",
                "UPDATE log SET seq = 5 WHERE seq = 6",
                "UPDATE log SET seq = 6 WHERE seq = -5",
            ],
            "record 5 was altered",
        ),
        (
            # Remove a record and renumber the rest, the way a careful forger would.
            ["DELETE FROM log WHERE seq = 2"]
            + [f"UPDATE log SET seq = {n - 1} WHERE seq = {n}" for n in range(3, 40)],
            "record 2",
        ),
    ],
)
def test_verify_names_the_first_bad_record(notices, home, statements, message):
    evacuate_and_resume(notices)
    tamper(home, *statements)
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert message in run.stderr


def test_swapped_records_with_recomputed_hashes_break_the_chain(notices, home):
    """Even a forger who recomputes each record's own hash cannot reorder: links break."""
    evacuate_and_resume(notices)
    rows = query(
        home / "notices.db",
        "SELECT seq, ts, actor, host, incident, kind, channel, payload FROM log"
        " WHERE seq IN (5, 6) ORDER BY seq",
    )
    fields = ("seq", "ts", "actor", "host", "incident", "kind", "channel", "payload")
    statements = []
    for (seq, *rest), new_seq in zip(rows, (6, 5), strict=True):
        record = dict(zip(fields, [new_seq, *rest], strict=True))
        record["payload"] = json.loads(record["payload"])
        digest = hashlib.sha256(b"\x00" + rfc8785.dumps(record)).hexdigest()
        statements.append(
            f"UPDATE log SET seq = {-new_seq}, record_hash = '{digest}' WHERE seq = {seq}"
        )
    statements += ["UPDATE log SET seq = 5 WHERE seq = -5", "UPDATE log SET seq = 6 WHERE seq = -6"]
    tamper(home, *statements)
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert "record 5 does not follow" in run.stderr


def test_removed_guard_fails_verification(notices, home):
    evacuate_and_resume(notices)
    drop_guard(home, "log_refuse_delete")
    run = notices("log", "verify")
    assert run.exit_code == 1
    assert "append-only protection" in run.stderr


def test_chain_recomputes_from_the_documented_formula(notices, home):
    """A verifier written from the docs alone (here: plain hashlib + RFC 8785) agrees."""
    evacuate_and_resume(notices)
    previous = bytes(32)
    rows = query(
        home / "notices.db",
        "SELECT seq, ts, actor, host, incident, kind, channel, payload, record_hash, link_hash"
        " FROM log ORDER BY seq",
    )
    assert rows
    for seq, ts, actor, host, incident, kind, channel, payload, stored_record, stored_link in rows:
        body = {
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "host": host,
            "incident": incident,
            "kind": kind,
            "channel": channel,
            "payload": json.loads(payload),
        }
        record = hashlib.sha256(b"\x00" + rfc8785.dumps(body)).digest()
        link = hashlib.sha256(b"\x01" + previous + record).digest()
        assert record.hex() == stored_record and link.hex() == stored_link
        assert ts.endswith("Z") and len(ts) == len("2026-11-23T18:17:39.241Z")
        previous = link


def test_log_records_who_what_and_the_verbatim_text(notices, home):
    assert notices("evacuate", "--for", "2h", "--reason", "Palohälytys", "--yes").exit_code == 0
    records = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[:2] == ["log.started", "command.started"]
    assert kinds[-2:] == ["command.finished", "checkpoint.written"]
    assert records[1]["actor"] == "test-operator"
    assert records[1]["payload"]["arguments"]["reason"] == ["Palohälytys"]
    applied = next(r for r in records if r["kind"] == "channel.applied" and r["channel"] == "phone")
    artefact = applied["payload"]["artefacts"]["greeting.xml"]
    published = (home / "site" / "greeting.xml").read_text()
    assert artefact["text"] == published
    assert artefact["sha256"] == hashlib.sha256(published.encode()).hexdigest()


def test_export_jsonl_and_csv(notices, home, tmp_path):
    evacuate_and_resume(notices)
    shown = [json.loads(line) for line in notices("log", "show", "--json").stdout.splitlines()]
    incident = next(r["incident"] for r in shown if r["incident"])
    jsonl = tmp_path / "out.jsonl"
    run = notices("log", "export", "--format", "jsonl", "-o", str(jsonl), "--incident", incident)
    assert run.exit_code == 0
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert lines and all(line["incident"] == incident for line in lines)
    assert hashlib.sha256(jsonl.read_bytes()).hexdigest() in run.stdout

    table = tmp_path / "out.csv"
    assert notices("log", "export", "--format", "csv", "-o", str(table)).exit_code == 0
    raw = table.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 (ä, ö, å) only with the BOM
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) > len(lines) - 1 and rows[0]["seq"] == "1"
    assert "ä" in raw.decode("utf-8-sig")

    assert notices("log", "export", "--format", "pdf", "-o", str(tmp_path / "x")).exit_code == 2
