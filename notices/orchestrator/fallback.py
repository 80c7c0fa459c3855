"""With two `serve` nodes: the staff numbers' fallback URLs point at the second node.

Twilio calls a number's `sms_url` (`voice_url`) and, when that fails or times out, its
`sms_fallback_url` (`voice_fallback_url`): with those set to the second node's address,
staff's SMS and calls reach whichever node is alive, with no load balancer of our own.
`check` reads the numbers from Twilio and names each one that does not point there.
"""

from __future__ import annotations

import os
from typing import Any

from notices.config import Config
from notices.paths import SMS_PATH, VOICE_PATH


def fallback_problems(config: Config) -> list[str]:
    """Each staff number whose fallback URL is not the second node's, in words ([] when
    there is no second node or no staff line)."""
    second = config.store.second_node_url
    sms = config.sms
    if not second or not sms.enabled or not sms.number:
        return []
    wanted = [(sms.number, "sms_fallback_url", second + SMS_PATH)]
    if sms.voice.enabled and sms.voice.number:
        wanted.append((sms.voice.number, "voice_fallback_url", second + VOICE_PATH))
    try:
        client = _client(config)
        problems = []
        for number, field, url in wanted:
            found = client.incoming_phone_numbers.list(phone_number=number, limit=1)
            if not found:
                problems.append(f"the Twilio number {number} ([sms]) is not in the account")
                continue
            actual = getattr(found[0], field, None)
            if actual != url:
                problems.append(
                    f"the Twilio number {number}: {field} is {actual or 'empty'}, not the"
                    f" second node's {url} ([store] second_node_url)"
                )
        return problems
    except Exception as exc:  # noqa: BLE001 - any failure to read is reported, not raised
        return [f"cannot read the staff numbers from Twilio: {str(exc) or type(exc).__name__}"]


def _client(config: Config) -> Any:
    from twilio.rest import Client

    sms = config.sms
    account = os.environ.get(sms.account_sid_env)
    token = os.environ.get(sms.auth_token_env)
    if not account or not token:
        raise ValueError(f"set {sms.account_sid_env} and {sms.auth_token_env}")
    client = Client(account, token)
    if sms.api_base:
        client.api.base_url = sms.api_base.rstrip("/")
    return client
