"""The fast record encoding used by `log verify` is byte-for-byte RFC 8785 (JCS)."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from notices.evidence.log import canonical_record

# JSON values as our payloads hold them (json.loads output), floats and exotic text included.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
optional_text = st.none() | st.text()


@settings(max_examples=400, deadline=None)
@given(
    seq=st.integers(min_value=1, max_value=2**40),
    ts=st.text(),
    actor=st.text(),
    host=st.text(),
    incident=optional_text,
    kind=st.text(),
    channel=optional_text,
    payload=st.dictionaries(st.text(), json_values, max_size=5),
)
def test_fast_encoding_equals_rfc8785(seq, ts, actor, host, incident, kind, channel, payload):
    record = {
        "seq": seq,
        "ts": ts,
        "actor": actor,
        "host": host,
        "incident": incident,
        "kind": kind,
        "channel": channel,
        "payload": payload,
    }
    try:
        expected = rfc8785.dumps(record)
    except rfc8785.CanonicalizationError:
        return  # e.g. lone surrogates: not valid in a stored record either
    fast = canonical_record(
        seq, ts, actor, host, incident, kind, channel, rfc8785.dumps(payload).decode("utf-8")
    )
    assert fast == expected
