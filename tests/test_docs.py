"""Docs that tests keep honest: every command, channel kind and config key is documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import typer.main

from notices import cli
from notices.channels.registry import kinds
from notices.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}


def command_names() -> list[str]:
    group = typer.main.get_group(cli.app)
    names = []
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        names.extend(f"{name} {s}" for s in sub) if sub else names.append(name)
    return names


@pytest.mark.parametrize("command", command_names())
def test_every_command_is_in_the_readme(command):
    assert f"`notices {command}" in README, f"README's command table lacks `notices {command}`"


@pytest.mark.parametrize("kind", kinds())
def test_every_channel_kind_is_in_the_readme(kind):
    assert re.search(rf"^\| `{kind}` \|", README, re.M), (
        f"README's channel kinds table lacks {kind}"
    )


@pytest.mark.parametrize("key", sorted(Config.model_fields))
def test_every_top_level_config_key_is_documented(key):
    assert re.search(rf"^\[?{re.escape(key)}[\] .=]", README, re.M), f"README does not show {key}"


def test_readme_links_resolve():
    for target in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (ROOT / target).exists(), target


def test_starter_config_validates_and_mentions_every_kind(tmp_path):
    starter = ROOT / "notices" / "static" / "notices.toml"
    load_config(starter)
    text = starter.read_text(encoding="utf-8")
    for kind in kinds():
        assert f'kind = "{kind}"' in text, f"the starter config has no example of {kind}"


def toml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for name, text in {"README.md": README, **DOCS}.items():
        blocks += [(name, block) for block in re.findall(r"```toml\n(.*?)```", text, re.S)]
    return blocks


@pytest.mark.parametrize(("source", "block"), toml_blocks())
def test_toml_examples_in_the_docs_parse(source, block):
    tomllib.loads(block)
