"""Reading `notices.toml` safely: its size and nesting are bounded, its text decoded, and
every error said with the file, line and key it concerns."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import (
    ValidationError,
)

from notices.errors import ConfigError

MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_DEPTH = 32  # arrays and inline tables inside each other


def check_nesting(path: Path, text: str) -> None:
    """Refuse arrays and inline tables nested deeper than MAX_CONFIG_DEPTH, naming where,
    before the parser recurses into them (a RecursionError on every command otherwise)."""
    depth = 0
    quote = ""
    line, column = 1, 0
    index = 0
    while index < len(text):
        char = text[index]
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            if quote in ('"', "'"):
                quote = ""  # a one-line string ends with its line (or is an error)
        elif quote:
            if char == "\\" and quote in ('"', '"""'):
                index += 1
                column += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                column += len(quote) - 1
                quote = ""
        elif char == "#":
            end = text.find("\n", index)
            index = (end if end != -1 else len(text)) - 1
        elif char in "\"'":
            triple = char * 3
            quote = triple if text.startswith(triple, index) else char
            index += len(quote) - 1
            column += len(quote) - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                raise ConfigError(
                    f"{path}, line {line}, column {column}: arrays or tables nested more than"
                    f" {MAX_CONFIG_DEPTH} deep; a configuration needs far fewer"
                )
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1


def decode_config(path: Path, raw: bytes) -> str:
    """The file's text; a file that is not UTF-8 is an error naming the line and byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{path}, line {line}, column {column}: the configuration is not UTF-8 text"
            f" (byte 0x{raw[exc.start]:02x}; an editor saved it in another encoding, such"
            " as Latin-1 or Windows-1252). Save it as UTF-8, then run the command again."
        ) from None


def describe_validation_error(
    source: Path, text: str, exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> str:
    return describe_parts(source, text, exc, prefix)


def describe_parts(
    source: Path, text: str, exc: ValidationError, prefix: tuple[str | int, ...] = ()
) -> str:
    lines = [f"{source}: the configuration is not valid:"]
    for error in exc.errors():
        loc = prefix + tuple(error["loc"])
        dotted = ".".join(str(part) for part in loc) or "(top level)"
        line = locate_key(text, loc)
        where = f" (line {line})" if line else ""
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {dotted}{where}: {message}")
    return "\n".join(lines)


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_dotted(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def locate_key(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The line number in a TOML text where the key at `loc` is written, if it can be found."""
    wanted = [str(part) for part in loc if not isinstance(part, int)]
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched length, line)
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(raw)
        if header:
            table = _split_dotted(header.group(1))
            path = table
        else:
            key = _KEY.match(raw)
            if not key:
                continue
            path = table + _split_dotted(key.group(1))
        matched = 0
        for have, want in zip(path, wanted, strict=False):
            if have != want:
                break
            matched += 1
        if matched == len(path) and matched and (best is None or matched > best[0]):
            best = (matched, number)
    return best[1] if best else None
