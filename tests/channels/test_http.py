"""notices.net.http: what every HTTP-speaking channel shares."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from notices.errors import PermanentChannelError, TransientChannelError
from notices.net.http import fetch_public, http_error, mask_url, retry_after
from tests.support.loopback import Silent, Site


def test_retry_after_in_seconds_or_as_an_http_date_any_header_case():
    assert retry_after({"Retry-After": "7"}) == 7
    assert retry_after({"retry-after": " 0 "}) == 0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after({"Retry-After": later}) or 0) <= 30
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after({"Retry-After": past}) == 0
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None
    assert retry_after(None) is None


def test_statuses_that_a_retry_can_mend_are_transient():
    for status in (408, 429, 500, 502, 503, 504):
        error = http_error(status, {"Retry-After": "4"}, f"HTTP {status}")
        assert isinstance(error, TransientChannelError), status
        assert error.retry_after == 4
    for status in (400, 401, 403, 404, 410, 422):
        assert isinstance(http_error(status, {}, "no"), PermanentChannelError), status


def test_secrets_in_urls_are_masked_and_the_rest_kept():
    assert (
        mask_url("https://ivr:pa55@crm.example.fi/hook?token=abc&lang=fi&Signature=x#top")
        == "https://***@crm.example.fi/hook?token=***&lang=fi&Signature=***#top"
    )
    assert mask_url("https://crm.example.fi/status?api_key=k1&sig=s") == (
        "https://crm.example.fi/status?api_key=***&sig=***"
    )
    assert mask_url("https://crm.example.fi/ivr?password=&x=1") == (
        "https://crm.example.fi/ivr?password=***&x=1"
    )
    plain = "https://webhooks.twilio.com/v1/Accounts/AC1/Flows/FW2"
    assert mask_url(plain) == plain
    assert mask_url("") == ""


@pytest.mark.integration
def test_fetch_public_returns_answers_and_bounds_a_hung_server(site: Site, silent: Silent):
    folder, url = site.folder("public")
    (folder / "status.json").write_text('{"mode": "normal"}\n')
    answer = fetch_public(url + "status.json", timeout=5)
    assert answer.status == 200 and answer.body == b'{"mode": "normal"}\n'
    assert answer.content_type.startswith("application/json")
    assert fetch_public(url + "missing.json", timeout=5).status == 404

    began = time.monotonic()
    with pytest.raises(TransientChannelError, match="cannot be fetched"):
        fetch_public(f"http://127.0.0.1:{silent.port}/status.json", timeout=1)
    assert time.monotonic() - began < 2.5
