"""The greeting TwiML: well-formed, and only verbs and attributes Twilio documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from notices.channels.base import Notice, RenderedText
from notices.channels.texts import DialOffer, RecordOffer, greeting_twiml, recorded_twiml

# From Twilio's TwiML reference for <Say>, <Pause>, <Record>, <Dial>, <Number>, <Hangup>.
DOCUMENTED = {
    "Response": set(),
    "Say": {"voice", "language", "loop"},
    "Pause": {"length"},
    "Record": {
        "action",
        "method",
        "timeout",
        "finishOnKey",
        "maxLength",
        "playBeep",
        "trim",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "transcribe",
        "transcribeCallback",
    },
    "Dial": {
        "action",
        "method",
        "timeout",
        "callerId",
        "answerOnBridge",
        "hangupOnStar",
        "timeLimit",
        "record",
        "ringTone",
    },
    "Number": {"sendDigits", "url", "method", "statusCallback", "statusCallbackEvent"},
    "Hangup": set(),
}

NOTICE = Notice(
    mode="evacuate",
    medium="ivr",
    texts=(
        RenderedText("fi", "Toimipisteemme on tyhjennetty. <Soita> & odota."),
        RenderedText("sv", "Vårt kontor har utrymts."),
        RenderedText("en", "Our office has been evacuated."),
    ),
    title={},
    started="2026-11-23T18:00:00.000Z",
    expected_return=None,
    timezone="Europe/Helsinki",
    organisation=None,
)


def documented_only(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    for element in root.iter():
        assert element.tag in DOCUMENTED, element.tag
        assert set(element.attrib) <= DOCUMENTED[element.tag], (element.tag, element.attrib)
    return root


@pytest.mark.parametrize(
    ("record", "dial", "offer"),
    [
        (None, None, None),
        (RecordOffer("https://x.example/greeting-recorded.xml", max_length=60), None, "Record"),
        (None, DialOffer("+358401234567", caller_id="+358201234567", timeout=20), "Dial"),
    ],
)
def test_greeting_is_documented_twiml(record, dial, offer):
    root = documented_only(greeting_twiml(NOTICE, {"fi": "Google.fi-FI-Standard-B"}, record, dial))
    tags = [child.tag for child in root]
    assert tags[-1] == "Hangup"
    assert root.find("Say").text == "Toimipisteemme on tyhjennetty. <Soita> & odota."
    if offer is None:
        assert "Record" not in tags and "Dial" not in tags
    else:
        assert tags[-2] == offer
    if offer == "Dial":
        assert root.find("Dial/Number").text == "+358401234567"
        assert root.find("Dial").get("callerId") == "+358201234567"
    if offer == "Record":
        assert root.find("Record").get("action") == "https://x.example/greeting-recorded.xml"
        assert root.find("Record").get("method") == "GET"


def test_record_and_dial_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        greeting_twiml(NOTICE, {}, RecordOffer("https://x.example/r.xml"), DialOffer("+35840"))


def test_after_the_message():
    root = documented_only(recorded_twiml(NOTICE, {}))
    assert [c.tag for c in root] == ["Say", "Say", "Say", "Hangup"]
