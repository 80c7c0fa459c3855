"""A number's own webhook URLs may carry credentials (https://user:pass@host/...?token=...):
restored exactly, and shown everywhere with those secrets masked."""

from __future__ import annotations

import json

import pytest

from notices.channels.base import Artefacts, ChannelContext
from notices.channels.twilio_voice import TwilioVoice, TwilioVoiceOptions
from tests.support.loopback import WebRoot
from tests.support.twilio import ACCOUNT, log_records, routing, write_config
from tests.support.twilio_standin import TwilioStandIn

pytestmark = pytest.mark.integration

PN = "PN" + "5" * 32
SECRETS = ("Pa55-w0rd-basic", "T0k3n-query-secret", "S1g-query-secret", "F4llback-pass")
VOICE_URL = "https://ivr:Pa55-w0rd-basic@crm.example.fi/ivr?lang=fi&token=T0k3n-query-secret"
FALLBACK_URL = "https://ops:F4llback-pass@crm.example.fi/fallback"
STATUS_URL = "https://crm.example.fi/status?sig=S1g-query-secret&site=hq"
GREETING = Artefacts(
    files={"greeting.xml": '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>\n'}
)


def add_number(twilio: TwilioStandIn) -> None:
    twilio.add_number(
        ACCOUNT,
        PN,
        "+358401000005",
        voice_url=VOICE_URL,
        voice_method="POST",
        voice_fallback_url=FALLBACK_URL,
        status_callback=STATUS_URL,
    )


def test_public_masks_the_secrets_and_the_snapshot_restores_them_exactly(
    home, twilio: TwilioStandIn, web: WebRoot
):
    add_number(twilio)
    before = routing(twilio, PN)
    options = TwilioVoiceOptions(
        numbers=[PN],
        api_base=twilio.url,
        greeting_url=f"{web.url}/greeting.xml",
        publisher={"type": "folder", "path": str(web.root)},  # type: ignore[arg-type]
    )
    channel = TwilioVoice(options, ChannelContext(home=home, name="phone"))
    saved = channel.snapshot()

    shown = channel.public(saved)
    text = json.dumps(shown.to_json())
    assert not [s for s in SECRETS if s in text], text
    number = shown.data["numbers"][PN]
    assert number["voice_url"] == "https://***@crm.example.fi/ivr?lang=fi&token=***"
    assert number["voice_fallback_url"] == "https://***@crm.example.fi/fallback"
    assert number["status_callback"] == "https://crm.example.fi/status?sig=***&site=hq"
    assert "POST https://***@crm.example.fi/ivr?lang=fi&token=***" in shown.summary
    assert saved.data["numbers"][PN]["voice_url"] == VOICE_URL  # the raw one is untouched

    channel.apply(GREETING)
    assert routing(twilio, PN)["voice_url"] == f"{web.url}/greeting.xml"
    channel.restore(saved)
    assert routing(twilio, PN) == before
    channel.close()


def test_webhook_credentials_never_reach_the_log_the_screen_or_an_export(
    notices, home, tmp_path, twilio: TwilioStandIn, web: WebRoot
):
    add_number(twilio)
    before = routing(twilio, PN)
    config = write_config(tmp_path, twilio, web, [PN])

    run = notices("evacuate", "--for", "4h", "--yes", "--json", "--config", str(config))
    assert run.exit_code == 0, run.stdout + run.stderr
    status = notices("status", "--json", "--config", str(config))
    preview = notices("resume", "--dry-run", "--config", str(config))
    done = notices("resume", "--yes", "--config", str(config))
    assert done.exit_code == 0, done.stdout + done.stderr
    assert routing(twilio, PN) == before
    records = json.dumps(log_records(notices, config))
    export = tmp_path / "export"
    exported = notices(
        "log",
        "export",
        "--since",
        "2020-01-01",
        "--until",
        "2099-01-01",
        "-o",
        str(export),
        "--config",
        str(config),
    )
    assert exported.exit_code == 0, exported.stdout + exported.stderr
    files = b"".join(p.read_bytes() for p in export.rglob("*") if p.is_file())

    for secret in SECRETS:
        for output in (run.stdout, status.stdout, preview.stdout, done.stdout, records):
            assert secret not in output
        assert secret.encode() not in files
