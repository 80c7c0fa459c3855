"""The [sms.voice] section: validated like every other key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notices.config import Config

STAFF = {"name": "Maija", "number": "+358401111111"}
SMS = {"enabled": True, "public_url": "https://n.example.fi", "number": "+358931234567"}


def config(voice: dict, channels: dict | None = None, **sms: object) -> Config:
    extra = {"channels": channels} if channels else {}
    return Config.model_validate({"sms": {**SMS, "staff": [STAFF], **sms, "voice": voice}, **extra})


def test_defaults_and_own_digits():
    line = config({"enabled": True, "number": "+358931239999"}).sms.voice
    assert line.digits == {"1": "evacuate", "2": "power-out", "9": "resume", "0": "status"}
    own = config({"enabled": True, "number": "+358931239999", "digits": {"5": "power-out"}})
    assert own.sms.voice.digits == {"5": "power-out"}


@pytest.mark.parametrize(
    ("voice", "sms", "channels", "message"),
    [
        ({"enabled": True}, {}, None, "set number"),
        ({"number": "0931239999"}, {}, None, "E.164"),
        ({"digits": {"12": "evacuate"}}, {}, None, "one key from 0 to 9"),
        ({"digits": {"*": "evacuate"}}, {}, None, "one key from 0 to 9"),
        ({"digits": {"3": "flood"}}, {}, None, "no mode or command"),
        (
            {"enabled": True, "number": "+358931239999"},
            {"enabled": False},
            None,
            r"needs \[sms\] enabled",
        ),
        (
            {"enabled": True, "number": "+358931239999"},
            {},
            {"phone": {"kind": "twilio_voice", "numbers": ["+358931239999"]}},
            "also switched by channel phone",
        ),
    ],
)
def test_mistakes_are_refused(voice, sms, channels, message):
    with pytest.raises(ValidationError, match=message):
        config(voice, channels, **sms)
