"""The banner published to an S3-compatible bucket (moto's server), through the CLI."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.net import free_port
from tests.support.website import S3Server, site_page

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


def configure(
    home: Path, s3_server: S3Server, bucket: str, endpoint: str | None = None, origin: str = ""
) -> str:
    public_url = f"{s3_server.endpoint}/{bucket}/{PREFIX}"
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        f"""
[organisation]
name = "Testipalvelu Oy"
[channels.website]
kind = "banner"
public_url = "{public_url}"
{f'site_origins = ["{origin}"]' if origin else ""}
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


CORS_RULE = {"AllowedOrigins": [], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"]}


def test_a_page_on_another_origin_shows_and_drops_the_banner_with_the_documented_cors_rule(
    notices, home, s3_server, bucket, static_site, page
):
    # The pages on the company's host, the files in the bucket: two origins.
    origin = static_site.url().rstrip("/")
    s3_server.client().put_bucket_cors(
        Bucket=bucket, CORSConfiguration={"CORSRules": [{**CORS_RULE, "AllowedOrigins": [origin]}]}
    )
    configure(home, s3_server, bucket)
    embed = notices("embed", "--publish")
    assert embed.exit_code == 0, embed.stdout + embed.stderr
    head = s3_server.client().head_object(Bucket=bucket, Key=PREFIX + "status.json")
    assert head["CacheControl"] == "max-age=30"
    folder = static_site.folder(f"cors-{bucket}")
    snippet = embed.stdout.strip().replace(" defer>", ' data-interval="1" defer>')
    (folder / "page.html").write_text(site_page("fi", snippet, dimmer=True), "utf-8")

    page.goto(static_site.url(f"cors-{bucket}/page.html"))
    time.sleep(1.5)  # a check or two with nothing to show
    expect(page.locator("#notices-banner")).to_have_count(0)
    assert notices("evacuate", "--for", "2h", "--yes").exit_code == 0
    expect(page.get_by_role("alert")).to_contain_text(
        "Toimipiste tilapäisesti suljettu", timeout=5000
    )

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr
    after = objects(s3_server, bucket)
    assert json.loads(after[PREFIX + "status.json"]) == {"mode": "normal", "active": False}
    expect(page.locator("#notices-banner")).to_have_count(0, timeout=5000)
    time.sleep(1.5)
    assert page.console_problems == []  # type: ignore[attr-defined]
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_check_verifies_the_cors_rule_for_the_state_and_its_error_answers(
    notices, home, s3_server, bucket
):
    origin = "https://www.esimerkki.fi"
    public_url = configure(home, s3_server, bucket, origin=origin)
    assert notices("embed", "--publish").exit_code == 0
    missing = notices("check")
    assert missing.exit_code == 1, missing.stdout
    said = " ".join(missing.stdout.split())
    assert f"status.json does not let pages on {origin} read it" in said
    assert "Access-Control-Allow-Origin: missing" in said

    # A rule for another site is no rule for this one.
    other = {**CORS_RULE, "AllowedOrigins": ["https://muu.example"]}
    s3_server.client().put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [other]})
    assert notices("check").exit_code == 1

    # The rule as docs/website.md gives it.
    rule = {**CORS_RULE, "AllowedOrigins": [origin]}
    s3_server.client().put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    passed = notices("check")
    assert passed.exit_code == 0, passed.stdout + passed.stderr
    said = " ".join(passed.stdout.split())
    assert f"CORS lets {origin} read it" in said
    assert public_url in said
    # moto, unlike S3, sends no CORS headers with its error answers: said, not failed.
    assert f"error answers (a missing file) carry no CORS header for {origin}" in said
