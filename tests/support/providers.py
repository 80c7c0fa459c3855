"""The real channel kinds side by side, each against its stand-in (Twilio, Microsoft 365,
Gmail, an S3 bucket behind a fault proxy), with one switch to break any of them, and readers
of what each provider serves now and of what the log recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.catalogue import ATTEMPTS, ProviderFault
from tests.support.cloudmail import CLIENT_ID, GRAPH_SECRET
from tests.support.cloudmail_standins import Google, Microsoft
from tests.support.faultproxy import FaultProxy, ProxyFault
from tests.support.log import log_rows
from tests.support.loopback import WebRoot
from tests.support.net import free_port
from tests.support.twilio import TOKEN
from tests.support.twilio_standin import Fault, TwilioStandIn
from tests.support.website import S3Server

PN = "PN" + "7" * 32
PHONE = "+358401000007"
ORIGINAL_VOICE_URL = "https://crm.example.fi/ivr"
MAILBOX = "asiakaspalvelu@example.fi"
BUCKET = "reliability-site"
S3_KEY_ID = "AKIAFAKEKEYID0000001"
S3_SECRET = "fake-s3-secret/0123456789abcdefABCDEF"
TIMEOUT_S = 1.0  # each channel's time-out in the suite: read time-outs cost 2 x this
DRIP_S = 0.1

# The fake secrets every scenario runs with; test_secrets searches every output for them.
SECRETS = (TOKEN, GRAPH_SECRET, S3_SECRET)

RETRY = f"[retry]\nattempts = {ATTEMPTS}\nwait_s = 0.05\nmax_wait_s = 1\n"


def broken_url(network: str, secure: bool = False) -> str:
    if network == "dns":
        return f"{'https' if secure else 'http'}://nonexistent.invalid"
    return f"{'https' if secure else 'http'}://127.0.0.1:{free_port()}"


@dataclass
class Providers:
    """Twilio, Microsoft 365, Gmail and an S3 bucket, each holding its normal setting."""

    twilio: TwilioStandIn
    web: WebRoot
    microsoft: Microsoft
    google: Google
    s3: S3Server
    proxy: FaultProxy
    home: Path
    broken: dict[str, str]  # kind -> "refused" | "dns"

    def config(
        self, kinds: tuple[str, ...] = ("twilio_voice", "email_graph", "email_gmail", "banner")
    ) -> Path:
        def url(kind: str, good: str, secure: bool = False) -> str:
            network = self.broken.get(kind)
            return broken_url(network, secure) if network else good

        parts = [RETRY]
        if "twilio_voice" in kinds:
            parts.append(
                f"""
[channels.phone]
kind = "twilio_voice"
numbers = ["{PN}"]
api_base = "{url("twilio_voice", self.twilio.url)}"
greeting_url = "{self.web.url}/greeting.xml"
publisher = {{ type = "folder", path = "{self.web.root}" }}
timeout_s = {TIMEOUT_S}
"""
            )
        if "email_graph" in kinds:
            base = url("email_graph", self.microsoft.url, secure=True)
            parts.append(
                f"""
[channels.m365]
kind = "email_graph"
tenant_id = "{self.microsoft.tenant}"
client_id = "{CLIENT_ID}"
client_secret_env = "TEST_GRAPH_SECRET"
mailboxes = ["{MAILBOX}"]
authority_host = "{base}"
graph_base = "{base}/v1.0"
timeout_s = {TIMEOUT_S}
"""
            )
        if "email_gmail" in kinds:
            base = url("email_gmail", self.google.url, secure=True)
            parts.append(
                f"""
[channels.workspace]
kind = "email_gmail"
service_account_key_env = "TEST_GMAIL_KEY"
mailboxes = ["{MAILBOX}"]
api_base = "{base}/gmail/v1"
token_uri = "{base}/token"
timeout_s = {TIMEOUT_S}
"""
            )
        if "banner" in kinds:
            parts.append(
                f"""
[channels.website]
kind = "banner"
[channels.website.publisher]
type = "s3"
bucket = "{BUCKET}"
prefix = "notices/"
endpoint_url = "{url("banner", self.proxy.url)}"
region = "eu-north-1"
access_key_id_env = "TEST_S3_KEY_ID"
secret_access_key_env = "TEST_S3_SECRET"
path_style = true
timeout = {TIMEOUT_S}
"""
            )
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / "notices.toml"
        path.write_text("".join(parts), "utf-8")
        return path

    # -- faults ---------------------------------------------------------------------------

    def inject(self, kind: str, fault: ProviderFault) -> None:
        if fault.network:
            self.broken[kind] = fault.network
            self.config()
            return
        delay = TIMEOUT_S * 2.5 if fault.delay else 0.0
        drip = DRIP_S if fault.drip else 0.0
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        status = fault.status or 200
        if kind == "twilio_voice":
            for method in ("GET", "POST"):
                self.twilio.inject(
                    Fault(
                        method,
                        "/IncomingPhoneNumbers",
                        status,
                        1000,
                        fault.retry_after,
                        delay,
                        drip,
                    )
                )
        elif kind == "email_graph":
            self.microsoft.inject(
                status,
                path_contains="/v1.0/users/",
                times=1000,
                headers=headers,
                delay=delay,
                drip=drip,
            )
        elif kind == "email_gmail":
            self.google.inject(
                status,
                path_contains="/gmail/v1/",
                times=1000,
                headers=headers,
                delay=delay,
                drip=drip,
            )
        elif kind == "banner":
            self.proxy.inject(ProxyFault(fault.status or 0, fault.retry_after, delay, drip))
        else:
            raise AssertionError(kind)

    def clear(self) -> None:
        self.broken.clear()
        self.config()
        self.twilio.state.faults.clear()
        with self.microsoft.lock:
            self.microsoft.faults.clear()
        with self.google.lock:
            self.google.faults.clear()
        self.proxy.clear()

    # -- what each provider serves now ----------------------------------------------------

    def state(self) -> dict[str, Any]:
        number = self.twilio.routing(PN, ("voice_url",))
        try:
            body = self.s3.client().get_object(Bucket=BUCKET, Key="notices/status.json")["Body"]
            banner: Any = json.loads(body.read())
        except Exception:  # noqa: BLE001 - absent
            banner = None
        return {
            "twilio_voice": number["voice_url"],
            "email_graph": self.microsoft.setting(MAILBOX)["status"],
            "email_gmail": self.google.vacation(MAILBOX)["enableAutoReply"],
            "banner": banner and banner.get("mode"),
        }

    def switched(self) -> dict[str, bool]:
        now = self.state()
        return {
            "twilio_voice": now["twilio_voice"] == f"{self.web.url}/greeting.xml",
            "email_graph": now["email_graph"] != "disabled",
            "email_gmail": bool(now["email_gmail"]),
            "banner": now["banner"] == "evacuate",
        }


NORMAL = {
    "twilio_voice": ORIGINAL_VOICE_URL,
    "email_graph": "disabled",
    "email_gmail": False,
    "banner": "normal",
}
CHANNEL_OF = {
    "twilio_voice": "phone",
    "email_graph": "m365",
    "email_gmail": "workspace",
    "banner": "website",
}


def records(home: Path, kind: str | None = None) -> list[dict[str, Any]]:
    rows = log_rows(home)
    for row in rows:
        row["payload"] = json.loads(row["payload"])
    return [r for r in rows if kind is None or r["kind"] == kind]


def switches(home: Path) -> dict[str, int]:
    """How often each channel was really changed (channel.applied with changed = true)."""
    counts: dict[str, int] = {}
    for record in records(home, "channel.applied"):
        if record["payload"]["changed"]:
            counts[record["channel"]] = counts.get(record["channel"], 0) + 1
    return counts
