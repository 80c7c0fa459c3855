"""Retry-After may be an HTTP date (RFC 9110): Twilio's 429 is waited out either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.support.loopback import WebRoot
from tests.support.twilio import PN_HOOK, add_numbers, log_records, write_config
from tests.support.twilio_standin import Fault, TwilioStandIn

pytestmark = pytest.mark.integration


def test_a_429_with_an_http_date_waits_until_then(
    notices, tmp_path, twilio: TwilioStandIn, web: WebRoot
):
    add_numbers(twilio)
    until = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    twilio.inject(Fault("POST", PN_HOOK, status=429, times=1, retry_after=until))
    config = write_config(tmp_path, twilio, web, [PN_HOOK])

    run = notices("evacuate", "--yes", "--config", str(config))

    assert run.exit_code == 0, run.stdout + run.stderr
    [retry] = [r["payload"] for r in log_records(notices, config) if r["kind"] == "channel.retry"]
    assert "HTTP 429" in retry["error"]
    assert 1.5 <= retry["retry_in_s"] <= 3, retry
