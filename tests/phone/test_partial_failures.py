"""Several numbers, some failing: every number is tried, and a retry finishes what a
passing fault left undone, even when another number fails for good."""

from __future__ import annotations

import pytest

from tests.support.loopback import WebRoot
from tests.support.twilio import PN_APP, PN_HOOK, add_numbers, log_records, routing, write_config
from tests.support.twilio_standin import Fault, TwilioStandIn

pytestmark = pytest.mark.integration


def test_a_permanent_failure_does_not_stop_the_retry_of_a_passing_one(
    notices, tmp_path, twilio: TwilioStandIn, web: WebRoot
):
    add_numbers(twilio)
    twilio.inject(Fault("POST", PN_HOOK, status=400, times=100))  # refused for good
    twilio.inject(Fault("POST", PN_APP, status=503, times=1))  # a passing outage
    config = write_config(tmp_path, twilio, web, [PN_HOOK, PN_APP])

    run = notices("evacuate", "--yes", "--json", "--config", str(config))

    assert run.exit_code == 1
    phone = next(c for c in run.json()["channels"] if c["name"] == "phone")
    assert not phone["ok"] and f"Twilio rejected the change to {PN_HOOK}" in phone["error"]
    assert routing(twilio, PN_APP)["voice_url"] == f"{web.url}/greeting.xml"
    assert routing(twilio, PN_HOOK)["voice_url"] == "https://crm.example.fi/ivr"
    retries = [r for r in log_records(notices, config) if r["kind"] == "channel.retry"]
    assert [r["payload"]["step"] for r in retries] == ["apply"]
