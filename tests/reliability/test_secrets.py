"""No credential on the screen, in the log, the database, an exported dossier or an
exception's output: a provider that echoes the secret back in its error, and a bug (an
unexpected exception) inside a channel that has just read its secrets."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from pypdf import PdfReader

from tests.support.faultproxy import FaultProxy, ProxyFault
from tests.support.providers import GRAPH_SECRET, Providers, records
from tests.support.twilio import ACCOUNT, TOKEN

pytestmark = pytest.mark.integration

KINDS = ("twilio_voice", "email_graph")


def pdf_bytes(path: Path) -> bytes:
    """Every stream of a PDF, decompressed (text, metadata, the attached files)."""
    reader = PdfReader(path)
    found = [path.read_bytes()]
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: BLE001 - a free or odd object holds nothing to read
            continue
        if obj is not None and hasattr(obj, "get_data"):
            found.append(obj.get_data())
    return b"\n".join(found)


def everything(
    notices, home: Path, incident: str, tmp_path: Path, *outputs: str
) -> dict[str, bytes]:
    """Every place a secret could end up: outputs, `log show`, `status`, the database and
    its journal, and every file of the incident's dossier (PDF streams decompressed)."""
    places = {f"output {i}": text.encode() for i, text in enumerate(outputs)}
    for args in (("log", "show", "--json"), ("status", "--json"), ("status",)):
        run = notices(*args)
        places[" ".join(args)] = (run.stdout + run.stderr).encode()
    dossier = tmp_path / "dossier"
    run = notices("log", "export", "--incident", incident, "-o", str(dossier))
    assert run.exit_code == 0, run.stderr
    for path in [*home.rglob("*"), *dossier.rglob("*")]:
        if path.is_file():
            places[str(path)] = pdf_bytes(path) if path.suffix == ".pdf" else path.read_bytes()
    assert any(name.endswith(".pdf") for name in places), places.keys()
    return places


def assert_nowhere(places: dict[str, bytes], *secrets: str) -> None:
    for where, data in places.items():
        for secret in secrets:
            assert secret.encode() not in data, f"a secret in {where}"


def test_a_provider_echoing_the_secret_in_its_error_does_not_leak_it(
    notices, providers: Providers, home, tmp_path
):
    providers.config(KINDS)
    providers.microsoft.inject(
        401,
        path_contains="/oauth2/v2.0/token",
        times=100,
        body={
            "error": "invalid_client",
            "error_description": f"AADSTS7000215: Invalid client secret provided: {GRAPH_SECRET}",
        },
    )
    run = notices("evacuate", "--yes", "--json")
    assert run.exit_code == 1, run.stdout + run.stderr
    outcome = {c["name"]: c for c in run.json()["channels"]}
    assert outcome["phone"]["ok"] and not outcome["m365"]["ok"]
    assert "Invalid client secret provided: [secret]" in outcome["m365"]["error"]
    places = everything(notices, home, run.json()["incident"], tmp_path, run.stdout + run.stderr)
    assert_nowhere(places, GRAPH_SECRET, TOKEN)


def test_an_unexpected_exception_in_a_channel_shows_no_secret_and_no_trace(
    notices, notices_process, providers: Providers, home, tmp_path
):
    providers.config(KINDS)
    process = notices_process(
        "evacuate", "--yes", env={"NOTICES_FAULT_INJECT": "raise-after-credentials:phone"}
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    screen = " ".join((out + err).split())
    assert "fault injected at after-credentials" in screen and "Traceback" not in screen, screen
    assert providers.switched()["email_graph"] and not providers.switched()["twilio_voice"]
    incident = notices("status", "--json").json()["incident"]
    assert_nowhere(everything(notices, home, incident, tmp_path, out + err), GRAPH_SECRET, TOKEN)


def echoing(headers: Mapping[str, str]) -> dict[str, object]:
    """What a careless proxy answers: the Authorization header it got, in every encoding."""
    authorization = headers.get("Authorization", "")
    encoded = authorization.removeprefix("Basic ")
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return {
        "code": 21_999,
        "message": f"proxy refused {authorization!r} (credentials {encoded}; user"
        f" {quote(f'{user}:{password}', safe='')}); see"
        f" https://{user}:{quote(password, safe='')}@proxy.example/help?auth_token={password}"
        f" and https://proxy.example/help?x[/y]=1",
        "status": 400,
    }


def forms(secret: str, user: str) -> tuple[str, ...]:
    """The secret as a proxy may echo it: plain, URL-encoded, base64 alone and with its user."""
    pair = f"{user}:{secret}".encode()
    return (
        secret,
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(pair).decode(),
        base64.b64encode(pair).decode().rstrip("="),
    )


def test_a_proxy_echoing_the_authorization_header_leaks_the_secret_in_no_encoding(
    notices, providers: Providers, home, tmp_path
):
    proxy = FaultProxy(urlsplit(providers.twilio.url).port or 0)
    try:
        path = providers.config(KINDS)
        path.write_text(path.read_text().replace(providers.twilio.url, proxy.url), "utf-8")
        proxy.inject(ProxyFault(400, answer=echoing))
        check = notices("check")
        run = notices("evacuate", "--yes")
        dry = notices("evacuate", "--yes", "--dry-run")
    finally:
        proxy.stop()
    assert run.exit_code == 1, run.stdout + run.stderr
    screen = run.stdout + run.stderr
    # The echo came through (so the test can fail), its secrets masked.
    assert "proxy refused 'Basic ***'" in " ".join(screen.split()), screen
    assert "auth_token=***" in screen and "[secret]" in screen
    incident = notices("status", "--json").json()["incident"]
    places = everything(
        notices, home, incident, tmp_path, screen, check.stdout + check.stderr, dry.stdout
    )
    failed = [r for r in records(home, "channel.failed") if r["channel"] == "phone"]
    assert failed and "Basic ***" in failed[0]["payload"]["error"]
    assert_nowhere(places, *forms(TOKEN, ACCOUNT), GRAPH_SECRET)
