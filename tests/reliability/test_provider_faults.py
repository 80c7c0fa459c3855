"""One provider failing never blocks the others: every real channel kind x every fault in
the catalogue, through the CLI against the stand-ins."""

from __future__ import annotations

import time

import pytest

from tests.support.catalogue import ATTEMPTS, PROVIDER_FAULTS, ProviderFault
from tests.support.providers import BUCKET, CHANNEL_OF, SECRETS, Providers, records, switches

pytestmark = [pytest.mark.integration, pytest.mark.slow]


# Two kinds fail at once with the same fault while the other two must switch: every
# (kind, fault) cell of the matrix is covered, in half the runs.
PAIRS = (("twilio_voice", "email_gmail"), ("email_graph", "banner"))


@pytest.mark.parametrize("kinds", PAIRS, ids="+".join)
@pytest.mark.parametrize("fault", PROVIDER_FAULTS, ids=lambda f: f.id)
def test_one_provider_failing_never_blocks_the_others(
    notices, providers: Providers, home, kinds: tuple[str, str], fault: ProviderFault
):
    failing = {CHANNEL_OF[kind] for kind in kinds}
    healthy = set(CHANNEL_OF.values()) - failing
    for kind in kinds:
        providers.inject(kind, fault)

    began = time.monotonic()
    run = notices("evacuate", "--for", "4h", "--yes", "--json")
    elapsed = time.monotonic() - began
    assert run.exit_code == 1, run.stdout + run.stderr
    outcome = {c["name"]: c for c in run.json()["channels"]}
    for name in failing:
        error = (outcome[name]["error"] or "").lower()
        assert not outcome[name]["ok"]
        assert any(word in error for word in fault.words), (name, error)
    assert all(outcome[name]["ok"] for name in healthy), outcome
    assert providers.switched() == {k: k not in kinds for k in CHANNEL_OF}
    # Bounded: the time-outs (1 s a request) and retry waits hold, whatever the provider does.
    assert elapsed < 12, elapsed

    retries = records(home, "channel.retry")
    assert {r["channel"] for r in retries} <= failing, retries
    failed = records(home, "channel.failed")
    assert sorted(r["channel"] for r in failed) == sorted(failing)
    assert all(r["payload"]["transient"] is fault.transient for r in failed)
    for name in failing:
        mine = [r["payload"] for r in retries if r["channel"] == name]
        if fault.transient:
            assert [r["attempt"] for r in mine] == list(range(1, ATTEMPTS)), mine
            assert all(r["error"] for r in mine)
            if fault.retry_after:
                assert mine[0]["retry_in_s"] == float(fault.retry_after)
        else:
            assert mine == []

    # `status` shows which channels do not hold the notice.
    status = notices("status", "--json")
    assert status.exit_code == 1
    states = {c["name"]: c for c in status.json()["channels"]}
    assert all(not states[n]["ok"] and states[n]["error"] for n in failing), states
    assert all(states[n]["ok"] for n in healthy), states

    # Fixed: the next evacuate switches only what is missing.
    providers.clear()
    again = notices("evacuate", "--yes", "--json")
    assert again.exit_code == 0, again.stdout + again.stderr
    assert switches(home) == dict.fromkeys(CHANNEL_OF.values(), 1)
    assert all(providers.switched().values())
    final = notices("status", "--json")
    assert final.exit_code == 0, final.stdout
    assert_no_secret(providers, run, status, again, final)


def assert_no_secret(providers: Providers, *runs) -> None:  # type: ignore[no-untyped-def]
    """No credential in any output, the database's bytes, a published file or object."""
    key = providers.google.key_info["private_key"]  # type: ignore[attr-defined]
    secrets = [*SECRETS, key.splitlines()[1]]
    places = {f"output {i}": r.stdout + r.stderr for i, r in enumerate(runs)}
    for path in [*providers.home.rglob("*"), *providers.web.root.rglob("*")]:
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    client = providers.s3.client()
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        body = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        places[item["Key"]] = body.decode("utf-8", "replace")
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret in {where}"


def test_the_summary_on_screen_names_the_failing_channel_and_the_fault(
    notices, providers: Providers
):
    fault = next(f for f in PROVIDER_FAULTS if f.id == "dns")
    providers.inject("email_gmail", fault)
    run = notices("evacuate", "--for", "4h", "--yes")
    assert run.exit_code == 1
    screen = " ".join((run.stdout + run.stderr).split())
    assert "workspace" in screen and "cannot be found" in screen, screen
