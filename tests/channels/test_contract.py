"""The channel contract: the README's minimal provider runs through the real commands, and
what the base class derives (describing, masking, credentials, closing) works for any
provider without code of its own."""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from notices.channels import registry
from notices.channels.base import (
    Artefacts,
    Channel,
    ChannelContext,
    ChannelOptions,
    Notice,
    Receipt,
    Setting,
)
from notices.errors import TransientChannelError
from notices.orchestrator.steps import _once

README = Path(__file__).resolve().parents[2] / "README.md"
MODULE = "notices_readme_kiosk"
BEFORE = "<p>Open Monday to Friday, 9-16.</p>\n"


def readme_provider() -> str:
    """The first Python block of the README's "Adding a channel" section."""
    text = README.read_text("utf-8")
    section = text.split("### Adding a channel", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README's 'Adding a channel' has no Python example"
    return match.group(1)


@pytest.fixture
def kiosk(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Channel]]:
    """The README's provider, importable and registered as kind `kiosk`."""
    module = types.ModuleType(MODULE)
    monkeypatch.setitem(sys.modules, MODULE, module)
    exec(compile(readme_provider(), "README.md", "exec"), module.__dict__)
    known = dict(registry._entry_points())
    known["kiosk"] = EntryPoint(name="kiosk", value=f"{MODULE}:Kiosk", group=registry.GROUP)
    monkeypatch.setattr(registry, "_entry_points", lambda: known)
    yield module.Kiosk


def log_records(notices, config: Path) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    out = notices("log", "show", "--json", "--config", str(config)).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_the_readme_provider_switches_reads_back_and_restores(notices, home, tmp_path, kiosk):
    home.mkdir(parents=True, exist_ok=True)
    (home / "kiosk.html").write_text(BEFORE)
    config = tmp_path / "notices.toml"
    config.write_text('[channels.lobby]\nkind = "kiosk"\npath = "kiosk.html"\n')

    first = notices("evacuate", "--for", "2h", "--yes", "--json", "--config", str(config))
    assert first.exit_code == 0, first.stdout + first.stderr
    [lobby] = first.json()["channels"]
    assert lobby["ok"] and lobby["changed"]
    assert lobby["description"] == f"kiosk {home / 'kiosk.html'}"
    shown = (home / "kiosk.html").read_text()
    assert shown != BEFORE and shown.strip()

    again = notices("evacuate", "--yes", "--json", "--config", str(config))
    assert again.exit_code == 0, again.stdout + again.stderr
    assert not again.json()["channels"][0]["changed"]  # applying twice changes nothing
    assert (home / "kiosk.html").read_text() == shown

    status = notices("status", "--json", "--config", str(config))
    assert status.json()["channels"][0]["state"] == "evacuate"

    done = notices("resume", "--yes", "--config", str(config))
    assert done.exit_code == 0, done.stdout + done.stderr
    assert (home / "kiosk.html").read_text() == BEFORE

    records = log_records(notices, config)
    kinds = [r["kind"] for r in records if r.get("channel") == "lobby"]
    assert kinds.count("channel.snapshot") == 1  # stored once per incident
    assert kinds.count("channel.applied") == 2 and kinds.count("channel.restored") == 1
    verified = [r["payload"] for r in records if r["kind"] == "channel.verified"]
    assert [v["holds"] for v in verified] == [True, True, True]
    assert [v["target"] for v in verified] == ["incident", "incident", "normal"]
    assert notices("log", "verify").exit_code == 0


def test_a_failed_read_ahead_does_not_stop_the_resume(notices, home, tmp_path, kiosk, monkeypatch):
    """The read before the gate is only a head start: the change reads by itself."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "kiosk.html").write_text(BEFORE)
    config = tmp_path / "notices.toml"
    config.write_text('[channels.lobby]\nkind = "kiosk"\npath = "kiosk.html"\n')
    assert notices("evacuate", "--yes", "--config", str(config)).exit_code == 0
    read = kiosk.snapshot
    calls: list[bool] = []

    def flaky(self: Channel, served: bool = False) -> Setting:
        calls.append(served)
        if len(calls) == 1:
            raise TransientChannelError("the provider did not answer in time")
        return read(self, served)

    monkeypatch.setattr(kiosk, "snapshot", flaky)
    done = notices("resume", "--yes", "--json", "--config", str(config))
    assert done.exit_code == 0, done.stdout + done.stderr
    assert (home / "kiosk.html").read_text() == BEFORE
    assert calls == [False, False, True]  # ahead (failed), restore's own read, read-back
    kinds = [r["kind"] for r in log_records(notices, config)]
    assert "channel.failed" not in kinds and "channel.retry" not in kinds


def test_the_contract_a_provider_must_write_is_five_methods():
    assert Channel.__abstractmethods__ == {"identity", "build", "snapshot", "apply", "restore"}


def test_no_built_in_provider_overrides_what_the_base_derives():
    """`holds` is "no differences", and describing, masking, credentials, the modules to
    import ahead, preparing what it owns and closing are the base's: a provider refines
    `differences` and `warm`, not them."""
    derived = {"holds", "describe", "public", "credential_variables", "expected", "clients"}
    derived |= {"close", "own", "name", "import_clients", "prepare"}
    for kind in registry._entry_points():
        provider = registry.channel_class(kind)
        overridden = {
            name
            for klass in provider.__mro__
            if klass is not Channel and issubclass(klass, Channel)
            for name in vars(klass)
            if name in derived
        }
        assert not overridden, f"{kind} overrides {sorted(overridden)}"


def test_status_says_how_a_hand_changed_setting_differs(notices, home, tmp_path, kiosk):
    """The default `differences` (fingerprints compared) says what is read back instead."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "kiosk.html").write_text(BEFORE)
    config = tmp_path / "notices.toml"
    config.write_text('[channels.lobby]\nkind = "kiosk"\npath = "kiosk.html"\n')
    assert notices("evacuate", "--yes", "--config", str(config)).exit_code == 0
    (home / "kiosk.html").write_text("<p>changed by hand</p>\n")
    status = notices("status", "--json", "--config", str(config))
    [lobby] = status.json()["channels"]
    assert lobby["state"] == "differs" and not lobby["ok"]
    assert "reads back kiosk.html" in lobby["error"], lobby["error"]


def test_a_retry_is_not_handed_the_read_from_before_the_first_attempt():
    setting = Setting(data={"files": {}}, summary="no files")
    fresh = _once(setting)
    assert fresh() is setting
    assert fresh() is None and fresh() is None


class Inner(BaseModel):
    password_env: str = "INNER_PASSWORD"


class SampleOptions(ChannelOptions):
    replaced_by: ClassVar[dict[str, str]] = {"token_env": "key_env"}
    url: str = "https://user:hunter22@hooks.example.fi/x?token=abc123&site=hq"
    token_env: str = "SAMPLE_TOKEN"
    key_env: str | None = None
    flag: bool = False
    inner: Inner = Field(default_factory=Inner)


class Resource:
    closed = 0

    def close(self) -> None:
        self.closed += 1


class Sample(Channel):
    kind = "sample"
    medium = "banner"
    Options = SampleOptions
    described = ("url", "flag", "key_env")

    def identity(self) -> str:
        return "sample target"

    def build(self, notice: Notice) -> Artefacts:
        return Artefacts(files={})

    def snapshot(self, served: bool = False) -> Setting:
        return Setting(data={}, summary="")

    def apply(self, artefacts: Artefacts, current: Setting | None = None) -> Receipt:
        return Receipt(changed=False)

    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        return Receipt(changed=False)


def sample(tmp_path: Path, **options: Any) -> Sample:
    return Sample(SampleOptions(**options), ChannelContext(home=tmp_path, name="s"))


def test_describe_shows_the_declared_options_masked_and_where_secrets_come_from(tmp_path):
    line = sample(tmp_path).describe()
    assert line == (
        "sample sample target (url https://***@hooks.example.fi/x?token=***&site=hq;"
        " flag off; secrets from $INNER_PASSWORD, $SAMPLE_TOKEN)"
    )
    assert "hunter22" not in line and "abc123" not in line


def test_credential_variables_walk_the_options_and_skip_a_replaced_one(tmp_path):
    assert sample(tmp_path).credential_variables() == {
        "token_env": "SAMPLE_TOKEN",
        "inner.password_env": "INNER_PASSWORD",
    }
    assert sample(tmp_path, key_env="SAMPLE_KEY").credential_variables() == {
        "key_env": "SAMPLE_KEY",
        "inner.password_env": "INNER_PASSWORD",
    }


def test_public_masks_every_url_in_any_setting_and_in_its_summary(tmp_path):
    raw = "https://ops:S3cret-pass@crm.example.fi/hook?sig=S1g-value&lang=fi"
    setting = Setting(
        data={"a": {"b": [raw, "plain text", 3]}, "c": raw, "d": f"text around {raw}"},
        summary=f"a -> {raw}",
    )
    shown = sample(tmp_path).public(setting)
    masked = "https://***@crm.example.fi/hook?sig=***&lang=fi"
    assert shown.data == {
        "a": {"b": [masked, "plain text", 3]},
        "c": masked,
        "d": f"text around {raw}",  # only whole URLs: a text is what was published
    }
    assert shown.summary == f"a -> {masked}"
    assert setting.data["c"] == raw  # the raw setting is untouched


def test_close_closes_what_the_channel_owns_once(tmp_path):
    channel = sample(tmp_path)
    first, second = channel.own(Resource()), channel.own(Resource())
    channel.close()
    channel.close()
    assert (first.closed, second.closed) == (1, 1)


def test_the_expected_setting_defaults_to_exactly_the_files(tmp_path):
    channel = sample(tmp_path)
    built = Artefacts(files={"a.txt": "A"})
    assert channel.expected(built).data == {"files": {"a.txt": "A"}}
    chosen = Setting(data={"x": 1}, summary="x")
    assert channel.expected(Artefacts(files={"a.txt": "A"}, expected=chosen)) is chosen
