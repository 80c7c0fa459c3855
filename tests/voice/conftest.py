"""The staff line: a real `notices serve` with [sms.voice] on (Twilio's side of a call is
`Call` in tests/support/voice.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.sms import Gateway
from tests.support.voice import LINE


@pytest.fixture
def staff_line(request: pytest.FixtureRequest) -> Callable[..., Gateway]:
    """`notices serve` with the SMS gate and its staff line; keys of [sms.voice] as overrides."""
    serve: Callable[..., Gateway] = request.getfixturevalue("gateway")

    def start(voice: dict[str, str] | None = None, **sms: Any) -> Gateway:
        gw = serve(**sms)
        settings = {"enabled": "true", "number": f'"{LINE}"'} | (voice or {})
        section = "\n[sms.voice]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
        config = gw.home / "notices.toml"
        # serve reads its configuration at every request: no restart needed.
        config.write_text(config.read_text("utf-8") + section, "utf-8")
        return gw

    return start
