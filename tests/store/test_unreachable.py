"""A PostgreSQL store that cannot be reached: a clear error naming it (password masked),
nothing switched, no traceback."""

from __future__ import annotations

from tests.support.net import free_port
from tests.support.site import site_files


def test_an_unreachable_store_stops_the_command_before_anything_is_switched(
    notices, home, monkeypatch
):
    secret = "Salasana-91ab"
    url = f"postgresql://notices:{secret}@127.0.0.1:{free_port()}/notices"
    monkeypatch.setenv("NOTICES_DATABASE_URL", url)
    run = notices("evacuate", "--for", "1h", "--yes")
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "cannot open the store postgresql://***@127.0.0.1" in run.stderr
    assert "Nothing was switched" in run.stderr
    assert secret not in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert site_files(home) == {}
