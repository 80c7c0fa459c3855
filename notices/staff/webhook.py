"""The staff webhook of `serve`: one entry for SMS and staff-line requests.

It reads the configuration anew for each request (so an edited allowlist applies at once),
answers 404 while `[sms]` (or `[sms.voice]`) is off, and hands the request to the SMS line
or the staff line under the gate's lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from notices.config import Config, load_config
from notices.errors import NoticesError
from notices.paths import VOICE_PATH, config_path
from notices.staff.call import StaffLine
from notices.staff.gate import Form, Response, StaffGate
from notices.staff.sms import SmsLine

CONFIG_WINDOW_S = 900.0  # the default failure window: the configuration cannot be read


class StaffWebhook:
    def __init__(
        self, home: Path, config_file: Path | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.home = home
        self.config_file = config_file
        self.gate = StaffGate(home, clock)
        self.sms = SmsLine(self.gate)
        self.calls = StaffLine(self.gate)

    def close(self) -> None:
        self.gate.close()

    def handle(self, target: str, signature: str | None, raw: bytes) -> Response:
        """One webhook request: the path with its query, X-Twilio-Signature, the form body."""
        try:
            config = load_config(config_path(self.home, self.config_file))
        except NoticesError as exc:
            # Once per window, not per request: a broken configuration must not let anyone
            # on the internet fill the log.
            payload = {"reason": "configuration", "error": str(exc)}
            return self.gate.unavailable("sms", payload, CONFIG_WINDOW_S)
        sms = config.sms
        voice = target.split("?", 1)[0].endswith(VOICE_PATH)
        if not sms.enabled or sms.public_url is None or (voice and not sms.voice.enabled):
            return 404, b"", "text/plain"
        form = Form(parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
        base = _signed_for(config, sms.public_url, target, signature or "", form)
        with self.gate.lock:
            line = self.calls if voice else self.sms
            return line.handle(config, sms, base, target, signature or "", form)


def _signed_for(config: Config, public_url: str, target: str, signature: str, form: Form) -> str:
    """The public address Twilio called: `[sms] public_url`, or with two nodes the other
    one's (`[store] second_node_url`, the numbers' fallback URL) when the request is signed
    for it; a call's next steps then go to the same node."""
    import os

    from twilio.request_validator import RequestValidator

    second = config.store.second_node_url
    token = os.environ.get(config.sms.auth_token_env)
    if second and token and RequestValidator(token).validate(second + target, form, signature):
        return second
    return public_url
