"""The greeting's documents: well-formed, and only verbs and attributes Twilio documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from notices.channels.base import Notice, RenderedText
from notices.channels.greeting import Forward, Layout, RecordOptions, file_names, greeting_files

# From Twilio's TwiML reference for <Say> (and its SSML <say-as>), <Pause>, <Gather>,
# <Record>, <Dial>, <Number>, <Hangup>.
DOCUMENTED = {
    "Response": set(),
    "say-as": {"interpret-as", "format"},
    "Gather": {
        "action",
        "method",
        "numDigits",
        "timeout",
        "finishOnKey",
        "input",
        "actionOnEmptyResult",
        "language",
    },
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
        RenderedText("fi", "Toimipisteemme on tyhjennetty.\n\n<Soita> & odota: 09 123 4567."),
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


@pytest.mark.parametrize("record", [None, RecordOptions(max_length=60)])
@pytest.mark.parametrize("forward", [None, Forward("+358401234567", 20, "+358201234567")])
def test_every_document_is_documented_twiml(record, forward):
    layout = Layout(
        base_url="https://x.example/greeting.xml",
        record=record,
        forward=forward,
        forwarding=forward is not None,
    )
    files = greeting_files(NOTICE, {"fi": "Google.fi-FI-Standard-B"}, layout)
    assert sorted(files) == sorted(file_names(layout, ("fi", "sv", "en")))
    for text in files.values():
        root = documented_only(text)
        assert [child.tag for child in root][-1] == "Hangup"
    first = ET.fromstring(files["greeting.xml"])
    say = first.find("Say")
    assert say is not None and say.get("voice") == "Google.fi-FI-Standard-B"
    assert say.text == "Toimipisteemme on tyhjennetty."
    rest = first.findall("Say")[1]
    assert rest.text == "<Soita> & odota: " and rest.find("say-as").text == "09 123 4567"
    assert (first.find("Record") is not None) == (record is not None)
    if record is not None:
        assert first.find("Record").get("action") == "https://x.example/greeting-recorded.fi.xml"
        assert first.find("Record").get("maxLength") == "60"
    if forward is not None:
        dialled = ET.fromstring(files["greeting-forward.sv.xml"])
        assert dialled.find("Dial").get("callerId") == "+358201234567"
        assert dialled.find("Dial/Number").text == "+358401234567"
