"""The real channel kinds side by side, each against its stand-in, with one switch to break
any of them (tests/support/providers.py). Reuses the servers of tests/phone,
tests/email_cloud and tests/website (their fixtures are in tests/conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cloudmail_standins import Google, Microsoft
from tests.support.faultproxy import FaultProxy
from tests.support.loopback import WebRoot
from tests.support.providers import (
    BUCKET,
    MAILBOX,
    ORIGINAL_VOICE_URL,
    PHONE,
    PN,
    S3_KEY_ID,
    S3_SECRET,
    Providers,
)
from tests.support.twilio import ACCOUNT
from tests.support.twilio_standin import TwilioStandIn
from tests.support.website import S3Server


@pytest.fixture(scope="session")
def fault_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(s3_server.port)
    yield proxy
    proxy.stop()


@pytest.fixture
def providers(
    twilio: TwilioStandIn,
    web: WebRoot,
    microsoft: Microsoft,
    google: Google,
    s3_server: S3Server,
    fault_proxy: FaultProxy,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Providers:
    twilio.add_number(ACCOUNT, PN, PHONE, voice_url=ORIGINAL_VOICE_URL, voice_method="POST")
    microsoft.add_mailbox(MAILBOX)
    google.add_user(MAILBOX)
    monkeypatch.setenv("TEST_S3_KEY_ID", S3_KEY_ID)
    monkeypatch.setenv("TEST_S3_SECRET", S3_SECRET)
    client = s3_server.client()
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.put_object(
        Bucket=BUCKET,
        Key="notices/status.json",
        Body=b'{"mode": "normal", "active": false}\n',
        ContentType="application/json",
    )
    fault_proxy.clear()
    found = Providers(twilio, web, microsoft, google, s3_server, fault_proxy, home, {})
    found.config()
    return found
