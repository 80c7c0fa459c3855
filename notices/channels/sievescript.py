"""Our auto-reply composed with a mailbox's own Sieve script, keeping its rules.

RFC 5228 puts every `require` before any other command, so a script is its requires and
then its rules. A small lexer (comments, quoted strings, `text:` literals) finds those
requires and every `vacation` command; everything else is kept verbatim. The composed script
has one merged `require`, our `vacation` first (so that no `stop` in the rules can skip it),
then the rules with their own `vacation` commands paused: a second vacation in one run is a
runtime error in Sieve (RFC 5230), which would silence both replies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER = re.compile(r"[0-9]+[KMGkmg]?")
KEEPS_MARKER = re.compile(r"^# notices-keeps: (\".*\")$", re.MULTILINE)
PAUSED = "/* notices: this vacation is paused during the incident */"

TokenKind = Literal["identifier", "tag", "number", "string", "punct"]


class SieveSyntaxError(ValueError):
    """The script cannot be read as Sieve."""


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    value: str
    start: int
    end: int


def _line(script: str, offset: int) -> int:
    return script.count("\n", 0, offset) + 1


def tokens(script: str) -> list[Token]:
    """The script's tokens, comments and white space left out."""
    found: list[Token] = []
    i, n = 0, len(script)
    while i < n:
        skipped = _skip(script, i)
        if skipped is not None:
            i = skipped
            continue
        token = _quoted(script, i) if script[i] == '"' else _word(script, i)
        found.append(token)
        i = token.end
    return found


def _skip(script: str, i: int) -> int | None:
    """Where white space or a comment at `i` ends; None if there is none at `i`."""
    if script[i] in " \t\r\n":
        return i + 1
    if script[i] == "#":
        end = script.find("\n", i)
        return len(script) if end < 0 else end + 1
    if script.startswith("/*", i):
        end = script.find("*/", i + 2)
        if end < 0:
            raise SieveSyntaxError(f"line {_line(script, i)}: a /* comment is never closed")
        return end + 2
    return None


def _quoted(script: str, i: int) -> Token:
    """A quoted string starting at `i`, its backslash escapes undone."""
    j, value, n = i + 1, [], len(script)
    while j < n and script[j] != '"':
        if script[j] == "\\" and j + 1 < n:
            j += 1
        value.append(script[j])
        j += 1
    if j >= n:
        raise SieveSyntaxError(f"line {_line(script, i)}: a quoted string is never closed")
    return Token("string", "".join(value), i, j + 1)


def _word(script: str, i: int) -> Token:
    """An identifier (or a `text:` string), a tag, a number or a punctuation mark at `i`."""
    c = script[i]
    if (match := IDENTIFIER.match(script, i)) is not None:
        if match.group().lower() == "text" and script.startswith(":", match.end()):
            return _multiline(script, i, match.end() + 1)
        return Token("identifier", match.group(), i, match.end())
    if c == ":" and (match := IDENTIFIER.match(script, i + 1)) is not None:
        return Token("tag", match.group(), i, match.end())
    if (match := NUMBER.match(script, i)) is not None:
        return Token("number", match.group(), i, match.end())
    if c in ";,()[]{}":
        return Token("punct", c, i, i + 1)
    raise SieveSyntaxError(f"line {_line(script, i)}: unexpected character {c!r}")


def _multiline(script: str, start: int, i: int) -> Token:
    """A `text:` string: to the end of its line, then lines up to one holding only '.'."""
    end = script.find("\n", i)
    if end < 0:
        raise SieveSyntaxError(f"line {_line(script, start)}: text: is never ended by a '.' line")
    head = script[i:end].rstrip("\r").lstrip(" \t")
    if head and not head.startswith("#"):
        raise SieveSyntaxError(f"line {_line(script, start)}: text: must end its line")
    lines: list[str] = []
    pos = end + 1
    while True:
        end = script.find("\n", pos)
        line = (script[pos:] if end < 0 else script[pos:end]).rstrip("\r")
        if line == ".":
            return Token("string", "\n".join(lines), start, len(script) if end < 0 else end + 1)
        if end < 0:
            raise SieveSyntaxError(
                f"line {_line(script, start)}: text: is never ended by a '.' line"
            )
        lines.append(line[1:] if line.startswith("..") else line)
        pos = end + 1


def _cut(script: str, spans: list[tuple[int, int]], replacement: str = "") -> str:
    out, last = [], 0
    for start, end in spans:
        out.append(script[last:start])
        out.append(replacement)
        last = end
    out.append(script[last:])
    return "".join(out)


def split_requires(script: str) -> tuple[list[str], str]:
    """The extensions the script requires, and the script without its `require` commands."""
    found = tokens(script)
    extensions: list[str] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(found) and found[i].kind == "identifier" and found[i].value.lower() == "require":
        j = i + 1
        if j < len(found) and found[j].kind == "string":
            extensions.append(found[j].value)
            j += 1
        elif j < len(found) and found[j].value == "[" and found[j].kind == "punct":
            j += 1
            while j < len(found) and found[j].kind == "string":
                extensions.append(found[j].value)
                j += 1
                if j < len(found) and found[j].value == ",":
                    j += 1
            if j >= len(found) or found[j].value != "]":
                raise SieveSyntaxError(f"line {_line(script, found[i].start)}: bad require list")
            j += 1
        if j >= len(found) or found[j].value != ";":
            raise SieveSyntaxError(f"line {_line(script, found[i].start)}: require without ';'")
        end = found[j].end
        # Take the line break after the command too, so no blank lines are left behind.
        for ending in ("\r\n", "\n"):
            if script.startswith(ending, end):
                end += len(ending)
                break
        spans.append((found[i].start, end))
        i = j + 1
    return list(dict.fromkeys(extensions)), _cut(script, spans)


def pause_vacations(rules: str) -> tuple[str, int]:
    """The rules with each `vacation` command replaced by a comment, and how many there were."""
    found = tokens(rules)
    spans: list[tuple[int, int]] = []
    command_position = True
    i = 0
    while i < len(found):
        token = found[i]
        if command_position and token.kind == "identifier" and token.value.lower() == "vacation":
            j = i
            while j < len(found) and not (found[j].kind == "punct" and found[j].value == ";"):
                j += 1
            if j >= len(found):
                raise SieveSyntaxError(f"line {_line(rules, token.start)}: vacation without ';'")
            spans.append((token.start, found[j].end))
            i = j + 1
            command_position = True
            continue
        command_position = token.kind == "punct" and token.value in ";{}"
        i += 1
    return _cut(rules, spans, PAUSED), len(spans)


def sieve_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_ours(ours: str) -> tuple[str, list[str], str]:
    """Our standalone script's leading comments, its required extensions, and its commands."""
    first = tokens(ours)
    head = ours[: first[0].start] if first else ""
    needs, commands = split_requires(ours[len(head) :])
    return head, needs, commands.strip("\r\n") + "\n"


def compose(ours: str, base_name: str | None, base_script: str | None) -> str:
    """Our script with the rules of `base_script` (the script `base_name`) after it.

    `ours` is a complete script: leading comment lines, its `require`, then the `vacation`.
    The result has the comments, a marker naming the base, one merged `require`, our
    vacation, then the base's rules. Raises SieveSyntaxError when the base cannot be read.
    """
    head, needs, reply = split_ours(ours)
    extensions, rules = split_requires(base_script or "")
    rules, paused = pause_vacations(rules)
    merged = list(dict.fromkeys([*extensions, *needs]))
    parts = [head.rstrip("\r\n") + "\n" if head.strip() else ""]
    if base_name is not None:
        parts.append(f"# notices-keeps: {json.dumps(base_name, ensure_ascii=False)}\n")
    parts.append("require [" + ", ".join(sieve_quote(e) for e in merged) + "];\n\n")
    parts.append("# The emergency auto-reply comes first, so that no rule below can stop it.\n")
    parts.append(reply)
    if base_name is not None and rules.strip():
        note = f"; its own vacation is paused ({paused}x)" if paused else ""
        parts.append(f"\n# The mailbox's own rules, from script {sieve_quote(base_name)}{note}:\n")
        parts.append(rules.strip("\r\n") + "\n")
    return "".join(parts)


def kept_script(script: str) -> str | None:
    """The name of the script whose rules one of our composed scripts keeps, if any."""
    found = tokens(script)
    match = KEEPS_MARKER.search(script[: found[0].start] if found else script)
    if match is None:
        return None
    name = json.loads(match.group(1))
    return name if isinstance(name, str) else None
