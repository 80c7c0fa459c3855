"""Switching by a call to the staff line, through HTTP against a real `notices serve`,
every request signed as Twilio signs it."""

from __future__ import annotations

import time

import pytest

from tests.support.log import query, raw_log, records
from tests.support.site import site_files
from tests.support.sms import COMPANY, MAIJA, OSKARI, PIN, STRANGER, finished, switched
from tests.support.twilio import TOKEN
from tests.support.voice import VOICE_URL, Call

pytestmark = pytest.mark.integration


def refusals(home) -> list[dict]:
    return [r["payload"] for r in records(home, "voice.refused")]


def test_an_allowed_caller_with_the_pin_switches_every_channel(staff_line, notices):
    gw = staff_line()
    call = Call(gw, OSKARI)
    menu = call.ring()
    assert menu.status == 200
    assert menu.verbs == ["Gather", "Say", "Hangup"]
    gather = menu.gather
    assert gather.attrib["input"] == "dtmf" and gather.attrib["numDigits"] == "1"
    assert gather.attrib["method"] == "POST"
    assert gather.attrib["action"].startswith(VOICE_URL + "?")
    assert [s.attrib["language"] for s in gather.iter("Say")] == ["fi-FI"] * 4
    prompt = menu.said()
    for choice in (
        "Evakuoi: paina 1.",
        "Sähkökatko: paina 2.",
        "Palaa: paina 9.",
        "Tila: paina 0.",
    ):
        assert choice in prompt

    hours = call.press(menu, "1")
    assert hours.gather.attrib["finishOnKey"] == "#"
    assert "Monenko tunnin" in hours.said()
    pin = call.press(hours, "4")
    assert "PIN" in pin.said() and pin.gather.attrib["finishOnKey"] == "#"
    time.sleep(0.3)
    assert not switched(gw.home), "nothing may switch before the PIN"

    running = call.press(pin, PIN)
    assert running.verbs == ["Say", "Redirect"]
    assert running.root is not None and running.root.find("Redirect").attrib["method"] == "POST"
    result = call.follow(running)
    assert result.verbs[-1] == "Hangup" and set(result.verbs[:-1]) == {"Say"}
    heard = result.said()
    assert "EVAKUOI 4h tehty." in heard, heard
    for channel in ("phone", "website", "mail"):
        assert f"{channel}: vaihdettu" in heard
    assert "Automaattinen paluu" in heard and "tekstiviestinä" in heard

    command = finished(gw.home, "evacuate")
    assert command["payload"]["ok"] is True and command["actor"] == "Oskari Lind"
    started = records(gw.home, "command.started")[0]
    assert started["actor"] == "Oskari Lind"
    arguments = started["payload"]["arguments"]
    assert (arguments["channel"], arguments["for"], arguments["factor"]) == ("voice", "4h", "pin")
    status = notices("status", "--json").json()
    assert status["mode"] == "evacuate"
    assert all(c["ok"] and c["state"] == "evacuate" for c in status["channels"])
    assert status["planned_resume"] == status["expected_return"]

    # The same confirmation by SMS, logged as the voice flow's.
    confirmation = gw.next_reply(OSKARI, 0)
    assert confirmation.startswith("notices: EVAKUOI 4h tehty."), confirmation
    replied = records(gw.home, "sms.replied")
    assert replied[-1]["payload"]["channel"] == "voice"
    assert [r["payload"]["purpose"] for r in records(gw.home, "voice.replied")] == ["result"]

    # Resume the same way: no hours are asked.
    call = Call(gw, OSKARI)
    pin = call.press(call.ring(), "9")
    assert "PIN" in pin.said()
    heard = call.follow(call.press(pin, PIN)).said()
    assert "PALAA tehty." in heard and "phone: palautettu" in heard, heard
    assert notices("status", "--json").json()["mode"] == "normal"

    accepted = records(gw.home, "voice.accepted")
    assert [(r["actor"], r["payload"]["command"]) for r in accepted] == [
        ("Oskari Lind", "evacuate"),
        ("Oskari Lind", "resume"),
    ]
    assert notices("log", "verify").exit_code == 0
    log = raw_log(gw.home)
    for secret in (OSKARI, OSKARI.lstrip("+"), TOKEN, f":{PIN}", f'"{PIN}"'):
        assert secret not in log


def test_invalid_signatures_are_refused_and_logged(staff_line):
    gw = staff_line()
    call = Call(gw, OSKARI)
    loopback = gw.address + "_notices/voice"
    attempts = {
        "wrong token": call.ring(token="not-the-token"),
        "signed for the Host": call.ring(signed_for=loopback),
        "signed for the SMS webhook": call.ring(signed_for=VOICE_URL.replace("voice", "sms")),
        "no signature": call.ring(signature=""),
    }
    for what, answer in attempts.items():
        assert (answer.status, answer.root) == (403, None), what
    # A real call, then its PIN step with the digits altered after signing.
    menu = call.ring()
    pin = call.press(menu, "0")
    from twilio.request_validator import RequestValidator

    params = call.form(Digits="0000", FinishedOnKey="#")
    signature = RequestValidator(TOKEN).compute_signature(pin.next_url, params)
    altered = call.post(pin.next_url, {**params, "Digits": PIN}, signature=signature)
    assert altered.status == 403
    reasons = [r["reason"] for r in refusals(gw.home)]
    assert reasons == ["invalid signature"] * 5
    assert all(r["sender"].startswith("hmac-sha256:") for r in refusals(gw.home))
    assert records(gw.home, "voice.accepted") == []
    assert not switched(gw.home)


def test_an_unknown_caller_hears_nothing_and_only_a_digest_is_logged(staff_line):
    gw = staff_line()
    stranger = Call(gw, STRANGER)
    answer = stranger.ring()
    assert answer.status == 200 and answer.verbs == ["Reject"]
    assert answer.said() == ""
    # Guessing a step's URL does not help either.
    guessed = stranger.post(f"{VOICE_URL}?step=pin&n=3", stranger.form(Digits=PIN))
    assert guessed.verbs == ["Reject"]
    # Nor does calling the company's public number, which is not the staff line.
    other = Call(gw, OSKARI, to=COMPANY).ring()
    assert other.verbs == ["Reject"]
    refused = refusals(gw.home)
    assert [r["reason"] for r in refused] == [
        "unknown caller",
        "unknown caller",
        "called another number",
    ]
    log = raw_log(gw.home)
    assert STRANGER not in log and STRANGER.lstrip("+") not in log
    kept = dict(query(gw.home / "notices.db", "SELECT ref, value FROM personal"))
    assert {kept[r["sender"]] for r in refused[:2]} == {STRANGER}
    time.sleep(0.3)
    assert gw.replies(STRANGER) == []
    assert not switched(gw.home)


def test_a_wrong_pin_is_refused_and_nothing_switches_without_the_pin(staff_line):
    gw = staff_line()
    call = Call(gw, OSKARI)
    hours = call.press(call.ring(), "2")
    too_long = call.press(hours, "999")
    assert too_long.said().startswith("Tuntimäärää ei voi käyttää.")
    assert too_long.verbs == ["Say", "Gather", "Say", "Hangup"], "another try at the hours"
    pin = call.press(too_long, "")  # only #: no return time
    wrong = call.press(pin, "1234")
    assert wrong.said().startswith("Väärä PIN.")
    assert wrong.verbs == ["Say", "Gather", "Say", "Hangup"], "another try at the PIN"
    assert refusals(gw.home)[-1] == {
        "channel": "voice",
        "call": call.sid,
        "command": "power-out",
        "typed": "SÄHKÖKATKO",
        "step": "pin",
        "reason": "wrong PIN",
    }
    # Skipping the PIN: the step after it does not exist yet, the call stays where it was.
    skipped = call.post(f"{VOICE_URL}?step=result&n=9", call.form())
    assert skipped.verbs == ["Say", "Hangup"]
    assert refusals(gw.home)[-1]["reason"] == "step out of order"
    # A call that never rang: its PIN step is no way in.
    ghost = Call(gw, OSKARI)
    assert ghost.post(f"{VOICE_URL}?step=pin&n=3", ghost.form(Digits=PIN)).verbs == [
        "Say",
        "Hangup",
    ]
    assert refusals(gw.home)[-1]["reason"] == "no such call"
    # A caller without a PIN cannot use the line at all.
    maija = Call(gw, MAIJA).ring()
    assert maija.verbs == ["Say", "Hangup"] and "tekstiviestiä" in maija.said()
    assert refusals(gw.home)[-1]["reason"] == "no PIN"
    time.sleep(0.3)
    assert records(gw.home, "voice.accepted") == []
    assert not switched(gw.home)
    assert "greeting.xml" not in site_files(gw.home)


def test_a_replayed_request_is_refused(staff_line):
    gw = staff_line()
    call = Call(gw, OSKARI)
    menu = call.ring()
    pin = call.press(menu, "0")
    result = call.follow(call.press(pin, PIN))
    assert "tila normaali" in result.said()
    # An eavesdropper plays the signed requests again: the call's start, and the PIN step.
    assert call.ring().verbs == ["Hangup"]
    assert call.press(pin, PIN).verbs == ["Hangup"]
    assert [r["reason"] for r in refusals(gw.home)] == ["replayed request"] * 2
    assert len(records(gw.home, "voice.accepted")) == 1
    time.sleep(0.3)
    assert len(gw.replies(OSKARI)) == 1


def test_too_many_attempts_lock_the_caller_out_of_calls_and_sms(staff_line):
    gw = staff_line(max_failures_per_sender=3)
    call = Call(gw, OSKARI)
    answer = call.press(call.ring(), "0")
    for _ in range(2):
        answer = call.press(answer, "0000")
        assert answer.said().startswith("Väärä PIN.")
    locked = call.press(answer, "0000")
    assert locked.verbs == ["Say", "Say", "Hangup"]
    assert "Liian monta epäonnistunutta yritystä" in locked.said()
    # A new call is refused at once, before any prompt, and so is the right PIN by SMS:
    # both count towards the same limits.
    again = Call(gw, OSKARI).ring()
    assert again.verbs == ["Say", "Hangup"] and "Liian monta" in again.said()
    gw.text(OSKARI, f"TILA {PIN}")
    assert "liian monta" in gw.next_reply(OSKARI, 0)
    reasons = [r["reason"] for r in refusals(gw.home)]
    assert reasons == ["wrong PIN"] * 3 + ["too many failed attempts"]
    assert records(gw.home, "sms.refused")[-1]["payload"]["reason"] == "too many failed attempts"
    assert records(gw.home, "voice.accepted") == [] and records(gw.home, "sms.accepted") == []
    assert not switched(gw.home)
