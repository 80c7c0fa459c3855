"""The banner published to an S3-compatible bucket (moto's server), through the CLI."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.website import S3Server

pytestmark = pytest.mark.integration

PREFIX = "notices/"
BEFORE = {
    "status.json": (b'{"mode": "normal", "active": false}\n', "application/json"),
    "notice.html": (b"<!doctype html><p>Kaikki hyvin \xe2\x80\x94 all good</p>\n", "text/html"),
}
TYPES = {
    "status.json": "application/json",
    "banner.html": "text/html; charset=utf-8",
    "notice.html": "text/html; charset=utf-8",
    "notices.js": "text/javascript; charset=utf-8",
}


@pytest.fixture
def bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TEST_S3_KEY_ID", "test-key-id")
    monkeypatch.setenv("TEST_S3_SECRET", "test-secret")
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    return name


def configure(home: Path, s3_server: S3Server, bucket: str, endpoint: str | None = None) -> str:
    public_url = f"{s3_server.endpoint}/{bucket}/{PREFIX}"
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f"""
[channels.website]
kind = "banner"
public_url = "{public_url}"
[channels.website.publisher]
type = "s3"
bucket = "{bucket}"
prefix = "{PREFIX}"
endpoint_url = "{endpoint or s3_server.endpoint}"
region = "eu-north-1"
access_key_id_env = "TEST_S3_KEY_ID"
secret_access_key_env = "TEST_S3_SECRET"
path_style = true
acl = "public-read"
timeout = 2
"""
    )
    return public_url


def objects(s3_server: S3Server, bucket: str) -> dict[str, bytes]:
    s3 = s3_server.client()
    listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


def test_evacuate_publishes_to_s3_with_headers_and_resume_restores_exactly(
    notices, home, s3_server, bucket
):
    s3 = s3_server.client()
    for name, (content, content_type) in BEFORE.items():
        s3.put_object(Bucket=bucket, Key=PREFIX + name, Body=content, ContentType=content_type)
    before = objects(s3_server, bucket)
    public_url = configure(home, s3_server, bucket)

    run = notices("evacuate", "--for", "1h", "--yes", "--json")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.json()["channels"][0]["description"].startswith(f"banner s3 {bucket}/{PREFIX}")

    published = objects(s3_server, bucket)
    assert set(published) == {PREFIX + name for name in TYPES}  # no temporary keys left
    assert json.loads(published[PREFIX + "status.json"])["active"] is True
    for name, content_type in TYPES.items():
        head = s3.head_object(Bucket=bucket, Key=PREFIX + name)
        assert head["ContentType"] == content_type, name
        assert head["CacheControl"] == "max-age=30", name
        grants = s3.get_object_acl(Bucket=bucket, Key=PREFIX + name)["Grants"]
        assert any(
            g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
            for g in grants
        ), name
    # What a visitor's browser gets from the bucket, with no credentials at all.
    with urllib.request.urlopen(public_url + "status.json") as response:
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Cache-Control"] == "max-age=30"
        assert json.loads(response.read())["mode"] == "evacuate"

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr
    after = objects(s3_server, bucket)
    assert after.pop(PREFIX + "notices.js")
    assert after == before  # byte for byte; banner.html was absent and is absent again
    restored = s3.head_object(Bucket=bucket, Key=PREFIX + "status.json")
    assert restored["CacheControl"] == "max-age=30"


def test_a_bucket_that_does_not_exist_is_a_permanent_error(notices, home, s3_server, bucket):
    configure(home, s3_server, bucket + "-missing")
    run = notices("evacuate", "--yes", "--json")
    assert run.exit_code == 1
    assert "does not exist" in run.json()["channels"][0]["error"]
    assert "channel.retry" not in notices("log", "show", "--json").stdout


def test_an_unreachable_endpoint_is_a_transient_error(notices, home, s3_server, bucket):
    configure(home, s3_server, bucket, endpoint=f"http://127.0.0.1:{free_port()}")
    run = notices("evacuate", "--yes", "--json")
    assert run.exit_code == 1
    assert "could not read" in run.json()["channels"][0]["error"]
    assert "channel.retry" in notices("log", "show", "--json").stdout


def test_missing_credentials_are_named(notices, home, s3_server, bucket, monkeypatch):
    configure(home, s3_server, bucket)
    monkeypatch.delenv("TEST_S3_SECRET")
    run = notices("check")
    assert run.exit_code == 1
    assert "TEST_S3_SECRET" in run.stdout
