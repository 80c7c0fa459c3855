"""How long a caller listens before the choices: measured, not guessed. espeak-ng says every
`<Say>` of each shipped template x mode x language at its default rate (a fair stand-in for
the provider's voices) and `soxi -D` gives the length. The first language's block, up to its
message offer (menus included), lasts at most 25 s; every other language's at most 30 s."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from tests.phone.test_greeting import build_twilio, publish_local
from tests.support.greeting import seconds, spoken

ORDERS = [("fi", "sv", "en"), ("sv", "fi", "en"), ("en", "fi", "sv")]
FIRST_S = 25.0
OTHER_S = 30.0

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("soxi")),
    reason="espeak-ng and sox are missing: run `bash scripts/install-test-deps`",
)


def test_espeak_measures_a_longer_text_as_longer(tmp_path):
    from tests.support.greeting import Said

    short = seconds([Said("fi-FI", "Polly.Suvi-Neural", "Hei.")], tmp_path)
    long = seconds([Said("fi-FI", "Polly.Suvi-Neural", "Hei, tämä on pitkä lause. " * 4)], tmp_path)
    assert 0.2 < short < long


@pytest.mark.parametrize("order", ORDERS, ids="-".join)
@pytest.mark.parametrize("mode", ["evacuate", "power-out"])
def test_each_block_is_short_enough(notices, tmp_path, web, mode, order, capsys):
    publish_local(notices, tmp_path, web.root, mode, order)
    twilio = build_twilio(tmp_path, mode, order)
    lengths = {}
    for lang in order:
        name = "greeting.xml" if lang == order[0] else f"greeting.{lang}.xml"
        local = ET.parse(web.root / name).getroot()
        assert spoken(local) == spoken(ET.fromstring(twilio[name]))
        lengths[lang] = seconds(spoken(local), tmp_path)
    with capsys.disabled():
        said = ", ".join(f"{lang} {s:.1f} s" for lang, s in lengths.items())
        print(f"\n[greeting length] {mode} first={order[0]}: {said}")
    assert lengths[order[0]] <= FIRST_S, (mode, order, lengths)
    assert all(lengths[lang] <= OTHER_S for lang in order[1:]), (mode, order, lengths)
