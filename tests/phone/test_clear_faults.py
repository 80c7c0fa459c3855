"""Clear faults on the phone: `status` names each number that differs and how, every provider
error names its number, and `check` masks a password inside a customer's webhook URL."""

from __future__ import annotations

import pytest

from tests.phone.test_masked_urls import PN, SECRETS, add_number
from tests.support.twilio import PN_HOOK, add_numbers, write_config
from tests.support.twilio_standin import Fault

pytestmark = pytest.mark.integration

HAND_SET = "https://admin:H4nd-s3t-pass@crm.example.fi/manual"


def test_status_names_the_number_and_the_field_that_differs(notices, tmp_path, twilio, web):
    add_numbers(twilio)
    config = str(write_config(tmp_path, twilio, web, [PN_HOOK]))
    assert notices("evacuate", "--for", "4h", "--yes", "--config", config).exit_code == 0
    with twilio.lock:  # someone points the number elsewhere by hand
        twilio.state.numbers[PN_HOOK]["voice_url"] = HAND_SET
    status = notices("status", "--json", "--config", config)
    [phone] = [c for c in status.json()["channels"] if c["name"] == "phone"]
    assert phone["state"] == "differs"
    assert (
        "+358401000003: voice_url is 'https://***@crm.example.fi/manual',"
        f" not '{web.url}/greeting.xml'" in phone["error"]
    )
    shown = notices("status", "--config", config).stdout
    assert "+358401000003: voice_url" in shown and "H4nd-s3t-pass" not in shown
    assert "H4nd-s3t-pass" not in status.stdout


def test_a_throttled_number_is_named_in_the_error(notices, tmp_path, twilio, web):
    add_numbers(twilio)
    config = str(write_config(tmp_path, twilio, web, [PN_HOOK]))
    twilio.inject(Fault("POST", PN_HOOK, status=429, times=100, retry_after="0"))
    run = notices("evacuate", "--for", "4h", "--yes", "--config", config)
    assert run.exit_code != 0
    said = run.stdout + run.stderr
    assert "429" in said and f"{PN_HOOK}: Twilio is limiting our requests" in said


def test_check_masks_a_password_inside_a_webhook_url(notices, tmp_path, twilio, web):
    add_number(twilio)
    config = str(write_config(tmp_path, twilio, web, [PN]))
    run = notices("check", "--config", config)
    said = run.stdout + run.stderr
    assert "+358401000005 -> POST https://***@crm.example.fi/ivr" in said, said
    assert not [secret for secret in SECRETS if secret in said], said
