"""docs/reliability.md's table is the catalogue the tests run, and names only real tests."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.catalogue import OTHER_FAULTS, table

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
TESTS = Path(__file__).resolve().parents[1]


def test_the_table_in_the_docs_is_the_catalogue():
    text = DOC.read_text("utf-8")
    found = re.search(r"<!-- faults:start -->\n(.*)<!-- faults:end -->", text, re.S)
    assert found, "docs/reliability.md lost its faults markers"
    assert found.group(1) == table(), "regenerate the table from tests/support/catalogue.py"


def test_every_test_the_table_names_exists():
    for _area, _fault, _result, test in OTHER_FAULTS:
        path, _, name = test.partition("::")
        source = (TESTS / path).read_text("utf-8")
        assert f"def {name.split('[')[0]}(" in source, test
