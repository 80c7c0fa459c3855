"""The Twilio channel through the official client against Prism serving Twilio's own
OpenAPI description: every request the channel sends must be one Prism accepts.

Prism answers with the description's canned examples (the number +18089255327, with no
voice URL), so it proves the shape of requests, not state; the stand-in tests prove state.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from notices.channels.base import Setting
from notices.config import load_config
from notices.errors import PermanentChannelError
from notices.orchestrator import build_channels
from tests.support.loopback import WebRoot
from tests.support.twilio import Prism

pytestmark = pytest.mark.integration

ACCOUNT = "AC" + "0" * 32
CANNED_NUMBER = "+18089255327"  # what the description's examples call every number
PN = "PN" + "a" * 32


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "prism-token")
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)


def config_file(tmp_path: Path, prism: Prism, web: WebRoot, numbers: list[str]) -> Path:
    config = tmp_path / "notices.toml"
    config.write_text(
        f"""
[organisation]
name = "Testipalvelu Oy"
[channels.phone]
kind = "twilio_voice"
numbers = {json.dumps(numbers)}
api_base = "{prism.url}"
greeting_url = "{web.url}/greeting.xml"
publisher = {{ type = "folder", path = "{web.root}" }}
dial = {{ number = "+358401234567", caller_id = "+358401000000" }}
[channels.website]
kind = "local_banner"
[channels.mail]
kind = "local_email"
"""
    )
    return config


def test_evacuate_sends_only_requests_twilio_describes(
    notices, home, tmp_path, prism, web, credentials
):
    config = config_file(tmp_path, prism, web, [PN, CANNED_NUMBER])
    rejected = prism.rejected()
    run = notices("evacuate", "--yes", "--json", "--config", str(config))
    result = {c["name"]: c for c in run.json()["channels"]}
    assert prism.rejected() == rejected, "Prism rejected a request (HTTP 422)"
    # 422 as a status, not as part of a port number (127.0.0.1:42223).
    assert not re.search(r"(?<![:\d])422(?!\d)", run.stdout)
    assert result["website"]["ok"] and result["mail"]["ok"]
    # Snapshot, update and the greeting all went through; only the read-back cannot hold,
    # because Prism answers every fetch with its canned number, which has no voice URL.
    assert (web.root / "greeting.xml").exists()
    assert result["phone"]["error"].startswith("read back after the change, phone serves")
    updates = [line for line in prism.log.read_text().splitlines() if "[HTTP SERVER] post" in line]
    assert updates, "no update reached Prism"


def test_check_against_prism(notices, tmp_path, prism, web, credentials):
    config = config_file(tmp_path, prism, web, [PN, CANNED_NUMBER])
    rejected = prism.rejected()
    run = notices("check", "--config", str(config))
    assert run.exit_code == 0, run.stdout
    assert "credentials work; 2 number(s) found" in run.stdout
    assert prism.rejected() == rejected


def test_restoring_a_studio_flow_and_a_twiml_app_is_a_valid_request(
    tmp_path, prism, web, credentials
):
    config = config_file(tmp_path, prism, web, [PN])
    (channel,) = [c for c in build_channels(load_config(config), tmp_path) if c.name == "phone"]
    saved = channel.snapshot()
    studio = dict(saved.data["numbers"][PN])
    studio.update(
        voice_url=f"https://webhooks.twilio.com/v1/Accounts/{ACCOUNT}/Flows/FW" + "b" * 32,
        voice_method="POST",
        status_callback="https://crm.example.fi/status",
    )
    app = dict(saved.data["numbers"][PN], voice_application_sid="AP" + "c" * 32)
    rejected = prism.rejected()
    for routing in (studio, app):
        setting = Setting(data={"numbers": {PN: routing}, "files": {}}, summary="")
        receipt = channel.restore(setting)
        assert receipt.changed
    assert prism.rejected() == rejected


def test_a_malformed_request_gets_422_and_a_plain_message(tmp_path, prism, web, credentials):
    """The check above can fail: Prism does reject what Twilio would."""
    config = config_file(tmp_path, prism, web, [PN])
    (channel,) = [c for c in build_channels(load_config(config), tmp_path) if c.name == "phone"]
    saved = channel.snapshot()
    broken = dict(saved.data["numbers"][PN], voice_method="BOGUS")
    rejected = prism.rejected()
    with pytest.raises(PermanentChannelError, match="Twilio rejected the change to PN"):
        channel.restore(Setting(data={"numbers": {PN: broken}, "files": {}}, summary=""))
    assert prism.rejected() == rejected + 1

    from twilio.base.exceptions import TwilioRestException

    client = channel.client()  # type: ignore[attr-defined]
    with pytest.raises(TwilioRestException) as caught:
        client.api.v2010.account.incoming_phone_numbers(PN).update(voice_url="not a url")
    assert caught.value.status == 422
