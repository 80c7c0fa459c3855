"""`check` verifies that the staff numbers' fallback URLs point at the second node."""

from __future__ import annotations

import pytest

from tests.store.conftest import SECOND_NODE, shared_config
from tests.support.sms import COMPANY, PIN, sms_config
from tests.support.twilio import ACCOUNT, TOKEN

pytestmark = pytest.mark.integration


@pytest.fixture
def staff_line(sms_twilio, home, tmp_path, monkeypatch):
    sms_twilio.reset()
    sms_twilio.add_account(ACCOUNT, TOKEN)
    for name, value in (
        ("TWILIO_ACCOUNT_SID", ACCOUNT),
        ("TWILIO_AUTH_TOKEN", TOKEN),
        ("NOTICES_PIN_OSKARI", PIN),
    ):
        monkeypatch.setenv(name, value)
    home.mkdir(parents=True, exist_ok=True)
    config = shared_config(tmp_path / "published", sms_config(sms_twilio.url))
    (home / "notices.toml").write_text(config, "utf-8")
    return sms_twilio


def test_check_passes_when_the_fallback_is_the_second_node(staff_line, notices):
    staff_line.add_number(
        ACCOUNT,
        "PN" + "a" * 32,
        COMPANY,
        sms_url="https://notices.example.test/hooks/_notices/sms",
        sms_fallback_url=f"{SECOND_NODE}/_notices/sms",
    )
    run = notices("check", "--json")
    assert run.exit_code == 0, run.stdout
    assert run.json()["fallbacks"] == []


@pytest.mark.parametrize("fallback", ["", "https://elsewhere.example.test/_notices/sms"])
def test_check_names_a_fallback_that_is_not_the_second_node(staff_line, notices, fallback):
    staff_line.add_number(ACCOUNT, "PN" + "b" * 32, COMPANY, sms_fallback_url=fallback)
    run = notices("check")
    assert run.exit_code == 1
    assert f"the Twilio number {COMPANY}: sms_fallback_url is {fallback or 'empty'}" in run.stdout
    assert f"{SECOND_NODE}/_notices/sms" in run.stdout


def test_check_names_a_staff_number_missing_from_the_account(staff_line, notices):
    run = notices("check")
    assert run.exit_code == 1
    assert f"the Twilio number {COMPANY} ([sms]) is not in the account" in run.stdout


def test_check_names_the_staff_lines_voice_fallback(staff_line, notices, home):
    line = "+358931234999"
    text = (home / "notices.toml").read_text("utf-8")
    (home / "notices.toml").write_text(
        text + f'\n[sms.voice]\nenabled = true\nnumber = "{line}"\n', "utf-8"
    )
    staff_line.add_number(
        ACCOUNT, "PN" + "c" * 32, COMPANY, sms_fallback_url=f"{SECOND_NODE}/_notices/sms"
    )
    staff_line.add_number(ACCOUNT, "PN" + "d" * 32, line, voice_fallback_url="")
    run = notices("check")
    assert run.exit_code == 1, run.stdout
    assert f"the Twilio number {line}: voice_fallback_url is empty" in run.stdout
    assert f"{SECOND_NODE}/_notices/voice" in run.stdout
    assert f"the Twilio number {COMPANY}" not in run.stdout
