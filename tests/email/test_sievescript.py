"""Composing the auto-reply with a mailbox's own rules: the pure part, without a server."""

from __future__ import annotations

import pytest
from sievelib.parser import Parser

from notices.channels.sievescript import (
    PAUSED,
    SieveSyntaxError,
    compose,
    kept_script,
    pause_vacations,
    split_requires,
)

OURS = (
    "# notices: evacuate auto-reply\n"
    'require ["vacation"];\n'
    'vacation :days 1 :subject "Poikkeustilanne" text:\n'
    "Hei.\n"
    "..piste\n"
    ".\n"
    ";\n"
)


def parses(script: str) -> bool:
    parser = Parser()
    return bool(parser.parse(script)) or pytest.fail(f"{parser.error}\n{script}")


def test_requires_are_merged_into_one_and_rules_kept_verbatim():
    own = (
        "# oma\n"
        'require "fileinto";\r\n'
        'require ["vacation", "imap4flags"]; # liput\n'
        'if header :contains "subject" "require" { fileinto "Laskut"; stop; }\n'
    )
    extensions, rules = split_requires(own)
    assert extensions == ["fileinto", "vacation", "imap4flags"]
    assert (
        rules
        == '# oma\n # liput\nif header :contains "subject" "require" { fileinto "Laskut"; stop; }\n'
    )

    script = compose(OURS, "roundcube", own)
    assert script.count("require ") == 1
    assert 'require ["fileinto", "vacation", "imap4flags"];' in script
    # ours first: no `stop` in the rules can skip it
    assert script.index("vacation :days 1") < script.index("stop;")
    assert 'if header :contains "subject" "require" { fileinto "Laskut"; stop; }' in script
    assert kept_script(script) == "roundcube"
    assert parses(script)


def test_the_own_vacation_is_paused_wherever_it_stands_and_only_there():
    own = (
        'require ["vacation", "fileinto"];\n'
        "/* vacation; in a comment */\n"
        'if header :is "x-vacation" "vacation;" {\n'
        '  vacation :days 7 :subject "Lomalla" text:\n'
        "Olen lomalla;\n"
        'vacation :days 1 "in text";\n'
        ".\n"
        ";\n"
        '} else { VACATION "loma"; }\n'
        'fileinto "vacation";\n'
    )
    rules, paused = pause_vacations(split_requires(own)[1])
    assert paused == 2
    assert rules.count(PAUSED) == 2
    assert "Olen lomalla" not in rules and '"loma"' not in rules
    assert '"x-vacation" "vacation;"' in rules and 'fileinto "vacation";' in rules
    assert "/* vacation; in a comment */" in rules
    script = compose(OURS, "oma", own)
    assert parses(script)
    assert script.count("vacation :") == 1


def test_without_a_script_ours_stands_alone_and_names_no_base():
    script = compose(OURS, None, None)
    assert kept_script(script) is None
    assert script.startswith("# notices: evacuate auto-reply\n")
    assert parses(script)


def test_composing_again_from_the_same_base_gives_the_same_bytes():
    own = 'require "fileinto";\nfileinto "Arkisto";\n'
    assert compose(OURS, "a", own) == compose(OURS, "a", own)


@pytest.mark.parametrize(
    "broken",
    ['require "fileinto;\n', "/* never closed\n", "vacation text:\nno end\n", 'require ["a" ;\n'],
)
def test_an_unreadable_script_is_reported(broken):
    with pytest.raises(SieveSyntaxError):
        compose(OURS, "rikki", broken)
